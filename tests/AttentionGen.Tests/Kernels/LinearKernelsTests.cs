using AttentionGen.Kernels;

namespace AttentionGen.Tests.Kernels;

/// <summary>
/// <see cref="LinearKernels.Forward"/> against a float64 reference. Tolerance: 1e-5 relative to Σ|x·w| + |b| for
/// each output (the magnitude the float accumulation error scales with), so cancellation cannot hide an error
/// or cause a false failure.
/// </summary>
[Trait("Category", "Numeric")]
public sealed class LinearKernelsTests
{
    private const double Relative = 1e-5;
    private const float Sentinel = -12345f;

    public static IEnumerable<object[]> Shapes()
    {
        int[] inDims = [1, 3, 4, 7, 8, 12, 15, 16, 17, 20, 31, 32, 33, 64, 100];
        int[] outDims = [1, 3, 4, 5, 8, 17, 64];
        int[] rowCounts = [1, 2, 3, 5];
        foreach (int inDim in inDims)
        {
            foreach (int outDim in outDims)
            {
                foreach (int rows in rowCounts)
                {
                    yield return [rows, inDim, outDim];
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Forward_MatchesDoubleReference(int rows, int inDim, int outDim)
    {
        int seed = rows * 10007 + inDim * 101 + outDim;
        float[] input = KernelReference.Uniform(rows * inDim, -1f, 1f, seed);
        float[] weight = KernelReference.Uniform(outDim * inDim, -1f, 1f, seed + 1);
        float[] bias = KernelReference.Uniform(outDim, -1f, 1f, seed + 2);

        foreach (bool withBias in new[] { true, false })
        {
            ReadOnlySpan<float> b = withBias ? bias : ReadOnlySpan<float>.Empty;
            // One extra element past the end checks nothing beyond rows·outDim is written.
            var output = new float[rows * outDim + 1];
            output[^1] = Sentinel;

            LinearKernels.Forward(input, weight, b, output, rows, inDim, outDim);

            AssertMatchesReference(input, weight, b, output, rows, inDim, outDim);
            Assert.Equal(Sentinel, output[^1]);
        }
    }

    [Fact]
    public void Forward_LargerShape_MatchesDoubleReference()
    {
        const int rows = 37, inDim = 256, outDim = 96;
        float[] input = KernelReference.Uniform(rows * inDim, -1f, 1f, 1);
        float[] weight = KernelReference.Uniform(outDim * inDim, -1f, 1f, 2);
        float[] bias = KernelReference.Uniform(outDim, -1f, 1f, 3);
        var output = new float[rows * outDim];
        LinearKernels.Forward(input, weight, bias, output, rows, inDim, outDim);
        AssertMatchesReference(input, weight, bias, output, rows, inDim, outDim);
    }

    [Fact]
    public void Forward_LongerInputAndOutputSpans_UseOnlyThePrefix()
    {
        const int rows = 3, inDim = 17, outDim = 5;
        float[] input = KernelReference.Uniform(rows * inDim + 9, -1f, 1f, 4);
        float[] weight = KernelReference.Uniform(outDim * inDim, -1f, 1f, 5);
        var output = Enumerable.Repeat(Sentinel, rows * outDim + 7).ToArray();

        LinearKernels.Forward(input, weight, ReadOnlySpan<float>.Empty, output, rows, inDim, outDim);

        AssertMatchesReference(input.AsSpan(0, rows * inDim), weight, ReadOnlySpan<float>.Empty, output.AsSpan(0, rows * outDim), rows, inDim, outDim);
        Assert.All(output[(rows * outDim)..], v => Assert.Equal(Sentinel, v));
    }

    [Theory]
    [InlineData(17)]
    [InlineData(33)]
    [InlineData(100)]
    public void Forward_InfiniteWeightInTheOverlappedTail_GivesInfinityNotNaN(int inDim)
    {
        // The vector tail re-reads lanes the main loop already summed; they must be masked out of both operands,
        // or 0·∞ would turn the correct +∞ into NaN.
        const int outDim = 5, rows = 2;
        float[] input = Enumerable.Repeat(1f, rows * inDim).ToArray();
        float[] weight = Enumerable.Repeat(0.5f, outDim * inDim).ToArray();
        for (int o = 0; o < outDim; o++)
        {
            weight[o * inDim + inDim - 15] = float.PositiveInfinity;
        }
        var output = new float[rows * outDim];

        LinearKernels.Forward(input, weight, ReadOnlySpan<float>.Empty, output, rows, inDim, outDim);

        Assert.All(output, v => Assert.Equal(float.PositiveInfinity, v));
    }

    [Fact]
    public void Forward_ZeroRows_DoesNothing()
    {
        var output = new[] { Sentinel };
        LinearKernels.Forward(ReadOnlySpan<float>.Empty, new float[6], new float[2], output, rows: 0, inDim: 3, outDim: 2);
        Assert.Equal(Sentinel, output[0]);
    }

    [Fact]
    public void Forward_BadLengths_ThrowNamingTheParameter()
    {
        float[] input = new float[2 * 3], weight = new float[4 * 3], bias = new float[4], output = new float[2 * 4];

        Assert.Equal("input", Assert.Throws<ArgumentException>(() => LinearKernels.Forward(input.AsSpan(1), weight, bias, output, 2, 3, 4)).ParamName);
        Assert.Equal("weight", Assert.Throws<ArgumentException>(() => LinearKernels.Forward(input, weight.AsSpan(1), bias, output, 2, 3, 4)).ParamName);
        Assert.Equal("weight", Assert.Throws<ArgumentException>(() => LinearKernels.Forward(input, new float[13], bias, output, 2, 3, 4)).ParamName);
        Assert.Equal("bias", Assert.Throws<ArgumentException>(() => LinearKernels.Forward(input, weight, bias.AsSpan(1), output, 2, 3, 4)).ParamName);
        Assert.Equal("output", Assert.Throws<ArgumentException>(() => LinearKernels.Forward(input, weight, bias, output.AsSpan(1), 2, 3, 4)).ParamName);
        Assert.Equal("rows", Assert.Throws<ArgumentOutOfRangeException>(() => LinearKernels.Forward(input, weight, bias, output, -1, 3, 4)).ParamName);
        Assert.Equal("inDim", Assert.Throws<ArgumentOutOfRangeException>(() => LinearKernels.Forward(input, weight, bias, output, 2, -3, 4)).ParamName);
        Assert.Equal("outDim", Assert.Throws<ArgumentOutOfRangeException>(() => LinearKernels.Forward(input, weight, bias, output, 2, 3, -4)).ParamName);
    }

    private static void AssertMatchesReference(
        ReadOnlySpan<float> input, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, ReadOnlySpan<float> output,
        int rows, int inDim, int outDim)
    {
        for (int r = 0; r < rows; r++)
        {
            for (int o = 0; o < outDim; o++)
            {
                double sum = bias.IsEmpty ? 0 : bias[o];
                double magnitude = bias.IsEmpty ? 0 : Math.Abs(bias[o]);
                for (int i = 0; i < inDim; i++)
                {
                    double product = (double)input[r * inDim + i] * weight[o * inDim + i];
                    sum += product;
                    magnitude += Math.Abs(product);
                }
                float actual = output[r * outDim + o];
                double allowed = Relative * Math.Max(magnitude, 1e-30);
                Assert.True(Math.Abs(actual - sum) <= allowed,
                    $"[rows={rows}, inDim={inDim}, outDim={outDim}, bias={!bias.IsEmpty}] output[{r}, {o}] = {actual:R}, expected {sum:R} (allowed error {allowed:E2})");
            }
        }
    }
}
