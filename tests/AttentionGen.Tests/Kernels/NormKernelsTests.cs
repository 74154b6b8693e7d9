using AttentionGen.Kernels;

namespace AttentionGen.Tests.Kernels;

/// <summary>
/// LayerNorm, the fused residual LayerNorm and RMSNorm against float64 references, |a − r| ≤ 1e-5·max(1, |r|), at row
/// widths that are not multiples of any vector (1, 7, 33, 1000) and BERT's 384, with BERT's epsilon and Llama's.
/// </summary>
[Trait("Category", "Numeric")]
public sealed class NormKernelsTests
{
    private const double Tolerance = 1e-5;
    private const int Rows = 3;

    public static TheoryData<int, float> WidthsAndEpsilons()
    {
        var data = new TheoryData<int, float>();
        foreach (int width in new[] { 1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 33, 64, 384, 1000 })
        {
            data.Add(width, 1e-12f);
            data.Add(width, 1e-5f);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(WidthsAndEpsilons))]
    public void LayerNorm_MatchesFloat64_OutOfPlaceAndInPlace(int width, float epsilon)
    {
        var (input, gamma, beta) = Inputs(width);
        double[] expected = LayerNormReference(input, gamma, beta, width, epsilon);

        float[] output = new float[Rows * width];
        NormKernels.LayerNorm(input, gamma, beta, output, Rows, width, epsilon);
        KernelReference.AssertClose(expected, output, Tolerance, floor: 1);

        float[] inPlace = (float[])input.Clone();
        NormKernels.LayerNorm(inPlace, gamma, beta, inPlace, Rows, width, epsilon);
        Assert.Equal(output, inPlace);
    }

    [Theory]
    [MemberData(nameof(WidthsAndEpsilons))]
    public void AddLayerNorm_IsLayerNormOfTheSum_WithOutputAliasingEitherInput(int width, float epsilon)
    {
        var (input, gamma, beta) = Inputs(width);
        float[] residual = KernelReference.Uniform(Rows * width, -2f, 2f, seed: width + 7);
        float[] sum = input.Zip(residual, (x, r) => r + x).ToArray();
        double[] expected = LayerNormReference(sum, gamma, beta, width, epsilon);

        float[] output = new float[Rows * width];
        NormKernels.AddLayerNorm(residual, input, gamma, beta, output, Rows, width, epsilon);
        KernelReference.AssertClose(expected, output, Tolerance, floor: 1);

        float[] intoResidual = (float[])residual.Clone(), intoInput = (float[])input.Clone();
        NormKernels.AddLayerNorm(intoResidual, input, gamma, beta, intoResidual, Rows, width, epsilon);
        NormKernels.AddLayerNorm(residual, intoInput, gamma, beta, intoInput, Rows, width, epsilon);
        Assert.Equal(output, intoResidual);
        Assert.Equal(output, intoInput);
    }

    [Theory]
    [MemberData(nameof(WidthsAndEpsilons))]
    public void RmsNorm_MatchesFloat64_OutOfPlaceAndInPlace(int width, float epsilon)
    {
        var (input, gamma, _) = Inputs(width);
        var expected = new double[input.Length];
        for (int r = 0; r < Rows; r++)
        {
            double meanSquare = Enumerable.Range(0, width).Sum(j => (double)input[r * width + j] * input[r * width + j]) / width;
            double scale = 1 / Math.Sqrt(meanSquare + epsilon);
            for (int j = 0; j < width; j++)
            {
                expected[r * width + j] = input[r * width + j] * scale * gamma[j];
            }
        }

        float[] output = new float[Rows * width];
        NormKernels.RmsNorm(input, gamma, output, Rows, width, epsilon);
        KernelReference.AssertClose(expected, output, Tolerance, floor: 1);

        float[] inPlace = (float[])input.Clone();
        NormKernels.RmsNorm(inPlace, gamma, inPlace, Rows, width, epsilon);
        Assert.Equal(output, inPlace);
    }

