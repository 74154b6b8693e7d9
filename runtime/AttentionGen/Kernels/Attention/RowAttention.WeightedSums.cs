using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace AttentionGen.Kernels.Attention;

// The row path's weighted sums: P·V for a row's stacked heads or a head's stacked rows.
internal static partial class RowAttention<TShape>
{
    /// <summary><c>output_h = Σⱼ weights[h·ScoreStride + j] · values[j]</c> for the stacked heads, whose outputs are HeadDim apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WeighValues(ref float weights, ref float values, int count, ref float output, int heads)
    {
        if (StackedHeads == 1)
        {
            RowKernels<HeadRow>.WeightedSum(ref weights, ref values, count, ref output);
            return;
        }

        if (Vector512.IsHardwareAccelerated && Stacks512)
        {
            if (!Grouped && heads > WeighedHeadsAtOnce<Vector512Width, Vector512<float>>())
            {
                WeighValueRowBlocks512(ref weights, ref values, count, ref output, heads);
                return;
            }

            WeighValuesStacked<Vector512Width, Vector512<float>>(ref weights, ref values, count, ref output, heads, continues: false);
            return;
        }

        if (Vector256.IsHardwareAccelerated && Stacks256)
        {
            // Also a stack too wide for one pass (heads over 32): see WeighValueRowBlocks' remarks.
            if (!Grouped && (heads > WeighedHeadsAtOnce<Vector256Width, Vector256<float>>() || HeadDim > 4 * Vector256<float>.Count))
            {
                WeighValueRowBlocks256(ref weights, ref values, count, ref output, heads);
                return;
            }

            WeighValuesStacked<Vector256Width, Vector256<float>>(ref weights, ref values, count, ref output, heads, continues: false);
            return;
        }

        WeighValuesHeadByHead(ref weights, ref values, count, ref output, heads);
    }

    /// <summary>Value rows weighed together by <see cref="WeighValueRowBlocks{TWidth, TVector}"/>.</summary>
    private const int ValueRowBlock = 8;

    /// <inheritdoc cref="WeighValueRowBlocks{TWidth, TVector}"/>
    [MethodImpl(Kernel)]
    private static void WeighValueRowBlocks512(ref float weights, ref float values, int count, ref float output, int heads) =>
        WeighValueRowBlocks<Vector512Width, Vector512<float>>(ref weights, ref values, count, ref output, heads);

    /// <inheritdoc cref="WeighValueRowBlocks{TWidth, TVector}"/>
    [MethodImpl(Kernel)]
    private static void WeighValueRowBlocks256(ref float weights, ref float values, int count, ref float output, int heads) =>
        WeighValueRowBlocks<Vector256Width, Vector256<float>>(ref weights, ref values, count, ref output, heads);

