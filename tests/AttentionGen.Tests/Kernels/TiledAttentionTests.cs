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

    [Theory]
    [InlineData(6, 32)] // exactly one tile of six pairs, one full panel of 32 keys
    [InlineData(8, 29)] // eight pairs: the last tile slides back
    [InlineData(13, 17)] // pairs not a multiple of any tile's rows; a partial panel
    [InlineData(32, 1)]
    public void HeadDim16_Panel32(int seqLen, int kvSeqLen) => AssertMatchesReference<HeadDim16Shape>(seqLen, kvSeqLen);

    [Theory]
    [InlineData(6, 64)]
    [InlineData(7, 200)] // three full 64-key panels and a partial one of 8 keys
    [InlineData(50, 150)]
    [InlineData(12, 48)]
    public void HeadDim64_Panel64(int seqLen, int kvSeqLen) => AssertMatchesReference<HeadDim64Shape>(seqLen, kvSeqLen);

    [Theory]
    [InlineData(6, 100)]
    [InlineData(11, 70)]
    public void HeadDim80_OutputBlocksOf64And16(int seqLen, int kvSeqLen) => AssertMatchesReference<HeadDim80Shape>(seqLen, kvSeqLen);

    [Theory]
    [InlineData(2, 40)] // six pairs: two query rows of three heads on one key/value head
    [InlineData(9, 23)]
    public void HeadDim24_MultiQuery(int seqLen, int kvSeqLen) => AssertMatchesReference<HeadDim24MultiQueryShape>(seqLen, kvSeqLen);

    [Theory]
    [InlineData(6, 40)]
    [InlineData(7, 13)]
    public void HeadDim20_Softcap(int seqLen, int kvSeqLen) => AssertMatchesReference<HeadDim20SoftcapShape>(seqLen, kvSeqLen);

    // Heads that are not whole vectors of some width: P·V ends each head on a vector overlapping the one before it, in
    // the same block (40 on Vector512: vectors at 0, 16, 24), in a block of its own after a whole one (120: 0–63, then
    // 64, 80, 96, 104), or with a vector borrowed from the last whole block (72: 0, 16, 32, then 48, 56; 20 on
    // Vector256: 0, then 8, 12). The value rows past the last key hold NaN, so a vector reading past a head shows.
    [Theory]
    [InlineData(6, 100)]
    [InlineData(11, 37)]
    public void HeadDim40(int seqLen, int kvSeqLen) => AssertMatchesReference<HeadDim40Shape>(seqLen, kvSeqLen);

    [Theory]
    [InlineData(37, 37)]
    [InlineData(10, 64)]
    [InlineData(40, 25)]
    public void HeadDim56_GroupedQueryCausal(int seqLen, int kvSeqLen) => AssertMatchesReference<HeadDim56GroupedCausalShape>(seqLen, kvSeqLen);

    [Theory]
    [InlineData(5, 100)]
    [InlineData(9, 77)]
    public void HeadDim72_GroupedQuery(int seqLen, int kvSeqLen) => AssertMatchesReference<HeadDim72GroupedShape>(seqLen, kvSeqLen);

    [Theory]
    [InlineData(13, 13)]
    [InlineData(7, 50)]
    public void HeadDim100_MultiQueryCausal(int seqLen, int kvSeqLen) => AssertMatchesReference<HeadDim100MultiQueryCausalShape>(seqLen, kvSeqLen);

    [Theory]
    [InlineData(6, 70)]
    [InlineData(20, 128)]
    public void HeadDim120(int seqLen, int kvSeqLen) => AssertMatchesReference<HeadDim120Shape>(seqLen, kvSeqLen);

    // 18 is whole vectors of no width: two overlapping Vector512s, and on Vector256 (3 vectors) and Vector128 (5) a
    // lone overlapping tail that borrows a vector from the last whole block.
    [Theory]
    [InlineData(6, 100)]
    [InlineData(5, 33)]
    public void HeadDim18_MultiQuery(int seqLen, int kvSeqLen) => AssertMatchesReference<HeadDim18MultiQueryShape>(seqLen, kvSeqLen);

    [Fact]
    public void HeadDim40_AdditiveMask() => AssertMatchesReference<HeadDim40Shape>(11, 37, Masks.Padding(seed: 10, 11, 37));

    [Fact]
    public void HeadDim72_AdditiveMask() => AssertMatchesReference<HeadDim72GroupedShape>(9, 77, Masks.Padding(seed: 11, 9, 77));

    [Fact]
    public void HeadDim100_Causal_AdditiveMask() => AssertMatchesReference<HeadDim100MultiQueryCausalShape>(7, 50, Masks.Padding(seed: 12, 7, 50));

    [Theory]
    [InlineData(37, 37)] // square
    [InlineData(10, 64)] // seqLen < kvSeqLen: a cached prefix stays visible to every row
    [InlineData(40, 25)] // seqLen > kvSeqLen: the first rows see no key, whole tiles only clear their output
    [InlineData(3, 3)]
    public void GroupedQueryCausal(int seqLen, int kvSeqLen) => AssertMatchesReference<GroupedQueryCausalShape>(seqLen, kvSeqLen);

    [Theory]
    [InlineData(9, 9)]
    [InlineData(6, 30)]
    [InlineData(20, 8)]
    public void MultiQueryCausal(int seqLen, int kvSeqLen) => AssertMatchesReference<MultiQueryCausalShape>(seqLen, kvSeqLen);

    [Theory]
    [InlineData(6, 32)]
    [InlineData(13, 27)]
    public void HeadDim16_AdditiveMask(int seqLen, int kvSeqLen) =>
        AssertMatchesReference<HeadDim16Shape>(seqLen, kvSeqLen, Masks.Padding(seed: seqLen, seqLen, kvSeqLen));

    [Theory]
    [InlineData(7, 200)]
    [InlineData(6, 64)]
    public void HeadDim64_AdditiveMask(int seqLen, int kvSeqLen) =>
        AssertMatchesReference<HeadDim64Shape>(seqLen, kvSeqLen, Masks.Padding(seed: seqLen, seqLen, kvSeqLen));

    [Fact]
    public void HeadDim24_AdditiveMask() => AssertMatchesReference<HeadDim24MultiQueryShape>(9, 23, Masks.Padding(seed: 5, 9, 23));

    [Fact]
    public void HeadDim20_SoftcapThenMask() => AssertMatchesReference<HeadDim20SoftcapShape>(7, 13, Masks.Padding(seed: 6, 7, 13));

    [Fact]
    public void GroupedQueryCausal_AdditiveMask() => AssertMatchesReference<GroupedQueryCausalShape>(10, 64, Masks.Padding(seed: 7, 10, 64));

    [Theory]
    [InlineData(6, 1100)] // chunks of 512, 512 and 76 keys
    [InlineData(7, 1600)]
    [InlineData(3, 513)]
    public void Online(int seqLen, int kvSeqLen) => AssertMatchesReference<OnlineShape>(seqLen, kvSeqLen);

    [Fact]
    public void Online_AdditiveMask() => AssertMatchesReference<OnlineShape>(5, 1200, Masks.Padding(seed: 8, 5, 1200));

    [Theory]
    [InlineData(20, 1300)] // rows whose visible keys end in different chunks
    [InlineData(1100, 1100)] // square: early tiles see one chunk, late ones three
    [InlineData(13, 1024)]
    public void OnlineCausal(int seqLen, int kvSeqLen) => AssertMatchesReference<OnlineCausalShape>(seqLen, kvSeqLen);

    [Fact]
    public void OnlineCausal_AdditiveMask() => AssertMatchesReference<OnlineCausalShape>(9, 1111, Masks.Padding(seed: 9, 9, 1111));

    // The online softmax reads each output row before it adds a chunk to it, so an overlapping last vector must share a
    // block with the vector it overlaps: a later block would read columns an earlier one had already rescaled. 72 and
    // 100 split their tail that way on Vector512 (72) and on the narrower vectors (both); 20 and 40 on Vector256.
    [Theory]
    [InlineData(7, 1100, 20)]
    [InlineData(6, 1300, 40)]
    [InlineData(3, 1025, 72)]
    [InlineData(6, 1600, 100)]
    public void Online_HeadsNotWholeVectors(int seqLen, int kvSeqLen, int headDim)
    {
        switch (headDim)
        {
            case 20: AssertMatchesReference<OnlineHeadDim20Shape>(seqLen, kvSeqLen); break;
            case 40: AssertMatchesReference<OnlineHeadDim40Shape>(seqLen, kvSeqLen); break;
            case 72: AssertMatchesReference<OnlineHeadDim72Shape>(seqLen, kvSeqLen); break;
            default: AssertMatchesReference<OnlineCausalHeadDim100Shape>(seqLen, kvSeqLen); break;
        }
    }

    [Theory]
    [InlineData(6, 1100)]
    [InlineData(9, 1500)]
    public void Online_HeadDim18(int seqLen, int kvSeqLen) => AssertMatchesReference<OnlineHeadDim18Shape>(seqLen, kvSeqLen);

    [Fact]
    public void Online_HeadDim72_AdditiveMask() => AssertMatchesReference<OnlineHeadDim72Shape>(5, 1200, Masks.Padding(seed: 13, 5, 1200));

    [Theory]
    [InlineData(20, 1300)]
    [InlineData(1030, 1030)]
    public void OnlineCausal_HeadDim100(int seqLen, int kvSeqLen) => AssertMatchesReference<OnlineCausalHeadDim100Shape>(seqLen, kvSeqLen);

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
        var panels = NaNBuffer(AttentionCore<TShape>.KeyPanelScratchLength);
        bool accelerated = true;
        string path;
        if (TShape.PanelKeys512 > 0 && (Vector512.IsHardwareAccelerated || !Vector128.IsHardwareAccelerated))
        {
            path = "Vector512";
            accelerated = Vector512.IsHardwareAccelerated;
            RequireWholeTile<TShape>(seqLen, TiledAttention<TShape>.Rows512);
            TiledAttention<TShape>.Attend512(query, key, value, mask, result, seqLen, kvSeqLen, scores.Span, panels.Span);
        }
        else if (TShape.HasTile256 && (Vector256.IsHardwareAccelerated || !Vector128.IsHardwareAccelerated))
        {
            path = "Vector256";
            accelerated = Vector256.IsHardwareAccelerated;
            RequireWholeTile<TShape>(seqLen, TiledAttention<TShape>.Rows256);
            TiledAttention<TShape>.Attend256(query, key, value, mask, result, seqLen, kvSeqLen, scores.Span, panels.Span);
        }
        else if (TShape.HasTile128)
        {
            path = "Vector128";
            accelerated = Vector128.IsHardwareAccelerated;
            RequireWholeTile<TShape>(seqLen, TiledAttention<TShape>.Rows128);
            TiledAttention<TShape>.Attend128(query, key, value, mask, result, seqLen, kvSeqLen, scores.Span, panels.Span);
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
            AttentionCore<TShape>.Attend(query, key, value, mask, dispatched, seqLen, kvSeqLen, NaNBuffer(scores.Length).Span, NaNBuffer(panels.Length).Span);
            Assert.True(dispatched.AsSpan().SequenceEqual(result), $"{typeof(TShape).Name}: AttentionCore chose the {path} tile ({chosen}) but did not run it.");
        }

        return path;
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
    // generator's planner makes it; ScoreRows covers the tallest tile.
    private struct HeadDim16Shape : IAttentionShape
    {
        public static int Heads => 2;
        public static int KvHeads => 2;
        public static int HeadDim => 16;
        public static float Scale => 0.25f;
        public static float Softcap => 0;
        public static bool IsCausal => false;
        public static int ScoreStride => 32;
        public static int ScoreRows => 6;
        public static int PanelKeys512 => 32;
        public static bool HasTile256 => true;
        public static bool HasTile128 => true;
        public static int OnlineChunk => 0;
    }

    private struct HeadDim64Shape : IAttentionShape
    {
        public static int Heads => 4;
        public static int KvHeads => 4;
        public static int HeadDim => 64;
        public static float Scale => 0.125f;
        public static float Softcap => 0;
        public static bool IsCausal => false;
        public static int ScoreStride => 256;
        public static int ScoreRows => 6;
        public static int PanelKeys512 => 64;
        public static bool HasTile256 => true;
        public static bool HasTile128 => true;
        public static int OnlineChunk => 0;
    }

    private struct HeadDim80Shape : IAttentionShape
    {
        public static int Heads => 2;
        public static int KvHeads => 2;
        public static int HeadDim => 80;
        public static float Scale => 0.2f;
        public static float Softcap => 0;
        public static bool IsCausal => false;
        public static int ScoreStride => 128;
        public static int ScoreRows => 6;
        public static int PanelKeys512 => 64;
        public static bool HasTile256 => true;
        public static bool HasTile128 => true;
        public static int OnlineChunk => 0;
    }

    private struct HeadDim24MultiQueryShape : IAttentionShape
    {
        public static int Heads => 3;
        public static int KvHeads => 1;
        public static int HeadDim => 24;
        public static float Scale => 0.3f;
        public static float Softcap => 0;
        public static bool IsCausal => false;
        public static int ScoreStride => 48;
        public static int ScoreRows => 6;
        public static int PanelKeys512 => 48;
        public static bool HasTile256 => true;
        public static bool HasTile128 => true;
        public static int OnlineChunk => 0;
    }

    private struct HeadDim20SoftcapShape : IAttentionShape
    {
        public static int Heads => 2;
        public static int KvHeads => 2;
        public static int HeadDim => 20;
        public static float Scale => 1f;
        public static float Softcap => 2f;
        public static bool IsCausal => false;
        public static int ScoreStride => 48;
        public static int ScoreRows => 6;
        public static int PanelKeys512 => 48;
        public static bool HasTile256 => true;
        public static bool HasTile128 => true;
        public static int OnlineChunk => 0;
    }

    private struct GroupedQueryCausalShape : IAttentionShape
    {
        public static int Heads => 8;
        public static int KvHeads => 2;
        public static int HeadDim => 32;
        public static float Scale => 0.1f;
        public static float Softcap => 0;
        public static bool IsCausal => true;
        public static int ScoreStride => 64;
        public static int ScoreRows => 6;
        public static int PanelKeys512 => 64;
        public static bool HasTile256 => true;
        public static bool HasTile128 => true;
        public static int OnlineChunk => 0;
    }

    private struct MultiQueryCausalShape : IAttentionShape
    {
        public static int Heads => 4;
        public static int KvHeads => 1;
        public static int HeadDim => 16;
        public static float Scale => 0.25f;
        public static float Softcap => 0;
        public static bool IsCausal => true;
        public static int ScoreStride => 48;
        public static int ScoreRows => 6;
        public static int PanelKeys512 => 48;
        public static bool HasTile256 => true;
        public static bool HasTile128 => true;
        public static int OnlineChunk => 0;
    }

    private struct OnlineShape : IAttentionShape
    {
        public static int Heads => 2;
        public static int KvHeads => 1;
        public static int HeadDim => 32;
        public static float Scale => 0.5f;
        public static float Softcap => 0;
        public static bool IsCausal => false;
        public static int ScoreStride => 1600;
        public static int ScoreRows => 6;
        public static int PanelKeys512 => 64;
        public static bool HasTile256 => true;
        public static bool HasTile128 => true;
        public static int OnlineChunk => 512;
    }

    private struct OnlineCausalShape : IAttentionShape
    {
        public static int Heads => 2;
        public static int KvHeads => 2;
        public static int HeadDim => 16;
        public static float Scale => 0.5f;
        public static float Softcap => 3f;
        public static bool IsCausal => true;
        public static int ScoreStride => 1344;
        public static int ScoreRows => 6;
        public static int PanelKeys512 => 64;
        public static bool HasTile256 => true;
        public static bool HasTile128 => true;
        public static int OnlineChunk => 512;
    }

    private struct HeadDim40Shape : IAttentionShape
    {
        public static int Heads => 3;
        public static int KvHeads => 3;
        public static int HeadDim => 40;
        public static float Scale => 0.15f;
        public static float Softcap => 0;
        public static bool IsCausal => false;
        public static int ScoreStride => 128;
        public static int ScoreRows => 6;
        public static int PanelKeys512 => 64;
        public static bool HasTile256 => true;
        public static bool HasTile128 => true;
        public static int OnlineChunk => 0;
    }

    private struct HeadDim56GroupedCausalShape : IAttentionShape
    {
        public static int Heads => 4;
        public static int KvHeads => 2;
        public static int HeadDim => 56;
        public static float Scale => 0.13f;
        public static float Softcap => 0;
        public static bool IsCausal => true;
        public static int ScoreStride => 64;
        public static int ScoreRows => 6;
        public static int PanelKeys512 => 64;
        public static bool HasTile256 => true;
        public static bool HasTile128 => true;
        public static int OnlineChunk => 0;
    }

    private struct HeadDim72GroupedShape : IAttentionShape
    {
        public static int Heads => 4;
        public static int KvHeads => 2;
        public static int HeadDim => 72;
        public static float Scale => 0.12f;
        public static float Softcap => 0;
        public static bool IsCausal => false;
        public static int ScoreStride => 128;
        public static int ScoreRows => 6;
        public static int PanelKeys512 => 64;
        public static bool HasTile256 => true;
        public static bool HasTile128 => true;
        public static int OnlineChunk => 0;
    }

    private struct HeadDim100MultiQueryCausalShape : IAttentionShape
    {
        public static int Heads => 3;
        public static int KvHeads => 1;
        public static int HeadDim => 100;
        public static float Scale => 0.1f;
        public static float Softcap => 4f;
        public static bool IsCausal => true;
        public static int ScoreStride => 64;
        public static int ScoreRows => 6;
        public static int PanelKeys512 => 64;
        public static bool HasTile256 => true;
        public static bool HasTile128 => true;
        public static int OnlineChunk => 0;
    }

    private struct HeadDim120Shape : IAttentionShape
    {
        public static int Heads => 2;
        public static int KvHeads => 2;
        public static int HeadDim => 120;
        public static float Scale => 0.09f;
        public static float Softcap => 0;
        public static bool IsCausal => false;
        public static int ScoreStride => 128;
        public static int ScoreRows => 6;
        public static int PanelKeys512 => 64;
        public static bool HasTile256 => true;
        public static bool HasTile128 => true;
        public static int OnlineChunk => 0;
    }

    private struct OnlineHeadDim20Shape : IAttentionShape
    {
        public static int Heads => 2;
        public static int KvHeads => 2;
        public static int HeadDim => 20;
        public static float Scale => 0.22f;
        public static float Softcap => 0;
        public static bool IsCausal => false;
        public static int ScoreStride => 1600;
        public static int ScoreRows => 6;
        public static int PanelKeys512 => 64;
        public static bool HasTile256 => true;
        public static bool HasTile128 => true;
        public static int OnlineChunk => 512;
    }

    private struct OnlineHeadDim40Shape : IAttentionShape
    {
        public static int Heads => 2;
        public static int KvHeads => 1;
        public static int HeadDim => 40;
        public static float Scale => 0.16f;
        public static float Softcap => 0;
        public static bool IsCausal => false;
        public static int ScoreStride => 1600;
        public static int ScoreRows => 6;
        public static int PanelKeys512 => 64;
        public static bool HasTile256 => true;
        public static bool HasTile128 => true;
        public static int OnlineChunk => 512;
    }

    private struct OnlineHeadDim72Shape : IAttentionShape
    {
        public static int Heads => 4;
        public static int KvHeads => 2;
        public static int HeadDim => 72;
        public static float Scale => 0.12f;
        public static float Softcap => 0;
        public static bool IsCausal => false;
        public static int ScoreStride => 1600;
        public static int ScoreRows => 6;
        public static int PanelKeys512 => 64;
        public static bool HasTile256 => true;
        public static bool HasTile128 => true;
        public static int OnlineChunk => 512;
    }

    private struct OnlineCausalHeadDim100Shape : IAttentionShape
    {
        public static int Heads => 2;
        public static int KvHeads => 2;
        public static int HeadDim => 100;
        public static float Scale => 0.1f;
        public static float Softcap => 3f;
        public static bool IsCausal => true;
        public static int ScoreStride => 1600;
        public static int ScoreRows => 6;
        public static int PanelKeys512 => 64;
        public static bool HasTile256 => true;
        public static bool HasTile128 => true;
        public static int OnlineChunk => 512;
    }

    private struct HeadDim18MultiQueryShape : IAttentionShape
    {
        public static int Heads => 2;
        public static int KvHeads => 1;
        public static int HeadDim => 18;
        public static float Scale => 0.24f;
        public static float Softcap => 0;
        public static bool IsCausal => false;
        public static int ScoreStride => 128;
        public static int ScoreRows => 6;
        public static int PanelKeys512 => 64;
        public static bool HasTile256 => true;
        public static bool HasTile128 => true;
        public static int OnlineChunk => 0;
    }

    private struct OnlineHeadDim18Shape : IAttentionShape
    {
        public static int Heads => 2;
        public static int KvHeads => 2;
        public static int HeadDim => 18;
        public static float Scale => 0.24f;
        public static float Softcap => 5f;
        public static bool IsCausal => true;
        public static int ScoreStride => 1600;
        public static int ScoreRows => 6;
        public static int PanelKeys512 => 64;
        public static bool HasTile256 => true;
        public static bool HasTile128 => true;
        public static int OnlineChunk => 512;
    }
}