    [Theory]
    [MemberData(nameof(WidthsAndEpsilons))]
    public void GemmaRmsNorm_AppliesOnePlusItsGain_AndIsRmsNormWithThatGain(int width, float epsilon)
    {
        // Gains around 0, as Gemma stores them: the factor applied is 1 + gain.
        var (input, gamma, _) = Inputs(width);
        float[] stored = Array.ConvertAll(gamma, g => g - 1f);
        var expected = new double[input.Length];
        for (int r = 0; r < Rows; r++)
        {
            double meanSquare = Enumerable.Range(0, width).Sum(j => (double)input[r * width + j] * input[r * width + j]) / width;
            double scale = 1 / Math.Sqrt(meanSquare + epsilon);
            for (int j = 0; j < width; j++)
            {
                expected[r * width + j] = input[r * width + j] * scale * (1 + (double)stored[j]);
            }
        }

        float[] output = new float[Rows * width];
        NormKernels.GemmaRmsNorm(input, stored, output, Rows, width, epsilon);
        KernelReference.AssertClose(expected, output, Tolerance, floor: 1);

        // The same operations as RmsNorm given the gain 1 + stored, so the same bits; in place too.
        float[] plain = new float[Rows * width], inPlace = (float[])input.Clone();
        NormKernels.RmsNorm(input, Array.ConvertAll(stored, g => 1f + g), plain, Rows, width, epsilon);
        NormKernels.GemmaRmsNorm(inPlace, stored, inPlace, Rows, width, epsilon);
        Assert.Equal(plain, output);
        Assert.Equal(output, inPlace);
    }

    [Theory]
    [InlineData(7)]
    [InlineData(33)]
    [InlineData(384)]
    public void LayerNorm_OfARowFarFromZero_KeepsItsSmallSpread(int width)
    {
        // Values 1000 ± 1: E[x²] − E[x]² in float would lose the variance (≈ 0.33) to rounding of ≈ 1e6, so this fails a
        // one-pass variance and holds only for a centred one.
        float[] input = KernelReference.Uniform(Rows * width, -1f, 1f, seed: width).Select(v => 1000f + v).ToArray();
        float[] gamma = Enumerable.Repeat(1f, width).ToArray();
        float[] beta = new float[width];
        float[] output = new float[input.Length];
        NormKernels.LayerNorm(input, gamma, beta, output, Rows, width, 1e-12f);
        KernelReference.AssertClose(LayerNormReference(input, gamma, beta, width, 1e-12f), output, Tolerance, floor: 1);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(384)]
    public void LayerNorm_OfAConstantRow_IsExactlyBeta(int width)
    {
        // With ε = 1e-12, 1/√ε = 1e6 would amplify any rounding left in (x − mean); the corrected mean leaves none.
        var (_, gamma, beta) = Inputs(width);
        foreach (float value in new[] { 0.1f, -3.7f, 1234.567f, 0f })
        {
            float[] row = Enumerable.Repeat(value, width).ToArray();
            NormKernels.LayerNorm(row, gamma, beta, row, 1, width, 1e-12f);
            Assert.Equal(beta, row);
        }
    }

