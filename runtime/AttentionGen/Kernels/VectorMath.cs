using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace AttentionGen.Kernels;

/// <summary>
/// Float <c>exp</c>, <c>tanh</c>, <c>erf</c> and <c>erfc</c> for scalars and for <see cref="Vector128{T}"/>, <see cref="Vector256{T}"/> and
/// <see cref="Vector512{T}"/>, small enough to inline into the attention kernels.
/// </summary>
/// <remarks>
/// <para>
/// Every overload rounds the same sequence of values, so the scalar and vector paths return bit-identical results on
/// the same machine. <see cref="MathF.Exp"/> is a call (not allowed in a hot loop) and
/// <see cref="Vector512.Exp(Vector512{float})"/> works in double, which is why this exists.
/// </para>
/// <para>
/// Algorithm: n = round(x·log₂e) (to nearest); r = x − n·ln2 with ln2 split into a 12-bit high part (so n·ln2hi is
/// exact even without FMA) and a low part (Cody–Waite), giving r in [−ln2/2, ln2/2]; e^r by a degree-6 polynomial
/// 1 + r + r²·(c2 + … + c6·r⁴) with its first two coefficients fixed at 1 (so exp(0) is exactly 1); finally e^r·2ⁿ,
/// rounded once. With AVX-512 that last step is one <c>vscalefps</c>, which also makes +∞ of a too-large n, and a
/// compare on n zeroes the flushed lanes (both fused into one masked instruction). Elsewhere the same exact product is
/// formed as (2·e^r)·2^(n−1): the polynomial with doubled coefficients (doubling every rounded step exactly) times
/// 2^(n−1) built by shifting n + 126 into the exponent bits. Both forms round the same real number, so they agree to
/// the bit. Inputs are clamped to [−87.5, 89.5] first, which keeps n in −126..129 (where the shift encodes 2^(n−1),
/// with +0 at −126 and +∞ at 129) and turns ±∞ into numbers whose reduction is not ∞ − ∞; with AVX-512 only the upper
/// clamp is needed (n alone decides the flush), and <c>ExpOfNonPositive</c> skips it for a softmax's arguments x − max.
/// Multiply-adds use <c>MultiplyAddEstimate</c>, which is a fused FMA wherever the hardware has one (and a plain
/// multiply and add otherwise, which stays within the same bound).
/// </para>
/// <para>
/// Special values: exp(x) is exactly 0 where n ≤ −126, i.e. for x below −86.98997 (results under about 1.66·10⁻³⁸ are
/// flushed, so none is subnormal), including −∞; +∞ from x = 88.72284 up (the first float whose e^x rounds past
/// float.MaxValue), including +∞; NaN for NaN.
/// </para>
/// <para>
/// Measured accuracy against <see cref="Math.Exp"/> in double, over the results that are neither flushed nor infinite:
/// exhaustively over all 2.24·10⁹ floats in [−87.5, 89.5], maximum relative error 7.71e-8 (0.89 ulp) with FMA and
/// 9.85e-8 (1.17 ulp) without (e.g. DOTNET_EnableAVX2=0, where the multiply-adds round twice). The scalar results and the
/// Vector128/256/512 results of <c>Exp</c> and <c>ExpOfNonPositive</c> are bit-identical: checked exhaustively with
/// AVX-512 and with AVX2 alone (DOTNET_EnableAVX512=0, whose results are also the same bits as AVX-512's), and on every
/// 4096th float without FMA. <c>VectorMathTests</c> asserts 1e-7 relative and 1.25 ulp on a 2²¹-point sweep, and the
/// bit-identity. <see cref="Tanh(float)"/>: maximum relative error 3.1e-7 and absolute error 8.4e-8 over [-10, 10]
/// (asserted: 1e-6 and 2e-7).
/// </para>
/// <para>
/// <see cref="Erf(float)"/> and <see cref="Erfc(float)"/> (algorithm at their constants): measured with the exp above on
/// 4·10⁶ random points in [−6, 6] against a float64 erf, erf is within 7.9e-8 absolute with FMA (worst just above
/// |x| = 1, where the erfc branch takes over) and 1.28e-7 without, and within 8.6e-8 (FMA) and 1.55e-7 relative below
/// |x| = 1; erfc is within 4.5e-7 · max(1, x²) relative for x ≥ 0, the x² from the rounding of the float x² in e^(−x²).
/// <c>ActivationKernelsTests</c> asserts 1e-7 absolute with FMA (2e-7 without) and 1e-6 · max(1, x²) relative on
/// 2¹⁸-point sweeps.
/// </para>
/// </remarks>
public static class VectorMath
{
    // n = round(x·log2e) decides the result's range: n ≤ -126 gives exactly 0 (so no result is subnormal) and
    // n ≥ 129 gives +inf. Clamping x into [ExpLowerBound, ExpUpperBound] keeps n in -126..129 (and turns ±inf into
    // finite inputs whose reduction is not inf − inf), which is where the half-scale 2^(n−1) below is encodable:
    // biased exponent n + 126 in 0..255, where 0 encodes +0 and 255 encodes +inf.
    private const float ExpLowerBound = -87.5f;
    private const float ExpUpperBound = 89.5f;
    private const float FlushBelowN = -125.5f;

