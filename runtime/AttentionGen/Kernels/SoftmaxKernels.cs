using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace AttentionGen.Kernels;

/// <summary>
/// Row operations of a numerically stable softmax over attention scores, any length (including 0), with the widest
/// accelerated vector width doing the bulk of the work. The element-wise steps are operators run by the drivers of
/// <see cref="ElementwiseLoops"/>; the masked whole-vector rows are written once, generic over the width.
/// </summary>
[SkipLocalsInit]
public static class SoftmaxKernels
{
    /// <summary>Returns the largest element of <paramref name="values"/>.</summary>
    /// <param name="values">The row.</param>
    /// <returns>The maximum; <see cref="float.NegativeInfinity"/> for an empty row; NaN if any element is NaN.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Max(ReadOnlySpan<float> values) => ElementwiseLoops.Aggregate<MaxOperator>(values);

    /// <summary>
    /// Replaces each element with <c>exp(values[i] − max)</c> and returns the sum of the new values.
    /// </summary>
    /// <param name="values">The row, overwritten in place.</param>
    /// <param name="max">The row maximum (normally from <see cref="Max"/>); every element must be ≤ it.</param>
    /// <returns>
    /// The sum of the exponentials. When <paramref name="max"/> is −∞ (an empty row or a row of only −∞, e.g. fully
    /// masked) the row is set to zeros and 0 is returned instead of NaN.
    /// </returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float ExpAndSum(Span<float> values, float max)
    {
        if (float.IsNegativeInfinity(max))
        {
            // −∞ − (−∞) is NaN; a fully masked row has no probability mass at all.
            values.Clear();
            return 0f;
        }

        return ElementwiseLoops.BinaryAndSum<ExpOfDifferenceOperator>(values, max);
    }

    /// <summary>Applies logit soft-capping in place: <c>values[i] = cap · tanh(values[i] / cap)</c>.</summary>
    /// <param name="values">The row, overwritten in place.</param>
    /// <param name="cap">The cap; a positive finite number.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="cap"/> is not positive and finite.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Softcap(Span<float> values, float cap)
    {
        if (!(cap > 0f) || float.IsPositiveInfinity(cap))
        {
            throw new ArgumentOutOfRangeException(nameof(cap), cap, "The softcap must be a positive finite number.");
        }

        ElementwiseLoops.Ternary<SoftcapOperator>(values, 1f / cap, cap);
    }

    /// <summary>
    /// Replaces the row with its softmax, <c>exp(x − max) / Σ exp(x − max)</c>. Subtracting the maximum keeps large
    /// logits from overflowing; a row of only −∞ (fully masked) becomes all zeros.
    /// </summary>
    /// <param name="values">The row of logits, overwritten with probabilities.</param>
    public static void SoftmaxInPlace(Span<float> values)
    {
        float max = Max(values);
        float sum = ExpAndSum(values, max);
        if (sum > 0f)
        {
            ElementwiseKernels.Multiply(values, 1f / sum);
        }
    }

