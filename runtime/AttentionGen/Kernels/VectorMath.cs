using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace AttentionGen.Kernels;

/// <summary>
/// Float <c>exp</c>, <c>tanh</c>, <c>erf</c> and <c>erfc</c> for scalars and for <see cref="Vector128{T}"/>, <see cref="Vector256{T}"/> and
/// <see cref="Vector512{T}"/>, small enough to inline into the attention kernels.
/// </summary>
/// <remarks>
/// <para>
/// Every overload runs the same sequence of float operations, so the scalar and vector paths return bit-identical
/// results on the same machine. <see cref="MathF.Exp"/> is a call (not allowed in a hot loop) and
/// <see cref="Vector512.Exp(Vector512{float})"/> works in double, which is why this exists.
/// </para>
/// <para>
/// Algorithm: clamp x to [-88, 89]; n = floor(x·log₂e); r = x − n·ln2 with ln2 split into a 12-bit high part (so
/// n·ln2hi is exact even without FMA) and a low part (Cody–Waite), giving r in [0, ln2); e^r by a degree-6
/// polynomial 1 + r + r²·(c2 + … + c6·r⁴) fitted on [0, ln2] with its first two coefficients fixed at 1 (so
/// exp(0) is exactly 1); finally multiply by 2ⁿ built by shifting n + 127 into the exponent bits. Reducing with
/// floor keeps n in the float exponent range -126..127 exactly over the finite results, so overflow and underflow
/// fall out of the exponent arithmetic with no extra selects: n = -127 gives 2ⁿ = +0 and n = 128 gives +∞.
/// Multiply-adds use <c>MultiplyAddEstimate</c>, which is a fused FMA wherever the hardware has one (and a plain
/// multiply and add otherwise, which stays within the same bound).
/// </para>
/// <para>
/// Special values: exp(x) is exactly 0 for x below about -87.34 (results that would be subnormal are flushed to
/// zero), including -∞; +∞ for x above about 88.72, including +∞; NaN for NaN.
/// </para>
/// <para>
/// Measured accuracy, exhaustively over all 2.24·10⁹ floats in [-87, 88] against <see cref="Math.Exp"/> in double:
/// maximum relative error 1.08e-7 (1.82 ulp) with FMA, 1.27e-7 (2.14 ulp) without FMA (e.g. DOTNET_EnableAVX2=0);
/// in both cases the Vector128/256/512 results are bit-identical to the scalar ones. <c>VectorMathTests</c> asserts
/// 2e-7 relative and 3 ulp on a 2²¹-point sweep. <see cref="Tanh(float)"/>: maximum relative error 3.3e-7 and
/// absolute error 8.8e-8 over [-10, 10] (asserted: 1e-6 and 2e-7).
/// </para>
/// <para>
/// <see cref="Erf(float)"/> and <see cref="Erfc(float)"/> (algorithm at their constants): measured on 4·10⁶ random
/// points against a float64 erf, erf is within 8.3e-8 absolute with FMA (1.4 ulp at 0.84, just above |x| = 1 where the
/// erfc branch takes over) and 1.32e-7 without, and within 8.7e-8 (FMA) and 1.6e-7 relative below |x| = 1; erfc is
/// within 4.8e-7 · max(1, x²) relative for x ≥ 0, the x² from the rounding of the float x² in e^(−x²).
/// <c>ActivationKernelsTests</c> asserts 1e-7 absolute with FMA (2e-7 without) and 1e-6 · max(1, x²) relative on
/// 2¹⁸-point sweeps.
/// </para>
/// </remarks>
public static class VectorMath
{
    // Inputs are clamped into [ExpLowerBound, ExpUpperBound] so that n = floor(x·log2e) stays in -127..128, the range
    // whose biased exponent n + 127 fits in 0..255: 0 encodes +0 (underflow) and 255 encodes +inf (overflow).
    private const float ExpLowerBound = -88.0f;
    private const float ExpUpperBound = 89.0f;

    private const float Log2E = 1.44269504f;
    private const float Ln2Hi = 0.693115234375f;        // ln2 with the low 12 mantissa bits cleared: n·Ln2Hi is exact for |n| ≤ 2048
    private const float Ln2Lo = 3.19461833e-05f;        // ln2 − Ln2Hi

