using System.Runtime.Intrinsics;
using AttentionGen.Kernels;
using Xunit.Abstractions;

namespace AttentionGen.Tests.Kernels;

/// <summary>
/// Accuracy of the polynomial exp/tanh against double-precision references, special values, and agreement of the
/// Vector128/256/512 overloads with the scalar one. The vector overloads are exercised even when a width is not
/// hardware-accelerated (the software fallback must give the same numbers).
/// </summary>
[Trait("Category", "Numeric")]
public sealed class VectorMathTests(ITestOutputHelper output)
{
    // Measured exhaustively over [-87.5, 89.5] (see VectorMath's remarks): 7.71e-8 / 0.89 ulp with FMA, 9.85e-8 /
    // 1.17 ulp without (DOTNET_EnableAVX2=0, where the multiply-adds round twice). The bounds cover both.
    private const double ExpMaxRelativeError = 1e-7;
    private const double ExpMaxUlps = 1.25;

    // The first float whose exp is not flushed to 0, and the first whose exp overflows (see VectorMath's remarks).
    private const float ExpSmallestNonzero = -86.98997f;
    private const float ExpSmallestOverflowing = 88.72284f;

    // Tanh is specified to ~1e-6 relative, 2e-7 absolute.
    private const double TanhMaxRelativeError = 1e-6;
    private const double TanhMaxAbsoluteError = 2e-7;

    private const int SweepPoints = 1 << 21;

    [Fact]
    public void Exp_DenseSweep_IsWithinStatedErrorOfDoubleExp()
    {
        double maxRelative = 0, maxUlps = 0;
        float worstX = 0;
        for (int k = 0; k <= SweepPoints; k++)
        {
            float x = (float)(ExpSmallestNonzero + (88.72 - ExpSmallestNonzero) * k / SweepPoints);
            float got = VectorMath.Exp(x);
            double exact = Math.Exp(x);
            double relative = Math.Abs(got - exact) / exact;
            double ulps = Math.Abs(got - exact) / Ulp((float)exact);
            if (relative > maxRelative)
            {
                maxRelative = relative;
                worstX = x;
            }
            maxUlps = Math.Max(maxUlps, ulps);
        }

        output.WriteLine($"Exp over [{ExpSmallestNonzero}, 88.72], {SweepPoints + 1} points: max relative error {maxRelative:E3} (at x = {worstX:R}), max {maxUlps:F2} ulp");
        Assert.True(maxRelative <= ExpMaxRelativeError, $"max relative error {maxRelative:E3} at x = {worstX:R} exceeds {ExpMaxRelativeError:E1}");
        Assert.True(maxUlps <= ExpMaxUlps, $"max error {maxUlps:F2} ulp exceeds {ExpMaxUlps}");
    }

    [Fact]
    public void Exp_NearZeroAndAroundIntegersOfLn2_IsAccurate()
    {
        // Points where the range reduction switches n, and tiny arguments where e^x ≈ 1 + x.
        var points = new List<float>();
        for (int n = -125; n <= 127; n++)
        {
            float center = (float)(n * Math.Log(2));
            float below = center, above = center;
            for (int s = 0; s < 8; s++)
            {
                points.Add(below);
                points.Add(above);
                below = MathF.BitDecrement(below);
                above = MathF.BitIncrement(above);
            }
        }
        for (float t = 1e-30f; t < 1f; t *= 1.7f)
        {
            points.Add(t);
            points.Add(-t);
        }

        foreach (float x in points)
        {
            double exact = Math.Exp(x);
            if (exact < 1.1754944e-38 || exact > float.MaxValue)
            {
                continue; // outside the normal float range; covered by the special-value tests
            }
            double relative = Math.Abs(VectorMath.Exp(x) - exact) / exact;
            Assert.True(relative <= ExpMaxRelativeError, $"x = {x:R}: exp = {VectorMath.Exp(x):R}, exact {exact:R}, relative error {relative:E3}");
        }
    }