    /// <summary>
    /// <c>output_h = Σⱼ weights[h·ScoreStride + j] · values[j, h·HeadDim …]</c> for heads that each read their own slice of
    /// the value rows (no groups), wider together than one stack: <see cref="ValueRowBlock"/> value rows at a time, every
    /// head's slice of them in turn, the sums kept in the outputs (in L1) between blocks.
    /// </summary>
    /// <remarks>
    /// Stacks of 4 heads with their sums in registers (<see cref="WeighValuesStacked{TWidth, TVector}"/>) read a third of each
    /// row per pass when there are 12 heads: 1 KB of every 3 KB, three times over, which L3 served at 81 GB/s where it
    /// streams whole rows at 99 (Zen 4). Eight rows side by side are eight sequential streams: 89 GB/s in the same
    /// experiment, for one load and one store of a sum per eight multiply-adds. Each output element still adds the value
    /// rows one at a time from zero, in order, so its bits are the stacked kernels'.
    /// <para>
    /// On AVX2 it also takes a stack of 2 heads wider than 32, which the stacked kernel weighs in passes of 4 vectors per
    /// head, each over a slice of every row: 128 of a head's 512 bytes at 128 wide, so 4 passes over the rows. Whole rows
    /// in blocks took 0.81× the time on `decode H2 q1 kv1000 D128` (2 MB from L3, on 4 KB pages), 0.74× over 4,000 keys
    /// (8 MB from DRAM), 0.89× at `D64` and `D40` (Zen 3, a harness, 5 to 6 alternating pairs); in the benchmark's sweep,
    /// on 2 MB pages, that row's medians went from 52.8 to 45.6 µs (71–82% of the paired L3 read to 77–82%, 5 pairs).
    /// Groups keep the stacked kernel in turns: there the blocks took 1.04× the time on `H4 kv2 D128`. With AVX-512, heads
    /// of whole 512-bit vectors keep its stacks (two passes at 128 wide, untimed); heads of other multiples of 8 (40, 72,
    /// …) run these Vector256 kernels there as here.
    /// </para>
    /// <para>
    /// Tried on Zen 3 and not kept: a single head (<see cref="RowKernels{TRow}"/>' passes of 8 vectors) in blocks took 0.93×
    /// and 0.98× the time at 128 wide over 4,000 keys, 1.10× and 1.08× over 16,000 keys (an hour when that row's times
    /// spread 0.9–3.1 ms), and 0.79× at 256 wide over 4,000 keys, which alone is too rare a head to switch for. Heads of
    /// one vector (8 wide) in fours, their 4 chains of 8 multiply-adds interleaved rather than one chain per head: 0.93×,
    /// with this kernel's share of the profile unchanged (33%), so the chain's latency is not what holds it.
    /// </para>
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WeighValueRowBlocks<TWidth, TVector>(ref float weights, ref float values, int count, ref float output, int heads)
        where TWidth : struct, IVectorWidth<TVector>
        where TVector : struct
    {
        MemoryMarshal.CreateSpan(ref output, heads * HeadDim).Clear();
        nint kvWidth = KvWidth;
        int j = 0;
        for (; j + ValueRowBlock <= count; j += ValueRowBlock)
        {
            ref float block = ref Unsafe.Add(ref values, (nint)j * kvWidth);
            for (int head = 0; head < heads; head++)
            {
                ref float headWeights = ref Unsafe.Add(ref weights, head * TShape.ScoreStride + j);
                var p0 = TWidth.Create(headWeights);
                var p1 = TWidth.Create(Unsafe.Add(ref headWeights, 1));
                var p2 = TWidth.Create(Unsafe.Add(ref headWeights, 2));
                var p3 = TWidth.Create(Unsafe.Add(ref headWeights, 3));
                var p4 = TWidth.Create(Unsafe.Add(ref headWeights, 4));
                var p5 = TWidth.Create(Unsafe.Add(ref headWeights, 5));
                var p6 = TWidth.Create(Unsafe.Add(ref headWeights, 6));
                var p7 = TWidth.Create(Unsafe.Add(ref headWeights, 7));
                ref float sums = ref Unsafe.Add(ref output, head * HeadDim);
                ref float rows = ref Unsafe.Add(ref block, head * HeadDim);
                for (nuint d = 0; d < (nuint)HeadDim; d += (nuint)TWidth.Count)
                {
                    var sum = TWidth.Load(ref sums, d);
                    sum = TWidth.MultiplyAddEstimate(p0, TWidth.Load(ref rows, d), sum);
                    sum = TWidth.MultiplyAddEstimate(p1, TWidth.Load(ref rows, d + (nuint)kvWidth), sum);
                    sum = TWidth.MultiplyAddEstimate(p2, TWidth.Load(ref rows, d + (nuint)(2 * kvWidth)), sum);
                    sum = TWidth.MultiplyAddEstimate(p3, TWidth.Load(ref rows, d + (nuint)(3 * kvWidth)), sum);
                    sum = TWidth.MultiplyAddEstimate(p4, TWidth.Load(ref rows, d + (nuint)(4 * kvWidth)), sum);
                    sum = TWidth.MultiplyAddEstimate(p5, TWidth.Load(ref rows, d + (nuint)(5 * kvWidth)), sum);
                    sum = TWidth.MultiplyAddEstimate(p6, TWidth.Load(ref rows, d + (nuint)(6 * kvWidth)), sum);
                    sum = TWidth.MultiplyAddEstimate(p7, TWidth.Load(ref rows, d + (nuint)(7 * kvWidth)), sum);
                    TWidth.Store(sum, ref sums, d);
                }
            }
        }

        for (; j < count; j++)
        {
            ref float row = ref Unsafe.Add(ref values, (nint)j * kvWidth);
            for (int head = 0; head < heads; head++)
            {
                var p = TWidth.Create(Unsafe.Add(ref weights, head * TShape.ScoreStride + j));
                ref float sums = ref Unsafe.Add(ref output, head * HeadDim);
                ref float headRow = ref Unsafe.Add(ref row, head * HeadDim);
                for (nuint d = 0; d < (nuint)HeadDim; d += (nuint)TWidth.Count)
                {
                    TWidth.Store(TWidth.MultiplyAddEstimate(p, TWidth.Load(ref headRow, d), TWidth.Load(ref sums, d)), ref sums, d);
                }
            }
        }
    }

