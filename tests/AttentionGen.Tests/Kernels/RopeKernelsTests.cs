using AttentionGen.Kernels;

namespace AttentionGen.Tests.Kernels;

/// <summary>
/// RoPE ("rotate half") against a float64 reference whose angles are computed in double from scratch, not read from the
/// float tables: head dims 8 to 128 with full and partial rotary widths (so r/2 takes every tail a vector width leaves),
/// positions up to 4096, Q rows and the narrower K rows of grouped-query attention, and rows wider than their heads.
/// </summary>
[Trait("Category", "Numeric")]
public sealed class RopeKernelsTests
{
    private const double Tolerance = 1e-5;
    private const int MaxPositions = 4096;
    private const double Theta = 10000;

    public static TheoryData<int, int> HeadAndRotaryDims() => new()
    {
        { 8, 8 }, { 8, 2 }, { 32, 32 }, { 64, 64 }, { 64, 16 }, { 80, 80 }, { 80, 32 }, { 96, 24 }, { 128, 128 }, { 128, 64 }, { 128, 6 },
    };

    [Theory]
    [MemberData(nameof(HeadAndRotaryDims))]
    public void RotateHalf_QueryAndGroupedKeyRows_MatchFloat64(int headDim, int rotaryDim)
    {
        var (cos, sin) = Tables(MaxPositions, rotaryDim, Theta);
        const int queryHeads = 8, keyHeads = 2, tokens = 6;
        foreach (int firstPosition in new[] { 0, 1, 517, MaxPositions - tokens })
        {
            // Q rows exactly as wide as their heads; K rows narrower (GQA), with three floats of padding past the heads.
            AssertRotation(tokens, queryHeads * headDim, queryHeads, headDim, rotaryDim, cos, sin, firstPosition);
            AssertRotation(tokens, keyHeads * headDim + 3, keyHeads, headDim, rotaryDim, cos, sin, firstPosition);
        }
    }

    [Theory]
    [MemberData(nameof(HeadAndRotaryDims))]
    public void RotateHalf_TokenByToken_EqualsAllTokensAtOnce(int headDim, int rotaryDim)
    {
        var (cos, sin) = Tables(64, rotaryDim, Theta);
        const int heads = 3, tokens = 9, firstPosition = 40;
        int rowWidth = heads * headDim;
        float[] prefill = KernelReference.Uniform(tokens * rowWidth, -1f, 1f, seed: headDim + rotaryDim);
        float[] decode = (float[])prefill.Clone();

        RopeKernels.RotateHalf(prefill, tokens, rowWidth, heads, headDim, rotaryDim, cos, sin, firstPosition);
        for (int t = 0; t < tokens; t++)
        {
            RopeKernels.RotateHalf(decode.AsSpan(t * rowWidth, rowWidth), 1, rowWidth, heads, headDim, rotaryDim, cos, sin, firstPosition + t);
        }

        Assert.Equal(prefill, decode);
    }

    [Theory]
    [InlineData(128, 10000.0)]
    [InlineData(64, 500000.0)]
    [InlineData(2, 10000.0)]
    public void CreateTables_MatchFloat64_UpTo4096Positions(int rotaryDim, double theta)
    {
        int half = rotaryDim / 2;
        var (cos, sin) = Tables(MaxPositions + 1, rotaryDim, theta);
        var expectedCos = new double[cos.Length];
        var expectedSin = new double[sin.Length];
        for (int p = 0; p <= MaxPositions; p++)
        {
            for (int i = 0; i < half; i++)
            {
                // exp(−(2i/r)·ln θ) rather than the kernel's θ^(−2i/r): the same frequency by another route.
                double angle = p * Math.Exp(-(2.0 * i / rotaryDim) * Math.Log(theta));
                expectedCos[p * half + i] = Math.Cos(angle);
                expectedSin[p * half + i] = Math.Sin(angle);
            }
        }

        // Half an ulp of the result, not of a float32 angle: at position 4096 that would be up to 2.4e-4.
        KernelReference.AssertClose(expectedCos, cos, 1e-7, floor: 1);
        KernelReference.AssertClose(expectedSin, sin, 1e-7, floor: 1);
        Assert.Equal(1f, cos[0]);
        Assert.Equal(0f, sin[0]);
    }

