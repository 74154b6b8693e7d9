using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using AttentionGen.Threading;

namespace AttentionGen.Kernels.Attention;

/// <summary>
/// <c>softmax(Q·Kᵀ·Scale [softcap] [+ mask] [causal])·V</c> for one attention core, specialized on
/// <typeparamref name="TShape"/>. Each call runs tiled or row by row as <see cref="AttentionPaths.Choose"/> estimates
/// cheaper from its lengths: long calls fill register tiles, while a decode step or a short call goes row by row, where
/// packing the keys, padding them to panels and redoing a sliding tile's rows would cost more than tiles save.
/// </summary>
/// <typeparam name="TShape">The generated shape; every member is a JIT-time constant.</typeparam>
public static class AttentionCore<TShape>
    where TShape : struct, IAttentionShape
{
    /// <summary>Floats of score scratch a caller provides: <c>ScoreRows × ScoreStride</c>.</summary>
    public static int ScoreScratchLength => TShape.ScoreRows * TShape.ScoreStride;

    /// <summary>
    /// Floats of Kᵀ panel scratch a caller provides: <c>ScoreStride × HeadDim</c>, twice that where this machine's tile may
    /// gather each head's value rows there too (narrower than AVX-512's; on AVX-512, heads of 8 or wider than 128), 0
    /// without tiles.
    /// </summary>
    public static int KeyPanelScratchLength =>
        TShape.PanelKeys512 > 0 || TShape.HasTile256 || TShape.HasTile128
            ? TiledAttention<TShape>.PanelFloats * (TiledAttention<TShape>.GathersValuesOn(TileWidth) ? 2 : 1)
            : 0;

    /// <summary>
    /// Attends. <paramref name="query"/> and <paramref name="output"/> hold [seqLen, Heads·HeadDim],
    /// <paramref name="key"/> and <paramref name="value"/> [kvSeqLen, KvHeads·HeadDim], and
    /// <paramref name="additiveMask"/> is empty or [seqLen, kvSeqLen]. The caller has checked every length and that
    /// <paramref name="output"/> overlaps no input; <paramref name="scores"/> and <paramref name="keyPanels"/> are
    /// 64-byte aligned scratch of <see cref="ScoreScratchLength"/> and <see cref="KeyPanelScratchLength"/> floats.
    /// </summary>
    /// <remarks>
    /// NaN and infinities follow one rule on every path (tiled, online, row by row, any vector width), per (query row,
    /// head): a row whose visible scores (after softcap and mask) contain a NaN comes out NaN in every element; a row
    /// that sees no key (causal with more queries than keys, or every visible key masked with −∞) comes out zeros; a −∞
    /// score hides its key, and a +∞ score makes the row NaN (∞ − ∞ in the softmax), as IEEE arithmetic in the float64
    /// reference does. Keys a causal row cannot see never reach its scores, so a NaN in such a key leaves the row exact.
    /// A NaN or infinite value, though, can meet a row that does not see its key as 0 · value in a tile's weighted sum
    /// (and does meet every row so in the reference), so what it does to rows that cannot see its key is not defined.
    /// </remarks>
    public static void Attend(
        ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, ReadOnlySpan<float> additiveMask,
        Span<float> output, int seqLen, int kvSeqLen, Span<float> scores, Span<float> keyPanels)
    {
        // The cost model weighs the widest accelerated tile (if the shape has one) against rows. Everything but the two
        // lengths is a constant here, so the estimate folds to a few multiplications, and the JIT keeps only the tile
        // branch of this machine's widest vector.
        AttentionPath path = AttentionPaths.Choose(
            TShape.Heads, TShape.KvHeads, TShape.HeadDim, TShape.IsCausal, TShape.OnlineChunk, seqLen, kvSeqLen,
            AttentionPaths.MachineTile<TShape>(), AttentionPaths.MachineRowKernel);
        if (path >= AttentionPath.Tiled)
        {
            int threads = Parallelism.MaxThreads;
            if (threads > 1 && TiledWork(seqLen, kvSeqLen) >= Parallelism.MinimumParallelWork && TileWidth > 0)
            {
                AttendInParallel(query, key, value, additiveMask, output, seqLen, kvSeqLen, scores, keyPanels, threads);
                return;
            }

            if (Vector512.IsHardwareAccelerated && TShape.PanelKeys512 > 0)
            {
                TiledAttention<TShape>.Attend512(query, key, value, additiveMask, output, seqLen, kvSeqLen, scores, keyPanels);
                return;
            }

            if (Vector256.IsHardwareAccelerated && TShape.HasTile256)
            {
                TiledAttention<TShape>.Attend256(query, key, value, additiveMask, output, seqLen, kvSeqLen, scores, keyPanels);
                return;
            }

            if (Vector128.IsHardwareAccelerated && TShape.HasTile128)
            {
                TiledAttention<TShape>.Attend128(query, key, value, additiveMask, output, seqLen, kvSeqLen, scores, keyPanels);
                return;
            }
        }

        if (Parallelism.MaxThreads > 1 && TiledWork(seqLen, kvSeqLen) >= Parallelism.MinimumParallelRowWork)
        {
            if (RowAttention<TShape>.Streams * seqLen > 1)
            {
                AttendRowsInParallel(query, key, value, additiveMask, output, seqLen, kvSeqLen, scores, Parallelism.MaxThreads);
                return;
            }

            if (RowAttention<TShape>.HeadPairs > 1)
            {
                AttendHeadsInParallel(query, key, value, additiveMask, output, seqLen, kvSeqLen, scores, Parallelism.MaxThreads);
                return;
            }
        }

        RowAttention<TShape>.Attend(query, key, value, additiveMask, output, seqLen, kvSeqLen, scores);
    }

    /// <summary>This machine's tile for the shape, as the serial dispatch above picks it: 512, 256, 128, or 0 for none.</summary>
    private static int TileWidth =>
        Vector512.IsHardwareAccelerated && TShape.PanelKeys512 > 0 ? 512
        : Vector256.IsHardwareAccelerated && TShape.HasTile256 ? 256
        : Vector128.IsHardwareAccelerated && TShape.HasTile128 ? 128
        : 0;

    /// <summary>Multiply-adds of a call (QKᵀ and P·V; half of them under a causal mask), to weigh against a job's cost.</summary>
    private static long TiledWork(int seqLen, int kvSeqLen) =>
        2L * TShape.Heads * seqLen * kvSeqLen * TShape.HeadDim / (TShape.IsCausal ? 2 : 1);

    /// <summary>
    /// The tiled path split into units of (key/value head × range of query tiles) on the worker pool: a unit per head
    /// when there are enough heads to go round, else each head's whole tiles cut into a few ranges. A unit packs its head's
    /// Kᵀ into its own panels (so a head split in k ranges packs it k times, a small cost next to its tiles) and scores
    /// into its own block: the caller's scratch for the caller, the pool's for a worker.
    /// </summary>
    private static unsafe void AttendInParallel(
        ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, ReadOnlySpan<float> additiveMask,
        Span<float> output, int seqLen, int kvSeqLen, Span<float> scores, Span<float> keyPanels, int threads)
    {
        int tileRows = TileWidth == 128 ? TiledAttention<TShape>.Rows128 : TileWidth == 256 ? TiledAttention<TShape>.Rows256 : TiledAttention<TShape>.Rows512;
        RunUnits(&AttendUnit, query, key, value, additiveMask, output, seqLen, kvSeqLen, scores, keyPanels,
            TShape.KvHeads, TiledAttention<TShape>.WholeTiles(seqLen, tileRows), threads, KeyPanelScratchLength);
    }

    /// <summary>
    /// Pins the call's spans and runs <paramref name="unit"/> over (stream × range of the query axis's
    /// <paramref name="queryUnits"/>) units on the pool. Workers get score scratch plus <paramref name="extraWorkerScratch"/> floats.
    /// </summary>
    private static unsafe void RunUnits(
        delegate*<void*, int, int, void> unit, ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value,
        ReadOnlySpan<float> additiveMask, Span<float> output, int seqLen, int kvSeqLen, Span<float> scores, Span<float> keyPanels,
        int streams, int queryUnits, int threads, int extraWorkerScratch, int unitsPerThread = 2)
    {
        // About two units per thread, so a thread that finishes early (causal heads are uneven) takes another.
        int rangesPerStream = Math.Clamp((unitsPerThread * threads + streams - 1) / streams, 1, queryUnits);
        int scoreFloats = (ScoreScratchLength + 15) & ~15;
        fixed (float* q = query)
        fixed (float* k = key)
        fixed (float* v = value)
        fixed (float* mask = additiveMask)
        fixed (float* o = output)
        fixed (float* s = scores)
        fixed (float* panels = keyPanels)
        {
            var call = new AttentionCall(
                q, query.Length, k, key.Length, v, value.Length, mask, additiveMask.Length, o, output.Length,
                seqLen, kvSeqLen, s, panels, scoreFloats, queryUnits, rangesPerStream);
            WorkerPool.Run(unit, &call, streams * rangesPerStream, threads, scoreFloats + extraWorkerScratch);
        }
    }

    private static unsafe void AttendUnit(void* arguments, int unit, int participant)
    {
        ref readonly AttentionCall call = ref *(AttentionCall*)arguments;
        int kvHead = unit / call.RangesPerHead, range = unit % call.RangesPerHead;
        (int firstTile, int tileEnd) = call.Range(range);
        float* scores = participant == 0 ? call.Scores : WorkerPool.Scratch(participant);
        float* panels = participant == 0 ? call.KeyPanels : scores + call.ScoreFloats;
        var query = new ReadOnlySpan<float>(call.Query, call.QueryLength);
        var key = new ReadOnlySpan<float>(call.Key, call.KeyLength);
        var value = new ReadOnlySpan<float>(call.Value, call.ValueLength);
        var mask = new ReadOnlySpan<float>(call.Mask, call.MaskLength);
        var output = new Span<float>(call.Output, call.OutputLength);
        var scoreBlock = new Span<float>(scores, ScoreScratchLength);
        var panelBlock = new Span<float>(panels, KeyPanelScratchLength);
        switch (TileWidth)
        {
            case 512:
                TiledAttention<TShape>.AttendPart512(query, key, value, mask, output, call.SeqLen, call.KvSeqLen, scoreBlock, panelBlock, kvHead, firstTile, tileEnd);
                break;
            case 256:
                TiledAttention<TShape>.AttendPart256(query, key, value, mask, output, call.SeqLen, call.KvSeqLen, scoreBlock, panelBlock, kvHead, firstTile, tileEnd);
                break;
            default:
                TiledAttention<TShape>.AttendPart128(query, key, value, mask, output, call.SeqLen, call.KvSeqLen, scoreBlock, panelBlock, kvHead, firstTile, tileEnd);
                break;
        }
    }

    /// <summary>
    /// The row path split into units of (key/value stream × range of query rows) on the worker pool: a call of several
    /// rows splits over streams and rows, a grouped-query decode step (one row) over ranges of its streams
    /// (<see cref="AttendStreamRangeUnit"/>). A single stream and a single row (multi-head decode) splits over
    /// heads instead (<see cref="AttendHeadsInParallel"/>). Each unit scores into its own block, as in
    /// <see cref="AttendInParallel"/>.
    /// </summary>
    private static unsafe void AttendRowsInParallel(
        ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, ReadOnlySpan<float> additiveMask,
        Span<float> output, int seqLen, int kvSeqLen, Span<float> scores, int threads)
    {
        if (seqLen == 1)
        {
            RunUnits(&AttendStreamRangeUnit, query, key, value, additiveMask, output, seqLen, kvSeqLen, scores, default,
                1, RowAttention<TShape>.Streams, threads, 0, unitsPerThread: 1);
            return;
        }

        RunUnits(&AttendRowsUnit, query, key, value, additiveMask, output, seqLen, kvSeqLen, scores, default,
            RowAttention<TShape>.Streams, seqLen, threads, 0);
    }

    /// <summary>
    /// A grouped-query decode step (one row, several key/value streams) split into one contiguous range of streams per
    /// thread, each range taking its streams in turns as one thread takes them all
    /// (<see cref="RowAttention{TShape}.AttendPart(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, Span{float}, int, int, int, int)"/>),
    /// so each thread reads its streams' slices of a cache row side by side, in order.
    /// </summary>
    /// <remarks>
    /// A unit per stream read one HeadDim slice of each key/value row a whole row apart, the pattern that stops hardware
    /// prefetchers at every page (see <c>RowAttention.AttendStreamsInTurn</c>). Two threads on `H32 kv8 q1 kv4096 D128`
    /// (32 MB, from DRAM) took 0.87–0.96× the time with two ranges of four streams, against a unit per stream, and 0.93–1.07×
    /// on `H32 kv8 q1 kv1024 D64` (4 MB, from L3); two ranges per thread were no better (Zen 5, a harness alternating the
    /// splits call by call, 4 to 9 runs each, on a busy host). The streams' work is equal, so equal ranges finish together.
    /// </remarks>
    private static unsafe void AttendStreamRangeUnit(void* arguments, int unit, int participant)
    {
        ref readonly AttentionCall call = ref *(AttentionCall*)arguments;
        (int firstStream, int streamEnd) = call.Range(unit);
        AttendRowPart(in call, participant, firstStream, streamEnd, 0, 1, 0, RowAttention<TShape>.StackedHeads);
    }

    private static unsafe void AttendRowsUnit(void* arguments, int unit, int participant)
    {
        ref readonly AttentionCall call = ref *(AttentionCall*)arguments;
        int stream = unit / call.RangesPerHead;
        (int firstRow, int rowEnd) = call.Range(unit % call.RangesPerHead);
        AttendRowPart(in call, participant, stream, stream + 1, firstRow, rowEnd, 0, RowAttention<TShape>.StackedHeads);
    }

    /// <summary>
    /// A multi-head decode step (one stream of every head, one row) split into ranges of heads on the worker pool, one
    /// range per thread: its heads cost the same, so equal ranges finish together, where a range more would leave one
    /// thread a range behind. A range is whole pairs of heads (<see cref="RowAttention{TShape}.HeadPairs"/>).
    /// </summary>
    private static unsafe void AttendHeadsInParallel(
        ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, ReadOnlySpan<float> additiveMask,
        Span<float> output, int seqLen, int kvSeqLen, Span<float> scores, int threads)
    {
        RunUnits(&AttendHeadsUnit, query, key, value, additiveMask, output, seqLen, kvSeqLen, scores, default,
            1, RowAttention<TShape>.HeadPairs, threads, 0, unitsPerThread: 1);
    }

    private static unsafe void AttendHeadsUnit(void* arguments, int unit, int participant)
    {
        ref readonly AttentionCall call = ref *(AttentionCall*)arguments;
        (int firstPair, int pairEnd) = call.Range(unit);
        AttendRowPart(in call, participant, 0, 1, 0, call.SeqLen, 2 * firstPair, Math.Min(2 * pairEnd, TShape.Heads));
    }

    /// <summary>
    /// One row-path unit: <see cref="RowAttention{TShape}.AttendPart(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, Span{float}, int, int, int, int, int, int)"/>
    /// over the split call's inputs, scoring into the participant's own block.
    /// </summary>
    private static unsafe void AttendRowPart(in AttentionCall call, int participant, int firstStream, int streamEnd, int firstRow, int rowEnd, int firstHead, int headEnd)
    {
        float* scores = participant == 0 ? call.Scores : WorkerPool.Scratch(participant);
        RowAttention<TShape>.AttendPart(
            new ReadOnlySpan<float>(call.Query, call.QueryLength), new ReadOnlySpan<float>(call.Key, call.KeyLength),
            new ReadOnlySpan<float>(call.Value, call.ValueLength), new ReadOnlySpan<float>(call.Mask, call.MaskLength),
            new Span<float>(call.Output, call.OutputLength), call.SeqLen, call.KvSeqLen, new Span<float>(scores, ScoreScratchLength),
            firstStream, streamEnd, firstRow, rowEnd, firstHead, headEnd);
    }

    /// <summary>How many keys query row <paramref name="row"/> may see: all, or causal and bottom-right aligned.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int Visible(int row, int seqLen, int kvSeqLen) =>
        TShape.IsCausal ? Math.Min(kvSeqLen, row + kvSeqLen - seqLen + 1) : kvSeqLen;

    /// <summary>A split attention call's arguments, on the caller's stack while the pool runs its units.</summary>
    private readonly unsafe struct AttentionCall(
        float* query, int queryLength, float* key, int keyLength, float* value, int valueLength, float* mask, int maskLength,
        float* output, int outputLength, int seqLen, int kvSeqLen, float* scores, float* keyPanels, int scoreFloats, int queryUnits, int rangesPerHead)
    {
        public readonly float* Query = query;
        public readonly int QueryLength = queryLength;
        public readonly float* Key = key;
        public readonly int KeyLength = keyLength;
        public readonly float* Value = value;
        public readonly int ValueLength = valueLength;
        public readonly float* Mask = mask;
        public readonly int MaskLength = maskLength;
        public readonly float* Output = output;
        public readonly int OutputLength = outputLength;
        public readonly int SeqLen = seqLen;
        public readonly int KvSeqLen = kvSeqLen;
        public readonly float* Scores = scores;
        public readonly float* KeyPanels = keyPanels;
        public readonly int ScoreFloats = scoreFloats;
        /// <summary>What a head's query axis is cut in: whole tiles (tiled path) or rows (row path).</summary>
        public readonly int QueryUnits = queryUnits;
        public readonly int RangesPerHead = rangesPerHead;

        /// <summary>Range <paramref name="range"/> of the <see cref="RangesPerHead"/> equal ranges <see cref="QueryUnits"/> is cut in.</summary>
        public (int First, int End) Range(int range) =>
            ((int)((long)QueryUnits * range / RangesPerHead), (int)((long)QueryUnits * (range + 1) / RangesPerHead));
    }
}
