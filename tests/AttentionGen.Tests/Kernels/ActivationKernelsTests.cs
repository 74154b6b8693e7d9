using AttentionGen.Kernels;
using AttentionGen.Tests.Reference;

namespace AttentionGen.Tests.Kernels;

/// <summary>
/// erf/erfc and the activations against float64 references: dense sweeps with relative bounds that grow only where
/// the float argument of an exponential carries a proportional rounding error, every lane equal to the scalar operator
/// over lengths 0..70, and the limits at ±∞ and NaN.
/// </summary>
[Trait("Category", "Numeric")]
public sealed class ActivationKernelsTests
{
    private const int SweepPoints = 1 << 18;

    public static IEnumerable<object[]> RowLengths() => KernelReference.RowLengths();

    [Fact]
    public void Erf_IsWithin1e7Absolute_AndErfcWithinItsRelativeBound_OverDenseSweeps()
    {
        // Measured: erf 8.3e-8 absolute where multiply-adds are fused, 1.32e-7 where they are not; erfc 4.8e-7 · max(1, x²)
        // relative.
        bool fused = System.Runtime.Intrinsics.X86.Fma.IsSupported || System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported;
        double erfBound = fused ? 1e-7 : 2e-7;
        double worstErf = 0, worstErfc = 0;
        for (int k = 0; k <= SweepPoints; k++)
        {
            float x = -6f + 12f * k / SweepPoints;
            double erfError = Math.Abs(VectorMath.Erf(x) - ErrorFunctionReference.Erf(x));
            Assert.True(erfError <= erfBound, $"erf({x:R}) = {VectorMath.Erf(x):R}, reference {ErrorFunctionReference.Erf(x):R}");
            worstErf = Math.Max(worstErf, erfError);

            float z = 9.2f * k / SweepPoints;
            double expected = ErrorFunctionReference.Erfc(z);
            double erfcError = Math.Abs(VectorMath.Erfc(z) - expected) / expected / Math.Max(1, (double)z * z);
            Assert.True(erfcError <= 1e-6, $"erfc({z:R}) = {VectorMath.Erfc(z):R}, reference {expected:R}");
            worstErfc = Math.Max(worstErfc, erfcError);
        }
        Assert.True(worstErf > 0 && worstErfc > 0, "the sweep compared nothing");
    }

    [Fact]
    public void Erf_NearZero_KeepsRelativeAccuracy_AndOddSymmetry()
    {
        foreach (float x in new[] { 1e-30f, 1e-10f, 1e-5f, 0.01f, 0.3f, 0.999f })
        {
            double expected = ErrorFunctionReference.Erf(x);
            Assert.True(Math.Abs(VectorMath.Erf(x) - expected) <= 2e-7 * expected, $"erf({x:R}) = {VectorMath.Erf(x):R}, reference {expected:R}");
            Assert.Equal(-VectorMath.Erf(x), VectorMath.Erf(-x));
        }
    }

    [Fact]
    public void ErfAndErfc_SpecialValues_AreTheLimits()
    {
        Assert.Equal(1f, VectorMath.Erf(float.PositiveInfinity));
        Assert.Equal(-1f, VectorMath.Erf(float.NegativeInfinity));
        Assert.True(float.IsNaN(VectorMath.Erf(float.NaN)));
        Assert.Equal(0f, VectorMath.Erf(0f));
        Assert.Equal(0f, VectorMath.Erfc(float.PositiveInfinity));
        Assert.Equal(2f, VectorMath.Erfc(float.NegativeInfinity));
        Assert.True(float.IsNaN(VectorMath.Erfc(float.NaN)));
        Assert.Equal(1f, VectorMath.Erfc(0f));
    }

    [Fact]
    public void GeluErf_MatchesFloat64_WithinRelativeBound()
    {
        // Relative, not absolute: for negative x GELU is x·erfc(|x|/√2)/2, tiny, and must stay accurate there. Measured
        // 5.4e-7 · max(1, x²/2); the x²/2 is the exponent of erfc's e^(−x²/2), whose float rounding is relative to it.
        AssertSweep(ActivationKernels.GeluErf, ErrorFunctionReference.Gelu, -13f, 13f, x => 1e-6 * Math.Max(1, x * x / 2));
    }

