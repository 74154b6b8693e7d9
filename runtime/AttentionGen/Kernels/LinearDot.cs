using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace AttentionGen.Kernels;

/// <summary>
/// <see cref="ILinearDot"/> over one vector width; needs inDim ≥ one vector. The part of a row past the last whole
/// vector is read as one more vector ending at the row's end, with the lanes already summed masked to zero.
/// </summary>
/// <remarks>
/// The 2×4 block's eight accumulators are named locals, not an array, so they stay in registers at every width.
/// </remarks>
internal readonly struct LinearDot<TWidth, TVector> : ILinearDot
    where TWidth : struct, IVectorWidth<TVector>
    where TVector : struct
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Dot2x4(ref float x0, ref float x1, ref float w, nint stride, int inDim, out Vector128<float> sums0, out Vector128<float> sums1)
    {
        ref float w1 = ref Unsafe.Add(ref w, stride);
        ref float w2 = ref Unsafe.Add(ref w1, stride);
        ref float w3 = ref Unsafe.Add(ref w2, stride);

        TVector a00 = TWidth.Zero, a01 = a00, a02 = a00, a03 = a00;
        TVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;

        nuint length = (nuint)inDim;
        nuint last = length - (nuint)TWidth.Count;
        nuint i = 0;
        for (; i <= last; i += (nuint)TWidth.Count)
        {
            TVector v0 = TWidth.Load(ref x0, i);
            TVector v1 = TWidth.Load(ref x1, i);
            TVector wv = TWidth.Load(ref w, i);
            a00 = TWidth.MultiplyAddEstimate(v0, wv, a00);
            a10 = TWidth.MultiplyAddEstimate(v1, wv, a10);
            wv = TWidth.Load(ref w1, i);
            a01 = TWidth.MultiplyAddEstimate(v0, wv, a01);
            a11 = TWidth.MultiplyAddEstimate(v1, wv, a11);
            wv = TWidth.Load(ref w2, i);
            a02 = TWidth.MultiplyAddEstimate(v0, wv, a02);
            a12 = TWidth.MultiplyAddEstimate(v1, wv, a12);
            wv = TWidth.Load(ref w3, i);
            a03 = TWidth.MultiplyAddEstimate(v0, wv, a03);
            a13 = TWidth.MultiplyAddEstimate(v1, wv, a13);
        }
        if (i != length)
        {
            TVector mask = TailMask(i - last);
            TVector v0 = TWidth.BitwiseAnd(TWidth.Load(ref x0, last), mask);
            TVector v1 = TWidth.BitwiseAnd(TWidth.Load(ref x1, last), mask);
            TVector wv = TWidth.BitwiseAnd(TWidth.Load(ref w, last), mask);
            a00 = TWidth.MultiplyAddEstimate(v0, wv, a00);
            a10 = TWidth.MultiplyAddEstimate(v1, wv, a10);
            wv = TWidth.BitwiseAnd(TWidth.Load(ref w1, last), mask);
            a01 = TWidth.MultiplyAddEstimate(v0, wv, a01);
            a11 = TWidth.MultiplyAddEstimate(v1, wv, a11);
            wv = TWidth.BitwiseAnd(TWidth.Load(ref w2, last), mask);
            a02 = TWidth.MultiplyAddEstimate(v0, wv, a02);
            a12 = TWidth.MultiplyAddEstimate(v1, wv, a12);
            wv = TWidth.BitwiseAnd(TWidth.Load(ref w3, last), mask);
            a03 = TWidth.MultiplyAddEstimate(v0, wv, a03);
            a13 = TWidth.MultiplyAddEstimate(v1, wv, a13);
        }

        sums0 = LinearDotReduce.Sum4(TWidth.FoldTo128(a00), TWidth.FoldTo128(a01), TWidth.FoldTo128(a02), TWidth.FoldTo128(a03));
        sums1 = LinearDotReduce.Sum4(TWidth.FoldTo128(a10), TWidth.FoldTo128(a11), TWidth.FoldTo128(a12), TWidth.FoldTo128(a13));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Dot1x4(ref float x, ref float w, nint stride, int inDim)
    {
        ref float w1 = ref Unsafe.Add(ref w, stride);
        ref float w2 = ref Unsafe.Add(ref w1, stride);
        ref float w3 = ref Unsafe.Add(ref w2, stride);

        TVector a0 = TWidth.Zero, a1 = a0, a2 = a0, a3 = a0;

        nuint length = (nuint)inDim;
        nuint last = length - (nuint)TWidth.Count;
        nuint i = 0;
        for (; i <= last; i += (nuint)TWidth.Count)
        {
            TVector v = TWidth.Load(ref x, i);
            a0 = TWidth.MultiplyAddEstimate(v, TWidth.Load(ref w, i), a0);
            a1 = TWidth.MultiplyAddEstimate(v, TWidth.Load(ref w1, i), a1);
            a2 = TWidth.MultiplyAddEstimate(v, TWidth.Load(ref w2, i), a2);
            a3 = TWidth.MultiplyAddEstimate(v, TWidth.Load(ref w3, i), a3);
        }
        if (i != length)
        {
            TVector mask = TailMask(i - last);
            TVector v = TWidth.BitwiseAnd(TWidth.Load(ref x, last), mask);
            a0 = TWidth.MultiplyAddEstimate(v, TWidth.BitwiseAnd(TWidth.Load(ref w, last), mask), a0);
            a1 = TWidth.MultiplyAddEstimate(v, TWidth.BitwiseAnd(TWidth.Load(ref w1, last), mask), a1);
            a2 = TWidth.MultiplyAddEstimate(v, TWidth.BitwiseAnd(TWidth.Load(ref w2, last), mask), a2);
            a3 = TWidth.MultiplyAddEstimate(v, TWidth.BitwiseAnd(TWidth.Load(ref w3, last), mask), a3);
        }

        return LinearDotReduce.Sum4(TWidth.FoldTo128(a0), TWidth.FoldTo128(a1), TWidth.FoldTo128(a2), TWidth.FoldTo128(a3));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot1(ref float x, ref float w, int inDim)
    {
        TVector a = TWidth.Zero;

        nuint length = (nuint)inDim;
        nuint last = length - (nuint)TWidth.Count;
        nuint i = 0;
        for (; i <= last; i += (nuint)TWidth.Count)
        {
            a = TWidth.MultiplyAddEstimate(TWidth.Load(ref x, i), TWidth.Load(ref w, i), a);
        }
        if (i != length)
        {
            TVector mask = TailMask(i - last);
            a = TWidth.MultiplyAddEstimate(TWidth.BitwiseAnd(TWidth.Load(ref x, last), mask), TWidth.BitwiseAnd(TWidth.Load(ref w, last), mask), a);
        }

        return TWidth.Sum(a);
    }

    // Lanes below `covered` were already summed by the main loop: zero them (both operands, so an infinite weight
    // there cannot turn into 0·∞ = NaN).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector TailMask(nuint covered) => TWidth.LanesFrom((int)covered);
}
