using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace AttentionGen.Kernels.Attention;

/// <summary>The kernels one call of an attention core can run.</summary>
internal enum AttentionPath
{
    /// <summary>Query row by query row, one head per key/value stream (a single head).</summary>
    Rows,

    /// <summary>Query row by query row, the heads that share a key/value stream stacked so each row reads K and V once.</summary>
    Stacked,

    /// <summary>Register tiles of (query row, head) pairs over packed Kᵀ, with the exact two-pass softmax.</summary>
    Tiled,

    /// <summary>Register tiles with the online softmax over chunks of keys, in shapes planned for key ranges whose scores outgrow L1.</summary>
    Online,
}

/// <summary>
/// What one tile kernel costs, in picoseconds per unit of work, as fitted to timings of the tile on its own (see
/// <see cref="AttentionPaths"/>). The units are those <see cref="AttentionPaths.TileCost"/> counts; long, so that no
/// product of a weight and a call's lengths overflows.
/// </summary>
/// <param name="PerTile">Each tile's fixed cost: offsets, visibility, the softmax's setup, the stores.</param>
/// <param name="PerFma">Each vector FMA of QKᵀ and P·V, padding and redone rows included.</param>
/// <param name="PerScoreVector">Each vector of scores through the softmax (exp, sums, scaling).</param>
/// <param name="PerTransposedKey">Each key element packed by the 8×8 register transpose.</param>
/// <param name="PerCopiedKey">Each key element packed one at a time, or zeroed as panel padding.</param>
/// <param name="PerCall">The call's fixed cost.</param>
internal readonly record struct TileCosts(long PerTile, long PerFma, long PerScoreVector, long PerTransposedKey, long PerCopiedKey, long PerCall);

/// <summary>What the row kernels cost, in picoseconds per unit of work (see <see cref="AttentionPaths.RowCost"/>).</summary>
/// <param name="PerStreamRow">Each query row of each key/value stream (or, where rows stack, each stack of rows of each head): the stack's setup.</param>
/// <param name="PerHeadRow">Each (query row, head): a softmax row and its setup.</param>
/// <param name="PerFma">Each vector FMA of Q·Kᵀ and P·V.</param>
/// <param name="PerStackLoad">
/// Each key or value vector a stack of heads loads: a group's stacked heads share one (4 at a time on Vector512, 2 on
/// Vector256), while heads without a group, or that cannot stack, load their own.
/// </param>
/// <param name="PerStreamedVector">Each key or value vector streamed per pass over a key/value head (a pass per query row, or per stack of rows and head), from wherever K and V are.</param>
/// <param name="PerScoreVector">Each vector of scores through the softmax.</param>
/// <param name="PerCall">The call's fixed cost.</param>
internal readonly record struct RowCosts(
    long PerStreamRow, long PerHeadRow, long PerFma, long PerStackLoad, long PerStreamedVector, long PerScoreVector, long PerCall);

/// <summary>The tile a call would run on this machine, if any: its register layout and what it costs.</summary>
/// <param name="Lanes">Floats per vector.</param>
/// <param name="Rows">(Query row, head) pairs per tile; 0 when the shape has no tile for this machine's vectors.</param>
/// <param name="PanelKeys">Keys per packed Kᵀ panel.</param>
/// <param name="Costs">What its work costs on this machine's vectors.</param>
/// <param name="LeadingRows">
/// Rows of the tile the estimate counts for the pairs before the whole tiles when they fit it (AVX-512's four-row leading
/// tile; AVX2 leads with four rows too, but is counted at six, see <see cref="AttentionPaths.MachineTile{TShape}"/>); as
/// many as <paramref name="Rows"/> where the width has no shorter one.
/// </param>
internal readonly record struct TileKernel(int Lanes, int Rows, int PanelKeys, TileCosts Costs, int LeadingRows)
{
    public bool Exists => Rows > 0;
}

/// <summary>The row kernels of this machine: their vector width and what they cost.</summary>
internal readonly record struct RowKernel(int Lanes, RowCosts Costs);

