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
/// <para>
/// This file holds the drivers; the tiles and their layouts are in <c>TiledAttention.Tiles.cs</c>, and the softmax of a
/// tile's rows in <c>TiledAttention.Softmax.cs</c>.
/// </para>
/// </remarks>
internal static partial class TiledAttention<TShape>
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

    /// <summary>Pairs per Vector256 leading tile (see <see cref="Layout256Leading"/>).</summary>
    public const int LeadingRows256 = 4;

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
        AttendInTiles<Tile<Vector256Width, Vector256<float>, Layout256>, Tile<Vector256Width, Vector256<float>, Layout256Leading>>(query, key, value, additiveMask, output, seqLen, kvSeqLen, scores, keyPanels, 0, TShape.KvHeads, 0, int.MaxValue);

    /// <summary>
    /// <see cref="Attend256"/> for key/value head <paramref name="kvHead"/> only, and of its tiles only
    /// [<paramref name="firstTile"/>, <paramref name="tileEnd"/>) (see <see cref="AttendInTiles{TTile, TLeadingTile}"/>): one unit of a split call.
    /// </summary>
    public static void AttendPart256(ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, ReadOnlySpan<float> additiveMask, Span<float> output, int seqLen, int kvSeqLen, Span<float> scores, Span<float> keyPanels, int kvHead, int firstTile, int tileEnd) =>
        AttendInTiles<Tile<Vector256Width, Vector256<float>, Layout256>, Tile<Vector256Width, Vector256<float>, Layout256Leading>>(query, key, value, additiveMask, output, seqLen, kvSeqLen, scores, keyPanels, kvHead, kvHead + 1, firstTile, tileEnd);

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
    /// <remarks>
    /// In whole vectors of the widest width the head fills, the last one overlapping the one before it when the head is not
    /// whole vectors. A row of 256 bytes or more (HeadDim 64 on AVX2) through <c>Unsafe.CopyBlockUnaligned</c> was a call to
    /// the runtime's memcpy per row: 8,000 of them for 8 heads over 1,000 keys, a fifth of `sdpa H8 q7 kv1000 D64` on its
    /// tiles (Zen 3).
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void GatherRows(ref float source, int rows, ref float destination)
    {
        if (Vector512.IsHardwareAccelerated && TShape.HeadDim >= 16)
        {
            GatherRowsInVectors<Vector512Width, Vector512<float>>(ref source, rows, ref destination);
        }
        else if (Vector256.IsHardwareAccelerated && TShape.HeadDim >= 8)
        {
            GatherRowsInVectors<Vector256Width, Vector256<float>>(ref source, rows, ref destination);
        }
        else if (Vector128.IsHardwareAccelerated && TShape.HeadDim >= 4)
        {
            GatherRowsInVectors<Vector128Width, Vector128<float>>(ref source, rows, ref destination);
        }
        else
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
    }

    /// <summary><see cref="GatherRows"/> in vectors of <typeparamref name="TWidth"/>; the head is at least one vector wide.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GatherRowsInVectors<TWidth, TVector>(ref float source, int rows, ref float destination)
        where TWidth : struct, IVectorWidth<TVector>
        where TVector : struct
    {
        nuint last = (nuint)(TShape.HeadDim - TWidth.Count);
        for (int j = 0; j < rows; j++)
        {
            ref float from = ref Unsafe.Add(ref source, (nint)j * KvWidth);
            ref float to = ref Unsafe.Add(ref destination, (nint)j * TShape.HeadDim);
            for (nuint d = 0; d < last; d += (nuint)TWidth.Count)
            {
                TWidth.Store(TWidth.Load(ref from, d), ref to, d);
            }

            TWidth.Store(TWidth.Load(ref from, last), ref to, last);
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
    /// it (the four-row tile of AVX-512 or AVX2, see <see cref="Layout512Leading{TValueRows}"/> and <see cref="Layout256Leading"/>), else a whole one; and when the leading pairs and
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

            // Tile by tile, each scored, softmaxed and weighed before the next. Two tiles' scores before either's weighted
            // sums, so that K and then V are each read twice while in L2, timed the same (1.02×) on `sdpa H8 S1000 D64`
            // on Zen 3, whose 512 KB L2 cannot hold a head's packed K and gathered V together.
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

    /// <summary>Pair <paramref name="pair"/> of <paramref name="kvHead"/> is query row pair / HeadsPerKvHead of head kvHead·HeadsPerKvHead + pair % HeadsPerKvHead.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int PairOffset(int kvHead, int pair) =>
        pair / HeadsPerKvHead * QueryWidth + (kvHead * HeadsPerKvHead + pair % HeadsPerKvHead) * TShape.HeadDim;
}
