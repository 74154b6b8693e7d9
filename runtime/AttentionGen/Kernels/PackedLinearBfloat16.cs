using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace AttentionGen.Kernels;

/// <summary>The panel kernels a GEMM pass is generic over: how a tile of rows and a single row read one panel row.</summary>
internal interface IPanelKernels<TElement>
{
    /// <summary>Elements one panel row (one input index, <paramref name="width"/> outputs) occupies.</summary>
    static abstract int ElementsPerRow(int width);

    /// <summary><typeparamref name="TRows"/> rows × one panel, each row's bits as <see cref="Row"/> gives them.</summary>
    static abstract void Tile<TRows>(ref float x, int inDim, ref TElement panel, ref float y, int yStride, int width, ref float bias)
        where TRows : struct, IStaticCount;

    /// <summary>
    /// One row × <typeparamref name="TPanels"/> panels, the second <paramref name="panelStride"/> elements after the first,
    /// its outputs (and bias) <paramref name="secondColumn"/> after the first's.
    /// </summary>
    static abstract void Row<TPanels>(ref float x, int inDim, ref TElement panel, nint panelStride, ref float y, int secondColumn, int width, ref float bias)
        where TPanels : struct, IStaticCount;
}

/// <summary>Float panels: the GEMM kernels of <see cref="PackedLinear"/>.</summary>
internal readonly struct FloatPanels : IPanelKernels<float>
{
    public static int ElementsPerRow(int width) => width;

    public static void Tile<TRows>(ref float x, int inDim, ref float panel, ref float y, int yStride, int width, ref float bias)
        where TRows : struct, IStaticCount =>
        PackedLinear.MultiplyTile<TRows>(ref x, inDim, ref panel, ref y, yStride, width, ref bias);

    public static void Row<TPanels>(ref float x, int inDim, ref float panel, nint panelStride, ref float y, int secondColumn, int width, ref float bias)
        where TPanels : struct, IStaticCount =>
        PackedLinear.MultiplyRow<TPanels>(ref x, inDim, ref panel, panelStride, ref y, secondColumn, width, ref bias);
}

/// <summary>
/// Weights held as bfloat16 (the upper 16 bits of a float, rounded to nearest even): half the bytes of float panels,
/// which is what a decode step streams, widened back to float in registers so the arithmetic stays float.
/// </summary>
/// <remarks>
/// Layout: the panels of <see cref="Pack"/>, but each panel row of <c>W</c> outputs is <c>W/2</c> uints, each holding two
/// outputs: with <c>V = min(W/2, 16)</c>, uint <c>k</c> of chunk <c>c</c> holds output <c>2V·c + k</c> in its upper half and
/// output <c>2V·c + V + k</c> in its lower half. One vector of uints then widens to two float vectors with one AND and
/// one shift, no shuffles: <c>u &amp; 0xFFFF0000</c> and <c>u &lt;&lt; 16</c> are exactly those floats.
/// </remarks>
public static partial class PackedLinear
{
    /// <summary>Uints needed to pack a [outDim, inDim] weight as bfloat16 pairs.</summary>
    public static int PackedLengthBfloat16(int outDim, int inDim) => PackedLength(outDim, inDim) / 2;

    /// <summary>Packs <paramref name="weight"/> [outDim, inDim] as bfloat16 pairs (rounded to nearest even).</summary>
    /// <exception cref="ArgumentException">A span is too short.</exception>
    public static void PackBfloat16(ReadOnlySpan<float> weight, int outDim, int inDim, Span<uint> panels)
    {
        if (weight.Length < (long)outDim * inDim)
        {
            throw new ArgumentException($"weight has {weight.Length} floats, but [{outDim}, {inDim}] needs {(long)outDim * inDim}.", nameof(weight));
        }

        if (panels.Length < PackedLengthBfloat16(outDim, inDim))
        {
            throw new ArgumentException($"panels has {panels.Length} uints, but {PackedLengthBfloat16(outDim, inDim)} are needed.", nameof(panels));
        }

        int width = PanelWidth;
        var panel = new float[width * inDim];
        for (int first = 0; first < outDim; first += width)
        {
            int count = Math.Min(width, outDim - first);
            PackPanel(weight.Slice(first * inDim, count * inDim), count, inDim, panel);
            NarrowPanel(panel, inDim, panels.Slice(first * inDim / 2, width * inDim / 2));
        }
    }