    private const float Log2E = 1.44269504f;
    private const float Ln2Hi = 0.693115234375f;        // ln2 with the low 12 mantissa bits cleared: n·Ln2Hi is exact for |n| ≤ 2048
    private const float Ln2Lo = 3.19461833e-05f;        // ln2 − Ln2Hi

    // e^r ≈ 1 + r + r²·(C2 + r·(C3 + r·(C4 + r·(C5 + r·C6)))) on [−ln2/2, ln2/2]; Lawson-weighted least-squares fit of
    // the relative error, 3.8e-9 with the float coefficients, far below the float rounding.
    private const float C2 = 0.49999994f;
    private const float C3 = 0.16666521f;
    private const float C4 = 0.04166839f;
    private const float C5 = 0.008368717f;
    private const float C6 = 0.0013814598f;

    // 1.5·2^23: adding it to an integer-valued float n in -126..129 leaves n in the low mantissa bits, so shifting
    // the sum's bits left by 23 leaves exactly n << 23 (the magic's own bits shift out). Adding the bias for n − 1
    // makes 2^(n−1), which multiplies 2·e^r: the same exact product as e^r·2^n, rounded once.
    private const float IntegerMagic = 12582912f;
    private const int HalfScaleBias = 126 << 23;

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

        float n = MathF.Round(x * Log2E);
        float r = float.MultiplyAddEstimate(n, -Ln2Hi, x);
        r = float.MultiplyAddEstimate(n, -Ln2Lo, r);

        float q = float.MultiplyAddEstimate(2f * C6, r, 2f * C5);
        q = float.MultiplyAddEstimate(q, r, 2f * C4);
        q = float.MultiplyAddEstimate(q, r, 2f * C3);
        q = float.MultiplyAddEstimate(q, r, 2f * C2);
        q = float.MultiplyAddEstimate(q, r, 2f);
        q = float.MultiplyAddEstimate(q, r, 2f);