/// <summary>
/// Chooses an attention call's path (<see cref="AttentionPath"/>) by estimating what each would cost from the shape and
/// the call's lengths: the work each does (vector FMAs, padding to panels and vectors, the rows a sliding last tile redoes,
/// score vectors through the softmax, Kᵀ packing, fixed costs per tile and per row) weighted by what each unit costs.
/// </summary>
/// <remarks>
/// <para>
/// What the estimate has to see: a decode step of a large query group (MQA with 8 heads, one query row) fills only two
/// tiles, the second redoing 4 rows, after packing all of K, and reads V once per tile, where the stacked row path reads
/// K and V once; a short call (tens of keys) pays each tile's fixed cost and pads keys to whole vectors and to a panel
/// when packing, so rows win there too. Long calls fill tiles and win by 2–3× on QKᵀ's register reuse.
/// </para>
/// <para>
/// The weights were fitted (least squares on relative error, non-negative) to the tile and the row path timed apart,
/// best of 21 runs, on 99 calls: 24 shapes (heads 1–32, groups 1–16, widths 8–128, causal or not) at query lengths 1–512
/// and key lengths 6–4,000, on an AMD EPYC (Zen 4) with each of Vector512, Vector256 and Vector128 as the widest vector.
/// With them the choice is the faster path on all but a few calls near a tie: the worst pick is 20% slower than the
/// other path on Vector512 (8 of 99 wrong, most by 0–3%), 8% on Vector256, 12% on Vector128. Fitted to the first 75
/// calls alone, they chose within 10% (Vector512), 7% and 12% on the other 24. Another microarchitecture would fit
/// other weights; the terms, which count work, would stay.
/// </para>
/// <para>
/// Stacked query rows came after the fit and kept its weights: <see cref="RowCost"/> counts their fewer passes over K
/// and V and their setups per stack and head. Checked against both paths timed on the same Zen 4 (best of 15 runs, 22
/// calls: heads 1–16, widths 16–128, 5–128 query rows over 32–1,000 keys, Vector512 and Vector256), it picks the faster
/// path on all but ties: it now sends the seven-row calls over 1,000 keys and short calls of 8–32 rows to rows (1.2–1.7×
/// faster there), and still tiles where rows lost (narrow heads in L1, 24 rows over 48 keys, 64 and more rows). Rows of
/// one head are estimated about 30% slow, so single-head calls of 6–32 rows still tile, up to 10% slower than rows.
/// </para>
/// <para>
/// AVX2's stacks grew from 2 rows to 6 later, and the estimate counts 6. Of the sweep's shapes and 61 more (8 heads of 64
/// at 2–48 rows over 33–1,000 keys, 12 heads of 32, one head), that moved three calls from tiles to rows, each timed on
/// both builds alternately (Zen 3, medians of 6): 8 rows over 333 keys took 0.93× the tiles' time, over 1,000 keys
/// 0.98×, and 32 rows over 33 keys 1.04×.
/// </para>
/// </remarks>
internal static class AttentionPaths
{
    /// <summary>A core's L1 data cache, the smallest of the machines timed (Zen 4's 32 KiB; Intel's recent cores have 48).</summary>
    private const long L1Bytes = 32 * 1024;

    /// <summary>The Vector512 tile (6 rows × up to 64-key panels) on AVX-512.</summary>
    public static readonly TileCosts Tile512Costs = new(PerTile: 41717, PerFma: 289, PerScoreVector: 4634, PerTransposedKey: 103, PerCopiedKey: 881, PerCall: 0);

    /// <summary>The Vector256 tile (6 rows × 16-key panels).</summary>
    public static readonly TileCosts Tile256Costs = new(PerTile: 107683, PerFma: 163, PerScoreVector: 2810, PerTransposedKey: 113, PerCopiedKey: 965, PerCall: 0);