    /// <summary>The inverse of <see cref="PackBfloat16"/>: the [outDim, inDim] weight, each value exactly its bfloat16.</summary>
    /// <exception cref="ArgumentException">A span is too short.</exception>
    public static void UnpackBfloat16(ReadOnlySpan<uint> panels, int outDim, int inDim, Span<float> weight)
    {
        if (panels.Length < PackedLengthBfloat16(outDim, inDim))
        {
            throw new ArgumentException($"panels has {panels.Length} uints, but {PackedLengthBfloat16(outDim, inDim)} are needed.", nameof(panels));
        }

        var wide = new float[PackedLength(outDim, inDim)];
        int width = PanelWidth;
        for (int first = 0; first < outDim; first += width)
        {
            WidenPanel(panels.Slice(first * inDim / 2, width * inDim / 2), inDim, wide.AsSpan(first * inDim, width * inDim));
        }

        Unpack(wide, outDim, inDim, weight);
    }

    /// <summary>
    /// <see cref="Forward"/> over bfloat16 panels from <see cref="PackBfloat16"/>: the same result as float panels holding
    /// the bfloat16 values. Allocates nothing.
    /// </summary>
    /// <exception cref="ArgumentException">A span is too short, or the bias has the wrong length.</exception>
    public static void ForwardBfloat16(ReadOnlySpan<float> input, ReadOnlySpan<uint> panels, ReadOnlySpan<float> bias, Span<float> output, int rows, int inDim, int outDim)
    {
        if (panels.Length < PackedLengthBfloat16(outDim, inDim))
        {
            throw new ArgumentException($"panels has {panels.Length} uints, but {PackedLengthBfloat16(outDim, inDim)} are needed.", nameof(panels));
        }

        CheckCall(input, bias, output, rows, inDim, outDim);
        Split<Bfloat16Panels, uint>(input, panels, bias, output, rows, inDim, outDim);
    }

    /// <summary>Rounds a packed float panel (<paramref name="inDim"/> rows of <see cref="PanelWidth"/>) into bfloat16 pairs.</summary>
    internal static void NarrowPanel(ReadOnlySpan<float> panel, int inDim, Span<uint> pairs)
    {
        int width = PanelWidth, v = Math.Min(width / 2, 16);
        for (int i = 0; i < inDim; i++)
        {
            for (int chunk = 0; chunk < width / (2 * v); chunk++)
            {
                for (int k = 0; k < v; k++)
                {
                    int column = i * width + chunk * 2 * v + k;
                    pairs[i * width / 2 + chunk * v + k] = (Bfloat16.Round(panel[column]) << 16) | Bfloat16.Round(panel[column + v]);
                }
            }
        }
    }

    /// <summary>The inverse of <see cref="NarrowPanel"/>.</summary>
    internal static void WidenPanel(ReadOnlySpan<uint> pairs, int inDim, Span<float> panel)
    {
        int width = PanelWidth, v = Math.Min(width / 2, 16);
        for (int i = 0; i < inDim; i++)
        {
            for (int chunk = 0; chunk < width / (2 * v); chunk++)
            {
                for (int k = 0; k < v; k++)
                {
                    uint pair = pairs[i * width / 2 + chunk * v + k];
                    int column = i * width + chunk * 2 * v + k;
                    panel[column] = BitConverter.UInt32BitsToSingle(pair & 0xFFFF0000u);
                    panel[column + v] = BitConverter.UInt32BitsToSingle(pair << 16);
                }
            }
        }
    }

