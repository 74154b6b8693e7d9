using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace AttentionGen.Kernels;

/// <summary>
/// <see cref="ILinearDot"/> over <see cref="Vector128{T}"/>; needs inDim ≥ 4. The part of a row past the last whole
/// vector is read as one more vector ending at the row's end, with the lanes already summed masked to zero.
/// </summary>
internal readonly struct LinearDot128 : ILinearDot
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Dot2x4(ref float x0, ref float x1, ref float w, int inDim, out Vector128<float> sums0, out Vector128<float> sums1)
    {
        ref float w1 = ref Unsafe.Add(ref w, inDim);
        ref float w2 = ref Unsafe.Add(ref w1, inDim);
        ref float w3 = ref Unsafe.Add(ref w2, inDim);

        Vector128<float> a00 = Vector128<float>.Zero, a01 = a00, a02 = a00, a03 = a00;
        Vector128<float> a10 = a00, a11 = a00, a12 = a00, a13 = a00;

        nuint length = (nuint)inDim;
        nuint last = length - (nuint)Vector128<float>.Count;
        nuint i = 0;
        for (; i <= last; i += (nuint)Vector128<float>.Count)
        {
            Vector128<float> v0 = Vector128.LoadUnsafe(ref x0, i);
            Vector128<float> v1 = Vector128.LoadUnsafe(ref x1, i);
            Vector128<float> wv = Vector128.LoadUnsafe(ref w, i);
            a00 = Vector128.MultiplyAddEstimate(v0, wv, a00);
            a10 = Vector128.MultiplyAddEstimate(v1, wv, a10);
            wv = Vector128.LoadUnsafe(ref w1, i);
            a01 = Vector128.MultiplyAddEstimate(v0, wv, a01);
            a11 = Vector128.MultiplyAddEstimate(v1, wv, a11);
            wv = Vector128.LoadUnsafe(ref w2, i);
            a02 = Vector128.MultiplyAddEstimate(v0, wv, a02);
            a12 = Vector128.MultiplyAddEstimate(v1, wv, a12);
            wv = Vector128.LoadUnsafe(ref w3, i);
            a03 = Vector128.MultiplyAddEstimate(v0, wv, a03);
            a13 = Vector128.MultiplyAddEstimate(v1, wv, a13);
        }
        if (i != length)
        {
            Vector128<float> mask = TailMask(i - last);
            Vector128<float> v0 = Vector128.LoadUnsafe(ref x0, last) & mask;
            Vector128<float> v1 = Vector128.LoadUnsafe(ref x1, last) & mask;
            Vector128<float> wv = Vector128.LoadUnsafe(ref w, last) & mask;
            a00 = Vector128.MultiplyAddEstimate(v0, wv, a00);
            a10 = Vector128.MultiplyAddEstimate(v1, wv, a10);
            wv = Vector128.LoadUnsafe(ref w1, last) & mask;
            a01 = Vector128.MultiplyAddEstimate(v0, wv, a01);
            a11 = Vector128.MultiplyAddEstimate(v1, wv, a11);
            wv = Vector128.LoadUnsafe(ref w2, last) & mask;
            a02 = Vector128.MultiplyAddEstimate(v0, wv, a02);
            a12 = Vector128.MultiplyAddEstimate(v1, wv, a12);
            wv = Vector128.LoadUnsafe(ref w3, last) & mask;
            a03 = Vector128.MultiplyAddEstimate(v0, wv, a03);
            a13 = Vector128.MultiplyAddEstimate(v1, wv, a13);
        }

        sums0 = LinearDotReduce.Sum4(a00, a01, a02, a03);
        sums1 = LinearDotReduce.Sum4(a10, a11, a12, a13);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Dot1x4(ref float x, ref float w, int inDim)
    {
        ref float w1 = ref Unsafe.Add(ref w, inDim);
        ref float w2 = ref Unsafe.Add(ref w1, inDim);
        ref float w3 = ref Unsafe.Add(ref w2, inDim);

        Vector128<float> a0 = Vector128<float>.Zero, a1 = a0, a2 = a0, a3 = a0;

        nuint length = (nuint)inDim;
        nuint last = length - (nuint)Vector128<float>.Count;
        nuint i = 0;
        for (; i <= last; i += (nuint)Vector128<float>.Count)
        {
            Vector128<float> v = Vector128.LoadUnsafe(ref x, i);
            a0 = Vector128.MultiplyAddEstimate(v, Vector128.LoadUnsafe(ref w, i), a0);
            a1 = Vector128.MultiplyAddEstimate(v, Vector128.LoadUnsafe(ref w1, i), a1);
            a2 = Vector128.MultiplyAddEstimate(v, Vector128.LoadUnsafe(ref w2, i), a2);
            a3 = Vector128.MultiplyAddEstimate(v, Vector128.LoadUnsafe(ref w3, i), a3);
        }
        if (i != length)
        {
            Vector128<float> mask = TailMask(i - last);
            Vector128<float> v = Vector128.LoadUnsafe(ref x, last) & mask;
            a0 = Vector128.MultiplyAddEstimate(v, Vector128.LoadUnsafe(ref w, last) & mask, a0);
            a1 = Vector128.MultiplyAddEstimate(v, Vector128.LoadUnsafe(ref w1, last) & mask, a1);
            a2 = Vector128.MultiplyAddEstimate(v, Vector128.LoadUnsafe(ref w2, last) & mask, a2);
            a3 = Vector128.MultiplyAddEstimate(v, Vector128.LoadUnsafe(ref w3, last) & mask, a3);
        }

        return LinearDotReduce.Sum4(a0, a1, a2, a3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot1(ref float x, ref float w, int inDim)
    {
        Vector128<float> a = Vector128<float>.Zero;

        nuint length = (nuint)inDim;
        nuint last = length - (nuint)Vector128<float>.Count;
        nuint i = 0;
        for (; i <= last; i += (nuint)Vector128<float>.Count)
        {
            a = Vector128.MultiplyAddEstimate(Vector128.LoadUnsafe(ref x, i), Vector128.LoadUnsafe(ref w, i), a);
        }
        if (i != length)
        {
            Vector128<float> mask = TailMask(i - last);
            a = Vector128.MultiplyAddEstimate(Vector128.LoadUnsafe(ref x, last) & mask, Vector128.LoadUnsafe(ref w, last) & mask, a);
        }

        return Vector128.Sum(a);
    }

    // Lanes below `covered` were already summed by the main loop: zero them (both operands, so an infinite weight
    // there cannot turn into 0·∞ = NaN).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> TailMask(nuint covered) =>
        Vector128.GreaterThanOrEqual(Vector128<int>.Indices, Vector128.Create((int)covered)).AsSingle();
}
