using AttentionGen.Kernels;
using AttentionGen.Kernels.Attention;
using AttentionGen.Tests.Reference;
using Xunit.Sdk;

namespace AttentionGen.Tests.Kernels;

/// <summary>
/// The row path stacks query rows where the machine has row-stacked kernels: a (row, head) must come out with the same
/// bits whichever way its call is cut. Each case runs every query row alone (<see cref="RowAttention{TShape}.AttendPart"/>
/// over one row: the one-row kernels), the whole call at once (rows stacked), and the call split into two row ranges at
/// every row (as a split call's units are), and demands identical bits from all of them; the whole call is also checked
/// against the float64 reference, so a stack that agreed with the lone rows only by both being wrong still fails.
/// </summary>
/// <remarks>
/// The shapes cover rows stacked per head without groups and with small groups, groups that fill a stack on their own
/// (rows one at a time), one head (whose lone rows take the row kernels' key blocks from a vector's worth of keys),
/// head widths that are whole Vector512s, whole Vector256s only and neither, causal and not, softcap, and additive masks
/// with −∞ and a fully masked row. Causal calls of up to 9 rows over key counts that are not multiples of 4 put the
/// point where rows first see enough keys to stack anywhere in a stack. In the Numeric category, so the SIMD-path child
/// runs repeat them on Vector256, Vector128 and scalar code.
/// </remarks>
[Trait("Category", "Numeric")]
public sealed class RowStackingTests
{
    public static TheoryData<int, int> Lengths()
    {
        var data = new TheoryData<int, int>();
        foreach (int kvSeqLen in new[] { 1, 3, 6, 13, 18, 37, 203 })
        {
            for (int seqLen = 1; seqLen <= 9; seqLen++)
            {
                data.Add(seqLen, kvSeqLen);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Ungrouped2_HeadDim128_Causal(int seqLen, int kvSeqLen) => Check<Ungrouped2Dim128Causal>(seqLen, kvSeqLen);

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Ungrouped8_HeadDim64(int seqLen, int kvSeqLen) => Check<Ungrouped8Dim64>(seqLen, kvSeqLen);

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Gqa2_HeadDim64_Causal(int seqLen, int kvSeqLen) => Check<Gqa2Dim64Causal>(seqLen, kvSeqLen);

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Gqa3_HeadDim80_Causal_Softcap(int seqLen, int kvSeqLen) => Check<Gqa3Dim80CausalSoftcap>(seqLen, kvSeqLen);

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Gqa4_HeadDim32_Causal(int seqLen, int kvSeqLen) => Check<Gqa4Dim32Causal>(seqLen, kvSeqLen);

    [Theory]
    [MemberData(nameof(Lengths))]
    public void OneHead_HeadDim64_Causal(int seqLen, int kvSeqLen) => Check<OneHeadDim64Causal>(seqLen, kvSeqLen);

    [Theory]
    [MemberData(nameof(Lengths))]
    public void OneHead_HeadDim8_Causal(int seqLen, int kvSeqLen) => Check<OneHeadDim8Causal>(seqLen, kvSeqLen);

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Ungrouped3_HeadDim24_Causal(int seqLen, int kvSeqLen) => Check<Ungrouped3Dim24Causal>(seqLen, kvSeqLen);

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Ungrouped2_HeadDim20_Causal(int seqLen, int kvSeqLen) => Check<Ungrouped2Dim20Causal>(seqLen, kvSeqLen);

    [Fact]
    public void OneHead_Causal_EveryRowCountAcrossTheKeyBlockThreshold()
    {
        // A lone head takes the row kernels' key blocks from 16 keys on (8 on Vector256): rows on either side of it.
        for (int kvSeqLen = 10; kvSeqLen <= 26; kvSeqLen++)
        {
            for (int seqLen = 2; seqLen <= 9; seqLen++)
            {
                Check<OneHeadDim64Causal>(seqLen, kvSeqLen);
            }
        }
    }

    [Theory]
    [InlineData(2, 7)]
    [InlineData(5, 37)]
    [InlineData(9, 18)]
    [InlineData(7, 203)]
    public void Mask_WithNegativeInfinityAndAFullyMaskedRow(int seqLen, int kvSeqLen)
    {
        Check<Ungrouped8Dim64>(seqLen, kvSeqLen, Masks.Padding(seed: 21, seqLen, kvSeqLen, fullyMaskedRow: 1));
        Check<Gqa2Dim64Causal>(seqLen, kvSeqLen, Masks.Padding(seed: 22, seqLen, kvSeqLen, fullyMaskedRow: 2));
        Check<Ungrouped2Dim128Causal>(seqLen, kvSeqLen, Masks.Padding(seed: 23, seqLen, kvSeqLen, fullyMaskedRow: 0));
        Check<OneHeadDim64Causal>(seqLen, kvSeqLen, Masks.Padding(seed: 24, seqLen, kvSeqLen, fullyMaskedRow: 3));
    }

    [Theory]
    [InlineData(4, 9)]
    [InlineData(7, 40)]
    public void Causal_NaNAndInfinityInKeysAndValuesARowCannotSee_LeaveItExact(int seqLen, int kvSeqLen)
    {
        // A stack scores every row against its last row's keys and weighs the values of the first row's together: the
        // last key holds NaN and its value ∞, and only the last row sees it. Every other row must still be exact.
        CheckHiddenLastKey<Ungrouped2Dim128Causal>(seqLen, kvSeqLen);
        CheckHiddenLastKey<Gqa2Dim64Causal>(seqLen, kvSeqLen);
        CheckHiddenLastKey<OneHeadDim64Causal>(seqLen, kvSeqLen);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(19)]
    [InlineData(20)]
    [InlineData(21)]
    [InlineData(203)]
    public void DecodeRow_StreamsInTurn_GiveEachStreamsBitsAlone(int kvSeqLen)
    {
        // A decode row of several key/value streams takes them in turns, 4 keys at a time for the scores and 16 value rows
        // for the sums (a last turn takes 4 to 7 or 4 to 19), each stream continuing its sums: every stream must get the
        // bits it gets in a call of its own.
        CheckStreamsInTurn<Gqa2Dim64Causal>(kvSeqLen, null);
        CheckStreamsInTurn<Gqa3Dim80CausalSoftcap>(kvSeqLen, null);
        CheckStreamsInTurn<Gqa4Dim128Streams4>(kvSeqLen, null);
        CheckStreamsInTurn<Gqa4Dim128Streams4>(kvSeqLen, Masks.Padding(seed: 25, 3, kvSeqLen, fullyMaskedRow: 1));
    }

    private static void CheckStreamsInTurn<TShape>(int kvSeqLen, float[]? mask)
        where TShape : struct, IAttentionShape
    {
        const int SeqLen = 3;
        int queryWidth = TShape.Heads * TShape.HeadDim, kvWidth = TShape.KvHeads * TShape.HeadDim;
        var query = TestData.Uniform(41 + kvSeqLen, SeqLen * queryWidth);
        var key = TestData.Uniform(42 + kvSeqLen, kvSeqLen * kvWidth);
        var value = TestData.Uniform(43 + kvSeqLen, kvSeqLen * kvWidth);
        var inTurn = new float[query.Length];
        var alone = new float[query.Length];
        var scores = new AlignedBuffer(AttentionCore<TShape>.ScoreScratchLength);
        for (int row = 0; row < SeqLen; row++)
        {
            scores.Span.Fill(float.NaN);
            RowAttention<TShape>.AttendPart(query, key, value, mask, inTurn, SeqLen, kvSeqLen, scores.Span, 0, RowAttention<TShape>.Streams, row, row + 1);
            for (int stream = 0; stream < RowAttention<TShape>.Streams; stream++)
            {
                scores.Span.Fill(float.NaN);
                RowAttention<TShape>.AttendPart(query, key, value, mask, alone, SeqLen, kvSeqLen, scores.Span, stream, stream + 1, row, row + 1);
            }
        }

        string what = $"{typeof(TShape).Name} kvSeqLen {kvSeqLen}{(mask is null ? "" : " masked")}";
        AssertSameBits(alone, inTurn, queryWidth, $"{what}: streams in turn against each stream alone");
        var expected = AttentionReference.Sdpa(
            query, key, value, SeqLen, kvSeqLen, TShape.Heads, TShape.KvHeads, TShape.HeadDim, TShape.IsCausal, TShape.Scale, TShape.Softcap, mask);
        TestData.AssertClose(expected, inTurn, what);
    }

    private static void Check<TShape>(int seqLen, int kvSeqLen, float[]? mask = null)
        where TShape : struct, IAttentionShape
    {
        int queryWidth = TShape.Heads * TShape.HeadDim, kvWidth = TShape.KvHeads * TShape.HeadDim;
        int seed = (seqLen * 7919) + (kvSeqLen * 17) + TShape.HeadDim + TShape.Heads;
        var query = TestData.Uniform(seed, seqLen * queryWidth);
        var key = TestData.Uniform(seed + 1, kvSeqLen * kvWidth);
        var value = TestData.Uniform(seed + 2, kvSeqLen * kvWidth);
        string what = $"{typeof(TShape).Name} seqLen {seqLen} kvSeqLen {kvSeqLen}{(mask is null ? "" : " masked")}";

        var whole = Run<TShape>(query, key, value, mask, seqLen, kvSeqLen, [0, seqLen]);
        var expected = AttentionReference.Sdpa(
            query, key, value, seqLen, kvSeqLen, TShape.Heads, TShape.KvHeads, TShape.HeadDim, TShape.IsCausal, TShape.Scale, TShape.Softcap, mask);
        TestData.AssertClose(expected, whole, what);

        var rowByRow = Run<TShape>(query, key, value, mask, seqLen, kvSeqLen, [.. Enumerable.Range(0, seqLen + 1)]);
        AssertSameBits(rowByRow, whole, queryWidth, $"{what}: whole call against one row at a time");
        for (int cut = 1; cut < seqLen; cut++)
        {
            var split = Run<TShape>(query, key, value, mask, seqLen, kvSeqLen, [0, cut, seqLen]);
            AssertSameBits(rowByRow, split, queryWidth, $"{what}: rows split at {cut} against one row at a time");
        }
    }

    private static void CheckHiddenLastKey<TShape>(int seqLen, int kvSeqLen)
        where TShape : struct, IAttentionShape
    {
        int queryWidth = TShape.Heads * TShape.HeadDim, kvWidth = TShape.KvHeads * TShape.HeadDim;
        var query = TestData.Uniform(31, seqLen * queryWidth);
        var key = TestData.Uniform(32, kvSeqLen * kvWidth);
        var value = TestData.Uniform(33, kvSeqLen * kvWidth);
        var output = Run<TShape>(query, key, value, null, seqLen, kvSeqLen, [0, seqLen]);
        var expected = AttentionReference.Sdpa(
            query, key, value, seqLen, kvSeqLen, TShape.Heads, TShape.KvHeads, TShape.HeadDim, TShape.IsCausal, TShape.Scale, TShape.Softcap, null);
        key.AsSpan((kvSeqLen - 1) * kvWidth).Fill(float.NaN);
        value.AsSpan((kvSeqLen - 1) * kvWidth).Fill(float.PositiveInfinity);
        var poisoned = Run<TShape>(query, key, value, null, seqLen, kvSeqLen, [0, seqLen]);
        int seeing = (seqLen - 1) * queryWidth;
        AssertSameBits(output.AsSpan(0, seeing).ToArray(), poisoned.AsSpan(0, seeing).ToArray(), queryWidth, $"{typeof(TShape).Name} seqLen {seqLen} kvSeqLen {kvSeqLen}: rows that cannot see the poisoned last key");
        TestData.AssertClose(expected[..seeing], poisoned[..seeing], $"{typeof(TShape).Name}: rows before the last");
        Assert.All(poisoned[seeing..], value => Assert.True(float.IsNaN(value), "the last row sees the NaN key"));
    }

    /// <summary>The row path over the row ranges between consecutive <paramref name="cuts"/>, each a call of its own on fresh NaN-filled scratch.</summary>
    private static float[] Run<TShape>(float[] query, float[] key, float[] value, float[]? mask, int seqLen, int kvSeqLen, int[] cuts)
        where TShape : struct, IAttentionShape
    {
        var output = new float[query.Length];
        var scores = new AlignedBuffer(AttentionCore<TShape>.ScoreScratchLength);
        for (int i = 0; i + 1 < cuts.Length; i++)
        {
            scores.Span.Fill(float.NaN);
            RowAttention<TShape>.AttendPart(query, key, value, mask, output, seqLen, kvSeqLen, scores.Span, 0, RowAttention<TShape>.Streams, cuts[i], cuts[i + 1]);
        }

        return output;
    }

    private static void AssertSameBits(float[] expected, float[] actual, int queryWidth, string what)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                throw new XunitException($"{what}: row {i / queryWidth} element {i % queryWidth} is {actual[i]:R}, not {expected[i]:R}.");
            }
        }
    }