    [Theory]
    [InlineData(64, 500000.0, 32.0, 8192)] // Llama 3.2
    [InlineData(128, 500000.0, 8.0, 8192)] // Llama 3.1
    [InlineData(16, 10000.0, 4.0, 32)]     // a short original context: every band within 16 dims
    public void CreateTables_WithLlama3Scaling_MatchHuggingFacesFrequenciesInFloat64(int rotaryDim, double theta, double factor, int original)
    {
        var scaling = new Llama3RopeScaling(factor, 1, 4, original);
        var reference = new Reference.RopeScalingReference(factor, 1, 4, original);
        int half = rotaryDim / 2;
        float[] cos = new float[(MaxPositions + 1) * half], sin = new float[(MaxPositions + 1) * half];
        RopeKernels.CreateTables(MaxPositions + 1, rotaryDim, theta, scaling, cos, sin);
        var expectedCos = new double[cos.Length];
        var expectedSin = new double[sin.Length];
        int scaled = 0;
        for (int i = 0; i < half; i++)
        {
            double frequency = Reference.RopeReference.Frequency(i, rotaryDim, theta, reference);
            scaled += frequency != Math.Pow(theta, -2.0 * i / rotaryDim) ? 1 : 0;
            for (int p = 0; p <= MaxPositions; p++)
            {
                expectedCos[p * half + i] = Math.Cos(p * frequency);
                expectedSin[p * half + i] = Math.Sin(p * frequency);
            }
        }

        Assert.InRange(scaled, 1, half - 1); // some pairs scaled, some not: the test sees both sides of the bands
        KernelReference.AssertClose(expectedCos, cos, 1e-7, floor: 1);
        KernelReference.AssertClose(expectedSin, sin, 1e-7, floor: 1);
    }

