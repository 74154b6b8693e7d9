using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace AttentionGen.Kernels.Attention;

/// <summary>
/// The tiled attention path (prefill): per key/value head, Kᵀ packed once into panels, then register tiles of
/// (query row, head) pairs: a QKᵀ tile into the score block, the rows' softmax, a P·V tile into the output.
/// </summary>
/// <remarks>
/// One driver (<see cref="AttendInTiles{TTile, TLeadingTile}"/>) does the head/tile walk, the causal bookkeeping and the softmax, and
/// one generic tile (<see cref="Tile{TWidth, TVector, TLayout}"/>) the register blocks, for every width. What is per
/// width is only the tile's layout, because the register budget sets it (AVX-512's 32 registers hold 6×4
/// accumulators, 4 key vectors and a broadcast; AVX2's and SSE's 16 hold 6×2 and 4×2): see <see cref="Layout512{TValueRows}"/>,
/// <see cref="Layout256"/>, <see cref="Layout128"/>.
/// </remarks>
internal static class TiledAttention<TShape>
    where TShape : struct, IAttentionShape
{
    private const float Log2E = 1.44269504f;

    /// <summary>Pairs per Vector512 tile.</summary>
    public const int Rows512 = 6;

    /// <summary>Pairs per Vector512 leading tile (see <see cref="Layout512Leading{TValueRows}"/>).</summary>
    public const int LeadingRows512 = 4;

    /// <summary>
    /// Rows of the tile that takes the pairs before a Vector512 call's whole tiles, when they fit it: the leading tile's,
    /// but for heads of 8, whose two keys per vector are weighed six rows at a time only.
    /// </summary>
    public static int LeadingTileRows512 =>
        TakesLead<Tile<Vector512Width, Vector512<float>, Layout512<ValuesInPlace>>, Tile<Vector512Width, Vector512<float>, Layout512Leading<ValuesInPlace>>>() ? LeadingRows512 : Rows512;

    /// <summary>
    /// Whether <typeparamref name="TLeadingTile"/> takes the pairs before <typeparamref name="TTile"/>'s whole tiles when
    /// they fit it: it is shorter, it reads the values as the whole tiles left them (gathered or not), and it does not
    /// weigh two keys per vector (heads of 8), which is written for six rows only.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TakesLead<TTile, TLeadingTile>()
        where TTile : struct, ITile
        where TLeadingTile : struct, ITile =>
        TLeadingTile.Rows < TTile.Rows && TLeadingTile.GathersValues == TTile.GathersValues && !TLeadingTile.PairsKeys;

    /// <summary>Pairs per Vector256 tile.</summary>
    public const int Rows256 = 6;

    /// <summary>Pairs per Vector128 tile.</summary>
    public const int Rows128 = 4;

    // Forced inline: the kernels' inlining budget is spent on their register blocks, and a call left in a P·V loop
    // spilled every accumulator (seen in the JIT listing).
    private static int HeadsPerKvHead
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => TShape.Heads / TShape.KvHeads;
    }

    private static int QueryWidth
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => TShape.Heads * TShape.HeadDim;
    }

    private static int KvWidth
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => TShape.KvHeads * TShape.HeadDim;
    }

    /// <summary>
    /// Attention on the Vector512 tile. As <see cref="AttentionCore{TShape}.Attend"/>, and besides: the shape plans this
    /// tile, and the call has at least <see cref="Rows512"/> (query row, head) pairs per key/value head.
    /// </summary>
    public static void Attend512(ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, ReadOnlySpan<float> additiveMask, Span<float> output, int seqLen, int kvSeqLen, Span<float> scores, Span<float> keyPanels) =>
        AttendPart512(query, key, value, additiveMask, output, seqLen, kvSeqLen, scores, keyPanels, 0, TShape.KvHeads, 0, int.MaxValue);

    /// <summary>
    /// <see cref="Attend512"/> for key/value head <paramref name="kvHead"/> only, and of its tiles only
    /// [<paramref name="firstTile"/>, <paramref name="tileEnd"/>) (see <see cref="AttendInTiles{TTile, TLeadingTile}"/>): one unit of a split call.
    /// </summary>
    public static void AttendPart512(ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, ReadOnlySpan<float> additiveMask, Span<float> output, int seqLen, int kvSeqLen, Span<float> scores, Span<float> keyPanels, int kvHead, int firstTile, int tileEnd) =>
        AttendPart512(query, key, value, additiveMask, output, seqLen, kvSeqLen, scores, keyPanels, kvHead, kvHead + 1, firstTile, tileEnd);

    /// <summary>
    /// The Vector512 tiles over key/value heads [<paramref name="firstKvHead"/>, <paramref name="kvHeadEnd"/>), with each
    /// head's value rows gathered first where that pays (<see cref="GathersValues512"/>).
    /// </summary>
    private static void AttendPart512(ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, ReadOnlySpan<float> additiveMask, Span<float> output, int seqLen, int kvSeqLen, Span<float> scores, Span<float> keyPanels, int firstKvHead, int kvHeadEnd, int firstTile, int tileEnd)
    {
        if (GathersValues512(seqLen))
        {
            AttendInTiles<Tile<Vector512Width, Vector512<float>, Layout512<GatheredValues>>, Tile<Vector512Width, Vector512<float>, Layout512Leading<GatheredValues>>>(query, key, value, additiveMask, output, seqLen, kvSeqLen, scores, keyPanels, firstKvHead, kvHeadEnd, firstTile, tileEnd);
        }
        else
        {
            AttendInTiles<Tile<Vector512Width, Vector512<float>, Layout512<ValuesInPlace>>, Tile<Vector512Width, Vector512<float>, Layout512Leading<ValuesInPlace>>>(query, key, value, additiveMask, output, seqLen, kvSeqLen, scores, keyPanels, firstKvHead, kvHeadEnd, firstTile, tileEnd);
        }
    }

    /// <summary>
    /// Whether a Vector512 call of <paramref name="seqLen"/> query rows gathers each head's value rows side by side before
    /// its tiles (see <see cref="ITile.GathersValues"/>): for heads wider than 128, whose P·V reads each value row once per
    /// block of 64 columns (three or more times), in calls with enough tiles per key/value head to repay the copy.
    /// </summary>
    /// <remarks>
    /// Zen 5 (EPYC family 26 model 2), one thread, builds alternating, medians, gathered time over in-place time:
    /// `sdpa H8 S333 D256` 0.955, `H5 S333 D256` 0.976, `H4 S500 D192` 0.973, causal `H8 q100 kv1000 D192` 0.89–0.90,
    /// cross `H8 q48 kv1000 D256` 0.90–0.93, `q24` even (1.04 by the medians, 1.00 by the minima), `q12` 1.09–1.14 slower:
    /// hence the floor of 32 pairs. Heads of 72–128 (two blocks) gained 0–2% and some causal rows lost as much, so they read
    /// in place. The gathered rows are the same values, so the results are the same bits either way.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool GathersValues512(int seqLen) => MayGatherValues512 && seqLen * HeadsPerKvHead >= GatherFromPairs512;

    /// <summary>Whether any call of this shape gathers on the Vector512 tile (see <see cref="GathersValues512"/>): its heads are wider than 128.</summary>
    private static bool MayGatherValues512
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => TShape.HeadDim > GatherAboveHeadDim512;
    }

    /// <summary>
    /// Attention on the Vector256 tile. As <see cref="AttentionCore{TShape}.Attend"/>, and besides: the shape plans this
    /// tile, and the call has at least <see cref="Rows256"/> (query row, head) pairs per key/value head.
    /// </summary>
    public static void Attend256(ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, ReadOnlySpan<float> additiveMask, Span<float> output, int seqLen, int kvSeqLen, Span<float> scores, Span<float> keyPanels) =>
        AttendInTiles<Tile<Vector256Width, Vector256<float>, Layout256>, Tile<Vector256Width, Vector256<float>, Layout256>>(query, key, value, additiveMask, output, seqLen, kvSeqLen, scores, keyPanels, 0, TShape.KvHeads, 0, int.MaxValue);

    /// <summary>
    /// <see cref="Attend256"/> for key/value head <paramref name="kvHead"/> only, and of its tiles only
    /// [<paramref name="firstTile"/>, <paramref name="tileEnd"/>) (see <see cref="AttendInTiles{TTile, TLeadingTile}"/>): one unit of a split call.
    /// </summary>
    public static void AttendPart256(ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, ReadOnlySpan<float> additiveMask, Span<float> output, int seqLen, int kvSeqLen, Span<float> scores, Span<float> keyPanels, int kvHead, int firstTile, int tileEnd) =>
        AttendInTiles<Tile<Vector256Width, Vector256<float>, Layout256>, Tile<Vector256Width, Vector256<float>, Layout256>>(query, key, value, additiveMask, output, seqLen, kvSeqLen, scores, keyPanels, kvHead, kvHead + 1, firstTile, tileEnd);

    /// <summary>
    /// Attention on the Vector128 tile. As <see cref="AttentionCore{TShape}.Attend"/>, and besides: the shape plans this
    /// tile, and the call has at least <see cref="Rows128"/> (query row, head) pairs per key/value head.
    /// </summary>
    public static void Attend128(ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, ReadOnlySpan<float> additiveMask, Span<float> output, int seqLen, int kvSeqLen, Span<float> scores, Span<float> keyPanels) =>
        AttendInTiles<Tile<Vector128Width, Vector128<float>, Layout128>, Tile<Vector128Width, Vector128<float>, Layout128>>(query, key, value, additiveMask, output, seqLen, kvSeqLen, scores, keyPanels, 0, TShape.KvHeads, 0, int.MaxValue);

    /// <summary>
    /// <see cref="Attend128"/> for key/value head <paramref name="kvHead"/> only, and of its tiles only
    /// [<paramref name="firstTile"/>, <paramref name="tileEnd"/>) (see <see cref="AttendInTiles{TTile, TLeadingTile}"/>): one unit of a split call.
    /// </summary>
    public static void AttendPart128(ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, ReadOnlySpan<float> additiveMask, Span<float> output, int seqLen, int kvSeqLen, Span<float> scores, Span<float> keyPanels, int kvHead, int firstTile, int tileEnd) =>
        AttendInTiles<Tile<Vector128Width, Vector128<float>, Layout128>, Tile<Vector128Width, Vector128<float>, Layout128>>(query, key, value, additiveMask, output, seqLen, kvSeqLen, scores, keyPanels, kvHead, kvHead + 1, firstTile, tileEnd);

    /// <summary>Floats of the Kᵀ panels at the start of the panel scratch: <c>ScoreStride × HeadDim</c>.</summary>
    internal static int PanelFloats => TShape.ScoreStride * TShape.HeadDim;

    /// <summary>
    /// Value rows at most this many floats apart (256 bytes) are not gathered: successive keys' lines already spread over
    /// a quarter of the L1's sets, and the copy cost more than it saved (sdpa H4 S32 D16 on AVX2: 5.5 → 5.6 µs).
    /// </summary>
    private const int GatherAboveKvWidth = 64;

    /// <summary>Heads up to this wide are not gathered on the Vector512 tile (see <see cref="GathersValues512"/>).</summary>
    private const int GatherAboveHeadDim512 = 128;

    /// <summary>(Query row, head) pairs per key/value head from which a Vector512 call gathers (see <see cref="GathersValues512"/>).</summary>
    private const int GatherFromPairs512 = 32;

    /// <summary>Whether a call on the tile of <paramref name="tileWidth"/> bits may gather each head's value rows (see <see cref="ITile.GathersValues"/>).</summary>
    internal static bool GathersValuesOn(int tileWidth) => tileWidth switch
    {
        512 => MayGatherValues512
            ? Tile<Vector512Width, Vector512<float>, Layout512<GatheredValues>>.GathersValues
            : Tile<Vector512Width, Vector512<float>, Layout512<ValuesInPlace>>.GathersValues,
        256 => Tile<Vector256Width, Vector256<float>, Layout256>.GathersValues,
        128 => Tile<Vector128Width, Vector128<float>, Layout128>.GathersValues,
        _ => false,
    };

    /// <summary>
    /// Copies <paramref name="rows"/> rows of one head (HeadDim floats each, KvWidth apart) to <paramref name="destination"/>,
    /// side by side, a whole row at a time.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void GatherRows(ref float source, int rows, ref float destination)
    {
        uint rowBytes = (uint)(TShape.HeadDim * sizeof(float));
        for (int j = 0; j < rows; j++)
        {
            Unsafe.CopyBlockUnaligned(
                ref Unsafe.As<float, byte>(ref Unsafe.Add(ref destination, (nint)j * TShape.HeadDim)),
                ref Unsafe.As<float, byte>(ref Unsafe.Add(ref source, (nint)j * KvWidth)),
                rowBytes);
        }
    }

    /// <summary>Whole tiles per key/value head for a call of <paramref name="seqLen"/> rows on tiles of <paramref name="tileRows"/> pairs.</summary>
    public static int WholeTiles(int seqLen, int tileRows) => seqLen * HeadsPerKvHead / tileRows;

    /// <summary>
    /// Per key/value head, Kᵀ is packed once into panels of <c>TTile.PanelKeys</c> keys; then the pairs that use this
    /// head go through <c>TTile.Rows</c> at a time: a QKᵀ tile into the score block, a softmax per row, and a P·V tile
    /// into the output.
    /// </summary>
    /// <remarks>
    /// Heads [<paramref name="firstKvHead"/>, <paramref name="kvHeadEnd"/>) and, within each, whole tiles
    /// [<paramref name="firstTile"/>, <paramref name="tileEnd"/>). Whole tiles end on the last pair; the pairs before them
    /// (fewer than a tile) take one more tile that starts at pair 0 and overlaps the first whole tile, redoing a few rows
    /// rather than needing a kernel per row count: at the start because under a causal mask the first rows see the fewest
    /// keys, so what it redoes is cheapest there. That leading tile is <typeparamref name="TLeadingTile"/> when the pairs fit
    /// it (AVX-512's four-row tile, see <see cref="Layout512Leading{TValueRows}"/>), else a whole one; and when the leading pairs and
    /// the first whole tile's make exactly two leading tiles (<see cref="AttentionPaths.LeadsTwice"/>), a second one takes
    /// the first whole tile's place and nothing is redone. The range that starts at the first whole tile also takes the
    /// leading tile, before it, so overlapping rows are always written by one thread in the single-thread order. Every
    /// tile sees the same rows as in the full walk, and a row's results do not depend on the rows beside it in its tile,
    /// so a split call gives the same bits.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AttendInTiles<TTile, TLeadingTile>(ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, ReadOnlySpan<float> additiveMask, Span<float> output, int seqLen, int kvSeqLen, Span<float> scores, Span<float> keyPanels, int firstKvHead, int kvHeadEnd, int firstTile, int tileEnd)
        where TTile : struct, ITile
        where TLeadingTile : struct, ITile
    {
        ref float queryStart = ref MemoryMarshal.GetReference(query);
        ref float keyStart = ref MemoryMarshal.GetReference(key);
        ref float valueStart = ref MemoryMarshal.GetReference(value);
        ref float outputStart = ref MemoryMarshal.GetReference(output);
        ref float panels = ref MemoryMarshal.GetReference(keyPanels);
        ref float scoreBlock = ref MemoryMarshal.GetReference(scores);
        TileState state = default;

        // A tile's rows are (query row, head) pairs that share one key/value head, so grouped heads read K and V once.
        int pairs = seqLen * HeadsPerKvHead;
        Debug.Assert(pairs >= TTile.Rows, "Fewer pairs than a tile: the leading tile would reach past the last row.");
        // The two-pass softmax keeps scores in base 2 (times log₂e) where nothing needs them as they are (no mask or
        // softcap), so its exp needs no scaling of its own. Either scale is folded into the packed keys.
        bool base2 = TShape.OnlineChunk == 0 && !AttentionScores<TShape>.NeedsPreparation(additiveMask);
        float scoreScale = base2 ? TShape.Scale * Log2E : TShape.Scale;
        int wholeTiles = pairs / TTile.Rows;
        int leadingPairs = pairs - wholeTiles * TTile.Rows;
        int firstTileIndex = firstTile == 0 && leadingPairs > 0 ? -1 : firstTile;
        int tileIndexEnd = Math.Min(tileEnd, wholeTiles);
        bool shortLead = leadingPairs <= TLeadingTile.Rows && TakesLead<TTile, TLeadingTile>();
        bool secondLead = shortLead && AttentionPaths.LeadsTwice(leadingPairs, TTile.Rows, TLeadingTile.Rows);
        for (int kvHead = firstKvHead; kvHead < kvHeadEnd; kvHead++)
        {
            // Kᵀ in panels: for each head dimension, the keys' values side by side, so one vector load feeds a whole
            // panel's dot products. Keys past kvSeqLen in the last panel are zeros.
            PanelPacking.PackTransposedUnchecked(ref Unsafe.Add(ref keyStart, kvHead * TShape.HeadDim), KvWidth, kvSeqLen, TShape.HeadDim, TTile.PanelKeys, scoreScale, ref panels);
            ref float valueHead = ref Unsafe.Add(ref valueStart, kvHead * TShape.HeadDim);
            if (TTile.GathersValues)
            {
                // The head's value rows side by side after the panels (see ITile.GathersValues).
                ref float gathered = ref Unsafe.Add(ref panels, PanelFloats);
                if (TTile.PairsKeys)
                {
                    KeyPairValues.Interleave(ref valueHead, kvSeqLen, KvWidth, ref gathered);
                }
                else
                {
                    GatherRows(ref valueHead, kvSeqLen, ref gathered);
                }

                valueHead = ref gathered;
            }

            for (int tile = firstTileIndex; tile < tileIndexEnd; tile++)
            {
                // Tile −1 is the leading one, from pair 0 over the first whole tile's first rows; with a second leading
                // tile, that one takes the first whole tile's place, right after the first.
                if ((tile < 0 && shortLead) || (tile == 0 && secondLead))
                {
                    AttendTile<TLeadingTile>(ref queryStart, ref outputStart, ref panels, ref valueHead, ref scoreBlock, additiveMask, kvHead, tile < 0 ? 0 : TLeadingTile.Rows, seqLen, kvSeqLen, base2, ref state);
                    continue;
                }

                AttendTile<TTile>(ref queryStart, ref outputStart, ref panels, ref valueHead, ref scoreBlock, additiveMask, kvHead, tile < 0 ? 0 : leadingPairs + tile * TTile.Rows, seqLen, kvSeqLen, base2, ref state);
            }
        }
    }

    /// <summary>The per-row values a tile keeps between its kernels, in the driver's frame rather than on the heap.</summary>
    private struct TileState
    {
        public TileRows<int> Offsets;
        public TileRows<float> RunningMax;
        public TileRows<float> RunningSum;
        public TileRows<float> Rescale;
        public TileMaxes RowMaxes;
    }

    /// <summary>
    /// One tile of <typeparamref name="TTile"/>: the pairs of <paramref name="kvHead"/> from <paramref name="tileStart"/>,
    /// scored, softmaxed and weighed into their output rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AttendTile<TTile>(ref float queryStart, ref float outputStart, ref float panels, ref float valueHead, ref float scoreBlock, ReadOnlySpan<float> additiveMask, int kvHead, int tileStart, int seqLen, int kvSeqLen, bool base2, ref TileState state)
        where TTile : struct, ITile
    {
        ref TileRows<int> offsets = ref state.Offsets;
        ref TileRows<float> runningMax = ref state.RunningMax, runningSum = ref state.RunningSum, rescale = ref state.Rescale;
        // The kernels take each array from its first row (see TileRows for why not ref offsets[0]).
        ref int firstOffset = ref Unsafe.As<TileRows<int>, int>(ref offsets);
        ref float firstRescale = ref Unsafe.As<TileRows<float>, float>(ref rescale);
        ref float rowMaxes = ref Unsafe.As<TileMaxes, float>(ref state.RowMaxes);
        for (int r = 0; r < TTile.Rows; r++)
        {
            offsets[r] = PairOffset(kvHead, tileStart + r);
        }

        // The tile's last pair has its highest query row, so it sees the most keys: causal tiles never score keys
        // past the diagonal, and a tile that sees nothing only clears its output rows.
        int visibleInTile = AttentionCore<TShape>.Visible((tileStart + TTile.Rows - 1) / HeadsPerKvHead, seqLen, kvSeqLen);
        if (TShape.IsCausal && visibleInTile <= 0)
        {
            for (int r = 0; r < TTile.Rows; r++)
            {
                MemoryMarshal.CreateSpan(ref Unsafe.Add(ref outputStart, offsets[r]), TShape.HeadDim).Clear();
            }

            return;
        }

        if (TShape.OnlineChunk > 0)
        {
            // Online softmax: keys in chunks of OnlineChunk, each row keeping a running max and sum, so a chunk's
            // scores stay in L1 however long the key range is. The output rows hold the running weighted sums.
            for (int r = 0; r < TTile.Rows; r++)
            {
                runningMax[r] = float.NegativeInfinity;
                runningSum[r] = 0;
            }

            for (int chunkStart = 0; chunkStart < visibleInTile; chunkStart += TShape.OnlineChunk)
            {
                int chunkKeys = Math.Min(TShape.OnlineChunk, visibleInTile - chunkStart);
                TTile.Score(ref queryStart, ref firstOffset, ref Unsafe.Add(ref panels, chunkStart * TShape.HeadDim), chunkKeys, ref scoreBlock, 0, ref rowMaxes);
                for (int r = 0; r < TTile.Rows; r++)
                {
                    int row = (tileStart + r) / HeadsPerKvHead;
                    int visible = AttentionCore<TShape>.Visible(row, seqLen, kvSeqLen);
                    rescale[r] = AttentionScores<TShape>.SoftmaxChunkRow(
                        ref Unsafe.Add(ref scoreBlock, r * TShape.ScoreStride), chunkKeys, Math.Clamp(visible - chunkStart, 0, chunkKeys), chunkStart,
                        AttentionScores<TShape>.MaskRow(additiveMask, row, kvSeqLen), ref runningMax[r], ref runningSum[r]);
                }

                TTile.Weigh(ref scoreBlock, chunkKeys, ref Unsafe.Add(ref valueHead, (nint)chunkStart * TTile.ValueStride), ref firstRescale, chunkStart > 0, false, ref outputStart, ref firstOffset);
            }

            // Divide by the sums at the end; a row that saw no key has a sum of 0 and stays all zeros, and a row
            // that met a NaN score has a NaN sum, which keeps it NaN.
            for (int r = 0; r < TTile.Rows; r++)
            {
                float sum = runningSum[r];
                ElementwiseKernels.Multiply(MemoryMarshal.CreateSpan(ref Unsafe.Add(ref outputStart, offsets[r]), TShape.HeadDim), sum == 0 ? 0 : 1 / sum);
            }

            return;
        }

        if (base2)
        {
            // Score keeps each row's maximum over the panels every row of the tile sees whole, and Weigh divides
            // by the sums, so the weights are not scaled in a pass of their own.
            int firstRowVisible = Math.Max(AttentionCore<TShape>.Visible(tileStart / HeadsPerKvHead, seqLen, kvSeqLen), 0);
            int maxPanels = TTile.KeepsRowMaxes ? firstRowVisible / TTile.PanelKeys : 0;
            TTile.Score(ref queryStart, ref firstOffset, ref panels, visibleInTile, ref scoreBlock, maxPanels, ref rowMaxes);
            TTile.SoftmaxBase2(ref scoreBlock, tileStart, visibleInTile, maxPanels, firstRowVisible, seqLen, kvSeqLen, ref rowMaxes, ref firstRescale);
            TTile.Weigh(ref scoreBlock, visibleInTile, ref valueHead, ref firstRescale, false, true, ref outputStart, ref firstOffset);
            return;
        }

        TTile.Score(ref queryStart, ref firstOffset, ref panels, visibleInTile, ref scoreBlock, 0, ref rowMaxes);
        if (TTile.SoftmaxSixRowsInLockstep)
        {
            SoftmaxSixRows(ref scoreBlock, tileStart, visibleInTile, additiveMask, seqLen, kvSeqLen);
        }
        else
        {
            for (int r = 0; r < TTile.Rows; r++)
            {
                int row = (tileStart + r) / HeadsPerKvHead;
                AttentionScores<TShape>.SoftmaxRow(
                    ref Unsafe.Add(ref scoreBlock, r * TShape.ScoreStride), visibleInTile, AttentionCore<TShape>.Visible(row, seqLen, kvSeqLen),
                    AttentionScores<TShape>.MaskRow(additiveMask, row, kvSeqLen));
            }
        }

        TTile.Weigh(ref scoreBlock, visibleInTile, ref valueHead, ref firstRescale, false, false, ref outputStart, ref firstOffset);
    }

    /// <summary>
    /// The AVX-512 tile's six score rows: softcap and mask row by row, then the six softmaxes in lockstep, because each
    /// alone is a chain of dependent steps too short to fill the core.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SoftmaxSixRows(ref float scoreBlock, int tileStart, int visibleInTile, ReadOnlySpan<float> additiveMask, int seqLen, int kvSeqLen)
    {
        if (AttentionScores<TShape>.NeedsPreparation(additiveMask))
        {
            for (int r = 0; r < Rows512; r++)
            {
                int row = (tileStart + r) / HeadsPerKvHead;
                AttentionScores<TShape>.Prepare(
                    ref Unsafe.Add(ref scoreBlock, r * TShape.ScoreStride), AttentionCore<TShape>.Visible(row, seqLen, kvSeqLen), 0,
                    AttentionScores<TShape>.MaskRow(additiveMask, row, kvSeqLen));
            }
        }

        SoftmaxKernels.SoftmaxPrefixSixRows(
            ref scoreBlock, TShape.ScoreStride, (visibleInTile + 15) & ~15,
            AttentionCore<TShape>.Visible(tileStart / HeadsPerKvHead, seqLen, kvSeqLen),
            AttentionCore<TShape>.Visible((tileStart + 1) / HeadsPerKvHead, seqLen, kvSeqLen),
            AttentionCore<TShape>.Visible((tileStart + 2) / HeadsPerKvHead, seqLen, kvSeqLen),
            AttentionCore<TShape>.Visible((tileStart + 3) / HeadsPerKvHead, seqLen, kvSeqLen),
            AttentionCore<TShape>.Visible((tileStart + 4) / HeadsPerKvHead, seqLen, kvSeqLen),
            AttentionCore<TShape>.Visible((tileStart + 5) / HeadsPerKvHead, seqLen, kvSeqLen));
    }

    /// <summary>
    /// A tile's score rows in base 2 (Q·K times Scale·log₂e): each row's maximum (from the lanes Score left in
    /// <paramref name="rowMaxes"/> over the first <paramref name="maxedVectors"/> vectors, and the visible lanes after
    /// them), then 2^(score − maximum) in place, 0 in hidden lanes, and each row's reciprocal sum in
    /// <paramref name="reciprocals"/> for Weigh to scale the row's output by. Hidden lanes are masked only from
    /// <paramref name="unmaskedVectors"/> on: every row sees the vectors before it whole.
    /// </summary>
    /// <remarks>
    /// <typeparamref name="TGroup"/> rows at a time (see <see cref="Base2Rows"/>): AVX-512 takes a whole tile, six rows
    /// (four for the Vector128 tile), whose independent chains keep the core busy in its 32 registers. A row of a short
    /// call is a few vectors, so each group's maxima and sums, folded across lanes, are chains of dependent steps as long
    /// as its powers; six rows at once overlap six of them, where two groups of three ran the second's after the first's
    /// (Zen 5: softmax 9.4% → 8.4% of `sdpa H8 S128`, mha S32 8.2 → 8.0 µs). AVX2 and SSE take 1: exp's temporaries and
    /// constants fill their 16 registers already (2 rows spilled more and timed the same), and one row's vectors are
    /// independent too.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)] // once per tile: keep the caller small
    private static void SoftmaxBase2<TWidth, TVector, TGroup>(ref float scoreBlock, int rows, int tileStart, int visibleInTile, int maxedVectors, int unmaskedVectors, int seqLen, int kvSeqLen, ref float rowMaxes, ref float reciprocals)
        where TWidth : struct, IVectorWidth<TVector>
        where TVector : struct
        where TGroup : struct, IStaticCount
    {
        nint length = (visibleInTile + TWidth.Count - 1) & ~(TWidth.Count - 1);
        if (TGroup.Value > 1)
        {
            // The whole tile in one group: no loop around it, whose twelve live counts and references spilled.
            Debug.Assert(TGroup.Value == rows, "A group of several rows is the whole tile.");
            Base2Rows<TWidth, TVector, TGroup>(
                ref scoreBlock, length, maxedVectors * TWidth.Count, unmaskedVectors * TWidth.Count, ref rowMaxes, ref reciprocals,
                RowVisible(0), RowVisible(1), RowVisible(2), RowVisible(3), TGroup.Value > 4 ? RowVisible(4) : 0, TGroup.Value > 5 ? RowVisible(5) : 0);
            return;
        }

        for (int r = 0; r < rows; r++)
        {
            Base2Rows<TWidth, TVector, TGroup>(
                ref Unsafe.Add(ref scoreBlock, r * TShape.ScoreStride), length, maxedVectors * TWidth.Count, unmaskedVectors * TWidth.Count,
                ref Unsafe.Add(ref rowMaxes, r * TWidth.Count), ref Unsafe.Add(ref reciprocals, r), RowVisible(r), 0, 0, 0, 0, 0);
        }

        int RowVisible(int r) => AttentionCore<TShape>.Visible((tileStart + r) / HeadsPerKvHead, seqLen, kvSeqLen);
    }

    /// <summary>
    /// <see cref="SoftmaxBase2"/> for the <typeparamref name="TGroup"/> (1 to 6) rows from <paramref name="row0"/>, which
    /// see <paramref name="visible0"/> to <paramref name="visible5"/> keys (the counts of rows past the group unused).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Base2Rows<TWidth, TVector, TGroup>(ref float row0, nint length, nint maxedEnd, nint unmaskedEnd, ref float rowMaxes, ref float reciprocals, int visible0, int visible1, int visible2, int visible3, int visible4, int visible5)
        where TWidth : struct, IVectorWidth<TVector>
        where TVector : struct
        where TGroup : struct, IStaticCount
    {
        ref float row1 = ref Unsafe.Add(ref row0, TShape.ScoreStride);
        ref float row2 = ref Unsafe.Add(ref row0, 2 * TShape.ScoreStride);
        ref float row3 = ref Unsafe.Add(ref row0, 3 * TShape.ScoreStride);
        ref float row4 = ref Unsafe.Add(ref row0, 4 * TShape.ScoreStride);
        ref float row5 = ref Unsafe.Add(ref row0, 5 * TShape.ScoreStride);
        TVector hidden = TWidth.Create(float.NegativeInfinity);
        TVector limit0 = TWidth.Create(visible0), limit1 = TWidth.Create(visible1), limit2 = TWidth.Create(visible2);
        TVector limit3 = TWidth.Create(visible3), limit4 = TWidth.Create(visible4), limit5 = TWidth.Create(visible5);

        // The lanes past what Score took into the maxima; hidden ones (index ≥ visible) read as −∞.
        TVector m0 = hidden, m1 = hidden, m2 = hidden, m3 = hidden, m4 = hidden, m5 = hidden;
        if (maxedEnd > 0)
        {
            m0 = TWidth.Load(ref rowMaxes, 0);
            if (TGroup.Value > 1) m1 = TWidth.Load(ref rowMaxes, (nuint)TWidth.Count);
            if (TGroup.Value > 2) m2 = TWidth.Load(ref rowMaxes, (nuint)(2 * TWidth.Count));
            if (TGroup.Value > 3) m3 = TWidth.Load(ref rowMaxes, (nuint)(3 * TWidth.Count));
            if (TGroup.Value > 4) m4 = TWidth.Load(ref rowMaxes, (nuint)(4 * TWidth.Count));
            if (TGroup.Value > 5) m5 = TWidth.Load(ref rowMaxes, (nuint)(5 * TWidth.Count));
        }

        TVector index = TWidth.Add(TWidth.Indices, TWidth.Create(maxedEnd));
        for (nint i = maxedEnd; i < length; i += TWidth.Count, index = TWidth.Add(index, TWidth.Create(TWidth.Count)))
        {
            m0 = MaxVisible(m0, ref row0, i, index, limit0);
            if (TGroup.Value > 1) m1 = MaxVisible(m1, ref row1, i, index, limit1);
            if (TGroup.Value > 2) m2 = MaxVisible(m2, ref row2, i, index, limit2);
            if (TGroup.Value > 3) m3 = MaxVisible(m3, ref row3, i, index, limit3);
            if (TGroup.Value > 4) m4 = MaxVisible(m4, ref row4, i, index, limit4);
            if (TGroup.Value > 5) m5 = MaxVisible(m5, ref row5, i, index, limit5);
        }

        // score − maximum as score + (−maximum): the same IEEE result.
        TVector shift0 = NegatedShift(m0);
        TVector shift1 = TGroup.Value > 1 ? NegatedShift(m1) : TWidth.Zero, shift2 = TGroup.Value > 2 ? NegatedShift(m2) : TWidth.Zero;
        TVector shift3 = TGroup.Value > 3 ? NegatedShift(m3) : TWidth.Zero, shift4 = TGroup.Value > 4 ? NegatedShift(m4) : TWidth.Zero;
        TVector shift5 = TGroup.Value > 5 ? NegatedShift(m5) : TWidth.Zero;
        TVector s0 = TWidth.Zero, s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0;
        nint j = 0;
        for (; j < unmaskedEnd; j += TWidth.Count)
        {
            s0 = TWidth.Add(s0, PowerInPlace(ref row0, j, shift0));
            if (TGroup.Value > 1) s1 = TWidth.Add(s1, PowerInPlace(ref row1, j, shift1));
            if (TGroup.Value > 2) s2 = TWidth.Add(s2, PowerInPlace(ref row2, j, shift2));
            if (TGroup.Value > 3) s3 = TWidth.Add(s3, PowerInPlace(ref row3, j, shift3));
            if (TGroup.Value > 4) s4 = TWidth.Add(s4, PowerInPlace(ref row4, j, shift4));
            if (TGroup.Value > 5) s5 = TWidth.Add(s5, PowerInPlace(ref row5, j, shift5));
        }

        // Hidden lanes enter as −∞, whose 2^x is exactly 0.
        index = TWidth.Add(TWidth.Indices, TWidth.Create(j));
        for (; j < length; j += TWidth.Count, index = TWidth.Add(index, TWidth.Create(TWidth.Count)))
        {
            s0 = TWidth.Add(s0, MaskedPowerInPlace(ref row0, j, shift0, index, limit0));
            if (TGroup.Value > 1) s1 = TWidth.Add(s1, MaskedPowerInPlace(ref row1, j, shift1, index, limit1));
            if (TGroup.Value > 2) s2 = TWidth.Add(s2, MaskedPowerInPlace(ref row2, j, shift2, index, limit2));
            if (TGroup.Value > 3) s3 = TWidth.Add(s3, MaskedPowerInPlace(ref row3, j, shift3, index, limit3));
            if (TGroup.Value > 4) s4 = TWidth.Add(s4, MaskedPowerInPlace(ref row4, j, shift4, index, limit4));
            if (TGroup.Value > 5) s5 = TWidth.Add(s5, MaskedPowerInPlace(ref row5, j, shift5, index, limit5));
        }

        reciprocals = Reciprocal(s0);
        if (TGroup.Value > 1) Unsafe.Add(ref reciprocals, 1) = Reciprocal(s1);
        if (TGroup.Value > 2) Unsafe.Add(ref reciprocals, 2) = Reciprocal(s2);
        if (TGroup.Value > 3) Unsafe.Add(ref reciprocals, 3) = Reciprocal(s3);
        if (TGroup.Value > 4) Unsafe.Add(ref reciprocals, 4) = Reciprocal(s4);
        if (TGroup.Value > 5) Unsafe.Add(ref reciprocals, 5) = Reciprocal(s5);

        // The running maximum with a row's vector at i, its lanes at index ≥ limit (the row's visible count) as −∞. Lane
        // indices are compared as floats, exact below 2²⁴ keys.
        static TVector MaxVisible(TVector max, ref float row, nint i, TVector index, TVector limit) =>
            TWidth.MaxNative(max, TWidth.ConditionalSelect(TWidth.LessThan(index, limit), TWidth.Load(ref row, (nuint)i), TWidth.Create(float.NegativeInfinity)));

        // 2^(score − maximum) of a row's vector at j, stored back in place; returned for the sum.
        static TVector PowerInPlace(ref float row, nint j, TVector shift)
        {
            TVector power = VectorMath.Exp2OfNonPositive<TWidth, TVector>(TWidth.Add(TWidth.Load(ref row, (nuint)j), shift));
            TWidth.Store(power, ref row, (nuint)j);
            return power;
        }

        // As PowerInPlace, with lanes at index ≥ limit as −∞ (so 0).
        static TVector MaskedPowerInPlace(ref float row, nint j, TVector shift, TVector index, TVector limit)
        {
            TVector shifted = TWidth.ConditionalSelect(
                TWidth.LessThan(index, limit), TWidth.Add(TWidth.Load(ref row, (nuint)j), shift), TWidth.Create(float.NegativeInfinity));
            TVector power = VectorMath.Exp2OfNonPositive<TWidth, TVector>(shifted);
            TWidth.Store(power, ref row, (nuint)j);
            return power;
        }

        // A row with nothing visible (or only −∞) has maximum −∞; shifting by 0 instead keeps its exps at 0 rather than NaN.
        static TVector NegatedShift(TVector max)
        {
            float rowMax = TWidth.MaxNativeAcross(max);
            return TWidth.Create(float.IsNegativeInfinity(rowMax) ? 0f : -rowMax);
        }

        // A row with nothing visible sums to 0 and its output stays zeros; a NaN sum (a NaN score) must stay NaN, not become 0.
        static float Reciprocal(TVector sum)
        {
            float total = TWidth.PairwiseSum(sum);
            return total == 0f ? 0f : 1f / total;
        }
    }

    /// <summary>Pair <paramref name="pair"/> of <paramref name="kvHead"/> is query row pair / HeadsPerKvHead of head kvHead·HeadsPerKvHead + pair % HeadsPerKvHead.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int PairOffset(int kvHead, int pair) =>
        pair / HeadsPerKvHead * QueryWidth + (kvHead * HeadsPerKvHead + pair % HeadsPerKvHead) * TShape.HeadDim;

    /// <summary>One width's register tiles, for <see cref="AttendInTiles{TTile, TLeadingTile}"/>.</summary>
    private interface ITile
    {
        /// <summary>Pairs per tile.</summary>
        static abstract int Rows { get; }

        /// <summary>Keys per packed Kᵀ panel.</summary>
        static abstract int PanelKeys { get; }

        /// <summary>Whether the six score rows go through <see cref="SoftmaxSixRows"/> (AVX-512) rather than one by one.</summary>
        static abstract bool SoftmaxSixRowsInLockstep { get; }

        /// <summary>
        /// Whether each head's value rows are first copied side by side after the Kᵀ panels, so P·V reads them HeadDim
        /// apart rather than KvWidth apart. The narrow tiles' P·V blocks read one line of each value row per key; KvWidth
        /// apart (3 KB in a 12-head layer) those lines fall in a few L1 sets and kept missing: Zen 4's AVX2 P·V ran at 70% of
        /// the FMA peak beside QKᵀ's 84%. AVX-512's blocks read whole 256-byte rows, which stream as they are, but once per
        /// block of 64 columns: a head wider than 128 reads each value row three times or more, and from rows KvWidth apart
        /// (8 KB at 8 heads of 256) the later passes missed L2 as well. Its calls gather when they have tiles enough to
        /// repay the copy (see <see cref="GathersValues512"/>).
        /// </summary>
        static abstract bool GathersValues { get; }

        /// <summary>Floats from one value row to the next as Weigh reads them: HeadDim when gathered, else KvWidth.</summary>
        static abstract int ValueStride { get; }

        /// <summary>
        /// Whether P·V weighs two keys per vector (<see cref="KeyPairValues"/>): a head of 8 floats on the Vector512 tile,
        /// whose value rows are gathered two keys to a vector, interleaved.
        /// </summary>
        static abstract bool PairsKeys { get; }

        /// <summary>
        /// <c>scores[r, j] = q_r·(scale · k_j)</c> for the tile's rows (query rows at <paramref name="offsets"/>) against
        /// the first <paramref name="keys"/> keys, the panels holding the keys already scaled. A last, partial panel scores
        /// only the vectors it needs: on a causal diagonal that saves up to half of its work.
        /// </summary>
        /// <remarks>
        /// The first <paramref name="maxPanels"/> whole panels also leave each row's running maximum, lane by lane, in
        /// <paramref name="rowMaxes"/> (one vector per row).
        /// </remarks>
        static abstract void Score(ref float queryStart, ref int offsets, ref float panels, int keys, ref float scores, int maxPanels, ref float rowMaxes);

        /// <summary>Whether Score keeps each row's lane maxima for the base-2 softmax (see <see cref="SoftmaxBase2"/>), or the softmax takes them itself.</summary>
        static abstract bool KeepsRowMaxes { get; }

        /// <summary>
        /// The tile's score rows, in base 2, through <see cref="SoftmaxBase2"/>: <paramref name="maxPanels"/> as Score took
        /// (whole panels whose maxima it kept), <paramref name="firstRowVisible"/> the keys the tile's first row sees.
        /// </summary>
        static abstract void SoftmaxBase2(ref float scoreBlock, int tileStart, int visibleInTile, int maxPanels, int firstRowVisible, int seqLen, int kvSeqLen, ref float rowMaxes, ref float reciprocals);

        /// <summary>
        /// <c>o_r = Σ_j p[r, j] · v_j</c> over the first <paramref name="count"/> keys, for the output rows at
        /// <paramref name="offsets"/>. With <paramref name="accumulate"/> (online softmax, after the first chunk), each row
        /// first takes what earlier chunks summed into it, times <c>rescale[r]</c>.
        /// </summary>
        static abstract void Weigh(ref float probabilities, int count, ref float values, ref float rescale, bool accumulate, bool normalize, ref float outputStart, ref int offsets);
    }

    /// <summary>
    /// One value per row of the tallest tile, kept in the driver's frame rather than on the heap. The kernels take the first
    /// row's by <c>Unsafe.As</c>, not <c>ref rows[0]</c>: the compiler's helper for that index (and a helper of our own,
    /// even marked for inlining) stayed a call in the tile driver, whose inlining budget the tile kernels use up (0.4–0.7%
    /// of `mha S32`'s samples).
    /// </summary>
    [InlineArray(Rows512)]
    private struct TileRows<T>
    {
        private T _element;
    }

    /// <summary>One Vector512 of lane-wise maxima per row of the tallest tile (see <see cref="ITile.Score"/>).</summary>
    [InlineArray(Rows512 * 16)]
    private struct TileMaxes
    {
        private float _element;
    }

    /// <summary>Where a Vector512 tile reads a head's value rows: in place, or gathered side by side after the Kᵀ panels.</summary>
    private interface IValueRows
    {
        /// <summary>Whether the rows are gathered (see <see cref="ITile.GathersValues"/>).</summary>
        static abstract bool Gathered { get; }
    }

    /// <inheritdoc cref="IValueRows"/>
    private struct ValuesInPlace : IValueRows
    {
        public static bool Gathered => false;
    }

    /// <inheritdoc cref="IValueRows"/>
    private struct GatheredValues : IValueRows
    {
        public static bool Gathered => true;
    }

    /// <summary>The register budget's choices for one width's tile.</summary>
    private interface ITileLayout
    {
        /// <summary>Pairs per tile (4 or 6).</summary>
        static abstract int Rows { get; }

        /// <summary>Keys per packed Kᵀ panel: 1 to 4 key vectors.</summary>
        static abstract int PanelKeys { get; }

        /// <summary>Output vectors per P·V block (1 to 4).</summary>
        static abstract int OutputVectors { get; }

        /// <inheritdoc cref="ITile.SoftmaxSixRowsInLockstep"/>
        static abstract bool SoftmaxSixRowsInLockstep { get; }

        /// <summary>Score rows the base-2 softmax takes at once (see <see cref="SoftmaxBase2"/>): 1, or all <see cref="Rows"/> (4 or 6).</summary>
        static abstract int Base2RowsAtOnce { get; }

        /// <inheritdoc cref="ITile.GathersValues"/>
        static abstract bool GathersValues { get; }
    }

    /// <summary>
    /// AVX-512: 6 pairs × 1–4 key vectors (QKᵀ) and 6 pairs × 4 output vectors (P·V). Its 32 registers hold the 24
    /// accumulators beside the 4 key (or value) vectors and a broadcast.
    /// </summary>
    private struct Layout512<TValueRows> : ITileLayout
        where TValueRows : struct, IValueRows
    {
        public static int Rows => Rows512;

        public static int PanelKeys
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            get => TShape.PanelKeys512;
        }

        public static int OutputVectors => 4;

        public static bool SoftmaxSixRowsInLockstep => true;

        public static int Base2RowsAtOnce => 6;

        public static bool GathersValues
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            get => TValueRows.Gathered;
        }
    }

    /// <summary>
    /// AVX-512's leading tile: 4 pairs × the same key vectors and 4 output vectors, for the pairs before a call's whole
    /// six-row tiles when they are four or fewer. A six-row tile there redid up to five rows of the first whole tile; at 128
    /// rows (21 whole tiles and 2 pairs) it cost as much as any whole tile, a twenty-second of the call (`sdpa H8 S128 D64`,
    /// 128 rows timed 4–5% above 126 on Zen 5). Four rows × 4 vectors is 16 accumulators, still enough independent chains
    /// to keep both FMA pipes busy, for two thirds of the work. Two leading pairs take two of these tiles in place of the
    /// first whole one (2 + 6 = 4 + 4), so no row is redone: on Zen 5, 12 alternating process pairs, `sdpa H8 S128 D64`
    /// took 0.7% less time by the medians (1.8% by the minima) and `mha S32 dm64 H4` 4% (1.6%).
    /// </summary>
    private struct Layout512Leading<TValueRows> : ITileLayout
        where TValueRows : struct, IValueRows
    {
        public static int Rows => LeadingRows512;

        public static int PanelKeys
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            get => TShape.PanelKeys512;
        }

        public static int OutputVectors => 4;

        public static bool SoftmaxSixRowsInLockstep => false;

        public static int Base2RowsAtOnce => 4;

        public static bool GathersValues
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            get => TValueRows.Gathered;
        }
    }

    /// <summary>AVX2: 6 pairs × 2 vectors both ways. Its 16 registers hold the 12 accumulators, 2 key (or value) vectors and a broadcast.</summary>
    private struct Layout256 : ITileLayout
    {
        public static int Rows => Rows256;

        public static int PanelKeys => 2 * 8;

        public static int OutputVectors => 2;

        public static bool SoftmaxSixRowsInLockstep => false;

        public static int Base2RowsAtOnce => 1;

        public static bool GathersValues => true;
    }

    /// <summary>Vector128: 4 pairs × 2 vectors both ways, 8 accumulators in SSE's 16 registers.</summary>
    private struct Layout128 : ITileLayout
    {
        public static int Rows => Rows128;

        public static int PanelKeys => 2 * 4;

        public static int OutputVectors => 2;

        public static bool SoftmaxSixRowsInLockstep => false;

        public static int Base2RowsAtOnce => 1;

        public static bool GathersValues => true;
    }

    /// <summary>
    /// The register tiles of one width, laid out by <typeparamref name="TLayout"/>: rows past <c>TLayout.Rows</c> and
    /// vectors past a block's count are guarded by constants, so each width's copy holds exactly its accumulators.
    /// </summary>
    private struct Tile<TWidth, TVector, TLayout> : ITile
        where TWidth : struct, IVectorWidth<TVector>
        where TVector : struct
        where TLayout : struct, ITileLayout
    {
        public static int Rows
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            get => TLayout.Rows;
        }

        public static int PanelKeys
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            get => TLayout.PanelKeys;
        }

        public static bool SoftmaxSixRowsInLockstep
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            get => TLayout.SoftmaxSixRowsInLockstep;
        }

        public static bool GathersValues
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            get => (TLayout.GathersValues && KvWidth > GatherAboveKvWidth) || PairsKeys;
        }

        public static bool PairsKeys
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            get => TWidth.Count == 16 && TShape.HeadDim == KeyPairValues.HeadDim;
        }

        public static int ValueStride
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            get => GathersValues ? TShape.HeadDim : KvWidth;
        }

        /// <summary>
        /// Whether the base-2 softmax runs on Vector512 while the tile is narrower: on AVX-512 machines, heads of 4 to 15
        /// floats (but 8) take the Vector256 or Vector128 tile, whose rows of 2ⁿ, a dozen operations per score against a
        /// few multiply-adds, were 41% of `sdpa H8 S333 D8` (Zen 5) when that head took the Vector256 tile too. The score
        /// rows are whole Vector512s long (ScoreStride is a multiple of 16), and lanes past the visible keys are hidden, so
        /// the wider softmax sees the same scores; its sums add in a different order, so results may differ in the last
        /// bits from an AVX2 machine's.
        /// </summary>
        private static bool SoftmaxOn512
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            get => TWidth.Count < 16 && Vector512.IsHardwareAccelerated;
        }

        public static bool KeepsRowMaxes
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            get => !SoftmaxOn512;
        }

        private static int KeyVectors
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            get => TLayout.PanelKeys / TWidth.Count;
        }

        /// <summary>Vectors that cover a head, the last one overlapping its neighbour when the head is not whole vectors.</summary>
        private static int VectorsInHead
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            get => (TShape.HeadDim + TWidth.Count - 1) / TWidth.Count;
        }

        /// <summary>Head columns of one whole P·V block.</summary>
        private static int BlockColumns
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            get => TLayout.OutputVectors * TWidth.Count;
        }

        /// <summary>
        /// Vectors after the whole blocks that overlap nothing: 0 to OutputVectors; with an overlapping last vector at
        /// least 2 (it and the vector it overlaps), and OutputVectors + 1 when it would otherwise be alone.
        /// </summary>
        private static int TailVectors
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            get => TShape.HeadDim % TWidth.Count != 0 && VectorsInHead % TLayout.OutputVectors <= 1
                ? VectorsInHead % TLayout.OutputVectors + TLayout.OutputVectors
                : VectorsInHead % TLayout.OutputVectors;
        }

        /// <summary>Whole P·V blocks before the tail.</summary>
        private static int PlainBlocks
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            get => (VectorsInHead - TailVectors) / TLayout.OutputVectors;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Score(ref float queryStart, ref int offsets, ref float panels, int keys, ref float scores, int maxPanels, ref float rowMaxes)
        {
            ref float q0 = ref Row(ref queryStart, ref offsets, 0, 0);
            ref float q1 = ref Row(ref queryStart, ref offsets, 1, 0);
            ref float q2 = ref Row(ref queryStart, ref offsets, 2, 0);
            ref float q3 = ref Row(ref queryStart, ref offsets, 3, 0);
            ref float q4 = ref TLayout.Rows > 4 ? ref Row(ref queryStart, ref offsets, 4, 0) : ref queryStart;
            ref float q5 = ref TLayout.Rows > 5 ? ref Row(ref queryStart, ref offsets, 5, 0) : ref queryStart;
            int keyVectors = (keys + TWidth.Count - 1) / TWidth.Count;
            int fullBlocks = keyVectors / KeyVectors;
            for (int block = 0; block < fullBlocks; block++)
            {
                ScoreBlock(KeyVectors, ref q0, ref q1, ref q2, ref q3, ref q4, ref q5, ref Unsafe.Add(ref panels, block * (TShape.HeadDim * PanelKeys)), ref Unsafe.Add(ref scores, block * PanelKeys), block < maxPanels, block == 0, ref rowMaxes);
            }

            // The partial last panel: one copy of the block per vector count, so each keeps its accumulators in registers.
            int tailVectors = keyVectors % KeyVectors;
            ref float tailPanel = ref Unsafe.Add(ref panels, fullBlocks * (TShape.HeadDim * PanelKeys));
            ref float tailScores = ref Unsafe.Add(ref scores, fullBlocks * PanelKeys);
            if (KeyVectors > 1 && tailVectors == 1)
            {
                ScoreBlock(1, ref q0, ref q1, ref q2, ref q3, ref q4, ref q5, ref tailPanel, ref tailScores, false, false, ref rowMaxes);
            }
            else if (KeyVectors > 2 && tailVectors == 2)
            {
                ScoreBlock(2, ref q0, ref q1, ref q2, ref q3, ref q4, ref q5, ref tailPanel, ref tailScores, false, false, ref rowMaxes);
            }
            else if (KeyVectors > 3 && tailVectors == 3)
            {
                ScoreBlock(3, ref q0, ref q1, ref q2, ref q3, ref q4, ref q5, ref tailPanel, ref tailScores, false, false, ref rowMaxes);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void SoftmaxBase2(ref float scoreBlock, int tileStart, int visibleInTile, int maxPanels, int firstRowVisible, int seqLen, int kvSeqLen, ref float rowMaxes, ref float reciprocals)
        {
            if (SoftmaxOn512)
            {
                // Score kept no maxima (KeepsRowMaxes): the softmax takes each row's maximum itself.
                if (TLayout.Rows == 6)
                {
                    SoftmaxBase2<Vector512Width, Vector512<float>, Count6>(ref scoreBlock, TLayout.Rows, tileStart, visibleInTile, 0, firstRowVisible / 16, seqLen, kvSeqLen, ref rowMaxes, ref reciprocals);
                }
                else
                {
                    // The Vector128 tile's four rows.
                    SoftmaxBase2<Vector512Width, Vector512<float>, Count4>(ref scoreBlock, TLayout.Rows, tileStart, visibleInTile, 0, firstRowVisible / 16, seqLen, kvSeqLen, ref rowMaxes, ref reciprocals);
                }

                return;
            }

            if (TLayout.Base2RowsAtOnce == 6)
            {
                SoftmaxBase2<TWidth, TVector, Count6>(ref scoreBlock, TLayout.Rows, tileStart, visibleInTile, maxPanels * KeyVectors, firstRowVisible / TWidth.Count, seqLen, kvSeqLen, ref rowMaxes, ref reciprocals);
            }
            else if (TLayout.Base2RowsAtOnce == 4)
            {
                SoftmaxBase2<TWidth, TVector, Count4>(ref scoreBlock, TLayout.Rows, tileStart, visibleInTile, maxPanels * KeyVectors, firstRowVisible / TWidth.Count, seqLen, kvSeqLen, ref rowMaxes, ref reciprocals);
            }
            else
            {
                SoftmaxBase2<TWidth, TVector, Count1>(ref scoreBlock, TLayout.Rows, tileStart, visibleInTile, maxPanels * KeyVectors, firstRowVisible / TWidth.Count, seqLen, kvSeqLen, ref rowMaxes, ref reciprocals);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Weigh(ref float probabilities, int count, ref float values, ref float rescale, bool accumulate, bool normalize, ref float outputStart, ref int offsets)
        {
            if (PairsKeys)
            {
                KeyPairValues.WeighSixRows(ref probabilities, TShape.ScoreStride, count, ref values, ref rescale, accumulate, normalize, ref Row(ref outputStart, ref offsets, 0, 0), ref Row(ref outputStart, ref offsets, 1, 0), ref Row(ref outputStart, ref offsets, 2, 0), ref Row(ref outputStart, ref offsets, 3, 0), ref Row(ref outputStart, ref offsets, 4, 0), ref Row(ref outputStart, ref offsets, 5, 0));
                return;
            }

            Debug.Assert(TShape.HeadDim >= TWidth.Count, "A head narrower than a vector has no tile (but one of 8 floats on Vector512, which pairs keys): its last vector would reach past the head.");
            if (TShape.HeadDim == TWidth.Count && TShape.OnlineChunk == 0)
            {
                WeighOneVector(ref probabilities, count, ref values, ref rescale, normalize, ref Row(ref outputStart, ref offsets, 0, 0), ref Row(ref outputStart, ref offsets, 1, 0), ref Row(ref outputStart, ref offsets, 2, 0), ref Row(ref outputStart, ref offsets, 3, 0), ref TLayout.Rows > 4 ? ref Row(ref outputStart, ref offsets, 4, 0) : ref outputStart, ref TLayout.Rows > 5 ? ref Row(ref outputStart, ref offsets, 5, 0) : ref outputStart);
                return;
            }

            // Head columns OutputVectors vectors at a time. A head that is not whole vectors ends on a vector that
            // overlaps the one before it (starting at HeadDim − Count), so no vector reads or writes past the head. Both
            // compute the shared columns with the same arithmetic and store the same bits; but with accumulate each
            // block reads its output columns before it adds to them, so the two must sit in one block, which loads all
            // its columns before it stores any: a tail of one vector borrows a vector from the last whole block.
            // The blocks are in methods of their own, compiled apart: the JIT inlines every call site here before it
            // folds the branches on constants, and the copies of blocks no shape needs ran it out of inlining room,
            // leaving WeighBlock a call. A call per tile costs nothing beside the block's loop over the keys.
            if (PlainBlocks > 0)
            {
                WeighWholeBlocks(ref probabilities, count, ref values, ref rescale, accumulate, normalize, ref outputStart, ref offsets);
            }

            if (TailVectors > TLayout.OutputVectors)
            {
                WeighSplitTail(ref probabilities, count, ref values, ref rescale, accumulate, normalize, ref outputStart, ref offsets);
            }
            else if (TailVectors > 0)
            {
                WeighTail(ref probabilities, count, ref values, ref rescale, accumulate, normalize, ref outputStart, ref offsets);
            }
        }

        /// <summary>The head's whole P·V blocks, which overlap nothing: <see cref="PlainBlocks"/> of OutputVectors vectors.</summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void WeighWholeBlocks(ref float probabilities, int count, ref float values, ref float rescale, bool accumulate, bool normalize, ref float outputStart, ref int offsets)
        {
            // One block is written out rather than looped: a loop of one trip was kept, and its setup spilled.
            if (PlainBlocks == 1)
            {
                WeighBlock(TLayout.OutputVectors, (TLayout.OutputVectors - 1) * TWidth.Count, ref probabilities, count, ref values, ref rescale, accumulate, normalize, ref Row(ref outputStart, ref offsets, 0, 0), ref Row(ref outputStart, ref offsets, 1, 0), ref Row(ref outputStart, ref offsets, 2, 0), ref Row(ref outputStart, ref offsets, 3, 0), ref TLayout.Rows > 4 ? ref Row(ref outputStart, ref offsets, 4, 0) : ref outputStart, ref TLayout.Rows > 5 ? ref Row(ref outputStart, ref offsets, 5, 0) : ref outputStart);
                return;
            }

            for (int block = 0; block < PlainBlocks; block++)
            {
                int column = block * BlockColumns;
                WeighBlock(TLayout.OutputVectors, (TLayout.OutputVectors - 1) * TWidth.Count, ref probabilities, count, ref Unsafe.Add(ref values, column), ref rescale, accumulate, normalize, ref Row(ref outputStart, ref offsets, 0, column), ref Row(ref outputStart, ref offsets, 1, column), ref Row(ref outputStart, ref offsets, 2, column), ref Row(ref outputStart, ref offsets, 3, column), ref TLayout.Rows > 4 ? ref Row(ref outputStart, ref offsets, 4, column) : ref outputStart, ref TLayout.Rows > 5 ? ref Row(ref outputStart, ref offsets, 5, column) : ref outputStart);
            }
        }

        /// <summary>The rest of the head after the whole blocks, in one block of <see cref="TailVectors"/>, its last vector overlapping when the head is not whole vectors.</summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void WeighTail(ref float probabilities, int count, ref float values, ref float rescale, bool accumulate, bool normalize, ref float outputStart, ref int offsets)
        {
            int column = PlainBlocks * BlockColumns;
            WeighBlock(TailVectors, TShape.HeadDim - TWidth.Count - column, ref probabilities, count, ref Unsafe.Add(ref values, column), ref rescale, accumulate, normalize, ref Row(ref outputStart, ref offsets, 0, column), ref Row(ref outputStart, ref offsets, 1, column), ref Row(ref outputStart, ref offsets, 2, column), ref Row(ref outputStart, ref offsets, 3, column), ref TLayout.Rows > 4 ? ref Row(ref outputStart, ref offsets, 4, column) : ref outputStart, ref TLayout.Rows > 5 ? ref Row(ref outputStart, ref offsets, 5, column) : ref outputStart);
        }

        /// <summary>
        /// The rest of the head when an overlapping last vector would be alone after the whole blocks: OutputVectors − 1
        /// vectors, then the last two, the overlapping one with the one it overlaps.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void WeighSplitTail(ref float probabilities, int count, ref float values, ref float rescale, bool accumulate, bool normalize, ref float outputStart, ref int offsets)
        {
            int column = PlainBlocks * BlockColumns;
            WeighBlock(TLayout.OutputVectors - 1, (TLayout.OutputVectors - 2) * TWidth.Count, ref probabilities, count, ref Unsafe.Add(ref values, column), ref rescale, accumulate, normalize, ref Row(ref outputStart, ref offsets, 0, column), ref Row(ref outputStart, ref offsets, 1, column), ref Row(ref outputStart, ref offsets, 2, column), ref Row(ref outputStart, ref offsets, 3, column), ref TLayout.Rows > 4 ? ref Row(ref outputStart, ref offsets, 4, column) : ref outputStart, ref TLayout.Rows > 5 ? ref Row(ref outputStart, ref offsets, 5, column) : ref outputStart);
            int pairColumn = column + (TLayout.OutputVectors - 1) * TWidth.Count;
            WeighBlock(2, TShape.HeadDim - TWidth.Count - pairColumn, ref probabilities, count, ref Unsafe.Add(ref values, pairColumn), ref rescale, accumulate, normalize, ref Row(ref outputStart, ref offsets, 0, pairColumn), ref Row(ref outputStart, ref offsets, 1, pairColumn), ref Row(ref outputStart, ref offsets, 2, pairColumn), ref Row(ref outputStart, ref offsets, 3, pairColumn), ref TLayout.Rows > 4 ? ref Row(ref outputStart, ref offsets, 4, pairColumn) : ref outputStart, ref TLayout.Rows > 5 ? ref Row(ref outputStart, ref offsets, 5, pairColumn) : ref outputStart);
        }

        /// <summary>
        /// P·V for a head of exactly one vector, two-pass softmax: apart from <see cref="WeighBlock"/> so that each row's
        /// weights have a pointer of their own and each broadcast one use. The JIT then folds every broadcast into its
        /// FMA (AVX-512's {1to16}); with a separate broadcast per row this loop, which does little else, left sdpa H4 S32
        /// D16 10% slower than the generated tile it replaced.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void WeighOneVector(ref float probabilities, nint count, ref float values, ref float rescale, bool normalize, ref float o0, ref float o1, ref float o2, ref float o3, ref float o4, ref float o5)
        {
            ref float w1 = ref Unsafe.Add(ref probabilities, TShape.ScoreStride);
            ref float w2 = ref Unsafe.Add(ref probabilities, 2 * TShape.ScoreStride);
            ref float w3 = ref Unsafe.Add(ref probabilities, 3 * TShape.ScoreStride);
            ref float w4 = ref TLayout.Rows > 4 ? ref Unsafe.Add(ref probabilities, 4 * TShape.ScoreStride) : ref probabilities;
            ref float w5 = ref TLayout.Rows > 5 ? ref Unsafe.Add(ref probabilities, 5 * TShape.ScoreStride) : ref probabilities;
            TVector a0 = TWidth.Zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
            ref float valueRow = ref values;
            for (nint j = 0; j < count; j++)
            {
                var v = TWidth.Load(ref valueRow, 0);
                a0 = TWidth.MultiplyAddEstimate(TWidth.Create(Unsafe.Add(ref probabilities, j)), v, a0);
                a1 = TWidth.MultiplyAddEstimate(TWidth.Create(Unsafe.Add(ref w1, j)), v, a1);
                a2 = TWidth.MultiplyAddEstimate(TWidth.Create(Unsafe.Add(ref w2, j)), v, a2);
                a3 = TWidth.MultiplyAddEstimate(TWidth.Create(Unsafe.Add(ref w3, j)), v, a3);
                if (TLayout.Rows > 4) a4 = TWidth.MultiplyAddEstimate(TWidth.Create(Unsafe.Add(ref w4, j)), v, a4);
                if (TLayout.Rows > 5) a5 = TWidth.MultiplyAddEstimate(TWidth.Create(Unsafe.Add(ref w5, j)), v, a5);
                valueRow = ref Unsafe.Add(ref valueRow, ValueStride);
            }

            if (normalize)
            {
                a0 = TWidth.Multiply(a0, TWidth.Create(Unsafe.Add(ref rescale, 0)));
                a1 = TWidth.Multiply(a1, TWidth.Create(Unsafe.Add(ref rescale, 1)));
                a2 = TWidth.Multiply(a2, TWidth.Create(Unsafe.Add(ref rescale, 2)));
                a3 = TWidth.Multiply(a3, TWidth.Create(Unsafe.Add(ref rescale, 3)));
                if (TLayout.Rows > 4) a4 = TWidth.Multiply(a4, TWidth.Create(Unsafe.Add(ref rescale, 4)));
                if (TLayout.Rows > 5) a5 = TWidth.Multiply(a5, TWidth.Create(Unsafe.Add(ref rescale, 5)));
            }

            TWidth.Store(a0, ref o0, 0);
            TWidth.Store(a1, ref o1, 0);
            TWidth.Store(a2, ref o2, 0);
            TWidth.Store(a3, ref o3, 0);
            if (TLayout.Rows > 4) TWidth.Store(a4, ref o4, 0);
            if (TLayout.Rows > 5) TWidth.Store(a5, ref o5, 0);
        }

        // Every call passes a constant vector count, so the guards on it fold away and each inlined copy holds exactly
        // its accumulators in registers. At the JIT's limit of 32 locals for an inlinee: hence the shape and the lane
        // count read through their getters, never cached in locals.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void ScoreBlock(int vectors, ref float q0, ref float q1, ref float q2, ref float q3, ref float q4, ref float q5, ref float panel, ref float blockScores, bool updateMax, bool firstMax, ref float rowMaxes)
        {
            TVector s00 = TWidth.Zero, s01 = s00, s02 = s00, s03 = s00, s10 = s00, s11 = s00, s12 = s00, s13 = s00;
            TVector s20 = s00, s21 = s00, s22 = s00, s23 = s00, s30 = s00, s31 = s00, s32 = s00, s33 = s00;
            TVector s40 = s00, s41 = s00, s42 = s00, s43 = s00, s50 = s00, s51 = s00, s52 = s00, s53 = s00;

            // A native-sized index (an int one was sign-extended once per query row in some inlined copies), and the panel
            // column advanced by a constant rather than recomputed from d (a multiply or shift and an add per step).
            ref float keyColumn = ref panel;
            for (nint d = 0; d < TShape.HeadDim; d++)
            {
                var k0 = TWidth.Load(ref keyColumn, 0);
                var k1 = vectors > 1 ? TWidth.Load(ref keyColumn, (nuint)TWidth.Count) : default;
                var k2 = vectors > 2 ? TWidth.Load(ref keyColumn, (nuint)(2 * TWidth.Count)) : default;
                var k3 = vectors > 3 ? TWidth.Load(ref keyColumn, (nuint)(3 * TWidth.Count)) : default;
                var q = TWidth.Create(Unsafe.Add(ref q0, d));
                s00 = TWidth.MultiplyAddEstimate(q, k0, s00);
                if (vectors > 1) s01 = TWidth.MultiplyAddEstimate(q, k1, s01);
                if (vectors > 2) s02 = TWidth.MultiplyAddEstimate(q, k2, s02);
                if (vectors > 3) s03 = TWidth.MultiplyAddEstimate(q, k3, s03);
                q = TWidth.Create(Unsafe.Add(ref q1, d));
                s10 = TWidth.MultiplyAddEstimate(q, k0, s10);
                if (vectors > 1) s11 = TWidth.MultiplyAddEstimate(q, k1, s11);
                if (vectors > 2) s12 = TWidth.MultiplyAddEstimate(q, k2, s12);
                if (vectors > 3) s13 = TWidth.MultiplyAddEstimate(q, k3, s13);
                q = TWidth.Create(Unsafe.Add(ref q2, d));
                s20 = TWidth.MultiplyAddEstimate(q, k0, s20);
                if (vectors > 1) s21 = TWidth.MultiplyAddEstimate(q, k1, s21);
                if (vectors > 2) s22 = TWidth.MultiplyAddEstimate(q, k2, s22);
                if (vectors > 3) s23 = TWidth.MultiplyAddEstimate(q, k3, s23);
                q = TWidth.Create(Unsafe.Add(ref q3, d));
                s30 = TWidth.MultiplyAddEstimate(q, k0, s30);
                if (vectors > 1) s31 = TWidth.MultiplyAddEstimate(q, k1, s31);
                if (vectors > 2) s32 = TWidth.MultiplyAddEstimate(q, k2, s32);
                if (vectors > 3) s33 = TWidth.MultiplyAddEstimate(q, k3, s33);
                if (TLayout.Rows > 4)
                {
                    q = TWidth.Create(Unsafe.Add(ref q4, d));
                    s40 = TWidth.MultiplyAddEstimate(q, k0, s40);
                    if (vectors > 1) s41 = TWidth.MultiplyAddEstimate(q, k1, s41);
                    if (vectors > 2) s42 = TWidth.MultiplyAddEstimate(q, k2, s42);
                    if (vectors > 3) s43 = TWidth.MultiplyAddEstimate(q, k3, s43);
                }

                if (TLayout.Rows > 5)
                {
                    q = TWidth.Create(Unsafe.Add(ref q5, d));
                    s50 = TWidth.MultiplyAddEstimate(q, k0, s50);
                    if (vectors > 1) s51 = TWidth.MultiplyAddEstimate(q, k1, s51);
                    if (vectors > 2) s52 = TWidth.MultiplyAddEstimate(q, k2, s52);
                    if (vectors > 3) s53 = TWidth.MultiplyAddEstimate(q, k3, s53);
                }

                keyColumn = ref Unsafe.Add(ref keyColumn, PanelKeys);
            }
            TWidth.Store(s00, ref blockScores, 0);
            if (vectors > 1) TWidth.Store(s01, ref blockScores, (nuint)(TWidth.Count));
            if (vectors > 2) TWidth.Store(s02, ref blockScores, (nuint)(2 * TWidth.Count));
            if (vectors > 3) TWidth.Store(s03, ref blockScores, (nuint)(3 * TWidth.Count));
            TWidth.Store(s10, ref blockScores, (nuint)(1 * TShape.ScoreStride));
            if (vectors > 1) TWidth.Store(s11, ref blockScores, (nuint)(1 * TShape.ScoreStride + TWidth.Count));
            if (vectors > 2) TWidth.Store(s12, ref blockScores, (nuint)(1 * TShape.ScoreStride + 2 * TWidth.Count));
            if (vectors > 3) TWidth.Store(s13, ref blockScores, (nuint)(1 * TShape.ScoreStride + 3 * TWidth.Count));
            TWidth.Store(s20, ref blockScores, (nuint)(2 * TShape.ScoreStride));
            if (vectors > 1) TWidth.Store(s21, ref blockScores, (nuint)(2 * TShape.ScoreStride + TWidth.Count));
            if (vectors > 2) TWidth.Store(s22, ref blockScores, (nuint)(2 * TShape.ScoreStride + 2 * TWidth.Count));
            if (vectors > 3) TWidth.Store(s23, ref blockScores, (nuint)(2 * TShape.ScoreStride + 3 * TWidth.Count));
            TWidth.Store(s30, ref blockScores, (nuint)(3 * TShape.ScoreStride));
            if (vectors > 1) TWidth.Store(s31, ref blockScores, (nuint)(3 * TShape.ScoreStride + TWidth.Count));
            if (vectors > 2) TWidth.Store(s32, ref blockScores, (nuint)(3 * TShape.ScoreStride + 2 * TWidth.Count));
            if (vectors > 3) TWidth.Store(s33, ref blockScores, (nuint)(3 * TShape.ScoreStride + 3 * TWidth.Count));
            if (TLayout.Rows > 4)
            {
                TWidth.Store(s40, ref blockScores, (nuint)(4 * TShape.ScoreStride));
                if (vectors > 1) TWidth.Store(s41, ref blockScores, (nuint)(4 * TShape.ScoreStride + TWidth.Count));
                if (vectors > 2) TWidth.Store(s42, ref blockScores, (nuint)(4 * TShape.ScoreStride + 2 * TWidth.Count));
                if (vectors > 3) TWidth.Store(s43, ref blockScores, (nuint)(4 * TShape.ScoreStride + 3 * TWidth.Count));
            }

            if (TLayout.Rows > 5)
            {
                TWidth.Store(s50, ref blockScores, (nuint)(5 * TShape.ScoreStride));
                if (vectors > 1) TWidth.Store(s51, ref blockScores, (nuint)(5 * TShape.ScoreStride + TWidth.Count));
                if (vectors > 2) TWidth.Store(s52, ref blockScores, (nuint)(5 * TShape.ScoreStride + 2 * TWidth.Count));
                if (vectors > 3) TWidth.Store(s53, ref blockScores, (nuint)(5 * TShape.ScoreStride + 3 * TWidth.Count));
            }

            // Each row's maximum over this panel, lane by lane, while the scores are still in registers: the softmax
            // then need not read the block once more just for it.
            if (updateMax)
            {
                if (vectors > 2) s00 = TWidth.MaxNative(s00, s02);
                if (vectors > 3) s01 = TWidth.MaxNative(s01, s03);
                if (vectors > 1) s00 = TWidth.MaxNative(s00, s01);
                TWidth.Store(firstMax ? s00 : TWidth.MaxNative(TWidth.Load(ref rowMaxes, (nuint)(0 * TWidth.Count)), s00), ref rowMaxes, (nuint)(0 * TWidth.Count));
                if (vectors > 2) s10 = TWidth.MaxNative(s10, s12);
                if (vectors > 3) s11 = TWidth.MaxNative(s11, s13);
                if (vectors > 1) s10 = TWidth.MaxNative(s10, s11);
                TWidth.Store(firstMax ? s10 : TWidth.MaxNative(TWidth.Load(ref rowMaxes, (nuint)(1 * TWidth.Count)), s10), ref rowMaxes, (nuint)(1 * TWidth.Count));
                if (vectors > 2) s20 = TWidth.MaxNative(s20, s22);
                if (vectors > 3) s21 = TWidth.MaxNative(s21, s23);
                if (vectors > 1) s20 = TWidth.MaxNative(s20, s21);
                TWidth.Store(firstMax ? s20 : TWidth.MaxNative(TWidth.Load(ref rowMaxes, (nuint)(2 * TWidth.Count)), s20), ref rowMaxes, (nuint)(2 * TWidth.Count));
                if (vectors > 2) s30 = TWidth.MaxNative(s30, s32);
                if (vectors > 3) s31 = TWidth.MaxNative(s31, s33);
                if (vectors > 1) s30 = TWidth.MaxNative(s30, s31);
                TWidth.Store(firstMax ? s30 : TWidth.MaxNative(TWidth.Load(ref rowMaxes, (nuint)(3 * TWidth.Count)), s30), ref rowMaxes, (nuint)(3 * TWidth.Count));
                if (TLayout.Rows > 4)
                {
                    if (vectors > 2) s40 = TWidth.MaxNative(s40, s42);
                    if (vectors > 3) s41 = TWidth.MaxNative(s41, s43);
                    if (vectors > 1) s40 = TWidth.MaxNative(s40, s41);
                    TWidth.Store(firstMax ? s40 : TWidth.MaxNative(TWidth.Load(ref rowMaxes, (nuint)(4 * TWidth.Count)), s40), ref rowMaxes, (nuint)(4 * TWidth.Count));
                }

                if (TLayout.Rows > 5)
                {
                    if (vectors > 2) s50 = TWidth.MaxNative(s50, s52);
                    if (vectors > 3) s51 = TWidth.MaxNative(s51, s53);
                    if (vectors > 1) s50 = TWidth.MaxNative(s50, s51);
                    TWidth.Store(firstMax ? s50 : TWidth.MaxNative(TWidth.Load(ref rowMaxes, (nuint)(5 * TWidth.Count)), s50), ref rowMaxes, (nuint)(5 * TWidth.Count));
                }
            }
        }

        // As ScoreBlock: constant vector counts per call. Vector i of the block sits i vectors in, except the last (of two
        // or more), which sits at lastVector: closer than a whole vector to the one before it when the two overlap. The
        // offsets are written out rather than computed by a helper: each helper is one more inlinee per load and store,
        // and those ran the JIT out of inlining budget.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void WeighBlock(int vectors, int lastVector, ref float probabilities, nint count, ref float values, ref float rescale, bool accumulate, bool normalize, ref float o0, ref float o1, ref float o2, ref float o3, ref float o4, ref float o5)
        {
            TVector a00 = TWidth.Zero, a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00, a13 = a00;
            TVector a20 = a00, a21 = a00, a22 = a00, a23 = a00, a30 = a00, a31 = a00, a32 = a00, a33 = a00;
            TVector a40 = a00, a41 = a00, a42 = a00, a43 = a00, a50 = a00, a51 = a00, a52 = a00, a53 = a00;
            if (TShape.OnlineChunk > 0 && accumulate)
            {
                a00 = TWidth.Multiply(TWidth.Load(ref o0, 0), TWidth.Create(Unsafe.Add(ref rescale, 0)));
                if (vectors > 1) a01 = TWidth.Multiply(TWidth.Load(ref o0, (nuint)(vectors == 2 ? lastVector : TWidth.Count)), TWidth.Create(Unsafe.Add(ref rescale, 0)));
                if (vectors > 2) a02 = TWidth.Multiply(TWidth.Load(ref o0, (nuint)(vectors == 3 ? lastVector : 2 * TWidth.Count)), TWidth.Create(Unsafe.Add(ref rescale, 0)));
                if (vectors > 3) a03 = TWidth.Multiply(TWidth.Load(ref o0, (nuint)lastVector), TWidth.Create(Unsafe.Add(ref rescale, 0)));
                a10 = TWidth.Multiply(TWidth.Load(ref o1, 0), TWidth.Create(Unsafe.Add(ref rescale, 1)));
                if (vectors > 1) a11 = TWidth.Multiply(TWidth.Load(ref o1, (nuint)(vectors == 2 ? lastVector : TWidth.Count)), TWidth.Create(Unsafe.Add(ref rescale, 1)));
                if (vectors > 2) a12 = TWidth.Multiply(TWidth.Load(ref o1, (nuint)(vectors == 3 ? lastVector : 2 * TWidth.Count)), TWidth.Create(Unsafe.Add(ref rescale, 1)));
                if (vectors > 3) a13 = TWidth.Multiply(TWidth.Load(ref o1, (nuint)lastVector), TWidth.Create(Unsafe.Add(ref rescale, 1)));
                a20 = TWidth.Multiply(TWidth.Load(ref o2, 0), TWidth.Create(Unsafe.Add(ref rescale, 2)));
                if (vectors > 1) a21 = TWidth.Multiply(TWidth.Load(ref o2, (nuint)(vectors == 2 ? lastVector : TWidth.Count)), TWidth.Create(Unsafe.Add(ref rescale, 2)));
                if (vectors > 2) a22 = TWidth.Multiply(TWidth.Load(ref o2, (nuint)(vectors == 3 ? lastVector : 2 * TWidth.Count)), TWidth.Create(Unsafe.Add(ref rescale, 2)));
                if (vectors > 3) a23 = TWidth.Multiply(TWidth.Load(ref o2, (nuint)lastVector), TWidth.Create(Unsafe.Add(ref rescale, 2)));
                a30 = TWidth.Multiply(TWidth.Load(ref o3, 0), TWidth.Create(Unsafe.Add(ref rescale, 3)));
                if (vectors > 1) a31 = TWidth.Multiply(TWidth.Load(ref o3, (nuint)(vectors == 2 ? lastVector : TWidth.Count)), TWidth.Create(Unsafe.Add(ref rescale, 3)));
                if (vectors > 2) a32 = TWidth.Multiply(TWidth.Load(ref o3, (nuint)(vectors == 3 ? lastVector : 2 * TWidth.Count)), TWidth.Create(Unsafe.Add(ref rescale, 3)));
                if (vectors > 3) a33 = TWidth.Multiply(TWidth.Load(ref o3, (nuint)lastVector), TWidth.Create(Unsafe.Add(ref rescale, 3)));
                if (TLayout.Rows > 4)
                {
                    a40 = TWidth.Multiply(TWidth.Load(ref o4, 0), TWidth.Create(Unsafe.Add(ref rescale, 4)));
                    if (vectors > 1) a41 = TWidth.Multiply(TWidth.Load(ref o4, (nuint)(vectors == 2 ? lastVector : TWidth.Count)), TWidth.Create(Unsafe.Add(ref rescale, 4)));
                    if (vectors > 2) a42 = TWidth.Multiply(TWidth.Load(ref o4, (nuint)(vectors == 3 ? lastVector : 2 * TWidth.Count)), TWidth.Create(Unsafe.Add(ref rescale, 4)));
                    if (vectors > 3) a43 = TWidth.Multiply(TWidth.Load(ref o4, (nuint)lastVector), TWidth.Create(Unsafe.Add(ref rescale, 4)));
                }

                if (TLayout.Rows > 5)
                {
                    a50 = TWidth.Multiply(TWidth.Load(ref o5, 0), TWidth.Create(Unsafe.Add(ref rescale, 5)));
                    if (vectors > 1) a51 = TWidth.Multiply(TWidth.Load(ref o5, (nuint)(vectors == 2 ? lastVector : TWidth.Count)), TWidth.Create(Unsafe.Add(ref rescale, 5)));
                    if (vectors > 2) a52 = TWidth.Multiply(TWidth.Load(ref o5, (nuint)(vectors == 3 ? lastVector : 2 * TWidth.Count)), TWidth.Create(Unsafe.Add(ref rescale, 5)));
                    if (vectors > 3) a53 = TWidth.Multiply(TWidth.Load(ref o5, (nuint)lastVector), TWidth.Create(Unsafe.Add(ref rescale, 5)));
                }
            }

            // Only a native-sized j and two pointers change in the loop: the value row advances by a constant, and each
            // row's weight is a constant displacement from weights[j], so the JIT folds every address into the load
            // ([base + j·4 + disp]) and the loop's integer work is the two increments and the compare. An int j with a
            // computed offset per row cost a sign extension and an add per row (15 integer instructions per key), and
            // on cores where the FMAs share ports with integer work that is FMA throughput lost.
            ref float valueRow = ref values;
            for (nint j = 0; j < count; j++)
            {
                var v0 = TWidth.Load(ref valueRow, 0);
                var v1 = vectors > 1 ? TWidth.Load(ref valueRow, (nuint)(vectors == 2 ? lastVector : TWidth.Count)) : default;
                var v2 = vectors > 2 ? TWidth.Load(ref valueRow, (nuint)(vectors == 3 ? lastVector : 2 * TWidth.Count)) : default;
                var v3 = vectors > 3 ? TWidth.Load(ref valueRow, (nuint)lastVector) : default;
                var p = TWidth.Create(Unsafe.Add(ref probabilities, j));
                a00 = TWidth.MultiplyAddEstimate(p, v0, a00);
                if (vectors > 1) a01 = TWidth.MultiplyAddEstimate(p, v1, a01);
                if (vectors > 2) a02 = TWidth.MultiplyAddEstimate(p, v2, a02);
                if (vectors > 3) a03 = TWidth.MultiplyAddEstimate(p, v3, a03);
                p = TWidth.Create(Unsafe.Add(ref Unsafe.Add(ref probabilities, j), 1 * TShape.ScoreStride));
                a10 = TWidth.MultiplyAddEstimate(p, v0, a10);
                if (vectors > 1) a11 = TWidth.MultiplyAddEstimate(p, v1, a11);
                if (vectors > 2) a12 = TWidth.MultiplyAddEstimate(p, v2, a12);
                if (vectors > 3) a13 = TWidth.MultiplyAddEstimate(p, v3, a13);
                p = TWidth.Create(Unsafe.Add(ref Unsafe.Add(ref probabilities, j), 2 * TShape.ScoreStride));
                a20 = TWidth.MultiplyAddEstimate(p, v0, a20);
                if (vectors > 1) a21 = TWidth.MultiplyAddEstimate(p, v1, a21);
                if (vectors > 2) a22 = TWidth.MultiplyAddEstimate(p, v2, a22);
                if (vectors > 3) a23 = TWidth.MultiplyAddEstimate(p, v3, a23);
                p = TWidth.Create(Unsafe.Add(ref Unsafe.Add(ref probabilities, j), 3 * TShape.ScoreStride));
                a30 = TWidth.MultiplyAddEstimate(p, v0, a30);
                if (vectors > 1) a31 = TWidth.MultiplyAddEstimate(p, v1, a31);
                if (vectors > 2) a32 = TWidth.MultiplyAddEstimate(p, v2, a32);
                if (vectors > 3) a33 = TWidth.MultiplyAddEstimate(p, v3, a33);
                if (TLayout.Rows > 4)
                {
                    p = TWidth.Create(Unsafe.Add(ref Unsafe.Add(ref probabilities, j), 4 * TShape.ScoreStride));
                    a40 = TWidth.MultiplyAddEstimate(p, v0, a40);
                    if (vectors > 1) a41 = TWidth.MultiplyAddEstimate(p, v1, a41);
                    if (vectors > 2) a42 = TWidth.MultiplyAddEstimate(p, v2, a42);
                    if (vectors > 3) a43 = TWidth.MultiplyAddEstimate(p, v3, a43);
                }

                if (TLayout.Rows > 5)
                {
                    p = TWidth.Create(Unsafe.Add(ref Unsafe.Add(ref probabilities, j), 5 * TShape.ScoreStride));
                    a50 = TWidth.MultiplyAddEstimate(p, v0, a50);
                    if (vectors > 1) a51 = TWidth.MultiplyAddEstimate(p, v1, a51);
                    if (vectors > 2) a52 = TWidth.MultiplyAddEstimate(p, v2, a52);
                    if (vectors > 3) a53 = TWidth.MultiplyAddEstimate(p, v3, a53);
                }

                valueRow = ref Unsafe.Add(ref valueRow, ValueStride);
            }

            // The softmax left each row's weights unnormalized; its reciprocal sum scales the row's sums once, here.
            if (normalize)
            {
                a00 = TWidth.Multiply(a00, TWidth.Create(Unsafe.Add(ref rescale, 0)));
                if (vectors > 1) a01 = TWidth.Multiply(a01, TWidth.Create(Unsafe.Add(ref rescale, 0)));
                if (vectors > 2) a02 = TWidth.Multiply(a02, TWidth.Create(Unsafe.Add(ref rescale, 0)));
                if (vectors > 3) a03 = TWidth.Multiply(a03, TWidth.Create(Unsafe.Add(ref rescale, 0)));
                a10 = TWidth.Multiply(a10, TWidth.Create(Unsafe.Add(ref rescale, 1)));
                if (vectors > 1) a11 = TWidth.Multiply(a11, TWidth.Create(Unsafe.Add(ref rescale, 1)));
                if (vectors > 2) a12 = TWidth.Multiply(a12, TWidth.Create(Unsafe.Add(ref rescale, 1)));
                if (vectors > 3) a13 = TWidth.Multiply(a13, TWidth.Create(Unsafe.Add(ref rescale, 1)));
                a20 = TWidth.Multiply(a20, TWidth.Create(Unsafe.Add(ref rescale, 2)));
                if (vectors > 1) a21 = TWidth.Multiply(a21, TWidth.Create(Unsafe.Add(ref rescale, 2)));
                if (vectors > 2) a22 = TWidth.Multiply(a22, TWidth.Create(Unsafe.Add(ref rescale, 2)));
                if (vectors > 3) a23 = TWidth.Multiply(a23, TWidth.Create(Unsafe.Add(ref rescale, 2)));
                a30 = TWidth.Multiply(a30, TWidth.Create(Unsafe.Add(ref rescale, 3)));
                if (vectors > 1) a31 = TWidth.Multiply(a31, TWidth.Create(Unsafe.Add(ref rescale, 3)));
                if (vectors > 2) a32 = TWidth.Multiply(a32, TWidth.Create(Unsafe.Add(ref rescale, 3)));
                if (vectors > 3) a33 = TWidth.Multiply(a33, TWidth.Create(Unsafe.Add(ref rescale, 3)));
                if (TLayout.Rows > 4)
                {
                    a40 = TWidth.Multiply(a40, TWidth.Create(Unsafe.Add(ref rescale, 4)));
                    if (vectors > 1) a41 = TWidth.Multiply(a41, TWidth.Create(Unsafe.Add(ref rescale, 4)));
                    if (vectors > 2) a42 = TWidth.Multiply(a42, TWidth.Create(Unsafe.Add(ref rescale, 4)));
                    if (vectors > 3) a43 = TWidth.Multiply(a43, TWidth.Create(Unsafe.Add(ref rescale, 4)));
                }

                if (TLayout.Rows > 5)
                {
                    a50 = TWidth.Multiply(a50, TWidth.Create(Unsafe.Add(ref rescale, 5)));
                    if (vectors > 1) a51 = TWidth.Multiply(a51, TWidth.Create(Unsafe.Add(ref rescale, 5)));
                    if (vectors > 2) a52 = TWidth.Multiply(a52, TWidth.Create(Unsafe.Add(ref rescale, 5)));
                    if (vectors > 3) a53 = TWidth.Multiply(a53, TWidth.Create(Unsafe.Add(ref rescale, 5)));
                }
            }

            TWidth.Store(a00, ref o0, 0);
            if (vectors > 1) TWidth.Store(a01, ref o0, (nuint)(vectors == 2 ? lastVector : TWidth.Count));
            if (vectors > 2) TWidth.Store(a02, ref o0, (nuint)(vectors == 3 ? lastVector : 2 * TWidth.Count));
            if (vectors > 3) TWidth.Store(a03, ref o0, (nuint)lastVector);
            TWidth.Store(a10, ref o1, 0);
            if (vectors > 1) TWidth.Store(a11, ref o1, (nuint)(vectors == 2 ? lastVector : TWidth.Count));
            if (vectors > 2) TWidth.Store(a12, ref o1, (nuint)(vectors == 3 ? lastVector : 2 * TWidth.Count));
            if (vectors > 3) TWidth.Store(a13, ref o1, (nuint)lastVector);
            TWidth.Store(a20, ref o2, 0);
            if (vectors > 1) TWidth.Store(a21, ref o2, (nuint)(vectors == 2 ? lastVector : TWidth.Count));
            if (vectors > 2) TWidth.Store(a22, ref o2, (nuint)(vectors == 3 ? lastVector : 2 * TWidth.Count));
            if (vectors > 3) TWidth.Store(a23, ref o2, (nuint)lastVector);
            TWidth.Store(a30, ref o3, 0);
            if (vectors > 1) TWidth.Store(a31, ref o3, (nuint)(vectors == 2 ? lastVector : TWidth.Count));
            if (vectors > 2) TWidth.Store(a32, ref o3, (nuint)(vectors == 3 ? lastVector : 2 * TWidth.Count));
            if (vectors > 3) TWidth.Store(a33, ref o3, (nuint)lastVector);
            if (TLayout.Rows > 4)
            {
                TWidth.Store(a40, ref o4, 0);
                if (vectors > 1) TWidth.Store(a41, ref o4, (nuint)(vectors == 2 ? lastVector : TWidth.Count));
                if (vectors > 2) TWidth.Store(a42, ref o4, (nuint)(vectors == 3 ? lastVector : 2 * TWidth.Count));
                if (vectors > 3) TWidth.Store(a43, ref o4, (nuint)lastVector);
            }

            if (TLayout.Rows > 5)
            {
                TWidth.Store(a50, ref o5, 0);
                if (vectors > 1) TWidth.Store(a51, ref o5, (nuint)(vectors == 2 ? lastVector : TWidth.Count));
                if (vectors > 2) TWidth.Store(a52, ref o5, (nuint)(vectors == 3 ? lastVector : 2 * TWidth.Count));
                if (vectors > 3) TWidth.Store(a53, ref o5, (nuint)lastVector);
            }
        }
    }

    /// <summary>Where a tile's row <paramref name="r"/> starts in the query or output, plus <paramref name="column"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref float Row(ref float start, ref int offsets, int r, int column) => ref Unsafe.Add(ref start, Unsafe.Add(ref offsets, r) + column);
}