    [Fact]
    public void GeluTanh_MatchesFloat64_WithinRelativeBound()
    {
        // The bound grows with |2y|, the exponent computed in float.
        AssertSweep(ActivationKernels.GeluTanh, ErrorFunctionReference.GeluTanh, -13f, 13f,
            x => 1e-6 * Math.Max(1, Math.Abs(2 * Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))));
    }

    [Fact]
    public void Silu_MatchesFloat64_WithinRelativeBound()
    {
        AssertSweep(ActivationKernels.Silu, x => x / (1 + Math.Exp(-x)), -90f, 90f, x => 1e-6 * Math.Max(1, Math.Abs(x)));
    }

    [Fact]
    public void Relu_IsMaxWithZero()
    {
        float[] values = [-2f, -0f, 0f, 1.5f, float.NegativeInfinity, float.PositiveInfinity, float.NaN, -1e-45f, 3f];
        float[] expected = [0f, 0f, 0f, 1.5f, 0f, float.PositiveInfinity, float.NaN, 0f, 3f];
        ActivationKernels.Relu(values);
        Assert.Equal(expected, values);
    }

    [Theory]
    [MemberData(nameof(RowLengths))]
    public void EveryActivation_IsItsScalarOperatorInEveryLane(int length)
    {
        float[] input = KernelReference.Uniform(length, -8f, 8f, seed: length + 10);
        AssertLanes<GeluErfOperator>(input, ActivationKernels.GeluErf);
        AssertLanes<GeluTanhOperator>(input, ActivationKernels.GeluTanh);
        AssertLanes<SiluOperator>(input, ActivationKernels.Silu);
        AssertLanes<ReluOperator>(input, ActivationKernels.Relu);

        float[] up = KernelReference.Uniform(length, -2f, 2f, seed: length + 11);
        float[] output = new float[length];
        ActivationKernels.SwiGlu(input, up, output);
        Assert.Equal(input.Zip(up, SwiGluOperator.Invoke).ToArray(), output);
        ActivationKernels.GeGluTanh(input, up, output);
        Assert.Equal(input.Zip(up, GeGluTanhOperator.Invoke).ToArray(), output);
    }

    /// <summary>The gated units by name: the kernel, and its float64 form of (gate, up).</summary>
    private static (GatedKernel Kernel, Func<double, double, double> Expected) Gated(string name) => name switch
    {
        "SwiGlu" => (ActivationKernels.SwiGlu, (g, u) => g / (1 + Math.Exp(-g)) * u),
        "GeGluTanh" => (ActivationKernels.GeGluTanh, (g, u) => 0.5 * g * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (g + 0.044715 * g * g * g))) * u),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    private delegate void GatedKernel(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> output);

    [Theory]
    [InlineData("SwiGlu", 1)]
    [InlineData("SwiGlu", 7)]
    [InlineData("SwiGlu", 33)]
    [InlineData("SwiGlu", 1000)]
    [InlineData("GeGluTanh", 1)]
    [InlineData("GeGluTanh", 33)]
    [InlineData("GeGluTanh", 1000)]
    public void GatedUnit_MatchesFloat64_AndWorksInPlaceOnEitherInput(string name, int length)
    {
        var (kernel, reference) = Gated(name);
        float[] gate = KernelReference.Uniform(length, -10f, 10f, seed: length);
        float[] up = KernelReference.Uniform(length, -3f, 3f, seed: length + 1);
        double[] expected = gate.Zip(up, (g, u) => reference(g, u)).ToArray();
        float[] output = new float[length];
        kernel(gate, up, output);
        KernelReference.AssertClose(expected, output, 1e-6, floor: 1e-3);

        float[] inGate = (float[])gate.Clone(), inUp = (float[])up.Clone();
        kernel(inGate, up, inGate);
        kernel(gate, inUp, inUp);
        Assert.Equal(output, inGate);
        Assert.Equal(output, inUp);
    }

    [Fact]
    public void GatedUnits_BadArguments_ThrowNamingThem()
    {
        Assert.Equal("up", Assert.Throws<ArgumentException>(() => ActivationKernels.GeGluTanh(new float[4], new float[5], new float[4])).ParamName);
        Assert.Equal("up", Assert.Throws<ArgumentException>(() => ActivationKernels.SwiGlu(new float[4], new float[5], new float[4])).ParamName);
        Assert.Equal("output", Assert.Throws<ArgumentException>(() => ActivationKernels.SwiGlu(new float[4], new float[4], new float[3])).ParamName);
        float[] buffer = new float[9];
        Assert.Equal("output", Assert.Throws<ArgumentException>(
            () => ActivationKernels.SwiGlu(buffer.AsSpan(0, 8), new float[8], buffer.AsSpan(1, 8))).ParamName);
    }

    [Fact]
    public void Activations_AtInfinityAndNaN_GiveTheFloat64Limits()
    {
        // GELU(−∞) = 0, GELU(+∞) = +∞, NaN → NaN, and the same for the tanh form and SiLU; at every vector width's lanes.
        foreach (var activation in new Action<Span<float>>[] { ActivationKernels.GeluErf, ActivationKernels.GeluTanh, ActivationKernels.Silu })
        {
            for (int length = 1; length <= 40; length++)
            {
                float[] values = new float[length];
                for (int i = 0; i < length; i++)
                {
                    values[i] = (i % 4) switch { 0 => float.NegativeInfinity, 1 => float.PositiveInfinity, 2 => float.NaN, _ => -1e30f };
                }
                activation(values);
                for (int i = 0; i < length; i++)
                {
                    float expected = (i % 4) switch { 1 => float.PositiveInfinity, 2 => float.NaN, _ => 0f };
                    Assert.True(expected.Equals(values[i]), $"length {length}, index {i}: {values[i]}");
                }
            }
        }
    }

    private static void AssertSweep(SpanAction activation, Func<double, double> reference, float low, float high, Func<double, double> relativeBound)
    {
        float[] values = new float[SweepPoints + 1];
        for (int k = 0; k <= SweepPoints; k++)
        {
            values[k] = low + (high - low) * k / SweepPoints;
        }
        float[] input = (float[])values.Clone();
        activation(values);
        for (int k = 0; k <= SweepPoints; k++)
        {
            double x = input[k], expected = reference(x);
            // Results below 1e-36 in magnitude may come out as 0: the exponential underflows to 0 (or, in a
            // denominator, overflows to ∞) once its argument passes ±88.7, where such results are still normal floats.
            double allowed = relativeBound(x) * Math.Abs(expected) + 1e-36;
            Assert.True(Math.Abs(values[k] - expected) <= allowed, $"f({x:R}) = {values[k]:R}, reference {expected:R}");
        }
    }

    private static void AssertLanes<TOperator>(float[] input, SpanAction activation) where TOperator : struct, IUnaryOperator
    {
        float[] values = (float[])input.Clone();
        activation(values);
        Assert.Equal(input.Select(TOperator.Invoke).ToArray(), values);
    }

    private delegate void SpanAction(Span<float> values);
}