    /// <summary>
    /// Heads weighed together by the stacked kernel, as the register budget allows: AVX-512's 32 registers hold 4 heads ×
    /// 4 head vectors of accumulators beside the 4 value vectors and the broadcast weight; AVX2's 16 hold 2 heads' worth.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int WeighedHeadsAtOnce<TWidth, TVector>()
        where TWidth : struct, IVectorWidth<TVector>
        where TVector : struct => TWidth.Count == 16 ? 4 : 2;

    /// <summary>
    /// <see cref="WeighedHeadsAtOnce"/> heads at a time, four head vectors at a time: each value vector is loaded once and
    /// weighted for its heads (or, without groups, each head's own slice), with the outputs in registers while the values
    /// stream past.
    /// </summary>
    /// <remarks>
    /// With <paramref name="continues"/>, the sums start from the outputs already there instead of zero: a pass split over
    /// ranges of value rows, each continuing the sums the one before stored, adds in the same order as one pass, bit for bit.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeighValuesStacked<TWidth, TVector>(ref float weights, ref float values, int count, ref float output, int heads, bool continues)
        where TWidth : struct, IVectorWidth<TVector>
        where TVector : struct
    {
        for (int firstHead = 0; firstHead + WeighedHeadsAtOnce<TWidth, TVector>() <= heads; firstHead += WeighedHeadsAtOnce<TWidth, TVector>())
        {
            if (WeighedHeadsAtOnce<TWidth, TVector>() == 4)
            {
                WeighHeads<TWidth, TVector, Count4, HeadsOfRow>(ref weights, ref values, count, ref output, firstHead, continues);
            }
            else
            {
                WeighHeads<TWidth, TVector, Count2, HeadsOfRow>(ref weights, ref values, count, ref output, firstHead, continues);
            }
        }

        switch (heads % WeighedHeadsAtOnce<TWidth, TVector>())
        {
            case 1: WeighHeads<TWidth, TVector, Count1, HeadsOfRow>(ref weights, ref values, count, ref output, heads - 1, continues); break;
            case 2: WeighHeads<TWidth, TVector, Count2, HeadsOfRow>(ref weights, ref values, count, ref output, heads - 2, continues); break;
            case 3: WeighHeads<TWidth, TVector, Count3, HeadsOfRow>(ref weights, ref values, count, ref output, heads - 3, continues); break;
        }
    }

    /// <summary>Every column block of the <typeparamref name="THeads"/> heads from <paramref name="firstHead"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WeighHeads<TWidth, TVector, THeads, TLayout>(ref float weights, ref float values, int count, ref float output, int firstHead, bool continues = false)
        where TWidth : struct, IVectorWidth<TVector>
        where TVector : struct
        where THeads : struct, IStaticCount
        where TLayout : struct, IStackLayout
    {
        ref float headWeights = ref Unsafe.Add(ref weights, firstHead * TShape.ScoreStride);
        ref float headOutputs = ref Unsafe.Add(ref output, firstHead * TLayout.PairStride);
        ref float headValues = ref Unsafe.Add(ref values, TLayout.SharesKeys ? 0 : firstHead * HeadDim);
        nuint column = 0;
        for (; column + (nuint)(4 * TWidth.Count) <= (nuint)HeadDim; column += (nuint)(4 * TWidth.Count))
        {
            WeighStackOn<TWidth, TVector, THeads, Count4, TLayout>(ref headWeights, ref headValues, count, ref headOutputs, column, continues);
        }

        switch (HeadDim % (4 * TWidth.Count) / TWidth.Count)
        {
            case 1: WeighStackOn<TWidth, TVector, THeads, Count1, TLayout>(ref headWeights, ref headValues, count, ref headOutputs, column, continues); break;
            case 2: WeighStackOn<TWidth, TVector, THeads, Count2, TLayout>(ref headWeights, ref headValues, count, ref headOutputs, column, continues); break;
            case 3: WeighStackOn<TWidth, TVector, THeads, Count3, TLayout>(ref headWeights, ref headValues, count, ref headOutputs, column, continues); break;
        }
    }

