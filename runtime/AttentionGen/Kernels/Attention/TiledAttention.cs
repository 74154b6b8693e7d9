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
/// One driver (<see cref="AttendInTiles{TTile}"/>) does the head/tile walk, the causal bookkeeping and the softmax for
/// every width; only the register tiles are written per width, because the register budget sets their sizes
/// (AVX-512's 32 registers hold 6×4 accumulators, 4 key vectors and a broadcast; AVX2's and SSE's 16 hold 6×2 and 4×2).
/// </remarks>
internal static class TiledAttention<TShape>
    where TShape : struct, IAttentionShape
{
    /// <summary>Pairs per Vector512 tile.</summary>
    public const int Rows512 = 6;

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
        AttendInTiles<Tile512>(query, key, value, additiveMask, output, seqLen, kvSeqLen, scores, keyPanels);

    /// <summary>
    /// Attention on the Vector256 tile. As <see cref="AttentionCore{TShape}.Attend"/>, and besides: the shape plans this
    /// tile, and the call has at least <see cref="Rows256"/> (query row, head) pairs per key/value head.
    /// </summary>
    public static void Attend256(ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, ReadOnlySpan<float> additiveMask, Span<float> output, int seqLen, int kvSeqLen, Span<float> scores, Span<float> keyPanels) =>
        AttendInTiles<Tile256>(query, key, value, additiveMask, output, seqLen, kvSeqLen, scores, keyPanels);

    /// <summary>
    /// Attention on the Vector128 tile. As <see cref="AttentionCore{TShape}.Attend"/>, and besides: the shape plans this
    /// tile, and the call has at least <see cref="Rows128"/> (query row, head) pairs per key/value head.
    /// </summary>
    public static void Attend128(ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, ReadOnlySpan<float> additiveMask, Span<float> output, int seqLen, int kvSeqLen, Span<float> scores, Span<float> keyPanels) =>
        AttendInTiles<Tile128>(query, key, value, additiveMask, output, seqLen, kvSeqLen, scores, keyPanels);

    /// <summary>
    /// Per key/value head, Kᵀ is packed once into panels of <c>TTile.PanelKeys</c> keys; then the pairs that use this
    /// head go through <c>TTile.Rows</c> at a time: a QKᵀ tile into the score block, a softmax per row, and a P·V tile
    /// into the output.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AttendInTiles<TTile>(ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, ReadOnlySpan<float> additiveMask, Span<float> output, int seqLen, int kvSeqLen, Span<float> scores, Span<float> keyPanels)
        where TTile : struct, ITile
    {
        ref float queryStart = ref MemoryMarshal.GetReference(query);
        ref float keyStart = ref MemoryMarshal.GetReference(key);
        ref float valueStart = ref MemoryMarshal.GetReference(value);
        ref float outputStart = ref MemoryMarshal.GetReference(output);
        ref float panels = ref MemoryMarshal.GetReference(keyPanels);
        ref float scoreBlock = ref MemoryMarshal.GetReference(scores);
        TileRows<int> offsets = default;
        TileRows<float> runningMax = default, runningSum = default, rescale = default;

        // A tile's rows are (query row, head) pairs that share one key/value head, so grouped heads read K and V once.
        int pairs = seqLen * HeadsPerKvHead;
        Debug.Assert(pairs >= TTile.Rows, "Fewer pairs than a tile: the sliding last tile would start before the first row.");
        for (int kvHead = 0; kvHead < TShape.KvHeads; kvHead++)
        {
            // Kᵀ in panels: for each head dimension, the keys' values side by side, so one vector load feeds a whole
            // panel's dot products. Keys past kvSeqLen in the last panel are zeros.
            PanelPacking.PackTransposedUnchecked(ref Unsafe.Add(ref keyStart, kvHead * TShape.HeadDim), KvWidth, kvSeqLen, TShape.HeadDim, TTile.PanelKeys, ref panels);
            ref float valueHead = ref Unsafe.Add(ref valueStart, kvHead * TShape.HeadDim);
            for (int first = 0; first < pairs; first += TTile.Rows)
            {
                // The last tile slides back to end on the last pair: it redoes a few rows rather than needing a narrower kernel.
                int tileStart = Math.Min(first, pairs - TTile.Rows);
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

                    continue;
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
                        TTile.Score(ref queryStart, ref offsets[0], ref Unsafe.Add(ref panels, chunkStart * TShape.HeadDim), chunkKeys, ref scoreBlock);
                        for (int r = 0; r < TTile.Rows; r++)
                        {
                            int row = (tileStart + r) / HeadsPerKvHead;
                            int visible = AttentionCore<TShape>.Visible(row, seqLen, kvSeqLen);
                            rescale[r] = AttentionScores<TShape>.SoftmaxChunkRow(
                                ref Unsafe.Add(ref scoreBlock, r * TShape.ScoreStride), chunkKeys, Math.Clamp(visible - chunkStart, 0, chunkKeys), chunkStart,
                                AttentionScores<TShape>.MaskRow(additiveMask, row, kvSeqLen), ref runningMax[r], ref runningSum[r]);
                        }

                        TTile.Weigh(ref scoreBlock, chunkKeys, ref Unsafe.Add(ref valueHead, (nint)chunkStart * KvWidth), ref rescale[0], chunkStart > 0, ref outputStart, ref offsets[0]);
                    }

                    // Divide by the sums at the end; a row that saw no key has a sum of 0 and stays all zeros.
                    for (int r = 0; r < TTile.Rows; r++)
                    {
                        float sum = runningSum[r];
                        ElementwiseKernels.Multiply(MemoryMarshal.CreateSpan(ref Unsafe.Add(ref outputStart, offsets[r]), TShape.HeadDim), sum > 0 ? 1 / sum : 0);
                    }

                    continue;
                }

                TTile.Score(ref queryStart, ref offsets[0], ref panels, visibleInTile, ref scoreBlock);
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

                TTile.Weigh(ref scoreBlock, visibleInTile, ref valueHead, ref rescale[0], false, ref outputStart, ref offsets[0]);
            }
        }
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

    /// <summary>Pair <paramref name="pair"/> of <paramref name="kvHead"/> is query row pair / HeadsPerKvHead of head kvHead·HeadsPerKvHead + pair % HeadsPerKvHead.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int PairOffset(int kvHead, int pair) =>
        pair / HeadsPerKvHead * QueryWidth + (kvHead * HeadsPerKvHead + pair % HeadsPerKvHead) * TShape.HeadDim;

    /// <summary>One width's register tiles, for <see cref="AttendInTiles{TTile}"/>.</summary>
    private interface ITile
    {
        /// <summary>Pairs per tile.</summary>
        static abstract int Rows { get; }

        /// <summary>Keys per packed Kᵀ panel.</summary>
        static abstract int PanelKeys { get; }

        /// <summary>Whether the six score rows go through <see cref="SoftmaxSixRows"/> (AVX-512) rather than one by one.</summary>
        static abstract bool SoftmaxSixRowsInLockstep { get; }

        /// <summary>
        /// <c>scores[r, j] = Scale · q_r·k_j</c> for the tile's rows (query rows at <paramref name="offsets"/>) against the
        /// first <paramref name="keys"/> keys. A last, partial panel scores only the vectors it needs: on a causal diagonal
        /// that saves up to half of its work.
        /// </summary>
        static abstract void Score(ref float queryStart, ref int offsets, ref float panels, int keys, ref float scores);

        /// <summary>
        /// <c>o_r = Σ_j p[r, j] · v_j</c> over the first <paramref name="count"/> keys, for the output rows at
        /// <paramref name="offsets"/>. With <paramref name="accumulate"/> (online softmax, after the first chunk), each row
        /// first takes what earlier chunks summed into it, times <c>rescale[r]</c>.
        /// </summary>
        static abstract void Weigh(ref float probabilities, int count, ref float values, ref float rescale, bool accumulate, ref float outputStart, ref int offsets);
    }

    /// <summary>One value per row of the tallest tile, kept in the driver's frame rather than on the heap.</summary>
    [InlineArray(Rows512)]
    private struct TileRows<T>
    {
        private T _element;
    }

    /// <summary>The Vector512 tile: 6 pairs × 1–4 key vectors (QKᵀ) and 6 pairs × 4 output vectors (P·V).</summary>
    private struct Tile512 : ITile
    {
        private const int Width = 16;

        private const int OutputVectors = 4;

        public static int Rows => Rows512;

        public static int PanelKeys => TShape.PanelKeys512;

        public static bool SoftmaxSixRowsInLockstep => true;

        private static int KeyVectors => PanelKeys / Width;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Score(ref float queryStart, ref int offsets, ref float panels, int keys, ref float scores)
        {
            ref float q0 = ref Row(ref queryStart, ref offsets, 0, 0);
            ref float q1 = ref Row(ref queryStart, ref offsets, 1, 0);
            ref float q2 = ref Row(ref queryStart, ref offsets, 2, 0);
            ref float q3 = ref Row(ref queryStart, ref offsets, 3, 0);
            ref float q4 = ref Row(ref queryStart, ref offsets, 4, 0);
            ref float q5 = ref Row(ref queryStart, ref offsets, 5, 0);
            int keyVectors = (keys + Width - 1) / Width;
            int fullBlocks = keyVectors / KeyVectors;
            for (int block = 0; block < fullBlocks; block++)
            {
                ScoreBlock(KeyVectors, ref q0, ref q1, ref q2, ref q3, ref q4, ref q5, ref Unsafe.Add(ref panels, block * (TShape.HeadDim * PanelKeys)), ref Unsafe.Add(ref scores, block * PanelKeys));
            }

            // The partial last panel: one copy of the block per vector count, so each keeps its accumulators in registers.
            int tailVectors = keyVectors % KeyVectors;
            ref float tailPanel = ref Unsafe.Add(ref panels, fullBlocks * (TShape.HeadDim * PanelKeys));
            ref float tailScores = ref Unsafe.Add(ref scores, fullBlocks * PanelKeys);
            if (KeyVectors > 1 && tailVectors == 1)
            {
                ScoreBlock(1, ref q0, ref q1, ref q2, ref q3, ref q4, ref q5, ref tailPanel, ref tailScores);
            }
            else if (KeyVectors > 2 && tailVectors == 2)
            {
                ScoreBlock(2, ref q0, ref q1, ref q2, ref q3, ref q4, ref q5, ref tailPanel, ref tailScores);
            }
            else if (KeyVectors > 3 && tailVectors == 3)
            {
                ScoreBlock(3, ref q0, ref q1, ref q2, ref q3, ref q4, ref q5, ref tailPanel, ref tailScores);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Weigh(ref float probabilities, int count, ref float values, ref float rescale, bool accumulate, ref float outputStart, ref int offsets)
        {
            // Head columns OutputVectors vectors at a time, then one narrower block for the rest of the head.
            const int BlockWidth = OutputVectors * Width;
            if (TShape.HeadDim >= BlockWidth)
            {
                for (int column = 0; column + BlockWidth <= TShape.HeadDim; column += BlockWidth)
                {
                    WeighBlock(OutputVectors, ref probabilities, count, ref Unsafe.Add(ref values, column), ref rescale, accumulate, ref Row(ref outputStart, ref offsets, 0, column), ref Row(ref outputStart, ref offsets, 1, column), ref Row(ref outputStart, ref offsets, 2, column), ref Row(ref outputStart, ref offsets, 3, column), ref Row(ref outputStart, ref offsets, 4, column), ref Row(ref outputStart, ref offsets, 5, column));
                }
            }

            int lastVectors = TShape.HeadDim % BlockWidth / Width;
            if (TShape.HeadDim == Width && TShape.OnlineChunk == 0)
            {
                WeighOneVector(ref probabilities, count, ref values, ref Row(ref outputStart, ref offsets, 0, 0), ref Row(ref outputStart, ref offsets, 1, 0), ref Row(ref outputStart, ref offsets, 2, 0), ref Row(ref outputStart, ref offsets, 3, 0), ref Row(ref outputStart, ref offsets, 4, 0), ref Row(ref outputStart, ref offsets, 5, 0));
            }
            else if (lastVectors > 0)
            {
                int lastColumn = TShape.HeadDim - TShape.HeadDim % BlockWidth;
                WeighBlock(lastVectors, ref probabilities, count, ref Unsafe.Add(ref values, lastColumn), ref rescale, accumulate, ref Row(ref outputStart, ref offsets, 0, lastColumn), ref Row(ref outputStart, ref offsets, 1, lastColumn), ref Row(ref outputStart, ref offsets, 2, lastColumn), ref Row(ref outputStart, ref offsets, 3, lastColumn), ref Row(ref outputStart, ref offsets, 4, lastColumn), ref Row(ref outputStart, ref offsets, 5, lastColumn));
            }
        }

        // Every call passes a constant vector count, so the guards on it fold away and each inlined copy holds exactly
        // its accumulators in registers.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void ScoreBlock(int vectors, ref float q0, ref float q1, ref float q2, ref float q3, ref float q4, ref float q5, ref float panel, ref float blockScores)
        {
            var s00 = Vector512<float>.Zero; var s01 = Vector512<float>.Zero; var s02 = Vector512<float>.Zero; var s03 = Vector512<float>.Zero;
            var s10 = Vector512<float>.Zero; var s11 = Vector512<float>.Zero; var s12 = Vector512<float>.Zero; var s13 = Vector512<float>.Zero;
            var s20 = Vector512<float>.Zero; var s21 = Vector512<float>.Zero; var s22 = Vector512<float>.Zero; var s23 = Vector512<float>.Zero;
            var s30 = Vector512<float>.Zero; var s31 = Vector512<float>.Zero; var s32 = Vector512<float>.Zero; var s33 = Vector512<float>.Zero;
            var s40 = Vector512<float>.Zero; var s41 = Vector512<float>.Zero; var s42 = Vector512<float>.Zero; var s43 = Vector512<float>.Zero;
            var s50 = Vector512<float>.Zero; var s51 = Vector512<float>.Zero; var s52 = Vector512<float>.Zero; var s53 = Vector512<float>.Zero;
            for (int d = 0; d < TShape.HeadDim; d++)
            {
                ref float keyColumn = ref Unsafe.Add(ref panel, d * PanelKeys);
                var k0 = Vector512.LoadUnsafe(ref keyColumn);
                var k1 = vectors > 1 ? Vector512.LoadUnsafe(ref keyColumn, 16) : default;
                var k2 = vectors > 2 ? Vector512.LoadUnsafe(ref keyColumn, 32) : default;
                var k3 = vectors > 3 ? Vector512.LoadUnsafe(ref keyColumn, 48) : default;
                var q = Vector512.Create(Unsafe.Add(ref q0, d));
                s00 = Vector512.MultiplyAddEstimate(q, k0, s00);
                if (vectors > 1) s01 = Vector512.MultiplyAddEstimate(q, k1, s01);
                if (vectors > 2) s02 = Vector512.MultiplyAddEstimate(q, k2, s02);
                if (vectors > 3) s03 = Vector512.MultiplyAddEstimate(q, k3, s03);
                q = Vector512.Create(Unsafe.Add(ref q1, d));
                s10 = Vector512.MultiplyAddEstimate(q, k0, s10);
                if (vectors > 1) s11 = Vector512.MultiplyAddEstimate(q, k1, s11);
                if (vectors > 2) s12 = Vector512.MultiplyAddEstimate(q, k2, s12);
                if (vectors > 3) s13 = Vector512.MultiplyAddEstimate(q, k3, s13);
                q = Vector512.Create(Unsafe.Add(ref q2, d));
                s20 = Vector512.MultiplyAddEstimate(q, k0, s20);
                if (vectors > 1) s21 = Vector512.MultiplyAddEstimate(q, k1, s21);
                if (vectors > 2) s22 = Vector512.MultiplyAddEstimate(q, k2, s22);
                if (vectors > 3) s23 = Vector512.MultiplyAddEstimate(q, k3, s23);
                q = Vector512.Create(Unsafe.Add(ref q3, d));
                s30 = Vector512.MultiplyAddEstimate(q, k0, s30);
                if (vectors > 1) s31 = Vector512.MultiplyAddEstimate(q, k1, s31);
                if (vectors > 2) s32 = Vector512.MultiplyAddEstimate(q, k2, s32);
                if (vectors > 3) s33 = Vector512.MultiplyAddEstimate(q, k3, s33);
                q = Vector512.Create(Unsafe.Add(ref q4, d));
                s40 = Vector512.MultiplyAddEstimate(q, k0, s40);
                if (vectors > 1) s41 = Vector512.MultiplyAddEstimate(q, k1, s41);
                if (vectors > 2) s42 = Vector512.MultiplyAddEstimate(q, k2, s42);
                if (vectors > 3) s43 = Vector512.MultiplyAddEstimate(q, k3, s43);
                q = Vector512.Create(Unsafe.Add(ref q5, d));
                s50 = Vector512.MultiplyAddEstimate(q, k0, s50);
                if (vectors > 1) s51 = Vector512.MultiplyAddEstimate(q, k1, s51);
                if (vectors > 2) s52 = Vector512.MultiplyAddEstimate(q, k2, s52);
                if (vectors > 3) s53 = Vector512.MultiplyAddEstimate(q, k3, s53);
            }

            (s00 * TShape.Scale).StoreUnsafe(ref blockScores);
            if (vectors > 1) (s01 * TShape.Scale).StoreUnsafe(ref blockScores, 16);
            if (vectors > 2) (s02 * TShape.Scale).StoreUnsafe(ref blockScores, 32);
            if (vectors > 3) (s03 * TShape.Scale).StoreUnsafe(ref blockScores, 48);
            (s10 * TShape.Scale).StoreUnsafe(ref blockScores, (nuint)(1 * TShape.ScoreStride));
            if (vectors > 1) (s11 * TShape.Scale).StoreUnsafe(ref blockScores, (nuint)(1 * TShape.ScoreStride + 16));
            if (vectors > 2) (s12 * TShape.Scale).StoreUnsafe(ref blockScores, (nuint)(1 * TShape.ScoreStride + 32));
            if (vectors > 3) (s13 * TShape.Scale).StoreUnsafe(ref blockScores, (nuint)(1 * TShape.ScoreStride + 48));
            (s20 * TShape.Scale).StoreUnsafe(ref blockScores, (nuint)(2 * TShape.ScoreStride));
            if (vectors > 1) (s21 * TShape.Scale).StoreUnsafe(ref blockScores, (nuint)(2 * TShape.ScoreStride + 16));
            if (vectors > 2) (s22 * TShape.Scale).StoreUnsafe(ref blockScores, (nuint)(2 * TShape.ScoreStride + 32));
            if (vectors > 3) (s23 * TShape.Scale).StoreUnsafe(ref blockScores, (nuint)(2 * TShape.ScoreStride + 48));
            (s30 * TShape.Scale).StoreUnsafe(ref blockScores, (nuint)(3 * TShape.ScoreStride));
            if (vectors > 1) (s31 * TShape.Scale).StoreUnsafe(ref blockScores, (nuint)(3 * TShape.ScoreStride + 16));
            if (vectors > 2) (s32 * TShape.Scale).StoreUnsafe(ref blockScores, (nuint)(3 * TShape.ScoreStride + 32));
            if (vectors > 3) (s33 * TShape.Scale).StoreUnsafe(ref blockScores, (nuint)(3 * TShape.ScoreStride + 48));
            (s40 * TShape.Scale).StoreUnsafe(ref blockScores, (nuint)(4 * TShape.ScoreStride));
            if (vectors > 1) (s41 * TShape.Scale).StoreUnsafe(ref blockScores, (nuint)(4 * TShape.ScoreStride + 16));
            if (vectors > 2) (s42 * TShape.Scale).StoreUnsafe(ref blockScores, (nuint)(4 * TShape.ScoreStride + 32));
            if (vectors > 3) (s43 * TShape.Scale).StoreUnsafe(ref blockScores, (nuint)(4 * TShape.ScoreStride + 48));
            (s50 * TShape.Scale).StoreUnsafe(ref blockScores, (nuint)(5 * TShape.ScoreStride));
            if (vectors > 1) (s51 * TShape.Scale).StoreUnsafe(ref blockScores, (nuint)(5 * TShape.ScoreStride + 16));
            if (vectors > 2) (s52 * TShape.Scale).StoreUnsafe(ref blockScores, (nuint)(5 * TShape.ScoreStride + 32));
            if (vectors > 3) (s53 * TShape.Scale).StoreUnsafe(ref blockScores, (nuint)(5 * TShape.ScoreStride + 48));
        }

        /// <summary>
        /// P·V for a head of one vector (16 floats), two-pass softmax. Written apart from <see cref="WeighBlock"/> so each
        /// row's weights are one pointer and one broadcast use: the JIT then folds the broadcast into the FMA ({1to16}).
        /// A separate vbroadcastss per row left this loop bound by the shuffle port and sdpa H4 S32 D16 10% slower.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void WeighOneVector(ref float probabilities, int count, ref float values, ref float o0, ref float o1, ref float o2, ref float o3, ref float o4, ref float o5)
        {
            ref float w1 = ref Unsafe.Add(ref probabilities, TShape.ScoreStride);
            ref float w2 = ref Unsafe.Add(ref probabilities, 2 * TShape.ScoreStride);
            ref float w3 = ref Unsafe.Add(ref probabilities, 3 * TShape.ScoreStride);
            ref float w4 = ref Unsafe.Add(ref probabilities, 4 * TShape.ScoreStride);
            ref float w5 = ref Unsafe.Add(ref probabilities, 5 * TShape.ScoreStride);
            var a0 = Vector512<float>.Zero; var a1 = Vector512<float>.Zero; var a2 = Vector512<float>.Zero;
            var a3 = Vector512<float>.Zero; var a4 = Vector512<float>.Zero; var a5 = Vector512<float>.Zero;
            ref float valueRow = ref values;
            for (nint j = 0; j < count; j++)
            {
                var v = Vector512.LoadUnsafe(ref valueRow);
                a0 = Vector512.MultiplyAddEstimate(Vector512.Create(Unsafe.Add(ref probabilities, j)), v, a0);
                a1 = Vector512.MultiplyAddEstimate(Vector512.Create(Unsafe.Add(ref w1, j)), v, a1);
                a2 = Vector512.MultiplyAddEstimate(Vector512.Create(Unsafe.Add(ref w2, j)), v, a2);
                a3 = Vector512.MultiplyAddEstimate(Vector512.Create(Unsafe.Add(ref w3, j)), v, a3);
                a4 = Vector512.MultiplyAddEstimate(Vector512.Create(Unsafe.Add(ref w4, j)), v, a4);
                a5 = Vector512.MultiplyAddEstimate(Vector512.Create(Unsafe.Add(ref w5, j)), v, a5);
                valueRow = ref Unsafe.Add(ref valueRow, KvWidth);
            }

            a0.StoreUnsafe(ref o0);
            a1.StoreUnsafe(ref o1);
            a2.StoreUnsafe(ref o2);
            a3.StoreUnsafe(ref o3);
            a4.StoreUnsafe(ref o4);
            a5.StoreUnsafe(ref o5);
        }

        // As ScoreBlock: a constant vector count per call.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void WeighBlock(int vectors, ref float probabilities, int count, ref float values, ref float rescale, bool accumulate, ref float o0, ref float o1, ref float o2, ref float o3, ref float o4, ref float o5)
        {
            var a00 = Vector512<float>.Zero; var a01 = Vector512<float>.Zero; var a02 = Vector512<float>.Zero; var a03 = Vector512<float>.Zero;
            var a10 = Vector512<float>.Zero; var a11 = Vector512<float>.Zero; var a12 = Vector512<float>.Zero; var a13 = Vector512<float>.Zero;
            var a20 = Vector512<float>.Zero; var a21 = Vector512<float>.Zero; var a22 = Vector512<float>.Zero; var a23 = Vector512<float>.Zero;
            var a30 = Vector512<float>.Zero; var a31 = Vector512<float>.Zero; var a32 = Vector512<float>.Zero; var a33 = Vector512<float>.Zero;
            var a40 = Vector512<float>.Zero; var a41 = Vector512<float>.Zero; var a42 = Vector512<float>.Zero; var a43 = Vector512<float>.Zero;
            var a50 = Vector512<float>.Zero; var a51 = Vector512<float>.Zero; var a52 = Vector512<float>.Zero; var a53 = Vector512<float>.Zero;
            if (TShape.OnlineChunk > 0 && accumulate)
            {
                a00 = Vector512.LoadUnsafe(ref o0) * Unsafe.Add(ref rescale, 0);
                if (vectors > 1) a01 = Vector512.LoadUnsafe(ref o0, 16) * Unsafe.Add(ref rescale, 0);
                if (vectors > 2) a02 = Vector512.LoadUnsafe(ref o0, 32) * Unsafe.Add(ref rescale, 0);
                if (vectors > 3) a03 = Vector512.LoadUnsafe(ref o0, 48) * Unsafe.Add(ref rescale, 0);
                a10 = Vector512.LoadUnsafe(ref o1) * Unsafe.Add(ref rescale, 1);
                if (vectors > 1) a11 = Vector512.LoadUnsafe(ref o1, 16) * Unsafe.Add(ref rescale, 1);
                if (vectors > 2) a12 = Vector512.LoadUnsafe(ref o1, 32) * Unsafe.Add(ref rescale, 1);
                if (vectors > 3) a13 = Vector512.LoadUnsafe(ref o1, 48) * Unsafe.Add(ref rescale, 1);
                a20 = Vector512.LoadUnsafe(ref o2) * Unsafe.Add(ref rescale, 2);
                if (vectors > 1) a21 = Vector512.LoadUnsafe(ref o2, 16) * Unsafe.Add(ref rescale, 2);
                if (vectors > 2) a22 = Vector512.LoadUnsafe(ref o2, 32) * Unsafe.Add(ref rescale, 2);
                if (vectors > 3) a23 = Vector512.LoadUnsafe(ref o2, 48) * Unsafe.Add(ref rescale, 2);
                a30 = Vector512.LoadUnsafe(ref o3) * Unsafe.Add(ref rescale, 3);
                if (vectors > 1) a31 = Vector512.LoadUnsafe(ref o3, 16) * Unsafe.Add(ref rescale, 3);
                if (vectors > 2) a32 = Vector512.LoadUnsafe(ref o3, 32) * Unsafe.Add(ref rescale, 3);
                if (vectors > 3) a33 = Vector512.LoadUnsafe(ref o3, 48) * Unsafe.Add(ref rescale, 3);
                a40 = Vector512.LoadUnsafe(ref o4) * Unsafe.Add(ref rescale, 4);
                if (vectors > 1) a41 = Vector512.LoadUnsafe(ref o4, 16) * Unsafe.Add(ref rescale, 4);
                if (vectors > 2) a42 = Vector512.LoadUnsafe(ref o4, 32) * Unsafe.Add(ref rescale, 4);
                if (vectors > 3) a43 = Vector512.LoadUnsafe(ref o4, 48) * Unsafe.Add(ref rescale, 4);
                a50 = Vector512.LoadUnsafe(ref o5) * Unsafe.Add(ref rescale, 5);
                if (vectors > 1) a51 = Vector512.LoadUnsafe(ref o5, 16) * Unsafe.Add(ref rescale, 5);
                if (vectors > 2) a52 = Vector512.LoadUnsafe(ref o5, 32) * Unsafe.Add(ref rescale, 5);
                if (vectors > 3) a53 = Vector512.LoadUnsafe(ref o5, 48) * Unsafe.Add(ref rescale, 5);
            }

            // The value row advances by a stride rather than being recomputed from j, so the column offset stays out of the loop.
            ref float valueRow = ref values;
            for (int j = 0; j < count; j++)
            {
                var v0 = Vector512.LoadUnsafe(ref valueRow);
                var v1 = vectors > 1 ? Vector512.LoadUnsafe(ref valueRow, 16) : default;
                var v2 = vectors > 2 ? Vector512.LoadUnsafe(ref valueRow, 32) : default;
                var v3 = vectors > 3 ? Vector512.LoadUnsafe(ref valueRow, 48) : default;
                var p = Vector512.Create(Unsafe.Add(ref probabilities, j));
                a00 = Vector512.MultiplyAddEstimate(p, v0, a00);
                if (vectors > 1) a01 = Vector512.MultiplyAddEstimate(p, v1, a01);
                if (vectors > 2) a02 = Vector512.MultiplyAddEstimate(p, v2, a02);
                if (vectors > 3) a03 = Vector512.MultiplyAddEstimate(p, v3, a03);
                p = Vector512.Create(Unsafe.Add(ref probabilities, 1 * TShape.ScoreStride + j));
                a10 = Vector512.MultiplyAddEstimate(p, v0, a10);
                if (vectors > 1) a11 = Vector512.MultiplyAddEstimate(p, v1, a11);
                if (vectors > 2) a12 = Vector512.MultiplyAddEstimate(p, v2, a12);
                if (vectors > 3) a13 = Vector512.MultiplyAddEstimate(p, v3, a13);
                p = Vector512.Create(Unsafe.Add(ref probabilities, 2 * TShape.ScoreStride + j));
                a20 = Vector512.MultiplyAddEstimate(p, v0, a20);
                if (vectors > 1) a21 = Vector512.MultiplyAddEstimate(p, v1, a21);
                if (vectors > 2) a22 = Vector512.MultiplyAddEstimate(p, v2, a22);
                if (vectors > 3) a23 = Vector512.MultiplyAddEstimate(p, v3, a23);
                p = Vector512.Create(Unsafe.Add(ref probabilities, 3 * TShape.ScoreStride + j));
                a30 = Vector512.MultiplyAddEstimate(p, v0, a30);
                if (vectors > 1) a31 = Vector512.MultiplyAddEstimate(p, v1, a31);
                if (vectors > 2) a32 = Vector512.MultiplyAddEstimate(p, v2, a32);
                if (vectors > 3) a33 = Vector512.MultiplyAddEstimate(p, v3, a33);
                p = Vector512.Create(Unsafe.Add(ref probabilities, 4 * TShape.ScoreStride + j));
                a40 = Vector512.MultiplyAddEstimate(p, v0, a40);
                if (vectors > 1) a41 = Vector512.MultiplyAddEstimate(p, v1, a41);
                if (vectors > 2) a42 = Vector512.MultiplyAddEstimate(p, v2, a42);
                if (vectors > 3) a43 = Vector512.MultiplyAddEstimate(p, v3, a43);
                p = Vector512.Create(Unsafe.Add(ref probabilities, 5 * TShape.ScoreStride + j));
                a50 = Vector512.MultiplyAddEstimate(p, v0, a50);
                if (vectors > 1) a51 = Vector512.MultiplyAddEstimate(p, v1, a51);
                if (vectors > 2) a52 = Vector512.MultiplyAddEstimate(p, v2, a52);
                if (vectors > 3) a53 = Vector512.MultiplyAddEstimate(p, v3, a53);
                valueRow = ref Unsafe.Add(ref valueRow, KvWidth);
            }

            a00.StoreUnsafe(ref o0);
            if (vectors > 1) a01.StoreUnsafe(ref o0, 16);
            if (vectors > 2) a02.StoreUnsafe(ref o0, 32);
            if (vectors > 3) a03.StoreUnsafe(ref o0, 48);
            a10.StoreUnsafe(ref o1);
            if (vectors > 1) a11.StoreUnsafe(ref o1, 16);
            if (vectors > 2) a12.StoreUnsafe(ref o1, 32);
            if (vectors > 3) a13.StoreUnsafe(ref o1, 48);
            a20.StoreUnsafe(ref o2);
            if (vectors > 1) a21.StoreUnsafe(ref o2, 16);
            if (vectors > 2) a22.StoreUnsafe(ref o2, 32);
            if (vectors > 3) a23.StoreUnsafe(ref o2, 48);
            a30.StoreUnsafe(ref o3);
            if (vectors > 1) a31.StoreUnsafe(ref o3, 16);
            if (vectors > 2) a32.StoreUnsafe(ref o3, 32);
            if (vectors > 3) a33.StoreUnsafe(ref o3, 48);
            a40.StoreUnsafe(ref o4);
            if (vectors > 1) a41.StoreUnsafe(ref o4, 16);
            if (vectors > 2) a42.StoreUnsafe(ref o4, 32);
            if (vectors > 3) a43.StoreUnsafe(ref o4, 48);
            a50.StoreUnsafe(ref o5);
            if (vectors > 1) a51.StoreUnsafe(ref o5, 16);
            if (vectors > 2) a52.StoreUnsafe(ref o5, 32);
            if (vectors > 3) a53.StoreUnsafe(ref o5, 48);
        }
    }


    /// <summary>The Vector256 tile: 6 pairs × 2 key vectors (QKᵀ) and 6 pairs × 2 output vectors (P·V).</summary>
    private struct Tile256 : ITile
    {
        private const int Width = 8;

        private const int OutputVectors = 2;

        public static int Rows => Rows256;

        public static int PanelKeys => 2 * Width;

        public static bool SoftmaxSixRowsInLockstep => false;

        private static int KeyVectors => PanelKeys / Width;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Score(ref float queryStart, ref int offsets, ref float panels, int keys, ref float scores)
        {
            ref float q0 = ref Row(ref queryStart, ref offsets, 0, 0);
            ref float q1 = ref Row(ref queryStart, ref offsets, 1, 0);
            ref float q2 = ref Row(ref queryStart, ref offsets, 2, 0);
            ref float q3 = ref Row(ref queryStart, ref offsets, 3, 0);
            ref float q4 = ref Row(ref queryStart, ref offsets, 4, 0);
            ref float q5 = ref Row(ref queryStart, ref offsets, 5, 0);
            int keyVectors = (keys + Width - 1) / Width;
            int fullBlocks = keyVectors / KeyVectors;
            for (int block = 0; block < fullBlocks; block++)
            {
                ScoreBlock(KeyVectors, ref q0, ref q1, ref q2, ref q3, ref q4, ref q5, ref Unsafe.Add(ref panels, block * (TShape.HeadDim * PanelKeys)), ref Unsafe.Add(ref scores, block * PanelKeys));
            }

            // The partial last panel: one copy of the block per vector count, so each keeps its accumulators in registers.
            int tailVectors = keyVectors % KeyVectors;
            ref float tailPanel = ref Unsafe.Add(ref panels, fullBlocks * (TShape.HeadDim * PanelKeys));
            ref float tailScores = ref Unsafe.Add(ref scores, fullBlocks * PanelKeys);
            if (KeyVectors > 1 && tailVectors == 1)
            {
                ScoreBlock(1, ref q0, ref q1, ref q2, ref q3, ref q4, ref q5, ref tailPanel, ref tailScores);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Weigh(ref float probabilities, int count, ref float values, ref float rescale, bool accumulate, ref float outputStart, ref int offsets)
        {
            // Head columns OutputVectors vectors at a time, then one narrower block for the rest of the head.
            const int BlockWidth = OutputVectors * Width;
            if (TShape.HeadDim >= BlockWidth)
            {
                for (int column = 0; column + BlockWidth <= TShape.HeadDim; column += BlockWidth)
                {
                    WeighBlock(OutputVectors, ref probabilities, count, ref Unsafe.Add(ref values, column), ref rescale, accumulate, ref Row(ref outputStart, ref offsets, 0, column), ref Row(ref outputStart, ref offsets, 1, column), ref Row(ref outputStart, ref offsets, 2, column), ref Row(ref outputStart, ref offsets, 3, column), ref Row(ref outputStart, ref offsets, 4, column), ref Row(ref outputStart, ref offsets, 5, column));
                }
            }

            int lastVectors = TShape.HeadDim % BlockWidth / Width;
            if (lastVectors > 0)
            {
                int lastColumn = TShape.HeadDim - TShape.HeadDim % BlockWidth;
                WeighBlock(lastVectors, ref probabilities, count, ref Unsafe.Add(ref values, lastColumn), ref rescale, accumulate, ref Row(ref outputStart, ref offsets, 0, lastColumn), ref Row(ref outputStart, ref offsets, 1, lastColumn), ref Row(ref outputStart, ref offsets, 2, lastColumn), ref Row(ref outputStart, ref offsets, 3, lastColumn), ref Row(ref outputStart, ref offsets, 4, lastColumn), ref Row(ref outputStart, ref offsets, 5, lastColumn));
            }
        }

        // Every call passes a constant vector count, so the guards on it fold away and each inlined copy holds exactly
        // its accumulators in registers.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void ScoreBlock(int vectors, ref float q0, ref float q1, ref float q2, ref float q3, ref float q4, ref float q5, ref float panel, ref float blockScores)
        {
            var s00 = Vector256<float>.Zero; var s01 = Vector256<float>.Zero;
            var s10 = Vector256<float>.Zero; var s11 = Vector256<float>.Zero;
            var s20 = Vector256<float>.Zero; var s21 = Vector256<float>.Zero;
            var s30 = Vector256<float>.Zero; var s31 = Vector256<float>.Zero;
            var s40 = Vector256<float>.Zero; var s41 = Vector256<float>.Zero;
            var s50 = Vector256<float>.Zero; var s51 = Vector256<float>.Zero;
            for (int d = 0; d < TShape.HeadDim; d++)
            {
                ref float keyColumn = ref Unsafe.Add(ref panel, d * PanelKeys);
                var k0 = Vector256.LoadUnsafe(ref keyColumn);
                var k1 = vectors > 1 ? Vector256.LoadUnsafe(ref keyColumn, 8) : default;
                var q = Vector256.Create(Unsafe.Add(ref q0, d));
                s00 = Vector256.MultiplyAddEstimate(q, k0, s00);
                if (vectors > 1) s01 = Vector256.MultiplyAddEstimate(q, k1, s01);
                q = Vector256.Create(Unsafe.Add(ref q1, d));
                s10 = Vector256.MultiplyAddEstimate(q, k0, s10);
                if (vectors > 1) s11 = Vector256.MultiplyAddEstimate(q, k1, s11);
                q = Vector256.Create(Unsafe.Add(ref q2, d));
                s20 = Vector256.MultiplyAddEstimate(q, k0, s20);
                if (vectors > 1) s21 = Vector256.MultiplyAddEstimate(q, k1, s21);
                q = Vector256.Create(Unsafe.Add(ref q3, d));
                s30 = Vector256.MultiplyAddEstimate(q, k0, s30);
                if (vectors > 1) s31 = Vector256.MultiplyAddEstimate(q, k1, s31);
                q = Vector256.Create(Unsafe.Add(ref q4, d));
                s40 = Vector256.MultiplyAddEstimate(q, k0, s40);
                if (vectors > 1) s41 = Vector256.MultiplyAddEstimate(q, k1, s41);
                q = Vector256.Create(Unsafe.Add(ref q5, d));
                s50 = Vector256.MultiplyAddEstimate(q, k0, s50);
                if (vectors > 1) s51 = Vector256.MultiplyAddEstimate(q, k1, s51);
            }

            (s00 * TShape.Scale).StoreUnsafe(ref blockScores);
            if (vectors > 1) (s01 * TShape.Scale).StoreUnsafe(ref blockScores, 8);
            (s10 * TShape.Scale).StoreUnsafe(ref blockScores, (nuint)(1 * TShape.ScoreStride));
            if (vectors > 1) (s11 * TShape.Scale).StoreUnsafe(ref blockScores, (nuint)(1 * TShape.ScoreStride + 8));
            (s20 * TShape.Scale).StoreUnsafe(ref blockScores, (nuint)(2 * TShape.ScoreStride));
            if (vectors > 1) (s21 * TShape.Scale).StoreUnsafe(ref blockScores, (nuint)(2 * TShape.ScoreStride + 8));
            (s30 * TShape.Scale).StoreUnsafe(ref blockScores, (nuint)(3 * TShape.ScoreStride));
            if (vectors > 1) (s31 * TShape.Scale).StoreUnsafe(ref blockScores, (nuint)(3 * TShape.ScoreStride + 8));
            (s40 * TShape.Scale).StoreUnsafe(ref blockScores, (nuint)(4 * TShape.ScoreStride));
            if (vectors > 1) (s41 * TShape.Scale).StoreUnsafe(ref blockScores, (nuint)(4 * TShape.ScoreStride + 8));
            (s50 * TShape.Scale).StoreUnsafe(ref blockScores, (nuint)(5 * TShape.ScoreStride));
            if (vectors > 1) (s51 * TShape.Scale).StoreUnsafe(ref blockScores, (nuint)(5 * TShape.ScoreStride + 8));
        }

        // As ScoreBlock: a constant vector count per call.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void WeighBlock(int vectors, ref float probabilities, int count, ref float values, ref float rescale, bool accumulate, ref float o0, ref float o1, ref float o2, ref float o3, ref float o4, ref float o5)
        {
            var a00 = Vector256<float>.Zero; var a01 = Vector256<float>.Zero;
            var a10 = Vector256<float>.Zero; var a11 = Vector256<float>.Zero;
            var a20 = Vector256<float>.Zero; var a21 = Vector256<float>.Zero;
            var a30 = Vector256<float>.Zero; var a31 = Vector256<float>.Zero;
            var a40 = Vector256<float>.Zero; var a41 = Vector256<float>.Zero;
            var a50 = Vector256<float>.Zero; var a51 = Vector256<float>.Zero;
            if (TShape.OnlineChunk > 0 && accumulate)
            {
                a00 = Vector256.LoadUnsafe(ref o0) * Unsafe.Add(ref rescale, 0);
                if (vectors > 1) a01 = Vector256.LoadUnsafe(ref o0, 8) * Unsafe.Add(ref rescale, 0);
                a10 = Vector256.LoadUnsafe(ref o1) * Unsafe.Add(ref rescale, 1);
                if (vectors > 1) a11 = Vector256.LoadUnsafe(ref o1, 8) * Unsafe.Add(ref rescale, 1);
                a20 = Vector256.LoadUnsafe(ref o2) * Unsafe.Add(ref rescale, 2);
                if (vectors > 1) a21 = Vector256.LoadUnsafe(ref o2, 8) * Unsafe.Add(ref rescale, 2);
                a30 = Vector256.LoadUnsafe(ref o3) * Unsafe.Add(ref rescale, 3);
                if (vectors > 1) a31 = Vector256.LoadUnsafe(ref o3, 8) * Unsafe.Add(ref rescale, 3);
                a40 = Vector256.LoadUnsafe(ref o4) * Unsafe.Add(ref rescale, 4);
                if (vectors > 1) a41 = Vector256.LoadUnsafe(ref o4, 8) * Unsafe.Add(ref rescale, 4);
                a50 = Vector256.LoadUnsafe(ref o5) * Unsafe.Add(ref rescale, 5);
                if (vectors > 1) a51 = Vector256.LoadUnsafe(ref o5, 8) * Unsafe.Add(ref rescale, 5);
            }

            // The value row advances by a stride rather than being recomputed from j, so the column offset stays out of the loop.
            ref float valueRow = ref values;
            for (int j = 0; j < count; j++)
            {
                var v0 = Vector256.LoadUnsafe(ref valueRow);
                var v1 = vectors > 1 ? Vector256.LoadUnsafe(ref valueRow, 8) : default;
                var p = Vector256.Create(Unsafe.Add(ref probabilities, j));
                a00 = Vector256.MultiplyAddEstimate(p, v0, a00);
                if (vectors > 1) a01 = Vector256.MultiplyAddEstimate(p, v1, a01);
                p = Vector256.Create(Unsafe.Add(ref probabilities, 1 * TShape.ScoreStride + j));
                a10 = Vector256.MultiplyAddEstimate(p, v0, a10);
                if (vectors > 1) a11 = Vector256.MultiplyAddEstimate(p, v1, a11);
                p = Vector256.Create(Unsafe.Add(ref probabilities, 2 * TShape.ScoreStride + j));
                a20 = Vector256.MultiplyAddEstimate(p, v0, a20);
                if (vectors > 1) a21 = Vector256.MultiplyAddEstimate(p, v1, a21);
                p = Vector256.Create(Unsafe.Add(ref probabilities, 3 * TShape.ScoreStride + j));
                a30 = Vector256.MultiplyAddEstimate(p, v0, a30);
                if (vectors > 1) a31 = Vector256.MultiplyAddEstimate(p, v1, a31);
                p = Vector256.Create(Unsafe.Add(ref probabilities, 4 * TShape.ScoreStride + j));
                a40 = Vector256.MultiplyAddEstimate(p, v0, a40);
                if (vectors > 1) a41 = Vector256.MultiplyAddEstimate(p, v1, a41);
                p = Vector256.Create(Unsafe.Add(ref probabilities, 5 * TShape.ScoreStride + j));
                a50 = Vector256.MultiplyAddEstimate(p, v0, a50);
                if (vectors > 1) a51 = Vector256.MultiplyAddEstimate(p, v1, a51);
                valueRow = ref Unsafe.Add(ref valueRow, KvWidth);
            }

            a00.StoreUnsafe(ref o0);
            if (vectors > 1) a01.StoreUnsafe(ref o0, 8);
            a10.StoreUnsafe(ref o1);
            if (vectors > 1) a11.StoreUnsafe(ref o1, 8);
            a20.StoreUnsafe(ref o2);
            if (vectors > 1) a21.StoreUnsafe(ref o2, 8);
            a30.StoreUnsafe(ref o3);
            if (vectors > 1) a31.StoreUnsafe(ref o3, 8);
            a40.StoreUnsafe(ref o4);
            if (vectors > 1) a41.StoreUnsafe(ref o4, 8);
            a50.StoreUnsafe(ref o5);
            if (vectors > 1) a51.StoreUnsafe(ref o5, 8);
        }
    }


    /// <summary>The Vector128 tile: 4 pairs × 2 key vectors (QKᵀ) and 4 pairs × 2 output vectors (P·V).</summary>
    private struct Tile128 : ITile
    {
        private const int Width = 4;

        private const int OutputVectors = 2;

        public static int Rows => Rows128;

        public static int PanelKeys => 2 * Width;

        public static bool SoftmaxSixRowsInLockstep => false;

        private static int KeyVectors => PanelKeys / Width;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Score(ref float queryStart, ref int offsets, ref float panels, int keys, ref float scores)
        {
            ref float q0 = ref Row(ref queryStart, ref offsets, 0, 0);
            ref float q1 = ref Row(ref queryStart, ref offsets, 1, 0);
            ref float q2 = ref Row(ref queryStart, ref offsets, 2, 0);
            ref float q3 = ref Row(ref queryStart, ref offsets, 3, 0);
            int keyVectors = (keys + Width - 1) / Width;
            int fullBlocks = keyVectors / KeyVectors;
            for (int block = 0; block < fullBlocks; block++)
            {
                ScoreBlock(KeyVectors, ref q0, ref q1, ref q2, ref q3, ref Unsafe.Add(ref panels, block * (TShape.HeadDim * PanelKeys)), ref Unsafe.Add(ref scores, block * PanelKeys));
            }

            // The partial last panel: one copy of the block per vector count, so each keeps its accumulators in registers.
            int tailVectors = keyVectors % KeyVectors;
            ref float tailPanel = ref Unsafe.Add(ref panels, fullBlocks * (TShape.HeadDim * PanelKeys));
            ref float tailScores = ref Unsafe.Add(ref scores, fullBlocks * PanelKeys);
            if (KeyVectors > 1 && tailVectors == 1)
            {
                ScoreBlock(1, ref q0, ref q1, ref q2, ref q3, ref tailPanel, ref tailScores);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Weigh(ref float probabilities, int count, ref float values, ref float rescale, bool accumulate, ref float outputStart, ref int offsets)
        {
            // Head columns OutputVectors vectors at a time, then one narrower block for the rest of the head.
            const int BlockWidth = OutputVectors * Width;
            if (TShape.HeadDim >= BlockWidth)
            {
                for (int column = 0; column + BlockWidth <= TShape.HeadDim; column += BlockWidth)
                {
                    WeighBlock(OutputVectors, ref probabilities, count, ref Unsafe.Add(ref values, column), ref rescale, accumulate, ref Row(ref outputStart, ref offsets, 0, column), ref Row(ref outputStart, ref offsets, 1, column), ref Row(ref outputStart, ref offsets, 2, column), ref Row(ref outputStart, ref offsets, 3, column));
                }
            }

            int lastVectors = TShape.HeadDim % BlockWidth / Width;
            if (lastVectors > 0)
            {
                int lastColumn = TShape.HeadDim - TShape.HeadDim % BlockWidth;
                WeighBlock(lastVectors, ref probabilities, count, ref Unsafe.Add(ref values, lastColumn), ref rescale, accumulate, ref Row(ref outputStart, ref offsets, 0, lastColumn), ref Row(ref outputStart, ref offsets, 1, lastColumn), ref Row(ref outputStart, ref offsets, 2, lastColumn), ref Row(ref outputStart, ref offsets, 3, lastColumn));
            }
        }

        // Every call passes a constant vector count, so the guards on it fold away and each inlined copy holds exactly
        // its accumulators in registers.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void ScoreBlock(int vectors, ref float q0, ref float q1, ref float q2, ref float q3, ref float panel, ref float blockScores)
        {
            var s00 = Vector128<float>.Zero; var s01 = Vector128<float>.Zero;
            var s10 = Vector128<float>.Zero; var s11 = Vector128<float>.Zero;
            var s20 = Vector128<float>.Zero; var s21 = Vector128<float>.Zero;
            var s30 = Vector128<float>.Zero; var s31 = Vector128<float>.Zero;
            for (int d = 0; d < TShape.HeadDim; d++)
            {
                ref float keyColumn = ref Unsafe.Add(ref panel, d * PanelKeys);
                var k0 = Vector128.LoadUnsafe(ref keyColumn);
                var k1 = vectors > 1 ? Vector128.LoadUnsafe(ref keyColumn, 4) : default;
                var q = Vector128.Create(Unsafe.Add(ref q0, d));
                s00 = Vector128.MultiplyAddEstimate(q, k0, s00);
                if (vectors > 1) s01 = Vector128.MultiplyAddEstimate(q, k1, s01);
                q = Vector128.Create(Unsafe.Add(ref q1, d));
                s10 = Vector128.MultiplyAddEstimate(q, k0, s10);
                if (vectors > 1) s11 = Vector128.MultiplyAddEstimate(q, k1, s11);
                q = Vector128.Create(Unsafe.Add(ref q2, d));
                s20 = Vector128.MultiplyAddEstimate(q, k0, s20);
                if (vectors > 1) s21 = Vector128.MultiplyAddEstimate(q, k1, s21);
                q = Vector128.Create(Unsafe.Add(ref q3, d));
                s30 = Vector128.MultiplyAddEstimate(q, k0, s30);
                if (vectors > 1) s31 = Vector128.MultiplyAddEstimate(q, k1, s31);
            }

            (s00 * TShape.Scale).StoreUnsafe(ref blockScores);
            if (vectors > 1) (s01 * TShape.Scale).StoreUnsafe(ref blockScores, 4);
            (s10 * TShape.Scale).StoreUnsafe(ref blockScores, (nuint)(1 * TShape.ScoreStride));
            if (vectors > 1) (s11 * TShape.Scale).StoreUnsafe(ref blockScores, (nuint)(1 * TShape.ScoreStride + 4));
            (s20 * TShape.Scale).StoreUnsafe(ref blockScores, (nuint)(2 * TShape.ScoreStride));
            if (vectors > 1) (s21 * TShape.Scale).StoreUnsafe(ref blockScores, (nuint)(2 * TShape.ScoreStride + 4));
            (s30 * TShape.Scale).StoreUnsafe(ref blockScores, (nuint)(3 * TShape.ScoreStride));
            if (vectors > 1) (s31 * TShape.Scale).StoreUnsafe(ref blockScores, (nuint)(3 * TShape.ScoreStride + 4));
        }

        // As ScoreBlock: a constant vector count per call.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void WeighBlock(int vectors, ref float probabilities, int count, ref float values, ref float rescale, bool accumulate, ref float o0, ref float o1, ref float o2, ref float o3)
        {
            var a00 = Vector128<float>.Zero; var a01 = Vector128<float>.Zero;
            var a10 = Vector128<float>.Zero; var a11 = Vector128<float>.Zero;
            var a20 = Vector128<float>.Zero; var a21 = Vector128<float>.Zero;
            var a30 = Vector128<float>.Zero; var a31 = Vector128<float>.Zero;
            if (TShape.OnlineChunk > 0 && accumulate)
            {
                a00 = Vector128.LoadUnsafe(ref o0) * Unsafe.Add(ref rescale, 0);
                if (vectors > 1) a01 = Vector128.LoadUnsafe(ref o0, 4) * Unsafe.Add(ref rescale, 0);
                a10 = Vector128.LoadUnsafe(ref o1) * Unsafe.Add(ref rescale, 1);
                if (vectors > 1) a11 = Vector128.LoadUnsafe(ref o1, 4) * Unsafe.Add(ref rescale, 1);
                a20 = Vector128.LoadUnsafe(ref o2) * Unsafe.Add(ref rescale, 2);
                if (vectors > 1) a21 = Vector128.LoadUnsafe(ref o2, 4) * Unsafe.Add(ref rescale, 2);
                a30 = Vector128.LoadUnsafe(ref o3) * Unsafe.Add(ref rescale, 3);
                if (vectors > 1) a31 = Vector128.LoadUnsafe(ref o3, 4) * Unsafe.Add(ref rescale, 3);
            }

            // The value row advances by a stride rather than being recomputed from j, so the column offset stays out of the loop.
            ref float valueRow = ref values;
            for (int j = 0; j < count; j++)
            {
                var v0 = Vector128.LoadUnsafe(ref valueRow);
                var v1 = vectors > 1 ? Vector128.LoadUnsafe(ref valueRow, 4) : default;
                var p = Vector128.Create(Unsafe.Add(ref probabilities, j));
                a00 = Vector128.MultiplyAddEstimate(p, v0, a00);
                if (vectors > 1) a01 = Vector128.MultiplyAddEstimate(p, v1, a01);
                p = Vector128.Create(Unsafe.Add(ref probabilities, 1 * TShape.ScoreStride + j));
                a10 = Vector128.MultiplyAddEstimate(p, v0, a10);
                if (vectors > 1) a11 = Vector128.MultiplyAddEstimate(p, v1, a11);
                p = Vector128.Create(Unsafe.Add(ref probabilities, 2 * TShape.ScoreStride + j));
                a20 = Vector128.MultiplyAddEstimate(p, v0, a20);
                if (vectors > 1) a21 = Vector128.MultiplyAddEstimate(p, v1, a21);
                p = Vector128.Create(Unsafe.Add(ref probabilities, 3 * TShape.ScoreStride + j));
                a30 = Vector128.MultiplyAddEstimate(p, v0, a30);
                if (vectors > 1) a31 = Vector128.MultiplyAddEstimate(p, v1, a31);
                valueRow = ref Unsafe.Add(ref valueRow, KvWidth);
            }

            a00.StoreUnsafe(ref o0);
            if (vectors > 1) a01.StoreUnsafe(ref o0, 4);
            a10.StoreUnsafe(ref o1);
            if (vectors > 1) a11.StoreUnsafe(ref o1, 4);
            a20.StoreUnsafe(ref o2);
            if (vectors > 1) a21.StoreUnsafe(ref o2, 4);
            a30.StoreUnsafe(ref o3);
            if (vectors > 1) a31.StoreUnsafe(ref o3, 4);
        }
    }


    /// <summary>Where a tile's row <paramref name="r"/> starts in the query or output, plus <paramref name="column"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref float Row(ref float start, ref int offsets, int r, int column) => ref Unsafe.Add(ref start, Unsafe.Add(ref offsets, r) + column);
}