    [Theory]
    [InlineData(0f, 1f)]
    [InlineData(float.NegativeInfinity, 0f)]
    [InlineData(-100f, 0f)]
    [InlineData(-87.4f, 0f)]
    [InlineData(-87f, 0f)]
    [InlineData(-1000f, 0f)]
    [InlineData(float.MinValue, 0f)]
    [InlineData(float.PositiveInfinity, float.PositiveInfinity)]
    [InlineData(89f, float.PositiveInfinity)]
    [InlineData(1000f, float.PositiveInfinity)]
    [InlineData(float.MaxValue, float.PositiveInfinity)]
    public void Exp_SpecialValues(float x, float expected)
    {
        Assert.Equal(expected, VectorMath.Exp(x));
        Assert.Equal(expected, VectorMath.Exp(Vector128.Create(x)).GetElement(1));
        Assert.Equal(expected, VectorMath.Exp(Vector256.Create(x)).GetElement(5));
        Assert.Equal(expected, VectorMath.Exp(Vector512.Create(x)).GetElement(13));
    }

    [Fact]
    public void Exp_NaN_StaysNaN()
    {
        Assert.True(float.IsNaN(VectorMath.Exp(float.NaN)));
        Assert.True(Vector128.IsNaN(VectorMath.Exp(Vector128.Create(float.NaN))).AsInt32() == Vector128<int>.AllBitsSet);
        Assert.True(Vector256.IsNaN(VectorMath.Exp(Vector256.Create(float.NaN))).AsInt32() == Vector256<int>.AllBitsSet);
        Assert.True(Vector512.IsNaN(VectorMath.Exp(Vector512.Create(float.NaN))).AsInt32() == Vector512<int>.AllBitsSet);

        // NaN in one lane must not leak into its neighbours.
        Vector512<float> mixed = VectorMath.Exp(Vector512.Create(0f).WithElement(3, float.NaN));
        Assert.True(float.IsNaN(mixed.GetElement(3)));
        Assert.Equal(1f, mixed.GetElement(2));
        Assert.Equal(1f, mixed.GetElement(4));
    }

    [Fact]
    public void Exp_TopOfRange_IsFiniteUntilOverflow()
    {
        // 88.7 < ln(float.MaxValue) ≈ 88.7228: must be finite and accurate, not clamped to infinity.
        foreach (float x in new[] { 88.0f, 88.4f, 88.7f, 88.72f, MathF.BitDecrement(ExpSmallestOverflowing) })
        {
            double relative = Math.Abs(VectorMath.Exp(x) - Math.Exp(x)) / Math.Exp(x);
            Assert.True(relative <= ExpMaxRelativeError, $"x = {x:R}: relative error {relative:E3}");
        }
        Assert.Equal(float.PositiveInfinity, VectorMath.Exp(ExpSmallestOverflowing));
        Assert.Equal(float.PositiveInfinity, VectorMath.Exp(Vector512.Create(ExpSmallestOverflowing)).GetElement(0));
    }

    [Fact]
    public void Exp_FlushesToZeroExactlyBelowTheStatedThreshold()
    {
        // Every width flushes at the same float: results under about 1.66e-38 are 0, the first one above is accurate.
        float below = MathF.BitDecrement(ExpSmallestNonzero);
        double exact = Math.Exp(ExpSmallestNonzero);
        foreach (var (width, atThreshold, belowThreshold) in new[]
        {
            ("scalar", VectorMath.Exp(ExpSmallestNonzero), VectorMath.Exp(below)),
            ("128", VectorMath.Exp(Vector128.Create(ExpSmallestNonzero)).GetElement(0), VectorMath.Exp(Vector128.Create(below)).GetElement(0)),
            ("256", VectorMath.Exp(Vector256.Create(ExpSmallestNonzero)).GetElement(0), VectorMath.Exp(Vector256.Create(below)).GetElement(0)),
            ("512", VectorMath.Exp(Vector512.Create(ExpSmallestNonzero)).GetElement(0), VectorMath.Exp(Vector512.Create(below)).GetElement(0)),
            ("512 non-positive", VectorMath.ExpOfNonPositive(Vector512.Create(ExpSmallestNonzero)).GetElement(0),
                VectorMath.ExpOfNonPositive(Vector512.Create(below)).GetElement(0)),
        })
        {
            Assert.True(Math.Abs(atThreshold - exact) / exact <= ExpMaxRelativeError, $"{width}: exp({ExpSmallestNonzero:R}) = {atThreshold:R}, exact {exact:R}");
            Assert.Equal(0f, belowThreshold);
        }
    }

