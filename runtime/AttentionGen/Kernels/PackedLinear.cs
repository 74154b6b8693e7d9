using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using AttentionGen.Threading;

namespace AttentionGen.Kernels;

/// <summary>
/// nn.Linear (<c>y = x·Wᵀ + b</c>, W is [outDim, inDim]) as a register-blocked GEMM over weights packed once into panels:
/// panel p holds, for each input index i, the weights of outputs p·P … p·P+P−1 side by side, so one vector load feeds P
/// outputs and six input rows are broadcast against it. The packed layout depends on the machine's vector width, so
/// pack and multiply in the same process.
/// </summary>
public static partial class PackedLinear
{
    private const int Rows = 6;

    /// <summary>
    /// The output size from which each tile asks for its output lines before it runs (<see cref="AskForOutputLines"/>):
    /// half of a 1 MB L2. A smaller output is still in cache from the call before, and there the 24 hints per tile only
    /// took issue slots and the line requests the next panel's hints need. Zen 5, one thread, medians of three
    /// alternating process pairs: all-MiniLM at 16 tokens (outputs of 24–96 KB, weights from DRAM) 2406 → 2302 µs; at
    /// 128 tokens, whose FFN output still asks, unchanged.
    /// </summary>
    private const long OutputAskedForBytes = 512 * 1024;

    /// <summary>Rows of the short tile that takes a call's last three or four rows.</summary>
    private const int FewRows = 4;

    /// <summary>Outputs per panel on this machine: 64 with AVX-512, 16 with AVX2, 8 otherwise.</summary>
    public static int PanelWidth { get; } = Vector512.IsHardwareAccelerated ? 64 : Vector256.IsHardwareAccelerated ? 16 : 8;

    /// <summary>Floats needed to pack a [outDim, inDim] weight (outputs rounded up to whole panels).</summary>
    public static int PackedLength(int outDim, int inDim) => (outDim + 63) / 64 * 64 * inDim;

    /// <summary>Packs <paramref name="weight"/> [outDim, inDim] into <paramref name="panels"/>; outputs past outDim are zero.</summary>
    /// <exception cref="ArgumentException">A span is too short.</exception>
    public static void Pack(ReadOnlySpan<float> weight, int outDim, int inDim, Span<float> panels)
    {
        if (weight.Length < (long)outDim * inDim)
        {
            throw new ArgumentException($"weight has {weight.Length} floats, but [{outDim}, {inDim}] needs {(long)outDim * inDim}.", nameof(weight));
        }

        if (panels.Length < PackedLength(outDim, inDim))
        {
            throw new ArgumentException($"panels has {panels.Length} floats, but {PackedLength(outDim, inDim)} are needed.", nameof(panels));
        }

        int width = PanelWidth;
        for (int first = 0; first < outDim; first += width)
        {
            int count = Math.Min(width, outDim - first);
            PackPanel(weight.Slice(first * inDim, count * inDim), count, inDim, panels.Slice(first * inDim, width * inDim));
        }
    }

    /// <summary>
    /// Packs <paramref name="rowCount"/> (at most <see cref="PanelWidth"/>) consecutive output rows [rowCount, inDim] into
    /// one panel, zeroing the columns of outputs past them. A loader packs a panel at a time, so it never holds a whole
    /// row-major matrix beside the packed one.
    /// </summary>
    internal static void PackPanel(ReadOnlySpan<float> rows, int rowCount, int inDim, Span<float> panel)
    {
        int width = PanelWidth;
        for (int c = 0; c < width; c++)
        {
            if (c < rowCount)
            {
                ReadOnlySpan<float> row = rows.Slice(c * inDim, inDim);
                for (int i = 0; i < inDim; i++)
                {
                    panel[i * width + c] = row[i];
                }
            }
            else
            {
                for (int i = 0; i < inDim; i++)
                {
                    panel[i * width + c] = 0;
                }
            }
        }
    }

