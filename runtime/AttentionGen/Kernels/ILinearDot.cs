using System.Runtime.Intrinsics;

namespace AttentionGen.Kernels;

/// <summary>
/// Dot-product blocks for <see cref="LinearKernels"/> at one vector width. Implemented by structs so the generic
/// driver is compiled once per width with these calls inlined.
/// </summary>
internal interface ILinearDot
{
    /// <summary>Dot products of rows x0 and x1 with the 4 weight rows at w, w + stride, w + 2·stride and w + 3·stride.</summary>
    static abstract void Dot2x4(ref float x0, ref float x1, ref float w, nint stride, int inDim, out Vector128<float> sums0, out Vector128<float> sums1);

    /// <summary>Dot products of row x with the 4 weight rows at w, w + stride, w + 2·stride and w + 3·stride.</summary>
    static abstract Vector128<float> Dot1x4(ref float x, ref float w, nint stride, int inDim);

    /// <summary>Dot product of row x with weight row w.</summary>
    static abstract float Dot1(ref float x, ref float w, int inDim);
}