    /// <summary>The width's named <see cref="WeighStack{TWidth, TVector, THeads, TVectors, TLayout}"/> kernel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WeighStackOn<TWidth, TVector, THeads, TVectors, TLayout>(ref float headWeights, ref float headValues, int count, ref float headOutputs, nuint column, bool continues)
        where TWidth : struct, IVectorWidth<TVector>
        where TVector : struct
        where THeads : struct, IStaticCount
        where TVectors : struct, IStaticCount
        where TLayout : struct, IStackLayout
    {
        if (TWidth.Count == 16)
        {
            WeighStack512<THeads, TVectors, TLayout>(ref headWeights, ref headValues, count, ref headOutputs, column, continues);
        }
        else
        {
            WeighStack256<THeads, TVectors, TLayout>(ref headWeights, ref headValues, count, ref headOutputs, column, continues);
        }
    }

    // The per-width kernels hold no code of their own: they give each width's compiled kernel its own name, which
    // DOTNET_JitDisasm and the JIT disassembly test select listings by.

    /// <inheritdoc cref="WeighStack{TWidth, TVector, THeads, TVectors, TLayout}"/>
    [MethodImpl(Kernel)]
    private static void WeighStack512<THeads, TVectors, TLayout>(ref float headWeights, ref float headValues, int count, ref float headOutputs, nuint column, bool continues)
        where THeads : struct, IStaticCount
        where TVectors : struct, IStaticCount
        where TLayout : struct, IStackLayout =>
        WeighStack<Vector512Width, Vector512<float>, THeads, TVectors, TLayout>(ref headWeights, ref headValues, count, ref headOutputs, column, continues);

    /// <inheritdoc cref="WeighStack{TWidth, TVector, THeads, TVectors, TLayout}"/>
    [MethodImpl(Kernel)]
    private static void WeighStack256<THeads, TVectors, TLayout>(ref float headWeights, ref float headValues, int count, ref float headOutputs, nuint column, bool continues)
        where THeads : struct, IStaticCount
        where TVectors : struct, IStaticCount
        where TLayout : struct, IStackLayout =>
        WeighStack<Vector256Width, Vector256<float>, THeads, TVectors, TLayout>(ref headWeights, ref headValues, count, ref headOutputs, column, continues);

    /// <summary>
    /// AVX2's stacks of 3 to 6 query rows of one head (<see cref="ScoreRowPairs256{TRows}"/>): each row's weighted sum over
    /// the first <paramref name="count"/> value rows, 16 columns at a time (then 8, where the head has an odd number of
    /// vectors), each value vector loaded once for all the rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WeighRowStack256<TRows>(ref float weights, ref float values, int count, ref float outputs)
        where TRows : struct, IStaticCount
    {
        nuint column = 0;
        for (; column + (nuint)(2 * Vector256<float>.Count) <= (nuint)HeadDim; column += (nuint)(2 * Vector256<float>.Count))
        {
            WeighRowColumns256<TRows, Count2>(ref weights, ref values, count, ref outputs, column);
        }

        if (column < (nuint)HeadDim)
        {
            WeighRowColumns256<TRows, Count1>(ref weights, ref values, count, ref outputs, column);
        }
    }

