using AttentionGen.Tests.Reference;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace AttentionGen.Tests.Numeric;

/// <summary>
/// The NaN/∞ rule of <c>AttentionCore.Attend</c> on every path (row by row stacked and head by head, each tile width,
/// the AVX-512 six-row softmax, the online softmax; the narrower widths and scalar through SimdPathTests): a (query row,
/// head) whose visible scores hold a NaN is NaN throughout, one that sees no key is zeros, everything else matches the
/// float64 reference, and so do ±∞ inputs wherever the reference gives a number.
/// </summary>
[Trait("Category", "Numeric")]
public sealed class NanInfRuleTests(ITestOutputHelper output)
{
    /// <summary>Calls that take each path; the comments name the path on AVX-512 (see NanInfLayers.cs for the others).</summary>
    public static TheoryData<string, int, int> Calls => new()
    {
        { "NanSdpaCausal", 1, 9 },           // row, heads stacked in pairs
        { "NanSdpaCausal", 2, 9 },           // row: issue 8 saw zeros here
        { "NanSdpaCausal", 3, 9 },           // six pairs: one tile, the six-row softmax
        { "NanSdpaCausal", 12, 30 },         // several tiles, the last one sliding back
        { "NanGroupOf4", 1, 40 },            // row, a stack of four heads
        { "NanUngrouped", 3, 21 },           // row, four heads stacked without groups
        { "NanUngrouped", 8, 21 },           // tile, not causal
        { "NanGroupOf8HeadDim3", 2, 11 },    // row, eight heads head by head
        { "NanHeadDim20Causal", 3, 13 },     // row, head by head
        { "NanHeadDim20Causal", 8, 13 },     // Vector128 tile
        { "NanTileHeadDim8", 9, 20 },        // Vector256 tile
        { "NanTileHeadDim4Causal", 10, 14 }, // Vector128 tile
        { "NanOnlineCausal", 3, 1100 },      // online softmax: chunks of 512, 512 and 76 keys
        { "NanOnlineCausal", 8, 1030 },      // online, the last chunk 6 keys (the NaN key falls in it)
        { "NanOnlineCausal", 1, 1100 },      // row over 1,100 keys
        { "NanSoftcapCausalGqa", 2, 9 },     // softcap, row
        { "NanSoftcapCausalGqa", 6, 20 },    // softcap, tile
    };

    /// <summary>Causal calls with more queries than keys: the first rows see nothing.</summary>
    public static TheoryData<string, int, int> CallsWithBlindRows => new()
    {
        { "NanSdpaCausal", 2, 1 },           // row
        { "NanSdpaCausal", 12, 5 },          // tile
        { "NanGroupOf8HeadDim3", 4, 2 },     // row, head by head
        { "NanHeadDim20Causal", 8, 3 },      // Vector128 tile
        { "NanTileHeadDim4Causal", 12, 4 },  // Vector128 tile
        { "NanOnlineCausal", 8, 3 },         // online tile
    };

    [Theory]
    [MemberData(nameof(Calls))]
    public void NaNInOneQueryElement_PoisonsThatRowsHeadOnly(string name, int seqLen, int kvSeqLen)
    {
        var call = Call.Of(name, seqLen, kvSeqLen, seed: 1);
        call.Q[call.QueryIndex(row: seqLen - 1, head: call.Shape.Heads - 1, d: call.Shape.HeadDim - 1)] = float.NaN;

        Assert.Equal(1, call.AssertRule(output, "NaN in one query element"));
    }

    [Theory]
    [MemberData(nameof(Calls))]
    public void QueryRowAllNaN_IsNaNInEveryHead(string name, int seqLen, int kvSeqLen)
    {
        // Every score of the row NaN: the case that came out zeros on the row path.
        var call = Call.Of(name, seqLen, kvSeqLen, seed: 2);
        int row = seqLen / 2;
        Array.Fill(call.Q, float.NaN, row * call.Shape.QueryWidth, call.Shape.QueryWidth);

        Assert.Equal(call.Shape.Heads, call.AssertRule(output, "query row of NaN"));
    }

    [Theory]
    [MemberData(nameof(Calls))]
    public void NaNInOneKey_PoisonsTheRowsThatSeeIt(string name, int seqLen, int kvSeqLen)
    {
        // A key the last row sees and, with causal and two rows or more, the first does not.
        var call = Call.Of(name, seqLen, kvSeqLen, seed: 3);
        int key = kvSeqLen - seqLen + seqLen / 2;
        call.K[call.KeyIndex(key, kvHead: 0, d: 0)] = float.NaN;

        Assert.True(call.AssertRule(output, $"NaN in key {key}") > 0);
        if (call.Shape.Causal && seqLen >= 2)
        {
            Assert.False(call.Poisoned(0, 0), "row 0 should not see the key, so this case shows nothing about causal rows");
        }
    }

