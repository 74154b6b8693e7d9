using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace AttentionGen.Kernels;

/// <summary>
/// Row operations of a numerically stable softmax over attention scores. Each runs a
/// Vector512 → Vector256 → Vector128 → scalar cascade, so any length (including 0) is handled and the
/// widest accelerated width does the bulk of the work.
/// </summary>
[SkipLocalsInit]
public static class SoftmaxKernels
{
    /// <summary>Returns the largest element of <paramref name="values"/>.</summary>
    /// <param name="values">The row.</param>
    /// <returns>The maximum; <see cref="float.NegativeInfinity"/> for an empty row; NaN if any element is NaN.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Max(ReadOnlySpan<float> values)
    {
        ref float start = ref MemoryMarshal.GetReference(values);
        nuint length = (nuint)values.Length;
        nuint i = 0;
        float max = float.NegativeInfinity;

        // Max is idempotent, so each width finishes with one overlapping load of its last full vector instead of
        // handing a tail down. Four accumulators hide the latency of the max instruction.
        if (Vector512.IsHardwareAccelerated && length >= (nuint)Vector512<float>.Count)
        {
            Vector512<float> m0 = Vector512.Create(float.NegativeInfinity), m1 = m0, m2 = m0, m3 = m0;
            for (; i + 64 <= length; i += 64)
            {
                m0 = Vector512.Max(m0, Vector512.LoadUnsafe(ref start, i));
                m1 = Vector512.Max(m1, Vector512.LoadUnsafe(ref start, i + 16));
                m2 = Vector512.Max(m2, Vector512.LoadUnsafe(ref start, i + 32));
                m3 = Vector512.Max(m3, Vector512.LoadUnsafe(ref start, i + 48));
            }
            for (; i + 16 <= length; i += 16)
            {
                m0 = Vector512.Max(m0, Vector512.LoadUnsafe(ref start, i));
            }
            m0 = Vector512.Max(m0, Vector512.LoadUnsafe(ref start, length - 16));
            m0 = Vector512.Max(Vector512.Max(m0, m1), Vector512.Max(m2, m3));
            return HorizontalMax(Vector256.Max(m0.GetLower(), m0.GetUpper()));
        }

        if (Vector256.IsHardwareAccelerated && length >= (nuint)Vector256<float>.Count)
        {
            Vector256<float> m0 = Vector256.Create(float.NegativeInfinity), m1 = m0, m2 = m0, m3 = m0;
            for (; i + 32 <= length; i += 32)
            {
                m0 = Vector256.Max(m0, Vector256.LoadUnsafe(ref start, i));
                m1 = Vector256.Max(m1, Vector256.LoadUnsafe(ref start, i + 8));
                m2 = Vector256.Max(m2, Vector256.LoadUnsafe(ref start, i + 16));
                m3 = Vector256.Max(m3, Vector256.LoadUnsafe(ref start, i + 24));
            }
            for (; i + 8 <= length; i += 8)
            {
                m0 = Vector256.Max(m0, Vector256.LoadUnsafe(ref start, i));
            }
            m0 = Vector256.Max(m0, Vector256.LoadUnsafe(ref start, length - 8));
            m0 = Vector256.Max(Vector256.Max(m0, m1), Vector256.Max(m2, m3));
            return HorizontalMax(m0);
        }

        if (Vector128.IsHardwareAccelerated && length >= (nuint)Vector128<float>.Count)
        {
            Vector128<float> m0 = Vector128.Create(float.NegativeInfinity), m1 = m0;
            for (; i + 8 <= length; i += 8)
            {
                m0 = Vector128.Max(m0, Vector128.LoadUnsafe(ref start, i));
                m1 = Vector128.Max(m1, Vector128.LoadUnsafe(ref start, i + 4));
            }
            for (; i + 4 <= length; i += 4)
            {
                m0 = Vector128.Max(m0, Vector128.LoadUnsafe(ref start, i));
            }
            m0 = Vector128.Max(Vector128.Max(m0, m1), Vector128.LoadUnsafe(ref start, length - 4));
            return HorizontalMax(m0);
        }

        for (; i < length; i++)
        {
            max = MathF.Max(max, Unsafe.Add(ref start, i));
        }
        return max;
    }

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

