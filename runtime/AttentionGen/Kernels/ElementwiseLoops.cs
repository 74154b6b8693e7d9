using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace AttentionGen.Kernels;

/// <summary>
/// One driver per element-wise pattern, each running its operator over a row with the widest accelerated vector and
/// handing what is left to the next narrower one (Vector512 → Vector256 → Vector128 → scalar), so every element is
/// computed exactly once and any length, including 0, is handled. The loops themselves are written once, in
/// <see cref="ElementwiseLoops{TWidth, TVector}"/>.
/// </summary>
/// <remarks>
/// <para>
/// What is still written per width, and why: each operator has one <c>Invoke</c> per vector type (a one-line body; the
/// intrinsics need a concrete vector type), each width struct forwards to its own intrinsics, and
/// <see cref="BinaryAndSum{TOperator}"/> splits its sum into two chains only at Vector512, which keeps the narrower
/// widths' sums, and so their results, bit for bit what they were. <see cref="SoftmaxKernels.SoftmaxPrefixSixRows"/>
/// exists only for Vector512: three rows in lockstep need AVX-512's 32 vector registers.
/// </para>
/// <para>
/// The drivers are <see cref="MethodImplOptions.AggressiveInlining"/>: each public kernel that calls one becomes a single
/// method with the operator inlined into every width's loop (and is then <see cref="MethodImplOptions.AggressiveOptimization"/>).
/// </para>
/// </remarks>
internal static class ElementwiseLoops
{
    /// <summary><c>values[i] = op(values[i])</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Unary<TOperator>(Span<float> values) where TOperator : struct, IUnaryOperator
    {
        ref float start = ref MemoryMarshal.GetReference(values);
        nuint length = (nuint)values.Length;
        nuint i = 0;
        if (Vector512.IsHardwareAccelerated && length >= (nuint)Vector512<float>.Count)
        {
            ElementwiseLoops<Vector512Width, Vector512<float>>.Unary<TOperator>(ref start, length, ref i);
        }
        if (Vector256.IsHardwareAccelerated && length - i >= (nuint)Vector256<float>.Count)
        {
            ElementwiseLoops<Vector256Width, Vector256<float>>.Unary<TOperator>(ref start, length, ref i);
        }
        if (Vector128.IsHardwareAccelerated && length - i >= (nuint)Vector128<float>.Count)
        {
            ElementwiseLoops<Vector128Width, Vector128<float>>.Unary<TOperator>(ref start, length, ref i);
        }
        for (; i < length; i++)
        {
            ref float value = ref Unsafe.Add(ref start, i);
            value = TOperator.Invoke(value);
        }
    }

    /// <summary><c>values[i] = op(values[i], other[i])</c>; the lengths must already be known to be equal.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Binary<TOperator>(Span<float> values, ReadOnlySpan<float> other) where TOperator : struct, IBinaryOperator
    {
        ref float start = ref MemoryMarshal.GetReference(values);
        ref float second = ref MemoryMarshal.GetReference(other);
        nuint length = (nuint)values.Length;
        nuint i = 0;
        if (Vector512.IsHardwareAccelerated && length >= (nuint)Vector512<float>.Count)
        {
            ElementwiseLoops<Vector512Width, Vector512<float>>.Binary<TOperator>(ref start, ref second, length, ref i);
        }
        if (Vector256.IsHardwareAccelerated && length - i >= (nuint)Vector256<float>.Count)
        {
            ElementwiseLoops<Vector256Width, Vector256<float>>.Binary<TOperator>(ref start, ref second, length, ref i);
        }
        if (Vector128.IsHardwareAccelerated && length - i >= (nuint)Vector128<float>.Count)
        {
            ElementwiseLoops<Vector128Width, Vector128<float>>.Binary<TOperator>(ref start, ref second, length, ref i);
        }
        for (; i < length; i++)
        {
            ref float value = ref Unsafe.Add(ref start, i);
            value = TOperator.Invoke(value, Unsafe.Add(ref second, i));
        }
    }