    // e^r ≈ 1 + r + r²·(C2 + r·(C3 + r·(C4 + r·(C5 + r·C6)))) on [0, ln2]; Chebyshev-node fit, relative error 2.5e-8.
    private const float C2 = 0.500000077f;
    private const float C3 = 0.166661101f;
    private const float C4 = 0.0417303323f;
    private const float C5 = 0.00808118426f;
    private const float C6 = 0.00178659425f;

    // 1.5·2^23: adding it to an integer-valued float n in -127..128 leaves n in the low mantissa bits, so shifting
    // the sum's bits left by 23 leaves exactly n << 23 (the magic's own bits shift out).
    private const float IntegerMagic = 12582912f;
    private const int ExponentBias = 127 << 23;

    // Below this |x| tanh uses its odd Taylor polynomial; above it, 1 − 2/(e^{2|x|}+1), whose cancellation would
    // cost relative accuracy near zero.
    private const float TanhPolynomialBound = 0.25f;
    private const float T3 = -1f / 3f;
    private const float T5 = 2f / 15f;
    private const float T7 = -17f / 315f;
    private const float T9 = 62f / 2835f;

    // erfc(z) for z ≥ 0 as e^(−z²)·t·P(t) with t = 1/(1 + ErfcScale·z): P is a degree-9 Chebyshev fit of
    // erfc(z)·e^(z²)/t over z in [0, 10.6] (relative error 5.7e-9 in exact arithmetic). Past z ≈ 9.4, e^(−z²) is 0 in
    // float, so the fit's range covers every z whose result is not 0. Relative accuracy is what GELU needs: for
    // negative x it is x·erfc(|x|/√2)/2, a small number that 1 + erf(x/√2) would get only by cancellation.
    private const float ErfcScale = 0.4f;
    private const float P9 = -0.0325508341f;
    private const float P8 = 0.213441297f;
    private const float P7 = -0.533470809f;
    private const float P6 = 0.59129554f;
    private const float P5 = -0.318709105f;
    private const float P4 = 0.289261281f;
    private const float P3 = 0.124193221f;
    private const float P2 = 0.215991274f;
    private const float P1 = 0.224835902f;
    private const float P0 = 0.22571221f;

    // Below this |x|, erf(x) = x·S(x²) with S a degree-7 Chebyshev fit of erf(x)/x in x² over [0, 1] (error 3.4e-11):
    // 1 − erfc would lose erf's relative accuracy near 0, and from 1 up it is within 1e-7 absolute since erfc(1) ≈ 0.157.
    // S's constant term, about 2/√π, is split into a float and the rest, and x·S(x²) is summed as x·S0Hi + x·(S − S0Hi):
    // with FMA, x·S0Hi is then exact inside the final multiply-add, which takes about a third off the largest error.
    private const float ErfPolynomialBound = 1f;
    private const float S0Hi = 1.12837923f;
    private const float S7 = -9.66704465e-06f;
    private const float S6 = 0.000112659589f;
    private const float S5 = -0.000848408032f;
    private const float S4 = 0.00522103161f;
    private const float S3 = -0.0268654302f;
    private const float S2 = 0.112837821f;
    private const float S1 = -0.376126379f;
    private const float S0Lo = -5.86693538e-08f;    // the fit's constant term − S0Hi

    /// <summary>Returns e raised to <paramref name="x"/> (see the type remarks for accuracy and special values).</summary>
    /// <param name="x">The exponent.</param>
    /// <returns>e^x as a float.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Exp(float x)
    {
        // Written as comparisons rather than MathF.Max/Min so NaN passes through unchanged.
        x = x < ExpLowerBound ? ExpLowerBound : x;
        x = x > ExpUpperBound ? ExpUpperBound : x;

        float n = MathF.Floor(x * Log2E);
        float r = float.MultiplyAddEstimate(n, -Ln2Hi, x);
        r = float.MultiplyAddEstimate(n, -Ln2Lo, r);

        float p = float.MultiplyAddEstimate(C6, r, C5);
        p = float.MultiplyAddEstimate(p, r, C4);
        p = float.MultiplyAddEstimate(p, r, C3);
        p = float.MultiplyAddEstimate(p, r, C2);
        p = float.MultiplyAddEstimate(p, r, 1f);
        p = float.MultiplyAddEstimate(p, r, 1f);

        int scale = (BitConverter.SingleToInt32Bits(n + IntegerMagic) << 23) + ExponentBias;
        return p * BitConverter.Int32BitsToSingle(scale);
    }

