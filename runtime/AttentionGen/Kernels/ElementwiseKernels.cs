using System.Runtime.CompilerServices;

namespace AttentionGen.Kernels;

/// <summary>
/// Element-wise arithmetic on float rows, in place: the building blocks the layers share (bias and mask adds, scaling,
/// activations). Each runs the widest accelerated vector width over the row, any length including 0, and gives
/// the same bits for an element whichever width computes it.
/// </summary>
[SkipLocalsInit]
public static class ElementwiseKernels
{
    /// <summary>Adds <paramref name="addend"/> element-wise into <paramref name="values"/> (e.g. a bias or an additive mask row).</summary>
    /// <param name="values">The row, overwritten in place.</param>
    /// <param name="addend">The values to add; must have exactly <c>values.Length</c> elements.</param>
    /// <exception cref="ArgumentException"><paramref name="addend"/> has a different length than <paramref name="values"/>.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Add(Span<float> values, ReadOnlySpan<float> addend)
    {
        if (addend.Length != values.Length)
        {
            throw new ArgumentException(
                $"The addend has {addend.Length} elements but the values have {values.Length}; they must be equal.", nameof(addend));
        }

        ElementwiseLoops.Binary<AddOperator>(values, addend);
    }

    /// <summary>
    /// <c>sum[i] = a[i] + b[i]</c>: a residual connection. Bit for bit the in-place <see cref="Add(Span{float}, ReadOnlySpan{float})"/>.
    /// </summary>
    /// <param name="a">The first addend (e.g. the block's input).</param>
    /// <param name="b">The second addend (e.g. the sublayer's output); as long as <paramref name="a"/>.</param>
    /// <param name="sum">The result; as long as <paramref name="a"/>. It may be <paramref name="a"/> or <paramref name="b"/>
    /// itself, but must not overlap either at an offset.</param>
    /// <exception cref="ArgumentException">The lengths differ, or <paramref name="sum"/> overlaps an addend at an offset.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Add(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> sum)
    {
        KernelChecks.SameLength(a, b, nameof(a), nameof(b));
        KernelChecks.SameLength(a, sum, nameof(a), nameof(sum));
        KernelChecks.SameOrSeparate(sum, a, nameof(sum), nameof(a));
        KernelChecks.SameOrSeparate(sum, b, nameof(sum), nameof(b));
        ElementwiseLoops.BinaryInto<AddOperator>(a, b, sum);
    }

    /// <summary>Multiplies every element of <paramref name="values"/> by <paramref name="factor"/> in place.</summary>
    /// <param name="values">The row, overwritten in place.</param>
    /// <param name="factor">The multiplier.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply(Span<float> values, float factor) => ElementwiseLoops.Binary<MultiplyOperator>(values, factor);

    /// <summary>
    /// Divides every element of <paramref name="values"/> by <paramref name="divisor"/> in place: a true division, as
    /// <c>logits / logits_scaling</c> is, not a multiplication by its reciprocal (the two differ in the last bit).
    /// </summary>
    /// <param name="values">The row, overwritten in place.</param>
    /// <param name="divisor">The divisor.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Divide(Span<float> values, float divisor) => ElementwiseLoops.Binary<DivideOperator>(values, divisor);

    /// <summary>Multiplies <paramref name="values"/> element-wise by <paramref name="factors"/> in place (e.g. a norm's gain).</summary>
    /// <param name="values">The row, overwritten in place.</param>
    /// <param name="factors">The multipliers; must have exactly <c>values.Length</c> elements.</param>
    /// <exception cref="ArgumentException"><paramref name="factors"/> has a different length than <paramref name="values"/>.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply(Span<float> values, ReadOnlySpan<float> factors)
    {
        if (factors.Length != values.Length)
        {
            throw new ArgumentException(
                $"The factors have {factors.Length} elements but the values have {values.Length}; they must be equal.", nameof(factors));
        }

        ElementwiseLoops.Binary<MultiplyOperator>(values, factors);
    }

    /// <summary>Replaces every element with its exponential, <see cref="VectorMath.Exp(float)"/>.</summary>
    /// <param name="values">The row, overwritten in place.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Exp(Span<float> values) => ElementwiseLoops.Unary<ExpOperator>(values);

    /// <summary>Replaces every element with its hyperbolic tangent, <see cref="VectorMath.Tanh(float)"/>.</summary>
    /// <param name="values">The row, overwritten in place.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tanh(Span<float> values) => ElementwiseLoops.Unary<TanhOperator>(values);

    /// <summary>Returns the largest element of <paramref name="values"/>.</summary>
    /// <param name="values">The row.</param>
    /// <returns>The maximum; <see cref="float.NegativeInfinity"/> for an empty row; NaN if any element is NaN.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Max(ReadOnlySpan<float> values) => ElementwiseLoops.Aggregate<MaxOperator>(values);
}
