using System.Reflection;
using System.Runtime.Intrinsics;
using AttentionGen.Kernels;
using AttentionGen.Kernels.Attention;
using AttentionGen.Tests.Reference;
using Xunit.Abstractions;

namespace AttentionGen.Tests.Kernels;

/// <summary>
/// <see cref="TiledAttention{TShape}"/> called directly on hand-written shapes, against the float64 reference. Each
/// test runs the tile of the widest vector this process accelerates that the shape has (as
/// <see cref="AttentionCore{TShape}"/> would), so the SIMD-path child runs of the Numeric category cover the Vector256
/// and Vector128 tiles too; with no acceleration at all it runs the shape's widest tile in software. Inputs past
/// seqLen/kvSeqLen and the scratch hold NaN, and the output past seqLen a sentinel, so neither may leak.
/// </summary>
[Trait("Category", "Numeric")]
public sealed class TiledAttentionTests(ITestOutputHelper output)
{
    private const float Sentinel = 12345.5f;

    // Rows of NaN after the live query/key/value rows, and of sentinel after the live output rows.
    private const int TailRows = 3;

    private const int NoMask = -1;

    private static readonly MethodInfo AssertMatchesReferenceOfShape =
        typeof(TiledAttentionTests).GetMethod(nameof(AssertMatchesReference), BindingFlags.NonPublic | BindingFlags.Instance)!;

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesReference(Type shape, int seqLen, int kvSeqLen, int maskSeed) =>
        AssertMatchesReferenceOfShape.MakeGenericMethod(shape).Invoke(
            this, BindingFlags.DoNotWrapExceptions, null, [seqLen, kvSeqLen, maskSeed == NoMask ? null : Masks.Padding(maskSeed, seqLen, kvSeqLen)], null);