    /// <summary>The bfloat16 kernels: a six- or four-row tile and a single row, widening each panel row in registers.</summary>
    private readonly struct Bfloat16Panels : IPanelKernels<uint>
    {
        public static int ElementsPerRow(int width) => width / 2;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Tile<TRows>(ref float x, int inDim, ref uint panel, ref float y, int yStride, int width, ref float bias)
            where TRows : struct, IStaticCount
        {
            if (Vector512.IsHardwareAccelerated && width == 64)
            {
                Tile512<TRows>(ref x, inDim, ref panel, ref y, yStride, ref bias);
                return;
            }

            // Narrower machines: the float GEMM's two-vector tile, each panel row widened from one load.
            if (Vector256.IsHardwareAccelerated && width == 16)
            {
                MultiplyTile256<TRows, uint, Bfloat16PanelRow256>(ref x, inDim, ref panel, ref y, yStride);
                return;
            }

            if (Vector128.IsHardwareAccelerated && width == 8)
            {
                MultiplyTile128<TRows, uint, Bfloat16PanelRow128>(ref x, inDim, ref panel, ref y, yStride);
                return;
            }

            for (int r = 0; r < TRows.Value; r++)
            {
                Row<Count1>(ref Unsafe.Add(ref x, r * inDim), inDim, ref panel, 0, ref Unsafe.Add(ref y, r * yStride), 0, width, ref bias);
            }
        }

        /// <summary>As the float <see cref="MultiplyRow{TPanels}"/>: one row, one or two panels at once.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Row<TPanels>(ref float x, int inDim, ref uint panel, nint panelStride, ref float y, int secondColumn, int width, ref float bias)
            where TPanels : struct, IStaticCount
        {
            if (Vector512.IsHardwareAccelerated && width == 64)
            {
                var high = Vector512.Create(0xFFFF0000u);
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

                ref uint second = ref Unsafe.Add(ref panel, panelStride);
                ref float input = ref x;
                for (nuint offset = 0, end = (nuint)inDim * 32; offset < end; offset += 32, input = ref Unsafe.Add(ref input, 1))
                {
                    var u0 = Vector512.LoadUnsafe(ref panel, offset);
                    var u1 = Vector512.LoadUnsafe(ref panel, offset + 16);
                    var b = Vector512.Create(input);
                    a0 = Vector512.FusedMultiplyAdd(b, (u0 & high).AsSingle(), a0);
                    a1 = Vector512.FusedMultiplyAdd(b, (u0 << 16).AsSingle(), a1);
                    a2 = Vector512.FusedMultiplyAdd(b, (u1 & high).AsSingle(), a2);
                    a3 = Vector512.FusedMultiplyAdd(b, (u1 << 16).AsSingle(), a3);
                    if (TPanels.Value > 1)
                    {
                        var v0 = Vector512.LoadUnsafe(ref second, offset);
                        var v1 = Vector512.LoadUnsafe(ref second, offset + 16);
                        c0 = Vector512.FusedMultiplyAdd(b, (v0 & high).AsSingle(), c0);
                        c1 = Vector512.FusedMultiplyAdd(b, (v0 << 16).AsSingle(), c1);
                        c2 = Vector512.FusedMultiplyAdd(b, (v1 & high).AsSingle(), c2);
                        c3 = Vector512.FusedMultiplyAdd(b, (v1 << 16).AsSingle(), c3);
                    }
                }

                Store4(a0, a1, a2, a3, ref y);
                if (TPanels.Value > 1)
                {
                    Store4(c0, c1, c2, c3, ref Unsafe.Add(ref y, secondColumn));
                }

                return;
            }

            if (Vector256.IsHardwareAccelerated && width == 16)
            {
                MultiplyRow256<TPanels, uint, Bfloat16PanelRow256>(ref x, inDim, ref panel, panelStride, ref y, secondColumn, ref bias);
                return;
            }

            if (Vector128.IsHardwareAccelerated && width == 8)
            {
                MultiplyRow128<TPanels, uint, Bfloat16PanelRow128>(ref x, inDim, ref panel, panelStride, ref y, secondColumn, ref bias);
                return;
            }

            for (int k = 0; k < TPanels.Value; k++)
            {
                RowScalar(
                    ref x, inDim, ref Unsafe.Add(ref panel, k * panelStride), ref Unsafe.Add(ref y, k * secondColumn), width,
                    ref Unsafe.IsNullRef(ref bias) ? ref bias : ref Unsafe.Add(ref bias, k * secondColumn));
            }
        }

        /// <summary><see cref="Row{TPanels}"/> for one panel without SIMD.</summary>
        private static void RowScalar(ref float x, int inDim, ref uint panel, ref float y, int width, ref float bias)
        {
            int v = Math.Min(width / 2, 16);
            for (int c = 0; c < width; c++)
            {
                int chunk = c / (2 * v), k = c % (2 * v);
                bool upper = k < v;
                int pairIndex = chunk * v + (upper ? k : k - v);
                float sum = Unsafe.IsNullRef(ref bias) ? 0 : Unsafe.Add(ref bias, c);
                for (int i = 0; i < inDim; i++)
                {
                    uint pair = Unsafe.Add(ref panel, i * width / 2 + pairIndex);
                    sum += Unsafe.Add(ref x, i) * BitConverter.UInt32BitsToSingle(upper ? pair & 0xFFFF0000u : pair << 16);
                }

                Unsafe.Add(ref y, c) = sum;
            }
        }

        /// <summary><typeparamref name="TRows"/> rows × 64 outputs, the float tile's register layout, with each panel row widened from two loads.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Tile512<TRows>(ref float x, int inDim, ref uint panel, ref float y, int yStride, ref float bias)
            where TRows : struct, IStaticCount
        {
            ref float x0 = ref x;
            ref float x1 = ref Unsafe.Add(ref x, inDim);
            ref float x2 = ref TRows.Value > 2 ? ref Unsafe.Add(ref x, 2 * inDim) : ref x;
            ref float x3 = ref TRows.Value > 3 ? ref Unsafe.Add(ref x, 3 * inDim) : ref x;
            ref float x4 = ref TRows.Value > 4 ? ref Unsafe.Add(ref x, 4 * inDim) : ref x;
            ref float x5 = ref TRows.Value > 5 ? ref Unsafe.Add(ref x, 5 * inDim) : ref x;
            Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default;
            if (!Unsafe.IsNullRef(ref bias))
            {
                b0 = Vector512.LoadUnsafe(ref bias, 0); b1 = Vector512.LoadUnsafe(ref bias, 16);
                b2 = Vector512.LoadUnsafe(ref bias, 32); b3 = Vector512.LoadUnsafe(ref bias, 48);
            }

            var high = Vector512.Create(0xFFFF0000u);
            Vector512<float> a00 = b0, a01 = b1, a02 = b2, a03 = b3, a10 = b0, a11 = b1, a12 = b2, a13 = b3;
            Vector512<float> a20 = b0, a21 = b1, a22 = b2, a23 = b3, a30 = b0, a31 = b1, a32 = b2, a33 = b3;
            Vector512<float> a40 = b0, a41 = b1, a42 = b2, a43 = b3, a50 = b0, a51 = b1, a52 = b2, a53 = b3;
            // Addresses as in the float tile: a native-int index and the panel reference advanced by a constant.
            ref uint pairs = ref panel;
            for (nint i = 0; i < inDim; i++, pairs = ref Unsafe.Add(ref pairs, 32))
            {
                var u0 = Vector512.LoadUnsafe(ref pairs, 0);
                var u1 = Vector512.LoadUnsafe(ref pairs, 16);
                var w0 = (u0 & high).AsSingle(); var w1 = (u0 << 16).AsSingle();
                var w2 = (u1 & high).AsSingle(); var w3 = (u1 << 16).AsSingle();
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
    }
}

/// <summary>bfloat16 rounding: the float's upper 16 bits, rounded to nearest even; NaN stays NaN.</summary>
internal static class Bfloat16
{
    public static uint Round(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
        {
            return (bits >> 16) | 0x40; // quiet, so truncation can't make it an infinity
        }

        return (bits + 0x7FFFu + ((bits >> 16) & 1)) >> 16;
    }
}
