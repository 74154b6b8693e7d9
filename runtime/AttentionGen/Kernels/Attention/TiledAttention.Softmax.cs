using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace AttentionGen.Kernels.Attention;

// The tiled path's softmax of a tile's score rows: six rows at once on AVX-512, and the base-2 rows.
internal static partial class TiledAttention<TShape>
{
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
    /// independent too. The whole tile at once spills as well; on Zen 3 it cut the softmax's share of `mha S32 dm64 H4`
    /// (rows of 32 keys, heads of 16) from 13.3% to 8.7%, but raised it at 64 keys (12.9% → 15.0%) and at 128 (11.7% →
    /// 14.3%), and at 32 keys with heads of 64 it moved by under a point (profiles).
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

        // Every helper below is AggressiveInlining: the six rows' code uses up the JIT's inline budget before the branches
        // of a smaller group fold away, and on AVX2 and SSE the helpers left out became calls inside the loops, around
        // which the running sum was spilled and reloaded every vector (Zen 3: 10% of `sdpa H8 S128`).
        // The running maximum with a row's vector at i, its lanes at index ≥ limit (the row's visible count) as −∞. Lane
        // indices are compared as floats, exact below 2²⁴ keys.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static TVector MaxVisible(TVector max, ref float row, nint i, TVector index, TVector limit) =>
            TWidth.MaxNative(max, TWidth.ConditionalSelect(TWidth.LessThan(index, limit), TWidth.Load(ref row, (nuint)i), TWidth.Create(float.NegativeInfinity)));

        // 2^(score − maximum) of a row's vector at j, stored back in place; returned for the sum.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static TVector PowerInPlace(ref float row, nint j, TVector shift)
        {
            TVector power = VectorMath.Exp2OfNonPositive<TWidth, TVector>(TWidth.Add(TWidth.Load(ref row, (nuint)j), shift));
            TWidth.Store(power, ref row, (nuint)j);
            return power;
        }

        // As PowerInPlace, with lanes at index ≥ limit as −∞ (so 0).
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static TVector MaskedPowerInPlace(ref float row, nint j, TVector shift, TVector index, TVector limit)
        {
            TVector shifted = TWidth.ConditionalSelect(
                TWidth.LessThan(index, limit), TWidth.Add(TWidth.Load(ref row, (nuint)j), shift), TWidth.Create(float.NegativeInfinity));
            TVector power = VectorMath.Exp2OfNonPositive<TWidth, TVector>(shifted);
            TWidth.Store(power, ref row, (nuint)j);
            return power;
        }

        // A row with nothing visible (or only −∞) has maximum −∞; shifting by 0 instead keeps its exps at 0 rather than NaN.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static TVector NegatedShift(TVector max)
        {
            float rowMax = TWidth.MaxNativeAcross(max);
            return TWidth.Create(float.IsNegativeInfinity(rowMax) ? 0f : -rowMax);
        }

        // A row with nothing visible sums to 0 and its output stays zeros; a NaN sum (a NaN score) must stay NaN, not become 0.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static float Reciprocal(TVector sum)
        {
            float total = TWidth.PairwiseSum(sum);
            return total == 0f ? 0f : 1f / total;
        }
    }
}