    /// <summary>Score rows as a generated shape with tiles has them: six, or every stacked head.</summary>
    private const int Stride = 208;

    private struct Ungrouped2Dim128Causal : IAttentionShape
    {
        public static int Heads => 2; public static int KvHeads => 2; public static int HeadDim => 128;
        public static float Scale => 0.0883883f; public static float Softcap => 0; public static bool IsCausal => true;
        public static int ScoreStride => Stride; public static int ScoreRows => 6;
        public static int PanelKeys512 => 0; public static bool HasTile256 => false; public static bool HasTile128 => false; public static int OnlineChunk => 0;
    }

    private struct Ungrouped8Dim64 : IAttentionShape
    {
        public static int Heads => 8; public static int KvHeads => 8; public static int HeadDim => 64;
        public static float Scale => 0.125f; public static float Softcap => 0; public static bool IsCausal => false;
        public static int ScoreStride => Stride; public static int ScoreRows => 8;
        public static int PanelKeys512 => 0; public static bool HasTile256 => false; public static bool HasTile128 => false; public static int OnlineChunk => 0;
    }

    private struct Gqa2Dim64Causal : IAttentionShape
    {
        public static int Heads => 4; public static int KvHeads => 2; public static int HeadDim => 64;
        public static float Scale => 0.125f; public static float Softcap => 0; public static bool IsCausal => true;
        public static int ScoreStride => Stride; public static int ScoreRows => 6;
        public static int PanelKeys512 => 0; public static bool HasTile256 => false; public static bool HasTile128 => false; public static int OnlineChunk => 0;
    }