    [Fact]
    public void Exp_EveryVectorWidth_MatchesScalarToTheBit()
    {
        int worst = MaxUlpDifference(
            static x => VectorMath.Exp(x), static v => VectorMath.Exp(v), static v => VectorMath.Exp(v), static v => VectorMath.Exp(v),
            -90f, 90f);
        output.WriteLine($"Exp: max ulp difference between vector widths and scalar: {worst}");
        Assert.Equal(0, worst);
    }

    [Fact]
    public void ExpOfNonPositive_MatchesExpToTheBit()
    {
        // The softmax's exp skips the upper clamp on AVX-512; on its domain (x ≤ 0, −∞, NaN) nothing may change.
        int worst = MaxUlpDifference(
            static x => VectorMath.Exp(x), static v => VectorMath.ExpOfNonPositive(v), static v => VectorMath.ExpOfNonPositive(v),
            static v => VectorMath.ExpOfNonPositive(v), -100f, 0f);
        Assert.Equal(0, worst);
        foreach (float x in new[] { float.NegativeInfinity, float.MinValue, -0f, float.NaN })
        {
            Assert.Equal(VectorMath.Exp(x), VectorMath.ExpOfNonPositive(Vector128.Create(x)).GetElement(2));
            Assert.Equal(VectorMath.Exp(x), VectorMath.ExpOfNonPositive(Vector256.Create(x)).GetElement(6));
            Assert.Equal(VectorMath.Exp(x), VectorMath.ExpOfNonPositive(Vector512.Create(x)).GetElement(12));
        }
    }

