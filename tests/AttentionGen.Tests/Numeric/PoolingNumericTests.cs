using AttentionGen.Tests.Reference;
using Xunit.Abstractions;

namespace AttentionGen.Tests.Numeric;

/// <summary>Generated [AttentionPooling] layers against the float64 reference, outputs and attention weights both.</summary>
[Trait("Category", "Numeric")]
public sealed class PoolingNumericTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("PoolWide", 1)]
    [InlineData("PoolWide", 6)]
    [InlineData("PoolWide", 10)]
    [InlineData("PoolNarrow", 1)]
    [InlineData("PoolNarrow", 7)]
    [InlineData("PoolOdd", 4)]
    [InlineData("PoolOdd", 3)]
    [InlineData("PoolInputDim1", 12)]
    [InlineData("PoolInputDim1", 5)]
    [InlineData("PoolSingle", 1)]
    [InlineData("PoolLong", 300)]
    [InlineData("PoolLong", 129)]
    public void MatchesReference(string name, int seqLen)
    {
        double largest = Check(PoolShape.Of(name), seqLen, weightScale: 1f, inputScale: 3f, TestData.RelativeTolerance);
        Assert.True(largest < 32, $"ordinary inputs should give ordinary logits; got {largest:F1}");
    }

    [Theory]
    [InlineData("PoolWide", 10)]
    [InlineData("PoolLong", 300)]
    public void LargeLogits_WouldOverflowWithoutMaxSubtraction(string name, int seqLen)
    {
        var shape = PoolShape.Of(name);
        double largest = Logits(shape, seqLen, weightScale: 60f, inputScale: 3f).Max(Math.Abs);
        Assert.True(largest > 88.8, $"largest |logit| is only {largest:F1}"); // past float exp's overflow point
        Check(shape, seqLen, weightScale: 60f, inputScale: 3f, TestData.LargeLogitTolerance(largest));
    }

    /// <returns>The largest |logit|.</returns>
    private double Check(PoolShape shape, int seqLen, float weightScale, float inputScale, double tolerance)
    {
        var (weights, input) = Inputs(shape, seqLen, weightScale, inputScale);
        var layer = shape.Create(TestWeights.Build(shape.Type, weights));
        var actual = new float[shape.OutputDim];
        var alpha = new float[seqLen + 2];
        alpha[^2] = alpha[^1] = 42f; // longer than needed: only the first seqLen entries are written

        layer.Forward(input, actual, alpha, seqLen);

        var (expected, expectedAlpha) = AttentionReference.Pooling(input, seqLen, shape.InputDim, shape.OutputDim, weights);
        var error = TestData.AssertClose(expected, actual, $"{shape} output, seqLen {seqLen}", tolerance);
        error = Math.Max(error, TestData.AssertClose(expectedAlpha, alpha, $"{shape} weights, seqLen {seqLen}", tolerance));
        Assert.Equal(1.0, alpha.Take(seqLen).Sum(x => (double)x), 5);
        Assert.Equal([42f, 42f], alpha[^2..]);

        var withoutWeights = new float[shape.OutputDim];
        layer.Forward(input, withoutWeights, seqLen);
        Assert.Equal(actual, withoutWeights);
        double largest = Logits(shape, seqLen, weightScale, inputScale).Max(Math.Abs);
        output.WriteLine($"{shape} seqLen {seqLen} (max |logit| {largest:F0}): max error {error:E2}");
        return largest;
    }

    private static (Dictionary<string, float[]> Weights, float[] Input) Inputs(PoolShape shape, int seqLen, float weightScale, float inputScale) =>
        (TestWeights.RandomValues(shape.Parameters, seed: 10 + seqLen, weightScale), TestData.Uniform(20 + seqLen, seqLen * shape.InputDim, inputScale));

    /// <summary>The score logits xᵢ·w + b the given seeds produce, in double.</summary>
    private static double[] Logits(PoolShape shape, int seqLen, float weightScale, float inputScale)
    {
        var (weights, input) = Inputs(shape, seqLen, weightScale, inputScale);
        return AttentionReference.Linear(Array.ConvertAll(input, x => (double)x), seqLen, shape.InputDim, weights["score.weight"], weights["score.bias"], 1);
    }
}
