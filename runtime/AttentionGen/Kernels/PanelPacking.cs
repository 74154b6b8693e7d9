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
    /// panel, are zeros. With AVX, whole blocks of 8 rows are transposed 8×8 in registers when <paramref name="width"/>
    /// is at least 8 and W a multiple of 8; the rest is copied element by element.
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
        if (Avx.IsSupported && width >= 8 && panelWidth % 8 == 0)
        {
            // Whole blocks of eight rows go through the register transpose; the rest (a partial block, then zero
            // padding up to the panel) is copied below. A width that is not whole blocks of 8 columns ends on a block
            // overlapping the one before it (TransposeLastColumns).
            int wholeColumns = width & ~7;
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
                TransposeLastColumns(ref source, rowStride, first, width, panelWidth, scale, ref panels);
            }
        }

        if (first < paddedRows)
        {
            CopyRemainingRows(ref source, rowStride, first, rows, paddedRows, width, panelWidth, scale, ref panels);
        }
    }

    /// <summary>
    /// The last 8 columns of rows 0 to <paramref name="rows"/> (whole blocks of 8) through the register transpose, for a
    /// width that is not whole blocks: they overlap the block before, whose shared columns they write again with the same
    /// values. A pass of its own: the extra transpose inside the main row loop spilled its registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void TransposeLastColumns(ref float source, int rowStride, int rows, int width, int panelWidth, float scale, ref float panels)
    {
        int column = width - 8;
        for (int first = 0; first < rows; first += 8)
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
