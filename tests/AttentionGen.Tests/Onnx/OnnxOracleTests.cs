using AttentionGen.Tests.Numeric;
using AttentionGen.Tests.Reference;
using Xunit.Abstractions;
using static AttentionGen.Tests.Onnx.OnnxAttentionModels;

namespace AttentionGen.Tests.Onnx;

/// <summary>
/// Generated layers against ONNX Runtime's opset-23 Attention, an independent implementation of the same spec, within
/// <see cref="TestData.RelativeTolerance"/>. ORT 1.31 aligns is_causal top-left when seqLen ≠ kvSeqLen (ours is
/// bottom-right, so a cached prefix stays visible), so causal cases use seqLen == kvSeqLen. Softcap before the mask, the
/// KV-head mapping h / (Heads / KvHeads) and zeros for a fully masked row agree with ORT 1.31 (the first opset-23
/// reference implementation differed on the first two).
/// </summary>
[Trait("Category", "Onnx")]
public sealed class OnnxOracleTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("Plain", 32, 32)]
    [InlineData("Plain", 5, 19)]
    [InlineData("CausalGqa", 40, 40)]
    [InlineData("CausalGqa", 3, 3)]
    [InlineData("MultiQuery", 16, 48)]
    [InlineData("Softcap", 16, 16)]
    [InlineData("Scaled", 20, 140)]
    [InlineData("HeadDim100", 10, 70)]
    public void ScaledDotProduct_MatchesOnnxRuntime(string name, int seqLen, int kvSeqLen)
    {
        var (layer, options) = Sdpa(name);
        var q = TestData.Uniform(1, seqLen * options.Heads * options.HeadDim);
        var k = TestData.Uniform(2, kvSeqLen * options.KvHeads * options.HeadDim);
        var v = TestData.Uniform(3, kvSeqLen * options.KvHeads * options.HeadDim);
        var actual = new float[q.Length];
        layer.Forward(q, k, v, actual, seqLen, kvSeqLen);

        using var ort = new OrtRunner(ScaledDotProduct(options));
        var expected = ort.Run(("Q", q, [1, seqLen, options.Heads * options.HeadDim]),
            ("K", k, [1, kvSeqLen, options.KvHeads * options.HeadDim]), ("V", v, [1, kvSeqLen, options.KvHeads * options.HeadDim]));

        Report(name, TestData.AssertClose(expected.Select(x => (double)x).ToArray(), actual, $"{name} vs ORT"));
    }

    [Fact]
    public void AdditiveMask_MatchesOnnxRuntime()
    {
        const int SeqLen = 12, KvSeqLen = 20;
        var layer = new SdpaPlain();
        var options = new AttentionOptions(SdpaPlain.Heads, SdpaPlain.KvHeads, SdpaPlain.HeadDim, false, SdpaPlain.Scale, 0, Mask: true);
        var q = TestData.Uniform(4, SeqLen * SdpaPlain.QueryWidth);
        var k = TestData.Uniform(5, KvSeqLen * SdpaPlain.KvWidth);
        var v = TestData.Uniform(6, KvSeqLen * SdpaPlain.KvWidth);
        var mask = TestData.Uniform(7, SeqLen * KvSeqLen, scale: 4f);
        for (int i = 0; i < mask.Length; i += 5)
        {
            mask[i] = float.NegativeInfinity;
        }

        var actual = new float[q.Length];
        layer.Forward(q, k, v, mask, actual, SeqLen, KvSeqLen);

        using var ort = new OrtRunner(ScaledDotProduct(options));
        var expected = ort.Run(("Q", q, [1, SeqLen, SdpaPlain.QueryWidth]), ("K", k, [1, KvSeqLen, SdpaPlain.KvWidth]),
            ("V", v, [1, KvSeqLen, SdpaPlain.KvWidth]), ("mask", mask, [SeqLen, KvSeqLen]));
        Report("mask", TestData.AssertClose(expected.Select(x => (double)x).ToArray(), actual, "mask vs ORT"));
    }

    [Theory]
    [InlineData(24)]
    [InlineData(1)]
    public void MultiHead_SelfWithBias_MatchesOnnxRuntime(int seqLen) =>
        CheckMultiHead(new MhaSelf(), MhaSelf.Parameters, seqLen, MhaSelf.ModelDim,
            new AttentionOptions(MhaSelf.Heads, MhaSelf.KvHeads, MhaSelf.HeadDim, MhaSelf.IsCausal, MhaSelf.Scale, MhaSelf.Softcap));

    [Theory]
    [InlineData(16)]
    [InlineData(7)]
    public void MultiHead_CausalGqaWithoutBias_MatchesOnnxRuntime(int seqLen) =>
        CheckMultiHead(new MhaCausalGqaNoBias(), MhaCausalGqaNoBias.Parameters, seqLen, MhaCausalGqaNoBias.ModelDim,
            new AttentionOptions(MhaCausalGqaNoBias.Heads, MhaCausalGqaNoBias.KvHeads, MhaCausalGqaNoBias.HeadDim, MhaCausalGqaNoBias.IsCausal,
                MhaCausalGqaNoBias.Scale, MhaCausalGqaNoBias.Softcap));

    [Theory]
    [InlineData(8, 30)]
    [InlineData(3, 5)]
    public void MultiHead_CrossAttention_MatchesOnnxRuntime(int seqLen, int contextLen)
    {
        var layer = new MhaCross();
        var weights = LayerWeights.Randomize(layer, MhaCross.Parameters, seed: 60);
        var input = TestData.Uniform(61, seqLen * MhaCross.ModelDim);
        var context = TestData.Uniform(62, contextLen * MhaCross.KvInputDim);
        var actual = new float[seqLen * MhaCross.ModelDim];
        layer.Forward(input, context, actual, seqLen, contextLen);

        var options = new AttentionOptions(MhaCross.Heads, MhaCross.KvHeads, MhaCross.HeadDim, MhaCross.IsCausal, MhaCross.Scale, MhaCross.Softcap);
        using var ort = new OrtRunner(MultiHead(options, MhaCross.ModelDim, MhaCross.KvInputDim, cross: true, weights));
        var expected = ort.Run(("X", input, [1, seqLen, MhaCross.ModelDim]), ("C", context, [1, contextLen, MhaCross.KvInputDim]));
        Report("cross", TestData.AssertClose(expected.Select(x => (double)x).ToArray(), actual, "cross vs ORT"));
    }

    private void CheckMultiHead(ISelfAttention layer, IReadOnlyList<ParameterSpec> parameters, int seqLen, int modelDim, AttentionOptions options)
    {
        var weights = LayerWeights.Randomize(layer, parameters, seed: 50 + seqLen);
        var input = TestData.Uniform(51, seqLen * modelDim);
        var actual = new float[seqLen * modelDim];
        layer.Forward(input, actual, seqLen);

        using var ort = new OrtRunner(MultiHead(options, modelDim, modelDim, cross: false, weights));
        var expected = ort.Run(("X", input, [1, seqLen, modelDim]));
        Report(layer.GetType().Name, TestData.AssertClose(expected.Select(x => (double)x).ToArray(), actual, $"{layer.GetType().Name} vs ORT"));
    }

    private static (IScaledDotProduct Layer, AttentionOptions Options) Sdpa(string name) => name switch
    {
        "Plain" => (new SdpaPlain(), new(SdpaPlain.Heads, SdpaPlain.KvHeads, SdpaPlain.HeadDim, SdpaPlain.IsCausal, SdpaPlain.Scale, SdpaPlain.Softcap)),
        "CausalGqa" => (new SdpaCausalGqa(), new(SdpaCausalGqa.Heads, SdpaCausalGqa.KvHeads, SdpaCausalGqa.HeadDim, SdpaCausalGqa.IsCausal, SdpaCausalGqa.Scale, SdpaCausalGqa.Softcap)),
        "MultiQuery" => (new SdpaMultiQuery(), new(SdpaMultiQuery.Heads, SdpaMultiQuery.KvHeads, SdpaMultiQuery.HeadDim, SdpaMultiQuery.IsCausal, SdpaMultiQuery.Scale, SdpaMultiQuery.Softcap)),
        "Softcap" => (new SdpaSoftcap(), new(SdpaSoftcap.Heads, SdpaSoftcap.KvHeads, SdpaSoftcap.HeadDim, SdpaSoftcap.IsCausal, SdpaSoftcap.Scale, SdpaSoftcap.Softcap)),
        "Scaled" => (new SdpaScaled(), new(SdpaScaled.Heads, SdpaScaled.KvHeads, SdpaScaled.HeadDim, SdpaScaled.IsCausal, SdpaScaled.Scale, SdpaScaled.Softcap)),
        "HeadDim100" => (new SdpaHeadDim100(), new(SdpaHeadDim100.Heads, SdpaHeadDim100.KvHeads, SdpaHeadDim100.HeadDim, SdpaHeadDim100.IsCausal, SdpaHeadDim100.Scale, SdpaHeadDim100.Softcap)),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private void Report(string what, double error) => output.WriteLine($"{what}: max error vs ORT {error:E2}");
}
