using AttentionGen.Kernels;
using AttentionGen.Kernels.Attention;
using AttentionGen.Tests.Reference;
using Xunit.Sdk;

namespace AttentionGen.Tests.Kernels;

/// <summary>
/// The row-by-row attention path, called directly on hand-written shapes, against the float64 reference. The shapes
/// plan no tiles, so this is the code that runs for them on every call. They cover every way heads are stacked (grouped,
/// multi-query, ungrouped, one head, stacks with heads left over) and head widths that are whole Vector512s, whole
/// Vector256s only, whole Vector128s only, not whole vectors, and too wide to stack. Inputs past seqLen/kvSeqLen are
/// NaN and the output past seqLen a sentinel, so a kernel that reads or writes outside the call shows.
/// </summary>
[Trait("Category", "Numeric")]
public sealed class RowAttentionTests
{
    private const float Sentinel = 12345.5f;

    public static TheoryData<int> DecodeLengths => new() { 1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 33, 63, 64, 65, 100, 255, 257, 511, 600 };

    [Theory]
    [MemberData(nameof(DecodeLengths))]
    public void Decode_Gqa2_HeadDim64(int kvSeqLen) => Check<Gqa2Dim64>(1, kvSeqLen);

    [Theory]
    [MemberData(nameof(DecodeLengths))]
    public void Decode_Gqa4_HeadDim32_Causal(int kvSeqLen) => Check<Gqa4Dim32Causal>(1, kvSeqLen);

    [Theory]
    [MemberData(nameof(DecodeLengths))]
    public void Decode_Gqa6_HeadDim16(int kvSeqLen) => Check<Gqa6Dim16>(1, kvSeqLen);

    [Theory]
    [MemberData(nameof(DecodeLengths))]
    public void Decode_Gqa7_HeadDim32_StreamsInTurn(int kvSeqLen) => Check<Gqa7Dim32InTurns>(1, kvSeqLen);

    [Theory]
    [MemberData(nameof(DecodeLengths))]
    public void Decode_Gqa5_HeadDim16(int kvSeqLen) => Check<Gqa5Dim16>(1, kvSeqLen);

    [Theory]
    [MemberData(nameof(DecodeLengths))]
    public void Decode_Gqa8_HeadDim128(int kvSeqLen) => Check<Gqa8Dim128>(1, kvSeqLen);

    [Theory]
    [MemberData(nameof(DecodeLengths))]
    public void Decode_MultiQuery3_HeadDim80(int kvSeqLen) => Check<MultiQuery3Dim80>(1, kvSeqLen);

    [Theory]
    [MemberData(nameof(DecodeLengths))]
    public void Decode_OneHead_HeadDim64(int kvSeqLen) => Check<OneHeadDim64>(1, kvSeqLen);

    [Theory]
    [MemberData(nameof(DecodeLengths))]
    public void Decode_Ungrouped12_HeadDim64(int kvSeqLen) => Check<Ungrouped12Dim64>(1, kvSeqLen);

    [Theory]
    [MemberData(nameof(DecodeLengths))]
    public void Decode_Gqa2_HeadDim24(int kvSeqLen) => Check<Gqa2Dim24>(1, kvSeqLen);

    [Theory]
    [MemberData(nameof(DecodeLengths))]
    public void Decode_MultiQuery2_HeadDim100(int kvSeqLen) => Check<MultiQuery2Dim100>(1, kvSeqLen);

    [Theory]
    [MemberData(nameof(DecodeLengths))]
    public void Decode_Gqa2_HeadDim300(int kvSeqLen) => Check<Gqa2Dim300>(1, kvSeqLen);

    [Theory]
    [MemberData(nameof(DecodeLengths))]
    public void Decode_OneHead_HeadDim300(int kvSeqLen) => Check<OneHeadDim300>(1, kvSeqLen);

    [Theory]
    [MemberData(nameof(DecodeLengths))]
    public void Decode_Ungrouped6_HeadDim20_Softcap(int kvSeqLen) => Check<Ungrouped6Dim20Softcap>(1, kvSeqLen);

