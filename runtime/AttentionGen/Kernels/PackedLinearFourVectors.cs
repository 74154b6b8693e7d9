using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace AttentionGen.Kernels;

/// <summary>
/// The GEMM's kernels for AVX-512's 64-wide panels (four vectors), written once for float and bfloat16 panels over the
/// <see cref="IPanelRow{TElement, TVector}"/> that reads a panel row.
/// </summary>
public static partial class PackedLinear
{
    /// <summary>
    /// <typeparamref name="TRows"/> (six, or two to four for the last rows of a call) rows × one panel. Each row's outputs
    /// come from the same operations in the same order whatever the row count, so which tile a row lands in never changes
    /// its bits. With <typeparamref name="TAhead"/> above zero, each step also asks for that many lines (into L2) from
    /// <paramref name="aheadOffset"/> bytes past the panel on, one after another: a stretch of the next panel (see
    /// <c>AskingTiles</c>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    internal static unsafe void MultiplyTile512<TRows, TAhead, TElement, TRow>(ref float x, int inDim, ref TElement panel, ref float y, int yStride, ref float bias, nint aheadOffset)
        where TRows : struct, IStaticCount
        where TAhead : struct, IStaticCount
        where TElement : unmanaged
        where TRow : struct, IPanelRow<TElement, Vector512<float>>
    {
        ref float x0 = ref x;
        ref float x1 = ref Unsafe.Add(ref x, inDim);
        ref float x2 = ref TRows.Value > 2 ? ref Unsafe.Add(ref x, 2 * inDim) : ref x;
        ref float x3 = ref TRows.Value > 3 ? ref Unsafe.Add(ref x, 3 * inDim) : ref x;
        ref float x4 = ref TRows.Value > 4 ? ref Unsafe.Add(ref x, 4 * inDim) : ref x;
        ref float x5 = ref TRows.Value > 5 ? ref Unsafe.Add(ref x, 5 * inDim) : ref x;
        // Every row starts from the panel's 64 biases (or zeros): y = b + x·Wᵀ with no separate pass over y.
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default;
        if (!Unsafe.IsNullRef(ref bias))
        {
            b0 = Vector512.LoadUnsafe(ref bias, 0); b1 = Vector512.LoadUnsafe(ref bias, 16);
            b2 = Vector512.LoadUnsafe(ref bias, 32); b3 = Vector512.LoadUnsafe(ref bias, 48);
        }

        Vector512<float> a00 = b0, a01 = b1, a02 = b2, a03 = b3, a10 = b0, a11 = b1, a12 = b2, a13 = b3;
        Vector512<float> a20 = b0, a21 = b1, a22 = b2, a23 = b3, a30 = b0, a31 = b1, a32 = b2, a33 = b3;
        Vector512<float> a40 = b0, a41 = b1, a42 = b2, a43 = b3, a50 = b0, a51 = b1, a52 = b2, a53 = b3;
        // A native-int index and a panel reference advanced by a constant: the JIT folds every address into
        // [base + index*4 + disp], so the loop's only integer work is the advance, the count and the branch (on
        // Intel, integer instructions share ports 0 and 5 with the 512-bit FMAs).
        ref TElement w = ref panel;
        // A plain pointer, not a ref: the stretch may end at the panels' end, and a ref past an array would be reported to
        // the GC. A hint to an address that moved with its array (the panels need not be pinned) is only a wasted hint.
        byte* ahead = TAhead.Value > 0 ? (byte*)Unsafe.AsPointer(ref panel) + aheadOffset : null;
        for (nint i = 0; i < inDim; i++, w = ref Unsafe.Add(ref w, TRow.ElementsPerRow))
        {
            if (TAhead.Value > 0 && Sse.IsSupported)
            {
                Sse.Prefetch1(ahead);
                if (TAhead.Value > 1)
                {
                    Sse.Prefetch1(ahead + 64);
                }

                ahead += TAhead.Value * 64;
            }

            var w0 = TRow.Vector(ref w, 0, 0); var w1 = TRow.Vector(ref w, 0, 1);
            var w2 = TRow.Vector(ref w, 0, 2); var w3 = TRow.Vector(ref w, 0, 3);
            var b = Vector512.Create(Unsafe.Add(ref x0, i));
            a00 = Vector512.FusedMultiplyAdd(b, w0, a00); a01 = Vector512.FusedMultiplyAdd(b, w1, a01); a02 = Vector512.FusedMultiplyAdd(b, w2, a02); a03 = Vector512.FusedMultiplyAdd(b, w3, a03);
            b = Vector512.Create(Unsafe.Add(ref x1, i));
            a10 = Vector512.FusedMultiplyAdd(b, w0, a10); a11 = Vector512.FusedMultiplyAdd(b, w1, a11); a12 = Vector512.FusedMultiplyAdd(b, w2, a12); a13 = Vector512.FusedMultiplyAdd(b, w3, a13);
            if (TRows.Value > 2)
            {
                b = Vector512.Create(Unsafe.Add(ref x2, i));
                a20 = Vector512.FusedMultiplyAdd(b, w0, a20); a21 = Vector512.FusedMultiplyAdd(b, w1, a21); a22 = Vector512.FusedMultiplyAdd(b, w2, a22); a23 = Vector512.FusedMultiplyAdd(b, w3, a23);
            }

            if (TRows.Value > 3)
            {
                b = Vector512.Create(Unsafe.Add(ref x3, i));
                a30 = Vector512.FusedMultiplyAdd(b, w0, a30); a31 = Vector512.FusedMultiplyAdd(b, w1, a31); a32 = Vector512.FusedMultiplyAdd(b, w2, a32); a33 = Vector512.FusedMultiplyAdd(b, w3, a33);
            }

            if (TRows.Value > 4)
            {
                b = Vector512.Create(Unsafe.Add(ref x4, i));
                a40 = Vector512.FusedMultiplyAdd(b, w0, a40); a41 = Vector512.FusedMultiplyAdd(b, w1, a41); a42 = Vector512.FusedMultiplyAdd(b, w2, a42); a43 = Vector512.FusedMultiplyAdd(b, w3, a43);
            }

            if (TRows.Value > 5)
            {
                b = Vector512.Create(Unsafe.Add(ref x5, i));
                a50 = Vector512.FusedMultiplyAdd(b, w0, a50); a51 = Vector512.FusedMultiplyAdd(b, w1, a51); a52 = Vector512.FusedMultiplyAdd(b, w2, a52); a53 = Vector512.FusedMultiplyAdd(b, w3, a53);
            }
        }

        Store4(a00, a01, a02, a03, ref y);
        Store4(a10, a11, a12, a13, ref Unsafe.Add(ref y, yStride));
        if (TRows.Value > 2)
        {
            Store4(a20, a21, a22, a23, ref Unsafe.Add(ref y, 2 * yStride));
        }

        if (TRows.Value > 3)
        {
            Store4(a30, a31, a32, a33, ref Unsafe.Add(ref y, 3 * yStride));
        }

        if (TRows.Value > 4)
        {
            Store4(a40, a41, a42, a43, ref Unsafe.Add(ref y, 4 * yStride));
        }

        if (TRows.Value > 5)
        {
            Store4(a50, a51, a52, a53, ref Unsafe.Add(ref y, 5 * yStride));
        }
    }