    /// <summary>
    /// <typeparamref name="TRows"/> rows × <typeparamref name="TVectors"/> vector columns from <paramref name="column"/>,
    /// one accumulator each, from zero over every value row in order, so each output element has the bits every other
    /// weigh kernel gives it.
    /// </summary>
    /// <remarks>
    /// 6 rows × 2 columns hold 12 accumulators beside 2 value vectors and a weight. The 2-row stack's 2 × 4
    /// (<see cref="WeighStack{TWidth, TVector, THeads, TVectors, TLayout}"/>) keeps 8 chains in flight, all that two
    /// 4-cycle multiply-add ports need and no slack, and streams V once per 2 rows: in a harness over 1,000 value rows of
    /// one 64-wide head (in L2), 78 GFLOP/s against 91 for this loop, with a measured peak of 95 (Zen 3, medians of 61
    /// alternating samples).
    /// </remarks>
    [MethodImpl(Kernel)]
    private static unsafe void WeighRowColumns256<TRows, TVectors>(ref float weights, ref float values, int count, ref float outputs, nuint column)
        where TRows : struct, IStaticCount
        where TVectors : struct, IStaticCount
    {
        int rows = TRows.Value;
        int vectors = TVectors.Value;
        nint scoreStride = TShape.ScoreStride;
        Vector256<float> o00 = Vector256<float>.Zero, o01 = o00, o10 = o00, o11 = o00, o20 = o00, o21 = o00;
        Vector256<float> o30 = o00, o31 = o00, o40 = o00, o41 = o00, o50 = o00, o51 = o00;

        // As in WeighStack: the value row advanced by a constant, and a plain pointer for the hints, which may run past V.
        ref float valueRow = ref Unsafe.Add(ref values, column);
        byte* ahead = (byte*)Unsafe.AsPointer(ref valueRow) + (ValueRowsAhead * KvWidth * sizeof(float));
        for (nint j = 0; j < count; j++, valueRow = ref Unsafe.Add(ref valueRow, KvWidth), ahead += KvWidth * sizeof(float))
        {
            AskForStackLines(ahead, vectors * Vector256<float>.Count * sizeof(float));
            var v0 = Vector256.LoadUnsafe(ref valueRow);
            var v1 = vectors >= 2 ? Vector256.LoadUnsafe(ref valueRow, (nuint)Vector256<float>.Count) : default;
            var p = Vector256.Create(Unsafe.Add(ref weights, j));
            o00 = Vector256.MultiplyAddEstimate(p, v0, o00);
            if (vectors >= 2) o01 = Vector256.MultiplyAddEstimate(p, v1, o01);
            p = Vector256.Create(Unsafe.Add(ref weights, scoreStride + j));
            o10 = Vector256.MultiplyAddEstimate(p, v0, o10);
            if (vectors >= 2) o11 = Vector256.MultiplyAddEstimate(p, v1, o11);
            p = Vector256.Create(Unsafe.Add(ref weights, (2 * scoreStride) + j));
            o20 = Vector256.MultiplyAddEstimate(p, v0, o20);
            if (vectors >= 2) o21 = Vector256.MultiplyAddEstimate(p, v1, o21);
            if (rows >= 4)
            {
                p = Vector256.Create(Unsafe.Add(ref weights, (3 * scoreStride) + j));
                o30 = Vector256.MultiplyAddEstimate(p, v0, o30);
                if (vectors >= 2) o31 = Vector256.MultiplyAddEstimate(p, v1, o31);
            }

            if (rows >= 5)
            {
                p = Vector256.Create(Unsafe.Add(ref weights, (4 * scoreStride) + j));
                o40 = Vector256.MultiplyAddEstimate(p, v0, o40);
                if (vectors >= 2) o41 = Vector256.MultiplyAddEstimate(p, v1, o41);
            }

            if (rows >= 6)
            {
                p = Vector256.Create(Unsafe.Add(ref weights, (5 * scoreStride) + j));
                o50 = Vector256.MultiplyAddEstimate(p, v0, o50);
                if (vectors >= 2) o51 = Vector256.MultiplyAddEstimate(p, v1, o51);
            }
        }

        ref float sums = ref Unsafe.Add(ref outputs, column);
        StoreRowColumns(o00, o01, ref sums, vectors);
        StoreRowColumns(o10, o11, ref Unsafe.Add(ref sums, QueryWidth), vectors);
        StoreRowColumns(o20, o21, ref Unsafe.Add(ref sums, 2 * QueryWidth), vectors);
        if (rows >= 4) StoreRowColumns(o30, o31, ref Unsafe.Add(ref sums, 3 * QueryWidth), vectors);
        if (rows >= 5) StoreRowColumns(o40, o41, ref Unsafe.Add(ref sums, 4 * QueryWidth), vectors);
        if (rows >= 6) StoreRowColumns(o50, o51, ref Unsafe.Add(ref sums, 5 * QueryWidth), vectors);
    }

    /// <summary>Stores a row's first column vector, and its second where there are two.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRowColumns(Vector256<float> first, Vector256<float> second, ref float destination, int vectors)
    {
        first.StoreUnsafe(ref destination);
        if (vectors >= 2)
        {
            second.StoreUnsafe(ref destination, (nuint)Vector256<float>.Count);
        }
    }