        ref float start = ref MemoryMarshal.GetReference(values);
        nuint length = (nuint)values.Length;
        nuint i = 0;
        float sum = 0f;

        // Each width hands its tail to the next narrower one, so every element is exponentiated exactly once.
        if (Vector512.IsHardwareAccelerated && length >= (nuint)Vector512<float>.Count)
        {
            Vector512<float> shift = Vector512.Create(max);
            Vector512<float> s0 = Vector512<float>.Zero, s1 = s0;
            for (; i + 32 <= length; i += 32)
            {
                Vector512<float> e0 = VectorMath.Exp(Vector512.LoadUnsafe(ref start, i) - shift);
                Vector512<float> e1 = VectorMath.Exp(Vector512.LoadUnsafe(ref start, i + 16) - shift);
                e0.StoreUnsafe(ref start, i);
                e1.StoreUnsafe(ref start, i + 16);
                s0 += e0;
                s1 += e1;
            }
            if (i + 16 <= length)
            {
                Vector512<float> e0 = VectorMath.Exp(Vector512.LoadUnsafe(ref start, i) - shift);
                e0.StoreUnsafe(ref start, i);
                s0 += e0;
                i += 16;
            }
            sum += Vector512.Sum(s0 + s1);
        }

        if (Vector256.IsHardwareAccelerated && length - i >= (nuint)Vector256<float>.Count)
        {
            Vector256<float> shift = Vector256.Create(max);
            Vector256<float> s0 = Vector256<float>.Zero;
            for (; i + 8 <= length; i += 8)
            {
                Vector256<float> e0 = VectorMath.Exp(Vector256.LoadUnsafe(ref start, i) - shift);
                e0.StoreUnsafe(ref start, i);
                s0 += e0;
            }
            sum += Vector256.Sum(s0);
        }

        if (Vector128.IsHardwareAccelerated && length - i >= (nuint)Vector128<float>.Count)
        {
            Vector128<float> shift = Vector128.Create(max);
            Vector128<float> s0 = Vector128<float>.Zero;
            for (; i + 4 <= length; i += 4)
            {
                Vector128<float> e0 = VectorMath.Exp(Vector128.LoadUnsafe(ref start, i) - shift);
                e0.StoreUnsafe(ref start, i);
                s0 += e0;
            }
            sum += Vector128.Sum(s0);
        }

