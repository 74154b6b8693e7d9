using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace AttentionGen.Kernels;

/// <summary>The GEMM's kernels for panels of two vectors: AVX2's 16 outputs, Vector128's 8.</summary>
public static partial class PackedLinear
{
    /// <inheritdoc cref="MultiplyTileOfTwoVectors{TWidth, TVector, TRows, TElement, TRow}"/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    internal static void MultiplyTile256<TRows, TElement, TRow>(ref float x, int inDim, ref TElement panel, ref float y, int yStride, ref float bias)
        where TRows : struct, IStaticCount
        where TElement : unmanaged
        where TRow : struct, IPanelRow<TElement, Vector256<float>> =>
        MultiplyTileOfTwoVectors<Vector256Width, Vector256<float>, TRows, TElement, TRow>(ref x, inDim, ref panel, ref y, yStride, ref bias);

    /// <inheritdoc cref="MultiplyTileOfTwoVectors{TWidth, TVector, TRows, TElement, TRow}"/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    internal static void MultiplyTile128<TRows, TElement, TRow>(ref float x, int inDim, ref TElement panel, ref float y, int yStride, ref float bias)
        where TRows : struct, IStaticCount
        where TElement : unmanaged
        where TRow : struct, IPanelRow<TElement, Vector128<float>> =>
        MultiplyTileOfTwoVectors<Vector128Width, Vector128<float>, TRows, TElement, TRow>(ref x, inDim, ref panel, ref y, yStride, ref bias);