    /// <summary>
    /// One row × <typeparamref name="TPanels"/> (one or two) panels, the second <paramref name="panelStride"/> elements
    /// after the first, its outputs (and bias) <paramref name="secondColumn"/> after the first's. Each output's bits are
    /// those of the tiles.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    internal static void MultiplyRow512<TPanels, TElement, TRow>(ref float x, int inDim, ref TElement panel, nint panelStride, ref float y, int secondColumn, ref float bias)
        where TPanels : struct, IStaticCount
        where TElement : unmanaged
        where TRow : struct, IPanelRow<TElement, Vector512<float>>
    {
        // The whole panel row in one pass, four independent accumulators per panel: a decode step (one row) streams
        // each panel once, in order, which is what keeps it at memory speed. Two panels at once are two streams in
        // flight and half the loop overhead per byte: a one-row GEMM from L3 went from 93% to 96% of the read rate.
        // Software prefetch on top of the hardware's only cost (Zen 5, the small decoder's step, alternating builds):
        // prefetcht0 of both streams' four lines 16 panel rows ahead 1.15–1.19× the time, prefetcht1 48 rows ahead worse.
        // That step's GEMVs already run at or above a plain re-read of their 20 MB (74–85 GB/s against 73).
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
        if (!Unsafe.IsNullRef(ref bias))
        {
            a0 = Vector512.LoadUnsafe(ref bias, 0); a1 = Vector512.LoadUnsafe(ref bias, 16);
            a2 = Vector512.LoadUnsafe(ref bias, 32); a3 = Vector512.LoadUnsafe(ref bias, 48);
            if (TPanels.Value > 1)
            {
                ref float secondBias = ref Unsafe.Add(ref bias, secondColumn);
                c0 = Vector512.LoadUnsafe(ref secondBias, 0); c1 = Vector512.LoadUnsafe(ref secondBias, 16);
                c2 = Vector512.LoadUnsafe(ref secondBias, 32); c3 = Vector512.LoadUnsafe(ref secondBias, 48);
            }
        }

        // Both panels addressed as [panel + offset*4 + disp] from one offset, so the loop's integer work stays the
        // offset's and the input's advance, the compare and the branch.
        ref TElement second = ref Unsafe.Add(ref panel, panelStride);
        ref float input = ref x;
        for (nuint offset = 0, end = (nuint)inDim * (nuint)TRow.ElementsPerRow; offset < end; offset += (nuint)TRow.ElementsPerRow, input = ref Unsafe.Add(ref input, 1))
        {
            var b = Vector512.Create(input);
            a0 = Vector512.FusedMultiplyAdd(b, TRow.Vector(ref panel, offset, 0), a0);
            a1 = Vector512.FusedMultiplyAdd(b, TRow.Vector(ref panel, offset, 1), a1);
            a2 = Vector512.FusedMultiplyAdd(b, TRow.Vector(ref panel, offset, 2), a2);
            a3 = Vector512.FusedMultiplyAdd(b, TRow.Vector(ref panel, offset, 3), a3);
            if (TPanels.Value > 1)
            {
                c0 = Vector512.FusedMultiplyAdd(b, TRow.Vector(ref second, offset, 0), c0);
                c1 = Vector512.FusedMultiplyAdd(b, TRow.Vector(ref second, offset, 1), c1);
                c2 = Vector512.FusedMultiplyAdd(b, TRow.Vector(ref second, offset, 2), c2);
                c3 = Vector512.FusedMultiplyAdd(b, TRow.Vector(ref second, offset, 3), c3);
            }
        }

        Store4(a0, a1, a2, a3, ref y);
        if (TPanels.Value > 1)
        {
            Store4(c0, c1, c2, c3, ref Unsafe.Add(ref y, secondColumn));
        }
    }
}
