using AttentionGen.Tests.Numeric;
using AttentionGen.Tests.Reference;
using Xunit.Abstractions;
using static AttentionGen.Tests.Onnx.OnnxAttentionModels;

namespace AttentionGen.Tests.Onnx;

/// <summary>
/// Generated layers against ONNX Runtime's opset-23 Attention, an independent implementation of the same math, within
/// <see cref="TestData.RelativeTolerance"/>. ORT's is_causal is top-left aligned (see <see cref="OnnxReferenceAgreementTests"/>),
/// so causal layers with seqLen ≠ kvSeqLen are compared against ORT given the bottom-right rule as an explicit mask;
/// softcap is applied before the mask in both, so softcap and masks are compared directly.
/// </summary>
[Trait("Category", "Onnx")]
public sealed class OnnxOracleTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("SdpaPlain", 32, 32)]
    [InlineData("SdpaPlain", 5, 19)]             // cross-attention, more keys
    [InlineData("SdpaPlain", 30, 5)]             // cross-attention, fewer keys
    [InlineData("SdpaCausalGqa", 40, 40)]        // causal self-attention, GQA
    [InlineData("SdpaCausalGqa", 3, 3)]
    [InlineData("SdpaMultiQuery", 16, 48)]       // MQA
    [InlineData("SdpaSoftcap", 16, 16)]
    [InlineData("SdpaScaled", 20, 140)]          // custom scale
    [InlineData("SdpaHeadDim100", 10, 70)]
    [InlineData("SdpaHeadDim1", 9, 9)]
    [InlineData("SdpaHeadDim48Gqa", 13, 77)]
    [InlineData("SdpaLongCausal", 100, 100)]     // tiled causal with skipped blocks
    [InlineData("SdpaSoftcapCausalGqa", 20, 20)] // causal + softcap + scale
    [InlineData("SdpaWide", 8, 8)]
    public void ScaledDotProduct_MatchesOnnxRuntime(string name, int seqLen, int kvSeqLen) =>
        CompareSdpa(name, seqLen, kvSeqLen, mask: null);

    [Theory]
    [InlineData("SdpaCausalGqa", 13, 29)]        // cached prefix
    [InlineData("SdpaCausalGqa", 29, 13)]        // first 16 rows see nothing: zeros in both
    [InlineData("SdpaCausalMqaPrefix", 10, 64)]
    [InlineData("SdpaCausalMqaPrefix", 1, 64)]   // decode
    [InlineData("SdpaDecodeGqa", 1, 300)]
    [InlineData("SdpaCausalCross", 3, 30)]
    [InlineData("SdpaHeadDim3Causal", 12, 7)]
    [InlineData("SdpaLongCausal", 37, 100)]
    public void CausalWithDifferentLengths_MatchesOnnxRuntimeGivenTheBottomRightMask(string name, int seqLen, int kvSeqLen) =>
        CompareSdpa(name, seqLen, kvSeqLen, mask: null, ortMask: Masks.BottomRightCausal(seqLen, kvSeqLen), ortCausal: false);

    [Theory]
    [InlineData("SdpaPlain", 12, 20)]
    [InlineData("SdpaSoftcap", 9, 9)]            // softcap then mask, in both
    [InlineData("SdpaCausalGqa", 10, 10)]        // causal + mask; rows 0 and 1 see nothing
    [InlineData("SdpaSoftcapCausalGqa", 20, 20)]
    [InlineData("SdpaMultiQuery", 16, 48)]
    public void AdditiveMask_MatchesOnnxRuntime(string name, int seqLen, int kvSeqLen)
    {
        var mask = Masks.Padding(7, seqLen, kvSeqLen, scale: 4f);
        CompareSdpa(name, seqLen, kvSeqLen, mask);
    }

    [Fact]
    public void LargeLogits_BothAgreeWithTheReference()
    {
        var shape = SdpaShape.Of("SdpaLongCausal");
        var (q, k, v) = ScaledDotProductNumericTests.Inputs(shape, 100, 100, seed: 5, scale: 9f);
        double largest = AttentionReference.MaxAbsScore(q, k, 100, 100, shape.Heads, shape.KvHeads, shape.HeadDim, shape.Scale);
        var generated = new float[q.Length];
        shape.Create().Forward(q, k, v, generated, 100, 100);
        var ort = OrtRunner.ScaledDotProduct(Options(shape, causal: true, mask: false), q, k, v, null, 100, 100);

        var expected = shape.Reference(q, k, v, null, 100, 100);
        var tolerance = TestData.LargeLogitTolerance(largest);
        output.WriteLine($"max |score| {largest:F0}: generated vs reference {TestData.AssertClose(expected, generated, "generated", tolerance):E2}, " +
            $"ORT vs reference {TestData.AssertClose(expected, ort, "ORT", tolerance):E2}, generated vs ORT {TestData.MaxError(Array.ConvertAll(ort, x => (double)x), generated):E2}");
    }

    [Theory]
    [InlineData("MhaSelf", 24)]                  // with bias
    [InlineData("MhaSelf", 1)]
    [InlineData("MhaCausalGqaNoBias", 16)]       // causal GQA, without bias
    [InlineData("MhaCausalGqaNoBias", 7)]
    [InlineData("MhaScaledSoftcapCausal", 12)]
    [InlineData("MhaMultiQuery", 9)]
    [InlineData("MhaExplicitHeadDim", 10)]
    [InlineData("MhaHeadDim64", 20)]
    public void MultiHead_SelfAttention_MatchesOnnxRuntime(string name, int seqLen)
    {
        var shape = MhaShape.Of(name);
        var (layer, weights) = shape.CreateRandom<ISelfAttention>(seed: 50 + seqLen);
        var input = TestData.Uniform(51, seqLen * shape.ModelDim);
        var actual = new float[seqLen * shape.ModelDim];
        layer.Forward(input, actual, seqLen);

        using var ort = new OrtRunner(MultiHead(Options(shape), shape.ModelDim, shape.ModelDim, cross: false, weights));
        var expected = ort.Run(("X", input, [1, seqLen, shape.ModelDim]));
        Report($"{name} seqLen {seqLen}", TestData.AssertClose(expected, actual, $"{name} vs ORT"));
    }

    [Theory]
    [InlineData("MhaCross", 8, 30)]
    [InlineData("MhaCross", 3, 5)]
    [InlineData("MhaCrossSameWidth", 6, 20)]
    [InlineData("MhaCrossCausalGqa", 8, 8)]      // causal cross only where ORT's top-left rule agrees
    public void MultiHead_CrossAttention_MatchesOnnxRuntime(string name, int seqLen, int contextLen)
    {
        var shape = MhaShape.Of(name);
        var (layer, weights) = shape.CreateRandom<ICrossAttention>(seed: 60);
        var input = TestData.Uniform(61, seqLen * shape.ModelDim);
        var context = TestData.Uniform(62, contextLen * shape.KvInputDim);
        var actual = new float[seqLen * shape.ModelDim];
        layer.Forward(input, context, actual, seqLen, contextLen);

        using var ort = new OrtRunner(MultiHead(Options(shape), shape.ModelDim, shape.KvInputDim, cross: true, weights));
        var expected = ort.Run(("X", input, [1, seqLen, shape.ModelDim]), ("C", context, [1, contextLen, shape.KvInputDim]));
        Report($"{name} {seqLen}x{contextLen}", TestData.AssertClose(expected, actual, $"{name} vs ORT"));
    }

    private void CompareSdpa(string name, int seqLen, int kvSeqLen, float[]? mask, float[]? ortMask = null, bool? ortCausal = null)
    {
        var shape = SdpaShape.Of(name);
        var (q, k, v) = ScaledDotProductNumericTests.Inputs(shape, seqLen, kvSeqLen, seed: seqLen + kvSeqLen);
        var actual = new float[seqLen * shape.QueryWidth];
        if (mask is null)
        {
            shape.Create().Forward(q, k, v, actual, seqLen, kvSeqLen);
        }
        else
        {
            shape.Create().Forward(q, k, v, mask, actual, seqLen, kvSeqLen);
        }

        ortMask ??= mask;
        var options = Options(shape, ortCausal ?? shape.Causal, ortMask is not null);
        var expected = OrtRunner.ScaledDotProduct(options, q, k, v, ortMask, seqLen, kvSeqLen);
        Report($"{name} {seqLen}x{kvSeqLen}{(mask is null ? "" : " masked")}", TestData.AssertClose(expected, actual, $"{name} vs ORT"));
    }

    private static AttentionOptions Options(SdpaShape shape, bool causal, bool mask) =>
        new(shape.Heads, shape.KvHeads, shape.HeadDim, causal, shape.Scale, shape.Softcap, mask);

    private static AttentionOptions Options(MhaShape shape) =>
        new(shape.Heads, shape.KvHeads, shape.HeadDim, shape.Causal, shape.Scale, shape.Softcap);

    private void Report(string what, double error) => output.WriteLine($"{what}: max error vs ORT {error:E2}");
}
