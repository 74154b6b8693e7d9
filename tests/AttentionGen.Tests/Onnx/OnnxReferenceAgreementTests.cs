using AttentionGen.Tests.Reference;
using Xunit.Abstractions;
using static AttentionGen.Tests.Onnx.OnnxAttentionModels;

namespace AttentionGen.Tests.Onnx;

/// <summary>
/// ONNX Runtime against the float64 reference, with no generated code involved: two independent implementations of
/// attention agreeing validates both, and the tests below pin down where ONNX's Attention (opset 23, ORT 1.31.1)
/// differs from the AttentionGen contract, so the oracle tests only compare where the two definitions coincide.
/// Findings:
/// <list type="bullet">
/// <item>is_causal (without past_key) is TOP-LEFT aligned: query i sees keys j ≤ i, whatever the lengths. AttentionGen
/// is bottom-right aligned (j ≤ i + kvSeqLen − seqLen). They agree when seqLen == kvSeqLen; otherwise give ORT the
/// bottom-right mask explicitly.</item>
/// <item>softcap is applied to the raw scores, before attn_mask is added: the same order as AttentionGen.</item>
/// <item>is_causal and a float attn_mask combine (both are added).</item>
/// <item>A row whose mask is all -∞ comes out as zeros (not NaN), as in AttentionGen.</item>
/// <item>An absent scale attribute means 1/√head_size; kv heads are shared by consecutive query heads (h / group).</item>
/// </list>
/// </summary>
[Trait("Category", "Onnx")]
public sealed class OnnxReferenceAgreementTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(4, 4, 16, 7, 19, false, 0f, 0f)]      // cross-attention shapes, default scale
    [InlineData(8, 2, 32, 12, 12, true, 0f, 0f)]      // causal GQA
    [InlineData(4, 1, 12, 5, 30, false, 0f, 0f)]      // MQA
    [InlineData(2, 2, 64, 9, 40, false, 0.3f, 0f)]    // custom scale
    [InlineData(2, 2, 20, 16, 16, false, 0f, 5f)]     // softcap
    [InlineData(3, 3, 3, 6, 6, true, 0f, 0f)]         // head dim 3
    [InlineData(1, 1, 100, 4, 70, false, 0f, 0f)]     // head dim 100
    [InlineData(6, 3, 1, 5, 5, true, 0.7f, 2.5f)]     // head dim 1, causal, scale and softcap together
    [InlineData(2, 1, 8, 1, 33, false, 0f, 0f)]       // one query row
    [InlineData(4, 2, 16, 20, 11, false, 0f, 0f)]     // fewer keys than queries
    public void OrtMatchesReference(int heads, int kvHeads, int headDim, int seqLen, int kvSeqLen, bool causal, float scale, float softcap)
    {
        var (q, k, v) = Inputs(heads, kvHeads, headDim, seqLen, kvSeqLen, seed: heads * 100 + headDim);
        var actual = OrtRunner.ScaledDotProduct(new AttentionOptions(heads, kvHeads, headDim, causal, scale, softcap), q, k, v, null, seqLen, kvSeqLen);
        var expected = AttentionReference.Sdpa(q, k, v, seqLen, kvSeqLen, heads, kvHeads, headDim, causal, EffectiveScale(scale, headDim), softcap);
        Report("ORT vs reference", TestData.AssertClose(expected, actual, $"ORT vs reference ({heads}/{kvHeads}x{headDim}, {seqLen}x{kvSeqLen})"));
    }

    [Theory]
    [InlineData(4, 9)]
    [InlineData(9, 4)]
    public void IsCausal_IsTopLeftAligned_WhenTheLengthsDiffer(int seqLen, int kvSeqLen)
    {
        const int Heads = 2, HeadDim = 8;
        var (q, k, v) = Inputs(Heads, Heads, HeadDim, seqLen, kvSeqLen, seed: 3);
        var actual = OrtRunner.ScaledDotProduct(new AttentionOptions(Heads, Heads, HeadDim, true, 0, 0), q, k, v, null, seqLen, kvSeqLen);

        var topLeft = AttentionReference.Sdpa(q, k, v, seqLen, kvSeqLen, Heads, Heads, HeadDim, false, EffectiveScale(0, HeadDim), 0,
            Masks.TopLeftCausal(seqLen, kvSeqLen));
        var bottomRight = AttentionReference.Sdpa(q, k, v, seqLen, kvSeqLen, Heads, Heads, HeadDim, true, EffectiveScale(0, HeadDim));
        Report("top-left", TestData.AssertClose(topLeft, actual, "ORT is_causal vs top-left reference"));
        Assert.True(TestData.MaxError(bottomRight, actual) > 1e-2, "ORT's is_causal unexpectedly matches the bottom-right rule");
    }

    [Theory]
    [InlineData(4, 9)]
    [InlineData(9, 4)]  // rows 0..4 see nothing: ORT gives zeros there, like the contract
    [InlineData(6, 6)]
    public void ExplicitBottomRightMask_ReproducesTheContractsCausalRule(int seqLen, int kvSeqLen)
    {
        const int Heads = 4, KvHeads = 2, HeadDim = 8;
        var (q, k, v) = Inputs(Heads, KvHeads, HeadDim, seqLen, kvSeqLen, seed: 4);
        var actual = OrtRunner.ScaledDotProduct(new AttentionOptions(Heads, KvHeads, HeadDim, false, 0, 0, Mask: true), q, k, v,
            Masks.BottomRightCausal(seqLen, kvSeqLen), seqLen, kvSeqLen);
        var expected = AttentionReference.Sdpa(q, k, v, seqLen, kvSeqLen, Heads, KvHeads, HeadDim, true, EffectiveScale(0, HeadDim));
        Report("bottom-right mask", TestData.AssertClose(expected, actual, "ORT with a bottom-right mask vs causal reference"));
    }

    [Fact]
    public void Softcap_IsAppliedBeforeTheMask()
    {
        const int Heads = 2, HeadDim = 8, SeqLen = 6, KvSeqLen = 7;
        const float Cap = 2f;
        var (q, k, v) = Inputs(Heads, Heads, HeadDim, SeqLen, KvSeqLen, seed: 5, scale: 4f);
        var mask = TestData.Uniform(6, SeqLen * KvSeqLen, scale: 3f);
        var actual = OrtRunner.ScaledDotProduct(new AttentionOptions(Heads, Heads, HeadDim, false, 0, Cap, Mask: true), q, k, v, mask, SeqLen, KvSeqLen);

        double scale = EffectiveScale(0, HeadDim);
        var before = AttentionReference.Sdpa(q, k, v, SeqLen, KvSeqLen, Heads, Heads, HeadDim, false, scale, Cap, mask);
        var after = AttentionReference.Sdpa(q, k, v, SeqLen, KvSeqLen, Heads, Heads, HeadDim, false, scale, Cap, mask, softcapAfterMask: true);
        Report("softcap before mask", TestData.AssertClose(before, actual, "ORT softcap+mask vs softcap-then-mask reference"));
        Assert.True(TestData.MaxError(after, actual) > 1e-2, "the two softcap orders should differ on this input; the test proves nothing");
    }

    [Fact]
    public void CausalAndMask_Combine_AndAFullyMaskedRowIsZeros()
    {
        const int Heads = 3, HeadDim = 16, Len = 8;
        var (q, k, v) = Inputs(Heads, Heads, HeadDim, Len, Len, seed: 7);
        var mask = Masks.Padding(8, Len, Len, fullyMaskedRow: 2);
        var actual = OrtRunner.ScaledDotProduct(new AttentionOptions(Heads, Heads, HeadDim, true, 0, 0, Mask: true), q, k, v, mask, Len, Len);

        var expected = AttentionReference.Sdpa(q, k, v, Len, Len, Heads, Heads, HeadDim, true, EffectiveScale(0, HeadDim), 0, mask);
        Report("causal + mask", TestData.AssertClose(expected, actual, "ORT causal+mask vs reference"));
        Assert.All(actual.AsSpan(0, Heads * HeadDim).ToArray(), x => Assert.Equal(0f, x)); // row 0: its only causal key is masked
        Assert.All(actual.AsSpan(2 * Heads * HeadDim, Heads * HeadDim).ToArray(), x => Assert.Equal(0f, x));
    }

    [Theory]
    [InlineData(false, true, 0)]
    [InlineData(true, false, 0)]
    [InlineData(false, true, 24)]
    public void MultiHeadGraph_MatchesReference(bool causal, bool bias, int kvInputDim)
    {
        const int ModelDim = 32, Heads = 4, KvHeads = 2, HeadDim = 8, SeqLen = 6;
        int contextLen = kvInputDim > 0 ? 11 : SeqLen, kvIn = kvInputDim > 0 ? kvInputDim : ModelDim;
        var weights = new Dictionary<string, float[]>
        {
            ["q_proj.weight"] = TestData.Uniform(1, Heads * HeadDim * ModelDim, 0.3f),
            ["k_proj.weight"] = TestData.Uniform(2, KvHeads * HeadDim * kvIn, 0.3f),
            ["v_proj.weight"] = TestData.Uniform(3, KvHeads * HeadDim * kvIn, 0.3f),
            ["o_proj.weight"] = TestData.Uniform(4, ModelDim * Heads * HeadDim, 0.3f),
        };
        if (bias)
        {
            weights["q_proj.bias"] = TestData.Uniform(5, Heads * HeadDim);
            weights["k_proj.bias"] = TestData.Uniform(6, KvHeads * HeadDim);
            weights["v_proj.bias"] = TestData.Uniform(7, KvHeads * HeadDim);
            weights["o_proj.bias"] = TestData.Uniform(8, ModelDim);
        }

        var input = TestData.Uniform(9, SeqLen * ModelDim);
        var context = kvInputDim > 0 ? TestData.Uniform(10, contextLen * kvIn) : input;
        var options = new AttentionOptions(Heads, KvHeads, HeadDim, causal, 0, 0);
        using var ort = new OrtRunner(MultiHead(options, ModelDim, kvIn, cross: kvInputDim > 0, weights));
        var actual = kvInputDim > 0
            ? ort.Run(("X", input, [1, SeqLen, ModelDim]), ("C", context, [1, contextLen, kvIn]))
            : ort.Run(("X", input, [1, SeqLen, ModelDim]));

        var expected = AttentionReference.MultiHead(input, context, SeqLen, contextLen, ModelDim, kvIn, Heads, KvHeads, HeadDim, causal,
            EffectiveScale(0, HeadDim), 0, weights);
        Report("MHA graph", TestData.AssertClose(expected, actual, "ORT MHA graph vs reference"));
    }

    internal static double EffectiveScale(float scale, int headDim) => scale > 0 ? scale : 1 / Math.Sqrt(headDim);

    internal static (float[] Q, float[] K, float[] V) Inputs(int heads, int kvHeads, int headDim, int seqLen, int kvSeqLen, int seed, float scale = 1f) =>
        (TestData.Uniform(seed, seqLen * heads * headDim, scale),
         TestData.Uniform(seed + 1, kvSeqLen * kvHeads * headDim, scale),
         TestData.Uniform(seed + 2, kvSeqLen * kvHeads * headDim));

    private void Report(string what, double error) => output.WriteLine($"{what}: max error {error:E2}");
}