    [Theory]
    [MemberData(nameof(Calls))]
    public void NaNInTheMask_PoisonsThatRowIfItSeesTheKey(string name, int seqLen, int kvSeqLen)
    {
        var call = Call.Of(name, seqLen, kvSeqLen, seed: 4, masked: true);
        call.Mask![(seqLen / 2) * kvSeqLen] = float.NaN; // key 0: every row sees it
        if (call.Shape.Causal && seqLen >= 2)
        {
            call.Mask[kvSeqLen - 1] = float.NaN;        // row 0 does not see the last key: it stays exact
        }

        Assert.Equal(call.Shape.Heads, call.AssertRule(output, "NaN in the mask"));
    }

    [Theory]
    [MemberData(nameof(Calls))]
    public void InfinitiesInTheMask_PlusIsNaN_MinusHidesTheKey(string name, int seqLen, int kvSeqLen)
    {
        var call = Call.Of(name, seqLen, kvSeqLen, seed: 5, masked: true);
        int row = seqLen - 1;
        call.Mask![row * kvSeqLen + kvSeqLen / 2] = float.PositiveInfinity; // exp(∞ − ∞): the row is NaN
        for (int r = 0; r < row; r++)
        {
            call.Mask[r * kvSeqLen + r % kvSeqLen] = float.NegativeInfinity;
        }

        Assert.Equal(call.Shape.Heads, call.AssertRule(output, "±∞ in the mask"));
    }

    [Theory]
    [MemberData(nameof(Calls))]
    public void InfinitiesInTheInputs_MatchTheReference(string name, int seqLen, int kvSeqLen)
    {
        // A +∞ query element makes its scores ±∞ by the keys' signs, a −∞ key element its scores ±∞ by the queries'
        // signs (a +∞ score is NaN, a −∞ one hides the key), and a +∞ value element, at key 0 which every row sees,
        // is +∞ in that column of every output that weighs it.
        var call = Call.Of(name, seqLen, kvSeqLen, seed: 6);
        call.Q[call.QueryIndex(row: seqLen - 1, head: 0, d: 0)] = float.PositiveInfinity;
        call.K[call.KeyIndex(kvSeqLen - 1, kvHead: call.Shape.KvHeads - 1, d: call.Shape.HeadDim - 1)] = float.NegativeInfinity;
        call.V[call.KeyIndex(0, kvHead: 0, d: 0)] = float.PositiveInfinity;

        int nanHeads = call.AssertRule(output, "±∞ in Q, K and V");
        if (call.Shape.Softcap == 0)
        {
            Assert.True(nanHeads > 0); // a softcap turns ±∞ scores into ±Softcap instead
        }

        if (nanHeads < seqLen * call.Shape.Heads)
        {
            Assert.Contains(call.Output, float.IsPositiveInfinity);
        }
    }

    [Theory]
    [MemberData(nameof(Calls))]
    public void FullyMaskedRow_IsZeros_UnlessItsScoresHoldNaN(string name, int seqLen, int kvSeqLen)
    {
        var call = Call.Of(name, seqLen, kvSeqLen, seed: 7, masked: true);
        Array.Fill(call.Mask!, float.NegativeInfinity, 0, kvSeqLen);
        if (seqLen >= 2)
        {
            // NaN + (−∞) is NaN: a masked score that was NaN still poisons its row.
            int last = seqLen - 1;
            Array.Fill(call.Mask!, float.NegativeInfinity, last * kvSeqLen, kvSeqLen);
            call.Q[call.QueryIndex(last, head: 0, d: 0)] = float.NaN;
        }

        Assert.Equal(seqLen >= 2 ? 1 : 0, call.AssertRule(output, "fully masked rows"));
        Assert.All(call.Output.AsSpan(0, call.Shape.QueryWidth).ToArray(), x => Assert.Equal(0f, x));
    }

    [Theory]
    [MemberData(nameof(CallsWithBlindRows))]
    public void CausalRowsThatSeeNoKey_AreZeros_EvenWithNaNQueries(string name, int seqLen, int kvSeqLen)
    {
        var call = Call.Of(name, seqLen, kvSeqLen, seed: 8);
        Array.Fill(call.Q, float.NaN, 0, call.Shape.QueryWidth);                     // row 0 sees nothing
        call.K[call.KeyIndex(kvSeqLen - 1, kvHead: 0, d: 0)] = float.NaN;            // only the last row sees the last key

        Assert.Equal(call.Shape.Heads / call.Shape.KvHeads, call.AssertRule(output, "rows that see no key"));
        Assert.All(call.Output.AsSpan(0, call.Shape.QueryWidth).ToArray(), x => Assert.Equal(0f, x));
    }

    /// <summary>One call's inputs, its output once run, and the rule's expectations.</summary>
    private sealed class Call(SdpaShape shape, int seqLen, int kvSeqLen, float[] q, float[] k, float[] v, float[]? mask)
    {
        public SdpaShape Shape { get; } = shape;

