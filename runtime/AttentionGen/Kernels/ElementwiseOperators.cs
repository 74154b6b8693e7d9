using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace AttentionGen.Kernels;

// An operator is a struct with one static Invoke per width (and the scalar), each running the same float operations in
// the same order, so a driver can hand any element to any width and get the same bits. The drivers in
// ElementwiseLoops own the looping, tails and width choice; an operator owns only the arithmetic of one element.

/// <summary>f(x), element-wise.</summary>
internal interface IUnaryOperator
{
    static abstract float Invoke(float x);

    static abstract Vector128<float> Invoke(Vector128<float> x);

    static abstract Vector256<float> Invoke(Vector256<float> x);

    static abstract Vector512<float> Invoke(Vector512<float> x);
}

/// <summary>f(x, y), element-wise; y is either a second row or a scalar broadcast once by the driver.</summary>
internal interface IBinaryOperator
{
    static abstract float Invoke(float x, float y);

    static abstract Vector128<float> Invoke(Vector128<float> x, Vector128<float> y);

    static abstract Vector256<float> Invoke(Vector256<float> x, Vector256<float> y);

    static abstract Vector512<float> Invoke(Vector512<float> x, Vector512<float> y);
}

/// <summary>f(x, y, z), element-wise; y and z are scalars broadcast once by the driver.</summary>
internal interface ITernaryOperator
{
    static abstract float Invoke(float x, float y, float z);

    static abstract Vector128<float> Invoke(Vector128<float> x, Vector128<float> y, Vector128<float> z);

    static abstract Vector256<float> Invoke(Vector256<float> x, Vector256<float> y, Vector256<float> z);

    static abstract Vector512<float> Invoke(Vector512<float> x, Vector512<float> y, Vector512<float> z);
}

/// <summary>
/// An associative, commutative and idempotent combination (max, min): the order of combining and combining an element
/// twice both leave the result unchanged, so a reduction may finish with an overlapping load.
/// </summary>
internal interface IAggregateOperator : IBinaryOperator
{
    /// <summary>The value that leaves any other unchanged (−∞ for max).</summary>
    static abstract float Identity { get; }

    /// <summary>All lanes combined into one.</summary>
    static abstract float Reduce(Vector128<float> value);

    /// <inheritdoc cref="Reduce(Vector128{float})"/>
    static abstract float Reduce(Vector256<float> value);

    /// <inheritdoc cref="Reduce(Vector128{float})"/>
    static abstract float Reduce(Vector512<float> value);
}

internal readonly struct AddOperator : IBinaryOperator
{
    public static float Invoke(float x, float y) => x + y;

    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => x + y;

    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => x + y;

    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => x + y;
}

internal readonly struct MultiplyOperator : IBinaryOperator
{
    public static float Invoke(float x, float y) => x * y;

    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => x * y;

    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => x * y;

    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => x * y;
}

internal readonly struct DivideOperator : IBinaryOperator
{
    public static float Invoke(float x, float y) => x / y;

    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => x / y;

    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => x / y;

    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => x / y;
}

/// <summary>e^x by <see cref="VectorMath"/>.</summary>
internal readonly struct ExpOperator : IUnaryOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Invoke(float x) => VectorMath.Exp(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Invoke(Vector128<float> x) => VectorMath.Exp(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Invoke(Vector256<float> x) => VectorMath.Exp(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Invoke(Vector512<float> x) => VectorMath.Exp(x);
}

/// <summary>tanh(x) by <see cref="VectorMath"/>.</summary>
internal readonly struct TanhOperator : IUnaryOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Invoke(float x) => VectorMath.Tanh(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Invoke(Vector128<float> x) => VectorMath.Tanh(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Invoke(Vector256<float> x) => VectorMath.Tanh(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Invoke(Vector512<float> x) => VectorMath.Tanh(x);
}

/// <summary>e^(x − shift): a softmax numerator, with the row maximum as the shift (so x − shift is never positive).</summary>
internal readonly struct ExpOfDifferenceOperator : IBinaryOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Invoke(float x, float shift) => VectorMath.Exp(x - shift);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> shift) => VectorMath.ExpOfNonPositive(x - shift);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> shift) => VectorMath.ExpOfNonPositive(x - shift);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> shift) => VectorMath.ExpOfNonPositive(x - shift);
}