    [Fact]
    public void CreateTables_WithLinearScaling_TurnEveryPairFactorTimesSlower()
    {
        // Gemma 3 4B's full layers: θ 10⁶, factor 8, heads of 256.
        const int RotaryDim = 256, Half = RotaryDim / 2;
        const double Theta = 1000000, Factor = 8;
        float[] cos = new float[(MaxPositions + 1) * Half], sin = new float[(MaxPositions + 1) * Half];
        RopeKernels.CreateTables(MaxPositions + 1, RotaryDim, Theta, new LinearRopeScaling(Factor), cos, sin);
        var expectedCos = new double[cos.Length];
        var expectedSin = new double[sin.Length];
        for (int i = 0; i < Half; i++)
        {
            double frequency = Math.Pow(Theta, -2.0 * i / RotaryDim) / Factor;
            for (int p = 0; p <= MaxPositions; p++)
            {
                expectedCos[p * Half + i] = Math.Cos(p * frequency);
                expectedSin[p * Half + i] = Math.Sin(p * frequency);
            }
        }

        KernelReference.AssertClose(expectedCos, cos, 1e-7, floor: 1);
        KernelReference.AssertClose(expectedSin, sin, 1e-7, floor: 1);

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => RopeKernels.CreateTables(2, 8, 10000, new LinearRopeScaling(0.5), new float[8], new float[8]));
        Assert.Equal("scaling", e.ParamName);
        Assert.Contains("Factor", e.Message);
    }

    [Fact]
    public void Llama3Scaling_OutOfRange_ThrowsNamingTheField()
    {
        float[] cos = new float[8], sin = new float[8];
        foreach (var (scaling, field) in new[]
        {
            (new Llama3RopeScaling(0.5, 1, 4, 8192), "Factor"),
            (new Llama3RopeScaling(8, 4, 4, 8192), "HighFrequencyFactor"),
            (new Llama3RopeScaling(8, 0, 4, 8192), "LowFrequencyFactor"),
            (new Llama3RopeScaling(8, 1, 4, 0), "OriginalMaxPositions"),
            (new Llama3RopeScaling(double.NaN, 1, 4, 8192), "Factor"),
        })
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => RopeKernels.CreateTables(2, 8, 10000, scaling, cos, sin));
            Assert.Equal("scaling", e.ParamName);
            Assert.Contains(field, e.Message);
        }
    }

    [Fact]
    public void CreateTables_WritesOnlyItsRows()
    {
        float[] cos = Enumerable.Repeat(7f, 3 * 4 + 5).ToArray(), sin = Enumerable.Repeat(7f, 3 * 4 + 5).ToArray();
        RopeKernels.CreateTables(3, 8, Theta, cos, sin);
        Assert.All(cos[12..], v => Assert.Equal(7f, v));
        Assert.All(sin[12..], v => Assert.Equal(7f, v));
        Assert.DoesNotContain(7f, cos[..12]);
    }

    [Fact]
    public void RotateHalf_NoTokens_TouchesNothing()
    {
        float[] rows = [1f, 2f, 3f, 4f];
        var (cos, sin) = Tables(1, 4, Theta);
        RopeKernels.RotateHalf(rows, 0, 4, 1, 4, 4, cos, sin, 0);
        RopeKernels.RotateHalf(Span<float>.Empty, 0, 4, 1, 4, 4, cos, sin, 1);
        Assert.Equal([1f, 2f, 3f, 4f], rows);
    }

    [Fact]
    public void BadArguments_ThrowNamingTheParameter()
    {
        var (cos, sin) = Tables(8, 16, Theta);
        float[] rows = new float[2 * 64];

        Assert.Equal("rotaryDim", Assert.Throws<ArgumentOutOfRangeException>(() => RopeKernels.RotateHalf(rows, 2, 64, 2, 32, 15, cos, sin, 0)).ParamName);
        Assert.Equal("rotaryDim", Assert.Throws<ArgumentOutOfRangeException>(() => RopeKernels.RotateHalf(rows, 2, 64, 2, 32, 0, cos, sin, 0)).ParamName);
        Assert.Equal("headDim", Assert.Throws<ArgumentOutOfRangeException>(() => RopeKernels.RotateHalf(rows, 2, 64, 2, 8, 16, cos, sin, 0)).ParamName);
        Assert.Equal("rowWidth", Assert.Throws<ArgumentOutOfRangeException>(() => RopeKernels.RotateHalf(rows, 2, 63, 2, 32, 16, cos, sin, 0)).ParamName);
        Assert.Equal("heads", Assert.Throws<ArgumentOutOfRangeException>(() => RopeKernels.RotateHalf(rows, 2, 64, 0, 32, 16, cos, sin, 0)).ParamName);
        Assert.Equal("tokens", Assert.Throws<ArgumentOutOfRangeException>(() => RopeKernels.RotateHalf(rows, -1, 64, 2, 32, 16, cos, sin, 0)).ParamName);
        Assert.Equal("firstPosition", Assert.Throws<ArgumentOutOfRangeException>(() => RopeKernels.RotateHalf(rows, 2, 64, 2, 32, 16, cos, sin, -1)).ParamName);
        Assert.Equal("rows", Assert.Throws<ArgumentException>(() => RopeKernels.RotateHalf(rows, 3, 64, 2, 32, 16, cos, sin, 0)).ParamName);
        // Positions 7 and 8 need nine table rows; there are eight.
        Assert.Equal("cos", Assert.Throws<ArgumentException>(() => RopeKernels.RotateHalf(rows, 2, 64, 2, 32, 16, cos, sin, 7)).ParamName);
        Assert.Equal("sin", Assert.Throws<ArgumentException>(() => RopeKernels.RotateHalf(rows, 2, 64, 2, 32, 16, cos, sin.AsSpan(0, 8 * 8 - 1), 6)).ParamName);
        Assert.Equal("firstPosition", Assert.Throws<ArgumentOutOfRangeException>(() => RopeKernels.RotateHalf(rows, 2, 64, 2, 32, 16, cos, sin, int.MaxValue)).ParamName);

        Assert.Equal("rotaryDim", Assert.Throws<ArgumentOutOfRangeException>(() => RopeKernels.CreateTables(8, 7, Theta, cos, sin)).ParamName);
        Assert.Equal("positions", Assert.Throws<ArgumentOutOfRangeException>(() => RopeKernels.CreateTables(-1, 16, Theta, cos, sin)).ParamName);
        Assert.Equal("theta", Assert.Throws<ArgumentOutOfRangeException>(() => RopeKernels.CreateTables(8, 16, 0, cos, sin)).ParamName);
        Assert.Equal("theta", Assert.Throws<ArgumentOutOfRangeException>(() => RopeKernels.CreateTables(8, 16, double.NaN, cos, sin)).ParamName);
        Assert.Equal("cos", Assert.Throws<ArgumentException>(() => RopeKernels.CreateTables(9, 16, Theta, cos, new float[9 * 8])).ParamName);
        Assert.Equal("sin", Assert.Throws<ArgumentException>(() => RopeKernels.CreateTables(8, 16, Theta, cos, new float[8 * 8 - 1])).ParamName);
    }

    private static void AssertRotation(
        int tokens, int rowWidth, int heads, int headDim, int rotaryDim, float[] cos, float[] sin, int firstPosition)
    {
        float[] input = KernelReference.Uniform(tokens * rowWidth + 5, -1f, 1f, seed: rowWidth * 31 + rotaryDim + firstPosition);
        float[] rows = (float[])input.Clone();
        RopeKernels.RotateHalf(rows.AsSpan(0, tokens * rowWidth), tokens, rowWidth, heads, headDim, rotaryDim, cos, sin, firstPosition);

        double[] expected = input.Select(v => (double)v).ToArray();
        int half = rotaryDim / 2;
        for (int t = 0; t < tokens; t++)
        {
            for (int h = 0; h < heads; h++)
            {
                int head = t * rowWidth + h * headDim;
                for (int i = 0; i < half; i++)
                {
                    double angle = (firstPosition + t) * Math.Pow(Theta, -2.0 * i / rotaryDim);
                    double x = input[head + i], y = input[head + i + half];
                    expected[head + i] = x * Math.Cos(angle) - y * Math.Sin(angle);
                    expected[head + i + half] = y * Math.Cos(angle) + x * Math.Sin(angle);
                }
            }
        }

        // Everything outside the rotary part, the padding and past the last row included, must come back bit for bit.
        KernelReference.AssertClose(expected, rows, Tolerance, floor: 1);
        for (int j = 0; j < input.Length; j++)
        {
            int column = j % rowWidth;
            bool rotated = j < tokens * rowWidth && column < heads * headDim && column % headDim < rotaryDim;
            if (!rotated)
            {
                Assert.Equal(input[j], rows[j]);
            }
        }
    }

    private static (float[] Cos, float[] Sin) Tables(int positions, int rotaryDim, double theta)
    {
        float[] cos = new float[positions * rotaryDim / 2], sin = new float[positions * rotaryDim / 2];
        RopeKernels.CreateTables(positions, rotaryDim, theta, cos, sin);
        return (cos, sin);
    }
}