    /// <summary>
    /// <c>output[i] = op(x[i], y[i])</c>; the lengths must already be known to be equal. <paramref name="output"/> may be
    /// <paramref name="x"/> or <paramref name="y"/> itself (each element is read before it is written), but must not
    /// overlap either at an offset.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void BinaryInto<TOperator>(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> output) where TOperator : struct, IBinaryOperator
    {
        ref float first = ref MemoryMarshal.GetReference(x);
        ref float second = ref MemoryMarshal.GetReference(y);
        ref float destination = ref MemoryMarshal.GetReference(output);
        nuint length = (nuint)output.Length;
        nuint i = 0;
        if (Vector512.IsHardwareAccelerated && length >= (nuint)Vector512<float>.Count)
        {
            ElementwiseLoops<Vector512Width, Vector512<float>>.BinaryInto<TOperator>(ref first, ref second, ref destination, length, ref i);
        }
        if (Vector256.IsHardwareAccelerated && length - i >= (nuint)Vector256<float>.Count)
        {
            ElementwiseLoops<Vector256Width, Vector256<float>>.BinaryInto<TOperator>(ref first, ref second, ref destination, length, ref i);
        }
        if (Vector128.IsHardwareAccelerated && length - i >= (nuint)Vector128<float>.Count)
        {
            ElementwiseLoops<Vector128Width, Vector128<float>>.BinaryInto<TOperator>(ref first, ref second, ref destination, length, ref i);
        }
        for (; i < length; i++)
        {
            Unsafe.Add(ref destination, i) = TOperator.Invoke(Unsafe.Add(ref first, i), Unsafe.Add(ref second, i));
        }
    }

    /// <summary><c>values[i] = op(values[i], scalar)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Binary<TOperator>(Span<float> values, float scalar) where TOperator : struct, IBinaryOperator
    {
        ref float start = ref MemoryMarshal.GetReference(values);
        nuint length = (nuint)values.Length;
        nuint i = 0;
        if (Vector512.IsHardwareAccelerated && length >= (nuint)Vector512<float>.Count)
        {
            ElementwiseLoops<Vector512Width, Vector512<float>>.Binary<TOperator>(ref start, scalar, length, ref i);
        }
        if (Vector256.IsHardwareAccelerated && length - i >= (nuint)Vector256<float>.Count)
        {
            ElementwiseLoops<Vector256Width, Vector256<float>>.Binary<TOperator>(ref start, scalar, length, ref i);
        }
        if (Vector128.IsHardwareAccelerated && length - i >= (nuint)Vector128<float>.Count)
        {
            ElementwiseLoops<Vector128Width, Vector128<float>>.Binary<TOperator>(ref start, scalar, length, ref i);
        }
        for (; i < length; i++)
        {
            ref float value = ref Unsafe.Add(ref start, i);
            value = TOperator.Invoke(value, scalar);
        }
    }

    /// <summary><c>values[i] = op(values[i], first, second)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Ternary<TOperator>(Span<float> values, float first, float second) where TOperator : struct, ITernaryOperator
    {
        ref float start = ref MemoryMarshal.GetReference(values);
        nuint length = (nuint)values.Length;
        nuint i = 0;
        if (Vector512.IsHardwareAccelerated && length >= (nuint)Vector512<float>.Count)
        {
            ElementwiseLoops<Vector512Width, Vector512<float>>.Ternary<TOperator>(ref start, first, second, length, ref i);
        }
        if (Vector256.IsHardwareAccelerated && length - i >= (nuint)Vector256<float>.Count)
        {
            ElementwiseLoops<Vector256Width, Vector256<float>>.Ternary<TOperator>(ref start, first, second, length, ref i);
        }
        if (Vector128.IsHardwareAccelerated && length - i >= (nuint)Vector128<float>.Count)
        {
            ElementwiseLoops<Vector128Width, Vector128<float>>.Ternary<TOperator>(ref start, first, second, length, ref i);
        }
        for (; i < length; i++)
        {
            ref float value = ref Unsafe.Add(ref start, i);
            value = TOperator.Invoke(value, first, second);
        }
    }