    /// <summary>
    /// How many value rows ahead the stacked weigh kernel asks for the columns it will read. In a grouped decode step a
    /// stack reads one stream's slice of each value row (256 bytes of a 2 KB row at 8 streams of 64), rows a whole
    /// key/value row apart, so on 4 KB pages it enters a new page every other row, and hardware prefetchers do not cross
    /// pages. `decode H32 kv8 q1 kv1024 D64` (4 MB from L3, on 4 KB pages as a user's arrays usually are) took 0.83–0.96×
    /// the time with the hints (0.90× in the longest alternation, 12 rounds), 0.89× with AVX-512 off. On 2 MB pages (the
    /// benchmark's inputs) alternating benchmark runs showed no clear change: 94.5 and 93.5 µs against 94.5 and 104.
    /// 4 rows ahead timed as 8; 12 and 16 rows took 1.02–1.03× the time of 8, and hints into L2 only (16 rows ahead) 1.06×
    /// those into L1. Neutral within noise: the same shape from L2 (128 keys), a 32 MB cache from DRAM, the decoder
    /// benchmark's attention, MQA with one contiguous stream, and ungrouped stacks (Zen 5, 4 to 12 rounds of builds
    /// alternating).
    /// </summary>
    private const int ValueRowsAhead = 8;

    /// <summary>
    /// Asks for the lines of <paramref name="bytes"/> (at most 256) from <paramref name="start"/> into L1: the first and
    /// the one 128 bytes on, as the adjacent-line prefetcher fills each one's 128-byte pair. Asking for all four lines (five
    /// when not line-aligned) timed the same; asking for the first alone gained nothing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void AskForStackLines(byte* start, int bytes)
    {
        if (!Sse.IsSupported)
        {
            return;
        }

        Sse.Prefetch0(start);
        if (bytes > 128)
        {
            Sse.Prefetch0(start + 128);
        }
    }

