using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
/// </remarks>
internal static class RowAttention<TShape>
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
    /// query fill AVX-512's 32 registers, 2 rows AVX2's 16. Never more than the score rows the shape planned (at least 6
    /// for any shape with tiles).
    /// </summary>
    private static int RowsAtOnce
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Math.Min(RowStackWidth == 512 ? 4 : 2, TShape.ScoreRows);
    }

    /// <summary>
    /// Whether calls of several rows stack them: where there are row-stacked kernels, unless a group already fills a
    /// stack on its own (its heads share each key, and stacking rows instead would read its K/V head once per head).
    /// </summary>
    private static bool StacksRows
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => RowStackWidth > 0 && RowsAtOnce >= 2 && (!Grouped || StackedHeads < RowsAtOnce);
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
    /// with 8 (Zen 4, three alternating runs); 16 timed as 4 did.
    /// </summary>
    private const int ScoreTurnKeys = 8;

    /// <summary>
    /// Value rows per turn: a turn reloads and stores each stream's sums, and a stream whose heads take more than one pass
    /// of the stacked weigh kernel reads the turn's value rows once per pass. 64 rows where one pass holds the stream's
    /// heads (on AVX-512, groups of up to 4): against 16, that took 0.95× the median time on `decode H32 kv8 q1 kv1024 D64`
    /// and on the decoder benchmark's attention (`H8 kv2 D32`, 257 keys), and 0.93× on `H32 kv8 D128` over 4,096
    /// positions (32 MB, from DRAM) (Zen 5, 4 to 8 alternating pairs). Otherwise 16, which keeps the turn in L1 for the
    /// next pass more often: with AVX-512 off, 64 took 1.05× the time of 16 on the first row. On Zen 4, 8 to 16 timed
    /// fastest and 64 a quarter slower on a cache from DRAM, before the packed score kernel.
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
            else
            {
                ScoreRowStack256<TRows>(ref queries, ref keys, widest, ref scoreRows);
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
                WeighHeads<Vector256Width, Vector256<float>, TRows, RowsOfHead>(ref scoreRows, ref values, common, ref outputs, 0);
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

    /// <summary>
    /// One head's <typeparamref name="TRows"/> query rows (QueryWidth apart) against four keys at a time, the last block
    /// sliding back to end on the last key: each key vector is loaded once for all the rows. Row i's scores go to score
    /// row i.
    /// </summary>
    [MethodImpl(Kernel)]
    private static void ScoreRowStack512<TRows>(ref float queries, ref float keys, int count, ref float scores)
        where TRows : struct, IStaticCount
    {
        for (int first = 0; first < count; first += 4)
        {
            int j = Math.Min(first, count - 4);
            ScoreStack<Vector512Width, Vector512<float>, TRows, RowsOfHead>(ref queries, ref Unsafe.Add(ref keys, (nint)j * KvWidth), j, 0, ref scores);
        }
    }

    /// <inheritdoc cref="ScoreRowStack512{TRows}"/>
    [MethodImpl(Kernel)]
    private static void ScoreRowStack256<TRows>(ref float queries, ref float keys, int count, ref float scores)
        where TRows : struct, IStaticCount
    {
        for (int first = 0; first < count; first += 4)
        {
            int j = Math.Min(first, count - 4);
            ScoreStack<Vector256Width, Vector256<float>, TRows, RowsOfHead>(ref queries, ref Unsafe.Add(ref keys, (nint)j * KvWidth), j, 0, ref scores);
        }
    }

    /// <summary>
    /// <c>scores[h·ScoreStride + j] = Scale · (q_h · keys[j])</c> for the stacked heads, whose query rows
    /// <c>q_h</c> are HeadDim apart; with <see cref="PacksQueries"/>, their whole stacks are packed into
    /// <paramref name="packed"/> first.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ScoreKeys(ref float queries, ref float keys, int count, ref float scores, int heads, ref float packed)
    {
        if (PacksQueries && count >= 4)
        {
            PackQueries(ref queries, ref packed);
            ScoreKeysPackedAndRest(ref queries, ref packed, ref keys, count, ref scores, streams: 1, heads);
            return;
        }

        ScoreKeysUnpacked(ref queries, ref keys, count, ref scores, heads);
    }

    /// <summary>As <see cref="ScoreKeys"/>, from the query rows alone.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ScoreKeysUnpacked(ref float queries, ref float keys, int count, ref float scores, int heads)
    {
        if (StackedHeads == 1)
        {
            RowKernels<HeadRow>.Dot(ref queries, ref keys, count, TShape.Scale, ref scores);
            return;
        }

        if (count >= 4)
        {
            if (Vector512.IsHardwareAccelerated && Stacks512)
            {
                ScoreKeysStacked512(ref queries, ref keys, count, ref scores, heads);
                return;
            }

            if (Vector256.IsHardwareAccelerated && Stacks256)
            {
                ScoreKeysStacked256(ref queries, ref keys, count, ref scores, heads);
                return;
            }
        }

        ScoreKeysHeadByHead(ref queries, ref keys, count, ref scores, heads);
    }

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
            if (!Grouped && heads > WeighedHeadsAtOnce<Vector256Width, Vector256<float>>())
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
    /// Four keys at a time against four heads at a time, the last block sliding back to end on the last key (rescoring a
    /// few): with a group, each key vector is loaded once for all four heads; without, each head reads its own slice of
    /// the same rows, which still stream past in memory order. Heads left over from whole stacks of four take the block
    /// while it is in L1.
    /// </summary>
    /// <remarks>
    /// The two widths' key loops stay written out, because a stack only inlines into a root whose own code is large
    /// enough: the JIT's inlining budget is a multiple of the root's size, and a generic key loop forwarded from a one-line
    /// root would leave the stacks as calls. What differs is the heads per stack, from the register budget: AVX-512's 32
    /// registers hold 4 heads × 4 keys of accumulators beside 4 key vectors and a query.
    /// </remarks>
    [MethodImpl(Kernel)]
    private static void ScoreKeysStacked512(ref float queries, ref float keys, int count, ref float scores, int heads)
    {
        const int HeadsAtOnce = 4;
        for (int first = 0; first < count; first += 4)
        {
            int j = Math.Min(first, count - 4);
            ref float block = ref Unsafe.Add(ref keys, (nint)j * KvWidth);
            for (int firstHead = 0; firstHead + HeadsAtOnce <= heads; firstHead += HeadsAtOnce)
            {
                ScoreStack<Vector512Width, Vector512<float>, Count4, HeadsOfRow>(ref queries, ref block, j, firstHead, ref scores);
            }

            if (heads % HeadsAtOnce != 0)
            {
                switch (heads % HeadsAtOnce)
                {
                    case 1: ScoreStack<Vector512Width, Vector512<float>, Count1, HeadsOfRow>(ref queries, ref block, j, heads - 1, ref scores); break;
                    case 2: ScoreStack<Vector512Width, Vector512<float>, Count2, HeadsOfRow>(ref queries, ref block, j, heads - 2, ref scores); break;
                    case 3: ScoreStack<Vector512Width, Vector512<float>, Count3, HeadsOfRow>(ref queries, ref block, j, heads - 3, ref scores); break;
                }
            }
        }
    }

    /// <summary>As <see cref="ScoreKeysStacked512"/>, two heads at a time: 2 × 4 accumulators, 4 keys and a query fill AVX2's 16 registers.</summary>
    [MethodImpl(Kernel)]
    private static void ScoreKeysStacked256(ref float queries, ref float keys, int count, ref float scores, int heads)
    {
        const int HeadsAtOnce = 2;
        for (int first = 0; first < count; first += 4)
        {
            int j = Math.Min(first, count - 4);
            ref float block = ref Unsafe.Add(ref keys, (nint)j * KvWidth);
            for (int firstHead = 0; firstHead + HeadsAtOnce <= heads; firstHead += HeadsAtOnce)
            {
                ScoreStack<Vector256Width, Vector256<float>, Count2, HeadsOfRow>(ref queries, ref block, j, firstHead, ref scores);
            }

            if (heads % HeadsAtOnce == 1)
            {
                ScoreStack<Vector256Width, Vector256<float>, Count1, HeadsOfRow>(ref queries, ref block, j, heads - 1, ref scores);
            }
        }
    }

    /// <summary>
    /// The <typeparamref name="THeads"/> heads (1 to 4) from <paramref name="stackHead"/> against keys
    /// <paramref name="j"/> … + 3, one accumulator per (head, key).
    /// </summary>
    /// <remarks>
    /// Inlined into the key loop, so whole stacks and the heads left over share each block of keys. That takes few
    /// locals (the JIT refuses to inline a method with more than 32), hence the shape and the lane count read through
    /// their getters rather than cached in locals, and one query local.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ScoreStack<TWidth, TVector, THeads, TLayout>(ref float queries, ref float block, int j, int stackHead, ref float scores)
        where TWidth : struct, IVectorWidth<TVector>
        where TVector : struct
        where THeads : struct, IStaticCount
        where TLayout : struct, IStackLayout
    {
        int heads = THeads.Value;
        TVector s00 = TWidth.Zero, s01 = s00, s02 = s00, s03 = s00;
        TVector s10 = s00, s11 = s00, s12 = s00, s13 = s00;
        TVector s20 = s00, s21 = s00, s22 = s00, s23 = s00;
        TVector s30 = s00, s31 = s00, s32 = s00, s33 = s00;
        ref float headQueries = ref Unsafe.Add(ref queries, stackHead * TLayout.PairStride);
        ref float headKeys = ref Unsafe.Add(ref block, TLayout.SharesKeys ? 0 : stackHead * HeadDim);
        for (nuint d = 0; d < (nuint)HeadDim; d += (nuint)TWidth.Count)
        {
            TVector query;
            if (TLayout.SharesKeys)
            {
                var k0 = TWidth.Load(ref headKeys, d);
                var k1 = TWidth.Load(ref headKeys, d + (nuint)(KvWidth));
                var k2 = TWidth.Load(ref headKeys, d + (nuint)(2 * KvWidth));
                var k3 = TWidth.Load(ref headKeys, d + (nuint)(3 * KvWidth));
                query = TWidth.Load(ref headQueries, d);
                s00 = TWidth.MultiplyAddEstimate(query, k0, s00); s01 = TWidth.MultiplyAddEstimate(query, k1, s01); s02 = TWidth.MultiplyAddEstimate(query, k2, s02); s03 = TWidth.MultiplyAddEstimate(query, k3, s03);
                if (heads >= 2)
                {
                    query = TWidth.Load(ref headQueries, d + (nuint)(TLayout.PairStride));
                    s10 = TWidth.MultiplyAddEstimate(query, k0, s10); s11 = TWidth.MultiplyAddEstimate(query, k1, s11); s12 = TWidth.MultiplyAddEstimate(query, k2, s12); s13 = TWidth.MultiplyAddEstimate(query, k3, s13);
                }

                if (heads >= 3)
                {
                    query = TWidth.Load(ref headQueries, d + (nuint)(2 * TLayout.PairStride));
                    s20 = TWidth.MultiplyAddEstimate(query, k0, s20); s21 = TWidth.MultiplyAddEstimate(query, k1, s21); s22 = TWidth.MultiplyAddEstimate(query, k2, s22); s23 = TWidth.MultiplyAddEstimate(query, k3, s23);
                }

                if (heads >= 4)
                {
                    query = TWidth.Load(ref headQueries, d + (nuint)(3 * TLayout.PairStride));
                    s30 = TWidth.MultiplyAddEstimate(query, k0, s30); s31 = TWidth.MultiplyAddEstimate(query, k1, s31); s32 = TWidth.MultiplyAddEstimate(query, k2, s32); s33 = TWidth.MultiplyAddEstimate(query, k3, s33);
                }
            }
            else
            {
                // Head h's slice of key row j + i sits h·HeadDim + i·KvWidth floats in.
                query = TWidth.Load(ref headQueries, d);
                s00 = TWidth.MultiplyAddEstimate(query, TWidth.Load(ref headKeys, d), s00);
                s01 = TWidth.MultiplyAddEstimate(query, TWidth.Load(ref headKeys, d + (nuint)(KvWidth)), s01);
                s02 = TWidth.MultiplyAddEstimate(query, TWidth.Load(ref headKeys, d + (nuint)(2 * KvWidth)), s02);
                s03 = TWidth.MultiplyAddEstimate(query, TWidth.Load(ref headKeys, d + (nuint)(3 * KvWidth)), s03);
                if (heads >= 2)
                {
                    query = TWidth.Load(ref headQueries, d + (nuint)(TLayout.PairStride));
                    s10 = TWidth.MultiplyAddEstimate(query, TWidth.Load(ref headKeys, d + (nuint)(HeadDim)), s10);
                    s11 = TWidth.MultiplyAddEstimate(query, TWidth.Load(ref headKeys, d + (nuint)(HeadDim + KvWidth)), s11);
                    s12 = TWidth.MultiplyAddEstimate(query, TWidth.Load(ref headKeys, d + (nuint)(HeadDim + 2 * KvWidth)), s12);
                    s13 = TWidth.MultiplyAddEstimate(query, TWidth.Load(ref headKeys, d + (nuint)(HeadDim + 3 * KvWidth)), s13);
                }

                if (heads >= 3)
                {
                    query = TWidth.Load(ref headQueries, d + (nuint)(2 * TLayout.PairStride));
                    s20 = TWidth.MultiplyAddEstimate(query, TWidth.Load(ref headKeys, d + (nuint)(2 * HeadDim)), s20);
                    s21 = TWidth.MultiplyAddEstimate(query, TWidth.Load(ref headKeys, d + (nuint)(2 * HeadDim + KvWidth)), s21);
                    s22 = TWidth.MultiplyAddEstimate(query, TWidth.Load(ref headKeys, d + (nuint)(2 * HeadDim + 2 * KvWidth)), s22);
                    s23 = TWidth.MultiplyAddEstimate(query, TWidth.Load(ref headKeys, d + (nuint)(2 * HeadDim + 3 * KvWidth)), s23);
                }

                if (heads >= 4)
                {
                    query = TWidth.Load(ref headQueries, d + (nuint)(3 * TLayout.PairStride));
                    s30 = TWidth.MultiplyAddEstimate(query, TWidth.Load(ref headKeys, d + (nuint)(3 * HeadDim)), s30);
                    s31 = TWidth.MultiplyAddEstimate(query, TWidth.Load(ref headKeys, d + (nuint)(3 * HeadDim + KvWidth)), s31);
                    s32 = TWidth.MultiplyAddEstimate(query, TWidth.Load(ref headKeys, d + (nuint)(3 * HeadDim + 2 * KvWidth)), s32);
                    s33 = TWidth.MultiplyAddEstimate(query, TWidth.Load(ref headKeys, d + (nuint)(3 * HeadDim + 3 * KvWidth)), s33);
                }
            }
        }

        // 128-bit block h of sums holds head stackHead + h's scores for keys j … j + 3.
        var sums = TWidth.Multiply(TWidth.Create(TShape.Scale), TWidth.SumsAcrossBlocks(
            TWidth.SumsOfFour(s00, s01, s02, s03),
            heads >= 2 ? TWidth.SumsOfFour(s10, s11, s12, s13) : TWidth.Zero,
            heads >= 3 ? TWidth.SumsOfFour(s20, s21, s22, s23) : TWidth.Zero,
            heads >= 4 ? TWidth.SumsOfFour(s30, s31, s32, s33) : TWidth.Zero));
        StorePerBlock<TWidth, TVector>(sums, ref Unsafe.Add(ref scores, stackHead * TShape.ScoreStride + j), heads);
    }

    /// <summary>
    /// Heads of a packed stack (<see cref="ScorePackedBlock"/>): two to a Vector512, one per 256-bit half. AVX2 has no
    /// packed stacks: packing one head per 128-bit block there took 1.21× the time of the stacked kernel on
    /// `decode H32 kv8 q1 kv1024 D64` with AVX-512 off (Zen 5, four alternating pairs).
    /// </summary>
    private const int PackedStackHeads = 4;

    /// <summary>Query elements per head in a packed chunk: one 256-bit half of a Vector512.</summary>
    private const int PackedChunk = 8;

    /// <summary>A stream's heads in whole packed stacks.</summary>
    private static int PackedHeads
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => StackedHeads / PackedStackHeads * PackedStackHeads;
    }

    /// <summary>The most floats of packed queries a call keeps on its stack: 32 KB, a row of 64 heads of 128.</summary>
    private const int MaxPackedQueryFloats = 8192;

    /// <summary>
    /// Whether a group's whole stacks of heads score keys through packed queries (<see cref="ScorePackedBlock"/>): with
    /// groups of a stack or more, where the Vector512 stacked kernels run (heads a multiple of 16 floats, so of the
    /// packed chunk), and when a query row fits <see cref="MaxPackedQueryFloats"/>.
    /// </summary>
    private static bool PacksQueries
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Grouped && Vector512.IsHardwareAccelerated && Stacks512 && StackedHeads >= PackedStackHeads && QueryWidth <= MaxPackedQueryFloats;
    }

    /// <summary>
    /// Lays one stream's whole stacks of query heads out for <see cref="ScorePackedBlock"/>: per stack, chunk c (head
    /// elements 8c … 8c + 7) of its four heads is 32 floats, head h's at 8h, so one Vector512 holds heads 0 and 1 and
    /// the next heads 2 and 3. Heads past the whole stacks are left out.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PackQueries(ref float queryHeads, ref float packed)
    {
        int stackHeads = PackedStackHeads;
        for (int head = 0; head < PackedHeads; head++)
        {
            ref float query = ref Unsafe.Add(ref queryHeads, head * HeadDim);
            ref float target = ref Unsafe.Add(ref packed, (head / stackHeads * stackHeads * HeadDim) + (head % stackHeads * PackedChunk));
            for (nuint d = 0; d < (nuint)HeadDim; d += PackedChunk)
            {
                Vector256.LoadUnsafe(ref query, d).StoreUnsafe(ref target, d * (nuint)stackHeads);
            }
        }
    }

    /// <summary>
    /// Keys per turn when a group's heads past its whole packed stacks score beside them: the packed kernel takes a turn's
    /// keys into L1, and the remaining heads score them there before the next turn.
    /// </summary>
    private const int PackedTurnKeys = 32;

    /// <summary>
    /// The first <paramref name="heads"/> stacked heads of <paramref name="streams"/> streams (queries, packed queries, key
    /// slices and score rows a stream apart) against <paramref name="count"/> keys: the whole stacks from the packed
    /// queries, and the heads past them (1 to 3, as in groups of 5 to 7) through the unpacked kernel on the same turn of
    /// keys, so K is read from memory once. A key's score does not depend on the turn it lands in.
    /// </summary>
    /// <remarks>
    /// Scoring the heads past the stacks in a second pass over every key read K twice, and `H12 kv2 q1 kv1000 D128` (a
    /// group of 6, its 1 MB of K from L3) cost as much as `H16 kv2`. Turns took 0.89–0.93× the time there, 0.90–0.94× with
    /// groups of 7, and groups of 8 (unchanged code) 1.02×; turns of 16 and 64 keys timed as 32 within noise (Zen 5, 3 to 4
    /// alternating rounds).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ScoreKeysPackedAndRest(ref float queryHeads, ref float packed, ref float keyHeads, int count, ref float scoreRows, int streams, int heads)
    {
        if (heads <= PackedHeads)
        {
            // The whole stacks of every stream in one call, which takes the streams in turns itself.
            ScoreKeysPacked512(ref packed, ref keyHeads, count, ref scoreRows, streams);
            return;
        }

        int streamWidth = StackedHeads * HeadDim;
        int streamScores = StackedHeads * TShape.ScoreStride;
        for (int first = 0, keys; first < count; first += keys)
        {
            keys = KeysInTurn(first, count, PackedTurnKeys);
            ref float keyBlock = ref Unsafe.Add(ref keyHeads, (nint)first * KvWidth);
            ScoreKeysPacked512(ref packed, ref keyBlock, keys, ref Unsafe.Add(ref scoreRows, first), streams);
            for (int stream = 0; stream < streams; stream++)
            {
                ScoreKeysUnpacked(
                    ref Unsafe.Add(ref queryHeads, (stream * streamWidth) + (PackedHeads * HeadDim)), ref Unsafe.Add(ref keyBlock, stream * HeadDim), keys,
                    ref Unsafe.Add(ref scoreRows, (stream * streamScores) + (PackedHeads * TShape.ScoreStride) + first), heads - PackedHeads);
            }
        }
    }

    /// <summary>
    /// The whole packed stacks of <paramref name="streams"/> key/value streams (each stream's queries, key slice and score
    /// rows a stream apart) against eight keys at a time, or four when there are fewer than eight, the last block sliding
    /// back to end on the last key. Each block of keys is scored for every stream in turn, so the cache's rows are read
    /// whole and in order (see <see cref="AttendStreamsInTurn"/>). A key's score does not depend on the block it lands in,
    /// so the slide and a call cut into streams or rows give the same bits.
    /// </summary>
    /// <remarks>
    /// <para>One call takes the whole row: a call per stream and turn of 8 keys spent as much on entering the kernel and folding
    /// as on its 128 multiply-adds.</para>
    /// <para>Asking for the keys ahead did not pay, unlike the weigh kernel's value rows (<see cref="ValueRowsAhead"/>):
    /// each stream asking for its slice of the rows 8 to 64 keys on took 1.11–1.21× the time on `H32 kv8 q1 kv1024 D64`
    /// (4 MB from L3) and 1.04–1.11× on `H32 kv8 q1 kv4096 D128` (32 MB from DRAM), hints into L2 or L3 no better (Zen 5,
    /// calls alternating in one process). On the 4 MB row, a bare read of the bytes in this kernel's order (each stream's
    /// slice of 8 rows in turn) ran at 0.87–0.93× a sequential read of them (76–80 GB/s in that harness), and in the
    /// weigh kernel's order (turns of 64 rows) at 0.81–0.89×, while this kernel read its 2 MB at about 57 GB/s and the
    /// weigh kernel at about 61 (37 and 34 µs of the row's 78): most of what the row loses to its read is the overlap of
    /// its multiply-adds with it, whose time at the FMA peak is about the read's.</para>
    /// </remarks>
    [MethodImpl(Kernel)]
    private static unsafe void ScoreKeysPacked512(ref float packed, ref float keys, int count, ref float scores, int streams)
    {
        // Pinned for the broadcast loads, which take a pointer.
        fixed (float* keyStart = &keys)
        {
            if (count >= 8)
            {
                ScorePackedKeys<Count8>(ref packed, keyStart, count, ref scores, streams);
            }
            else
            {
                ScorePackedKeys<Count4>(ref packed, keyStart, count, ref scores, streams);
            }
        }
    }

    /// <summary><see cref="ScoreKeysPacked512"/> in blocks of <typeparamref name="TKeys"/> keys.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void ScorePackedKeys<TKeys>(ref float packed, float* keyStart, int count, ref float scores, int streams)
        where TKeys : struct, IStaticCount
    {
        int stacks = StackedHeads / PackedStackHeads;
        int units = streams * stacks;
        for (int first = 0; first < count; first += TKeys.Value)
        {
            int j = Math.Min(first, count - TKeys.Value);
            for (int unit = 0; unit < units; unit++)
            {
                int stream = unit / stacks;
                ScorePackedBlock<TKeys>(
                    ref Unsafe.Add(ref packed, stream * StackedHeads * HeadDim), keyStart + ((nint)j * KvWidth) + (stream * HeadDim), j, unit - (stream * stacks),
                    ref Unsafe.Add(ref scores, stream * StackedHeads * TShape.ScoreStride));
            }
        }
    }

    /// <summary>
    /// One packed stack of a group's four heads against keys <paramref name="j"/> … + <typeparamref name="TKeys"/> − 1
    /// (4 or 8), two accumulators per key: heads 0 and 1 in one, heads 2 and 3 in the other, one head per 256-bit half.
    /// </summary>
    /// <remarks>
    /// <para>Each step broadcasts eight elements of a key into both halves of a vector and multiplies them by the same eight
    /// elements of two heads' queries, once for heads 0 and 1 and once for heads 2 and 3: two multiply-adds per broadcast
    /// load. With one head per 128-bit block (a four-element broadcast per multiply-add), the loads bound the loop: a bare
    /// loop of that form ran at 150 GFLOP/s against 205 for this one, of a 229 peak (Zen 5). Whole calls took 0.89–0.94×
    /// the time on `decode H32 kv8 q1 kv128 D64` (from L2) and 0.88× on MQA `H8 kv1 q1 kv2048 D128`; the 1,024-key row,
    /// whose 4 MB come from L3, and the decoder benchmark's heads of 32 timed the same within noise (Zen 5, 4 to 8
    /// alternating rounds). The broadcasts are Avx512DQ's, which every machine with accelerated Vector512 has.</para>
    /// <para>Folding a key's two accumulators into one vector whose block h holds head h's four partial sums takes 2
    /// shuffles and an add (<see cref="HeadBlocks"/>); four keys then take 6 shuffles and 3 adds for the stack's 16
    /// scores, where vectors along the head dimension (<see cref="ScoreStack"/>) take 30 shuffles and 15 adds.</para>
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void ScorePackedBlock<TKeys>(ref float packed, float* block, int j, int stack, ref float scores)
        where TKeys : struct, IStaticCount
    {
        bool eightKeys = TKeys.Value == 8;
        Vector512<float> a0 = Vector512<float>.Zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        Vector512<float> b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0, b5 = a0, b6 = a0, b7 = a0;
        ref float stackQueries = ref Unsafe.Add(ref packed, stack * PackedStackHeads * HeadDim);
        // Heads 2 and 3 from their own base, so both query loads take the scaled index straight (one base and an offset
        // had the JIT compute the address with an extra instruction per step).
        ref float highQueries = ref Unsafe.Add(ref stackQueries, 2 * PackedChunk);
        // One byte index for all: the key chunk at block + x, its queries at stackQueries + 4x, a scale an address can
        // carry, so the loop's integer work is the index step, the compare and the branch. The broadcasts take a pointer:
        // Vector512.Create over a loaded Vector256 compiles to a load and an insert. Not Avx512F's double* overload
        // (vbroadcastf64x4): .NET 10's JIT encodes its short displacements in units of 16 bytes where the CPU reads units
        // of 32, so keys 256 bytes apart (heads of 32, two key/value heads) were read from twice as far.
        for (nint x = 0; x < HeadDim * sizeof(float); x += PackedChunk * sizeof(float))
        {
            var low = Vector512.LoadUnsafe(ref Unsafe.AddByteOffset(ref stackQueries, x * PackedStackHeads));
            var high = Vector512.LoadUnsafe(ref Unsafe.AddByteOffset(ref highQueries, x * PackedStackHeads));
            float* keyChunk = (float*)((byte*)block + x);
            ScoreKeyChunk(keyChunk, low, high, ref a0, ref b0);
            ScoreKeyChunk(keyChunk + KvWidth, low, high, ref a1, ref b1);
            ScoreKeyChunk(keyChunk + (2 * KvWidth), low, high, ref a2, ref b2);
            ScoreKeyChunk(keyChunk + (3 * KvWidth), low, high, ref a3, ref b3);
            if (eightKeys)
            {
                ScoreKeyChunk(keyChunk + (4 * KvWidth), low, high, ref a4, ref b4);
                ScoreKeyChunk(keyChunk + (5 * KvWidth), low, high, ref a5, ref b5);
                ScoreKeyChunk(keyChunk + (6 * KvWidth), low, high, ref a6, ref b6);
                ScoreKeyChunk(keyChunk + (7 * KvWidth), low, high, ref a7, ref b7);
            }
        }

        // Block h of a fold holds head h's scores for four keys.
        ref float stackScores = ref Unsafe.Add(ref scores, (stack * PackedStackHeads * TShape.ScoreStride) + j);
        var firstFour = HorizontalSum.OfFour(HeadBlocks(a0, b0), HeadBlocks(a1, b1), HeadBlocks(a2, b2), HeadBlocks(a3, b3));
        StorePerBlock<Vector512Width, Vector512<float>>(firstFour * TShape.Scale, ref stackScores, PackedStackHeads);
        if (eightKeys)
        {
            var nextFour = HorizontalSum.OfFour(HeadBlocks(a4, b4), HeadBlocks(a5, b5), HeadBlocks(a6, b6), HeadBlocks(a7, b7));
            StorePerBlock<Vector512Width, Vector512<float>>(nextFour * TShape.Scale, ref Unsafe.Add(ref stackScores, 4), PackedStackHeads);
        }
    }

    /// <summary>
    /// Eight elements of a key, broadcast into both halves of a vector (one load), times the same elements of heads 0 and 1
    /// (<paramref name="low"/>) and of heads 2 and 3 (<paramref name="high"/>), added to the key's two accumulators.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void ScoreKeyChunk(float* keyChunk, Vector512<float> low, Vector512<float> high, ref Vector512<float> firstPair, ref Vector512<float> secondPair)
    {
        var key = Avx512DQ.BroadcastVector256ToVector512(keyChunk);
        firstPair = Vector512.MultiplyAddEstimate(key, low, firstPair);
        secondPair = Vector512.MultiplyAddEstimate(key, high, secondPair);
    }

    /// <summary>
    /// One key's packed sums (<paramref name="firstPair"/>: heads 0 and 1, a head per 256-bit half; <paramref name="secondPair"/>:
    /// heads 2 and 3) as one vector whose 128-bit block h holds head h's four partial sums: each half's two blocks added.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> HeadBlocks(Vector512<float> firstPair, Vector512<float> secondPair) =>
        Avx512F.Shuffle4x128(firstPair, secondPair, 0b10_00_10_00) + Avx512F.Shuffle4x128(firstPair, secondPair, 0b11_01_11_01);

    /// <summary>
    /// Block h of <paramref name="sums"/>, for h below <paramref name="blocks"/> (a constant at each call), to score row h
    /// (ScoreStride apart) from <paramref name="scores"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StorePerBlock<TWidth, TVector>(TVector sums, ref float scores, int blocks)
        where TWidth : struct, IVectorWidth<TVector>
        where TVector : struct
    {
        TWidth.Block128(sums, 0).StoreUnsafe(ref scores);
        if (blocks >= 2) TWidth.Block128(sums, 1).StoreUnsafe(ref scores, (nuint)TShape.ScoreStride);
        if (blocks >= 3) TWidth.Block128(sums, 2).StoreUnsafe(ref scores, (nuint)(2 * TShape.ScoreStride));
        if (blocks >= 4) TWidth.Block128(sums, 3).StoreUnsafe(ref scores, (nuint)(3 * TShape.ScoreStride));
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

    /// <summary>
    /// The heads take turns on each block of <see cref="KeyBlock"/> keys while it is in L1. With enough keys every block
    /// is full: the last one slides back to end on the last key and rescores a few.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScoreKeysHeadByHead(ref float queries, ref float keys, int count, ref float scores, int heads)
    {
        int blockCount = Math.Min(KeyBlock, count);
        for (int first = 0; first < count; first += KeyBlock)
        {
            int start = Math.Min(first, count - blockCount);
            ref float block = ref Unsafe.Add(ref keys, (nint)start * KvWidth);
            for (int head = 0; head < heads; head++)
            {
                RowKernels<HeadRow>.Dot(
                    ref Unsafe.Add(ref queries, head * HeadDim),
                    ref Unsafe.Add(ref block, Grouped ? 0 : head * HeadDim),
                    blockCount,
                    TShape.Scale,
                    ref Unsafe.Add(ref scores, head * TShape.ScoreStride + start));
            }
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