        int halfScale = (BitConverter.SingleToInt32Bits(n + IntegerMagic) << 23) + HalfScaleBias;
        return q * BitConverter.Int32BitsToSingle(halfScale);
    }

    /// <summary>Returns e raised to each element of <paramref name="x"/>; element-wise identical to <see cref="Exp(float)"/>.</summary>
    /// <param name="x">The exponents.</param>
    /// <returns>e^x per element.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Exp(Vector128<float> x)
    {
        if (Avx512F.VL.IsSupported)
        {
            // Min with a constant is one vminps that keeps a NaN x; the low end needs no clamp, as n decides there.
            return ExpByScale(Vector128.Min(x, Vector128.Create(ExpUpperBound)));
        }

        // Clamp (not ClampNative): IEEE min/max keep NaN as NaN.
        x = Vector128.Clamp(x, Vector128.Create(ExpLowerBound), Vector128.Create(ExpUpperBound));
        Vector128<float> n = Vector128.Round(x * Vector128.Create(Log2E));
        Vector128<float> r = Vector128.MultiplyAddEstimate(n, Vector128.Create(-Ln2Lo), Vector128.MultiplyAddEstimate(n, Vector128.Create(-Ln2Hi), x));
        Vector128<float> q = Vector128.MultiplyAddEstimate(Vector128.Create(2f * C6), r, Vector128.Create(2f * C5));
        q = Vector128.MultiplyAddEstimate(q, r, Vector128.Create(2f * C4));
        q = Vector128.MultiplyAddEstimate(q, r, Vector128.Create(2f * C3));
        q = Vector128.MultiplyAddEstimate(q, r, Vector128.Create(2f * C2));
        q = Vector128.MultiplyAddEstimate(q, r, Vector128.Create(2f));
        q = Vector128.MultiplyAddEstimate(q, r, Vector128.Create(2f));
        Vector128<int> halfScale = Vector128.ShiftLeft((n + Vector128.Create(IntegerMagic)).AsInt32(), 23) + Vector128.Create(HalfScaleBias);
        return q * halfScale.AsSingle();
    }

    /// <summary>
    /// <see cref="Exp(Vector128{float})"/> for arguments known to be at most 0, −∞ or NaN (a softmax's x − max): the same
    /// results, without the clamp that only large positive arguments need on AVX-512.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<float> ExpOfNonPositive(Vector128<float> x) => Avx512F.VL.IsSupported ? ExpByScale(x) : Exp(x);

    /// <summary>The AVX-512 exp of x ≤ <see cref="ExpUpperBound"/> (or NaN, or −∞): p = e^r, then p·2ⁿ by <c>vscalefps</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> ExpByScale(Vector128<float> x)
    {
        Vector128<float> n = Vector128.Round(x * Vector128.Create(Log2E));
        Vector128<float> r = Vector128.MultiplyAddEstimate(n, Vector128.Create(-Ln2Lo), Vector128.MultiplyAddEstimate(n, Vector128.Create(-Ln2Hi), x));
        Vector128<float> p = Vector128.MultiplyAddEstimate(Vector128.Create(C6), r, Vector128.Create(C5));
        p = Vector128.MultiplyAddEstimate(p, r, Vector128.Create(C4));
        p = Vector128.MultiplyAddEstimate(p, r, Vector128.Create(C3));
        p = Vector128.MultiplyAddEstimate(p, r, Vector128.Create(C2));
        p = Vector128.MultiplyAddEstimate(p, r, Vector128<float>.One);
        p = Vector128.MultiplyAddEstimate(p, r, Vector128<float>.One);

        // "Not less than" keeps NaN lanes (and the NaN that x = −∞ makes of r is dropped here with its lane).
        return Vector128.ConditionalSelect(Avx512F.VL.CompareNotLessThan(n, Vector128.Create(FlushBelowN)), Avx512F.VL.Scale(p, n), Vector128<float>.Zero);
    }

    /// <summary>Returns e raised to each element of <paramref name="x"/>; element-wise identical to <see cref="Exp(float)"/>.</summary>
    /// <param name="x">The exponents.</param>
    /// <returns>e^x per element.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        if (Avx512F.VL.IsSupported)
        {
            // Min with a constant is one vminps that keeps a NaN x; the low end needs no clamp, as n decides there.
            return ExpByScale(Vector256.Min(x, Vector256.Create(ExpUpperBound)));
        }

        // Clamp (not ClampNative): IEEE min/max keep NaN as NaN.
        x = Vector256.Clamp(x, Vector256.Create(ExpLowerBound), Vector256.Create(ExpUpperBound));
        Vector256<float> n = Vector256.Round(x * Vector256.Create(Log2E));
        Vector256<float> r = Vector256.MultiplyAddEstimate(n, Vector256.Create(-Ln2Lo), Vector256.MultiplyAddEstimate(n, Vector256.Create(-Ln2Hi), x));
        Vector256<float> q = Vector256.MultiplyAddEstimate(Vector256.Create(2f * C6), r, Vector256.Create(2f * C5));
        q = Vector256.MultiplyAddEstimate(q, r, Vector256.Create(2f * C4));
        q = Vector256.MultiplyAddEstimate(q, r, Vector256.Create(2f * C3));
        q = Vector256.MultiplyAddEstimate(q, r, Vector256.Create(2f * C2));
        q = Vector256.MultiplyAddEstimate(q, r, Vector256.Create(2f));
        q = Vector256.MultiplyAddEstimate(q, r, Vector256.Create(2f));
        Vector256<int> halfScale = Vector256.ShiftLeft((n + Vector256.Create(IntegerMagic)).AsInt32(), 23) + Vector256.Create(HalfScaleBias);
        return q * halfScale.AsSingle();
    }

    /// <summary>
    /// <see cref="Exp(Vector256{float})"/> for arguments known to be at most 0, −∞ or NaN (a softmax's x − max): the same
    /// results, without the clamp that only large positive arguments need on AVX-512.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> ExpOfNonPositive(Vector256<float> x) => Avx512F.VL.IsSupported ? ExpByScale(x) : Exp(x);

    /// <summary>The AVX-512 exp of x ≤ <see cref="ExpUpperBound"/> (or NaN, or −∞): p = e^r, then p·2ⁿ by <c>vscalefps</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> ExpByScale(Vector256<float> x)
    {
        Vector256<float> n = Vector256.Round(x * Vector256.Create(Log2E));
        Vector256<float> r = Vector256.MultiplyAddEstimate(n, Vector256.Create(-Ln2Lo), Vector256.MultiplyAddEstimate(n, Vector256.Create(-Ln2Hi), x));
        Vector256<float> p = Vector256.MultiplyAddEstimate(Vector256.Create(C6), r, Vector256.Create(C5));
        p = Vector256.MultiplyAddEstimate(p, r, Vector256.Create(C4));
        p = Vector256.MultiplyAddEstimate(p, r, Vector256.Create(C3));
        p = Vector256.MultiplyAddEstimate(p, r, Vector256.Create(C2));
        p = Vector256.MultiplyAddEstimate(p, r, Vector256<float>.One);
        p = Vector256.MultiplyAddEstimate(p, r, Vector256<float>.One);

        // "Not less than" keeps NaN lanes (and the NaN that x = −∞ makes of r is dropped here with its lane).
        return Vector256.ConditionalSelect(Avx512F.VL.CompareNotLessThan(n, Vector256.Create(FlushBelowN)), Avx512F.VL.Scale(p, n), Vector256<float>.Zero);
    }

    /// <summary>Returns e raised to each element of <paramref name="x"/>; element-wise identical to <see cref="Exp(float)"/>.</summary>
    /// <param name="x">The exponents.</param>
    /// <returns>e^x per element.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        if (Avx512F.IsSupported)
        {
            // Min with a constant is one vminps that keeps a NaN x; the low end needs no clamp, as n decides there.
            return ExpByScale(Vector512.Min(x, Vector512.Create(ExpUpperBound)));
        }

        // Clamp (not ClampNative): IEEE min/max keep NaN as NaN.
        x = Vector512.Clamp(x, Vector512.Create(ExpLowerBound), Vector512.Create(ExpUpperBound));
        Vector512<float> n = Vector512.Round(x * Vector512.Create(Log2E));
        Vector512<float> r = Vector512.MultiplyAddEstimate(n, Vector512.Create(-Ln2Lo), Vector512.MultiplyAddEstimate(n, Vector512.Create(-Ln2Hi), x));
        Vector512<float> q = Vector512.MultiplyAddEstimate(Vector512.Create(2f * C6), r, Vector512.Create(2f * C5));
        q = Vector512.MultiplyAddEstimate(q, r, Vector512.Create(2f * C4));
        q = Vector512.MultiplyAddEstimate(q, r, Vector512.Create(2f * C3));
        q = Vector512.MultiplyAddEstimate(q, r, Vector512.Create(2f * C2));
        q = Vector512.MultiplyAddEstimate(q, r, Vector512.Create(2f));
        q = Vector512.MultiplyAddEstimate(q, r, Vector512.Create(2f));
        Vector512<int> halfScale = Vector512.ShiftLeft((n + Vector512.Create(IntegerMagic)).AsInt32(), 23) + Vector512.Create(HalfScaleBias);
        return q * halfScale.AsSingle();
    }

    /// <summary>
    /// <see cref="Exp(Vector512{float})"/> for arguments known to be at most 0, −∞ or NaN (a softmax's x − max): the same
    /// results, without the clamp that only large positive arguments need on AVX-512.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> ExpOfNonPositive(Vector512<float> x) => Avx512F.IsSupported ? ExpByScale(x) : Exp(x);

    /// <summary>The AVX-512 exp of x ≤ <see cref="ExpUpperBound"/> (or NaN, or −∞): p = e^r, then p·2ⁿ by <c>vscalefps</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> ExpByScale(Vector512<float> x)
    {
        Vector512<float> n = Vector512.Round(x * Vector512.Create(Log2E));
        Vector512<float> r = Vector512.MultiplyAddEstimate(n, Vector512.Create(-Ln2Lo), Vector512.MultiplyAddEstimate(n, Vector512.Create(-Ln2Hi), x));
        Vector512<float> p = Vector512.MultiplyAddEstimate(Vector512.Create(C6), r, Vector512.Create(C5));
        p = Vector512.MultiplyAddEstimate(p, r, Vector512.Create(C4));
        p = Vector512.MultiplyAddEstimate(p, r, Vector512.Create(C3));
        p = Vector512.MultiplyAddEstimate(p, r, Vector512.Create(C2));
        p = Vector512.MultiplyAddEstimate(p, r, Vector512<float>.One);
        p = Vector512.MultiplyAddEstimate(p, r, Vector512<float>.One);

        // "Not less than" keeps NaN lanes (and the NaN that x = −∞ makes of r is dropped here with its lane).
        return Vector512.ConditionalSelect(Avx512F.CompareNotLessThan(n, Vector512.Create(FlushBelowN)), Avx512F.Scale(p, n), Vector512<float>.Zero);
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