    /// <summary>
    /// <typeparamref name="THeads"/> heads × <typeparamref name="TVectors"/> vector columns from <paramref name="column"/>
    /// (each 1 to 4), one accumulator each, over every value row.
    /// </summary>
    /// <remarks>At the JIT's limit of 32 locals for an inlinee: hence no local for the lane count or the layout.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void WeighStack<TWidth, TVector, THeads, TVectors, TLayout>(ref float headWeights, ref float headValues, int count, ref float headOutputs, nuint column, bool continues)
        where TWidth : struct, IVectorWidth<TVector>
        where TVector : struct
        where THeads : struct, IStaticCount
        where TVectors : struct, IStaticCount
        where TLayout : struct, IStackLayout
    {
        int heads = THeads.Value;
        int vectors = TVectors.Value;
        // Pairs are this far apart in the outputs, and (when they do not share them) in the value rows.
        int pairStride = TLayout.PairStride;
        nint kvWidth = KvWidth;
        nint scoreStride = TShape.ScoreStride;
        TVector o00 = TWidth.Zero, o01 = o00, o02 = o00, o03 = o00;
        TVector o10 = o00, o11 = o00, o12 = o00, o13 = o00;
        TVector o20 = o00, o21 = o00, o22 = o00, o23 = o00;
        TVector o30 = o00, o31 = o00, o32 = o00, o33 = o00;
        if (continues)
        {
            // The sums so far, where the stores below left them (a pass over an earlier range of value rows).
            ref float sums = ref Unsafe.Add(ref headOutputs, column);
            o00 = TWidth.Load(ref sums, 0);
            if (vectors >= 2) o01 = TWidth.Load(ref sums, (nuint)TWidth.Count);
            if (vectors >= 3) o02 = TWidth.Load(ref sums, (nuint)(2 * TWidth.Count));
            if (vectors >= 4) o03 = TWidth.Load(ref sums, (nuint)(3 * TWidth.Count));
            if (heads >= 2)
            {
                o10 = TWidth.Load(ref sums, (nuint)pairStride);
                if (vectors >= 2) o11 = TWidth.Load(ref sums, (nuint)(pairStride + TWidth.Count));
                if (vectors >= 3) o12 = TWidth.Load(ref sums, (nuint)(pairStride + 2 * TWidth.Count));
                if (vectors >= 4) o13 = TWidth.Load(ref sums, (nuint)(pairStride + 3 * TWidth.Count));
            }

            if (heads >= 3)
            {
                o20 = TWidth.Load(ref sums, (nuint)(2 * pairStride));
                if (vectors >= 2) o21 = TWidth.Load(ref sums, (nuint)(2 * pairStride + TWidth.Count));
                if (vectors >= 3) o22 = TWidth.Load(ref sums, (nuint)(2 * pairStride + 2 * TWidth.Count));
                if (vectors >= 4) o23 = TWidth.Load(ref sums, (nuint)(2 * pairStride + 3 * TWidth.Count));
            }

            if (heads >= 4)
            {
                o30 = TWidth.Load(ref sums, (nuint)(3 * pairStride));
                if (vectors >= 2) o31 = TWidth.Load(ref sums, (nuint)(3 * pairStride + TWidth.Count));
                if (vectors >= 3) o32 = TWidth.Load(ref sums, (nuint)(3 * pairStride + 2 * TWidth.Count));
                if (vectors >= 4) o33 = TWidth.Load(ref sums, (nuint)(3 * pairStride + 3 * TWidth.Count));
            }
        }

        // A native-int row index and the value row advanced by a constant: every load folds into [base + j*4 + disp]
        // with no sign extension or multiply per row (integer work that, on Intel, takes the FMAs' ports).
        ref float valueRow = ref Unsafe.Add(ref headValues, column);
        // Head 0's columns ValueRowsAhead rows on (a group's heads share them). A plain pointer, not a ref: those rows may
        // lie past the values' end, and a ref past an array would be reported to the GC. A hint to an address that moved
        // with its array is only a wasted hint.
        byte* ahead = (byte*)Unsafe.AsPointer(ref valueRow) + (ValueRowsAhead * kvWidth * sizeof(float));
        for (nint j = 0; j < count; j++, valueRow = ref Unsafe.Add(ref valueRow, kvWidth), ahead += kvWidth * sizeof(float))
        {
            AskForStackLines(ahead, vectors * TWidth.Count * sizeof(float));

            // Head 0; with a group the same four value vectors serve every head.
            var v0 = TWidth.Load(ref valueRow, 0);
            var v1 = vectors >= 2 ? TWidth.Load(ref valueRow, (nuint)TWidth.Count) : default;
            var v2 = vectors >= 3 ? TWidth.Load(ref valueRow, (nuint)(2 * TWidth.Count)) : default;
            var v3 = vectors >= 4 ? TWidth.Load(ref valueRow, (nuint)(3 * TWidth.Count)) : default;
            var p = TWidth.Create(Unsafe.Add(ref headWeights, j));
            o00 = TWidth.MultiplyAddEstimate(p, v0, o00);
            if (vectors >= 2) o01 = TWidth.MultiplyAddEstimate(p, v1, o01);
            if (vectors >= 3) o02 = TWidth.MultiplyAddEstimate(p, v2, o02);
            if (vectors >= 4) o03 = TWidth.MultiplyAddEstimate(p, v3, o03);

            if (heads >= 2)
            {
                if (!TLayout.SharesKeys)
                {
                    v0 = TWidth.Load(ref valueRow, (nuint)pairStride);
                    if (vectors >= 2) v1 = TWidth.Load(ref valueRow, (nuint)(pairStride + TWidth.Count));
                    if (vectors >= 3) v2 = TWidth.Load(ref valueRow, (nuint)(pairStride + 2 * TWidth.Count));
                    if (vectors >= 4) v3 = TWidth.Load(ref valueRow, (nuint)(pairStride + 3 * TWidth.Count));
                }

                p = TWidth.Create(Unsafe.Add(ref headWeights, scoreStride + j));
                o10 = TWidth.MultiplyAddEstimate(p, v0, o10);
                if (vectors >= 2) o11 = TWidth.MultiplyAddEstimate(p, v1, o11);
                if (vectors >= 3) o12 = TWidth.MultiplyAddEstimate(p, v2, o12);
                if (vectors >= 4) o13 = TWidth.MultiplyAddEstimate(p, v3, o13);
            }

            if (heads >= 3)
            {
                if (!TLayout.SharesKeys)
                {
                    v0 = TWidth.Load(ref valueRow, (nuint)(2 * pairStride));
                    if (vectors >= 2) v1 = TWidth.Load(ref valueRow, (nuint)(2 * pairStride + TWidth.Count));
                    if (vectors >= 3) v2 = TWidth.Load(ref valueRow, (nuint)(2 * pairStride + 2 * TWidth.Count));
                    if (vectors >= 4) v3 = TWidth.Load(ref valueRow, (nuint)(2 * pairStride + 3 * TWidth.Count));
                }

                p = TWidth.Create(Unsafe.Add(ref headWeights, 2 * scoreStride + j));
                o20 = TWidth.MultiplyAddEstimate(p, v0, o20);
                if (vectors >= 2) o21 = TWidth.MultiplyAddEstimate(p, v1, o21);
                if (vectors >= 3) o22 = TWidth.MultiplyAddEstimate(p, v2, o22);
                if (vectors >= 4) o23 = TWidth.MultiplyAddEstimate(p, v3, o23);
            }

            if (heads >= 4)
            {
                if (!TLayout.SharesKeys)
                {
                    v0 = TWidth.Load(ref valueRow, (nuint)(3 * pairStride));
                    if (vectors >= 2) v1 = TWidth.Load(ref valueRow, (nuint)(3 * pairStride + TWidth.Count));
                    if (vectors >= 3) v2 = TWidth.Load(ref valueRow, (nuint)(3 * pairStride + 2 * TWidth.Count));
                    if (vectors >= 4) v3 = TWidth.Load(ref valueRow, (nuint)(3 * pairStride + 3 * TWidth.Count));
                }

                p = TWidth.Create(Unsafe.Add(ref headWeights, 3 * scoreStride + j));
                o30 = TWidth.MultiplyAddEstimate(p, v0, o30);
                if (vectors >= 2) o31 = TWidth.MultiplyAddEstimate(p, v1, o31);
                if (vectors >= 3) o32 = TWidth.MultiplyAddEstimate(p, v2, o32);
                if (vectors >= 4) o33 = TWidth.MultiplyAddEstimate(p, v3, o33);
            }
        }

        ref float outputs = ref Unsafe.Add(ref headOutputs, column);
        TWidth.Store(o00, ref outputs, 0);
        if (vectors >= 2) TWidth.Store(o01, ref outputs, (nuint)TWidth.Count);
        if (vectors >= 3) TWidth.Store(o02, ref outputs, (nuint)(2 * TWidth.Count));
        if (vectors >= 4) TWidth.Store(o03, ref outputs, (nuint)(3 * TWidth.Count));
        if (heads >= 2)
        {
            TWidth.Store(o10, ref outputs, (nuint)pairStride);
            if (vectors >= 2) TWidth.Store(o11, ref outputs, (nuint)(pairStride + TWidth.Count));
            if (vectors >= 3) TWidth.Store(o12, ref outputs, (nuint)(pairStride + 2 * TWidth.Count));
            if (vectors >= 4) TWidth.Store(o13, ref outputs, (nuint)(pairStride + 3 * TWidth.Count));
        }

        if (heads >= 3)
        {
            TWidth.Store(o20, ref outputs, (nuint)(2 * pairStride));
            if (vectors >= 2) TWidth.Store(o21, ref outputs, (nuint)(2 * pairStride + TWidth.Count));
            if (vectors >= 3) TWidth.Store(o22, ref outputs, (nuint)(2 * pairStride + 2 * TWidth.Count));
            if (vectors >= 4) TWidth.Store(o23, ref outputs, (nuint)(2 * pairStride + 3 * TWidth.Count));
        }

        if (heads >= 4)
        {
            TWidth.Store(o30, ref outputs, (nuint)(3 * pairStride));
            if (vectors >= 2) TWidth.Store(o31, ref outputs, (nuint)(3 * pairStride + TWidth.Count));
            if (vectors >= 3) TWidth.Store(o32, ref outputs, (nuint)(3 * pairStride + 2 * TWidth.Count));
            if (vectors >= 4) TWidth.Store(o33, ref outputs, (nuint)(3 * pairStride + 3 * TWidth.Count));
        }
    }

    /// <summary>The heads take turns on each block of <see cref="KeyBlock"/> value rows while it is in L1, adding into their outputs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeighValuesHeadByHead(ref float weights, ref float values, int count, ref float output, int heads)
    {
        MemoryMarshal.CreateSpan(ref output, heads * HeadDim).Clear();
        for (int first = 0; first < count; first += KeyBlock)
        {
            int blockCount = Math.Min(KeyBlock, count - first);
            ref float block = ref Unsafe.Add(ref values, (nint)first * KvWidth);
            for (int head = 0; head < heads; head++)
            {
                RowKernels<HeadRow>.AddWeightedSum(
                    ref Unsafe.Add(ref weights, head * TShape.ScoreStride + first),
                    ref Unsafe.Add(ref block, Grouped ? 0 : head * HeadDim),
                    blockCount,
                    ref Unsafe.Add(ref output, head * HeadDim));
            }
        }
    }
}