    /// <summary><c>values[i] = op(values[i], scalar)</c>, returning the sum of the new values.</summary>
    /// <remarks>
    /// Each width adds its lanes into the scalar total when it hands over, so the order of additions depends on the
    /// widths taken; every element's own value does not.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float BinaryAndSum<TOperator>(Span<float> values, float scalar) where TOperator : struct, IBinaryOperator
    {
        ref float start = ref MemoryMarshal.GetReference(values);
        nuint length = (nuint)values.Length;
        nuint i = 0;
        float sum = 0f;
        // Only Vector512 sums in two chains: the narrower widths have always summed in one, and changing that would
        // change their results in the last bits. After Vector512 they see less than one Vector512, so one chain is all
        // they need there anyway.
        if (Vector512.IsHardwareAccelerated && length >= (nuint)Vector512<float>.Count)
        {
            sum += ElementwiseLoops<Vector512Width, Vector512<float>>.BinaryAndSum<TOperator>(ref start, scalar, length, ref i, twoChains: true);
        }
        if (Vector256.IsHardwareAccelerated && length - i >= (nuint)Vector256<float>.Count)
        {
            sum += ElementwiseLoops<Vector256Width, Vector256<float>>.BinaryAndSum<TOperator>(ref start, scalar, length, ref i, twoChains: false);
        }
        if (Vector128.IsHardwareAccelerated && length - i >= (nuint)Vector128<float>.Count)
        {
            sum += ElementwiseLoops<Vector128Width, Vector128<float>>.BinaryAndSum<TOperator>(ref start, scalar, length, ref i, twoChains: false);
        }
        for (; i < length; i++)
        {
            ref float value = ref Unsafe.Add(ref start, i);
            value = TOperator.Invoke(value, scalar);
            sum += value;
        }
        return sum;
    }

    /// <summary>
    /// All elements combined by an idempotent operator (max): only the widest width that fits the row runs, and it
    /// finishes with one overlapping load of its last whole vector instead of handing a tail down.
    /// </summary>
    /// <returns><see cref="IAggregateOperator.Identity"/> for an empty row.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Aggregate<TOperator>(ReadOnlySpan<float> values) where TOperator : struct, IAggregateOperator
    {
        ref float start = ref MemoryMarshal.GetReference(values);
        nuint length = (nuint)values.Length;
        if (Vector512.IsHardwareAccelerated && length >= (nuint)Vector512<float>.Count)
        {
            return ElementwiseLoops<Vector512Width, Vector512<float>>.Aggregate<TOperator>(ref start, length);
        }
        if (Vector256.IsHardwareAccelerated && length >= (nuint)Vector256<float>.Count)
        {
            return ElementwiseLoops<Vector256Width, Vector256<float>>.Aggregate<TOperator>(ref start, length);
        }
        if (Vector128.IsHardwareAccelerated && length >= (nuint)Vector128<float>.Count)
        {
            return ElementwiseLoops<Vector128Width, Vector128<float>>.Aggregate<TOperator>(ref start, length);
        }
        float result = TOperator.Identity;
        for (nuint i = 0; i < length; i++)
        {
            result = TOperator.Invoke(result, Unsafe.Add(ref start, i));
        }
        return result;
    }
}

