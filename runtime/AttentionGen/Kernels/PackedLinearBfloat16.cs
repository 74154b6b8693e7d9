using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace AttentionGen.Kernels;

/// <summary>The panel kernels a GEMM pass is generic over: how a tile of rows and a single row read one panel row.</summary>
internal interface IPanelKernels<TElement>
{
    /// <summary>Elements one panel row (one input index, <paramref name="width"/> outputs) occupies.</summary>
    static abstract int ElementsPerRow(int width);

    /// <summary>
    /// <typeparamref name="TRows"/> rows × one panel, each row's bits as <see cref="Row"/> gives them; on AVX-512, asking
    /// for <typeparamref name="TAhead"/> lines per step from <paramref name="aheadOffset"/> bytes past the panel on (see
    /// <see cref="PackedLinear"/>'s <c>AskingTiles</c>).
    /// </summary>
    static abstract void Tile<TRows, TAhead>(ref float x, int inDim, ref TElement panel, ref float y, int yStride, int width, ref float bias, nint aheadOffset)
        where TRows : struct, IStaticCount
        where TAhead : struct, IStaticCount;

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

    public static void Tile<TRows, TAhead>(ref float x, int inDim, ref float panel, ref float y, int yStride, int width, ref float bias, nint aheadOffset)
        where TRows : struct, IStaticCount
        where TAhead : struct, IStaticCount =>
        PackedLinear.MultiplyTile<TRows, TAhead>(ref x, inDim, ref panel, ref y, yStride, width, ref bias, aheadOffset);

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

    /// <summary>
    /// Packs <paramref name="weight"/> [outDim, inDim] as bfloat16 pairs (rounded to nearest even, as PyTorch's
    /// <c>to(torch.bfloat16)</c>: a finite value of magnitude 3.3961e38 or more becomes infinity; the weight loaders
    /// refuse such a value rather than call this).
    /// </summary>
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

    /// <summary>
    /// Row <paramref name="row"/> of the [outDim, <paramref name="inDim"/>] weight packed by <see cref="PackBfloat16"/>,
    /// widened into <paramref name="output"/> (<paramref name="inDim"/> floats): one output's column of its panel, an
    /// element every panel row. How a tied model reads a token's embedding out of the LM head it shares the table with.
    /// The caller checks the spans.
    /// </summary>
    internal static void ReadRowBfloat16(ref uint panels, int inDim, int row, ref float output)
    {
        // Output j of a panel sits in uint chunk·V + k of each panel row: the upper half for k < V, else the lower half
        // of the uint V before (see NarrowPanel).
        int width = PanelWidth, v = Math.Min(width / 2, 16);
        int column = row % width, chunk = column / (2 * v), k = column % (2 * v);
        bool upper = k < v;
        ref uint pair = ref Unsafe.Add(ref panels, (nint)(row / width) * width * inDim / 2 + chunk * v + (upper ? k : k - v));
        int shift = upper ? 0 : 16;
        uint keep = upper ? 0xFFFF0000u : 0xFFFFFFFFu;
        for (int i = 0; i < inDim; i++)
        {
            Unsafe.Add(ref output, i) = BitConverter.UInt32BitsToSingle((Unsafe.Add(ref pair, (nint)i * (width / 2)) << shift) & keep);
        }
    }

    /// <summary>The bfloat16 kernels: a six- or four-row tile and a single row, widening each panel row in registers.</summary>
    private readonly struct Bfloat16Panels : IPanelKernels<uint>
    {
        public static int ElementsPerRow(int width) => width / 2;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Tile<TRows, TAhead>(ref float x, int inDim, ref uint panel, ref float y, int yStride, int width, ref float bias, nint aheadOffset)
            where TRows : struct, IStaticCount
            where TAhead : struct, IStaticCount
        {
            if (Vector512.IsHardwareAccelerated && width == 64)
            {
                MultiplyTile512<TRows, TAhead, uint, Bfloat16PanelRow512>(ref x, inDim, ref panel, ref y, yStride, ref bias, aheadOffset);
                return;
            }

            // Narrower machines: the float GEMM's two-vector tile, each panel row widened from one load.
            if (Vector256.IsHardwareAccelerated && width == 16)
            {
                MultiplyTile256<TRows, uint, Bfloat16PanelRow256>(ref x, inDim, ref panel, ref y, yStride, ref bias);
                return;
            }

            if (Vector128.IsHardwareAccelerated && width == 8)
            {
                MultiplyTile128<TRows, uint, Bfloat16PanelRow128>(ref x, inDim, ref panel, ref y, yStride, ref bias);
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
                MultiplyRow512<TPanels, uint, Bfloat16PanelRow512>(ref x, inDim, ref panel, panelStride, ref y, secondColumn, ref bias);
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
    }
}

/// <summary>
/// bfloat16 rounding: the float's upper 16 bits, rounded to nearest even; NaN stays NaN. A float that is a bfloat16
/// already (any read from a BF16 file) keeps its bits exactly, NaN included.
/// </summary>
internal static class Bfloat16
{
    /// <summary>The largest finite bfloat16 (0x7F7F), about 3.39e38.</summary>
    public const float MaxValue = 3.3895314e38f;

    /// <summary>
    /// The float bits of the least magnitude that rounds to infinity: halfway from <see cref="MaxValue"/> (odd) to
    /// infinity (even), a tie that goes to infinity.
    /// </summary>
    private const uint FirstOverflowingMagnitude = 0x7F7F8000;

    /// <summary>
    /// The index of the first finite value in <paramref name="values"/> that <see cref="Round"/> makes an infinity, or -1:
    /// the weight loaders refuse those rather than hold a finite weight as ±∞.
    /// </summary>
    public static int IndexOfOverflow(ReadOnlySpan<float> values)
    {
        // A finite magnitude rounds to infinity when it lies in [0x7F7F8000, 0x7F800000): one unsigned compare after a
        // subtraction, so the scan costs next to nothing beside the rounding itself.
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var uints = MemoryMarshal.Cast<float, uint>(values);
            var magnitudeMask = new Vector<uint>(0x7FFFFFFF);
            var first = new Vector<uint>(FirstOverflowingMagnitude);
            var width = new Vector<uint>(0x7F800000 - FirstOverflowingMagnitude);
            for (; i <= uints.Length - Vector<uint>.Count; i += Vector<uint>.Count)
            {
                if (Vector.LessThanAny((new Vector<uint>(uints.Slice(i)) & magnitudeMask) - first, width))
                {
                    break;
                }
            }
        }

        for (; i < values.Length; i++)
        {
            uint magnitude = BitConverter.SingleToUInt32Bits(values[i]) & 0x7FFFFFFF;
            if (magnitude - FirstOverflowingMagnitude < 0x7F800000 - FirstOverflowingMagnitude)
            {
                return i;
            }
        }

        return -1;
    }

    public static uint Round(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
        {
            // A NaN whose upper half is a NaN already keeps it, so a BF16 file's NaN (signalling ones too) keeps its bits;
            // one whose payload is all in the lower half is made quiet, so truncation can't make it an infinity.
            uint upper = bits >> 16;
            return (upper & 0x7F) != 0 ? upper : upper | 0x40;
        }

        return (bits + 0x7FFFu + ((bits >> 16) & 1)) >> 16;
    }
}