    [Fact]
    public void Exp2OfNonPositive_DenseSweep_IsWithinStatedErrorOfDoublePow_AtEveryWidth()
    {
        // The tiles' softmax of base-2 scores: its reduction is exact and its polynomial is Exp's, so it keeps Exp's
        // bounds, and flushes below 2^−125 as Exp flushes below e^−86.99. AVX-512 scales by vscalefps, the other paths
        // build 2ⁿ in the exponent bits: both must give the scalar model's bits, so every width and path agree.
        double maxRelative = 0, maxUlps = 0;
        float worstT = 0;
        int mismatches = 0;
        string firstMismatch = "";
        for (int k = 0; k <= SweepPoints; k++)
        {
            float t = (float)(-125.49 * k / SweepPoints); // round(t) ≥ −125: not flushed
            float model = Exp2Model(t);
            float got128 = VectorMath.Exp2OfNonPositive(Vector128.Create(t)).GetElement(k % 4);
            float got256 = VectorMath.Exp2OfNonPositive(Vector256.Create(t)).GetElement(k % 8);
            float got512 = VectorMath.Exp2OfNonPositive(Vector512.Create(t)).GetElement(k % 16);
            if (!SameBits(model, got128) || !SameBits(model, got256) || !SameBits(model, got512))
            {
                if (mismatches++ == 0)
                {
                    firstMismatch = $"t = {t:R}: model {model:R}, Vector128 {got128:R}, Vector256 {got256:R}, Vector512 {got512:R}";
                }
            }

            double exact = Math.Pow(2, t);
            double relative = Math.Abs(got256 - exact) / exact;
            double ulps = Math.Abs(got256 - exact) / Ulp((float)exact);
            if (relative > maxRelative)
            {
                maxRelative = relative;
                worstT = t;
            }

            maxUlps = Math.Max(maxUlps, ulps);
        }

        output.WriteLine($"Exp2OfNonPositive: max relative error {maxRelative:E3} at t = {worstT:R}, {maxUlps:F3} ulp; {mismatches} results off the model's bits");
        Assert.True(mismatches == 0, $"{mismatches} results differ from the scalar model, first {firstMismatch}");
        Assert.True(maxRelative <= ExpMaxRelativeError, $"max relative error {maxRelative:E3} at t = {worstT:R}");
        Assert.True(maxUlps <= ExpMaxUlps, $"max error {maxUlps:F3} ulp");

        // Special values, and NaN and 0 kept to their own lanes, at every width.
        foreach (var exp2 in new Func<float, int, float>[]
        {
            (t, lane) => VectorMath.Exp2OfNonPositive(Vector128.Create(t)).GetElement(lane % 4),
            (t, lane) => VectorMath.Exp2OfNonPositive(Vector256.Create(t)).GetElement(lane % 8),
            (t, lane) => VectorMath.Exp2OfNonPositive(Vector512.Create(t)).GetElement(lane),
        })
        {
            Assert.Equal(0f, exp2(-125.5f, 0)); // rounds to n = −126
            Assert.Equal(0f, exp2(float.NegativeInfinity, 7));
            Assert.Equal(0f, exp2(float.MinValue, 7));
            Assert.Equal(1f, exp2(-0f, 3));
            Assert.Equal(0.5f, exp2(-1f, 3));
            Assert.True(float.IsNaN(exp2(float.NaN, 5)));
        }

        Vector256<float> mixed = VectorMath.Exp2OfNonPositive(Vector256.Create(-2f).WithElement(3, float.NaN).WithElement(5, float.NegativeInfinity));
        Assert.True(float.IsNaN(mixed.GetElement(3)));
        Assert.Equal(0f, mixed.GetElement(5));
        Assert.Equal(0.25f, mixed.GetElement(4));

        // The formula in scalar steps: n = round(t), the polynomial in f = t − n with the same multiply-adds (fused
        // where the machine fuses, as the vector ones), times 2ⁿ exactly; 0 below n = −125.5, NaN kept.
        static float Exp2Model(float t)
        {
            float n = MathF.Round(t);
            float f = t - n;
            float p = float.MultiplyAddEstimate(VectorMath.Exp2C6, f, VectorMath.Exp2C5);
            p = float.MultiplyAddEstimate(p, f, VectorMath.Exp2C4);
            p = float.MultiplyAddEstimate(p, f, VectorMath.Exp2C3);
            p = float.MultiplyAddEstimate(p, f, VectorMath.Exp2C2);
            p = float.MultiplyAddEstimate(p, f, VectorMath.Exp2C1);
            p = float.MultiplyAddEstimate(p, f, 1f);
            return n < VectorMath.FlushBelowN ? 0f : MathF.ScaleB(p, (int)n);
        }

        static bool SameBits(float a, float b) => BitConverter.SingleToInt32Bits(a) == BitConverter.SingleToInt32Bits(b);
    }

    [Fact]
    public void Tanh_DenseSweep_IsWithinStatedError()
    {
        double maxRelative = 0, maxAbsolute = 0;
        const int points = 1 << 20;
        for (int k = 0; k <= points; k++)
        {
            float x = (float)(-10.0 + 20.0 * k / points);
            CheckTanh(x, ref maxRelative, ref maxAbsolute);
        }
        for (float t = 1e-30f; t < 1f; t *= 1.1f)
        {
            CheckTanh(t, ref maxRelative, ref maxAbsolute);
            CheckTanh(-t, ref maxRelative, ref maxAbsolute);
        }

        output.WriteLine($"Tanh over [-10, 10]: max relative error {maxRelative:E3}, max absolute error {maxAbsolute:E3}");
        Assert.True(maxRelative <= TanhMaxRelativeError, $"max relative error {maxRelative:E3}");
        Assert.True(maxAbsolute <= TanhMaxAbsoluteError, $"max absolute error {maxAbsolute:E3}");
    }