    /// <summary>
    /// The inverse of <see cref="Pack"/>: writes the [outDim, inDim] weight that <paramref name="panels"/> hold to
    /// <paramref name="weight"/>, so a layer can keep only the packed copy and still save or show its weights.
    /// </summary>
    /// <exception cref="ArgumentException">A span is too short.</exception>
    public static void Unpack(ReadOnlySpan<float> panels, int outDim, int inDim, Span<float> weight)
    {
        if (panels.Length < PackedLength(outDim, inDim))
        {
            throw new ArgumentException($"panels has {panels.Length} floats, but {PackedLength(outDim, inDim)} are needed.", nameof(panels));
        }

        if (weight.Length < (long)outDim * inDim)
        {
            throw new ArgumentException($"weight has {weight.Length} floats, but [{outDim}, {inDim}] needs {(long)outDim * inDim}.", nameof(weight));
        }

        int width = PanelWidth;
        for (int o = 0; o < outDim; o++)
        {
            ReadOnlySpan<float> panel = panels.Slice(o / width * width * inDim, width * inDim);
            int c = o % width;
            for (int i = 0; i < inDim; i++)
            {
                weight[o * inDim + i] = panel[i * width + c];
            }
        }
    }

    /// <summary>
    /// Row <paramref name="row"/> of the [outDim, <paramref name="inDim"/>] weight packed by <see cref="Pack"/>, into
    /// <paramref name="output"/> (<paramref name="inDim"/> floats): one output's column of its panel, an element every
    /// panel row. How a tied model reads a token's embedding out of the LM head it shares the table with. The caller
    /// checks the spans.
    /// </summary>
    internal static void ReadRow(ref float panels, int inDim, int row, ref float output)
    {
        int width = PanelWidth;
        ref float column = ref Unsafe.Add(ref panels, (nint)(row / width) * width * inDim + row % width);
        for (int i = 0; i < inDim; i++)
        {
            Unsafe.Add(ref output, i) = Unsafe.Add(ref column, (nint)i * width);
        }
    }

    /// <summary>
    /// <c>output[r, o] = bias[o] + Σ_i input[r, i] · W[o, i]</c> for <paramref name="rows"/> rows, with W packed by
    /// <see cref="Pack"/>. Allocates nothing; <paramref name="bias"/> may be empty.
    /// </summary>
    /// <exception cref="ArgumentException">A span is too short, or the bias has the wrong length.</exception>
    public static void Forward(ReadOnlySpan<float> input, ReadOnlySpan<float> panels, ReadOnlySpan<float> bias, Span<float> output, int rows, int inDim, int outDim)
    {
        if (panels.Length < PackedLength(outDim, inDim))
        {
            throw new ArgumentException($"panels has {panels.Length} floats, but {PackedLength(outDim, inDim)} are needed.", nameof(panels));
        }

        CheckCall(input, bias, output, rows, inDim, outDim);
        Split<FloatPanels, float>(input, panels, bias, output, rows, inDim, outDim);
    }

    /// <summary>
    /// <typeparamref name="TRows"/> rows × one float panel, on this machine's widest tile (<see cref="MultiplyTile512"/>,
    /// <see cref="MultiplyTile256"/>, <see cref="MultiplyTile128"/>), or row by row without SIMD. Only the AVX-512 tile asks
    /// ahead (<typeparamref name="TAhead"/>); the narrower ones ask for the next panel's row on every step of their own.
    /// </summary>
    internal static void MultiplyTile<TRows, TAhead>(ref float x, int inDim, ref float panel, ref float y, int yStride, int width, ref float bias, nint aheadOffset)
        where TRows : struct, IStaticCount
        where TAhead : struct, IStaticCount
    {
        if (Vector512.IsHardwareAccelerated && width == 64)
        {
            MultiplyTile512<TRows, TAhead, float, FloatPanelRow<Vector512Width, Vector512<float>>>(ref x, inDim, ref panel, ref y, yStride, ref bias, aheadOffset);
            return;
        }

        if (Vector256.IsHardwareAccelerated && width == 16)
        {
            MultiplyTile256<TRows, float, FloatPanelRow<Vector256Width, Vector256<float>>>(ref x, inDim, ref panel, ref y, yStride, ref bias);
            return;
        }

        if (Vector128.IsHardwareAccelerated && width == 8)
        {
            MultiplyTile128<TRows, float, FloatPanelRow<Vector128Width, Vector128<float>>>(ref x, inDim, ref panel, ref y, yStride, ref bias);
            return;
        }

        for (int r = 0; r < TRows.Value; r++)
        {
            MultiplyRow<Count1>(ref Unsafe.Add(ref x, r * inDim), inDim, ref panel, 0, ref Unsafe.Add(ref y, r * yStride), 0, width, ref bias);
        }
    }

