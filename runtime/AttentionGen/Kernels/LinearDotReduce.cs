using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace AttentionGen.Kernels;

/// <summary>The horizontal reduction shared by the <see cref="ILinearDot"/> widths, after each has folded its accumulators to 128 bits.</summary>
internal static class LinearDotReduce
{
    /// <summary>Returns [Σa, Σb, Σc, Σd], so four output features are stored with one vector store.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Sum4(Vector128<float> a, Vector128<float> b, Vector128<float> c, Vector128<float> d)
    {
        if (Sse3.IsSupported)
        {
            // hadd(a, b) = [a0+a1, a2+a3, b0+b1, b2+b3]; a second hadd of two such vectors finishes the sums.
            return Sse3.HorizontalAdd(Sse3.HorizontalAdd(a, b), Sse3.HorizontalAdd(c, d));
        }
        return Vector128.Create(Vector128.Sum(a), Vector128.Sum(b), Vector128.Sum(c), Vector128.Sum(d));
    }
}