    /// <summary>Returns e raised to each element of <paramref name="x"/>; element-wise identical to <see cref="Exp(float)"/>.</summary>
    /// <param name="x">The exponents.</param>
    /// <returns>e^x per element.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Exp(Vector128<float> x)
    {
        // Clamp (not ClampNative): IEEE min/max keep NaN as NaN.
        x = Vector128.Clamp(x, Vector128.Create(ExpLowerBound), Vector128.Create(ExpUpperBound));

        Vector128<float> n = Vector128.Floor(x * Vector128.Create(Log2E));
        Vector128<float> r = Vector128.MultiplyAddEstimate(n, Vector128.Create(-Ln2Hi), x);
        r = Vector128.MultiplyAddEstimate(n, Vector128.Create(-Ln2Lo), r);

        Vector128<float> p = Vector128.MultiplyAddEstimate(Vector128.Create(C6), r, Vector128.Create(C5));
        p = Vector128.MultiplyAddEstimate(p, r, Vector128.Create(C4));
        p = Vector128.MultiplyAddEstimate(p, r, Vector128.Create(C3));
        p = Vector128.MultiplyAddEstimate(p, r, Vector128.Create(C2));
        p = Vector128.MultiplyAddEstimate(p, r, Vector128<float>.One);
        p = Vector128.MultiplyAddEstimate(p, r, Vector128<float>.One);

        Vector128<int> scale = Vector128.ShiftLeft((n + Vector128.Create(IntegerMagic)).AsInt32(), 23) + Vector128.Create(ExponentBias);
        return p * scale.AsSingle();
    }

    /// <summary>Returns e raised to each element of <paramref name="x"/>; element-wise identical to <see cref="Exp(float)"/>.</summary>
    /// <param name="x">The exponents.</param>
    /// <returns>e^x per element.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        x = Vector256.Clamp(x, Vector256.Create(ExpLowerBound), Vector256.Create(ExpUpperBound));

        Vector256<float> n = Vector256.Floor(x * Vector256.Create(Log2E));
        Vector256<float> r = Vector256.MultiplyAddEstimate(n, Vector256.Create(-Ln2Hi), x);
        r = Vector256.MultiplyAddEstimate(n, Vector256.Create(-Ln2Lo), r);

        Vector256<float> p = Vector256.MultiplyAddEstimate(Vector256.Create(C6), r, Vector256.Create(C5));
        p = Vector256.MultiplyAddEstimate(p, r, Vector256.Create(C4));
        p = Vector256.MultiplyAddEstimate(p, r, Vector256.Create(C3));
        p = Vector256.MultiplyAddEstimate(p, r, Vector256.Create(C2));
        p = Vector256.MultiplyAddEstimate(p, r, Vector256<float>.One);
        p = Vector256.MultiplyAddEstimate(p, r, Vector256<float>.One);