    [Theory]
    [InlineData(7)]
    [InlineData(33)]
    [InlineData(384)]
    public void Norms_RowWithNaNOrInfinity_IsNaN_OtherRowsUnaffected(int width)
    {
        var (input, gamma, beta) = Inputs(width);
        float[] clean = new float[input.Length], cleanRms = new float[input.Length];
        NormKernels.LayerNorm(input, gamma, beta, clean, Rows, width, 1e-5f);
        NormKernels.RmsNorm(input, gamma, cleanRms, Rows, width, 1e-5f);

        foreach (float special in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
        {
            float[] poisoned = (float[])input.Clone();
            poisoned[width + width / 2] = special;
            float[] output = new float[input.Length], rms = new float[input.Length];
            NormKernels.LayerNorm(poisoned, gamma, beta, output, Rows, width, 1e-5f);
            NormKernels.RmsNorm(poisoned, gamma, rms, Rows, width, 1e-5f);
            for (int i = 0; i < input.Length; i++)
            {
                bool inPoisonedRow = i / width == 1;
                Assert.True(inPoisonedRow ? float.IsNaN(output[i]) : output[i] == clean[i], $"LayerNorm, {special} at row 1, index {i}: {output[i]}");
                // RMSNorm of a row with ±∞: ∞/∞ at that element, 0 elsewhere in the row, as in float64.
                bool rmsExpected = inPoisonedRow
                    ? (float.IsNaN(special) || i == width + width / 2 ? float.IsNaN(rms[i]) : rms[i] == 0f)
                    : rms[i] == cleanRms[i];
                Assert.True(rmsExpected, $"RmsNorm, {special} at row 1, index {i}: {rms[i]}");
            }
        }
    }

    [Fact]
    public void Norms_BadArguments_ThrowNamingThem()
    {
        float[] rows = new float[12], gamma = new float[4], beta = new float[4];
        Assert.Equal("gamma", Assert.Throws<ArgumentException>(() => NormKernels.LayerNorm(rows, new float[3], beta, rows, 3, 4, 1e-5f)).ParamName);
        Assert.Equal("beta", Assert.Throws<ArgumentException>(() => NormKernels.LayerNorm(rows, gamma, new float[5], rows, 3, 4, 1e-5f)).ParamName);
        Assert.Equal("input", Assert.Throws<ArgumentException>(() => NormKernels.LayerNorm(rows, gamma, beta, new float[16], 4, 4, 1e-5f)).ParamName);
        Assert.Equal("output", Assert.Throws<ArgumentException>(() => NormKernels.RmsNorm(rows, gamma, new float[8], 3, 4, 1e-5f)).ParamName);
        Assert.Equal("epsilon", Assert.Throws<ArgumentOutOfRangeException>(() => NormKernels.RmsNorm(rows, gamma, rows, 3, 4, -1e-5f)).ParamName);
        Assert.Equal("epsilon", Assert.Throws<ArgumentOutOfRangeException>(() => NormKernels.LayerNorm(rows, gamma, beta, rows, 3, 4, float.NaN)).ParamName);
        Assert.Equal("width", Assert.Throws<ArgumentOutOfRangeException>(() => NormKernels.LayerNorm(rows, [], [], rows, 3, 0, 1e-5f)).ParamName);
        Assert.Equal("rows", Assert.Throws<ArgumentOutOfRangeException>(() => NormKernels.LayerNorm(rows, gamma, beta, rows, -1, 4, 1e-5f)).ParamName);

        float[] buffer = new float[16];
        Assert.Equal("output", Assert.Throws<ArgumentException>(
            () => NormKernels.LayerNorm(buffer.AsSpan(0, 12), gamma, beta, buffer.AsSpan(4, 12), 3, 4, 1e-5f)).ParamName);
        Assert.Equal("output", Assert.Throws<ArgumentException>(
            () => NormKernels.AddLayerNorm(buffer.AsSpan(0, 12), rows, gamma, beta, buffer.AsSpan(4, 12), 3, 4, 1e-5f)).ParamName);
        Assert.Equal("residual", Assert.Throws<ArgumentException>(
            () => NormKernels.AddLayerNorm(new float[8], rows, gamma, beta, new float[12], 3, 4, 1e-5f)).ParamName);
    }

    [Fact]
    public void Norms_ZeroRows_WriteNothing()
    {
        float[] output = [5f, 6f];
        NormKernels.LayerNorm([], [1f, 1f], [0f, 0f], output, 0, 2, 1e-5f);
        NormKernels.RmsNorm([], [1f, 1f], output, 0, 2, 1e-5f);
        Assert.Equal([5f, 6f], output);
    }

    private static (float[] Input, float[] Gamma, float[] Beta) Inputs(int width) => (
        KernelReference.Uniform(Rows * width, -2f, 2f, seed: width).Select((v, i) => v + i / width).ToArray(),
        KernelReference.Uniform(width, 0.5f, 1.5f, seed: width + 1),
        KernelReference.Uniform(width, -0.5f, 0.5f, seed: width + 2));

    /// <summary>Per row: (x − mean) / √(biased variance + ε) · γ + β, in double.</summary>
    private static double[] LayerNormReference(float[] input, float[] gamma, float[] beta, int width, double epsilon)
    {
        var result = new double[input.Length];
        for (int r = 0; r < input.Length / width; r++)
        {
            var row = input.AsSpan(r * width, width).ToArray().Select(v => (double)v).ToArray();
            double mean = row.Average();
            double variance = row.Sum(v => (v - mean) * (v - mean)) / width;
            double inverse = 1 / Math.Sqrt(variance + epsilon);
            for (int j = 0; j < width; j++)
            {
                result[r * width + j] = (row[j] - mean) * inverse * gamma[j] + beta[j];
            }
        }
        return result;
    }
}