    /// <summary>The Vector128 tile (4 rows × 8-key panels).</summary>
    public static readonly TileCosts Tile128Costs = new(PerTile: 99696, PerFma: 241, PerScoreVector: 3601, PerTransposedKey: 0, PerCopiedKey: 140, PerCall: 0);

    /// <summary>The row kernels where Vector512 is the widest vector.</summary>
    public static readonly RowCosts Row512Costs = new(PerStreamRow: 34781, PerHeadRow: 16470, PerFma: 266, PerStackLoad: 125, PerStreamedVector: 339, PerScoreVector: 1897, PerCall: 0);

    /// <summary>The row kernels where Vector256 is the widest vector.</summary>
    public static readonly RowCosts Row256Costs = new(PerStreamRow: 0, PerHeadRow: 13190, PerFma: 170, PerStackLoad: 99, PerStreamedVector: 122, PerScoreVector: 2535, PerCall: 83485);

    /// <summary>The row kernels where Vector128 is the widest vector.</summary>
    public static readonly RowCosts Row128Costs = new(PerStreamRow: 0, PerHeadRow: 20770, PerFma: 117, PerStackLoad: 117, PerStreamedVector: 59, PerScoreVector: 4193, PerCall: 146);

    /// <summary>
    /// The path for a call of <paramref name="seqLen"/> query rows over <paramref name="kvSeqLen"/> keys: the tile when
    /// the call fills one and <see cref="TileCost"/> is below <see cref="RowCost"/> (online when the shape planned chunks);
    /// otherwise rows, stacked when more than one head shares each key/value stream.
    /// </summary>
    /// <param name="heads">The shape's query heads.</param>
    /// <param name="kvHeads">The shape's key/value heads.</param>
    /// <param name="headDim">The shape's head width.</param>
    /// <param name="isCausal">Whether the shape is causal (bottom-right aligned).</param>
    /// <param name="onlineChunk">The shape's online-softmax chunk, 0 when it has none.</param>
    /// <param name="seqLen">The call's query rows.</param>
    /// <param name="kvSeqLen">The call's keys.</param>
    /// <param name="tile">The tile this machine would run for the shape (<see cref="TileKernel.Exists"/> false: none).</param>
    /// <param name="row">This machine's row kernels.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static AttentionPath Choose(
        int heads, int kvHeads, int headDim, bool isCausal, int onlineChunk, int seqLen, int kvSeqLen, TileKernel tile, RowKernel row)
    {
        AttentionPath rows = heads > 1 ? AttentionPath.Stacked : AttentionPath.Rows;
        if (!tile.Exists || seqLen * (heads / kvHeads) < tile.Rows
            || TileCost(heads, kvHeads, headDim, isCausal, seqLen, kvSeqLen, tile) >= RowCost(heads, kvHeads, headDim, isCausal, seqLen, kvSeqLen, row))
        {
            return rows;
        }

        return onlineChunk > 0 ? AttentionPath.Online : AttentionPath.Tiled;
    }

    /// <summary>
    /// The tile path's estimate in picoseconds. Per key/value head: Kᵀ packed into whole panels, then
    /// ⌈pairs / rows⌉ tiles (the leading one overlapping the first whole one and redoing rows, unless two leading tiles take
    /// the first whole one's place, see <see cref="LeadsTwice"/>), each scoring its rows against the visible keys in
    /// whole vectors, running their softmax, and weighing the values in whole head vectors.
    /// </summary>
    /// <remarks>The call must fill a tile: <c>seqLen · heads / kvHeads ≥ tile.Rows</c>.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long TileCost(int heads, int kvHeads, int headDim, bool isCausal, int seqLen, int kvSeqLen, TileKernel tile)
    {
        long visible = AverageVisibleKeys(isCausal, seqLen, kvSeqLen);
        long pairs = (long)seqLen * (heads / kvHeads);
        long wholeTiles = pairs / tile.Rows, leadingPairs = pairs % tile.Rows;
        long tiles = kvHeads * (wholeTiles + (leadingPairs > 0 ? 1 : 0));
        // The rows the tiles compute: every pair once, plus those a leading tile redoes (none when two leading tiles
        // take the first whole tile's place).
        long leadingRows = leadingPairs == 0 || LeadsTwice(leadingPairs, tile.Rows, tile.LeadingRows) ? leadingPairs
            : leadingPairs <= tile.LeadingRows ? tile.LeadingRows : tile.Rows;
        long tileRows = kvHeads * (wholeTiles * tile.Rows + leadingRows);
        long scoreVectors = Ceiling(visible, tile.Lanes);
        // QKᵀ's vectors span keys, so any head width is its trip count; P·V's span head columns, and a head that is not
        // whole vectors ends on one overlapping the one before it: whole vectors' work either way. A head of half a
        // vector weighs two keys per vector (KeyPairValues).
        long valueVectors = 2 * headDim == tile.Lanes ? Ceiling(visible, 2) : visible * Ceiling(headDim, tile.Lanes);
        long fmas = tileRows * (headDim * scoreVectors + valueVectors);

        // Whole blocks of 8 keys go through the register transpose where the vectors allow it, 8 columns at a time (the
        // last block overlapping the one before when the head is not whole blocks); the rest of the keys and the
        // panel's padding are written one float at a time.
        long transposedKeys = headDim >= 8 && tile.Lanes >= 8 ? kvSeqLen & ~7 : 0;
        long transposedColumns = Ceiling(headDim, 8) * 8;
        long paddedKeys = Ceiling(kvSeqLen, tile.PanelKeys) * tile.PanelKeys;
        TileCosts costs = tile.Costs;
        return costs.PerCall
            + costs.PerTile * tiles
            + costs.PerFma * fmas
            + costs.PerScoreVector * tileRows * scoreVectors
            + costs.PerTransposedKey * kvHeads * transposedKeys * transposedColumns
            + costs.PerCopiedKey * kvHeads * (paddedKeys - transposedKeys) * headDim;
    }

    /// <summary>
    /// Whether the <paramref name="leadingPairs"/> before a call's whole tiles of <paramref name="rows"/> pairs, with the
    /// first whole tile's, are exactly two leading tiles of <paramref name="leadingRows"/> (AVX-512: 2 + 6 = 4 + 4). The
    /// second leading tile then takes the first whole tile's place, and no row is computed twice, where one leading tile
    /// over the first whole tile's first rows redoes some: at 32, 128, 512 or 2,048 rows a four-row leading tile redid two.
    /// <see cref="TiledAttention{TShape}"/> splits its first tile by this rule, and <see cref="TileCost"/> counts by it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool LeadsTwice(long leadingPairs, int rows, int leadingRows) =>
        leadingRows < rows && leadingPairs + rows == 2 * leadingRows;

    /// <summary>
    /// The row path's estimate in picoseconds: per query row and key/value stream, every stacked head scores the visible
    /// keys (whole head vectors per key), runs its softmax and weighs the values. Where rows stack (several query rows of
    /// a head sharing each key and value vector it loads), K and V stream once per stack of rows and head rather than per
    /// row, and each stack of each head has its own setup.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long RowCost(int heads, int kvHeads, int headDim, bool isCausal, int seqLen, int kvSeqLen, RowKernel row)
    {
        int group = heads / kvHeads;
        bool grouped = group > 1;
        long visible = AverageVisibleKeys(isCausal, seqLen, kvSeqLen);
        long headVectors = Ceiling(headDim, row.Lanes);
        long fmas = 2L * seqLen * heads * visible * headVectors;

        // A group's heads stack on whole vectors of heads up to 256 wide, as RowAttention's stacked kernels do.
        bool wholeVectors = row.Lanes >= 8 && headDim % row.Lanes == 0 && headDim <= 256;
        int headsPerLoad = grouped && wholeVectors ? (row.Lanes == 16 ? 4 : 2) : 1;

        // So do the rows of a head (4 on Vector512, 6 on Vector256), unless a group fills a stack on its own, once rows
        // see enough keys to be scored in blocks (4 with several heads per stream, a vector's worth with one). Only their
        // fewer passes over K and V are credited, and only where K and V outgrow L1: timed, stacks gained nothing from the
        // loads they share (each block of scores' horizontal fold outweighs them), nor from passes over K and V in L1.
        int rowsAtOnce = row.Lanes == 16 ? 4 : 6;
        int stackedHeads = grouped ? group : heads;
        bool outgrowsL1 = 2L * kvSeqLen * kvHeads * headDim * sizeof(float) > L1Bytes;
        bool rowStacks = wholeVectors && outgrowsL1 && seqLen > 1 && (!grouped || group < headsPerLoad) && visible >= (stackedHeads > 1 ? 4 : row.Lanes);

        // Passes over each key/value head, and kernel setups: per row and stream, or per stack of rows and head.
        long passes = rowStacks ? Ceiling(seqLen, rowsAtOnce) * (grouped ? group : 1) : seqLen;
        long setups = rowStacks ? Ceiling(seqLen, rowsAtOnce) * heads : (long)seqLen * (grouped ? kvHeads : 1);
        RowCosts costs = row.Costs;
        return costs.PerCall
            + costs.PerStreamRow * setups
            + costs.PerHeadRow * seqLen * heads
            + costs.PerFma * fmas
            + costs.PerStackLoad * (fmas / headsPerLoad)
            + costs.PerStreamedVector * 2L * passes * kvHeads * visible * headVectors
            + costs.PerScoreVector * seqLen * heads * Ceiling(visible, row.Lanes);
    }

    /// <summary>The tile <see cref="AttentionCore{TShape}"/> runs for <typeparamref name="TShape"/> on this machine: the widest accelerated vector's, if the shape has one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TileKernel MachineTile<TShape>()
        where TShape : struct, IAttentionShape
    {
        if (Vector512.IsHardwareAccelerated && TShape.PanelKeys512 > 0)
        {
            return new TileKernel(16, TiledAttention<TShape>.Rows512, TShape.PanelKeys512, Tile512Costs, TiledAttention<TShape>.LeadingTileRows512);
        }

        if (Vector256.IsHardwareAccelerated && TShape.HasTile256)
        {
            // Counted with six-row leading tiles, as its weights were fitted, though the kernel leads with four
            // (TiledAttention.LeadingRows256): counted at four, grouped decode steps such as `H32 kv4 D128` over 1,024
            // keys chose tiles, which took 1.44× the rows' time (Zen 3, both paths timed in one process).
            return new TileKernel(8, TiledAttention<TShape>.Rows256, 16, Tile256Costs, TiledAttention<TShape>.Rows256);
        }

        if (Vector128.IsHardwareAccelerated && TShape.HasTile128)
        {
            return new TileKernel(4, TiledAttention<TShape>.Rows128, 8, Tile128Costs, TiledAttention<TShape>.Rows128);
        }

        return default;
    }

    /// <summary>This machine's row kernels: the widest accelerated vector's (scalar code has no tile to weigh them against).</summary>
    public static RowKernel MachineRowKernel
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector512.IsHardwareAccelerated ? new RowKernel(16, Row512Costs)
            : Vector256.IsHardwareAccelerated ? new RowKernel(8, Row256Costs)
            : Vector128.IsHardwareAccelerated ? new RowKernel(4, Row128Costs)
            : new RowKernel(1, Row128Costs);
    }

    /// <summary>
    /// Keys a query row sees on average: all, or under the causal bottom-right alignment from
    /// <c>kvSeqLen − seqLen + 1</c> up to all of them (rows that would see none counted as seeing a share); at least 1.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long AverageVisibleKeys(bool isCausal, int seqLen, int kvSeqLen)
    {
        long visible = !isCausal ? kvSeqLen
            : seqLen <= kvSeqLen ? kvSeqLen - seqLen / 2
            : (long)kvSeqLen * kvSeqLen / (2L * seqLen);
        return Math.Max(1, visible);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long Ceiling(long count, int unit) => (count + unit - 1) / unit;
}