    /// <summary>80 = 4 + 1 Vector512 columns: the weighted sum's two column blocks.</summary>
    private struct Gqa3Dim80CausalSoftcap : IAttentionShape
    {
        public static int Heads => 6; public static int KvHeads => 2; public static int HeadDim => 80;
        public static float Scale => 0.5f; public static float Softcap => 4f; public static bool IsCausal => true;
        public static int ScoreStride => Stride; public static int ScoreRows => 6;
        public static int PanelKeys512 => 0; public static bool HasTile256 => false; public static bool HasTile128 => false; public static int OnlineChunk => 0;
    }

    /// <summary>A group of four fills a stack on its own: rows stay one at a time (the control).</summary>
    private struct Gqa4Dim32Causal : IAttentionShape
    {
        public static int Heads => 8; public static int KvHeads => 2; public static int HeadDim => 32;
        public static float Scale => 0.3f; public static float Softcap => 0; public static bool IsCausal => true;
        public static int ScoreStride => Stride; public static int ScoreRows => 6;
        public static int PanelKeys512 => 0; public static bool HasTile256 => false; public static bool HasTile128 => false; public static int OnlineChunk => 0;
    }

    /// <summary>Four streams of four heads, a score row for every head as generated shapes now plan: a decode row takes the streams in turns.</summary>
    private struct Gqa4Dim128Streams4 : IAttentionShape
    {
        public static int Heads => 16; public static int KvHeads => 4; public static int HeadDim => 128;
        public static float Scale => 0.0883883f; public static float Softcap => 0; public static bool IsCausal => false;
        public static int ScoreStride => Stride; public static int ScoreRows => 16;
        public static int PanelKeys512 => 0; public static bool HasTile256 => false; public static bool HasTile128 => false; public static int OnlineChunk => 0;
    }