    public static TheoryData<Type, int, int, int> Cases()
    {
        var cases = new TheoryData<Type, int, int, int>();

        // Each shape with (seqLen, kvSeqLen) pairs, unmasked.
        void Unmasked<TShape>(params (int SeqLen, int KvSeqLen)[] sizes)
            where TShape : struct, IAttentionShape
        {
            foreach (var (seqLen, kvSeqLen) in sizes)
            {
                cases.Add(typeof(TShape), seqLen, kvSeqLen, NoMask);
            }
        }

        // Each shape with (seqLen, kvSeqLen, seed of its padding mask).
        void Masked<TShape>(params (int SeqLen, int KvSeqLen, int Seed)[] sizes)
            where TShape : struct, IAttentionShape
        {
            foreach (var (seqLen, kvSeqLen, seed) in sizes)
            {
                cases.Add(typeof(TShape), seqLen, kvSeqLen, seed);
            }
        }

        // Exactly one tile of six pairs and one full panel of 32 keys; eight pairs, where the last tile slides back;
        // pairs not a multiple of any tile's rows with a partial panel; one key.
        Unmasked<HeadDim16Shape>((6, 32), (8, 29), (13, 17), (32, 1));
        Masked<HeadDim16Shape>((6, 32, 6), (13, 27, 13));

        // (7, 200): three full 64-key panels and a partial one of 8 keys.
        Unmasked<HeadDim64Shape>((6, 64), (7, 200), (50, 150), (12, 48));
        Masked<HeadDim64Shape>((7, 200, 7), (6, 64, 6));

        // Output blocks of 64 and 16.
        Unmasked<HeadDim80Shape>((6, 100), (11, 70));

        // (2, 40): six pairs, two query rows of three heads on one key/value head.
        Unmasked<HeadDim24MultiQueryShape>((2, 40), (9, 23));
        Masked<HeadDim24MultiQueryShape>((9, 23, 5));

        // Softcap, then the mask.
        Unmasked<HeadDim20SoftcapShape>((6, 40), (7, 13));
        Masked<HeadDim20SoftcapShape>((7, 13, 6));

        // Heads that are not whole vectors of some width: P·V ends each head on a vector overlapping the one before it,
        // in the same block (40 on Vector512: vectors at 0, 16, 24), in a block of its own after a whole one (120: 0–63,
        // then 64, 80, 96, 104), or with a vector borrowed from the last whole block (72: 0, 16, 32, then 48, 56; 20 on
        // Vector256: 0, then 8, 12). The value rows past the last key hold NaN, so a vector reading past a head shows.
        Unmasked<HeadDim40Shape>((6, 100), (11, 37));
        Masked<HeadDim40Shape>((11, 37, 10));
        Unmasked<HeadDim72GroupedShape>((5, 100), (9, 77));
        Masked<HeadDim72GroupedShape>((9, 77, 11));
        Unmasked<HeadDim120Shape>((6, 70), (20, 128));
        Unmasked<HeadDim56GroupedCausalShape>((37, 37), (10, 64), (40, 25));
        Unmasked<HeadDim100MultiQueryCausalShape>((13, 13), (7, 50));
        Masked<HeadDim100MultiQueryCausalShape>((7, 50, 12));

        // 18 is whole vectors of no width: two overlapping Vector512s, and on Vector256 (3 vectors) and Vector128 (5) a
        // lone overlapping tail that borrows a vector from the last whole block.
        Unmasked<HeadDim18MultiQueryShape>((6, 100), (5, 33));

        // Square; seqLen < kvSeqLen, where a cached prefix stays visible to every row; seqLen > kvSeqLen, where the first
        // rows see no key and whole tiles only clear their output; a call smaller than a tile.
        Unmasked<GroupedQueryCausalShape>((37, 37), (10, 64), (40, 25), (3, 3));
        Masked<GroupedQueryCausalShape>((10, 64, 7));
        Unmasked<MultiQueryCausalShape>((9, 9), (6, 30), (20, 8));

        // The online softmax: (6, 1100) takes chunks of 512, 512 and 76 keys.
        Unmasked<OnlineShape>((6, 1100), (7, 1600), (3, 513));
        Masked<OnlineShape>((5, 1200, 8));

        // (20, 1300): rows whose visible keys end in different chunks; (1100, 1100): square, where early tiles see one
        // chunk and late ones three.
        Unmasked<OnlineCausalShape>((20, 1300), (1100, 1100), (13, 1024));
        Masked<OnlineCausalShape>((9, 1111, 9));

        // The online softmax reads each output row before it adds a chunk to it, so an overlapping last vector must
        // share a block with the vector it overlaps: a later block would read columns an earlier one had already
        // rescaled. 72 and 100 split their tail that way on Vector512 (72) and on the narrower vectors (both); 20 and
        // 40 on Vector256.
        Unmasked<OnlineHeadDim20Shape>((7, 1100));
        Unmasked<OnlineHeadDim40Shape>((6, 1300));
        Unmasked<OnlineHeadDim72Shape>((3, 1025));
        Masked<OnlineHeadDim72Shape>((5, 1200, 13));
        Unmasked<OnlineCausalHeadDim100Shape>((6, 1600), (20, 1300), (1030, 1030));
        Unmasked<OnlineHeadDim18Shape>((6, 1100), (9, 1500));

        // Heads wider than 128: the Vector512 tile gathers each head's value rows first from 32 (query row, head) pairs
        // per key/value head (20 rows of 2 grouped heads, 40 causal rows, 40 rows online) and reads them in place below
        // (6 and 7 rows). 200 ends on an overlapping vector after three whole blocks.
        Unmasked<HeadDim200GroupedShape>((20, 100), (6, 70));
        Masked<HeadDim200GroupedShape>((20, 100, 14));
        Unmasked<HeadDim256CausalShape>((40, 40), (7, 50));
        Unmasked<OnlineHeadDim160Shape>((40, 1100), (6, 1100));
        return cases;
    }

    /// <summary>
    /// A head's value rows gathered before the tiles or read in place give the same values to the same arithmetic: the
    /// first rows of a call that gathers (40 pairs) equal, bit for bit, a call of those rows alone, which does not (8).
    /// That choice is the Vector512 tile's; the narrower tiles gather both calls, and must agree all the same.
    /// </summary>
    [Fact]
    public void GatheredValueRowsGiveTheSameBitsAsRowsInPlace()
    {
        const int Rows = 40, FewRows = 8, KvSeqLen = 90;
        int width = HeadDim200GroupedShape.Heads * HeadDim200GroupedShape.HeadDim;
        int kvWidth = HeadDim200GroupedShape.KvHeads * HeadDim200GroupedShape.HeadDim;
        float[] query = TestData.Uniform(41, Rows * width);
        float[] key = TestData.Uniform(42, KvSeqLen * kvWidth), value = TestData.Uniform(43, KvSeqLen * kvWidth);
        float[] gathered = new float[Rows * width], inPlace = new float[FewRows * width];

        Attend<HeadDim200GroupedShape>(query, key, value, [], gathered, Rows, KvSeqLen);
        Attend<HeadDim200GroupedShape>(query[..(FewRows * width)], key, value, [], inPlace, FewRows, KvSeqLen);

        Assert.True(gathered.AsSpan(0, FewRows * width).SequenceEqual(inPlace), "The first rows differ between the gathered and in-place value rows.");
    }