    /// <summary>
    /// One row × <typeparamref name="TPanels"/> (one or two) float panels, the second <paramref name="panelStride"/> floats
    /// after the first, its outputs (and bias) <paramref name="secondColumn"/> after the first's, on this machine's widest
    /// row kernel (<see cref="MultiplyRow512"/>, <see cref="MultiplyRow256"/>, <see cref="MultiplyRow128"/>) or without SIMD.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void MultiplyRow<TPanels>(ref float x, int inDim, ref float panel, nint panelStride, ref float y, int secondColumn, int width, ref float bias)
        where TPanels : struct, IStaticCount
    {
        if (Vector512.IsHardwareAccelerated && width == 64)
        {
            MultiplyRow512<TPanels, float, FloatPanelRow<Vector512Width, Vector512<float>>>(ref x, inDim, ref panel, panelStride, ref y, secondColumn, ref bias);
            return;
        }

        if (Vector256.IsHardwareAccelerated && width == 16)
        {
            MultiplyRow256<TPanels, float, FloatPanelRow<Vector256Width, Vector256<float>>>(ref x, inDim, ref panel, panelStride, ref y, secondColumn, ref bias);
            return;
        }

        if (Vector128.IsHardwareAccelerated && width == 8)
        {
            MultiplyRow128<TPanels, float, FloatPanelRow<Vector128Width, Vector128<float>>>(ref x, inDim, ref panel, panelStride, ref y, secondColumn, ref bias);
            return;
        }

        for (int k = 0; k < TPanels.Value; k++)
        {
            ref float panelK = ref Unsafe.Add(ref panel, k * panelStride);
            for (int c = 0; c < width; c++)
            {
                float sum = Unsafe.IsNullRef(ref bias) ? 0 : Unsafe.Add(ref bias, k * secondColumn + c);
                for (int i = 0; i < inDim; i++)
                {
                    sum += Unsafe.Add(ref x, i) * Unsafe.Add(ref panelK, i * width + c);
                }

                Unsafe.Add(ref y, k * secondColumn + c) = sum;
            }
        }
    }

    /// <summary>The checks every Forward makes on the spans besides the panels.</summary>
    private static void CheckCall(ReadOnlySpan<float> input, ReadOnlySpan<float> bias, Span<float> output, int rows, int inDim, int outDim)
    {
        Guard.HasRows(input, rows, inDim, nameof(input));
        Guard.HasRows(output, rows, outDim, nameof(output));
        if (!bias.IsEmpty && bias.Length != outDim)
        {
            throw new ArgumentException($"bias has {bias.Length} floats, but it must be empty or hold {outDim}.", nameof(bias));
        }

        if (input.Overlaps(output))
        {
            throw new ArgumentException("output overlaps input: tiles re-read input rows after writing others.", nameof(output));
        }
    }