/// <summary>
/// Logit soft-capping, cap · tanh(x · inverse) with inverse = 1/cap precomputed by the caller: a multiply instead of a
/// divide per element, at the cost of at most one extra rounding.
/// </summary>
internal readonly struct SoftcapOperator : ITernaryOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Invoke(float x, float inverse, float cap) => cap * VectorMath.Tanh(x * inverse);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> inverse, Vector128<float> cap) => cap * VectorMath.Tanh(x * inverse);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> inverse, Vector256<float> cap) => cap * VectorMath.Tanh(x * inverse);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> inverse, Vector512<float> cap) => cap * VectorMath.Tanh(x * inverse);
}

/// <summary>The IEEE maximum: NaN in, NaN out; +0 above −0.</summary>
internal readonly struct MaxOperator : IAggregateOperator
{
    public static float Identity => float.NegativeInfinity;

    public static float Invoke(float x, float y) => MathF.Max(x, y);

    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => Vector128.Max(x, y);

    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => Vector256.Max(x, y);

    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => Vector512.Max(x, y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Reduce(Vector128<float> value)
    {
        value = Vector128.Max(value, Vector128.Shuffle(value, Vector128.Create(2, 3, 0, 1)));
        value = Vector128.Max(value, Vector128.Shuffle(value, Vector128.Create(1, 0, 3, 2)));
        return value.ToScalar();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Reduce(Vector256<float> value) => Reduce(Vector128.Max(value.GetLower(), value.GetUpper()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Reduce(Vector512<float> value) => Reduce(Vector256.Max(value.GetLower(), value.GetUpper()));
}

/// <summary>
/// The exact GELU, x·Φ(x) = 0.5·x·erfc(−x/√2): the same function as 0.5·x·(1 + erf(x/√2)), but erfc keeps its relative
/// accuracy where 1 + erf would cancel (x well below 0, where GELU is a tiny negative number).
/// </summary>
internal readonly struct GeluErfOperator : IUnaryOperator
{
    // Below −15 GELU is below 1e-49 in magnitude, 0 in float (erfc is exactly 0 from 9.4); clamping there keeps
    // −∞ from meeting that 0 (−∞·0 = NaN) and gives the limit, −0. The comparison form lets NaN through.
    private const float Lower = -15f;
    private const float MinusInverseSqrt2 = -0.707106781f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Invoke(float x)
    {
        float c = x < Lower ? Lower : x;
        return 0.5f * c * VectorMath.Erfc(c * MinusInverseSqrt2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Invoke(Vector128<float> x)
    {
        // Max (not MaxNative): the IEEE maximum keeps NaN as NaN.
        Vector128<float> c = Vector128.Max(x, Vector128.Create(Lower));
        return Vector128.Create(0.5f) * c * VectorMath.Erfc(c * Vector128.Create(MinusInverseSqrt2));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Invoke(Vector256<float> x)
    {
        Vector256<float> c = Vector256.Max(x, Vector256.Create(Lower));
        return Vector256.Create(0.5f) * c * VectorMath.Erfc(c * Vector256.Create(MinusInverseSqrt2));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Invoke(Vector512<float> x)
    {
        Vector512<float> c = Vector512.Max(x, Vector512.Create(Lower));
        return Vector512.Create(0.5f) * c * VectorMath.Erfc(c * Vector512.Create(MinusInverseSqrt2));
    }
}

/// <summary>
/// The tanh GELU, 0.5·x·(1 + tanh(y)) with y = √(2/π)·(x + 0.044715·x³), computed as x / (1 + e^(−2y)): the same
/// function (0.5·(1 + tanh y) is the logistic of 2y), without the cancellation of 1 + tanh y for negative x.
/// </summary>
internal readonly struct GeluTanhOperator : IUnaryOperator
{
    // Below −15, x / (1 + e^(−2y)) is 0 in float (e^(−2y) overflows); clamping keeps −∞/∞ from giving NaN.
    private const float Lower = -15f;
    // −2y = x·(x²·CubicTerm + LinearTerm).
    private const float LinearTerm = -1.59576912f;      // −2·√(2/π)
    private const float CubicTerm = -0.0713548162f;     // −2·√(2/π)·0.044715

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Invoke(float x)
    {
        float c = x < Lower ? Lower : x;
        return c / (1f + VectorMath.Exp(c * float.MultiplyAddEstimate(c * c, CubicTerm, LinearTerm)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Invoke(Vector128<float> x)
    {
        Vector128<float> c = Vector128.Max(x, Vector128.Create(Lower));
        return c / (Vector128<float>.One + VectorMath.Exp(c * Vector128.MultiplyAddEstimate(c * c, Vector128.Create(CubicTerm), Vector128.Create(LinearTerm))));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Invoke(Vector256<float> x)
    {
        Vector256<float> c = Vector256.Max(x, Vector256.Create(Lower));
        return c / (Vector256<float>.One + VectorMath.Exp(c * Vector256.MultiplyAddEstimate(c * c, Vector256.Create(CubicTerm), Vector256.Create(LinearTerm))));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Invoke(Vector512<float> x)
    {
        Vector512<float> c = Vector512.Max(x, Vector512.Create(Lower));
        return c / (Vector512<float>.One + VectorMath.Exp(c * Vector512.MultiplyAddEstimate(c * c, Vector512.Create(CubicTerm), Vector512.Create(LinearTerm))));
    }
}

/// <summary>SiLU (swish), x·σ(x) = x / (1 + e^(−x)).</summary>
internal readonly struct SiluOperator : IUnaryOperator
{
    // Below −89, e^(−x) is +∞ in float and the result 0; clamping keeps −∞/∞ from giving NaN.
    private const float Lower = -89f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Invoke(float x)
    {
        float c = x < Lower ? Lower : x;
        return c / (1f + VectorMath.Exp(-c));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Invoke(Vector128<float> x)
    {
        Vector128<float> c = Vector128.Max(x, Vector128.Create(Lower));
        return c / (Vector128<float>.One + VectorMath.Exp(-c));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Invoke(Vector256<float> x)
    {
        Vector256<float> c = Vector256.Max(x, Vector256.Create(Lower));
        return c / (Vector256<float>.One + VectorMath.Exp(-c));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Invoke(Vector512<float> x)
    {
        Vector512<float> c = Vector512.Max(x, Vector512.Create(Lower));
        return c / (Vector512<float>.One + VectorMath.Exp(-c));
    }
}

/// <summary>The gated unit of SwiGLU, silu(gate)·up: x is the gate, y the up projection.</summary>
internal readonly struct SwiGluOperator : IBinaryOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Invoke(float x, float y) => SiluOperator.Invoke(x) * y;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => SiluOperator.Invoke(x) * y;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => SiluOperator.Invoke(x) * y;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => SiluOperator.Invoke(x) * y;
}

/// <summary>Gemma's gated unit: gelu_tanh(gate) · up, GELU in the tanh form of <see cref="GeluTanhOperator"/>.</summary>
internal readonly struct GeGluTanhOperator : IBinaryOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Invoke(float x, float y) => GeluTanhOperator.Invoke(x) * y;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => GeluTanhOperator.Invoke(x) * y;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => GeluTanhOperator.Invoke(x) * y;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => GeluTanhOperator.Invoke(x) * y;
}

/// <summary>max(x, 0) by the IEEE maximum: NaN stays NaN.</summary>
internal readonly struct ReluOperator : IUnaryOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Invoke(float x) => MathF.Max(x, 0f);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Invoke(Vector128<float> x) => Vector128.Max(x, Vector128<float>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Invoke(Vector256<float> x) => Vector256.Max(x, Vector256<float>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Invoke(Vector512<float> x) => Vector512.Max(x, Vector512<float>.Zero);
}
