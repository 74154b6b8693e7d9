using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace AttentionGen.Kernels;

/// <summary>
/// Transposes rows into column panels, the layout a register-blocked tile reads: panel p holds rows
/// p·W … p·W+W−1, and within it, for each column c, those rows' c-th values side by side. One vector load from a panel
/// then feeds W dot products. The attention tiles pack each head's keys this way on every call.
/// </summary>
public static class PanelPacking
{
    /// <summary>Floats needed for <paramref name="rows"/> rows of <paramref name="width"/> in panels of <paramref name="panelWidth"/> rows.</summary>
    public static int PackedLength(int rows, int width, int panelWidth) => (rows + panelWidth - 1) / panelWidth * panelWidth * width;

    /// <summary>
    /// <c>panels[(j / W)·width·W + c·W + j % W] = source[j·rowStride + c]</c> for <paramref name="rows"/> rows j and
    /// <paramref name="width"/> columns c, with W = <paramref name="panelWidth"/>; rows past the last one, up to a whole
    /// panel, are zeros. With AVX-512, whole blocks of 16 rows are transposed 16×16 in registers when <paramref name="width"/>
    /// is at least 16 and W a multiple of 16; with AVX, whole blocks of 8 rows (the rest) 8×8 when the width is at least 8
    /// and W a multiple of 8; the rest is copied element by element.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A count is negative or zero where it must be positive.</exception>
    /// <exception cref="ArgumentException">A span is too short for the shape.</exception>
    public static void PackTransposed(ReadOnlySpan<float> source, int rowStride, int rows, int width, int panelWidth, Span<float> panels)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(panelWidth);
        ArgumentOutOfRangeException.ThrowIfLessThan(rowStride, width);
        if (rows > 0 && source.Length < (long)(rows - 1) * rowStride + width)
        {
            throw new ArgumentException($"{rows} rows of {width} floats, {rowStride} apart, need {(long)(rows - 1) * rowStride + width} floats; the span has {source.Length}.", nameof(source));
        }

        if (panels.Length < PackedLength(rows, width, panelWidth))
        {
            throw new ArgumentException($"The panels need {PackedLength(rows, width, panelWidth)} floats; the span has {panels.Length}.", nameof(panels));
        }