    /// <summary>
    /// Runs <see cref="Drive"/> over every panel: on this thread, or, when <see cref="Parallelism.MaxThreads"/> allows and
    /// the call is big enough to pay for posting a job, in units of (range of whole panels × range of rows)
    /// on the worker pool. An output comes from the same kernel arithmetic whichever unit holds it (a row's result never
    /// depends on which rows share its tile, see <see cref="Drive"/>), so the split result is the single-thread result bit
    /// for bit.
    /// </summary>
    private static unsafe void Split<TPanels, TElement>(ReadOnlySpan<float> input, ReadOnlySpan<TElement> panels, ReadOnlySpan<float> bias, Span<float> output, int rows, int inDim, int outDim)
        where TPanels : struct, IPanelKernels<TElement>
        where TElement : unmanaged
    {
        int panelCount = (outDim + PanelWidth - 1) / PanelWidth;
        int threads = Parallelism.MaxThreads;
        // A one-row call (a decode step) streams its weights once and is bound by that read, as the row attention kernels
        // are, so it splits as soon as they do.
        long minimumWork = rows == 1 ? Parallelism.MinimumParallelRowWork : Parallelism.MinimumParallelWork;
        if (threads == 1 || (long)rows * inDim * outDim < minimumWork)
        {
            Drive<TPanels, TElement>(input, ref MemoryMarshal.GetReference(panels), bias, output, 0, rows, inDim, outDim, 0, panelCount);
            return;
        }

        // Panel ranges only while every thread can have a panel: each weight byte is then read once, by one thread. Row
        // ranges read every panel once per range, which doubled a short call's (all-MiniLM at 16 tokens) weight traffic
        // from memory and made two threads slower than one; so rows are split only when there are fewer panels than
        // threads, in even ranges of at least six rows (each range slides its own last tile; ranges of whole six-row
        // tiles gave two threads 12 and 20 of 32 rows).
        // One contiguous range of panels per thread, not many small units: inside a range each panel's first tiles ask
        // for the next panel (see AskingTiles), and a one-row call pairs its range's panels into two streams, where a
        // unit of one panel did neither. Zen 5, two threads, alternating builds: six all-MiniLM-sized GEMMs of 16 to 256
        // rows from DRAM 0.78–0.96× the time of one-panel units; all-MiniLM at 16 tokens 0.87–0.93× (weights evicted)
        // and 0.87–0.94× (in cache); the small decoder's one-row step 0.84–0.94×; `mha S512` and all-MiniLM at 128
        // tokens 0.98–1.01×. The cost: a thread that loses its core mid-range holds up the call, where small units let
        // the other take the rest (a range not yet started is still taken by whichever thread is free). Ranges of unequal
        // panel counts finish unevenly (12 panels in 8 ranges of 1 and 2 left one of two threads with 7 panels' work),
        // and two ranges per thread timed 1.07–1.17× at 16 tokens. A range's last panel asks for nothing ahead: the next
        // panel is another thread's, and asking for it anyway was 1.03–1.15× slower (its lines went to the wrong L2).
        // Nor did stealing pay back that cost (Zen 5, two threads, medians of 3 s runs of the two builds alternating): a
        // thread done with its range took the back half of another's unclaimed panels (one at a time claimed from the
        // front by the owner, one cache line per claim word, the last panel left to its owner). Quiet: all-MiniLM at 16
        // tokens 1,359–1,475 µs against 1,325–1,448, the small decoder's step 156–178 against 151–181. With a busy loop
        // pinned to the second CPU: 2,261–2,822 against 2,273–2,777 and 251–275 against 245–281; with one busy 0.2 ms
        // and asleep 0.3 ms in turn, 3,148–3,786 against 2,789–3,279 and 230–257 against 223–286. On two cores a
        // thread that loses its core mostly loses it for longer than a GEMM call, and the other then runs the whole
        // unstarted range itself anyway.
        int panelRanges = Math.Min(panelCount, threads);
        int rowRanges = panelCount >= threads ? 1 : Math.Clamp((threads + panelCount - 1) / panelCount, 1, Math.Max(1, rows / Rows));
        if (panelRanges * rowRanges < 2)
        {
            Drive<TPanels, TElement>(input, ref MemoryMarshal.GetReference(panels), bias, output, 0, rows, inDim, outDim, 0, panelCount);
            return;
        }

        fixed (float* x = input)
        fixed (TElement* w = panels)
        fixed (float* b = bias)
        fixed (float* y = output)
        {
            var call = new LinearCall(x, input.Length, w, b, bias.Length, y, output.Length, rows, inDim, outDim, panelCount, panelRanges, rowRanges);
            WorkerPool.Run(&DriveUnit<TPanels, TElement>, &call, panelRanges * rowRanges, threads, 0);
        }
    }

    private static unsafe void DriveUnit<TPanels, TElement>(void* arguments, int unit, int participant)
        where TPanels : struct, IPanelKernels<TElement>
        where TElement : unmanaged
    {
        ref readonly LinearCall call = ref *(LinearCall*)arguments;
        int panelRange = unit % call.PanelRanges, rowRange = unit / call.PanelRanges;
        int firstPanel = (int)((long)call.PanelCount * panelRange / call.PanelRanges);
        int panelEnd = (int)((long)call.PanelCount * (panelRange + 1) / call.PanelRanges);
        int firstRow = (int)((long)call.Rows * rowRange / call.RowRanges);
        int rowEnd = (int)((long)call.Rows * (rowRange + 1) / call.RowRanges);
        Drive<TPanels, TElement>(
            new ReadOnlySpan<float>(call.Input, call.InputLength), ref *(TElement*)call.Panels, new ReadOnlySpan<float>(call.Bias, call.BiasLength),
            new Span<float>(call.Output, call.OutputLength), firstRow, rowEnd, call.InDim, call.OutDim, firstPanel, panelEnd);
    }