    private void AssertMatchesReference<TShape>(int seqLen, int kvSeqLen, float[]? mask = null)
        where TShape : struct, IAttentionShape
    {
        int queryWidth = TShape.Heads * TShape.HeadDim, kvWidth = TShape.KvHeads * TShape.HeadDim;
        int seed = seqLen * 1000 + kvSeqLen;
        float[] query = TestData.Uniform(seed, seqLen * queryWidth);
        float[] key = TestData.Uniform(seed + 1, kvSeqLen * kvWidth);
        float[] value = TestData.Uniform(seed + 2, kvSeqLen * kvWidth);
        float[] result = new float[(seqLen + TailRows) * queryWidth];
        Array.Fill(result, Sentinel);

        string path = Attend<TShape>(
            WithNaNTail(query, queryWidth), WithNaNTail(key, kvWidth), WithNaNTail(value, kvWidth), mask ?? [], result, seqLen, kvSeqLen);

        string what = $"{typeof(TShape).Name} on the {path} tile, seqLen {seqLen}, kvSeqLen {kvSeqLen}{(mask is null ? "" : ", masked")}";
        double[] expected = AttentionReference.Sdpa(
            query, key, value, seqLen, kvSeqLen, TShape.Heads, TShape.KvHeads, TShape.HeadDim, TShape.IsCausal, TShape.Scale, TShape.Softcap, mask);
        double error = TestData.AssertClose(expected, result, what);
        for (int i = seqLen * queryWidth; i < result.Length; i++)
        {
            Assert.True(result[i] == Sentinel, $"{what}: output[{i}], past the last row, became {result[i]}.");
        }

        output.WriteLine($"{what}: largest error {error:E2}");
    }

    /// <summary>
    /// Runs the tile the dispatch would run on this machine and returns its width. Where that width is accelerated and
    /// the cost model picks the tile for this call, the dispatch itself must produce the very same bits.
    /// </summary>
    private static string Attend<TShape>(float[] query, float[] key, float[] value, float[] mask, float[] result, int seqLen, int kvSeqLen)
        where TShape : struct, IAttentionShape
    {
        var scores = NaNBuffer(AttentionCore<TShape>.ScoreScratchLength);
        bool accelerated = true;
        string path;
        if (TShape.PanelKeys512 > 0 && (Vector512.IsHardwareAccelerated || !Vector128.IsHardwareAccelerated))
        {
            path = "Vector512";
            accelerated = Vector512.IsHardwareAccelerated;
            RequireWholeTile<TShape>(seqLen, TiledAttention<TShape>.Rows512);
            TiledAttention<TShape>.Attend512(query, key, value, mask, result, seqLen, kvSeqLen, scores.Span, PanelScratch<TShape>(512, accelerated).Span);
        }
        else if (TShape.HasTile256 && (Vector256.IsHardwareAccelerated || !Vector128.IsHardwareAccelerated))
        {
            path = "Vector256";
            accelerated = Vector256.IsHardwareAccelerated;
            RequireWholeTile<TShape>(seqLen, TiledAttention<TShape>.Rows256);
            TiledAttention<TShape>.Attend256(query, key, value, mask, result, seqLen, kvSeqLen, scores.Span, PanelScratch<TShape>(256, accelerated).Span);
        }
        else if (TShape.HasTile128)
        {
            path = "Vector128";
            accelerated = Vector128.IsHardwareAccelerated;
            RequireWholeTile<TShape>(seqLen, TiledAttention<TShape>.Rows128);
            TiledAttention<TShape>.Attend128(query, key, value, mask, result, seqLen, kvSeqLen, scores.Span, PanelScratch<TShape>(128, accelerated).Span);
        }
        else
        {
            throw new InvalidOperationException($"{typeof(TShape).Name} has no tile for this machine's vectors.");
        }

        AttentionPath chosen = AttentionPaths.Choose(
            TShape.Heads, TShape.KvHeads, TShape.HeadDim, TShape.IsCausal, TShape.OnlineChunk, seqLen, kvSeqLen,
            AttentionPaths.MachineTile<TShape>(), AttentionPaths.MachineRowKernel);
        if (accelerated && chosen >= AttentionPath.Tiled)
        {
            float[] dispatched = new float[result.Length];
            Array.Fill(dispatched, Sentinel);
            AttentionCore<TShape>.Attend(query, key, value, mask, dispatched, seqLen, kvSeqLen, NaNBuffer(scores.Length).Span, NaNBuffer(AttentionCore<TShape>.KeyPanelScratchLength).Span);
            Assert.True(dispatched.AsSpan().SequenceEqual(result), $"{typeof(TShape).Name}: AttentionCore chose the {path} tile ({chosen}) but did not run it.");
        }

        return path;
    }