        public float[] Q { get; } = q;

        public float[] K { get; } = k;

        public float[] V { get; } = v;

        public float[]? Mask { get; } = mask;

        public float[] Output { get; } = new float[seqLen * shape.QueryWidth];

        public static Call Of(string name, int seqLen, int kvSeqLen, int seed, bool masked = false)
        {
            var shape = SdpaShape.Of(name);
            var (q, k, v) = ScaledDotProductNumericTests.Inputs(shape, seqLen, kvSeqLen, seed);
            return new Call(shape, seqLen, kvSeqLen, q, k, v, masked ? TestData.Uniform(seed + 3, seqLen * kvSeqLen, 2f) : null);
        }

        public int QueryIndex(int row, int head, int d) => row * Shape.QueryWidth + head * Shape.HeadDim + d;

        public int KeyIndex(int key, int kvHead, int d) => key * Shape.KvWidth + kvHead * Shape.HeadDim + d;

        /// <summary>Keys query row <paramref name="row"/> sees: all, or causal and bottom-right aligned.</summary>
        public int Visible(int row) => Shape.Causal ? Math.Clamp(row + kvSeqLen - seqLen + 1, 0, kvSeqLen) : kvSeqLen;

        /// <summary>
        /// The rule: the (row, head) sees a key and one of its visible scores is NaN, because its query, the key, or the
        /// mask entry is NaN, or the mask entry is +∞ (∞ − ∞ in the softmax).
        /// </summary>
        public bool Poisoned(int row, int head)
        {
            int kvHead = head / (Shape.Heads / Shape.KvHeads);
            bool queryNaN = Enumerable.Range(0, Shape.HeadDim).Any(d => float.IsNaN(Q[QueryIndex(row, head, d)]));
            for (int j = 0; j < Visible(row); j++)
            {
                float additive = Mask?[row * kvSeqLen + j] ?? 0f;
                if (queryNaN || float.IsNaN(additive) || float.IsPositiveInfinity(additive)
                    || Enumerable.Range(0, Shape.HeadDim).Any(d => float.IsNaN(K[KeyIndex(j, kvHead, d)])))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// Runs the call and checks every (row, head): NaN throughout where the reference is (and, for NaN inputs, where
        /// <see cref="Poisoned"/> says), ±∞ where it is, and within tolerance of it elsewhere. Returns how many heads are
        /// NaN, for the caller to check that its case poisoned what it meant to.
        /// </summary>
        public int AssertRule(ITestOutputHelper log, string what)
        {
            if (Mask is null)
            {
                Shape.Create().Forward(Q, K, V, Output, seqLen, kvSeqLen);
            }
            else
            {
                Shape.Create().Forward(Q, K, V, Mask, Output, seqLen, kvSeqLen);
            }

            var expected = Shape.Reference(Q, K, V, Mask, seqLen, kvSeqLen);
            int nanHeads = 0, exactHeads = 0;
            double worst = 0;
            for (int row = 0; row < seqLen; row++)
            {
                for (int head = 0; head < Shape.Heads; head++)
                {
                    string where = $"{Shape} {seqLen}x{kvSeqLen}, {what}: row {row} head {head}";
                    int start = QueryIndex(row, head, 0);
                    bool referenceNaN = Enumerable.Range(start, Shape.HeadDim).Any(i => double.IsNaN(expected[i]));
                    bool inputsSayNaN = Poisoned(row, head);
                    if (inputsSayNaN && !referenceNaN)
                    {
                        throw new XunitException($"{where}: a NaN score, but the reference is not NaN");
                    }

                    if (referenceNaN)
                    {
                        nanHeads++;
                        for (int i = start; i < start + Shape.HeadDim; i++)
                        {
                            if (!float.IsNaN(Output[i]))
                            {
                                throw new XunitException($"{where}: element {i - start} is {Output[i]:G9}, not NaN");
                            }
                        }

                        continue;
                    }

                    exactHeads++;
                    for (int i = start; i < start + Shape.HeadDim; i++)
                    {
                        if (double.IsInfinity(expected[i]))
                        {
                            Assert.True(Output[i] == expected[i], $"{where}: element {i - start} is {Output[i]:G9}, expected {expected[i]}");
                        }
                        else
                        {
                            double error = Math.Abs(Output[i] - expected[i]) / Math.Max(1, Math.Abs(expected[i]));
                            worst = Math.Max(worst, double.IsNaN(error) ? double.PositiveInfinity : error);
                            Assert.True(error <= TestData.RelativeTolerance,
                                $"{where}: element {i - start} is {Output[i]:G9}, expected {expected[i]:G9}");
                        }
                    }
                }
            }

            log.WriteLine($"{Shape} {seqLen}x{kvSeqLen}, {what}: {nanHeads} NaN heads, {exactHeads} compared, max error {worst:E2}");
            return nanHeads;
        }
    }
}