    [Fact]
    public void Decode_EveryKeyCountUpTo600()
    {
        // Every count once: the 4- and 16-key blocks sliding back, each remainder after them, and the stacks' edges.
        for (int kvSeqLen = 1; kvSeqLen <= MaxKv; kvSeqLen++)
        {
            Check<Gqa4Dim32Causal>(1, kvSeqLen);
            Check<Gqa7Dim32InTurns>(1, kvSeqLen);
            Check<MultiQuery2Dim100>(1, kvSeqLen);
        }
    }

    public static TheoryData<int, int> SmallLengths()
    {
        var data = new TheoryData<int, int>();
        foreach (int seqLen in new[] { 2, 3, 4, 5 })
        {
            foreach (int kvSeqLen in new[] { 1, 2, 3, 4, 5, 6, 17, 40 })
            {
                data.Add(seqLen, kvSeqLen);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(SmallLengths))]
    public void Small_Causal_Gqa4_HeadDim32_ZeroRowsWhenMoreQueriesThanKeys(int seqLen, int kvSeqLen) => Check<Gqa4Dim32Causal>(seqLen, kvSeqLen);

    [Theory]
    [MemberData(nameof(SmallLengths))]
    public void Small_Causal_Ungrouped2_HeadDim12(int seqLen, int kvSeqLen) => Check<Ungrouped2Dim12Causal>(seqLen, kvSeqLen);

    [Theory]
    [MemberData(nameof(SmallLengths))]
    public void Small_Causal_Ungrouped4_HeadDim16_Softcap(int seqLen, int kvSeqLen) => Check<Ungrouped4Dim16CausalSoftcap>(seqLen, kvSeqLen);

    [Theory]
    [MemberData(nameof(SmallLengths))]
    public void Small_Gqa2_HeadDim1(int seqLen, int kvSeqLen) => Check<Gqa2Dim1>(seqLen, kvSeqLen);

    [Theory]
    [MemberData(nameof(SmallLengths))]
    public void Small_Ungrouped2_HeadDim3(int seqLen, int kvSeqLen) => Check<Ungrouped2Dim3>(seqLen, kvSeqLen);

    [Theory]
    [MemberData(nameof(SmallLengths))]
    public void Small_Gqa2_HeadDim300(int seqLen, int kvSeqLen) => Check<Gqa2Dim300>(seqLen, kvSeqLen);

    [Theory]
    [MemberData(nameof(SmallLengths))]
    public void Small_Gqa6_HeadDim16(int seqLen, int kvSeqLen) => Check<Gqa6Dim16>(seqLen, kvSeqLen);

    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 37)]
    [InlineData(3, 5)]
    [InlineData(5, 70)]
    public void Mask_WithNegativeInfinityAndAFullyMaskedRow(int seqLen, int kvSeqLen)
    {
        Check<Gqa4Dim32Causal>(seqLen, kvSeqLen, Masks.Padding(seed: 7, seqLen, kvSeqLen));
        Check<Ungrouped6Dim20Softcap>(seqLen, kvSeqLen, Masks.Padding(seed: 8, seqLen, kvSeqLen));
        Check<Ungrouped12Dim64>(seqLen, kvSeqLen, Masks.Padding(seed: 9, seqLen, kvSeqLen, fullyMaskedRow: 0));
        Check<OneHeadDim64>(seqLen, kvSeqLen, Masks.Padding(seed: 10, seqLen, kvSeqLen, fullyMaskedRow: 0));
        Check<Gqa8Dim128>(seqLen, kvSeqLen, Masks.Padding(seed: 11, seqLen, kvSeqLen));
    }

    [Fact]
    public void Mask_FullyMaskedRow_OutputsZeros()
    {
        const int SeqLen = 2, KvSeqLen = 9;
        var mask = Masks.Padding(seed: 3, SeqLen, KvSeqLen, fullyMaskedRow: 1);
        var output = Check<Gqa2Dim64>(SeqLen, KvSeqLen, mask);
        int queryWidth = Gqa2Dim64.Heads * Gqa2Dim64.HeadDim;
        Assert.All(output.AsSpan(queryWidth, queryWidth).ToArray(), value => Assert.Equal(0f, value));
    }

    /// <summary>
    /// Runs the row path on seeded inputs and asserts it against <see cref="AttentionReference.Sdpa(float[], float[], float[], int, int, int, int, int, bool, double, double, float[], bool, int)"/>
    /// and that nothing past the call's rows was read (NaN there would spread) or written (the sentinel stays).
    /// </summary>
    private static float[] Check<TShape>(int seqLen, int kvSeqLen, float[]? mask = null)
        where TShape : struct, IAttentionShape
    {
        int queryWidth = TShape.Heads * TShape.HeadDim, kvWidth = TShape.KvHeads * TShape.HeadDim;
        const int SpareRows = 2;
        int seed = (seqLen * 1009) + (kvSeqLen * 31) + TShape.HeadDim;
        var query = WithNaNTail(TestData.Uniform(seed, seqLen * queryWidth), SpareRows * queryWidth);
        var key = WithNaNTail(TestData.Uniform(seed + 1, kvSeqLen * kvWidth), SpareRows * kvWidth);
        var value = WithNaNTail(TestData.Uniform(seed + 2, kvSeqLen * kvWidth), SpareRows * kvWidth);
        var output = new float[(seqLen + SpareRows) * queryWidth];
        Array.Fill(output, Sentinel);
        var scores = new AlignedBuffer(AttentionCore<TShape>.ScoreScratchLength);
        scores.Span.Fill(float.NaN); // scratch is the kernel's to fill; stale contents must not matter

        RowAttention<TShape>.Attend(
            query.AsSpan(0, seqLen * queryWidth), key.AsSpan(0, kvSeqLen * kvWidth), value.AsSpan(0, kvSeqLen * kvWidth),
            mask, output.AsSpan(0, seqLen * queryWidth), seqLen, kvSeqLen, scores.Span);

        var expected = AttentionReference.Sdpa(
            query[..(seqLen * queryWidth)], key[..(kvSeqLen * kvWidth)], value[..(kvSeqLen * kvWidth)], seqLen, kvSeqLen,
            TShape.Heads, TShape.KvHeads, TShape.HeadDim, TShape.IsCausal, TShape.Scale, TShape.Softcap, mask);
        string what = $"{typeof(TShape).Name} seqLen {seqLen} kvSeqLen {kvSeqLen}{(mask is null ? "" : " masked")}";
        TestData.AssertClose(expected, output, what);
        for (int i = seqLen * queryWidth; i < output.Length; i++)
        {
            if (output[i] != Sentinel)
            {
                throw new XunitException($"{what}: output[{i}] past the last row was written ({output[i]}).");
            }
        }

        return output;
    }

    private static float[] WithNaNTail(float[] values, int tail)
    {
        var result = new float[values.Length + tail];
        values.CopyTo(result, 0);
        result.AsSpan(values.Length).Fill(float.NaN);
        return result;
    }

    /// <summary>Score rows as the planner lays them out without tiles: MaxKvSeqLen rounded up to whole Vector512s.</summary>
    private static int StrideFor(int maxKvSeqLen) => (maxKvSeqLen + 15) / 16 * 16;

    private const int MaxKv = 600;

    private struct Gqa2Dim64 : IAttentionShape
    {
        public static int Heads => 4; public static int KvHeads => 2; public static int HeadDim => 64;
        public static float Scale => 0.125f; public static float Softcap => 0; public static bool IsCausal => false;
        public static int ScoreStride => StrideFor(MaxKv); public static int ScoreRows => 2;
        public static int PanelKeys512 => 0; public static bool HasTile256 => false; public static bool HasTile128 => false; public static int OnlineChunk => 0;
    }

    private struct Gqa4Dim32Causal : IAttentionShape
    {
        public static int Heads => 8; public static int KvHeads => 2; public static int HeadDim => 32;
        public static float Scale => 0.3f; public static float Softcap => 0; public static bool IsCausal => true;
        public static int ScoreStride => StrideFor(MaxKv); public static int ScoreRows => 4;
        public static int PanelKeys512 => 0; public static bool HasTile256 => false; public static bool HasTile128 => false; public static int OnlineChunk => 0;
    }

    /// <summary>Six heads per group: one stack of four and two left over on AVX-512, three stacks of two on AVX2.</summary>
    private struct Gqa6Dim16 : IAttentionShape
    {
        public static int Heads => 12; public static int KvHeads => 2; public static int HeadDim => 16;
        public static float Scale => 0.25f; public static float Softcap => 0; public static bool IsCausal => false;
        public static int ScoreStride => StrideFor(MaxKv); public static int ScoreRows => 6;
        public static int PanelKeys512 => 0; public static bool HasTile256 => false; public static bool HasTile128 => false; public static int OnlineChunk => 0;
    }

    /// <summary>
    /// Seven heads per group with a score row for every head, so a decode step takes its two streams in turns: on AVX-512 a
    /// packed stack of four and three left over, scored on the same turns of keys.
    /// </summary>
    private struct Gqa7Dim32InTurns : IAttentionShape
    {
        public static int Heads => 14; public static int KvHeads => 2; public static int HeadDim => 32;
        public static float Scale => 0.1767767f; public static float Softcap => 0; public static bool IsCausal => false;
        public static int ScoreStride => StrideFor(MaxKv); public static int ScoreRows => 14;
        public static int PanelKeys512 => 0; public static bool HasTile256 => false; public static bool HasTile128 => false; public static int OnlineChunk => 0;
    }

    /// <summary>Five heads per group, one stream at a time: on AVX-512 a packed stack of four and one left over.</summary>
    private struct Gqa5Dim16 : IAttentionShape
    {
        public static int Heads => 10; public static int KvHeads => 2; public static int HeadDim => 16;
        public static float Scale => 0.25f; public static float Softcap => 0; public static bool IsCausal => false;
        public static int ScoreStride => StrideFor(MaxKv); public static int ScoreRows => 5;
        public static int PanelKeys512 => 0; public static bool HasTile256 => false; public static bool HasTile128 => false; public static int OnlineChunk => 0;
    }

    private struct Gqa8Dim128 : IAttentionShape
    {
        public static int Heads => 8; public static int KvHeads => 1; public static int HeadDim => 128;
        public static float Scale => 0.0883883f; public static float Softcap => 0; public static bool IsCausal => false;
        public static int ScoreStride => StrideFor(MaxKv); public static int ScoreRows => 8;
        public static int PanelKeys512 => 0; public static bool HasTile256 => false; public static bool HasTile128 => false; public static int OnlineChunk => 0;
    }

    /// <summary>Three heads: a partial stack of three on AVX-512, a stack of two and one left over on AVX2; 80 = 5 × 16 columns.</summary>
    private struct MultiQuery3Dim80 : IAttentionShape
    {
        public static int Heads => 3; public static int KvHeads => 1; public static int HeadDim => 80;
        public static float Scale => 0.1118034f; public static float Softcap => 0; public static bool IsCausal => true;
        public static int ScoreStride => StrideFor(MaxKv); public static int ScoreRows => 3;
        public static int PanelKeys512 => 0; public static bool HasTile256 => false; public static bool HasTile128 => false; public static int OnlineChunk => 0;
    }

    private struct OneHeadDim64 : IAttentionShape
    {
        public static int Heads => 1; public static int KvHeads => 1; public static int HeadDim => 64;
        public static float Scale => 0.125f; public static float Softcap => 0; public static bool IsCausal => false;
        public static int ScoreStride => StrideFor(MaxKv); public static int ScoreRows => 1;
        public static int PanelKeys512 => 0; public static bool HasTile256 => false; public static bool HasTile128 => false; public static int OnlineChunk => 0;
    }

    private struct Ungrouped12Dim64 : IAttentionShape
    {
        public static int Heads => 12; public static int KvHeads => 12; public static int HeadDim => 64;
        public static float Scale => 0.125f; public static float Softcap => 0; public static bool IsCausal => false;
        public static int ScoreStride => StrideFor(MaxKv); public static int ScoreRows => 12;
        public static int PanelKeys512 => 0; public static bool HasTile256 => false; public static bool HasTile128 => false; public static int OnlineChunk => 0;
    }

    /// <summary>24 is whole Vector256s but not Vector512s: AVX-512 machines stack on Vector256.</summary>
    private struct Gqa2Dim24 : IAttentionShape
    {
        public static int Heads => 6; public static int KvHeads => 3; public static int HeadDim => 24;
        public static float Scale => 0.2041241f; public static float Softcap => 0; public static bool IsCausal => false;
        public static int ScoreStride => StrideFor(MaxKv); public static int ScoreRows => 2;
        public static int PanelKeys512 => 0; public static bool HasTile256 => false; public static bool HasTile128 => false; public static int OnlineChunk => 0;
    }

    /// <summary>100 = 6 × 16 + 4: no stacking anywhere, head by head on every machine.</summary>
    private struct MultiQuery2Dim100 : IAttentionShape
    {
        public static int Heads => 2; public static int KvHeads => 1; public static int HeadDim => 100;
        public static float Scale => 0.1f; public static float Softcap => 0; public static bool IsCausal => false;
        public static int ScoreStride => StrideFor(MaxKv); public static int ScoreRows => 2;
        public static int PanelKeys512 => 0; public static bool HasTile256 => false; public static bool HasTile128 => false; public static int OnlineChunk => 0;
    }

    /// <summary>Too wide to stack or cascade: head by head, one vector width and a scalar tail.</summary>
    private struct Gqa2Dim300 : IAttentionShape
    {
        public static int Heads => 4; public static int KvHeads => 2; public static int HeadDim => 300;
        public static float Scale => 0.0577350f; public static float Softcap => 0; public static bool IsCausal => true;
        public static int ScoreStride => StrideFor(MaxKv); public static int ScoreRows => 2;
        public static int PanelKeys512 => 0; public static bool HasTile256 => false; public static bool HasTile128 => false; public static int OnlineChunk => 0;
    }

    private struct OneHeadDim300 : IAttentionShape
    {
        public static int Heads => 1; public static int KvHeads => 1; public static int HeadDim => 300;
        public static float Scale => 0.0577350f; public static float Softcap => 0; public static bool IsCausal => false;
        public static int ScoreStride => StrideFor(MaxKv); public static int ScoreRows => 1;
        public static int PanelKeys512 => 0; public static bool HasTile256 => false; public static bool HasTile128 => false; public static int OnlineChunk => 0;
    }

    private struct Ungrouped6Dim20Softcap : IAttentionShape
    {
        public static int Heads => 6; public static int KvHeads => 6; public static int HeadDim => 20;
        public static float Scale => 2f; public static float Softcap => 5f; public static bool IsCausal => false;
        public static int ScoreStride => StrideFor(MaxKv); public static int ScoreRows => 6;
        public static int PanelKeys512 => 0; public static bool HasTile256 => false; public static bool HasTile128 => false; public static int OnlineChunk => 0;
    }

    /// <summary>12 is whole Vector128s only.</summary>
    private struct Ungrouped2Dim12Causal : IAttentionShape
    {
        public static int Heads => 2; public static int KvHeads => 2; public static int HeadDim => 12;
        public static float Scale => 0.2886751f; public static float Softcap => 0; public static bool IsCausal => true;
        public static int ScoreStride => StrideFor(40); public static int ScoreRows => 2;
        public static int PanelKeys512 => 0; public static bool HasTile256 => false; public static bool HasTile128 => false; public static int OnlineChunk => 0;
    }

    private struct Ungrouped4Dim16CausalSoftcap : IAttentionShape
    {
        public static int Heads => 4; public static int KvHeads => 4; public static int HeadDim => 16;
        public static float Scale => 1.5f; public static float Softcap => 3f; public static bool IsCausal => true;
        public static int ScoreStride => StrideFor(40); public static int ScoreRows => 4;
        public static int PanelKeys512 => 0; public static bool HasTile256 => false; public static bool HasTile128 => false; public static int OnlineChunk => 0;
    }

    /// <summary>One float per head: scalar code on every machine.</summary>
    private struct Gqa2Dim1 : IAttentionShape
    {
        public static int Heads => 4; public static int KvHeads => 2; public static int HeadDim => 1;
        public static float Scale => 1f; public static float Softcap => 0; public static bool IsCausal => false;
        public static int ScoreStride => StrideFor(40); public static int ScoreRows => 2;
        public static int PanelKeys512 => 0; public static bool HasTile256 => false; public static bool HasTile128 => false; public static int OnlineChunk => 0;
    }

    private struct Ungrouped2Dim3 : IAttentionShape
    {
        public static int Heads => 2; public static int KvHeads => 2; public static int HeadDim => 3;
        public static float Scale => 0.5773503f; public static float Softcap => 0; public static bool IsCausal => true;
        public static int ScoreStride => StrideFor(40); public static int ScoreRows => 2;
        public static int PanelKeys512 => 0; public static bool HasTile256 => false; public static bool HasTile128 => false; public static int OnlineChunk => 0;
    }
}