    /// <summary>
    /// Softmax over the first <paramref name="visible"/> entries of <paramref name="row"/> and zeros in the rest, in one
    /// call: the attention kernels' score rows, where keys past <paramref name="visible"/> are hidden (causal, or padding
    /// up to a whole tile) but still summed over. Whole vectors of the widest accelerated width cover the row, the last
    /// visible one with its hidden lanes masked, so short rows pay no per-width tail cascade; a row length that is a
    /// multiple of 16 keeps every step vectorized.
    /// </summary>
    /// <param name="row">Scores in, probabilities out.</param>
    /// <param name="visible">How many leading entries take part, from 0 to the row length.</param>
    /// <remarks>
    /// A row whose visible entries are all −∞ (or that has none) becomes all zeros; a row with a NaN among them becomes
    /// NaN in every entry up to the visible ones rounded up to a whole vector.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="visible"/> is negative or past the row.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SoftmaxPrefix(Span<float> row, int visible)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(visible);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(visible, row.Length);
        int covered = ExpPrefixOfAnyRow(row, visible, float.NegativeInfinity, normalize: true, out _, out _);
        row.Slice(covered).Clear();
    }

    /// <summary>
    /// <see cref="SoftmaxPrefix"/> for the six score rows of an AVX-512 attention tile at once. Each row alone is a chain
    /// of dependent steps (max, exp, sum, reciprocal, scale) too short to keep the core busy; rows in lockstep give it
    /// independent chains. Row r starts <paramref name="rowStride"/>·r floats after <paramref name="rows"/>; its first
    /// visibleR entries get the softmax and the rest of its first <paramref name="length"/> entries become 0.
    /// </summary>
    /// <param name="rows">The first row.</param>
    /// <param name="rowStride">Floats from one row to the next.</param>
    /// <param name="length">Entries per row to write, a multiple of 16.</param>
    /// <param name="visible0">Visible entries of row 0 (negative counts as 0); likewise for the other rows.</param>
    /// <param name="visible1">Visible entries of row 1.</param>
    /// <param name="visible2">Visible entries of row 2.</param>
    /// <param name="visible3">Visible entries of row 3.</param>
    /// <param name="visible4">Visible entries of row 4.</param>
    /// <param name="visible5">Visible entries of row 5.</param>
    /// <remarks>
    /// For generated kernels: nothing is checked, and the rows must hold <paramref name="length"/> floats each. Without
    /// AVX-512 it runs <see cref="SoftmaxPrefix"/> row by row.
    /// </remarks>
    [EditorBrowsable(EditorBrowsableState.Never)]
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)] // once per tile: keep the caller small
    public static void SoftmaxPrefixSixRows(ref float rows, int rowStride, int length,
        int visible0, int visible1, int visible2, int visible3, int visible4, int visible5)
    {
        if (!Vector512.IsHardwareAccelerated || length % Vector512<float>.Count != 0)
        {
            SixRowsOneByOne(ref rows, rowStride, length, visible0, visible1, visible2, visible3, visible4, visible5);
            return;
        }

        // Three rows at a time: three independent chains already keep the core busy, and six rows' limits, shifts and
        // sums beside exp's constants would not fit in the 32 vector registers.
        // Rows with every entry visible (a non-causal tile's) skip the per-lane masks: two instructions per vector fewer
        // in the exp loop, and the same results, since an all-true mask selects every lane.
        if (Math.Min(Math.Min(Math.Min(visible0, visible1), Math.Min(visible2, visible3)), Math.Min(visible4, visible5)) >= length)
        {
            ThreeRows(ref rows, rowStride, length, visible0, visible1, visible2, masked: false);
            ThreeRows(ref Unsafe.Add(ref rows, 3 * rowStride), rowStride, length, visible3, visible4, visible5, masked: false);
        }
        else
        {
            ThreeRows(ref rows, rowStride, length, visible0, visible1, visible2, masked: true);
            ThreeRows(ref Unsafe.Add(ref rows, 3 * rowStride), rowStride, length, visible3, visible4, visible5, masked: true);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void ThreeRows(ref float rows, int rowStride, int length, int visible0, int visible1, int visible2, bool masked)
        {
            ref float row0 = ref rows;
            ref float row1 = ref Unsafe.Add(ref rows, rowStride);
            ref float row2 = ref Unsafe.Add(ref rows, 2 * rowStride);
            Vector512<int> limit0 = Vector512.Create(visible0), limit1 = Vector512.Create(visible1), limit2 = Vector512.Create(visible2);
            Vector512<float> hidden = Vector512.Create(float.NegativeInfinity);

            // Hidden lanes (index ≥ visible) read as −∞ for the max and come out as 0.
            // Native-int offsets and lane indices stepped in the vector unit: no sign extension or integer-to-vector
            // broadcast per step (on Intel, both would share ports 0 and 5 with the exp's FMAs).
            Vector512<int> step = Vector512.Create(16);
            Vector512<float> m0 = hidden, m1 = hidden, m2 = hidden;
            Vector512<int> index = Vector512<int>.Indices;
            for (nint i = 0; i < length; i += 16, index += step)
            {
                m0 = Vector512.MaxNative(m0, Visible(ref row0, i, index, limit0, hidden, masked));
                m1 = Vector512.MaxNative(m1, Visible(ref row1, i, index, limit1, hidden, masked));
                m2 = Vector512.MaxNative(m2, Visible(ref row2, i, index, limit2, hidden, masked));
            }

            Vector512<float> shift0 = Shift(m0), shift1 = Shift(m1), shift2 = Shift(m2);
            Vector512<float> s0 = default, s1 = default, s2 = default;
            index = Vector512<int>.Indices;
            for (nint i = 0; i < length; i += 16, index += step)
            {
                s0 += ExpVisible(ref row0, i, index, limit0, shift0, masked);
                s1 += ExpVisible(ref row1, i, index, limit1, shift1, masked);
                s2 += ExpVisible(ref row2, i, index, limit2, shift2, masked);
            }

            Vector512<float> scale0 = Reciprocal(s0), scale1 = Reciprocal(s1), scale2 = Reciprocal(s2);
            for (nint i = 0; i < length; i += 16)
            {
                (Vector512.LoadUnsafe(ref row0, (nuint)i) * scale0).StoreUnsafe(ref row0, (nuint)i);
                (Vector512.LoadUnsafe(ref row1, (nuint)i) * scale1).StoreUnsafe(ref row1, (nuint)i);
                (Vector512.LoadUnsafe(ref row2, (nuint)i) * scale2).StoreUnsafe(ref row2, (nuint)i);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static Vector512<float> Visible(ref float row, nint i, Vector512<int> index, Vector512<int> limit, Vector512<float> hidden, bool masked) =>
            masked
                ? Vector512.ConditionalSelect(Vector512.LessThan(index, limit).AsSingle(), Vector512.LoadUnsafe(ref row, (nuint)i), hidden)
                : Vector512.LoadUnsafe(ref row, (nuint)i);

        // A row with nothing visible (or only −∞) has max −∞; shifting by 0 instead keeps its exps at 0 rather than NaN.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static Vector512<float> Shift(Vector512<float> max)
        {
            float rowMax = Vector512Width.MaxNativeAcross(max);
            return Vector512.Create(float.IsNegativeInfinity(rowMax) ? 0f : rowMax);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static Vector512<float> ExpVisible(ref float row, nint i, Vector512<int> index, Vector512<int> limit, Vector512<float> shift, bool masked)
        {
            Vector512<float> e = VectorMath.ExpOfNonPositive(Vector512.LoadUnsafe(ref row, (nuint)i) - shift);
            e = masked ? Vector512.ConditionalSelect(Vector512.LessThan(index, limit).AsSingle(), e, Vector512<float>.Zero) : e;
            e.StoreUnsafe(ref row, (nuint)i);
            return e;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static Vector512<float> Reciprocal(Vector512<float> sum)
        {
            // A row with nothing visible sums to 0 and stays zeros; a NaN sum (a NaN score) must stay NaN, not become 0.
            float total = HorizontalSum.Of(sum);
            return Vector512.Create(total == 0f ? 0f : 1f / total);
        }
    }

    /// <summary>The narrower machines' way through <see cref="SoftmaxPrefixSixRows"/>: one <see cref="SoftmaxPrefix"/> per row.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void SixRowsOneByOne(ref float rows, int rowStride, int length,
        int visible0, int visible1, int visible2, int visible3, int visible4, int visible5)
    {
        ReadOnlySpan<int> visible = [visible0, visible1, visible2, visible3, visible4, visible5];
        for (int r = 0; r < 6; r++)
        {
            SoftmaxPrefix(MemoryMarshal.CreateSpan(ref Unsafe.Add(ref rows, r * rowStride), length), Math.Clamp(visible[r], 0, length));
        }
    }

    /// <summary>
    /// One chunk of an online (streaming) softmax over a long row: the chunk's first <paramref name="visible"/> scores
    /// become <c>exp(score − m)</c>, where m is the running maximum updated with this chunk, and the rest of the chunk
    /// zeros; the running sum is rescaled to the new maximum and this chunk's exponentials are added. The caller scales
    /// whatever it accumulated from earlier chunks by the returned factor, and divides by the running sum at the end.
    /// </summary>
    /// <param name="chunk">Scores in, unnormalized weights out; a length that is a multiple of 16 keeps every step vectorized.</param>
    /// <param name="visible">How many leading entries take part, from 0 to the chunk length.</param>
    /// <param name="runningMax">The largest score so far; start at −∞.</param>
    /// <param name="runningSum">
    /// Σ exp(score − runningMax) so far; start at 0. Stays 0 while every score seen is −∞; a NaN score makes it (and the
    /// running max) NaN from then on.
    /// </param>
    /// <returns><c>exp(old max − new max)</c>: the factor for earlier accumulations (0 before the first finite score).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="visible"/> is negative or past the chunk.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float SoftmaxChunk(Span<float> chunk, int visible, ref float runningMax, ref float runningSum)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(visible);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(visible, chunk.Length);
        int covered = ExpPrefixOfAnyRow(chunk, visible, runningMax, normalize: false, out float max, out float sum);
        chunk.Slice(covered).Clear();
        if (float.IsNegativeInfinity(max))
        {
            return 1f; // nothing finite yet: the (empty) accumulation stays as it is
        }

        float rescale = float.IsNegativeInfinity(runningMax) ? 0f : VectorMath.Exp(runningMax - max);
        runningSum = runningSum * rescale + sum;
        runningMax = max;
        return rescale;
    }

    /// <summary>
    /// The shared core: exponentials of the visible prefix relative to max(<paramref name="floorMax"/>, its largest
    /// score), optionally normalized; returns how many floats it wrote (the rest of the row is the caller's to clear).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ExpPrefixOfAnyRow(Span<float> row, int visible, float floorMax, bool normalize, out float max, out float sum)
    {
        ref float start = ref MemoryMarshal.GetReference(row);
        if (Vector512.IsHardwareAccelerated && row.Length % Vector512<float>.Count == 0)
        {
            return WholeVectors<Vector512Width, Vector512<float>>.ExpPrefix(ref start, visible, floorMax, normalize, out max, out sum);
        }

        if (Vector256.IsHardwareAccelerated && row.Length % Vector256<float>.Count == 0)
        {
            return WholeVectors<Vector256Width, Vector256<float>>.ExpPrefix(ref start, visible, floorMax, normalize, out max, out sum);
        }

        if (Vector128.IsHardwareAccelerated && row.Length % Vector128<float>.Count == 0)
        {
            return WholeVectors<Vector128Width, Vector128<float>>.ExpPrefix(ref start, visible, floorMax, normalize, out max, out sum);
        }

        Span<float> live = row.Slice(0, visible);
        max = MathF.Max(floorMax, Max(live));
        if (float.IsNegativeInfinity(max))
        {
            sum = 0f;
            return 0;
        }

        sum = ExpAndSum(live, max);
        if (normalize)
        {
            ElementwiseKernels.Multiply(live, 1f / sum);
        }

        return visible;
    }

    /// <summary>Softmax rows covered by whole vectors of one width.</summary>
    private static class WholeVectors<TWidth, TVector>
        where TWidth : struct, IVectorWidth<TVector>
        where TVector : struct
    {
        /// <summary>
        /// <see cref="ExpPrefixOfAnyRow"/> over whole vectors; returns how many floats it wrote (visible rounded up to a vector).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static int ExpPrefix(ref float start, int visible, float floorMax, bool normalize, out float rowMax, out float rowSum)
        {
            int width = TWidth.Count;
            int full = visible & ~(width - 1);
            int covered = (visible + width - 1) & ~(width - 1);
            TVector hidden = TWidth.Create(float.NegativeInfinity);
            // MaxNative is one instruction; the IEEE Max that orders NaN is three. A NaN score still reaches the sum
            // through exp, so the row comes out NaN either way (a row whose max comes out −∞ is checked for NaN below).
            // Lanes at or past `visible` in the last, partial vector count as −∞: they add nothing and come out as 0. The
            // mask is built where it is used, not held across the exp loop: with the 16 vector registers of a machine
            // without AVX-512 that loop is short of registers already, and a live mask cost a reload per iteration.

            // Two accumulators per pass, so long rows are not bound by the latency of one dependency chain.
            // On AVX2 the JIT keeps the shift and the second sum of the exp loop below on the stack (16 registers, exp's
            // constants beside them). The exp pass on its own in a method of its own, spill-free, with the sums taken after
            // from the stored exps (the same bits), took 1.09× the time for 12 rows of 512 (1.12× split inside this
            // method, where the JIT then kept the loop index on the stack too; Zen 3, 6 alternating pairs each), so the
            // loop stays as it is.
            // Native-int offsets against a precomputed end, so each load's address folds into [start + i*4 + disp].
            nint pairsEnd = full - 2 * width;
            TVector max = hidden, max2 = hidden;
            nint i = 0;
            for (; i <= pairsEnd; i += 2 * width)
            {
                max = TWidth.MaxNative(max, TWidth.Load(ref start, (nuint)i));
                max2 = TWidth.MaxNative(max2, TWidth.Load(ref start, (nuint)(i + width)));
            }

            if (i < full)
            {
                max = TWidth.MaxNative(max, TWidth.Load(ref start, (nuint)i));
            }

            max = TWidth.MaxNative(max, max2);

            if (covered > full)
            {
                max = TWidth.MaxNative(max, TWidth.ConditionalSelect(TWidth.LanesBelow(visible - full), TWidth.Load(ref start, (nuint)full), hidden));
            }

            rowMax = MathF.Max(floorMax, TWidth.MaxNativeAcross(max));
            rowSum = 0f;
            if (float.IsNegativeInfinity(rowMax))
            {
                // MaxNative drops a NaN met beside −∞, so a row of NaN and −∞ lands here too. Only such rows (fully masked
                // or poisoned) pay for the scan; a NaN max then makes every exp, the sum and so the whole row NaN.
                if (!ContainsNaN(ref start, visible))
                {
                    return 0;
                }

                rowMax = float.NaN;
            }

            TVector shift = TWidth.Create(rowMax);
            TVector sum = TWidth.Zero, sum2 = TWidth.Zero;
            for (i = 0; i <= pairsEnd; i += 2 * width)
            {
                TVector e = TWidth.Invoke<ExpOfDifferenceOperator>(TWidth.Load(ref start, (nuint)i), shift);
                TVector e2 = TWidth.Invoke<ExpOfDifferenceOperator>(TWidth.Load(ref start, (nuint)(i + width)), shift);
                TWidth.Store(e, ref start, (nuint)i);
                TWidth.Store(e2, ref start, (nuint)(i + width));
                sum = TWidth.Add(sum, e);
                sum2 = TWidth.Add(sum2, e2);
            }

            if (i < full)
            {
                TVector e = TWidth.Invoke<ExpOfDifferenceOperator>(TWidth.Load(ref start, (nuint)i), shift);
                TWidth.Store(e, ref start, (nuint)i);
                sum = TWidth.Add(sum, e);
            }

            sum = TWidth.Add(sum, sum2);

            if (covered > full)
            {
                TVector e = TWidth.ConditionalSelect(
                    TWidth.LanesBelow(visible - full), TWidth.Invoke<ExpOfDifferenceOperator>(TWidth.Load(ref start, (nuint)full), shift), TWidth.Zero);
                TWidth.Store(e, ref start, (nuint)full);
                sum = TWidth.Add(sum, e);
            }

            rowSum = TWidth.PairwiseSum(sum);
            if (normalize)
            {
                TVector scale = TWidth.Create(1f / rowSum);
                for (i = 0; i < covered; i += width)
                {
                    TWidth.Store(TWidth.Multiply(TWidth.Load(ref start, (nuint)i), scale), ref start, (nuint)i);
                }
            }

            return covered;
        }

        /// <summary>Whether any of the first <paramref name="count"/> floats is NaN.</summary>
        /// <remarks>Inlined: as a call it made the caller keep its row bounds on the stack across it.</remarks>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static bool ContainsNaN(ref float start, int count)
        {
            for (int i = 0; i < count; i++)
            {
                if (float.IsNaN(Unsafe.Add(ref start, i)))
                {
                    return true;
                }
            }

            return false;
        }
    }
}