    // The Kᵀ panel scratch for the tile of this width: what AttentionCore provides where the width is accelerated (it
    // runs that tile), sized for the tile itself where it runs in software (AttentionCore would not run it).
    private static AlignedBuffer PanelScratch<TShape>(int tileWidth, bool accelerated)
        where TShape : struct, IAttentionShape
    {
        int length = TiledAttention<TShape>.PanelFloats * (TiledAttention<TShape>.GathersValuesOn(tileWidth) ? 2 : 1);
        Assert.True(!accelerated || length == AttentionCore<TShape>.KeyPanelScratchLength, $"{typeof(TShape).Name}: AttentionCore's panel scratch is not the Vector{tileWidth} tile's.");
        return NaNBuffer(length);
    }

    // A tile needs a tile's worth of (query row, head) pairs; smaller calls go row by row.
    private static void RequireWholeTile<TShape>(int seqLen, int rows)
        where TShape : struct, IAttentionShape =>
        Assert.True(seqLen * (TShape.Heads / TShape.KvHeads) >= rows, $"seqLen {seqLen} gives {typeof(TShape).Name} fewer than {rows} pairs.");

    private static float[] WithNaNTail(float[] live, int width)
    {
        float[] padded = new float[live.Length + TailRows * width];
        Array.Fill(padded, float.NaN);
        live.CopyTo(padded, 0);
        return padded;
    }

    private static AlignedBuffer NaNBuffer(int length)
    {
        var buffer = new AlignedBuffer(length);
        buffer.Span.Fill(float.NaN);
        return buffer;
    }

    // The shapes: ScoreStride is MaxKvSeqLen rounded up to whole panels of every tile and whole Vector512s, as the
    // generator's planner makes it; ScoreRows covers the tallest tile. Each states only what differs from ITestShape.
    private interface ITestShape : IAttentionShape
    {
        static float IAttentionShape.Softcap => 0;
        static bool IAttentionShape.IsCausal => false;
        static int IAttentionShape.ScoreRows => 6;
        static int IAttentionShape.PanelKeys512 => 64;
        static bool IAttentionShape.HasTile256 => true;
        static bool IAttentionShape.HasTile128 => true;
        static int IAttentionShape.OnlineChunk => 0;
    }

    private struct HeadDim16Shape : ITestShape
    {
        public static int Heads => 2;
        public static int KvHeads => 2;
        public static int HeadDim => 16;
        public static float Scale => 0.25f;
        public static int ScoreStride => 32;
        public static int PanelKeys512 => 32;
    }

    private struct HeadDim64Shape : ITestShape
    {
        public static int Heads => 4;
        public static int KvHeads => 4;
        public static int HeadDim => 64;
        public static float Scale => 0.125f;
        public static int ScoreStride => 256;
    }

    private struct HeadDim80Shape : ITestShape
    {
        public static int Heads => 2;
        public static int KvHeads => 2;
        public static int HeadDim => 80;
        public static float Scale => 0.2f;
        public static int ScoreStride => 128;
    }

    private struct HeadDim24MultiQueryShape : ITestShape
    {
        public static int Heads => 3;
        public static int KvHeads => 1;
        public static int HeadDim => 24;
        public static float Scale => 0.3f;
        public static int ScoreStride => 48;
        public static int PanelKeys512 => 48;
    }

    private struct HeadDim20SoftcapShape : ITestShape
    {
        public static int Heads => 2;
        public static int KvHeads => 2;
        public static int HeadDim => 20;
        public static float Scale => 1f;
        public static float Softcap => 2f;
        public static int ScoreStride => 48;
        public static int PanelKeys512 => 48;
    }

    private struct GroupedQueryCausalShape : ITestShape
    {
        public static int Heads => 8;
        public static int KvHeads => 2;
        public static int HeadDim => 32;
        public static float Scale => 0.1f;
        public static bool IsCausal => true;
        public static int ScoreStride => 64;
    }

    private struct MultiQueryCausalShape : ITestShape
    {
        public static int Heads => 4;
        public static int KvHeads => 1;
        public static int HeadDim => 16;
        public static float Scale => 0.25f;
        public static bool IsCausal => true;
        public static int ScoreStride => 48;
        public static int PanelKeys512 => 48;
    }