    /// <summary>
    /// The GEMM over any panel element: the panels, the bias and the edge handling are the same for float and BF16
    /// panels; only the kernels that read a panel row differ (<typeparamref name="TPanels"/>). Computes the outputs of
    /// rows [<paramref name="firstRow"/>, <paramref name="rowEnd"/>) in panels [<paramref name="firstPanel"/>, <paramref name="panelEnd"/>).
    /// </summary>
    /// <remarks>
    /// One panel at a time over all the rows. A call whose inputs, weights and outputs outgrow L2 runs at about 86% of the
    /// FMA peak against 93% for one that fits (Zen 5: 384 × 384 × 384 at 200 GFLOP/s, 192 × 384 × 384 at 219). Two
    /// orders that read the input rows less often did not close that gap: each tile's rows against two panels before the
    /// next tile (half the passes over the input) timed 0.99× at 512 × 768 × 2304, within noise, and 1.09× at
    /// 512 × 3072 × 768, whose two panels no longer fit L2; and asking for the next tile's input rows before each tile
    /// (into L1 or L2) timed 1.03–1.05×. Nor did splitting the panel rows into stretches of 128, 256 or 384 (each tile
    /// after the first stretch starting from the sums it stored, so the bits stay the same; every row in exactly one tile)
    /// so that a stretch of the input rows and of the panel stay in L2 or L1 (Zen 5, 2026-12-02, 128 rows, weights in
    /// cache, base build alternating): stretches inside each panel 1.01–1.09× the time at 768 × 768 and 2048 × 768;
    /// each stretch over all panels before the next 1.00–1.07× at 768 × 768, 768 × 2048 and 2048 × 768, the base then
    /// at 200–206 GFLOP/s.
    /// </remarks>
    [SkipLocalsInit]
    private static void Drive<TPanels, TElement>(ReadOnlySpan<float> input, ref TElement panels, ReadOnlySpan<float> bias, Span<float> output, int firstRow, int rowEnd, int inDim, int outDim, int firstPanel, int panelEnd)
        where TPanels : struct, IPanelKernels<TElement>
    {
        int width = PanelWidth;
        Span<float> edge = stackalloc float[Rows * 64]; // the last panel's outputs, before the valid ones are copied out
        ref float x = ref MemoryMarshal.GetReference(input);
        ref float y = ref MemoryMarshal.GetReference(output);
        nint panelStride = TPanels.ElementsPerRow(width) * inDim;
        if (rowEnd - firstRow == 1)
        {
            firstPanel = MultiplyRowInPairs<TPanels, TElement>(ref Unsafe.Add(ref x, firstRow * inDim), ref panels, bias, output.Slice(firstRow * outDim, outDim), inDim, outDim, firstPanel, panelEnd);
        }

        int rows = rowEnd - firstRow;
        int askingTiles = AskingTiles<TElement>(rows, width);
        bool askForOutput = (long)output.Length * sizeof(float) >= OutputAskedForBytes;
        for (int p = firstPanel, first = firstPanel * width; p < panelEnd; p++, first += width)
        {
            ref TElement panel = ref Unsafe.Add(ref panels, p * panelStride);
            int columns = Math.Min(width, outDim - first);
            int askingTilesHere = p + 1 < panelEnd ? askingTiles : 0;
            for (int start = firstRow, tileRows, tileIndex = 0; start < rowEnd; start += tileRows, tileIndex++)
            {
                tileRows = TileRows(rowEnd - start, rows);
                int tile = Math.Min(start, rowEnd - tileRows);
                bool direct = columns == width;
                ref float target = ref direct ? ref Unsafe.Add(ref y, tile * outDim + first) : ref MemoryMarshal.GetReference(edge);
                int targetStride = direct ? outDim : width;
                // A whole panel takes its bias as the accumulators' starting value, in every tile and the one-row kernel
                // alike, so a row's result never depends on how many rows came with it; the partial last panel, whose
                // bias slice is short of a panel, adds it after (in the row path too).
                bool biasInTile = !bias.IsEmpty && direct;
                ref float tileBias = ref biasInTile ? ref Unsafe.Add(ref MemoryMarshal.GetReference(bias), first) : ref Unsafe.NullRef<float>();
                if (direct && askForOutput)
                {
                    AskForOutputLines(ref target, targetStride, tileRows, width);
                }

                // Each of the first askingTiles tiles asks for its own slice of the next panel.
                nint ahead = tileIndex < askingTilesHere ? (panelStride + tileIndex * (panelStride / askingTilesHere)) * Unsafe.SizeOf<TElement>() : 0;
                if (tileRows == Rows)
                {
                    TileAskingAhead<TPanels, TElement, Count6>(ref Unsafe.Add(ref x, tile * inDim), inDim, ref panel, ref target, targetStride, width, ref tileBias, ahead, askingTilesHere);
                }
                else if (tileRows == FewRows)
                {
                    TileAskingAhead<TPanels, TElement, Count4>(ref Unsafe.Add(ref x, tile * inDim), inDim, ref panel, ref target, targetStride, width, ref tileBias, ahead, askingTilesHere);
                }
                else if (tileRows == 3)
                {
                    TPanels.Tile<Count3, Count0>(ref Unsafe.Add(ref x, tile * inDim), inDim, ref panel, ref target, targetStride, width, ref tileBias, 0);
                }
                else if (tileRows == 2)
                {
                    TPanels.Tile<Count2, Count0>(ref Unsafe.Add(ref x, tile * inDim), inDim, ref panel, ref target, targetStride, width, ref tileBias, 0);
                }
                else
                {
                    TPanels.Row<Count1>(ref Unsafe.Add(ref x, tile * inDim), inDim, ref panel, 0, ref target, 0, width, ref tileBias);
                }

                // Only the partial last panel leaves work per row: its valid columns out of the edge block, then the bias,
                // which its tile could not start from.
                if (!direct)
                {
                    for (int r = 0; r < tileRows; r++)
                    {
                        Span<float> row = output.Slice((tile + r) * outDim + first, columns);
                        edge.Slice(r * width, columns).CopyTo(row);
                        if (!bias.IsEmpty)
                        {
                            ElementwiseKernels.Add(row, bias.Slice(first, columns));
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// <typeparamref name="TRows"/> rows × one panel, asking for the next panel's lines from <paramref name="ahead"/>
    /// bytes past this one on, or for nothing when it is 0 (see <see cref="AskingTiles"/>): a panel row is four lines, so
    /// of <paramref name="askingTiles"/> tiles sharing that panel each asks for two lines per step while there are three
    /// of them (a sixth of the panel's lines asked twice) and one when there are four.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TileAskingAhead<TPanels, TElement, TRows>(ref float x, int inDim, ref TElement panel, ref float y, int yStride, int width, ref float bias, nint ahead, int askingTiles)
        where TPanels : struct, IPanelKernels<TElement>
        where TRows : struct, IStaticCount
    {
        if (ahead != 0 && askingTiles >= 4)
        {
            TPanels.Tile<TRows, Count1>(ref x, inDim, ref panel, ref y, yStride, width, ref bias, ahead);
        }
        else if (ahead != 0)
        {
            TPanels.Tile<TRows, Count2>(ref x, inDim, ref panel, ref y, yStride, width, ref bias, ahead);
        }
        else
        {
            TPanels.Tile<TRows, Count0>(ref x, inDim, ref panel, ref y, yStride, width, ref bias, 0);
        }
    }

    /// <summary>
    /// The rows of the next tile when <paramref name="left"/> of a call's <paramref name="rows"/> are left: whole six-row
    /// tiles while six rows are left. Five left take a last six-row tile slid back over a row already done; three or four
    /// a four-row tile (slid back over one when three), which does two thirds of a six-row tile's work (all-MiniLM at 16
    /// tokens: 6 + 6 + 4 rows instead of 6 + 6 + 6); two or three in a call of fewer rows a tile of that many; one a row
    /// pass. The results are the same bits either way; the choice is cost. A tile reads each panel row once for all its
    /// rows, so two rows in one tile beat two row passes, which stream the panel from L2 twice at half the FMA rate
    /// (all-MiniLM at 128 tokens ends on two rows).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // Drive's loop is past the JIT's budget for inlining it unasked
    private static int TileRows(int left, int rows) =>
        left >= Rows || (left == 5 && rows >= Rows) ? Rows : left >= 3 && rows >= FewRows ? FewRows : left;

    /// <summary>
    /// How many of each panel's tiles ask for a slice of the next panel ahead (<see cref="MultiplyTile512"/>'s
    /// <c>TAhead</c>): up to the first four, in calls of three tiles or more (13 rows or more), counting only the six-
    /// and four-row tiles (a call of 13 rows ends on a row pass, which asks for nothing); none but for float panels on
    /// AVX-512.
    /// </summary>
    /// <remarks>
    /// <para>
    /// A panel's first tile reads the panel from wherever it is, and its later tiles from L2. In a call whose weights
    /// come from DRAM (all-MiniLM reads 42 MB of matrices per call, which another call in between evicts), a first tile
    /// that finds its panel there waits on memory: at 16 tokens, a third of the call's work ran at a third of the speed
    /// of the rest. So the first tiles of each panel ask for the next panel, each for its own contiguous slice, spread
    /// over as many tiles' time as there are (up to four), so the rate they ask at stays below what DRAM serves beside
    /// the tiles even on Zen 5, whose 512-bit FMAs run a tile in half Zen 4's time.
    /// </para>
    /// <para>
    /// Zen 5 (EPYC family 26 model 2), one thread, all-MiniLM with its weights evicted before each call, medians of
    /// alternating calls in one process: S16 2988 → 2537 µs, S32 4980 → 4093, S128 16969 → 15884. Calls
    /// whose weights stay in cache time the same (within 1%: 16, 32, 128, 512 and 1,150 rows). Before this, only the
    /// second and third of three or four tiles asked, for half the panel each (Zen 4: S16 3496 → 3369 µs); on Zen 5 that
    /// asked twice as fast as DRAM serves beside the tile and left S16's first tiles waiting.
    /// </para>
    /// <para>
    /// What did not pay: the first two of two tiles (7–12 rows) asking for halves, 20% slower with the weights in cache
    /// and 3% faster without; on Zen 4, every tile asking for the next panel's row (4 lines per step), one tile asking for
    /// the whole next panel, each tile asking for lines in step with its own panel row, and a burst of hints between
    /// tiles (28% slower). Bfloat16 panels (half the lines) ask for nothing: not measured.
    /// </para>
    /// <para>
    /// Where S16 still waits, and what did not pay on Zen 5 either (all-MiniLM at 16 tokens, one thread, three alternating
    /// rounds, time against this scheme's). A profile that gave each panel's first tile a kernel of its own put 27% of
    /// that tile's samples on its panel loads, and it took 1.38× the second six-row tile's time for the same work, which
    /// runs from L2 without stalls: the first tile still waits on DRAM. Slower: the first tile alone asking for the whole
    /// next panel (four lines a step), 1.13–1.19×; asking for nothing, 1.12–1.17×. Mixed: the two six-row tiles asking
    /// for halves, 0.97–0.98× with the weights in cache but 1.05–1.07× without. No better, within this host's noise
    /// (identical builds timed up to 4% apart): asking two or three panels ahead (1.03–1.04×), <c>prefetcht2</c>,
    /// <c>prefetcht0</c> or <c>prefetchnta</c> in place of <c>prefetcht1</c> (1.01–1.04×), and the four-row tile first
    /// (1.02–1.04×). Nor did a call naming the weights multiplied after it, so that its last panel asks for their start
    /// (Zen 5, 2026-12-01): 0.97–0.98× the time over six separately allocated all-MiniLM-sized matrices from DRAM, but
    /// 1.00–1.03× (noise) on all-MiniLM itself, whose tensors share one allocation in the order they are used, so the
    /// first panel of the next matrix likely follows the last one's lines for the hardware prefetcher too. Nor did one
    /// pass over the weights (Zen 5, 2026-12-01, 36 all-MiniLM-sized GEMMs of 16 rows): a tile of all 16 rows × one
    /// vector, over inputs transposed so each step's 16 values sit side by side, took 2.15× the time in cache and 2.26×
    /// from DRAM, bit-identical. Its loop was the ideal one (a panel load, then 16 multiply-adds each broadcasting its
    /// input from memory), but one broadcast per multiply-add halves Zen 5's rate; the six-row tile's four vectors share
    /// each broadcast four ways.
    /// </para>
    /// </remarks>
    private static int AskingTiles<TElement>(int rows, int width)
    {
        if (typeof(TElement) != typeof(float) || !Vector512.IsHardwareAccelerated || width != 64)
        {
            return 0;
        }

        // Only six- and four-row tiles ask (the narrower ones and the row pass that may end a call take no TAhead), and
        // they come first, so the slices are cut among them alone.
        int tiles = 0, wideTiles = 0;
        for (int left = rows, tileRows; left > 0; left -= tileRows)
        {
            tileRows = TileRows(left, rows);
            tiles++;
            wideTiles += tileRows >= FewRows ? 1 : 0;
        }

        return tiles >= 3 ? Math.Min(wideTiles, 4) : 0;
    }

    /// <summary>
    /// Asks for the lines a tile is about to write, into L2, before it runs. A tile stores its results only at its end,
    /// a panel's width of each of its rows; in a call whose output outgrows L2 (all-MiniLM's packed batch of 1,150
    /// tokens writes 7 MB from its FFN's first GEMM) each of those lines then had to be read in before the stores could
    /// leave the store buffer, and the next tile stalled behind them: 3% of the batch in a profile, at the first store
    /// after the tile returned. Asked for here, they arrive while the tile runs. Zen 4, one thread: the batch 247.7 →
    /// 239.5 ms, stories110M's 128-token prefill 201.5 → 198.2 ms; shorter calls, whose outputs stay in L2, and the AVX2
    /// path time the same. Into L2 rather than L1: the tile streams its panel through L1 meanwhile (and timed 1% faster).
    /// Only for outputs of <see cref="OutputAskedForBytes"/> or more.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void AskForOutputLines(ref float target, int stride, int rows, int width)
    {
        if (!Sse.IsSupported)
        {
            return;
        }

        // Every line named is one of this tile's outputs; a pointer, because Sse takes one.
        for (int r = 0; r < rows; r++)
        {
            byte* row = (byte*)Unsafe.AsPointer(ref Unsafe.Add(ref target, r * stride));
            for (int line = 0; line < width * sizeof(float); line += 64)
            {
                Sse.Prefetch1(row + line);
            }
        }
    }

    /// <summary>
    /// One row (a decode step) over the whole panels of [<paramref name="firstPanel"/>, <paramref name="panelEnd"/>), two
    /// at a time: panel p of the first half with panel p of the second, so both streams run in order through half the
    /// weights each. Pairing neighbours instead restarted both streams every two panels, which on AVX2's short bfloat16
    /// panels (24 KB) read from DRAM at 20 GB/s against one stream's 27. Returns the first panel it left (an odd one out
    /// and the partial last panel) for <see cref="Drive"/>.
    /// </summary>
    private static int MultiplyRowInPairs<TPanels, TElement>(ref float x, ref TElement panels, ReadOnlySpan<float> bias, Span<float> outputRow, int inDim, int outDim, int firstPanel, int panelEnd)
        where TPanels : struct, IPanelKernels<TElement>
    {
        int width = PanelWidth;
        int half = (Math.Min(panelEnd, outDim / width) - firstPanel) / 2;
        if (half <= 0)
        {
            return firstPanel;
        }

        nint panelStride = TPanels.ElementsPerRow(width) * inDim;
        int secondColumn = half * width;
        // Whole panels start from the bias, as in the tiles.
        for (int p = firstPanel; p < firstPanel + half; p++)
        {
            int first = p * width;
            TPanels.Row<Count2>(
                ref x, inDim, ref Unsafe.Add(ref panels, p * panelStride), half * panelStride, ref Unsafe.Add(ref MemoryMarshal.GetReference(outputRow), first), secondColumn, width,
                ref bias.IsEmpty ? ref Unsafe.NullRef<float>() : ref Unsafe.Add(ref MemoryMarshal.GetReference(bias), first));
        }

        return firstPanel + 2 * half;
    }

    /// <summary>A split GEMM call's arguments, on the caller's stack while the pool runs its ranges.</summary>
    private readonly unsafe struct LinearCall(
        float* input, int inputLength, void* panels, float* bias, int biasLength, float* output, int outputLength,
        int rows, int inDim, int outDim, int panelCount, int panelRanges, int rowRanges)
    {
        public readonly float* Input = input;
        public readonly int InputLength = inputLength;
        public readonly void* Panels = panels;
        public readonly float* Bias = bias;
        public readonly int BiasLength = biasLength;
        public readonly float* Output = output;
        public readonly int OutputLength = outputLength;
        public readonly int Rows = rows;
        public readonly int InDim = inDim;
        public readonly int OutDim = outDim;
        public readonly int PanelCount = panelCount;
        public readonly int PanelRanges = panelRanges;
        public readonly int RowRanges = rowRanges;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store4(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d, ref float y)
    {
        a.StoreUnsafe(ref y, 0);
        b.StoreUnsafe(ref y, 16);
        c.StoreUnsafe(ref y, 32);
        d.StoreUnsafe(ref y, 48);
    }
}