        Vector256<int> scale = Vector256.ShiftLeft((n + Vector256.Create(IntegerMagic)).AsInt32(), 23) + Vector256.Create(ExponentBias);
        return p * scale.AsSingle();
    }

    /// <summary>Returns e raised to each element of <paramref name="x"/>; element-wise identical to <see cref="Exp(float)"/>.</summary>
    /// <param name="x">The exponents.</param>
    /// <returns>e^x per element.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        x = Vector512.Clamp(x, Vector512.Create(ExpLowerBound), Vector512.Create(ExpUpperBound));

        Vector512<float> n = Vector512.Floor(x * Vector512.Create(Log2E));
        Vector512<float> r = Vector512.MultiplyAddEstimate(n, Vector512.Create(-Ln2Hi), x);
        r = Vector512.MultiplyAddEstimate(n, Vector512.Create(-Ln2Lo), r);

        Vector512<float> p = Vector512.MultiplyAddEstimate(Vector512.Create(C6), r, Vector512.Create(C5));
        p = Vector512.MultiplyAddEstimate(p, r, Vector512.Create(C4));
        p = Vector512.MultiplyAddEstimate(p, r, Vector512.Create(C3));
        p = Vector512.MultiplyAddEstimate(p, r, Vector512.Create(C2));
        p = Vector512.MultiplyAddEstimate(p, r, Vector512<float>.One);
        p = Vector512.MultiplyAddEstimate(p, r, Vector512<float>.One);

        Vector512<int> scale = Vector512.ShiftLeft((n + Vector512.Create(IntegerMagic)).AsInt32(), 23) + Vector512.Create(ExponentBias);
        return p * scale.AsSingle();
    }

    /// <summary>Returns the hyperbolic tangent of <paramref name="x"/>, built on <see cref="Exp(float)"/>.</summary>
    /// <param name="x">The argument.</param>
    /// <returns>tanh(x); exactly ±1 once |x| is large enough that the float result rounds there, NaN for NaN.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Tanh(float x)
    {
        float ax = MathF.Abs(x);

        // 1 − 2/(e^{2|x|}+1): e^{2|x|} = +inf for large |x| gives exactly 1.
        float viaExp = 1f - 2f / (Exp(ax + ax) + 1f);

        float u = ax * ax;
        float q = float.MultiplyAddEstimate(T9, u, T7);
        q = float.MultiplyAddEstimate(q, u, T5);
        q = float.MultiplyAddEstimate(q, u, T3);
        float viaPolynomial = float.MultiplyAddEstimate(ax * u, q, ax);

        return MathF.CopySign(ax < TanhPolynomialBound ? viaPolynomial : viaExp, x);
    }

    /// <summary>Returns the hyperbolic tangent of each element; element-wise identical to <see cref="Tanh(float)"/>.</summary>
    /// <param name="x">The arguments.</param>
    /// <returns>tanh(x) per element.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Tanh(Vector128<float> x)
    {
        Vector128<float> ax = Vector128.Abs(x);
        Vector128<float> viaExp = Vector128<float>.One - Vector128.Create(2f) / (Exp(ax + ax) + Vector128<float>.One);

        Vector128<float> u = ax * ax;
        Vector128<float> q = Vector128.MultiplyAddEstimate(Vector128.Create(T9), u, Vector128.Create(T7));
        q = Vector128.MultiplyAddEstimate(q, u, Vector128.Create(T5));
        q = Vector128.MultiplyAddEstimate(q, u, Vector128.Create(T3));
        Vector128<float> viaPolynomial = Vector128.MultiplyAddEstimate(ax * u, q, ax);

        Vector128<float> small = Vector128.LessThan(ax, Vector128.Create(TanhPolynomialBound));
        return Vector128.CopySign(Vector128.ConditionalSelect(small, viaPolynomial, viaExp), x);
    }

    /// <summary>Returns the hyperbolic tangent of each element; element-wise identical to <see cref="Tanh(float)"/>.</summary>
    /// <param name="x">The arguments.</param>
    /// <returns>tanh(x) per element.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Tanh(Vector256<float> x)
    {
        Vector256<float> ax = Vector256.Abs(x);
        Vector256<float> viaExp = Vector256<float>.One - Vector256.Create(2f) / (Exp(ax + ax) + Vector256<float>.One);

        Vector256<float> u = ax * ax;
        Vector256<float> q = Vector256.MultiplyAddEstimate(Vector256.Create(T9), u, Vector256.Create(T7));
        q = Vector256.MultiplyAddEstimate(q, u, Vector256.Create(T5));
        q = Vector256.MultiplyAddEstimate(q, u, Vector256.Create(T3));
        Vector256<float> viaPolynomial = Vector256.MultiplyAddEstimate(ax * u, q, ax);

        Vector256<float> small = Vector256.LessThan(ax, Vector256.Create(TanhPolynomialBound));
        return Vector256.CopySign(Vector256.ConditionalSelect(small, viaPolynomial, viaExp), x);
    }

    /// <summary>Returns the hyperbolic tangent of each element; element-wise identical to <see cref="Tanh(float)"/>.</summary>
    /// <param name="x">The arguments.</param>
    /// <returns>tanh(x) per element.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Tanh(Vector512<float> x)
    {
        Vector512<float> ax = Vector512.Abs(x);
        Vector512<float> viaExp = Vector512<float>.One - Vector512.Create(2f) / (Exp(ax + ax) + Vector512<float>.One);

        Vector512<float> u = ax * ax;
        Vector512<float> q = Vector512.MultiplyAddEstimate(Vector512.Create(T9), u, Vector512.Create(T7));
        q = Vector512.MultiplyAddEstimate(q, u, Vector512.Create(T5));
        q = Vector512.MultiplyAddEstimate(q, u, Vector512.Create(T3));
        Vector512<float> viaPolynomial = Vector512.MultiplyAddEstimate(ax * u, q, ax);

        Vector512<float> small = Vector512.LessThan(ax, Vector512.Create(TanhPolynomialBound));
        return Vector512.CopySign(Vector512.ConditionalSelect(small, viaPolynomial, viaExp), x);
    }

    /// <summary>Returns the error function of <paramref name="x"/> (see the type remarks for accuracy).</summary>
    /// <param name="x">The argument.</param>
    /// <returns>erf(x); ±1 for ±∞, NaN for NaN.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Erf(float x)
    {
        float ax = MathF.Abs(x);
        float u = ax * ax;
        float s = float.MultiplyAddEstimate(S7, u, S6);
        s = float.MultiplyAddEstimate(s, u, S5);
        s = float.MultiplyAddEstimate(s, u, S4);
        s = float.MultiplyAddEstimate(s, u, S3);
        s = float.MultiplyAddEstimate(s, u, S2);
        s = float.MultiplyAddEstimate(s, u, S1);
        s = float.MultiplyAddEstimate(s, u, S0Lo);
        float viaPolynomial = float.MultiplyAddEstimate(ax, S0Hi, ax * s);
        float viaErfc = 1f - ErfcOfNonNegative(ax);
        return MathF.CopySign(ax < ErfPolynomialBound ? viaPolynomial : viaErfc, x);
    }

    /// <summary>Returns the complementary error function 1 − erf(<paramref name="x"/>), with relative accuracy for x ≥ 0.</summary>
    /// <param name="x">The argument.</param>
    /// <returns>erfc(x); 0 for x above about 9.3 (including +∞), 2 for −∞, NaN for NaN.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Erfc(float x)
    {
        float tail = ErfcOfNonNegative(MathF.Abs(x));
        return x < 0f ? 2f - tail : tail;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float ErfcOfNonNegative(float z)
    {
        // t is 0 for z = +∞ and e^(−z²) is 0 there, so the product is 0 rather than NaN.
        float t = 1f / float.MultiplyAddEstimate(ErfcScale, z, 1f);
        float p = float.MultiplyAddEstimate(P9, t, P8);
        p = float.MultiplyAddEstimate(p, t, P7);
        p = float.MultiplyAddEstimate(p, t, P6);
        p = float.MultiplyAddEstimate(p, t, P5);
        p = float.MultiplyAddEstimate(p, t, P4);
        p = float.MultiplyAddEstimate(p, t, P3);
        p = float.MultiplyAddEstimate(p, t, P2);
        p = float.MultiplyAddEstimate(p, t, P1);
        p = float.MultiplyAddEstimate(p, t, P0);
        return Exp(-(z * z)) * (t * p);
    }

    /// <summary>Returns the error function of each element; element-wise identical to <see cref="Erf(float)"/>.</summary>
    /// <param name="x">The arguments.</param>
    /// <returns>erf(x) per element.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Erf(Vector128<float> x)
    {
        Vector128<float> ax = Vector128.Abs(x);
        Vector128<float> u = ax * ax;
        Vector128<float> s = Vector128.MultiplyAddEstimate(Vector128.Create(S7), u, Vector128.Create(S6));
        s = Vector128.MultiplyAddEstimate(s, u, Vector128.Create(S5));
        s = Vector128.MultiplyAddEstimate(s, u, Vector128.Create(S4));
        s = Vector128.MultiplyAddEstimate(s, u, Vector128.Create(S3));
        s = Vector128.MultiplyAddEstimate(s, u, Vector128.Create(S2));
        s = Vector128.MultiplyAddEstimate(s, u, Vector128.Create(S1));
        s = Vector128.MultiplyAddEstimate(s, u, Vector128.Create(S0Lo));
        Vector128<float> viaPolynomial = Vector128.MultiplyAddEstimate(ax, Vector128.Create(S0Hi), ax * s);
        Vector128<float> viaErfc = Vector128<float>.One - ErfcOfNonNegative(ax);
        return Vector128.CopySign(Vector128.ConditionalSelect(Vector128.LessThan(ax, Vector128.Create(ErfPolynomialBound)), viaPolynomial, viaErfc), x);
    }

    /// <summary>Returns the complementary error function of each element; element-wise identical to <see cref="Erfc(float)"/>.</summary>
    /// <param name="x">The arguments.</param>
    /// <returns>erfc(x) per element.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Erfc(Vector128<float> x)
    {
        Vector128<float> tail = ErfcOfNonNegative(Vector128.Abs(x));
        return Vector128.ConditionalSelect(Vector128.LessThan(x, Vector128<float>.Zero), Vector128.Create(2f) - tail, tail);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> ErfcOfNonNegative(Vector128<float> z)
    {
        // t is 0 for z = +∞ and e^(−z²) is 0 there, so the product is 0 rather than NaN.
        Vector128<float> t = Vector128<float>.One / Vector128.MultiplyAddEstimate(Vector128.Create(ErfcScale), z, Vector128<float>.One);
        Vector128<float> p = Vector128.MultiplyAddEstimate(Vector128.Create(P9), t, Vector128.Create(P8));
        p = Vector128.MultiplyAddEstimate(p, t, Vector128.Create(P7));
        p = Vector128.MultiplyAddEstimate(p, t, Vector128.Create(P6));
        p = Vector128.MultiplyAddEstimate(p, t, Vector128.Create(P5));
        p = Vector128.MultiplyAddEstimate(p, t, Vector128.Create(P4));
        p = Vector128.MultiplyAddEstimate(p, t, Vector128.Create(P3));
        p = Vector128.MultiplyAddEstimate(p, t, Vector128.Create(P2));
        p = Vector128.MultiplyAddEstimate(p, t, Vector128.Create(P1));
        p = Vector128.MultiplyAddEstimate(p, t, Vector128.Create(P0));
        return Exp(-(z * z)) * (t * p);
    }

    /// <summary>Returns the error function of each element; element-wise identical to <see cref="Erf(float)"/>.</summary>
    /// <param name="x">The arguments.</param>
    /// <returns>erf(x) per element.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Erf(Vector256<float> x)
    {
        Vector256<float> ax = Vector256.Abs(x);
        Vector256<float> u = ax * ax;
        Vector256<float> s = Vector256.MultiplyAddEstimate(Vector256.Create(S7), u, Vector256.Create(S6));
        s = Vector256.MultiplyAddEstimate(s, u, Vector256.Create(S5));
        s = Vector256.MultiplyAddEstimate(s, u, Vector256.Create(S4));
        s = Vector256.MultiplyAddEstimate(s, u, Vector256.Create(S3));
        s = Vector256.MultiplyAddEstimate(s, u, Vector256.Create(S2));
        s = Vector256.MultiplyAddEstimate(s, u, Vector256.Create(S1));
        s = Vector256.MultiplyAddEstimate(s, u, Vector256.Create(S0Lo));
        Vector256<float> viaPolynomial = Vector256.MultiplyAddEstimate(ax, Vector256.Create(S0Hi), ax * s);
        Vector256<float> viaErfc = Vector256<float>.One - ErfcOfNonNegative(ax);
        return Vector256.CopySign(Vector256.ConditionalSelect(Vector256.LessThan(ax, Vector256.Create(ErfPolynomialBound)), viaPolynomial, viaErfc), x);
    }

    /// <summary>Returns the complementary error function of each element; element-wise identical to <see cref="Erfc(float)"/>.</summary>
    /// <param name="x">The arguments.</param>
    /// <returns>erfc(x) per element.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Erfc(Vector256<float> x)
    {
        Vector256<float> tail = ErfcOfNonNegative(Vector256.Abs(x));
        return Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), Vector256.Create(2f) - tail, tail);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> ErfcOfNonNegative(Vector256<float> z)
    {
        // t is 0 for z = +∞ and e^(−z²) is 0 there, so the product is 0 rather than NaN.
        Vector256<float> t = Vector256<float>.One / Vector256.MultiplyAddEstimate(Vector256.Create(ErfcScale), z, Vector256<float>.One);
        Vector256<float> p = Vector256.MultiplyAddEstimate(Vector256.Create(P9), t, Vector256.Create(P8));
        p = Vector256.MultiplyAddEstimate(p, t, Vector256.Create(P7));
        p = Vector256.MultiplyAddEstimate(p, t, Vector256.Create(P6));
        p = Vector256.MultiplyAddEstimate(p, t, Vector256.Create(P5));
        p = Vector256.MultiplyAddEstimate(p, t, Vector256.Create(P4));
        p = Vector256.MultiplyAddEstimate(p, t, Vector256.Create(P3));
        p = Vector256.MultiplyAddEstimate(p, t, Vector256.Create(P2));
        p = Vector256.MultiplyAddEstimate(p, t, Vector256.Create(P1));
        p = Vector256.MultiplyAddEstimate(p, t, Vector256.Create(P0));
        return Exp(-(z * z)) * (t * p);
    }

    /// <summary>Returns the error function of each element; element-wise identical to <see cref="Erf(float)"/>.</summary>
    /// <param name="x">The arguments.</param>
    /// <returns>erf(x) per element.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Erf(Vector512<float> x)
    {
        Vector512<float> ax = Vector512.Abs(x);
        Vector512<float> u = ax * ax;
        Vector512<float> s = Vector512.MultiplyAddEstimate(Vector512.Create(S7), u, Vector512.Create(S6));
        s = Vector512.MultiplyAddEstimate(s, u, Vector512.Create(S5));
        s = Vector512.MultiplyAddEstimate(s, u, Vector512.Create(S4));
        s = Vector512.MultiplyAddEstimate(s, u, Vector512.Create(S3));
        s = Vector512.MultiplyAddEstimate(s, u, Vector512.Create(S2));
        s = Vector512.MultiplyAddEstimate(s, u, Vector512.Create(S1));
        s = Vector512.MultiplyAddEstimate(s, u, Vector512.Create(S0Lo));
        Vector512<float> viaPolynomial = Vector512.MultiplyAddEstimate(ax, Vector512.Create(S0Hi), ax * s);
        Vector512<float> viaErfc = Vector512<float>.One - ErfcOfNonNegative(ax);
        return Vector512.CopySign(Vector512.ConditionalSelect(Vector512.LessThan(ax, Vector512.Create(ErfPolynomialBound)), viaPolynomial, viaErfc), x);
    }

    /// <summary>Returns the complementary error function of each element; element-wise identical to <see cref="Erfc(float)"/>.</summary>
    /// <param name="x">The arguments.</param>
    /// <returns>erfc(x) per element.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Erfc(Vector512<float> x)
    {
        Vector512<float> tail = ErfcOfNonNegative(Vector512.Abs(x));
        return Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<float>.Zero), Vector512.Create(2f) - tail, tail);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> ErfcOfNonNegative(Vector512<float> z)
    {
        // t is 0 for z = +∞ and e^(−z²) is 0 there, so the product is 0 rather than NaN.
        Vector512<float> t = Vector512<float>.One / Vector512.MultiplyAddEstimate(Vector512.Create(ErfcScale), z, Vector512<float>.One);
        Vector512<float> p = Vector512.MultiplyAddEstimate(Vector512.Create(P9), t, Vector512.Create(P8));
        p = Vector512.MultiplyAddEstimate(p, t, Vector512.Create(P7));
        p = Vector512.MultiplyAddEstimate(p, t, Vector512.Create(P6));
        p = Vector512.MultiplyAddEstimate(p, t, Vector512.Create(P5));
        p = Vector512.MultiplyAddEstimate(p, t, Vector512.Create(P4));
        p = Vector512.MultiplyAddEstimate(p, t, Vector512.Create(P3));
        p = Vector512.MultiplyAddEstimate(p, t, Vector512.Create(P2));
        p = Vector512.MultiplyAddEstimate(p, t, Vector512.Create(P1));
        p = Vector512.MultiplyAddEstimate(p, t, Vector512.Create(P0));
        return Exp(-(z * z)) * (t * p);
    }
}
