using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace AttentionGen.Kernels.Attention;

// The tiled path's register tiles (QKᵀ into the score block, P·V into the output) and the layouts each width gives them.
internal static partial class TiledAttention<TShape>
{
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
    /// <remarks>
    /// Two other shapes of the loop were timed against this one on Zen 3, alternating builds in a harness, after a loop
    /// harness had favoured both. 4 pairs × 3 vectors both ways (24-key panels: 7 loads per 12 multiply-adds rather than 8)
    /// took 0.86–0.93× the time of `sdpa H8 S128 D64`, but 1.07× at S100 and 1.14× on `H12 S512`, where K and V stream
    /// once per 4 rows rather than 6. The tile's query rows broadcast into a stack buffer first, so that the QKᵀ loop loads
    /// whole vectors rather than broadcasting, took 1.21× at S128.
    /// </remarks>
    private struct Layout256 : ITileLayout
    {
        public static int Rows => Rows256;

        public static int PanelKeys => 2 * 8;

        public static int OutputVectors => 2;

        public static bool SoftmaxSixRowsInLockstep => false;

        public static int Base2RowsAtOnce => 1;

        public static bool GathersValues => true;
    }

    /// <summary>
    /// AVX2's leading tile: 4 pairs × 2 vectors both ways, for the pairs before a call's whole six-row tiles when they are
    /// four or fewer (as <see cref="Layout512Leading{TValueRows}"/> on AVX-512). A six-row tile there redid up to five rows
    /// of the first whole tile: 12 rows of work for the 7 of `sdpa H8 q7 kv1000 D64`, 18 for all-MiniLM's 16 tokens.
    /// Its 8 accumulators are as many independent chains as two FMA pipes with a four-cycle latency keep busy.
    /// </summary>
    private struct Layout256Leading : ITileLayout
    {
        public static int Rows => LeadingRows256;

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
        /// <remarks>
        /// Each block takes every key before the next block, so a wide head reads one 64-byte slice of each value row per
        /// pass (16 passes at 256 wide on AVX2). Keys in chunks of 32 or 64, each chunk through every block (the sums
        /// continued from the stores, the same bits), so the rows are read whole while in L1, left P·V's share of
        /// `sdpa H8 S333 D256` where it was (57–61% either way; Zen 3, profiles, in a build where the extra call site kept
        /// <see cref="WeighBlock"/> out of line in both arms).
        /// </remarks>
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