/// <summary>
/// The loops of <see cref="ElementwiseLoops"/> at one vector width. Each runs whole vectors from <c>i</c> while they
/// fit in <c>length</c> and leaves <c>i</c> at the first element it did not touch.
/// </summary>
internal static class ElementwiseLoops<TWidth, TVector>
    where TWidth : struct, IVectorWidth<TVector>
    where TVector : struct
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Unary<TOperator>(ref float start, nuint length, ref nuint i) where TOperator : struct, IUnaryOperator
    {
        nuint width = (nuint)TWidth.Count;
        for (; i + width <= length; i += width)
        {
            TWidth.Store(TWidth.Invoke<TOperator>(TWidth.Load(ref start, i)), ref start, i);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Binary<TOperator>(ref float start, ref float other, nuint length, ref nuint i) where TOperator : struct, IBinaryOperator
    {
        nuint width = (nuint)TWidth.Count;
        for (; i + width <= length; i += width)
        {
            TWidth.Store(TWidth.Invoke<TOperator>(TWidth.Load(ref start, i), TWidth.Load(ref other, i)), ref start, i);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void BinaryInto<TOperator>(ref float x, ref float y, ref float output, nuint length, ref nuint i) where TOperator : struct, IBinaryOperator
    {
        nuint width = (nuint)TWidth.Count;
        for (; i + width <= length; i += width)
        {
            TWidth.Store(TWidth.Invoke<TOperator>(TWidth.Load(ref x, i), TWidth.Load(ref y, i)), ref output, i);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Binary<TOperator>(ref float start, float scalar, nuint length, ref nuint i) where TOperator : struct, IBinaryOperator
    {
        nuint width = (nuint)TWidth.Count;
        TVector y = TWidth.Create(scalar);
        for (; i + width <= length; i += width)
        {
            TWidth.Store(TWidth.Invoke<TOperator>(TWidth.Load(ref start, i), y), ref start, i);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Ternary<TOperator>(ref float start, float first, float second, nuint length, ref nuint i)
        where TOperator : struct, ITernaryOperator
    {
        nuint width = (nuint)TWidth.Count;
        TVector y = TWidth.Create(first), z = TWidth.Create(second);
        for (; i + width <= length; i += width)
        {
            TWidth.Store(TWidth.Invoke<TOperator>(TWidth.Load(ref start, i), y, z), ref start, i);
        }
    }

    // twoChains: sum pairs of vectors into two accumulators, so a long row is not bound by the latency of one chain of adds.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float BinaryAndSum<TOperator>(ref float start, float scalar, nuint length, ref nuint i, bool twoChains)
        where TOperator : struct, IBinaryOperator
    {
        nuint width = (nuint)TWidth.Count;
        TVector y = TWidth.Create(scalar);
        TVector s0 = TWidth.Zero, s1 = TWidth.Zero;
        if (twoChains)
        {
            for (; i + 2 * width <= length; i += 2 * width)
            {
                TVector e0 = TWidth.Invoke<TOperator>(TWidth.Load(ref start, i), y);
                TVector e1 = TWidth.Invoke<TOperator>(TWidth.Load(ref start, i + width), y);
                TWidth.Store(e0, ref start, i);
                TWidth.Store(e1, ref start, i + width);
                s0 = TWidth.Add(s0, e0);
                s1 = TWidth.Add(s1, e1);
            }
            if (i + width <= length)
            {
                TVector e0 = TWidth.Invoke<TOperator>(TWidth.Load(ref start, i), y);
                TWidth.Store(e0, ref start, i);
                s0 = TWidth.Add(s0, e0);
                i += width;
            }
            return TWidth.Sum(TWidth.Add(s0, s1));
        }

        for (; i + width <= length; i += width)
        {
            TVector e0 = TWidth.Invoke<TOperator>(TWidth.Load(ref start, i), y);
            TWidth.Store(e0, ref start, i);
            s0 = TWidth.Add(s0, e0);
        }
        return TWidth.Sum(s0);
    }

    /// <summary>Needs <c>length</c> ≥ one vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Aggregate<TOperator>(ref float start, nuint length) where TOperator : struct, IAggregateOperator
    {
        nuint width = (nuint)TWidth.Count;
        nuint i = 0;
        // Four accumulators hide the latency of the combining instruction.
        TVector a0 = TWidth.Create(TOperator.Identity), a1 = a0, a2 = a0, a3 = a0;
        for (; i + 4 * width <= length; i += 4 * width)
        {
            a0 = TWidth.Invoke<TOperator>(a0, TWidth.Load(ref start, i));
            a1 = TWidth.Invoke<TOperator>(a1, TWidth.Load(ref start, i + width));
            a2 = TWidth.Invoke<TOperator>(a2, TWidth.Load(ref start, i + 2 * width));
            a3 = TWidth.Invoke<TOperator>(a3, TWidth.Load(ref start, i + 3 * width));
        }
        for (; i + width <= length; i += width)
        {
            a0 = TWidth.Invoke<TOperator>(a0, TWidth.Load(ref start, i));
        }
        a0 = TWidth.Invoke<TOperator>(a0, TWidth.Load(ref start, length - width));
        a0 = TWidth.Invoke<TOperator>(TWidth.Invoke<TOperator>(a0, a1), TWidth.Invoke<TOperator>(a2, a3));
        return TWidth.Reduce<TOperator>(a0);
    }
}
