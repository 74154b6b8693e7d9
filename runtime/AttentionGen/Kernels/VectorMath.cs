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
    internal const float FlushBelowN = -125.5f;

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

    // The same polynomial in base 2, for 2^f = e^(f·ln2): Ck·ln2^k, each rounded to float once. Internal for the tests'
    // scalar model of Exp2OfNonPositive, which pins every width and path to the same bits.
    internal const float Exp2C1 = 0.693147182f;
    internal const float Exp2C2 = 0.240226477f;
    internal const float Exp2C3 = 0.0555036217f;
    internal const float Exp2C4 = 0.00961852726f;
    internal const float Exp2C5 = 0.0013390173f;
    internal const float Exp2C6 = 0.000153211382f;

    // 1.5·2^23: adding it to an integer-valued float n in -126..129 leaves n in the low mantissa bits, so shifting
    // the sum's bits left by 23 leaves exactly n << 23 (the magic's own bits shift out). Adding the bias for n − 1
    // makes 2^(n−1), which multiplies 2·e^r: the same exact product as e^r·2^n, rounded once.
    private const float IntegerMagic = 12582912f;
    private const int HalfScaleBias = 126 << 23;

    /// <summary>A float's exponent bias, in place: added to n·2²³ it makes the bits of 2ⁿ.</summary>
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
    public static Vector128<float> Exp(Vector128<float> x) => Exp<Vector128Width, Vector128<float>>(x);

    /// <inheritdoc cref="Exp(Vector128{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x) => Exp<Vector256Width, Vector256<float>>(x);

    /// <inheritdoc cref="Exp(Vector128{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x) => Exp<Vector512Width, Vector512<float>>(x);

    /// <summary>
    /// <see cref="Exp(Vector128{float})"/> for arguments known to be at most 0, −∞ or NaN (a softmax's x − max): the same
    /// results, without the clamp that only large positive arguments need on AVX-512.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<float> ExpOfNonPositive(Vector128<float> x) => ExpOfNonPositive<Vector128Width, Vector128<float>>(x);

    /// <inheritdoc cref="ExpOfNonPositive(Vector128{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> ExpOfNonPositive(Vector256<float> x) => ExpOfNonPositive<Vector256Width, Vector256<float>>(x);

    /// <inheritdoc cref="ExpOfNonPositive(Vector128{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> ExpOfNonPositive(Vector512<float> x) => ExpOfNonPositive<Vector512Width, Vector512<float>>(x);

    /// <summary>
    /// 2^t for t ≤ 0, −∞ or NaN: the tiles' softmax of scores kept in base 2 (times log₂e), whose argument needs no
    /// scaling by log₂e and no two-part reduction. n = round(t) and f = t − n (exact: t and n are within ½ and
    /// |t| &lt; 2²³, or n decides alone), 2^f by the <see cref="Exp(float)"/> polynomial with its k-th coefficient times
    /// ln2^k (relative error 3.9e-9 in exact arithmetic over f in [−½, ½]), then scaled by 2ⁿ. As <see cref="Exp(float)"/>,
    /// n ≤ −126 (and −∞) gives exactly 0, so no result is subnormal, and NaN stays NaN.
    /// </summary>
    /// <remarks>
    /// Vector512 on AVX-512 scales by <c>vscalefps</c>; every other width and path builds 2ⁿ in a float's exponent bits
    /// and multiplies it in. Both give the same bits: n ≥ −125 wherever the result is kept, so p·2ⁿ is a normal number,
    /// exact either way. (Vector256 with AVX-512VL could scale too, but there the JIT spilled the polynomial around the
    /// mask compare.) Fewer operations did not make the softmax pass faster on Zen 5, where it is 6% of
    /// <c>sdpa H12 S512</c>: a polynomial one degree lower, and n by adding and subtracting 1.5·2²³ rather than
    /// <c>vrndscaleps</c>, both timed 0.99–1.00× there and on <c>sdpa H8 S128</c>. The pass is not bound by its
    /// arithmetic, so the degree stays.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Exp2OfNonPositive(Vector512<float> t) => Exp2OfNonPositive<Vector512Width, Vector512<float>>(t);

    /// <inheritdoc cref="Exp2OfNonPositive(Vector512{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Exp2OfNonPositive(Vector256<float> t) => Exp2OfNonPositive<Vector256Width, Vector256<float>>(t);

    /// <inheritdoc cref="Exp2OfNonPositive(Vector512{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<float> Exp2OfNonPositive(Vector128<float> t) => Exp2OfNonPositive<Vector128Width, Vector128<float>>(t);

    /// <summary>The body behind every <see cref="Exp2OfNonPositive(Vector512{float})"/> overload.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVector Exp2OfNonPositive<TWidth, TVector>(TVector t)
        where TWidth : struct, IVectorWidth<TVector>
        where TVector : struct
    {
        TVector n = TWidth.Round(t);
        TVector f = TWidth.Add(t, TWidth.Negate(n));
        if (Avx512F.IsSupported && typeof(TVector) == typeof(Vector512<float>))
        {
            return TWidth.ScaleUnlessBelow(Exp2OfFraction<TWidth, TVector>(f), n, FlushBelowN);
        }

        // 2ⁿ for n in [−125, 0]: n + 1.5·2²³ holds n in its low mantissa bits; shifted into the exponent field and
        // biased, that is the float 2ⁿ. A lane with n < −125.5 (−∞ too, whose f is NaN) is 0; a NaN lane compares false
        // and stays NaN.
        TVector p = Exp2OfFraction<TWidth, TVector>(f);
        TVector powerOfTwo = TWidth.AddInt32(TWidth.ShiftLeftInt32(TWidth.Add(n, IntegerMagic), 23), ExponentBias);
        return TWidth.ConditionalSelect(TWidth.LessThan(n, FlushBelowN), TWidth.Zero, TWidth.Multiply(p, powerOfTwo));
    }

    /// <summary>2^f for f in [−½, ½] (or NaN): the base-2 polynomial of <see cref="Exp2OfNonPositive{TWidth, TVector}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector Exp2OfFraction<TWidth, TVector>(TVector f)
        where TWidth : struct, IVectorWidth<TVector>
        where TVector : struct
    {
        TVector p = TWidth.MultiplyAddEstimate(Exp2C6, f, Exp2C5);
        p = TWidth.MultiplyAddEstimate(p, f, Exp2C4);
        p = TWidth.MultiplyAddEstimate(p, f, Exp2C3);
        p = TWidth.MultiplyAddEstimate(p, f, Exp2C2);
        p = TWidth.MultiplyAddEstimate(p, f, Exp2C1);
        return TWidth.MultiplyAddEstimate(p, f, 1f);
    }

    /// <summary>The vector <see cref="Exp(float)"/> at any width: the body behind every vector overload.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector Exp<TWidth, TVector>(TVector x)
        where TWidth : struct, IVectorWidth<TVector>
        where TVector : struct
    {
        // AVX-512 at this width, as a condition the JIT folds while importing (a width member would be a call, leaving
        // both branches, and so two uses of x, until after forward substitution, which could then not fold a load of x
        // into the vminps below).
        if (Avx512F.IsSupported && (typeof(TVector) == typeof(Vector512<float>) || Avx512F.VL.IsSupported))
        {
            // Min with a constant is one vminps that keeps a NaN x; the low end needs no clamp, as n decides there.
            return ExpByScale<TWidth, TVector>(TWidth.Min(x, ExpUpperBound));
        }

        // Clamp (not ClampNative): IEEE min/max keep NaN as NaN.
        x = TWidth.Clamp(x, ExpLowerBound, ExpUpperBound);
        TVector n = TWidth.Round(TWidth.Multiply(x, Log2E));
        TVector r = TWidth.MultiplyAddEstimate(n, -Ln2Lo, TWidth.MultiplyAddEstimate(n, -Ln2Hi, x));
        TVector q = TWidth.MultiplyAddEstimate(2f * C6, r, 2f * C5);
        q = TWidth.MultiplyAddEstimate(q, r, 2f * C4);
        q = TWidth.MultiplyAddEstimate(q, r, 2f * C3);
        q = TWidth.MultiplyAddEstimate(q, r, 2f * C2);
        q = TWidth.MultiplyAddEstimate(q, r, 2f);
        q = TWidth.MultiplyAddEstimate(q, r, 2f);
        TVector halfScale = TWidth.AddInt32(TWidth.ShiftLeftInt32(TWidth.Add(n, IntegerMagic), 23), HalfScaleBias);
        return TWidth.Multiply(q, halfScale);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector ExpOfNonPositive<TWidth, TVector>(TVector x)
        where TWidth : struct, IVectorWidth<TVector>
        where TVector : struct =>
        Avx512F.IsSupported && (typeof(TVector) == typeof(Vector512<float>) || Avx512F.VL.IsSupported) ? ExpByScale<TWidth, TVector>(x) : Exp<TWidth, TVector>(x);

    /// <summary>The AVX-512 exp of x ≤ <see cref="ExpUpperBound"/> (or NaN, or −∞): p = e^r, then p·2ⁿ by <c>vscalefps</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector ExpByScale<TWidth, TVector>(TVector x)
        where TWidth : struct, IVectorWidth<TVector>
        where TVector : struct
    {
        TVector n = TWidth.Round(TWidth.Multiply(x, Log2E));
        TVector r = TWidth.MultiplyAddEstimate(n, -Ln2Lo, TWidth.MultiplyAddEstimate(n, -Ln2Hi, x));
        TVector p = TWidth.MultiplyAddEstimate(C6, r, C5);
        p = TWidth.MultiplyAddEstimate(p, r, C4);
        p = TWidth.MultiplyAddEstimate(p, r, C3);
        p = TWidth.MultiplyAddEstimate(p, r, C2);
        p = TWidth.MultiplyAddEstimate(p, r, 1f);
        p = TWidth.MultiplyAddEstimate(p, r, 1f);

        // "Not less than" keeps NaN lanes (and the NaN that x = −∞ makes of r is dropped here with its lane).
        return TWidth.ScaleUnlessBelow(p, n, FlushBelowN);
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
    public static Vector128<float> Tanh(Vector128<float> x) => Tanh<Vector128Width, Vector128<float>>(x);

    /// <inheritdoc cref="Tanh(Vector128{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Tanh(Vector256<float> x) => Tanh<Vector256Width, Vector256<float>>(x);

    /// <inheritdoc cref="Tanh(Vector128{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Tanh(Vector512<float> x) => Tanh<Vector512Width, Vector512<float>>(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector Tanh<TWidth, TVector>(TVector x)
        where TWidth : struct, IVectorWidth<TVector>
        where TVector : struct
    {
        TVector ax = TWidth.Abs(x);
        TVector viaExp = TWidth.Subtract(1f, TWidth.Divide(2f, TWidth.Add(Exp<TWidth, TVector>(TWidth.Add(ax, ax)), 1f)));

        TVector u = TWidth.Multiply(ax, ax);
        TVector q = TWidth.MultiplyAddEstimate(T9, u, T7);
        q = TWidth.MultiplyAddEstimate(q, u, T5);
        q = TWidth.MultiplyAddEstimate(q, u, T3);
        TVector viaPolynomial = TWidth.MultiplyAddEstimate(TWidth.Multiply(ax, u), q, ax);

        TVector small = TWidth.LessThan(ax, TanhPolynomialBound);
        return TWidth.CopySign(TWidth.ConditionalSelect(small, viaPolynomial, viaExp), x);
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
    public static Vector128<float> Erf(Vector128<float> x) => Erf<Vector128Width, Vector128<float>>(x);

    /// <inheritdoc cref="Erf(Vector128{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Erf(Vector256<float> x) => Erf<Vector256Width, Vector256<float>>(x);

    /// <inheritdoc cref="Erf(Vector128{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Erf(Vector512<float> x) => Erf<Vector512Width, Vector512<float>>(x);

    /// <summary>Returns the complementary error function of each element; element-wise identical to <see cref="Erfc(float)"/>.</summary>
    /// <param name="x">The arguments.</param>
    /// <returns>erfc(x) per element.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Erfc(Vector128<float> x) => Erfc<Vector128Width, Vector128<float>>(x);

    /// <inheritdoc cref="Erfc(Vector128{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Erfc(Vector256<float> x) => Erfc<Vector256Width, Vector256<float>>(x);

    /// <inheritdoc cref="Erfc(Vector128{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Erfc(Vector512<float> x) => Erfc<Vector512Width, Vector512<float>>(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector Erf<TWidth, TVector>(TVector x)
        where TWidth : struct, IVectorWidth<TVector>
        where TVector : struct
    {
        TVector ax = TWidth.Abs(x);
        TVector u = TWidth.Multiply(ax, ax);
        TVector s = TWidth.MultiplyAddEstimate(S7, u, S6);
        s = TWidth.MultiplyAddEstimate(s, u, S5);
        s = TWidth.MultiplyAddEstimate(s, u, S4);
        s = TWidth.MultiplyAddEstimate(s, u, S3);
        s = TWidth.MultiplyAddEstimate(s, u, S2);
        s = TWidth.MultiplyAddEstimate(s, u, S1);
        s = TWidth.MultiplyAddEstimate(s, u, S0Lo);
        TVector viaPolynomial = TWidth.MultiplyAddEstimate(ax, S0Hi, TWidth.Multiply(ax, s));
        TVector viaErfc = TWidth.Subtract(1f, ErfcOfNonNegative<TWidth, TVector>(ax));
        return TWidth.CopySign(TWidth.ConditionalSelect(TWidth.LessThan(ax, ErfPolynomialBound), viaPolynomial, viaErfc), x);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector Erfc<TWidth, TVector>(TVector x)
        where TWidth : struct, IVectorWidth<TVector>
        where TVector : struct
    {
        TVector tail = ErfcOfNonNegative<TWidth, TVector>(TWidth.Abs(x));
        return TWidth.ConditionalSelect(TWidth.LessThan(x, 0f), TWidth.Subtract(2f, tail), tail);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector ErfcOfNonNegative<TWidth, TVector>(TVector z)
        where TWidth : struct, IVectorWidth<TVector>
        where TVector : struct
    {
        // t is 0 for z = +∞ and e^(−z²) is 0 there, so the product is 0 rather than NaN.
        TVector t = TWidth.Divide(1f, TWidth.MultiplyAddEstimate(ErfcScale, z, 1f));
        TVector p = TWidth.MultiplyAddEstimate(P9, t, P8);
        p = TWidth.MultiplyAddEstimate(p, t, P7);
        p = TWidth.MultiplyAddEstimate(p, t, P6);
        p = TWidth.MultiplyAddEstimate(p, t, P5);
        p = TWidth.MultiplyAddEstimate(p, t, P4);
        p = TWidth.MultiplyAddEstimate(p, t, P3);
        p = TWidth.MultiplyAddEstimate(p, t, P2);
        p = TWidth.MultiplyAddEstimate(p, t, P1);
        p = TWidth.MultiplyAddEstimate(p, t, P0);
        return TWidth.Multiply(Exp<TWidth, TVector>(TWidth.Negate(TWidth.Multiply(z, z))), TWidth.Multiply(t, p));
    }
}
