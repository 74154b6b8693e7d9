using AttentionGen.Tests.Reference;
using Xunit.Abstractions;

namespace AttentionGen.Tests.Numeric;

/// <summary>Generated [AttentionPooling] layers against the float64 reference, outputs and attention weights both.</summary>
[Trait("Category", "Numeric")]
public sealed class PoolingNumericTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(1)]
    [InlineData(6)]
    [InlineData(10)]
    public void Wide(int seqLen) => Check(new PoolWide(), PoolWide.Parameters, seqLen, PoolWide.InputDim, PoolWide.OutputDim);

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    public void Narrow(int seqLen) => Check(new PoolNarrow(), PoolNarrow.Parameters, seqLen, PoolNarrow.InputDim, PoolNarrow.OutputDim);

    [Theory]
    [InlineData(4)]
    public void OddWidth(int seqLen) => Check(new PoolOdd(), PoolOdd.Parameters, seqLen, PoolOdd.InputDim, PoolOdd.OutputDim);

    private void Check(IPooling layer, IReadOnlyList<ParameterSpec> parameters, int seqLen, int inputDim, int outputDim)
    {
        var weights = LayerWeights.Randomize(layer, parameters, seed: 10 + seqLen);
        var input = TestData.Uniform(20 + seqLen, seqLen * inputDim, scale: 3f);
        var actual = new float[outputDim];
        var alpha = new float[seqLen];

        layer.Forward(input, actual, alpha, seqLen);

        var (expected, expectedAlpha) = AttentionReference.Pooling(input, seqLen, inputDim, outputDim, weights);
        var error = TestData.AssertClose(expected, actual, $"{layer.GetType().Name} output, seqLen {seqLen}");
        error = Math.Max(error, TestData.AssertClose(expectedAlpha, alpha, $"{layer.GetType().Name} weights, seqLen {seqLen}"));
        Assert.Equal(1.0, alpha.Sum(x => (double)x), 5);

        var withoutWeights = new float[outputDim];
        layer.Forward(input, withoutWeights, seqLen);
        Assert.Equal(actual, withoutWeights);
        output.WriteLine($"max error {error:E2}");
    }
}