    private struct OnlineShape : ITestShape
    {
        public static int Heads => 2;
        public static int KvHeads => 1;
        public static int HeadDim => 32;
        public static float Scale => 0.5f;
        public static int ScoreStride => 1600;
        public static int OnlineChunk => 512;
    }

    private struct OnlineCausalShape : ITestShape
    {
        public static int Heads => 2;
        public static int KvHeads => 2;
        public static int HeadDim => 16;
        public static float Scale => 0.5f;
        public static float Softcap => 3f;
        public static bool IsCausal => true;
        public static int ScoreStride => 1344;
        public static int OnlineChunk => 512;
    }

    private struct HeadDim40Shape : ITestShape
    {
        public static int Heads => 3;
        public static int KvHeads => 3;
        public static int HeadDim => 40;
        public static float Scale => 0.15f;
        public static int ScoreStride => 128;
    }

    private struct HeadDim56GroupedCausalShape : ITestShape
    {
        public static int Heads => 4;
        public static int KvHeads => 2;
        public static int HeadDim => 56;
        public static float Scale => 0.13f;
        public static bool IsCausal => true;
        public static int ScoreStride => 64;
    }

    private struct HeadDim72GroupedShape : ITestShape
    {
        public static int Heads => 4;
        public static int KvHeads => 2;
        public static int HeadDim => 72;
        public static float Scale => 0.12f;
        public static int ScoreStride => 128;
    }

    private struct HeadDim100MultiQueryCausalShape : ITestShape
    {
        public static int Heads => 3;
        public static int KvHeads => 1;
        public static int HeadDim => 100;
        public static float Scale => 0.1f;
        public static float Softcap => 4f;
        public static bool IsCausal => true;
        public static int ScoreStride => 64;
    }

    private struct HeadDim120Shape : ITestShape
    {
        public static int Heads => 2;
        public static int KvHeads => 2;
        public static int HeadDim => 120;
        public static float Scale => 0.09f;
        public static int ScoreStride => 128;
    }

    private struct OnlineHeadDim20Shape : ITestShape
    {
        public static int Heads => 2;
        public static int KvHeads => 2;
        public static int HeadDim => 20;
        public static float Scale => 0.22f;
        public static int ScoreStride => 1600;
        public static int OnlineChunk => 512;
    }

    private struct OnlineHeadDim40Shape : ITestShape
    {
        public static int Heads => 2;
        public static int KvHeads => 1;
        public static int HeadDim => 40;
        public static float Scale => 0.16f;
        public static int ScoreStride => 1600;
        public static int OnlineChunk => 512;
    }

    private struct OnlineHeadDim72Shape : ITestShape
    {
        public static int Heads => 4;
        public static int KvHeads => 2;
        public static int HeadDim => 72;
        public static float Scale => 0.12f;
        public static int ScoreStride => 1600;
        public static int OnlineChunk => 512;
    }

    private struct OnlineCausalHeadDim100Shape : ITestShape
    {
        public static int Heads => 2;
        public static int KvHeads => 2;
        public static int HeadDim => 100;
        public static float Scale => 0.1f;
        public static float Softcap => 3f;
        public static bool IsCausal => true;
        public static int ScoreStride => 1600;
        public static int OnlineChunk => 512;
    }

    private struct HeadDim18MultiQueryShape : ITestShape
    {
        public static int Heads => 2;
        public static int KvHeads => 1;
        public static int HeadDim => 18;
        public static float Scale => 0.24f;
        public static int ScoreStride => 128;
    }

    private struct OnlineHeadDim18Shape : ITestShape
    {
        public static int Heads => 2;
        public static int KvHeads => 2;
        public static int HeadDim => 18;
        public static float Scale => 0.24f;
        public static float Softcap => 5f;
        public static bool IsCausal => true;
        public static int ScoreStride => 1600;
        public static int OnlineChunk => 512;
    }

    private struct HeadDim200GroupedShape : ITestShape
    {
        public static int Heads => 4;
        public static int KvHeads => 2;
        public static int HeadDim => 200;
        public static float Scale => 0.07f;
        public static int ScoreStride => 128;
    }

    private struct HeadDim256CausalShape : ITestShape
    {
        public static int Heads => 2;
        public static int KvHeads => 2;
        public static int HeadDim => 256;
        public static float Scale => 0.0625f;
        public static bool IsCausal => true;
        public static int ScoreStride => 64;
    }

    private struct OnlineHeadDim160Shape : ITestShape
    {
        public static int Heads => 1;
        public static int KvHeads => 1;
        public static int HeadDim => 160;
        public static float Scale => 0.08f;
        public static int ScoreStride => 1152;
        public static int OnlineChunk => 512;
    }
}
