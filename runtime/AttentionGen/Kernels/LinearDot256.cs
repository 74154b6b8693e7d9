using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace AttentionGen.Kernels;

/// <summary>
/// <see cref="ILinearDot"/> over <see cref="Vector256{T}"/>; needs inDim ≥ 8. The part of a row past the last whole
/// vector is read as one more vector ending at the row's end, with the lanes already summed masked to zero.
/// </summary>
internal readonly struct LinearDot256 : ILinearDot
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Dot2x4(ref float x0, ref float x1, ref float w, int inDim, out Vector128<float> sums0, out Vector128<float> sums1)
    {
        ref float w1 = ref Unsafe.Add(ref w, inDim);
        ref float w2 = ref Unsafe.Add(ref w1, inDim);
        ref float w3 = ref Unsafe.Add(ref w2, inDim);

        Vector256<float> a00 = Vector256<float>.Zero, a01 = a00, a02 = a00, a03 = a00;
        Vector256<float> a10 = a00, a11 = a00, a12 = a00, a13 = a00;

        nuint length = (nuint)inDim;
        nuint last = length - (nuint)Vector256<float>.Count;
        nuint i = 0;
        for (; i <= last; i += (nuint)Vector256<float>.Count)
        {
            Vector256<float> v0 = Vector256.LoadUnsafe(ref x0, i);
            Vector256<float> v1 = Vector256.LoadUnsafe(ref x1, i);
            Vector256<float> wv = Vector256.LoadUnsafe(ref w, i);
            a00 = Vector256.MultiplyAddEstimate(v0, wv, a00);
            a10 = Vector256.MultiplyAddEstimate(v1, wv, a10);
            wv = Vector256.LoadUnsafe(ref w1, i);
            a01 = Vector256.MultiplyAddEstimate(v0, wv, a01);
            a11 = Vector256.MultiplyAddEstimate(v1, wv, a11);
            wv = Vector256.LoadUnsafe(ref w2, i);
            a02 = Vector256.MultiplyAddEstimate(v0, wv, a02);
            a12 = Vector256.MultiplyAddEstimate(v1, wv, a12);
            wv = Vector256.LoadUnsafe(ref w3, i);
            a03 = Vector256.MultiplyAddEstimate(v0, wv, a03);
            a13 = Vector256.MultiplyAddEstimate(v1, wv, a13);
        }
        if (i != length)
        {
            Vector256<float> mask = TailMask(i - last);
            Vector256<float> v0 = Vector256.LoadUnsafe(ref x0, last) & mask;
            Vector256<float> v1 = Vector256.LoadUnsafe(ref x1, last) & mask;
            Vector256<float> wv = Vector256.LoadUnsafe(ref w, last) & mask;
            a00 = Vector256.MultiplyAddEstimate(v0, wv, a00);
            a10 = Vector256.MultiplyAddEstimate(v1, wv, a10);
            wv = Vector256.LoadUnsafe(ref w1, last) & mask;
            a01 = Vector256.MultiplyAddEstimate(v0, wv, a01);
            a11 = Vector256.MultiplyAddEstimate(v1, wv, a11);
            wv = Vector256.LoadUnsafe(ref w2, last) & mask;
            a02 = Vector256.MultiplyAddEstimate(v0, wv, a02);
            a12 = Vector256.MultiplyAddEstimate(v1, wv, a12);
            wv = Vector256.LoadUnsafe(ref w3, last) & mask;
            a03 = Vector256.MultiplyAddEstimate(v0, wv, a03);
            a13 = Vector256.MultiplyAddEstimate(v1, wv, a13);
        }

        sums0 = LinearDotReduce.Sum4(LinearDotReduce.Fold(a00), LinearDotReduce.Fold(a01), LinearDotReduce.Fold(a02), LinearDotReduce.Fold(a03));
        sums1 = LinearDotReduce.Sum4(LinearDotReduce.Fold(a10), LinearDotReduce.Fold(a11), LinearDotReduce.Fold(a12), LinearDotReduce.Fold(a13));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Dot1x4(ref float x, ref float w, int inDim)
    {
        ref float w1 = ref Unsafe.Add(ref w, inDim);
        ref float w2 = ref Unsafe.Add(ref w1, inDim);
        ref float w3 = ref Unsafe.Add(ref w2, inDim);

        Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, a2 = a0, a3 = a0;

        nuint length = (nuint)inDim;
        nuint last = length - (nuint)Vector256<float>.Count;
        nuint i = 0;
        for (; i <= last; i += (nuint)Vector256<float>.Count)
        {
            Vector256<float> v = Vector256.LoadUnsafe(ref x, i);
            a0 = Vector256.MultiplyAddEstimate(v, Vector256.LoadUnsafe(ref w, i), a0);
            a1 = Vector256.MultiplyAddEstimate(v, Vector256.LoadUnsafe(ref w1, i), a1);
            a2 = Vector256.MultiplyAddEstimate(v, Vector256.LoadUnsafe(ref w2, i), a2);
            a3 = Vector256.MultiplyAddEstimate(v, Vector256.LoadUnsafe(ref w3, i), a3);
        }
        if (i != length)
        {
            Vector256<float> mask = TailMask(i - last);
            Vector256<float> v = Vector256.LoadUnsafe(ref x, last) & mask;
            a0 = Vector256.MultiplyAddEstimate(v, Vector256.LoadUnsafe(ref w, last) & mask, a0);
            a1 = Vector256.MultiplyAddEstimate(v, Vector256.LoadUnsafe(ref w1, last) & mask, a1);
            a2 = Vector256.MultiplyAddEstimate(v, Vector256.LoadUnsafe(ref w2, last) & mask, a2);
            a3 = Vector256.MultiplyAddEstimate(v, Vector256.LoadUnsafe(ref w3, last) & mask, a3);
        }

        return LinearDotReduce.Sum4(LinearDotReduce.Fold(a0), LinearDotReduce.Fold(a1), LinearDotReduce.Fold(a2), LinearDotReduce.Fold(a3));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot1(ref float x, ref float w, int inDim)
    {
        Vector256<float> a = Vector256<float>.Zero;

        nuint length = (nuint)inDim;
        nuint last = length - (nuint)Vector256<float>.Count;
        nuint i = 0;
        for (; i <= last; i += (nuint)Vector256<float>.Count)
        {
            a = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref x, i), Vector256.LoadUnsafe(ref w, i), a);
        }
        if (i != length)
        {
            Vector256<float> mask = TailMask(i - last);
            a = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref x, last) & mask, Vector256.LoadUnsafe(ref w, last) & mask, a);
        }

        return Vector256.Sum(a);
    }

    // Lanes below `covered` were already summed by the main loop: zero them (both operands, so an infinite weight
    // there cannot turn into 0·∞ = NaN).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> TailMask(nuint covered) =>
        Vector256.GreaterThanOrEqual(Vector256<int>.Indices, Vector256.Create((int)covered)).AsSingle();
}
