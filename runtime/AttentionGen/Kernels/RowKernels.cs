using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using AttentionGen.Kernels.Attention;

namespace AttentionGen.Kernels;

/// <summary>Dot products of one row with many, and weighted sums of many rows, for one compile-time row shape.</summary>
/// <remarks>
/// <para>
/// Each vector width has its own path, guarded by <c>IsHardwareAccelerated</c> and by the row being at least one vector
/// wide; the JIT keeps only the machine's widest such path. Rows up to <see cref="MaxCascadedWidth"/> floats are
/// covered by the path's vectors, then at most one narrower vector of each smaller width, then fewer than 4 scalars;
/// wider rows by the path's vectors, then scalars. Every output element takes the same operations in the same order
/// as in the kernels the generator used to emit per layer.
/// </para>
/// <para>
/// Loops over a row's vectors have constant bounds, and the row being multiplied is reloaded from L1 beside each FMA
/// rather than held in named registers: a generic kernel cannot name a register per vector of a width it does not know,
/// and a row of up to 256 floats held in registers spills on 16-register machines anyway. Weighted sums keep up to 8
/// output vectors in registers per pass over the rows (8 independent FMA chains keep both FMA ports busy).
/// </para>
/// <para>
/// The loops live in methods of their own (<c>NoInlining</c>), generic over <see cref="IStaticCount"/> where they hold
/// a shape-dependent number of accumulators: an inlined kernel spends its caller's inlining budget, after which the JIT
/// leaves even the shape's constant getters as calls.
/// </para>
/// </remarks>
public static class RowKernels<TRow>
    where TRow : struct, IRowShape
{
    /// <summary>
    /// The widest row that is covered by a cascade of vector widths and scored a block of keys at a time; wider rows take
    /// one vector width and a scalar tail, and one key at a time.
    /// </summary>
    private const int MaxCascadedWidth = 256;

    private const int OutputVectorsAtOnce = 8;

    private const MethodImplOptions Kernel = MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining;

    private static bool Cascaded
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => TRow.Width <= MaxCascadedWidth;
    }

    /// <summary><c>scores[j] = scale · (x · rows[j])</c> for <paramref name="count"/> rows.</summary>
    /// <remarks>Only picks the kernel, so it inlines into its caller: a call per block of keys is all it costs.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Dot(ref float x, ref float rows, int count, float scale, ref float scores)
    {
        if (Vector512.IsHardwareAccelerated && TRow.Width >= 16)
        {
            if (Cascaded && TRow.Width % 16 == 0 && count >= 16)
            {
                DotBlocks512(ref x, ref rows, count, scale, ref scores);
            }
            else
            {
                DotRows512(ref x, ref rows, count, scale, ref scores);
            }
        }
        else if (Vector256.IsHardwareAccelerated && TRow.Width >= 8)
        {
            if (Cascaded && TRow.Width % 8 == 0 && count >= 8)
            {
                DotBlocks256(ref x, ref rows, count, scale, ref scores);
            }
            else
            {
                DotRows256(ref x, ref rows, count, scale, ref scores);
            }
        }
        else if (Vector128.IsHardwareAccelerated && TRow.Width >= 4)
        {
            if (Cascaded && TRow.Width % 4 == 0 && count >= 4)
            {
                DotBlocks128(ref x, ref rows, count, scale, ref scores);
            }
            else
            {
                DotRows128(ref x, ref rows, count, scale, ref scores);
            }
        }
        else
        {
            DotRowsScalar(ref x, ref rows, count, scale, ref scores);
        }
    }

    /// <summary><c>output = Σⱼ weights[j] · rows[j]</c> over <paramref name="count"/> rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WeightedSum(ref float weights, ref float rows, int count, ref float output) =>
        WeightedSum(ref weights, ref rows, count, ref output, accumulate: false);

    /// <summary><c>output += Σⱼ weights[j] · rows[j]</c> over <paramref name="count"/> rows: one head's share of a block of values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void AddWeightedSum(ref float weights, ref float rows, int count, ref float output) =>
        WeightedSum(ref weights, ref rows, count, ref output, accumulate: true);

    /// <summary>The weighted sum, starting from the output (<paramref name="accumulate"/>) or from zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WeightedSum(ref float weights, ref float rows, int count, ref float output, bool accumulate)
    {
        if (Vector512.IsHardwareAccelerated && TRow.Width >= 16)
        {
            WeightedSum512(ref weights, ref rows, count, ref output, accumulate);
        }
        else if (Vector256.IsHardwareAccelerated && TRow.Width >= 8)
        {
            WeightedSum256(ref weights, ref rows, count, ref output, accumulate);
        }
        else if (Vector128.IsHardwareAccelerated && TRow.Width >= 4)
        {
            WeightedSum128(ref weights, ref rows, count, ref output, accumulate);
        }
        else
        {
            WeightedSumScalar(ref weights, ref rows, count, ref output, accumulate);
        }
    }

    /// <summary>16 keys at a time, one accumulator each, folded together at the end; the last block slides back to end on the last key.</summary>
    [MethodImpl(Kernel)]
    private static void DotBlocks512(ref float x, ref float rows, int count, float scale, ref float scores)
    {
        int width = TRow.Width;
        nuint stride = (nuint)TRow.RowStride;
        for (int first = 0; first < count; first += 16)
        {
            int j = Math.Min(first, count - 16);
            ref float block = ref Unsafe.Add(ref rows, (nint)j * (nint)stride);
            var s0 = Vector512<float>.Zero; var s1 = Vector512<float>.Zero; var s2 = Vector512<float>.Zero; var s3 = Vector512<float>.Zero;
            var s4 = Vector512<float>.Zero; var s5 = Vector512<float>.Zero; var s6 = Vector512<float>.Zero; var s7 = Vector512<float>.Zero;
            var s8 = Vector512<float>.Zero; var s9 = Vector512<float>.Zero; var s10 = Vector512<float>.Zero; var s11 = Vector512<float>.Zero;
            var s12 = Vector512<float>.Zero; var s13 = Vector512<float>.Zero; var s14 = Vector512<float>.Zero; var s15 = Vector512<float>.Zero;
            for (nuint d = 0; d < (nuint)width; d += 16)
            {
                var q = Vector512.LoadUnsafe(ref x, d);
                ref float column = ref Unsafe.Add(ref block, d);
                s0 = Vector512.MultiplyAddEstimate(q, Vector512.LoadUnsafe(ref column), s0);
                s1 = Vector512.MultiplyAddEstimate(q, Vector512.LoadUnsafe(ref column, stride), s1);
                s2 = Vector512.MultiplyAddEstimate(q, Vector512.LoadUnsafe(ref column, 2 * stride), s2);
                s3 = Vector512.MultiplyAddEstimate(q, Vector512.LoadUnsafe(ref column, 3 * stride), s3);
                s4 = Vector512.MultiplyAddEstimate(q, Vector512.LoadUnsafe(ref column, 4 * stride), s4);
                s5 = Vector512.MultiplyAddEstimate(q, Vector512.LoadUnsafe(ref column, 5 * stride), s5);
                s6 = Vector512.MultiplyAddEstimate(q, Vector512.LoadUnsafe(ref column, 6 * stride), s6);
                s7 = Vector512.MultiplyAddEstimate(q, Vector512.LoadUnsafe(ref column, 7 * stride), s7);
                s8 = Vector512.MultiplyAddEstimate(q, Vector512.LoadUnsafe(ref column, 8 * stride), s8);
                s9 = Vector512.MultiplyAddEstimate(q, Vector512.LoadUnsafe(ref column, 9 * stride), s9);
                s10 = Vector512.MultiplyAddEstimate(q, Vector512.LoadUnsafe(ref column, 10 * stride), s10);
                s11 = Vector512.MultiplyAddEstimate(q, Vector512.LoadUnsafe(ref column, 11 * stride), s11);
                s12 = Vector512.MultiplyAddEstimate(q, Vector512.LoadUnsafe(ref column, 12 * stride), s12);
                s13 = Vector512.MultiplyAddEstimate(q, Vector512.LoadUnsafe(ref column, 13 * stride), s13);
                s14 = Vector512.MultiplyAddEstimate(q, Vector512.LoadUnsafe(ref column, 14 * stride), s14);
                s15 = Vector512.MultiplyAddEstimate(q, Vector512.LoadUnsafe(ref column, 15 * stride), s15);
            }

            // Element k of sums is the dot product of x with key j + k.
            var sums = HorizontalSum.AcrossBlocks(
                HorizontalSum.OfFour(s0, s1, s2, s3),
                HorizontalSum.OfFour(s4, s5, s6, s7),
                HorizontalSum.OfFour(s8, s9, s10, s11),
                HorizontalSum.OfFour(s12, s13, s14, s15));
            (sums * scale).StoreUnsafe(ref scores, (nuint)j);
        }
    }

    /// <summary>8 keys at a time, one accumulator each, folded together at the end; the last block slides back to end on the last key.</summary>
    [MethodImpl(Kernel)]
    private static void DotBlocks256(ref float x, ref float rows, int count, float scale, ref float scores)
    {
        int width = TRow.Width;
        nuint stride = (nuint)TRow.RowStride;
        for (int first = 0; first < count; first += 8)
        {
            int j = Math.Min(first, count - 8);
            ref float block = ref Unsafe.Add(ref rows, (nint)j * (nint)stride);
            var s0 = Vector256<float>.Zero; var s1 = Vector256<float>.Zero; var s2 = Vector256<float>.Zero; var s3 = Vector256<float>.Zero;
            var s4 = Vector256<float>.Zero; var s5 = Vector256<float>.Zero; var s6 = Vector256<float>.Zero; var s7 = Vector256<float>.Zero;
            for (nuint d = 0; d < (nuint)width; d += 8)
            {
                var q = Vector256.LoadUnsafe(ref x, d);
                ref float column = ref Unsafe.Add(ref block, d);
                s0 = Vector256.MultiplyAddEstimate(q, Vector256.LoadUnsafe(ref column), s0);
                s1 = Vector256.MultiplyAddEstimate(q, Vector256.LoadUnsafe(ref column, stride), s1);
                s2 = Vector256.MultiplyAddEstimate(q, Vector256.LoadUnsafe(ref column, 2 * stride), s2);
                s3 = Vector256.MultiplyAddEstimate(q, Vector256.LoadUnsafe(ref column, 3 * stride), s3);
                s4 = Vector256.MultiplyAddEstimate(q, Vector256.LoadUnsafe(ref column, 4 * stride), s4);
                s5 = Vector256.MultiplyAddEstimate(q, Vector256.LoadUnsafe(ref column, 5 * stride), s5);
                s6 = Vector256.MultiplyAddEstimate(q, Vector256.LoadUnsafe(ref column, 6 * stride), s6);
                s7 = Vector256.MultiplyAddEstimate(q, Vector256.LoadUnsafe(ref column, 7 * stride), s7);
            }

            // Element k of sums is the dot product of x with key j + k.
            var sums = HorizontalSum.AcrossBlocks(
                HorizontalSum.OfFour(s0, s1, s2, s3),
                HorizontalSum.OfFour(s4, s5, s6, s7));
            (sums * scale).StoreUnsafe(ref scores, (nuint)j);
        }
    }

    /// <summary>4 keys at a time, one accumulator each, folded together at the end; the last block slides back to end on the last key.</summary>
    [MethodImpl(Kernel)]
    private static void DotBlocks128(ref float x, ref float rows, int count, float scale, ref float scores)
    {
        int width = TRow.Width;
        nuint stride = (nuint)TRow.RowStride;
        for (int first = 0; first < count; first += 4)
        {
            int j = Math.Min(first, count - 4);
            ref float block = ref Unsafe.Add(ref rows, (nint)j * (nint)stride);
            var s0 = Vector128<float>.Zero; var s1 = Vector128<float>.Zero; var s2 = Vector128<float>.Zero; var s3 = Vector128<float>.Zero;
            for (nuint d = 0; d < (nuint)width; d += 4)
            {
                var q = Vector128.LoadUnsafe(ref x, d);
                ref float column = ref Unsafe.Add(ref block, d);
                s0 = Vector128.MultiplyAddEstimate(q, Vector128.LoadUnsafe(ref column), s0);
                s1 = Vector128.MultiplyAddEstimate(q, Vector128.LoadUnsafe(ref column, stride), s1);
                s2 = Vector128.MultiplyAddEstimate(q, Vector128.LoadUnsafe(ref column, 2 * stride), s2);
                s3 = Vector128.MultiplyAddEstimate(q, Vector128.LoadUnsafe(ref column, 3 * stride), s3);
            }

            // Element k of sums is the dot product of x with key j + k.
            var sums = HorizontalSum.OfFour(s0, s1, s2, s3);
            (sums * scale).StoreUnsafe(ref scores, (nuint)j);
        }
    }

    /// <summary>
    /// One key at a time. Up to 256 floats, the row's Vector512s alternate between two accumulators so consecutive FMAs
    /// don't wait on each other, then come the narrower chunks and the scalars; wider rows take one accumulator. The
    /// first vectors of x and its narrower chunks are loaded once, before the keys: the JIT cannot hoist them itself,
    /// since for all it knows the scores written alias x.
    /// </summary>
    [MethodImpl(Kernel)]
    private static void DotRows512(ref float x, ref float rows, int count, float scale, ref float scores)
    {
        int width = TRow.Width;
        nint stride = TRow.RowStride;
        int vectors = width / 16;
        int wholeVectors = vectors * 16;
        var x0 = Vector512.LoadUnsafe(ref x);
        var x1 = vectors >= 2 ? Vector512.LoadUnsafe(ref x, 16) : default;
        var x2 = vectors >= 3 ? Vector512.LoadUnsafe(ref x, 32) : default;
        var x3 = vectors >= 4 ? Vector512.LoadUnsafe(ref x, 48) : default;
        var x8 = width % 16 >= 8 ? Vector256.LoadUnsafe(ref x, (nuint)wholeVectors) : default;
        var x4 = width % 8 >= 4 ? Vector128.LoadUnsafe(ref x, (nuint)(width / 4 * 4 - 4)) : default;
        for (int j = 0; j < count; j++)
        {
            ref float row = ref Unsafe.Add(ref rows, j * stride);
            float total;
            if (Cascaded)
            {
                var sumA = x0 * Vector512.LoadUnsafe(ref row);
                var sumB = vectors >= 2 ? x1 * Vector512.LoadUnsafe(ref row, 16) : default;
                if (vectors >= 3) sumA = Vector512.MultiplyAddEstimate(x2, Vector512.LoadUnsafe(ref row, 32), sumA);
                if (vectors >= 4) sumB = Vector512.MultiplyAddEstimate(x3, Vector512.LoadUnsafe(ref row, 48), sumB);
                if (vectors > 4)
                {
                    for (nuint d = 64; d + 32 <= (nuint)wholeVectors; d += 32)
                    {
                        sumA = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref x, d), Vector512.LoadUnsafe(ref row, d), sumA);
                        sumB = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref x, d + 16), Vector512.LoadUnsafe(ref row, d + 16), sumB);
                    }

                    if (vectors % 2 == 1)
                    {
                        nuint last = (nuint)(wholeVectors - 16);
                        sumA = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref x, last), Vector512.LoadUnsafe(ref row, last), sumA);
                    }
                }

                total = HorizontalSum.Of(vectors >= 2 ? sumA + sumB : sumA);
                if (width % 16 >= 8)
                {
                    total += HorizontalSum.Of(x8 * Vector256.LoadUnsafe(ref row, (nuint)wholeVectors));
                }

                if (width % 8 >= 4)
                {
                    total += HorizontalSum.Of(x4 * Vector128.LoadUnsafe(ref row, (nuint)(width / 4 * 4 - 4)));
                }

                total = WithScalarTail(total, ref x, ref row, width / 4 * 4);
            }
            else
            {
                var sum = Vector512<float>.Zero;
                for (nuint d = 0; d < (nuint)wholeVectors; d += 16)
                {
                    sum = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref x, d), Vector512.LoadUnsafe(ref row, d), sum);
                }

                total = WithScalarTail(HorizontalSum.Of(sum), ref x, ref row, wholeVectors);
            }

            Unsafe.Add(ref scores, j) = scale * total;
        }
    }

    /// <summary>
    /// One key at a time. Up to 256 floats, the row's Vector256s alternate between two accumulators so consecutive FMAs
    /// don't wait on each other, then come the narrower chunks and the scalars; wider rows take one accumulator. The
    /// first vectors of x and its narrower chunks are loaded once, before the keys: the JIT cannot hoist them itself,
    /// since for all it knows the scores written alias x.
    /// </summary>
    [MethodImpl(Kernel)]
    private static void DotRows256(ref float x, ref float rows, int count, float scale, ref float scores)
    {
        int width = TRow.Width;
        nint stride = TRow.RowStride;
        int vectors = width / 8;
        int wholeVectors = vectors * 8;
        var x0 = Vector256.LoadUnsafe(ref x);
        var x1 = vectors >= 2 ? Vector256.LoadUnsafe(ref x, 8) : default;
        var x2 = vectors >= 3 ? Vector256.LoadUnsafe(ref x, 16) : default;
        var x3 = vectors >= 4 ? Vector256.LoadUnsafe(ref x, 24) : default;
        var x4 = width % 8 >= 4 ? Vector128.LoadUnsafe(ref x, (nuint)(width / 4 * 4 - 4)) : default;
        for (int j = 0; j < count; j++)
        {
            ref float row = ref Unsafe.Add(ref rows, j * stride);
            float total;
            if (Cascaded)
            {
                var sumA = x0 * Vector256.LoadUnsafe(ref row);
                var sumB = vectors >= 2 ? x1 * Vector256.LoadUnsafe(ref row, 8) : default;
                if (vectors >= 3) sumA = Vector256.MultiplyAddEstimate(x2, Vector256.LoadUnsafe(ref row, 16), sumA);
                if (vectors >= 4) sumB = Vector256.MultiplyAddEstimate(x3, Vector256.LoadUnsafe(ref row, 24), sumB);
                if (vectors > 4)
                {
                    for (nuint d = 32; d + 16 <= (nuint)wholeVectors; d += 16)
                    {
                        sumA = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref x, d), Vector256.LoadUnsafe(ref row, d), sumA);
                        sumB = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref x, d + 8), Vector256.LoadUnsafe(ref row, d + 8), sumB);
                    }

                    if (vectors % 2 == 1)
                    {
                        nuint last = (nuint)(wholeVectors - 8);
                        sumA = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref x, last), Vector256.LoadUnsafe(ref row, last), sumA);
                    }
                }

                total = HorizontalSum.Of(vectors >= 2 ? sumA + sumB : sumA);
                if (width % 8 >= 4)
                {
                    total += HorizontalSum.Of(x4 * Vector128.LoadUnsafe(ref row, (nuint)(width / 4 * 4 - 4)));
                }

                total = WithScalarTail(total, ref x, ref row, width / 4 * 4);
            }
            else
            {
                var sum = Vector256<float>.Zero;
                for (nuint d = 0; d < (nuint)wholeVectors; d += 8)
                {
                    sum = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref x, d), Vector256.LoadUnsafe(ref row, d), sum);
                }

                total = WithScalarTail(HorizontalSum.Of(sum), ref x, ref row, wholeVectors);
            }

            Unsafe.Add(ref scores, j) = scale * total;
        }
    }

    /// <summary>
    /// One key at a time. Up to 256 floats, the row's Vector128s alternate between two accumulators so consecutive FMAs
    /// don't wait on each other, then come the narrower chunks and the scalars; wider rows take one accumulator. The
    /// first vectors of x and its narrower chunks are loaded once, before the keys: the JIT cannot hoist them itself,
    /// since for all it knows the scores written alias x.
    /// </summary>
    [MethodImpl(Kernel)]
    private static void DotRows128(ref float x, ref float rows, int count, float scale, ref float scores)
    {
        int width = TRow.Width;
        nint stride = TRow.RowStride;
        int vectors = width / 4;
        int wholeVectors = vectors * 4;
        var x0 = Vector128.LoadUnsafe(ref x);
        var x1 = vectors >= 2 ? Vector128.LoadUnsafe(ref x, 4) : default;
        var x2 = vectors >= 3 ? Vector128.LoadUnsafe(ref x, 8) : default;
        var x3 = vectors >= 4 ? Vector128.LoadUnsafe(ref x, 12) : default;
        for (int j = 0; j < count; j++)
        {
            ref float row = ref Unsafe.Add(ref rows, j * stride);
            float total;
            if (Cascaded)
            {
                var sumA = x0 * Vector128.LoadUnsafe(ref row);
                var sumB = vectors >= 2 ? x1 * Vector128.LoadUnsafe(ref row, 4) : default;
                if (vectors >= 3) sumA = Vector128.MultiplyAddEstimate(x2, Vector128.LoadUnsafe(ref row, 8), sumA);
                if (vectors >= 4) sumB = Vector128.MultiplyAddEstimate(x3, Vector128.LoadUnsafe(ref row, 12), sumB);
                if (vectors > 4)
                {
                    for (nuint d = 16; d + 8 <= (nuint)wholeVectors; d += 8)
                    {
                        sumA = Vector128.MultiplyAddEstimate(Vector128.LoadUnsafe(ref x, d), Vector128.LoadUnsafe(ref row, d), sumA);
                        sumB = Vector128.MultiplyAddEstimate(Vector128.LoadUnsafe(ref x, d + 4), Vector128.LoadUnsafe(ref row, d + 4), sumB);
                    }

                    if (vectors % 2 == 1)
                    {
                        nuint last = (nuint)(wholeVectors - 4);
                        sumA = Vector128.MultiplyAddEstimate(Vector128.LoadUnsafe(ref x, last), Vector128.LoadUnsafe(ref row, last), sumA);
                    }
                }

                total = HorizontalSum.Of(vectors >= 2 ? sumA + sumB : sumA);
                total = WithScalarTail(total, ref x, ref row, width / 4 * 4);
            }
            else
            {
                var sum = Vector128<float>.Zero;
                for (nuint d = 0; d < (nuint)wholeVectors; d += 4)
                {
                    sum = Vector128.MultiplyAddEstimate(Vector128.LoadUnsafe(ref x, d), Vector128.LoadUnsafe(ref row, d), sum);
                }

                total = WithScalarTail(HorizontalSum.Of(sum), ref x, ref row, wholeVectors);
            }

            Unsafe.Add(ref scores, j) = scale * total;
        }
    }

    /// <summary>
    /// The weighted sum on Vector512: passes over the rows with up to 8 output vectors in registers, the last pass also
    /// carrying the row's narrower chunks and (up to 256 floats) its scalars.
    /// </summary>
    [MethodImpl(Kernel)]
    private static void WeightedSum512(ref float weights, ref float rows, int count, ref float output, bool accumulate)
    {
        const int Group = OutputVectorsAtOnce * 16;
        int vectorPart = TRow.Width / 16 * 16;
        int lastVectors = ((vectorPart - 1) % Group + 1) / 16;
        int lastColumn = vectorPart - lastVectors * 16;
        nuint column = 0;
        if (lastColumn > 0)
        {
            for (; column < (nuint)lastColumn; column += Group)
            {
                WeighColumns512<Count8>(ref weights, ref rows, count, ref output, column, accumulate, withTail: false);
            }
        }

        switch (lastVectors)
        {
            case 1: WeighColumns512<Count1>(ref weights, ref rows, count, ref output, (nuint)lastColumn, accumulate, withTail: true); break;
            case 2: WeighColumns512<Count2>(ref weights, ref rows, count, ref output, (nuint)lastColumn, accumulate, withTail: true); break;
            case 3: WeighColumns512<Count3>(ref weights, ref rows, count, ref output, (nuint)lastColumn, accumulate, withTail: true); break;
            case 4: WeighColumns512<Count4>(ref weights, ref rows, count, ref output, (nuint)lastColumn, accumulate, withTail: true); break;
            case 5: WeighColumns512<Count5>(ref weights, ref rows, count, ref output, (nuint)lastColumn, accumulate, withTail: true); break;
            case 6: WeighColumns512<Count6>(ref weights, ref rows, count, ref output, (nuint)lastColumn, accumulate, withTail: true); break;
            case 7: WeighColumns512<Count7>(ref weights, ref rows, count, ref output, (nuint)lastColumn, accumulate, withTail: true); break;
            case 8: WeighColumns512<Count8>(ref weights, ref rows, count, ref output, (nuint)lastColumn, accumulate, withTail: true); break;
        }

        if (!Cascaded)
        {
            WeighScalarColumns(ref weights, ref rows, count, ref output, vectorPart, accumulate);
        }
    }

    /// <summary>
    /// The weighted sum on Vector256: passes over the rows with up to 8 output vectors in registers, the last pass also
    /// carrying the row's narrower chunks and (up to 256 floats) its scalars.
    /// </summary>
    [MethodImpl(Kernel)]
    private static void WeightedSum256(ref float weights, ref float rows, int count, ref float output, bool accumulate)
    {
        const int Group = OutputVectorsAtOnce * 8;
        int vectorPart = TRow.Width / 8 * 8;
        int lastVectors = ((vectorPart - 1) % Group + 1) / 8;
        int lastColumn = vectorPart - lastVectors * 8;
        nuint column = 0;
        if (lastColumn > 0)
        {
            for (; column < (nuint)lastColumn; column += Group)
            {
                WeighColumns256<Count8>(ref weights, ref rows, count, ref output, column, accumulate, withTail: false);
            }
        }

        switch (lastVectors)
        {
            case 1: WeighColumns256<Count1>(ref weights, ref rows, count, ref output, (nuint)lastColumn, accumulate, withTail: true); break;
            case 2: WeighColumns256<Count2>(ref weights, ref rows, count, ref output, (nuint)lastColumn, accumulate, withTail: true); break;
            case 3: WeighColumns256<Count3>(ref weights, ref rows, count, ref output, (nuint)lastColumn, accumulate, withTail: true); break;
            case 4: WeighColumns256<Count4>(ref weights, ref rows, count, ref output, (nuint)lastColumn, accumulate, withTail: true); break;
            case 5: WeighColumns256<Count5>(ref weights, ref rows, count, ref output, (nuint)lastColumn, accumulate, withTail: true); break;
            case 6: WeighColumns256<Count6>(ref weights, ref rows, count, ref output, (nuint)lastColumn, accumulate, withTail: true); break;
            case 7: WeighColumns256<Count7>(ref weights, ref rows, count, ref output, (nuint)lastColumn, accumulate, withTail: true); break;
            case 8: WeighColumns256<Count8>(ref weights, ref rows, count, ref output, (nuint)lastColumn, accumulate, withTail: true); break;
        }

        if (!Cascaded)
        {
            WeighScalarColumns(ref weights, ref rows, count, ref output, vectorPart, accumulate);
        }
    }

    /// <summary>
    /// The weighted sum on Vector128: passes over the rows with up to 8 output vectors in registers, the last pass also
    /// carrying the row's narrower chunks and (up to 256 floats) its scalars.
    /// </summary>
    [MethodImpl(Kernel)]
    private static void WeightedSum128(ref float weights, ref float rows, int count, ref float output, bool accumulate)
    {
        const int Group = OutputVectorsAtOnce * 4;
        int vectorPart = TRow.Width / 4 * 4;
        int lastVectors = ((vectorPart - 1) % Group + 1) / 4;
        int lastColumn = vectorPart - lastVectors * 4;
        nuint column = 0;
        if (lastColumn > 0)
        {
            for (; column < (nuint)lastColumn; column += Group)
            {
                WeighColumns128<Count8>(ref weights, ref rows, count, ref output, column, accumulate, withTail: false);
            }
        }

        switch (lastVectors)
        {
            case 1: WeighColumns128<Count1>(ref weights, ref rows, count, ref output, (nuint)lastColumn, accumulate, withTail: true); break;
            case 2: WeighColumns128<Count2>(ref weights, ref rows, count, ref output, (nuint)lastColumn, accumulate, withTail: true); break;
            case 3: WeighColumns128<Count3>(ref weights, ref rows, count, ref output, (nuint)lastColumn, accumulate, withTail: true); break;
            case 4: WeighColumns128<Count4>(ref weights, ref rows, count, ref output, (nuint)lastColumn, accumulate, withTail: true); break;
            case 5: WeighColumns128<Count5>(ref weights, ref rows, count, ref output, (nuint)lastColumn, accumulate, withTail: true); break;
            case 6: WeighColumns128<Count6>(ref weights, ref rows, count, ref output, (nuint)lastColumn, accumulate, withTail: true); break;
            case 7: WeighColumns128<Count7>(ref weights, ref rows, count, ref output, (nuint)lastColumn, accumulate, withTail: true); break;
            case 8: WeighColumns128<Count8>(ref weights, ref rows, count, ref output, (nuint)lastColumn, accumulate, withTail: true); break;
        }

        if (!Cascaded)
        {
            WeighScalarColumns(ref weights, ref rows, count, ref output, vectorPart, accumulate);
        }
    }

    /// <summary>
    /// <typeparamref name="TVectors"/> Vector512 columns of the output from <paramref name="column"/>, one accumulator each,
    /// in registers while every row streams past; <paramref name="withTail"/> (a constant at each call) adds the row's
    /// narrower chunks and, up to 256 floats, its last scalars.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WeighColumns512<TVectors>(ref float weights, ref float rows, int count, ref float output, nuint column, bool accumulate, bool withTail)
        where TVectors : struct, IStaticCount
    {
        int vectors = TVectors.Value;
        int width = TRow.Width;
        nint stride = TRow.RowStride;
        bool tail = withTail && Cascaded;
        int vectorPart = width / 16 * 16;
        int scalars = tail ? width % 4 : 0;
        int scalarStart = width / 4 * 4;
        bool has8 = tail && width % 16 >= 8;
        bool has4 = tail && width % 8 >= 4;
        nuint at4 = (nuint)(scalarStart - 4);
        ref float outputs = ref Unsafe.Add(ref output, column);
        var o0 = accumulate ? Vector512.LoadUnsafe(ref outputs) : Vector512<float>.Zero;
        var o1 = accumulate && vectors >= 2 ? Vector512.LoadUnsafe(ref outputs, 16) : Vector512<float>.Zero;
        var o2 = accumulate && vectors >= 3 ? Vector512.LoadUnsafe(ref outputs, 32) : Vector512<float>.Zero;
        var o3 = accumulate && vectors >= 4 ? Vector512.LoadUnsafe(ref outputs, 48) : Vector512<float>.Zero;
        var o4 = accumulate && vectors >= 5 ? Vector512.LoadUnsafe(ref outputs, 64) : Vector512<float>.Zero;
        var o5 = accumulate && vectors >= 6 ? Vector512.LoadUnsafe(ref outputs, 80) : Vector512<float>.Zero;
        var o6 = accumulate && vectors >= 7 ? Vector512.LoadUnsafe(ref outputs, 96) : Vector512<float>.Zero;
        var o7 = accumulate && vectors >= 8 ? Vector512.LoadUnsafe(ref outputs, 112) : Vector512<float>.Zero;
        var narrow8 = accumulate && has8 ? Vector256.LoadUnsafe(ref output, (nuint)vectorPart) : Vector256<float>.Zero;
        var narrow4 = accumulate && has4 ? Vector128.LoadUnsafe(ref output, at4) : Vector128<float>.Zero;
        float t0 = accumulate && scalars >= 1 ? Unsafe.Add(ref output, scalarStart) : 0;
        float t1 = accumulate && scalars >= 2 ? Unsafe.Add(ref output, scalarStart + 1) : 0;
        float t2 = accumulate && scalars >= 3 ? Unsafe.Add(ref output, scalarStart + 2) : 0;
        ref float columns = ref Unsafe.Add(ref rows, column);
        for (int j = 0; j < count; j++)
        {
            ref float row = ref Unsafe.Add(ref columns, j * stride);
            float p = Unsafe.Add(ref weights, j);
            var weight = Vector512.Create(p);
            o0 = Vector512.MultiplyAddEstimate(weight, Vector512.LoadUnsafe(ref row), o0);
            if (vectors >= 2) o1 = Vector512.MultiplyAddEstimate(weight, Vector512.LoadUnsafe(ref row, 16), o1);
            if (vectors >= 3) o2 = Vector512.MultiplyAddEstimate(weight, Vector512.LoadUnsafe(ref row, 32), o2);
            if (vectors >= 4) o3 = Vector512.MultiplyAddEstimate(weight, Vector512.LoadUnsafe(ref row, 48), o3);
            if (vectors >= 5) o4 = Vector512.MultiplyAddEstimate(weight, Vector512.LoadUnsafe(ref row, 64), o4);
            if (vectors >= 6) o5 = Vector512.MultiplyAddEstimate(weight, Vector512.LoadUnsafe(ref row, 80), o5);
            if (vectors >= 7) o6 = Vector512.MultiplyAddEstimate(weight, Vector512.LoadUnsafe(ref row, 96), o6);
            if (vectors >= 8) o7 = Vector512.MultiplyAddEstimate(weight, Vector512.LoadUnsafe(ref row, 112), o7);
            if (has8 || has4 || scalars > 0)
            {
                ref float wholeRow = ref Unsafe.Add(ref rows, j * stride);
                if (has8) narrow8 = Vector256.MultiplyAddEstimate(Vector256.Create(p), Vector256.LoadUnsafe(ref wholeRow, (nuint)vectorPart), narrow8);
                if (has4) narrow4 = Vector128.MultiplyAddEstimate(Vector128.Create(p), Vector128.LoadUnsafe(ref wholeRow, at4), narrow4);
                if (scalars >= 1) t0 += p * Unsafe.Add(ref wholeRow, scalarStart);
                if (scalars >= 2) t1 += p * Unsafe.Add(ref wholeRow, scalarStart + 1);
                if (scalars >= 3) t2 += p * Unsafe.Add(ref wholeRow, scalarStart + 2);
            }
        }

        o0.StoreUnsafe(ref outputs);
        if (vectors >= 2) o1.StoreUnsafe(ref outputs, 16);
        if (vectors >= 3) o2.StoreUnsafe(ref outputs, 32);
        if (vectors >= 4) o3.StoreUnsafe(ref outputs, 48);
        if (vectors >= 5) o4.StoreUnsafe(ref outputs, 64);
        if (vectors >= 6) o5.StoreUnsafe(ref outputs, 80);
        if (vectors >= 7) o6.StoreUnsafe(ref outputs, 96);
        if (vectors >= 8) o7.StoreUnsafe(ref outputs, 112);
        if (has8) narrow8.StoreUnsafe(ref output, (nuint)vectorPart);
        if (has4) narrow4.StoreUnsafe(ref output, at4);
        if (scalars >= 1) Unsafe.Add(ref output, scalarStart) = t0;
        if (scalars >= 2) Unsafe.Add(ref output, scalarStart + 1) = t1;
        if (scalars >= 3) Unsafe.Add(ref output, scalarStart + 2) = t2;
    }

    /// <summary>
    /// <typeparamref name="TVectors"/> Vector256 columns of the output from <paramref name="column"/>, one accumulator each,
    /// in registers while every row streams past; <paramref name="withTail"/> (a constant at each call) adds the row's
    /// narrower chunks and, up to 256 floats, its last scalars.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WeighColumns256<TVectors>(ref float weights, ref float rows, int count, ref float output, nuint column, bool accumulate, bool withTail)
        where TVectors : struct, IStaticCount
    {
        int vectors = TVectors.Value;
        int width = TRow.Width;
        nint stride = TRow.RowStride;
        bool tail = withTail && Cascaded;
        int vectorPart = width / 8 * 8;
        int scalars = tail ? width % 4 : 0;
        int scalarStart = width / 4 * 4;
        bool has8 = false;
        bool has4 = tail && width % 8 >= 4;
        nuint at4 = (nuint)(scalarStart - 4);
        ref float outputs = ref Unsafe.Add(ref output, column);
        var o0 = accumulate ? Vector256.LoadUnsafe(ref outputs) : Vector256<float>.Zero;
        var o1 = accumulate && vectors >= 2 ? Vector256.LoadUnsafe(ref outputs, 8) : Vector256<float>.Zero;
        var o2 = accumulate && vectors >= 3 ? Vector256.LoadUnsafe(ref outputs, 16) : Vector256<float>.Zero;
        var o3 = accumulate && vectors >= 4 ? Vector256.LoadUnsafe(ref outputs, 24) : Vector256<float>.Zero;
        var o4 = accumulate && vectors >= 5 ? Vector256.LoadUnsafe(ref outputs, 32) : Vector256<float>.Zero;
        var o5 = accumulate && vectors >= 6 ? Vector256.LoadUnsafe(ref outputs, 40) : Vector256<float>.Zero;
        var o6 = accumulate && vectors >= 7 ? Vector256.LoadUnsafe(ref outputs, 48) : Vector256<float>.Zero;
        var o7 = accumulate && vectors >= 8 ? Vector256.LoadUnsafe(ref outputs, 56) : Vector256<float>.Zero;
        var narrow8 = accumulate && has8 ? Vector256.LoadUnsafe(ref output, (nuint)vectorPart) : Vector256<float>.Zero;
        var narrow4 = accumulate && has4 ? Vector128.LoadUnsafe(ref output, at4) : Vector128<float>.Zero;
        float t0 = accumulate && scalars >= 1 ? Unsafe.Add(ref output, scalarStart) : 0;
        float t1 = accumulate && scalars >= 2 ? Unsafe.Add(ref output, scalarStart + 1) : 0;
        float t2 = accumulate && scalars >= 3 ? Unsafe.Add(ref output, scalarStart + 2) : 0;
        ref float columns = ref Unsafe.Add(ref rows, column);
        for (int j = 0; j < count; j++)
        {
            ref float row = ref Unsafe.Add(ref columns, j * stride);
            float p = Unsafe.Add(ref weights, j);
            var weight = Vector256.Create(p);
            o0 = Vector256.MultiplyAddEstimate(weight, Vector256.LoadUnsafe(ref row), o0);
            if (vectors >= 2) o1 = Vector256.MultiplyAddEstimate(weight, Vector256.LoadUnsafe(ref row, 8), o1);
            if (vectors >= 3) o2 = Vector256.MultiplyAddEstimate(weight, Vector256.LoadUnsafe(ref row, 16), o2);
            if (vectors >= 4) o3 = Vector256.MultiplyAddEstimate(weight, Vector256.LoadUnsafe(ref row, 24), o3);
            if (vectors >= 5) o4 = Vector256.MultiplyAddEstimate(weight, Vector256.LoadUnsafe(ref row, 32), o4);
            if (vectors >= 6) o5 = Vector256.MultiplyAddEstimate(weight, Vector256.LoadUnsafe(ref row, 40), o5);
            if (vectors >= 7) o6 = Vector256.MultiplyAddEstimate(weight, Vector256.LoadUnsafe(ref row, 48), o6);
            if (vectors >= 8) o7 = Vector256.MultiplyAddEstimate(weight, Vector256.LoadUnsafe(ref row, 56), o7);
            if (has8 || has4 || scalars > 0)
            {
                ref float wholeRow = ref Unsafe.Add(ref rows, j * stride);
                if (has8) narrow8 = Vector256.MultiplyAddEstimate(Vector256.Create(p), Vector256.LoadUnsafe(ref wholeRow, (nuint)vectorPart), narrow8);
                if (has4) narrow4 = Vector128.MultiplyAddEstimate(Vector128.Create(p), Vector128.LoadUnsafe(ref wholeRow, at4), narrow4);
                if (scalars >= 1) t0 += p * Unsafe.Add(ref wholeRow, scalarStart);
                if (scalars >= 2) t1 += p * Unsafe.Add(ref wholeRow, scalarStart + 1);
                if (scalars >= 3) t2 += p * Unsafe.Add(ref wholeRow, scalarStart + 2);
            }
        }

        o0.StoreUnsafe(ref outputs);
        if (vectors >= 2) o1.StoreUnsafe(ref outputs, 8);
        if (vectors >= 3) o2.StoreUnsafe(ref outputs, 16);
        if (vectors >= 4) o3.StoreUnsafe(ref outputs, 24);
        if (vectors >= 5) o4.StoreUnsafe(ref outputs, 32);
        if (vectors >= 6) o5.StoreUnsafe(ref outputs, 40);
        if (vectors >= 7) o6.StoreUnsafe(ref outputs, 48);
        if (vectors >= 8) o7.StoreUnsafe(ref outputs, 56);
        if (has8) narrow8.StoreUnsafe(ref output, (nuint)vectorPart);
        if (has4) narrow4.StoreUnsafe(ref output, at4);
        if (scalars >= 1) Unsafe.Add(ref output, scalarStart) = t0;
        if (scalars >= 2) Unsafe.Add(ref output, scalarStart + 1) = t1;
        if (scalars >= 3) Unsafe.Add(ref output, scalarStart + 2) = t2;
    }

    /// <summary>
    /// <typeparamref name="TVectors"/> Vector128 columns of the output from <paramref name="column"/>, one accumulator each,
    /// in registers while every row streams past; <paramref name="withTail"/> (a constant at each call) adds the row's
    /// narrower chunks and, up to 256 floats, its last scalars.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WeighColumns128<TVectors>(ref float weights, ref float rows, int count, ref float output, nuint column, bool accumulate, bool withTail)
        where TVectors : struct, IStaticCount
    {
        int vectors = TVectors.Value;
        int width = TRow.Width;
        nint stride = TRow.RowStride;
        bool tail = withTail && Cascaded;
        int vectorPart = width / 4 * 4;
        int scalars = tail ? width % 4 : 0;
        int scalarStart = width / 4 * 4;
        bool has8 = false;
        bool has4 = false;
        nuint at4 = (nuint)(scalarStart - 4);
        ref float outputs = ref Unsafe.Add(ref output, column);
        var o0 = accumulate ? Vector128.LoadUnsafe(ref outputs) : Vector128<float>.Zero;
        var o1 = accumulate && vectors >= 2 ? Vector128.LoadUnsafe(ref outputs, 4) : Vector128<float>.Zero;
        var o2 = accumulate && vectors >= 3 ? Vector128.LoadUnsafe(ref outputs, 8) : Vector128<float>.Zero;
        var o3 = accumulate && vectors >= 4 ? Vector128.LoadUnsafe(ref outputs, 12) : Vector128<float>.Zero;
        var o4 = accumulate && vectors >= 5 ? Vector128.LoadUnsafe(ref outputs, 16) : Vector128<float>.Zero;
        var o5 = accumulate && vectors >= 6 ? Vector128.LoadUnsafe(ref outputs, 20) : Vector128<float>.Zero;
        var o6 = accumulate && vectors >= 7 ? Vector128.LoadUnsafe(ref outputs, 24) : Vector128<float>.Zero;
        var o7 = accumulate && vectors >= 8 ? Vector128.LoadUnsafe(ref outputs, 28) : Vector128<float>.Zero;
        var narrow8 = accumulate && has8 ? Vector256.LoadUnsafe(ref output, (nuint)vectorPart) : Vector256<float>.Zero;
        var narrow4 = accumulate && has4 ? Vector128.LoadUnsafe(ref output, at4) : Vector128<float>.Zero;
        float t0 = accumulate && scalars >= 1 ? Unsafe.Add(ref output, scalarStart) : 0;
        float t1 = accumulate && scalars >= 2 ? Unsafe.Add(ref output, scalarStart + 1) : 0;
        float t2 = accumulate && scalars >= 3 ? Unsafe.Add(ref output, scalarStart + 2) : 0;
        ref float columns = ref Unsafe.Add(ref rows, column);
        for (int j = 0; j < count; j++)
        {
            ref float row = ref Unsafe.Add(ref columns, j * stride);
            float p = Unsafe.Add(ref weights, j);
            var weight = Vector128.Create(p);
            o0 = Vector128.MultiplyAddEstimate(weight, Vector128.LoadUnsafe(ref row), o0);
            if (vectors >= 2) o1 = Vector128.MultiplyAddEstimate(weight, Vector128.LoadUnsafe(ref row, 4), o1);
            if (vectors >= 3) o2 = Vector128.MultiplyAddEstimate(weight, Vector128.LoadUnsafe(ref row, 8), o2);
            if (vectors >= 4) o3 = Vector128.MultiplyAddEstimate(weight, Vector128.LoadUnsafe(ref row, 12), o3);
            if (vectors >= 5) o4 = Vector128.MultiplyAddEstimate(weight, Vector128.LoadUnsafe(ref row, 16), o4);
            if (vectors >= 6) o5 = Vector128.MultiplyAddEstimate(weight, Vector128.LoadUnsafe(ref row, 20), o5);
            if (vectors >= 7) o6 = Vector128.MultiplyAddEstimate(weight, Vector128.LoadUnsafe(ref row, 24), o6);
            if (vectors >= 8) o7 = Vector128.MultiplyAddEstimate(weight, Vector128.LoadUnsafe(ref row, 28), o7);
            if (has8 || has4 || scalars > 0)
            {
                ref float wholeRow = ref Unsafe.Add(ref rows, j * stride);
                if (has8) narrow8 = Vector256.MultiplyAddEstimate(Vector256.Create(p), Vector256.LoadUnsafe(ref wholeRow, (nuint)vectorPart), narrow8);
                if (has4) narrow4 = Vector128.MultiplyAddEstimate(Vector128.Create(p), Vector128.LoadUnsafe(ref wholeRow, at4), narrow4);
                if (scalars >= 1) t0 += p * Unsafe.Add(ref wholeRow, scalarStart);
                if (scalars >= 2) t1 += p * Unsafe.Add(ref wholeRow, scalarStart + 1);
                if (scalars >= 3) t2 += p * Unsafe.Add(ref wholeRow, scalarStart + 2);
            }
        }

        o0.StoreUnsafe(ref outputs);
        if (vectors >= 2) o1.StoreUnsafe(ref outputs, 4);
        if (vectors >= 3) o2.StoreUnsafe(ref outputs, 8);
        if (vectors >= 4) o3.StoreUnsafe(ref outputs, 12);
        if (vectors >= 5) o4.StoreUnsafe(ref outputs, 16);
        if (vectors >= 6) o5.StoreUnsafe(ref outputs, 20);
        if (vectors >= 7) o6.StoreUnsafe(ref outputs, 24);
        if (vectors >= 8) o7.StoreUnsafe(ref outputs, 28);
        if (has8) narrow8.StoreUnsafe(ref output, (nuint)vectorPart);
        if (has4) narrow4.StoreUnsafe(ref output, at4);
        if (scalars >= 1) Unsafe.Add(ref output, scalarStart) = t0;
        if (scalars >= 2) Unsafe.Add(ref output, scalarStart + 1) = t1;
        if (scalars >= 3) Unsafe.Add(ref output, scalarStart + 2) = t2;
    }

    /// <summary>No SIMD: one key at a time, one float at a time.</summary>
    [MethodImpl(Kernel)]
    private static void DotRowsScalar(ref float x, ref float rows, int count, float scale, ref float scores)
    {
        nint stride = TRow.RowStride;
        for (int j = 0; j < count; j++)
        {
            ref float row = ref Unsafe.Add(ref rows, j * stride);
            Unsafe.Add(ref scores, j) = scale * WithScalarTail(0, ref x, ref row, 0);
        }
    }

    /// <summary>No SIMD: each weighted row added to the output in turn.</summary>
    [MethodImpl(Kernel)]
    private static void WeightedSumScalar(ref float weights, ref float rows, int count, ref float output, bool accumulate)
    {
        if (!accumulate)
        {
            MemoryMarshal.CreateSpan(ref output, TRow.Width).Clear();
        }

        int width = TRow.Width;
        nint stride = TRow.RowStride;
        for (int j = 0; j < count; j++)
        {
            ref float row = ref Unsafe.Add(ref rows, j * stride);
            float weight = Unsafe.Add(ref weights, j);
            for (int d = 0; d < width; d++)
            {
                Unsafe.Add(ref output, d) += weight * Unsafe.Add(ref row, d);
            }
        }
    }

    /// <summary>
    /// <paramref name="total"/> plus the products of the row's elements from <paramref name="start"/> on, added to it one
    /// at a time (summing them apart first would round differently).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float WithScalarTail(float total, ref float x, ref float row, int start)
    {
        for (int d = start; d < TRow.Width; d++)
        {
            total += Unsafe.Add(ref x, d) * Unsafe.Add(ref row, d);
        }

        return total;
    }

    /// <summary>
    /// The output's elements from <paramref name="start"/> on, each summed in a register over every row: fewer than one
    /// vector of them, so a pass per element costs little.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WeighScalarColumns(ref float weights, ref float rows, int count, ref float output, int start, bool accumulate)
    {
        nint stride = TRow.RowStride;
        for (int d = start; d < TRow.Width; d++)
        {
            float sum = accumulate ? Unsafe.Add(ref output, d) : 0;
            ref float element = ref Unsafe.Add(ref rows, d);
            for (int j = 0; j < count; j++)
            {
                sum += Unsafe.Add(ref weights, j) * Unsafe.Add(ref element, j * stride);
            }

            Unsafe.Add(ref output, d) = sum;
        }
    }
}