    /// <summary>
    /// <typeparamref name="TRows"/> rows × one panel of two vectors (AVX2's 16 outputs, or Vector128's 8), each panel row
    /// read by <typeparamref name="TRow"/> (float, or bfloat16 pairs widened in registers), starting from the bias (or 0
    /// when <paramref name="bias"/> is a null ref), as the row kernel does. 6 × 2 accumulators, the two panel vectors and a
    /// broadcast fill 15 of the 16 registers: each panel row is loaded once for six rows, where row passes loaded it once
    /// per row and, with two accumulators each a chain of dependent FMAs, ran at a quarter of the FMA rate (all-MiniLM at
    /// 128 tokens on the AVX2 path took 3.5 times as long as on AVX-512 on a core where both have the same FMA rate).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void MultiplyTileOfTwoVectors<TWidth, TVector, TRows, TElement, TRow>(ref float x, int inDim, ref TElement panel, ref float y, int yStride, ref float bias)
        where TWidth : struct, IVectorWidth<TVector>
        where TVector : struct
        where TRows : struct, IStaticCount
        where TElement : unmanaged
        where TRow : struct, IPanelRow<TElement, TVector>
    {
        ref float x0 = ref x;
        ref float x1 = ref TRows.Value > 1 ? ref Unsafe.Add(ref x, inDim) : ref x;
        ref float x2 = ref TRows.Value > 2 ? ref Unsafe.Add(ref x, 2 * inDim) : ref x;
        ref float x3 = ref TRows.Value > 3 ? ref Unsafe.Add(ref x, 3 * inDim) : ref x;
        ref float x4 = ref TRows.Value > 4 ? ref Unsafe.Add(ref x, 4 * inDim) : ref x;
        ref float x5 = ref TRows.Value > 5 ? ref Unsafe.Add(ref x, 5 * inDim) : ref x;
        // Every row starts from the bias, so a row's result is the same whichever tile or row kernel takes it.
        TVector a00 = TWidth.Zero, a01 = a00;
        if (!Unsafe.IsNullRef(ref bias))
        {
            a00 = TWidth.Load(ref bias, 0);
            a01 = TWidth.Load(ref bias, (nuint)TWidth.Count);
        }

        TVector a10 = a00, a11 = a01, a20 = a00, a21 = a01;
        TVector a30 = a00, a31 = a01, a40 = a00, a41 = a01, a50 = a00, a51 = a01;
        // Each step also asks for the same row of the next panel (panels are contiguous, inDim rows apart), so a short
        // call's next panel is on its way from memory while this one's later tiles run from L1. A panel here is only
        // inDim cache lines (AVX2), and its first tile otherwise waited on memory: all-MiniLM at 16 tokens on the AVX2
        // path went from 5.1 to 4.2 ms (Zen 4). AVX-512's panels are four times longer and the hardware prefetcher
        // keeps up with them. A prefetch past the last panel is a hint to an address never read, which cannot fault. The
        // address is a plain pointer, not a ref: a ref past the array would be reported to the GC.
        ref TElement w = ref panel;
        nint nextPanel = (nint)inDim * TRow.ElementsPerRow * sizeof(TElement);
        for (nint i = 0; i < inDim; i++, w = ref Unsafe.Add(ref w, TRow.ElementsPerRow))
        {
            if (Sse.IsSupported)
            {
                Sse.Prefetch0((byte*)Unsafe.AsPointer(ref w) + nextPanel);
            }

            var w0 = TRow.Vector(ref w, 0, 0);
            var w1 = TRow.Vector(ref w, 0, 1);
            var b = TWidth.Create(Unsafe.Add(ref x0, i));
            a00 = TWidth.MultiplyAddEstimate(b, w0, a00); a01 = TWidth.MultiplyAddEstimate(b, w1, a01);
            if (TRows.Value > 1)
            {
                b = TWidth.Create(Unsafe.Add(ref x1, i));
                a10 = TWidth.MultiplyAddEstimate(b, w0, a10); a11 = TWidth.MultiplyAddEstimate(b, w1, a11);
            }

            if (TRows.Value > 2)
            {
                b = TWidth.Create(Unsafe.Add(ref x2, i));
                a20 = TWidth.MultiplyAddEstimate(b, w0, a20); a21 = TWidth.MultiplyAddEstimate(b, w1, a21);
            }

            if (TRows.Value > 3)
            {
                b = TWidth.Create(Unsafe.Add(ref x3, i));
                a30 = TWidth.MultiplyAddEstimate(b, w0, a30); a31 = TWidth.MultiplyAddEstimate(b, w1, a31);
            }

            if (TRows.Value > 4)
            {
                b = TWidth.Create(Unsafe.Add(ref x4, i));
                a40 = TWidth.MultiplyAddEstimate(b, w0, a40); a41 = TWidth.MultiplyAddEstimate(b, w1, a41);
            }

            if (TRows.Value > 5)
            {
                b = TWidth.Create(Unsafe.Add(ref x5, i));
                a50 = TWidth.MultiplyAddEstimate(b, w0, a50); a51 = TWidth.MultiplyAddEstimate(b, w1, a51);
            }
        }

        TWidth.Store(a00, ref y, 0); TWidth.Store(a01, ref y, (nuint)TWidth.Count);
        if (TRows.Value > 1) { TWidth.Store(a10, ref y, (nuint)yStride); TWidth.Store(a11, ref y, (nuint)(yStride + TWidth.Count)); }
        if (TRows.Value > 2) { TWidth.Store(a20, ref y, (nuint)(2 * yStride)); TWidth.Store(a21, ref y, (nuint)(2 * yStride + TWidth.Count)); }
        if (TRows.Value > 3) { TWidth.Store(a30, ref y, (nuint)(3 * yStride)); TWidth.Store(a31, ref y, (nuint)(3 * yStride + TWidth.Count)); }
        if (TRows.Value > 4) { TWidth.Store(a40, ref y, (nuint)(4 * yStride)); TWidth.Store(a41, ref y, (nuint)(4 * yStride + TWidth.Count)); }
        if (TRows.Value > 5) { TWidth.Store(a50, ref y, (nuint)(5 * yStride)); TWidth.Store(a51, ref y, (nuint)(5 * yStride + TWidth.Count)); }
    }