    private struct OneHeadDim64Causal : IAttentionShape
    {
        public static int Heads => 1; public static int KvHeads => 1; public static int HeadDim => 64;
        public static float Scale => 0.125f; public static float Softcap => 0; public static bool IsCausal => true;
        public static int ScoreStride => Stride; public static int ScoreRows => 6;
        public static int PanelKeys512 => 0; public static bool HasTile256 => false; public static bool HasTile128 => false; public static int OnlineChunk => 0;
    }

    /// <summary>One Vector256 per head: AVX-512 machines score a lone row of it in Vector256 key blocks.</summary>
    private struct OneHeadDim8Causal : IAttentionShape
    {
        public static int Heads => 1; public static int KvHeads => 1; public static int HeadDim => 8;
        public static float Scale => 0.35f; public static float Softcap => 0; public static bool IsCausal => true;
        public static int ScoreStride => Stride; public static int ScoreRows => 6;
        public static int PanelKeys512 => 0; public static bool HasTile256 => false; public static bool HasTile128 => false; public static int OnlineChunk => 0;
    }

    /// <summary>24 is whole Vector256s but not Vector512s: AVX-512 machines stack on Vector256.</summary>
    private struct Ungrouped3Dim24Causal : IAttentionShape
    {
        public static int Heads => 3; public static int KvHeads => 3; public static int HeadDim => 24;
        public static float Scale => 0.2041241f; public static float Softcap => 0; public static bool IsCausal => true;
        public static int ScoreStride => Stride; public static int ScoreRows => 6;
        public static int PanelKeys512 => 0; public static bool HasTile256 => false; public static bool HasTile128 => false; public static int OnlineChunk => 0;
    }

    /// <summary>20 is no whole number of Vector256s: no row-stacked kernels anywhere (the control).</summary>
    private struct Ungrouped2Dim20Causal : IAttentionShape
    {
        public static int Heads => 2; public static int KvHeads => 2; public static int HeadDim => 20;
        public static float Scale => 0.2236068f; public static float Softcap => 0; public static bool IsCausal => true;
        public static int ScoreStride => Stride; public static int ScoreRows => 6;
        public static int PanelKeys512 => 0; public static bool HasTile256 => false; public static bool HasTile128 => false; public static int OnlineChunk => 0;
    }
}