        for (; i < length; i++)
        {
            ref float value = ref Unsafe.Add(ref start, i);
            value = VectorMath.Exp(value - max);
            sum += value;
        }
        return sum;
    }

    /// <summary>Multiplies every element of <paramref name="values"/> by <paramref name="factor"/> in place.</summary>
    /// <param name="values">The row, overwritten in place.</param>
    /// <param name="factor">The multiplier (for softmax, 1/sum).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply(Span<float> values, float factor)
    {
        ref float start = ref MemoryMarshal.GetReference(values);
        nuint length = (nuint)values.Length;
        nuint i = 0;

        if (Vector512.IsHardwareAccelerated && length >= (nuint)Vector512<float>.Count)
        {
            Vector512<float> f = Vector512.Create(factor);
            for (; i + 16 <= length; i += 16)
            {
                (Vector512.LoadUnsafe(ref start, i) * f).StoreUnsafe(ref start, i);
            }
        }

        if (Vector256.IsHardwareAccelerated && length - i >= (nuint)Vector256<float>.Count)
        {
            Vector256<float> f = Vector256.Create(factor);
            for (; i + 8 <= length; i += 8)
            {
                (Vector256.LoadUnsafe(ref start, i) * f).StoreUnsafe(ref start, i);
            }
        }

        if (Vector128.IsHardwareAccelerated && length - i >= (nuint)Vector128<float>.Count)
        {
            Vector128<float> f = Vector128.Create(factor);
            for (; i + 4 <= length; i += 4)
            {
                (Vector128.LoadUnsafe(ref start, i) * f).StoreUnsafe(ref start, i);
            }
        }

        for (; i < length; i++)
        {
            Unsafe.Add(ref start, i) *= factor;
        }
    }

    /// <summary>Adds <paramref name="addend"/> element-wise into <paramref name="values"/> (e.g. an additive mask row).</summary>
    /// <param name="values">The row, overwritten in place.</param>
    /// <param name="addend">The values to add; must have exactly <c>values.Length</c> elements.</param>
    /// <exception cref="ArgumentException"><paramref name="addend"/> has a different length than <paramref name="values"/>.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Add(Span<float> values, ReadOnlySpan<float> addend)
    {
        if (addend.Length != values.Length)
        {
            throw new ArgumentException(
                $"The addend has {addend.Length} elements but the values have {values.Length}; they must be equal.", nameof(addend));
        }

        ref float start = ref MemoryMarshal.GetReference(values);
        ref float other = ref MemoryMarshal.GetReference(addend);
        nuint length = (nuint)values.Length;
        nuint i = 0;

        if (Vector512.IsHardwareAccelerated && length >= (nuint)Vector512<float>.Count)
        {
            for (; i + 16 <= length; i += 16)
            {
                (Vector512.LoadUnsafe(ref start, i) + Vector512.LoadUnsafe(ref other, i)).StoreUnsafe(ref start, i);
            }
        }

        if (Vector256.IsHardwareAccelerated && length - i >= (nuint)Vector256<float>.Count)
        {
            for (; i + 8 <= length; i += 8)
            {
                (Vector256.LoadUnsafe(ref start, i) + Vector256.LoadUnsafe(ref other, i)).StoreUnsafe(ref start, i);
            }
        }

        if (Vector128.IsHardwareAccelerated && length - i >= (nuint)Vector128<float>.Count)
        {
            for (; i + 4 <= length; i += 4)
            {
                (Vector128.LoadUnsafe(ref start, i) + Vector128.LoadUnsafe(ref other, i)).StoreUnsafe(ref start, i);
            }
        }

        for (; i < length; i++)
        {
            Unsafe.Add(ref start, i) += Unsafe.Add(ref other, i);
        }
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

        ref float start = ref MemoryMarshal.GetReference(values);
        nuint length = (nuint)values.Length;
        nuint i = 0;
        // A multiply instead of a divide per element; the reciprocal costs at most one extra rounding.
        float inverse = 1f / cap;

        if (Vector512.IsHardwareAccelerated && length >= (nuint)Vector512<float>.Count)
        {
            Vector512<float> c = Vector512.Create(cap), inv = Vector512.Create(inverse);
            for (; i + 16 <= length; i += 16)
            {
                (c * VectorMath.Tanh(Vector512.LoadUnsafe(ref start, i) * inv)).StoreUnsafe(ref start, i);
            }
        }

        if (Vector256.IsHardwareAccelerated && length - i >= (nuint)Vector256<float>.Count)
        {
            Vector256<float> c = Vector256.Create(cap), inv = Vector256.Create(inverse);
            for (; i + 8 <= length; i += 8)
            {
                (c * VectorMath.Tanh(Vector256.LoadUnsafe(ref start, i) * inv)).StoreUnsafe(ref start, i);
            }
        }

        if (Vector128.IsHardwareAccelerated && length - i >= (nuint)Vector128<float>.Count)
        {
            Vector128<float> c = Vector128.Create(cap), inv = Vector128.Create(inverse);
            for (; i + 4 <= length; i += 4)
            {
                (c * VectorMath.Tanh(Vector128.LoadUnsafe(ref start, i) * inv)).StoreUnsafe(ref start, i);
            }
        }

        for (; i < length; i++)
        {
            ref float value = ref Unsafe.Add(ref start, i);
            value = cap * VectorMath.Tanh(value * inverse);
        }
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
            Multiply(values, 1f / sum);
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
    /// <remarks>A row whose visible entries are all −∞ (or that has none) becomes all zeros.</remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="visible"/> is negative or past the row.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SoftmaxPrefix(Span<float> row, int visible)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(visible);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(visible, row.Length);
        int covered = ExpPrefix(row, visible, float.NegativeInfinity, normalize: true, out _, out _);
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
        ThreeRows(ref rows, rowStride, length, visible0, visible1, visible2);
        ThreeRows(ref Unsafe.Add(ref rows, 3 * rowStride), rowStride, length, visible3, visible4, visible5);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void ThreeRows(ref float rows, int rowStride, int length, int visible0, int visible1, int visible2)
        {
            ref float row0 = ref rows;
            ref float row1 = ref Unsafe.Add(ref rows, rowStride);
            ref float row2 = ref Unsafe.Add(ref rows, 2 * rowStride);
            Vector512<int> limit0 = Vector512.Create(visible0), limit1 = Vector512.Create(visible1), limit2 = Vector512.Create(visible2);
            Vector512<float> hidden = Vector512.Create(float.NegativeInfinity);

            // Hidden lanes (index ≥ visible) read as −∞ for the max and come out as 0.
            Vector512<float> m0 = hidden, m1 = hidden, m2 = hidden;
            for (int i = 0; i < length; i += 16)
            {
                Vector512<int> index = Vector512<int>.Indices + Vector512.Create(i);
                m0 = Vector512.MaxNative(m0, Visible(ref row0, i, index, limit0, hidden));
                m1 = Vector512.MaxNative(m1, Visible(ref row1, i, index, limit1, hidden));
                m2 = Vector512.MaxNative(m2, Visible(ref row2, i, index, limit2, hidden));
            }

            Vector512<float> shift0 = Shift(m0), shift1 = Shift(m1), shift2 = Shift(m2);
            Vector512<float> s0 = default, s1 = default, s2 = default;
            for (int i = 0; i < length; i += 16)
            {
                Vector512<int> index = Vector512<int>.Indices + Vector512.Create(i);
                s0 += ExpVisible(ref row0, i, index, limit0, shift0);
                s1 += ExpVisible(ref row1, i, index, limit1, shift1);
                s2 += ExpVisible(ref row2, i, index, limit2, shift2);
            }

            Vector512<float> scale0 = Reciprocal(s0), scale1 = Reciprocal(s1), scale2 = Reciprocal(s2);
            for (int i = 0; i < length; i += 16)
            {
                (Vector512.LoadUnsafe(ref row0, (nuint)i) * scale0).StoreUnsafe(ref row0, (nuint)i);
                (Vector512.LoadUnsafe(ref row1, (nuint)i) * scale1).StoreUnsafe(ref row1, (nuint)i);
                (Vector512.LoadUnsafe(ref row2, (nuint)i) * scale2).StoreUnsafe(ref row2, (nuint)i);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static Vector512<float> Visible(ref float row, int i, Vector512<int> index, Vector512<int> limit, Vector512<float> hidden) =>
            Vector512.ConditionalSelect(Vector512.LessThan(index, limit).AsSingle(), Vector512.LoadUnsafe(ref row, (nuint)i), hidden);

        // A row with nothing visible (or only −∞) has max −∞; shifting by 0 instead keeps its exps at 0 rather than NaN.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static Vector512<float> Shift(Vector512<float> max)
        {
            float rowMax = HorizontalMaxNative(Vector256.MaxNative(max.GetLower(), max.GetUpper()));
            return Vector512.Create(float.IsNegativeInfinity(rowMax) ? 0f : rowMax);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static Vector512<float> ExpVisible(ref float row, int i, Vector512<int> index, Vector512<int> limit, Vector512<float> shift)
        {
            Vector512<float> e = Vector512.ConditionalSelect(
                Vector512.LessThan(index, limit).AsSingle(), VectorMath.Exp(Vector512.LoadUnsafe(ref row, (nuint)i) - shift), Vector512<float>.Zero);
            e.StoreUnsafe(ref row, (nuint)i);
            return e;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static Vector512<float> Reciprocal(Vector512<float> sum)
        {
            float total = HorizontalSum.Of(sum);
            return Vector512.Create(total > 0f ? 1f / total : 0f);
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
    /// <param name="runningSum">Σ exp(score − runningMax) so far; start at 0. Stays 0 while every score seen is −∞.</param>
    /// <returns><c>exp(old max − new max)</c>: the factor for earlier accumulations (0 before the first finite score).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="visible"/> is negative or past the chunk.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float SoftmaxChunk(Span<float> chunk, int visible, ref float runningMax, ref float runningSum)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(visible);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(visible, chunk.Length);
        int covered = ExpPrefix(chunk, visible, runningMax, normalize: false, out float max, out float sum);
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
    private static int ExpPrefix(Span<float> row, int visible, float floorMax, bool normalize, out float max, out float sum)
    {
        ref float start = ref MemoryMarshal.GetReference(row);
        if (Vector512.IsHardwareAccelerated && row.Length % Vector512<float>.Count == 0)
        {
            return ExpPrefix512(ref start, visible, floorMax, normalize, out max, out sum);
        }

        if (Vector256.IsHardwareAccelerated && row.Length % Vector256<float>.Count == 0)
        {
            return ExpPrefix256(ref start, visible, floorMax, normalize, out max, out sum);
        }

        if (Vector128.IsHardwareAccelerated && row.Length % Vector128<float>.Count == 0)
        {
            return ExpPrefix128(ref start, visible, floorMax, normalize, out max, out sum);
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
            Multiply(live, 1f / sum);
        }

        return visible;
    }

    /// <summary>
    /// <see cref="ExpPrefix"/> over whole Vector512s; returns how many floats it wrote (visible rounded up to a vector).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int ExpPrefix512(ref float start, int visible, float floorMax, bool normalize, out float rowMax, out float rowSum)
    {
        const int Width = 16;
        int full = visible & ~(Width - 1);
        int covered = (visible + Width - 1) & ~(Width - 1);
        Vector512<float> hidden = Vector512.Create(float.NegativeInfinity);
        // MaxNative is one instruction; the IEEE Max that orders NaN is three. A NaN score still reaches the sum
        // through exp, so the row comes out NaN either way.
        // Lanes at or past `visible` in the last, partial vector count as −∞: they add nothing and come out as 0.
        Vector512<float> tailMask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(visible - full)).AsSingle();

        // Two accumulators per pass, so long rows are not bound by the latency of one dependency chain.
        Vector512<float> max = hidden, max2 = hidden;
        int i = 0;
        for (; i + 2 * Width <= full; i += 2 * Width)
        {
            max = Vector512.MaxNative(max, Vector512.LoadUnsafe(ref start, (nuint)i));
            max2 = Vector512.MaxNative(max2, Vector512.LoadUnsafe(ref start, (nuint)(i + Width)));
        }

        if (i < full)
        {
            max = Vector512.MaxNative(max, Vector512.LoadUnsafe(ref start, (nuint)i));
        }

        max = Vector512.MaxNative(max, max2);

        if (covered > full)
        {
            max = Vector512.MaxNative(max, Vector512.ConditionalSelect(tailMask, Vector512.LoadUnsafe(ref start, (nuint)full), hidden));
        }

        rowMax = MathF.Max(floorMax, HorizontalMaxNative(Vector256.MaxNative(max.GetLower(), max.GetUpper())));
        rowSum = 0f;
        if (float.IsNegativeInfinity(rowMax))
        {
            return 0;
        }

        Vector512<float> shift = Vector512.Create(rowMax);
        Vector512<float> sum = Vector512<float>.Zero, sum2 = Vector512<float>.Zero;
        for (i = 0; i + 2 * Width <= full; i += 2 * Width)
        {
            Vector512<float> e = VectorMath.Exp(Vector512.LoadUnsafe(ref start, (nuint)i) - shift);
            Vector512<float> e2 = VectorMath.Exp(Vector512.LoadUnsafe(ref start, (nuint)(i + Width)) - shift);
            e.StoreUnsafe(ref start, (nuint)i);
            e2.StoreUnsafe(ref start, (nuint)(i + Width));
            sum += e;
            sum2 += e2;
        }

        if (i < full)
        {
            Vector512<float> e = VectorMath.Exp(Vector512.LoadUnsafe(ref start, (nuint)i) - shift);
            e.StoreUnsafe(ref start, (nuint)i);
            sum += e;
        }

        sum += sum2;

        if (covered > full)
        {
            Vector512<float> e = Vector512.ConditionalSelect(tailMask, VectorMath.Exp(Vector512.LoadUnsafe(ref start, (nuint)full) - shift), Vector512<float>.Zero);
            e.StoreUnsafe(ref start, (nuint)full);
            sum += e;
        }

        rowSum = HorizontalSum.Of(sum);
        if (normalize)
        {
            Vector512<float> scale = Vector512.Create(1f / rowSum);
            for (i = 0; i < covered; i += Width)
            {
                (Vector512.LoadUnsafe(ref start, (nuint)i) * scale).StoreUnsafe(ref start, (nuint)i);
            }
        }

        return covered;
    }

    /// <inheritdoc cref="ExpPrefix512"/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int ExpPrefix256(ref float start, int visible, float floorMax, bool normalize, out float rowMax, out float rowSum)
    {
        const int Width = 8;
        int full = visible & ~(Width - 1);
        int covered = (visible + Width - 1) & ~(Width - 1);
        Vector256<float> hidden = Vector256.Create(float.NegativeInfinity);
        Vector256<float> tailMask = Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(visible - full)).AsSingle();

        // Two accumulators per pass, so long rows are not bound by the latency of one dependency chain.
        Vector256<float> max = hidden, max2 = hidden;
        int i = 0;
        for (; i + 2 * Width <= full; i += 2 * Width)
        {
            max = Vector256.MaxNative(max, Vector256.LoadUnsafe(ref start, (nuint)i));
            max2 = Vector256.MaxNative(max2, Vector256.LoadUnsafe(ref start, (nuint)(i + Width)));
        }

        if (i < full)
        {
            max = Vector256.MaxNative(max, Vector256.LoadUnsafe(ref start, (nuint)i));
        }

        max = Vector256.MaxNative(max, max2);

        if (covered > full)
        {
            max = Vector256.MaxNative(max, Vector256.ConditionalSelect(tailMask, Vector256.LoadUnsafe(ref start, (nuint)full), hidden));
        }

        rowMax = MathF.Max(floorMax, HorizontalMaxNative(max));
        rowSum = 0f;
        if (float.IsNegativeInfinity(rowMax))
        {
            return 0;
        }

        Vector256<float> shift = Vector256.Create(rowMax);
        Vector256<float> sum = Vector256<float>.Zero, sum2 = Vector256<float>.Zero;
        for (i = 0; i + 2 * Width <= full; i += 2 * Width)
        {
            Vector256<float> e = VectorMath.Exp(Vector256.LoadUnsafe(ref start, (nuint)i) - shift);
            Vector256<float> e2 = VectorMath.Exp(Vector256.LoadUnsafe(ref start, (nuint)(i + Width)) - shift);
            e.StoreUnsafe(ref start, (nuint)i);
            e2.StoreUnsafe(ref start, (nuint)(i + Width));
            sum += e;
            sum2 += e2;
        }

        if (i < full)
        {
            Vector256<float> e = VectorMath.Exp(Vector256.LoadUnsafe(ref start, (nuint)i) - shift);
            e.StoreUnsafe(ref start, (nuint)i);
            sum += e;
        }

        sum += sum2;

        if (covered > full)
        {
            Vector256<float> e = Vector256.ConditionalSelect(tailMask, VectorMath.Exp(Vector256.LoadUnsafe(ref start, (nuint)full) - shift), Vector256<float>.Zero);
            e.StoreUnsafe(ref start, (nuint)full);
            sum += e;
        }

        rowSum = HorizontalSum.Of(sum);
        if (normalize)
        {
            Vector256<float> scale = Vector256.Create(1f / rowSum);
            for (i = 0; i < covered; i += Width)
            {
                (Vector256.LoadUnsafe(ref start, (nuint)i) * scale).StoreUnsafe(ref start, (nuint)i);
            }
        }

        return covered;
    }

    /// <inheritdoc cref="ExpPrefix512"/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int ExpPrefix128(ref float start, int visible, float floorMax, bool normalize, out float rowMax, out float rowSum)
    {
        const int Width = 4;
        int full = visible & ~(Width - 1);
        int covered = (visible + Width - 1) & ~(Width - 1);
        Vector128<float> hidden = Vector128.Create(float.NegativeInfinity);
        Vector128<float> tailMask = Vector128.LessThan(Vector128<int>.Indices, Vector128.Create(visible - full)).AsSingle();

        // Two accumulators per pass, so long rows are not bound by the latency of one dependency chain.
        Vector128<float> max = hidden, max2 = hidden;
        int i = 0;
        for (; i + 2 * Width <= full; i += 2 * Width)
        {
            max = Vector128.MaxNative(max, Vector128.LoadUnsafe(ref start, (nuint)i));
            max2 = Vector128.MaxNative(max2, Vector128.LoadUnsafe(ref start, (nuint)(i + Width)));
        }

        if (i < full)
        {
            max = Vector128.MaxNative(max, Vector128.LoadUnsafe(ref start, (nuint)i));
        }

        max = Vector128.MaxNative(max, max2);

        if (covered > full)
        {
            max = Vector128.MaxNative(max, Vector128.ConditionalSelect(tailMask, Vector128.LoadUnsafe(ref start, (nuint)full), hidden));
        }

        rowMax = MathF.Max(floorMax, HorizontalMaxNative(max));
        rowSum = 0f;
        if (float.IsNegativeInfinity(rowMax))
        {
            return 0;
        }

        Vector128<float> shift = Vector128.Create(rowMax);
        Vector128<float> sum = Vector128<float>.Zero, sum2 = Vector128<float>.Zero;
        for (i = 0; i + 2 * Width <= full; i += 2 * Width)
        {
            Vector128<float> e = VectorMath.Exp(Vector128.LoadUnsafe(ref start, (nuint)i) - shift);
            Vector128<float> e2 = VectorMath.Exp(Vector128.LoadUnsafe(ref start, (nuint)(i + Width)) - shift);
            e.StoreUnsafe(ref start, (nuint)i);
            e2.StoreUnsafe(ref start, (nuint)(i + Width));
            sum += e;
            sum2 += e2;
        }

        if (i < full)
        {
            Vector128<float> e = VectorMath.Exp(Vector128.LoadUnsafe(ref start, (nuint)i) - shift);
            e.StoreUnsafe(ref start, (nuint)i);
            sum += e;
        }

        sum += sum2;

        if (covered > full)
        {
            Vector128<float> e = Vector128.ConditionalSelect(tailMask, VectorMath.Exp(Vector128.LoadUnsafe(ref start, (nuint)full) - shift), Vector128<float>.Zero);
            e.StoreUnsafe(ref start, (nuint)full);
            sum += e;
        }

        rowSum = HorizontalSum.Of(sum);
        if (normalize)
        {
            Vector128<float> scale = Vector128.Create(1f / rowSum);
            for (i = 0; i < covered; i += Width)
            {
                (Vector128.LoadUnsafe(ref start, (nuint)i) * scale).StoreUnsafe(ref start, (nuint)i);
            }
        }

        return covered;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float HorizontalMaxNative(Vector256<float> v) => HorizontalMaxNative(Vector128.MaxNative(v.GetLower(), v.GetUpper()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float HorizontalMaxNative(Vector128<float> v)
    {
        v = Vector128.MaxNative(v, Vector128.Shuffle(v, Vector128.Create(2, 3, 0, 1)));
        v = Vector128.MaxNative(v, Vector128.Shuffle(v, Vector128.Create(1, 0, 3, 2)));
        return v.ToScalar();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float HorizontalMax(Vector256<float> v) => HorizontalMax(Vector128.Max(v.GetLower(), v.GetUpper()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float HorizontalMax(Vector128<float> v)
    {
        v = Vector128.Max(v, Vector128.Shuffle(v, Vector128.Create(2, 3, 0, 1)));
        v = Vector128.Max(v, Vector128.Shuffle(v, Vector128.Create(1, 0, 3, 2)));
        return v.ToScalar();
    }
}