    /// <inheritdoc cref="MultiplyRowOfTwoVectors{TWidth, TVector, TPanels, TElement, TRow}"/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    internal static void MultiplyRow256<TPanels, TElement, TRow>(ref float x, int inDim, ref TElement panel, nint panelStride, ref float y, int secondColumn, ref float bias)
        where TPanels : struct, IStaticCount
        where TElement : unmanaged
        where TRow : struct, IPanelRow<TElement, Vector256<float>> =>
        MultiplyRowOfTwoVectors<Vector256Width, Vector256<float>, TPanels, TElement, TRow>(ref x, inDim, ref panel, panelStride, ref y, secondColumn, ref bias);

    /// <inheritdoc cref="MultiplyRowOfTwoVectors{TWidth, TVector, TPanels, TElement, TRow}"/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    internal static void MultiplyRow128<TPanels, TElement, TRow>(ref float x, int inDim, ref TElement panel, nint panelStride, ref float y, int secondColumn, ref float bias)
        where TPanels : struct, IStaticCount
        where TElement : unmanaged
        where TRow : struct, IPanelRow<TElement, Vector128<float>> =>
        MultiplyRowOfTwoVectors<Vector128Width, Vector128<float>, TPanels, TElement, TRow>(ref x, inDim, ref panel, panelStride, ref y, secondColumn, ref bias);

    /// <summary>
    /// One row × <typeparamref name="TPanels"/> panels of two vectors (AVX2, Vector128; the second panel and its outputs
    /// where <see cref="MultiplyRow{TPanels}"/> says), each output one chain of FMAs as in
    /// <see cref="MultiplyTileOfTwoVectors{TWidth, TVector, TRows, TElement, TRow}"/>. With two accumulators a pass is bound by the FMA
    /// latency, one panel row per chain step: two panels at once stream twice the bytes per step (a one-row GEMM on the AVX2
    /// path ran at 63 GB/s from L3 against AVX-512's 95).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MultiplyRowOfTwoVectors<TWidth, TVector, TPanels, TElement, TRow>(ref float x, int inDim, ref TElement panel, nint panelStride, ref float y, int secondColumn, ref float bias)
        where TWidth : struct, IVectorWidth<TVector>
        where TVector : struct
        where TPanels : struct, IStaticCount
        where TElement : unmanaged
        where TRow : struct, IPanelRow<TElement, TVector>
    {
        TVector a0 = TWidth.Zero, a1 = a0, c0 = a0, c1 = a0;
        if (!Unsafe.IsNullRef(ref bias))
        {
            a0 = TWidth.Load(ref bias, 0); a1 = TWidth.Load(ref bias, (nuint)TWidth.Count);
            if (TPanels.Value > 1)
            {
                c0 = TWidth.Load(ref bias, (nuint)secondColumn); c1 = TWidth.Load(ref bias, (nuint)(secondColumn + TWidth.Count));
            }
        }

        ref TElement second = ref Unsafe.Add(ref panel, panelStride);
        ref float input = ref x;
        for (nuint offset = 0, end = (nuint)inDim * (nuint)TRow.ElementsPerRow; offset < end; offset += (nuint)TRow.ElementsPerRow, input = ref Unsafe.Add(ref input, 1))
        {
            var b = TWidth.Create(input);
            a0 = TWidth.MultiplyAddEstimate(b, TRow.Vector(ref panel, offset, 0), a0);
            a1 = TWidth.MultiplyAddEstimate(b, TRow.Vector(ref panel, offset, 1), a1);
            if (TPanels.Value > 1)
            {
                c0 = TWidth.MultiplyAddEstimate(b, TRow.Vector(ref second, offset, 0), c0);
                c1 = TWidth.MultiplyAddEstimate(b, TRow.Vector(ref second, offset, 1), c1);
            }
        }

        TWidth.Store(a0, ref y, 0); TWidth.Store(a1, ref y, (nuint)TWidth.Count);
        if (TPanels.Value > 1)
        {
            TWidth.Store(c0, ref y, (nuint)secondColumn); TWidth.Store(c1, ref y, (nuint)(secondColumn + TWidth.Count));
        }
    }
}