        PackTransposedUnchecked(ref MemoryMarshal.GetReference(source), rowStride, rows, width, panelWidth, 1f, ref MemoryMarshal.GetReference(panels));
    }

    /// <summary>
    /// As <see cref="PackTransposed"/> with no checks, for generated kernels whose shapes are compile-time constants
    /// and whose buffers were sized from them, and with every value multiplied by <paramref name="scale"/> on the way
    /// (rounded once): the attention tiles fold their score scale into the keys here, once per key, rather than
    /// multiplying every score. Reading or writing past the memory behind the references is undefined.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackTransposedUnchecked(ref float source, int rowStride, int rows, int width, int panelWidth, float scale, ref float panels)
    {
        int paddedRows = (rows + panelWidth - 1) / panelWidth * panelWidth;
        int first = 0;
        if (Avx512F.IsSupported && width >= 16 && panelWidth % 16 == 0)
        {
            first = TransposeSixteenRowBlocks(ref source, rowStride, rows, width, panelWidth, scale, ref panels);
        }

        if (Avx.IsSupported && width >= 8 && panelWidth % 8 == 0)
        {
            // Whole blocks of eight rows go through the register transpose; the rest (a partial block, then zero
            // padding up to the panel) is copied below. A width that is not whole blocks of 8 columns ends on a block
            // overlapping the one before it (TransposeLastColumns).
            int wholeColumns = width & ~7;
            int firstBlock = first;
            for (; first + 8 <= rows; first += 8)
            {
                ref float panelColumn = ref Unsafe.Add(ref panels, first / panelWidth * (width * panelWidth) + first % panelWidth);
                ref float row0 = ref Unsafe.Add(ref source, (nint)first * rowStride);
                ref float row4 = ref Unsafe.Add(ref row0, (nint)4 * rowStride);
                for (int column = 0; column < wholeColumns; column += 8)
                {
                    Transpose8x8(ref Unsafe.Add(ref row0, column), ref Unsafe.Add(ref row4, column), rowStride, scale, ref Unsafe.Add(ref panelColumn, column * panelWidth), panelWidth);
                }
            }

            if (width % 8 != 0)
            {
                TransposeLastColumns(ref source, rowStride, firstBlock, first, width, panelWidth, scale, ref panels);
            }
        }

        if (first < paddedRows)
        {
            CopyRemainingRows(ref source, rowStride, first, rows, paddedRows, width, panelWidth, scale, ref panels);
        }
    }

    /// <summary>
    /// Whole blocks of sixteen rows through a 16×16 register transpose (AVX-512, <paramref name="width"/> at least 16,
    /// <paramref name="panelWidth"/> a multiple of 16), one block of rows at a time (<see cref="TransposeRowBlock"/>);
    /// returns the rows done. A whole 512-bit store per column: per float, half the shuffles, loads and stores of the 8×8
    /// transpose (Zen 5, `sdpa H8 S128`: packing 3.3% → 2.1% of the call in a profile).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int TransposeSixteenRowBlocks(ref float source, int rowStride, int rows, int width, int panelWidth, float scale, ref float panels)
    {
        // The block's rows, its panel and its place in the panel, advanced rather than computed from the row index.
        ref float blockRows = ref source;
        ref float panel = ref panels;
        int inPanel = 0;
        int first = 0;
        for (; first + 16 <= rows; first += 16)
        {
            TransposeRowBlock(ref blockRows, rowStride, width, scale, ref Unsafe.Add(ref panel, inPanel), panelWidth);
            blockRows = ref Unsafe.Add(ref blockRows, (nint)16 * rowStride);
            inPanel += 16;
            if (inPanel == panelWidth)
            {
                inPanel = 0;
                panel = ref Unsafe.Add(ref panel, (nint)width * panelWidth);
            }
        }

        return first;
    }

    /// <summary>
    /// Sixteen rows of <paramref name="width"/> (at least 16) floats, <paramref name="rowStride"/> apart, each times
    /// <paramref name="scale"/>, become <paramref name="width"/> columns of sixteen, <paramref name="outputStride"/>
    /// apart, sixteen columns at a time. A width that is not whole blocks of 16 columns ends on a block overlapping the
    /// one before it, whose shared columns it writes again with the same values.
    /// </summary>
    /// <remarks>
    /// Each 128-bit lane of a vector first gathers four rows of one column (pairs of rows interleaved, then pairs of
    /// pairs); two lane shuffles then put a column's four lanes together: 64 shuffles per 16×16 block. Written out in the
    /// loop, and the loop in a method of its own, called once per block of rows: the JIT inlines no method with this many
    /// vector locals, and the row-block loop's counts beside it spilled.
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void TransposeRowBlock(ref float rows0, int rowStride, int width, float scale, ref float output, int outputStride)
    {
        Vector512<float> factor = Vector512.Create(scale);
        nuint stride = (nuint)rowStride;
        nuint fourColumns = 4 * (nuint)outputStride;
        int lastColumn = width - 16;
        for (int column = 0; ; column += 16)
        {
            column = Math.Min(column, lastColumn);
            ref float row = ref Unsafe.Add(ref rows0, column);

            // t: rows 2i and 2i+1 interleaved, each 128-bit lane L holding columns 4L, 4L+1 (low) or 4L+2, 4L+3 (high).
            Vector512<float> t0 = Pair(ref row, stride, factor, out Vector512<float> t1);
            row = ref Unsafe.Add(ref row, 2 * stride);
            Vector512<float> t2 = Pair(ref row, stride, factor, out Vector512<float> t3);
            row = ref Unsafe.Add(ref row, 2 * stride);
            Vector512<float> t4 = Pair(ref row, stride, factor, out Vector512<float> t5);
            row = ref Unsafe.Add(ref row, 2 * stride);
            Vector512<float> t6 = Pair(ref row, stride, factor, out Vector512<float> t7);
            row = ref Unsafe.Add(ref row, 2 * stride);
            Vector512<float> t8 = Pair(ref row, stride, factor, out Vector512<float> t9);
            row = ref Unsafe.Add(ref row, 2 * stride);
            Vector512<float> t10 = Pair(ref row, stride, factor, out Vector512<float> t11);
            row = ref Unsafe.Add(ref row, 2 * stride);
            Vector512<float> t12 = Pair(ref row, stride, factor, out Vector512<float> t13);
            row = ref Unsafe.Add(ref row, 2 * stride);
            Vector512<float> t14 = Pair(ref row, stride, factor, out Vector512<float> t15);

            // u[4g + k]: lane L holds column 4L + k of rows 4g … 4g+3.
            Vector512<float> u0 = Avx512F.Shuffle(t0, t2, 0x44), u1 = Avx512F.Shuffle(t0, t2, 0xEE), u2 = Avx512F.Shuffle(t1, t3, 0x44), u3 = Avx512F.Shuffle(t1, t3, 0xEE);
            Vector512<float> u4 = Avx512F.Shuffle(t4, t6, 0x44), u5 = Avx512F.Shuffle(t4, t6, 0xEE), u6 = Avx512F.Shuffle(t5, t7, 0x44), u7 = Avx512F.Shuffle(t5, t7, 0xEE);
            Vector512<float> u8 = Avx512F.Shuffle(t8, t10, 0x44), u9 = Avx512F.Shuffle(t8, t10, 0xEE), u10 = Avx512F.Shuffle(t9, t11, 0x44), u11 = Avx512F.Shuffle(t9, t11, 0xEE);
            Vector512<float> u12 = Avx512F.Shuffle(t12, t14, 0x44), u13 = Avx512F.Shuffle(t12, t14, 0xEE), u14 = Avx512F.Shuffle(t13, t15, 0x44), u15 = Avx512F.Shuffle(t13, t15, 0xEE);

            // Column k's vector, then 4 + k's, 8 + k's and 12 + k's four, eight and twelve output rows on.
            ref float columnK = ref Unsafe.Add(ref output, column * outputStride);
            Columns(u0, u4, u8, u12, ref columnK, fourColumns);
            columnK = ref Unsafe.Add(ref columnK, outputStride);
            Columns(u1, u5, u9, u13, ref columnK, fourColumns);
            columnK = ref Unsafe.Add(ref columnK, outputStride);
            Columns(u2, u6, u10, u14, ref columnK, fourColumns);
            columnK = ref Unsafe.Add(ref columnK, outputStride);
            Columns(u3, u7, u11, u15, ref columnK, fourColumns);
            if (column == lastColumn)
            {
                return;
            }
        }

        // The row at row and the next, scaled, interleaved: the low pairs returned, the high ones in high.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static Vector512<float> Pair(ref float row, nuint stride, Vector512<float> factor, out Vector512<float> high)
        {
            Vector512<float> even = Vector512.LoadUnsafe(ref row) * factor;
            Vector512<float> odd = Vector512.LoadUnsafe(ref row, stride) * factor;
            high = Avx512F.UnpackHigh(even, odd);
            return Avx512F.UnpackLow(even, odd);
        }

        // Columns k, 4 + k, 8 + k and 12 + k from the four row groups' vectors for k (lane L of each is column 4L + k),
        // column k's at columnK.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void Columns(Vector512<float> rows0, Vector512<float> rows4, Vector512<float> rows8, Vector512<float> rows12, ref float columnK, nuint fourColumns)
        {
            Vector512<float> low0 = Avx512F.Shuffle4x128(rows0, rows4, 0x44), high0 = Avx512F.Shuffle4x128(rows0, rows4, 0xEE);
            Vector512<float> low8 = Avx512F.Shuffle4x128(rows8, rows12, 0x44), high8 = Avx512F.Shuffle4x128(rows8, rows12, 0xEE);
            Avx512F.Shuffle4x128(low0, low8, 0x88).StoreUnsafe(ref columnK);
            Avx512F.Shuffle4x128(low0, low8, 0xDD).StoreUnsafe(ref columnK, fourColumns);
            Avx512F.Shuffle4x128(high0, high8, 0x88).StoreUnsafe(ref columnK, 2 * fourColumns);
            Avx512F.Shuffle4x128(high0, high8, 0xDD).StoreUnsafe(ref columnK, 3 * fourColumns);
        }
    }

    /// <summary>
    /// The last 8 columns of rows <paramref name="firstRow"/> to <paramref name="rowEnd"/> (whole blocks of 8) through the
    /// register transpose, for a width that is not whole blocks: they overlap the block before, whose shared columns they
    /// write again with the same values. A pass of its own: the extra transpose inside the main row loop spilled its registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void TransposeLastColumns(ref float source, int rowStride, int firstRow, int rowEnd, int width, int panelWidth, float scale, ref float panels)
    {
        int column = width - 8;
        for (int first = firstRow; first < rowEnd; first += 8)
        {
            ref float panelColumn = ref Unsafe.Add(ref panels, first / panelWidth * (width * panelWidth) + first % panelWidth + column * panelWidth);
            ref float row0 = ref Unsafe.Add(ref source, (nint)first * rowStride + column);
            Transpose8x8(ref row0, ref Unsafe.Add(ref row0, (nint)4 * rowStride), rowStride, scale, ref panelColumn, panelWidth);
        }
    }

    /// <summary>Rows <paramref name="first"/> onwards one float at a time, then zeros up to <paramref name="paddedRows"/>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CopyRemainingRows(ref float source, int rowStride, int first, int rows, int paddedRows, int width, int panelWidth, float scale, ref float panels)
    {
        for (int j = first; j < paddedRows; j++)
        {
            ref float panelColumn = ref Unsafe.Add(ref panels, j / panelWidth * (width * panelWidth) + j % panelWidth);
            ref float row = ref Unsafe.Add(ref source, (nint)j * rowStride);
            for (int c = 0; c < width; c++)
            {
                Unsafe.Add(ref panelColumn, c * panelWidth) = j < rows ? Unsafe.Add(ref row, c) * scale : 0f;
            }
        }
    }

    /// <summary>
    /// Eight rows of eight floats (rows 0–3 from <paramref name="row0"/>, 4–7 from <paramref name="row4"/>, each
    /// <paramref name="rowStride"/> apart) become eight columns, stored <paramref name="outputStride"/> apart: the classic
    /// unpack / shuffle / lane-permute sequence, 24 shuffles.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(ref float row0, ref float row4, int rowStride, float scale, ref float output, int outputStride)
    {
        Vector256<float> factor = Vector256.Create(scale);
        Vector256<float> r0 = Vector256.LoadUnsafe(ref row0) * factor, r1 = Vector256.LoadUnsafe(ref row0, (nuint)rowStride) * factor;
        Vector256<float> r2 = Vector256.LoadUnsafe(ref row0, (nuint)(2 * rowStride)) * factor, r3 = Vector256.LoadUnsafe(ref row0, (nuint)(3 * rowStride)) * factor;
        Vector256<float> r4 = Vector256.LoadUnsafe(ref row4) * factor, r5 = Vector256.LoadUnsafe(ref row4, (nuint)rowStride) * factor;
        Vector256<float> r6 = Vector256.LoadUnsafe(ref row4, (nuint)(2 * rowStride)) * factor, r7 = Vector256.LoadUnsafe(ref row4, (nuint)(3 * rowStride)) * factor;

        // Interleave pairs of rows, then pairs of pairs: each 128-bit lane then holds a 4×4 block's column.
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
        Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5);
        Vector256<float> t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE);
        Vector256<float> u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE);
        Vector256<float> u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);

        // Rows 0–3 sit in u0…u3 and rows 4–7 in u4…u7; joining their low lanes gives columns 0–3, high lanes 4–7.
        Avx.Permute2x128(u0, u4, 0x20).StoreUnsafe(ref output);
        Avx.Permute2x128(u1, u5, 0x20).StoreUnsafe(ref output, (nuint)outputStride);
        Avx.Permute2x128(u2, u6, 0x20).StoreUnsafe(ref output, (nuint)(2 * outputStride));
        Avx.Permute2x128(u3, u7, 0x20).StoreUnsafe(ref output, (nuint)(3 * outputStride));
        Avx.Permute2x128(u0, u4, 0x31).StoreUnsafe(ref output, (nuint)(4 * outputStride));
        Avx.Permute2x128(u1, u5, 0x31).StoreUnsafe(ref output, (nuint)(5 * outputStride));
        Avx.Permute2x128(u2, u6, 0x31).StoreUnsafe(ref output, (nuint)(6 * outputStride));
        Avx.Permute2x128(u3, u7, 0x31).StoreUnsafe(ref output, (nuint)(7 * outputStride));
    }
}