    [Theory]
    [InlineData(0f, 0f)]
    [InlineData(20f, 1f)]
    [InlineData(-20f, -1f)]
    [InlineData(1000f, 1f)]
    [InlineData(float.PositiveInfinity, 1f)]
    [InlineData(float.NegativeInfinity, -1f)]
    public void Tanh_SpecialValues(float x, float expected)
    {
        Assert.Equal(expected, VectorMath.Tanh(x));
        Assert.Equal(expected, VectorMath.Tanh(Vector128.Create(x)).GetElement(0));
        Assert.Equal(expected, VectorMath.Tanh(Vector256.Create(x)).GetElement(7));
        Assert.Equal(expected, VectorMath.Tanh(Vector512.Create(x)).GetElement(15));
    }

    [Fact]
    public void Tanh_NaNAndNegativeZero()
    {
        Assert.True(float.IsNaN(VectorMath.Tanh(float.NaN)));
        Assert.True(float.IsNaN(VectorMath.Tanh(Vector512.Create(float.NaN)).GetElement(0)));
        Assert.True(float.IsNegative(VectorMath.Tanh(-0f)));
        Assert.True(float.IsNegative(VectorMath.Tanh(Vector256.Create(-0f)).GetElement(0)));
    }

    [Fact]
    public void Tanh_EveryVectorWidth_MatchesScalarWithinOneUlp()
    {
        int worst = MaxUlpDifference(
            static x => VectorMath.Tanh(x), static v => VectorMath.Tanh(v), static v => VectorMath.Tanh(v), static v => VectorMath.Tanh(v),
            -12f, 12f);
        output.WriteLine($"Tanh: max ulp difference between vector widths and scalar: {worst}");
        Assert.True(worst <= 1, $"vector Tanh differs from scalar by {worst} ulp");
    }

    private static void CheckTanh(float x, ref double maxRelative, ref double maxAbsolute)
    {
        double exact = Math.Tanh(x);
        double error = Math.Abs(VectorMath.Tanh(x) - exact);
        maxAbsolute = Math.Max(maxAbsolute, error);
        if (exact != 0)
        {
            maxRelative = Math.Max(maxRelative, error / Math.Abs(exact));
        }
    }

    private static int MaxUlpDifference(
        Func<float, float> scalar,
        Func<Vector128<float>, Vector128<float>> f128,
        Func<Vector256<float>, Vector256<float>> f256,
        Func<Vector512<float>, Vector512<float>> f512,
        float from, float to)
    {
        const int vectors = 1 << 14;
        var input = new float[vectors * 16];
        var rng = new Random(1234);
        for (int i = 0; i < input.Length; i++)
        {
            input[i] = from + (to - from) * (float)rng.NextDouble();
        }

        int worst = 0;
        for (int v = 0; v < vectors; v++)
        {
            var x512 = Vector512.Create(input.AsSpan(v * 16, 16));
            Vector512<float> y512 = f512(x512);
            Vector256<float> y256lo = f256(x512.GetLower()), y256hi = f256(x512.GetUpper());
            Vector128<float> y128 = f128(x512.GetLower().GetLower());
            for (int lane = 0; lane < 16; lane++)
            {
                float expected = scalar(input[v * 16 + lane]);
                worst = Math.Max(worst, UlpDistance(expected, y512.GetElement(lane)));
                worst = Math.Max(worst, UlpDistance(expected, lane < 8 ? y256lo.GetElement(lane) : y256hi.GetElement(lane - 8)));
                if (lane < 4)
                {
                    worst = Math.Max(worst, UlpDistance(expected, y128.GetElement(lane)));
                }
            }
        }
        return worst;
    }

    private static int UlpDistance(float a, float b)
    {
        if (a.Equals(b))
        {
            return 0; // also NaN == NaN and equal infinities
        }
        if (float.IsNaN(a) || float.IsNaN(b) || Math.Sign(a) != Math.Sign(b))
        {
            return int.MaxValue;
        }
        return Math.Abs(BitConverter.SingleToInt32Bits(a) - BitConverter.SingleToInt32Bits(b));
    }

    private static double Ulp(float value)
    {
        float magnitude = MathF.Abs(value);
        return MathF.BitIncrement(magnitude) - magnitude;
    }
}
