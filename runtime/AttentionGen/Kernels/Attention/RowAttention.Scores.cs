using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace AttentionGen.Kernels.Attention;

// The row path's score kernels: Q·Kᵀ for a row's stacked heads, a head's stacked rows, or packed queries.
internal static partial class RowAttention<TShape>
{
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
    /// AVX2's stacks of 3 to 6 query rows of one head (QueryWidth apart), against two keys at a time, the last pair sliding
    /// back to end on the last key: each key vector is loaded once for all the rows. Row i's scores go to score row i.
    /// </summary>
    /// <remarks>
    /// <para>
    /// The 2-row kernel (<see cref="ScoreRowStack256{TRows}"/>: 2 rows × 4 keys of accumulators, 4 key vectors and a query
    /// in AVX2's 16 registers) keeps 8 chains of dependent multiply-adds in flight, exactly what two 4-cycle multiply-add
    /// ports need, so any stall idles them; and K streams once per 2 rows. 6 rows × 2 keys keep 12 chains beside 2 key
    /// vectors and a query, and stream K once per 6 rows. In a harness over 1,000 keys of one 64-wide head (K in L2), the
    /// two loops ran at 60 and 73 GFLOP/s against a measured peak of 95 (Zen 3, medians of 61 alternating samples).
    /// </para>
    /// <para>
    /// Each score has the bits the other score kernels give it: one accumulator per (row, key) over the head's vectors in
    /// order, the same fold (<see cref="HorizontalSum"/>'s tree for a sum does not depend on which sums share its vectors),
    /// then the scale.
    /// </para>
    /// </remarks>
    [MethodImpl(Kernel)]
    private static void ScoreRowPairs256<TRows>(ref float queries, ref float keys, int count, ref float scores)
        where TRows : struct, IStaticCount
    {
        int rows = TRows.Value;
        for (int first = 0; first < count; first += 2)
        {
            int j = Math.Min(first, count - 2);
            ref float pair = ref Unsafe.Add(ref keys, (nint)j * KvWidth);
            Vector256<float> s00 = Vector256<float>.Zero, s01 = s00, s10 = s00, s11 = s00, s20 = s00, s21 = s00;
            Vector256<float> s30 = s00, s31 = s00, s40 = s00, s41 = s00, s50 = s00, s51 = s00;
            for (nuint d = 0; d < (nuint)HeadDim; d += (nuint)Vector256<float>.Count)
            {
                var k0 = Vector256.LoadUnsafe(ref pair, d);
                var k1 = Vector256.LoadUnsafe(ref pair, d + (nuint)KvWidth);
                var query = Vector256.LoadUnsafe(ref queries, d);
                s00 = Vector256.MultiplyAddEstimate(query, k0, s00); s01 = Vector256.MultiplyAddEstimate(query, k1, s01);
                query = Vector256.LoadUnsafe(ref queries, d + (nuint)QueryWidth);
                s10 = Vector256.MultiplyAddEstimate(query, k0, s10); s11 = Vector256.MultiplyAddEstimate(query, k1, s11);
                query = Vector256.LoadUnsafe(ref queries, d + (nuint)(2 * QueryWidth));
                s20 = Vector256.MultiplyAddEstimate(query, k0, s20); s21 = Vector256.MultiplyAddEstimate(query, k1, s21);
                if (rows >= 4)
                {
                    query = Vector256.LoadUnsafe(ref queries, d + (nuint)(3 * QueryWidth));
                    s30 = Vector256.MultiplyAddEstimate(query, k0, s30); s31 = Vector256.MultiplyAddEstimate(query, k1, s31);
                }

                if (rows >= 5)
                {
                    query = Vector256.LoadUnsafe(ref queries, d + (nuint)(4 * QueryWidth));
                    s40 = Vector256.MultiplyAddEstimate(query, k0, s40); s41 = Vector256.MultiplyAddEstimate(query, k1, s41);
                }

                if (rows >= 6)
                {
                    query = Vector256.LoadUnsafe(ref queries, d + (nuint)(5 * QueryWidth));
                    s50 = Vector256.MultiplyAddEstimate(query, k0, s50); s51 = Vector256.MultiplyAddEstimate(query, k1, s51);
                }
            }

            // Elements 2i and 2i + 1 of the first four rows' sums are row i's scores for keys j and j + 1.
            ref float rowScores = ref Unsafe.Add(ref scores, j);
            var firstFour = Vector256.Create(TShape.Scale) * HorizontalSum.AcrossBlocks(
                HorizontalSum.OfFour(s00, s01, s10, s11), HorizontalSum.OfFour(s20, s21, s30, s31));
            StoreScorePairs(firstFour.GetLower(), ref rowScores, 0, rows);
            StoreScorePairs(firstFour.GetUpper(), ref rowScores, 2, rows);
            if (rows >= 5)
            {
                // The same fold: the sum of a block's four elements in each 128-bit block, then the two blocks added.
                var lastTwo = HorizontalSum.OfFour(s40, s41, s50, s51);
                StoreScorePairs(Vector128.Create(TShape.Scale) * (lastTwo.GetLower() + lastTwo.GetUpper()), ref rowScores, 4, rows);
            }
        }
    }

    /// <summary>
    /// Stores a pair of scores for row <paramref name="row"/> (elements 0 and 1) and, where the stack has it, the next row
    /// (elements 2 and 3), at their score rows from <paramref name="scores"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreScorePairs(Vector128<float> pairs, ref float scores, int row, int rows)
    {
        Unsafe.WriteUnaligned(ref Unsafe.As<float, byte>(ref Unsafe.Add(ref scores, row * TShape.ScoreStride)), pairs.AsDouble().ToScalar());
        if (row + 1 < rows)
        {
            Unsafe.WriteUnaligned(ref Unsafe.As<float, byte>(ref Unsafe.Add(ref scores, (row + 1) * TShape.ScoreStride)), pairs.AsDouble().GetElement(1));
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
    /// <remarks>
    /// Decode's heads of 64 give each accumulator only 8 multiply-adds before its fold. A loop harness of exactly this loop
    /// (8 streams of 4 heads, turns of 8 keys) ran at 34–59 GFLOP/s against a peak of 98 on Zen 3, and at 31–47 over the
    /// same 16 KB of keys again and again (in L1), so memory does not hold it; with chains 8 times as long, 47–50.
    /// 4 heads × 2 keys (30–51) and 4 × 3 (34–60) did no better, nor did the heads side by side in a vector, each key's
    /// elements broadcast two at a time into its halves by a permute (30–43).
    /// </remarks>
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
}
