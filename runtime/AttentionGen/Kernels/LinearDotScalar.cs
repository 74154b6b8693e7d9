using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace AttentionGen.Kernels;

/// <summary>
/// <see cref="ILinearDot"/> without vectors: rows shorter than one Vector128, or hardware without SIMD acceleration.
/// </summary>
internal readonly struct LinearDotScalar : ILinearDot
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Dot2x4(ref float x0, ref float x1, ref float w, nint stride, int inDim, out Vector128<float> sums0, out Vector128<float> sums1)
    {
        sums0 = Dot1x4(ref x0, ref w, stride, inDim);
        sums1 = Dot1x4(ref x1, ref w, stride, inDim);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Dot1x4(ref float x, ref float w, nint stride, int inDim)
    {
        ref float w1 = ref Unsafe.Add(ref w, stride);
        ref float w2 = ref Unsafe.Add(ref w1, stride);
        ref float w3 = ref Unsafe.Add(ref w2, stride);
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
        for (nint i = 0; i < inDim; i++)
        {
            float v = Unsafe.Add(ref x, i);
            s0 = float.MultiplyAddEstimate(v, Unsafe.Add(ref w, i), s0);
            s1 = float.MultiplyAddEstimate(v, Unsafe.Add(ref w1, i), s1);
            s2 = float.MultiplyAddEstimate(v, Unsafe.Add(ref w2, i), s2);
            s3 = float.MultiplyAddEstimate(v, Unsafe.Add(ref w3, i), s3);
        }
        return Vector128.Create(s0, s1, s2, s3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot1(ref float x, ref float w, int inDim)
    {
        float s = 0f;
        for (nint i = 0; i < inDim; i++)
        {
            s = float.MultiplyAddEstimate(Unsafe.Add(ref x, i), Unsafe.Add(ref w, i), s);
        }
        return s;
    }
}
