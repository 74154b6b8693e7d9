using AttentionGen.Tests.Reference;
using Xunit.Abstractions;

namespace AttentionGen.Tests.Numeric;

/// <summary>Generated [MultiHeadAttention] layers against the float64 reference, within <see cref="TestData.RelativeTolerance"/>.</summary>
[Trait("Category", "Numeric")]
public sealed class MultiHeadNumericTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(24)]
    public void SelfAttention(int seqLen) =>
        CheckSelf(new MhaSelf(), MhaSelf.Parameters, seqLen, MhaSelf.ModelDim, MhaSelf.Heads, MhaSelf.KvHeads, MhaSelf.HeadDim, MhaSelf.IsCausal, MhaSelf.Scale, MhaSelf.Softcap);

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(16)]
    public void CausalGroupedQuery_WithoutBias(int seqLen) =>
        CheckSelf(new MhaCausalGqaNoBias(), MhaCausalGqaNoBias.Parameters, seqLen, MhaCausalGqaNoBias.ModelDim, MhaCausalGqaNoBias.Heads,
            MhaCausalGqaNoBias.KvHeads, MhaCausalGqaNoBias.HeadDim, MhaCausalGqaNoBias.IsCausal, MhaCausalGqaNoBias.Scale, MhaCausalGqaNoBias.Softcap);

    [Theory]
    [InlineData(3)]
    [InlineData(10)]
    public void ExplicitHeadDim(int seqLen) =>
        CheckSelf(new MhaExplicitHeadDim(), MhaExplicitHeadDim.Parameters, seqLen, MhaExplicitHeadDim.ModelDim, MhaExplicitHeadDim.Heads,
            MhaExplicitHeadDim.KvHeads, MhaExplicitHeadDim.HeadDim, MhaExplicitHeadDim.IsCausal, MhaExplicitHeadDim.Scale, MhaExplicitHeadDim.Softcap);

    [Theory]
    [InlineData(8)]
    [InlineData(6)]
    public void SelfAttention_KeyBoundBelowQueryBound(int seqLen) =>
        CheckSelf(new MhaShortKvBound(), MhaShortKvBound.Parameters, seqLen, MhaShortKvBound.ModelDim, MhaShortKvBound.Heads,
            MhaShortKvBound.KvHeads, MhaShortKvBound.HeadDim, MhaShortKvBound.IsCausal, MhaShortKvBound.Scale, MhaShortKvBound.Softcap);

    [Theory]
    [InlineData(8, 30)]
    [InlineData(1, 1)]
    [InlineData(5, 3)]
    public void CrossAttention_WithSoftcap(int seqLen, int contextLen)
    {
        var layer = new MhaCross();
        var weights = LayerWeights.Randomize(layer, MhaCross.Parameters, seed: 40);
        var input = TestData.Uniform(41, seqLen * MhaCross.ModelDim);
        var context = TestData.Uniform(42, contextLen * MhaCross.KvInputDim);
        var actual = new float[seqLen * MhaCross.ModelDim];

        layer.Forward(input, context, actual, seqLen, contextLen);

        var expected = AttentionReference.MultiHead(input, context, seqLen, contextLen, MhaCross.ModelDim, MhaCross.KvInputDim,
            MhaCross.Heads, MhaCross.KvHeads, MhaCross.HeadDim, MhaCross.IsCausal, MhaCross.Scale, MhaCross.Softcap, weights);
        Report(TestData.AssertClose(expected, actual, $"cross seqLen {seqLen} contextLen {contextLen}"));
    }

    private void CheckSelf(ISelfAttention layer, IReadOnlyList<ParameterSpec> parameters, int seqLen, int modelDim, int heads, int kvHeads,
        int headDim, bool causal, float scale, float softcap)
    {
        var weights = LayerWeights.Randomize(layer, parameters, seed: seqLen);
        var input = TestData.Uniform(seqLen + 100, seqLen * modelDim);
        var actual = new float[seqLen * modelDim];

        layer.Forward(input, actual, seqLen);

        var expected = AttentionReference.MultiHead(input, input, seqLen, seqLen, modelDim, modelDim, heads, kvHeads, headDim, causal, scale, softcap, weights);
        Report(TestData.AssertClose(expected, actual, $"{layer.GetType().Name} seqLen {seqLen}"));
    }

    private void Report(double error) => output.WriteLine($"max error {error:E2}");
}
