using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace AttentionGen.Kernels.Attention;

/// <summary>
/// The row-by-row attention path (decode, short calls, and every call on machines or head widths without a tile): one
/// query row at a time, with the heads that share a key/value stream (a grouped-query group, or every head without
/// groups) stacked so K and V are read from memory once per row; or, where a call has several rows, up to 4 query rows
/// of a head stacked so K and V are read once per stack of rows (<see cref="AttendRowStack{TRows}"/>).
/// </summary>
/// <remarks>
/// Where the head is whole vectors, AVX-512 scores 4 heads (or rows) × 4 keys at a time and weighs 4 heads (or rows) × 4
/// head vectors at a time; AVX2 does the same with 2. On AVX-512 a group's whole stacks of 4 heads score 8 keys at a time
/// from packed queries instead (<see cref="ScorePackedBlock"/>). Elsewhere (Vector128, scalar, other head widths, and fewer than 4
/// keys) rows go one at a time and the heads take turns on each block of <see cref="KeyBlock"/> keys or values while it
/// is in L1. A (row, head) takes the same operations whichever way its call is cut into stacks, row ranges or head ranges.
/// <para>
/// This file holds the drivers (which rows, heads and streams go through which kernels, in what order) and the stack
/// layouts; the score kernels are in <c>RowAttention.Scores.cs</c> and the weighted sums in <c>RowAttention.WeightedSums.cs</c>.
/// </para>
/// </remarks>
internal static partial class RowAttention<TShape>
    where TShape : struct, IAttentionShape
{
    /// <summary>Keys or values per block the heads take turns on: small enough that the block stays in L1 between heads.</summary>
    private const int KeyBlock = 16;

    /// <summary>
    /// The widest head the stacked kernels take, as the emitted kernels did: wider heads go head by head, with one
    /// vector width and a scalar tail (see <see cref="RowKernels{TRow}"/>).
    /// </summary>
    private const int MaxStackedHeadDim = 256;

    private const MethodImplOptions Kernel = MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining;

    private static int HeadDim
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => TShape.HeadDim;
    }

    private static int KvWidth
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => TShape.KvHeads * TShape.HeadDim;
    }

    private static int QueryWidth
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => TShape.Heads * TShape.HeadDim;
    }

    /// <summary>Whether query heads share a key/value head (grouped-query attention).</summary>
    private static bool Grouped
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => TShape.Heads / TShape.KvHeads > 1;
    }

    /// <summary>Heads taken together: a group, or without groups every head, head h on its own slice h·HeadDim of each K/V row.</summary>
    internal static int StackedHeads
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Grouped ? TShape.Heads / TShape.KvHeads : TShape.Heads;
    }

    /// <summary>The streams of K/V rows a query row goes through in turn: one per key/value head with groups, else one for all heads.</summary>
    internal static int Streams
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Grouped ? TShape.KvHeads : 1;
    }

    /// <summary>
    /// Pairs of heads (the last one maybe a single head) a call of one stream and one row splits into across threads: each
    /// head without groups reads its own slice of K and V, so ranges of heads share nothing. 1 (no split) with groups,
    /// whose streams split instead. Pairs, not stacks of 4: 12 heads in two ranges of 6 keep two threads equally busy.
    /// </summary>
    internal static int HeadPairs
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Grouped ? 1 : (TShape.Heads + 1) / 2;
    }

    private static bool Stacks512
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => StackedHeads > 1 && HeadDim <= MaxStackedHeadDim && HeadDim % 16 == 0;
    }

    private static bool Stacks256
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => StackedHeads > 1 && HeadDim <= MaxStackedHeadDim && HeadDim % 8 == 0;
    }

    /// <summary>
    /// The vector width of the row-stacked kernels (<see cref="AttendRowStack{TRows}"/>) on this machine, 0 for none: the
    /// width whose block scores a lone row of the shape gets from <see cref="ScoreKeys"/> (the stacked heads' kernels, or
    /// with one head <see cref="RowKernels{TRow}"/>' key blocks), so stacked rows keep the bits they have alone.
    /// </summary>
    private static int RowStackWidth
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => HeadDim > MaxStackedHeadDim ? 0
            : Vector512.IsHardwareAccelerated && HeadDim % 16 == 0 ? 512
            : Vector256.IsHardwareAccelerated && HeadDim % 8 == 0 && (StackedHeads > 1 || !Vector512.IsHardwareAccelerated || HeadDim < 16) ? 256
            : 0;
    }

    /// <summary>
    /// Query rows stacked at once, as the register budget allows: 4 rows × 4 keys of accumulators beside 4 key vectors and a
    /// query fill AVX-512's 32 registers; on AVX2, 6 rows × 2 keys beside 2 key vectors and a query fill 15 of its 16
    /// (<see cref="ScoreRowPairs256{TRows}"/>). Never more than the score rows the shape planned (at least 6 for any shape
    /// with tiles).
    /// </summary>
    private static int RowsAtOnce
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Math.Min(RowStackWidth == 512 ? 4 : 6, TShape.ScoreRows);
    }

    /// <summary>
    /// A group's heads the row-stacked width's score kernels take at once: 4 on AVX-512, 2 on AVX2
    /// (<see cref="ScoreKeysStacked256"/>); never more than the score rows the shape planned.
    /// </summary>
    private static int GroupHeadsAtOnce
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Math.Min(RowStackWidth == 512 ? 4 : 2, TShape.ScoreRows);
    }

    /// <summary>
    /// Whether calls of several rows stack them: where there are row-stacked kernels, unless a group already fills a
    /// stack of heads on its own (its heads share each key, and stacking rows instead would read its K/V head once per
    /// head).
    /// </summary>
    private static bool StacksRows
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => RowStackWidth > 0 && RowsAtOnce >= 2 && (!Grouped || StackedHeads < GroupHeadsAtOnce);
    }

    /// <summary>
    /// Keys a row must see for <see cref="ScoreKeys"/> to score it in key blocks, the bits the row-stacked kernels give:
    /// the stacked heads take blocks of 4 from 4 keys on, a lone head the row kernels' blocks of a vector of keys.
    /// </summary>
    private static int StackFromVisible
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => StackedHeads > 1 ? 4 : RowStackWidth == 512 ? 16 : 8;
    }

    /// <summary>
    /// Attends row by row. Arguments as <see cref="AttentionCore{TShape}.Attend"/>; <paramref name="scores"/> holds at
    /// least <see cref="StackedHeads"/> rows of <c>ScoreStride</c> floats.
    /// </summary>
    public static void Attend(ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, ReadOnlySpan<float> additiveMask, Span<float> output, int seqLen, int kvSeqLen, Span<float> scores) =>
        AttendPart(query, key, value, additiveMask, output, seqLen, kvSeqLen, scores, 0, Streams, 0, seqLen);

    /// <summary>
    /// As <see cref="Attend"/>, for streams [<paramref name="firstStream"/>, <paramref name="streamEnd"/>) and query rows
    /// [<paramref name="firstRow"/>, <paramref name="rowEnd"/>) only: a unit of a split call. Each (stream, row) runs the
    /// same kernels whichever unit holds it, so the split gives the one-thread bits.
    /// </summary>
    public static void AttendPart(ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, ReadOnlySpan<float> additiveMask, Span<float> output, int seqLen, int kvSeqLen, Span<float> scores, int firstStream, int streamEnd, int firstRow, int rowEnd) =>
        AttendPart(query, key, value, additiveMask, output, seqLen, kvSeqLen, scores, firstStream, streamEnd, firstRow, rowEnd, 0, StackedHeads);

    /// <summary>
    /// As the overload above, for each stream's stacked heads [<paramref name="firstHead"/>, <paramref name="headEnd"/>)
    /// only: how a multi-head decode step (one stream, one row) splits. A head's scores and sums take the same operations
    /// in whichever stack of heads it lands, so any head range gives the one-thread bits.
    /// </summary>
    /// <remarks>Packed queries (<see cref="PacksQueries"/>) live on this call's stack, uninitialized: only what is packed is read.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    public static void AttendPart(ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, ReadOnlySpan<float> additiveMask, Span<float> output, int seqLen, int kvSeqLen, Span<float> scores, int firstStream, int streamEnd, int firstRow, int rowEnd, int firstHead, int headEnd)
    {
        ref float queryStart = ref MemoryMarshal.GetReference(query);
        ref float keyStart = ref MemoryMarshal.GetReference(key);
        ref float valueStart = ref MemoryMarshal.GetReference(value);
        ref float outputStart = ref MemoryMarshal.GetReference(output);
        ref float scoreRows = ref MemoryMarshal.GetReference(scores);
        Span<float> packedQueries = PacksQueries ? stackalloc float[QueryWidth] : default;
        ref float packed = ref MemoryMarshal.GetReference(packedQueries);

        if (TakesStreamsInTurn && streamEnd - firstStream > 1 && rowEnd - firstRow == 1)
        {
            AttendStreamsInTurn(ref queryStart, ref keyStart, ref valueStart, additiveMask, ref outputStart, firstRow, seqLen, kvSeqLen, ref scoreRows, firstStream, streamEnd, ref packed);
            return;
        }

        for (int stream = firstStream; stream < streamEnd; stream++)
        {
            // Without groups, head h reads its own slice of K and V, h·HeadDim in; a group's heads share theirs.
            int kvOffset = (Grouped ? stream : firstHead) * HeadDim;
            ref float keyHead = ref Unsafe.Add(ref keyStart, kvOffset);
            ref float valueHead = ref Unsafe.Add(ref valueStart, kvOffset);
            int row = firstRow;
            while (row < rowEnd)
            {
                // The stacked query heads sit side by side in the row, and so do their outputs.
                int headsOffset = row * QueryWidth + ((stream * StackedHeads) + firstHead) * HeadDim;
                ref float queryHeads = ref Unsafe.Add(ref queryStart, headsOffset);
                ref float outputHeads = ref Unsafe.Add(ref outputStart, headsOffset);
                int visible = AttentionCore<TShape>.Visible(row, seqLen, kvSeqLen);

                // Rows see more keys further down (causal), so once a row sees enough to take the stacked kernels' bits,
                // every row after it does too.
                int stacked = StacksRows && visible >= StackFromVisible ? Math.Min(RowsAtOnce, rowEnd - row) : 1;
                switch (stacked)
                {
                    case 2:
                        AttendRowStack<Count2>(ref queryHeads, ref keyHead, ref valueHead, additiveMask, ref outputHeads, row, seqLen, kvSeqLen, ref scoreRows, headEnd - firstHead);
                        break;
                    case 3:
                        AttendRowStack<Count3>(ref queryHeads, ref keyHead, ref valueHead, additiveMask, ref outputHeads, row, seqLen, kvSeqLen, ref scoreRows, headEnd - firstHead);
                        break;
                    case 4:
                        AttendRowStack<Count4>(ref queryHeads, ref keyHead, ref valueHead, additiveMask, ref outputHeads, row, seqLen, kvSeqLen, ref scoreRows, headEnd - firstHead);
                        break;
                    case 5:
                        AttendRowStack<Count5>(ref queryHeads, ref keyHead, ref valueHead, additiveMask, ref outputHeads, row, seqLen, kvSeqLen, ref scoreRows, headEnd - firstHead);
                        break;
                    case 6:
                        AttendRowStack<Count6>(ref queryHeads, ref keyHead, ref valueHead, additiveMask, ref outputHeads, row, seqLen, kvSeqLen, ref scoreRows, headEnd - firstHead);
                        break;
                    default:
                        AttendRow(ref queryHeads, ref keyHead, ref valueHead, additiveMask, ref outputHeads, row, visible, kvSeqLen, ref scoreRows, headEnd - firstHead, ref packed);
                        break;
                }

                row += stacked;
            }
        }
    }

    /// <summary>
    /// Keys per turn when a decode step's key/value streams take turns on the unpacked score kernels (see
    /// <see cref="AttendStreamsInTurn"/>; the packed kernel takes its own turns of 8 inside one call): two groups of the
    /// stacked score kernel, so the streams read each few key rows whole, one after another. One group (4 keys) per turn
    /// called the kernel for every 64 multiply-adds: `decode H32 kv8 q1 kv1024 D64` took 120–123 µs that way and 116–118
    /// with 8 (Zen 4, three alternating runs); 16 timed as 4 did. On AVX2 (Zen 3, eight alternating pairs of the same
    /// step) 16 took 1.13× the time of 8, and 4 1.02×.
    /// </summary>
    private const int ScoreTurnKeys = 8;

    /// <summary>
    /// Value rows per turn: a turn reloads and stores each stream's sums, and a stream whose heads take more than one pass
    /// of the stacked weigh kernel reads the turn's value rows once per pass. 64 rows where one pass holds the stream's
    /// heads (on AVX-512, groups of up to 4): against 16, that took 0.95× the median time on `decode H32 kv8 q1 kv1024 D64`
    /// and on the decoder benchmark's attention (`H8 kv2 D32`, 257 keys), and 0.93× on `H32 kv8 D128` over 4,096
    /// positions (32 MB, from DRAM) (Zen 5, 4 to 8 alternating pairs). Otherwise 16, which keeps the turn in L1 for the
    /// next pass more often: with AVX-512 off, 64 took 1.05× the time of 16 on the first row (on Zen 3's AVX2, 1.03×).
    /// On Zen 4, 8 to 16 timed fastest and 64 a quarter slower on a cache from DRAM, before the packed score kernel.
    /// </summary>
    private static int WeighTurnKeys
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => StackedHeads <= (Vector512.IsHardwareAccelerated && Stacks512 ? WeighedHeadsAtOnce<Vector512Width, Vector512<float>>() : WeighedHeadsAtOnce<Vector256Width, Vector256<float>>()) ? 64 : 16;
    }

    /// <summary>
    /// Whether one query row of several key/value streams takes them in turns per block of keys: with groups, on the stacked
    /// kernels (a key's score there does not depend on the block it is scored in, from 4 keys up, and value sums continue
    /// exactly), when the shape planned a score row for every head. On AVX-512, a group too small to pack (2 or 3 heads)
    /// takes turns only over more than <see cref="MostStreamsOneAfterAnother"/> streams.
    /// </summary>
    private static bool TakesStreamsInTurn
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Grouped && TShape.ScoreRows >= TShape.Heads
            && (Vector512.IsHardwareAccelerated && Stacks512
                ? PacksQueries || TShape.KvHeads > MostStreamsOneAfterAnother
                : Vector256.IsHardwareAccelerated && Stacks256);
    }

    /// <summary>
    /// The most key/value streams over which an AVX-512 group of 2 or 3 heads scores and weighs one stream after another
    /// rather than in turns. There, each stream's own pass over its slice of the rows was the faster: `H4 kv2 q1 kv1000
    /// D128` took 0.83–0.87× the time in four runs, `H6 kv2` 0.82–0.88×, `H4 kv2 D64` 0.91–0.92×, `H8 kv4 D128` 0.95×;
    /// with 8 streams it was 1.06× (`H16 kv8 D128`) and 0.95× (`D64`), so turns stay there. Packed groups kept their
    /// turns: without them `H16 kv4 D128` took 1.18× the time and `H32 kv8 D64` 1.04×; and so did AVX2, where
    /// `H32 kv8 D64` took 1.28× without (Zen 5, 3 to 4 alternating rounds each).
    /// </summary>
    private const int MostStreamsOneAfterAnother = 4;

    /// <summary>
    /// One query row (a decode step) of streams [<paramref name="firstStream"/>, <paramref name="streamEnd"/>), each as
    /// <see cref="AttendRow"/> computes it, bit for bit, but with the streams taking turns on each few keys
    /// (<see cref="ScoreTurnKeys"/>) for the scores, and on each few value rows (<see cref="WeighTurnKeys"/>) for the
    /// weighted values.
    /// </summary>
    /// <remarks>
    /// A key/value row holds every stream's head side by side (KvHeads·HeadDim floats). One stream at a time over the whole
    /// cache reads a HeadDim slice of each row: with 8 streams of 128, 512 bytes of every 4 KB, a page each, so the
    /// prefetchers keep stopping and a cache from DRAM read at a quarter of the read rate (`decode H32 kv8 q1 kv4096 D128`,
    /// 3.6–4.0 ms). In turns, the rows are read whole, in order: 1.9–2.3 ms. The scores of every head are kept (a score row
    /// each), and each stream's weighted sums continue from its turn before. Caches that fit in L3 time the same either way.
    /// <para>
    /// Still, that 32 MB row reads at about half a plain read's rate (50–53% on Zen 3). Asking for the rows 2 score turns
    /// and 4 weigh turns ahead into L2, on AVX2's unpacked turns, did not help: 48–51% against 44–51%, and no faster (Zen
    /// 3, 3 alternating benchmark pairs).
    /// </para>
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AttendStreamsInTurn(ref float queryStart, ref float keyStart, ref float valueStart, ReadOnlySpan<float> additiveMask, ref float outputStart, int row, int seqLen, int kvSeqLen, ref float scoreRows, int firstStream, int streamEnd, ref float packed)
    {
        int streams = streamEnd - firstStream;
        int streamWidth = StackedHeads * HeadDim;
        int streamScores = StackedHeads * TShape.ScoreStride;
        int headsOffset = row * QueryWidth + firstStream * streamWidth;
        ref float queryHeads = ref Unsafe.Add(ref queryStart, headsOffset);
        ref float outputHeads = ref Unsafe.Add(ref outputStart, headsOffset);
        ref float keyHeads = ref Unsafe.Add(ref keyStart, firstStream * HeadDim);
        ref float valueHeads = ref Unsafe.Add(ref valueStart, firstStream * HeadDim);
        int visible = AttentionCore<TShape>.Visible(row, seqLen, kvSeqLen);
        if (visible <= 0)
        {
            MemoryMarshal.CreateSpan(ref outputHeads, streams * streamWidth).Clear();
            return;
        }

        bool packs = PacksQueries && visible >= 4;
        if (packs)
        {
            for (int stream = 0; stream < streams; stream++)
            {
                PackQueries(ref Unsafe.Add(ref queryHeads, stream * streamWidth), ref Unsafe.Add(ref packed, stream * streamWidth));
            }

            ScoreKeysPackedAndRest(ref queryHeads, ref packed, ref keyHeads, visible, ref scoreRows, streams, StackedHeads);
        }
        else
        {
            // Every head, the streams taking turns here.
            for (int first = 0, count; first < visible; first += count)
            {
                count = KeysInTurn(first, visible, ScoreTurnKeys);
                ref float keyBlock = ref Unsafe.Add(ref keyHeads, (nint)first * KvWidth);
                for (int stream = 0; stream < streams; stream++)
                {
                    ScoreKeysUnpacked(
                        ref Unsafe.Add(ref queryHeads, stream * streamWidth), ref Unsafe.Add(ref keyBlock, stream * HeadDim), count,
                        ref Unsafe.Add(ref scoreRows, (stream * streamScores) + first), StackedHeads);
                }
            }
        }

        ReadOnlySpan<float> maskRow = AttentionScores<TShape>.MaskRow(additiveMask, row, kvSeqLen);
        for (int head = 0; head < streams * StackedHeads; head++)
        {
            AttentionScores<TShape>.SoftmaxRow(ref Unsafe.Add(ref scoreRows, head * TShape.ScoreStride), visible, visible, maskRow);
        }

        for (int first = 0, count; first < visible; first += count)
        {
            count = KeysInTurn(first, visible, WeighTurnKeys);
            ref float valueBlock = ref Unsafe.Add(ref valueHeads, (nint)first * KvWidth);
            for (int stream = 0; stream < streams; stream++)
            {
                ref float weights = ref Unsafe.Add(ref scoreRows, stream * streamScores + first);
                ref float values = ref Unsafe.Add(ref valueBlock, stream * HeadDim);
                ref float outputs = ref Unsafe.Add(ref outputHeads, stream * streamWidth);
                if (Vector512.IsHardwareAccelerated && Stacks512)
                {
                    WeighValuesStacked<Vector512Width, Vector512<float>>(ref weights, ref values, count, ref outputs, StackedHeads, continues: first > 0);
                }
                else
                {
                    WeighValuesStacked<Vector256Width, Vector256<float>>(ref weights, ref values, count, ref outputs, StackedHeads, continues: first > 0);
                }
            }
        }
    }

    /// <summary>The keys of the turn from <paramref name="first"/>: <paramref name="turn"/>, or all the rest when fewer than 4 would be left after (the stacked score kernel's bits need 4).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int KeysInTurn(int first, int visible, int turn) => visible - first < turn + 4 ? visible - first : turn;

    /// <summary>
    /// One query row of one stream, <paramref name="heads"/> of its stacked heads side by side: the kernels every row took
    /// before rows stacked.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AttendRow(ref float queryHeads, ref float keyHead, ref float valueHead, ReadOnlySpan<float> additiveMask, ref float outputHeads, int row, int visible, int kvSeqLen, ref float scoreRows, int heads, ref float packed)
    {
        if (visible <= 0)
        {
            // More queries than keys under the causal alignment: this row sees nothing, and attends to nothing.
            MemoryMarshal.CreateSpan(ref outputHeads, heads * HeadDim).Clear();
            return;
        }

        ScoreKeys(ref queryHeads, ref keyHead, visible, ref scoreRows, heads, ref packed);
        ReadOnlySpan<float> maskRow = AttentionScores<TShape>.MaskRow(additiveMask, row, kvSeqLen);
        for (int head = 0; head < heads; head++)
        {
            AttentionScores<TShape>.SoftmaxRow(ref Unsafe.Add(ref scoreRows, head * TShape.ScoreStride), visible, visible, maskRow);
        }

        WeighValues(ref scoreRows, ref valueHead, visible, ref outputHeads, heads);
    }

    /// <summary>
    /// <typeparamref name="TRows"/> consecutive query rows of one stream, head by head: each head's rows share every key
    /// and value vector it loads (a head's rows read the same slice of K and V), so K and V stream from memory once per
    /// stack of rows rather than once per row.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Each (row, head) comes out with the bits it has alone: its scores are the stacked kernels' (one accumulator per
    /// key over the head's vectors, the same horizontal fold, then the scale), which are what a lone row gets from
    /// <see cref="ScoreKeys"/> once it sees <see cref="StackFromVisible"/> keys, and its weighted sum adds the value rows
    /// one at a time into each output element, as every vector kernel of <see cref="WeighValues"/> does.
    /// </para>
    /// <para>
    /// Causal rows see one key more each (row i of the stack <c>common + i</c>: a row before the last sees fewer keys than
    /// there are, so the bottom-right rule never clamps it). Every row is scored against the last row's keys (a score past a row's own is
    /// never read: its softmax and weighted sum stop at its own count), the values are weighed together over the first
    /// row's keys, and each later row then adds its own last values to its stored outputs, continuing the same sums in
    /// the same order. No value meets a weight of a key its row cannot see.
    /// </para>
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AttendRowStack<TRows>(ref float queryRows, ref float keyHead, ref float valueHead, ReadOnlySpan<float> additiveMask, ref float outputRows, int firstRow, int seqLen, int kvSeqLen, ref float scoreRows, int heads)
        where TRows : struct, IStaticCount
    {
        int rows = TRows.Value;
        int common = AttentionCore<TShape>.Visible(firstRow, seqLen, kvSeqLen);
        int widest = AttentionCore<TShape>.Visible(firstRow + rows - 1, seqLen, kvSeqLen);
        for (int head = 0; head < heads; head++)
        {
            ref float queries = ref Unsafe.Add(ref queryRows, head * HeadDim);
            ref float keys = ref Unsafe.Add(ref keyHead, Grouped ? 0 : head * HeadDim);
            ref float values = ref Unsafe.Add(ref valueHead, Grouped ? 0 : head * HeadDim);
            ref float outputs = ref Unsafe.Add(ref outputRows, head * HeadDim);
            if (RowStackWidth == 512)
            {
                ScoreRowStack512<TRows>(ref queries, ref keys, widest, ref scoreRows);
            }
            else if (rows <= 2)
            {
                ScoreRowStack256<TRows>(ref queries, ref keys, widest, ref scoreRows);
            }
            else
            {
                ScoreRowPairs256<TRows>(ref queries, ref keys, widest, ref scoreRows);
            }

            for (int i = 0; i < rows; i++)
            {
                int visible = AttentionCore<TShape>.Visible(firstRow + i, seqLen, kvSeqLen);
                AttentionScores<TShape>.SoftmaxRow(
                    ref Unsafe.Add(ref scoreRows, i * TShape.ScoreStride), visible, visible, AttentionScores<TShape>.MaskRow(additiveMask, firstRow + i, kvSeqLen));
            }

            if (RowStackWidth == 512)
            {
                WeighHeads<Vector512Width, Vector512<float>, TRows, RowsOfHead>(ref scoreRows, ref values, common, ref outputs, 0);
                AddCausalTails<Vector512Width, Vector512<float>, TRows>(ref scoreRows, ref values, common, ref outputs);
            }
            else
            {
                if (rows <= 2)
                {
                    WeighHeads<Vector256Width, Vector256<float>, TRows, RowsOfHead>(ref scoreRows, ref values, common, ref outputs, 0);
                }
                else
                {
                    WeighRowStack256<TRows>(ref scoreRows, ref values, common, ref outputs);
                }

                AddCausalTails<Vector256Width, Vector256<float>, TRows>(ref scoreRows, ref values, common, ref outputs);
            }
        }
    }

    /// <summary>
    /// Causal rows of a stack past the first see one key more each (row i sees <c>common + i</c>): each adds its own last
    /// values to the outputs the stack stored, one value row at a time per element, as the sums ran.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddCausalTails<TWidth, TVector, TRows>(ref float weights, ref float values, int common, ref float outputs)
        where TWidth : struct, IVectorWidth<TVector>
        where TVector : struct
        where TRows : struct, IStaticCount
    {
        if (!TShape.IsCausal)
        {
            return;
        }

        ref float tailValues = ref Unsafe.Add(ref values, (nint)common * KvWidth);
        for (int i = 1; i < TRows.Value; i++)
        {
            ref float rowWeights = ref Unsafe.Add(ref weights, i * TShape.ScoreStride + common);
            ref float rowOutputs = ref Unsafe.Add(ref outputs, i * QueryWidth);
            for (nuint d = 0; d < (nuint)HeadDim; d += (nuint)TWidth.Count)
            {
                TVector sum = TWidth.Load(ref rowOutputs, d);
                ref float valueColumn = ref Unsafe.Add(ref tailValues, d);
                for (nint j = 0; j < i; j++)
                {
                    sum = TWidth.MultiplyAddEstimate(TWidth.Create(Unsafe.Add(ref rowWeights, j)), TWidth.Load(ref valueColumn, (nuint)(j * KvWidth)), sum);
                }

                TWidth.Store(sum, ref rowOutputs, d);
            }
        }
    }

    /// <summary>How a stack of (query row, head) pairs lies in memory; every member is a constant.</summary>
    private interface IStackLayout
    {
        /// <summary>Floats from one pair's query (and output) to the next's.</summary>
        static abstract int PairStride { get; }

        /// <summary>Whether the pairs read the same key and value vectors; if not, each its own head's slice, HeadDim apart.</summary>
        static abstract bool SharesKeys { get; }
    }

    /// <summary>The heads of one query row: a group shares its key/value head; heads without a group read their own slices.</summary>
    private struct HeadsOfRow : IStackLayout
    {
        public static int PairStride
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            get => TShape.HeadDim;
        }

        public static bool SharesKeys
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            get => TShape.Heads / TShape.KvHeads > 1;
        }
    }

    /// <summary>Consecutive query rows of one head, which read the same slice of K and V.</summary>
    private struct RowsOfHead : IStackLayout
    {
        public static int PairStride
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            get => TShape.Heads * TShape.HeadDim;
        }

        public static bool SharesKeys
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            get => true;
        }
    }

    /// <summary>
    /// One head's slice of the key/value rows: HeadDim floats per row, rows KvHeads·HeadDim apart. Its getters, like every
    /// getter here that reads the shape, are marked for inlining: the JIT does not inline a method that makes a
    /// static virtual call through a type parameter unless told to, and a getter left as a call is no constant.
    /// </summary>
    private struct HeadRow : IRowShape
    {
        public static int Width
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            get => TShape.HeadDim;
        }

        public static int RowStride
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            get => TShape.KvHeads * TShape.HeadDim;
        }
    }
}
