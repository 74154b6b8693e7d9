using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace AttentionGen.Kernels;

/// <summary>
/// The end of a sentence encoder: the mean of its token rows, and the L2 normalization of the result, as
/// sentence-transformers' <c>Pooling(mode="mean")</c> and <c>Normalize</c> compute them.
/// </summary>
[SkipLocalsInit]
public static class PoolingKernels
{
    /// <summary>
    /// The smallest norm <see cref="L2Normalize"/> divides by, as in PyTorch's <c>F.normalize</c> (its default eps).
    /// </summary>
    public const float L2NormFloor = 1e-12f;

    /// <summary>
    /// <c>output[j] = Σ_t rows[t, j] / tokens</c>: the mean of the first <paramref name="tokens"/> rows. Pass only the
    /// real tokens: with padding at the end of a sequence, that is its length, and the padding rows are never read.
    /// </summary>
    /// <param name="rows">Token-major rows <c>[tokens, width]</c>; at least <c>tokens × width</c> floats.</param>
    /// <param name="tokens">How many rows to average, at least 1.</param>
    /// <param name="width">The row length, at least 1.</param>
    /// <param name="output">The mean row, exactly <paramref name="width"/> floats, separate from <paramref name="rows"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A count is below 1.</exception>
    /// <exception cref="ArgumentException">A span has the wrong length, or the output overlaps the rows.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MeanPool(ReadOnlySpan<float> rows, int tokens, int width, Span<float> output)
    {
        KernelChecks.AtLeast(tokens, 1, nameof(tokens));
        KernelChecks.AtLeast(width, 1, nameof(width));
        Guard.HasRows(rows, tokens, width, nameof(rows));
        KernelChecks.Length(output, width, nameof(output), "one value per column (width)");
        Guard.DoesNotOverlap(output, rows, nameof(output), nameof(rows));

        ref float x = ref MemoryMarshal.GetReference(rows);
        ref float y = ref MemoryMarshal.GetReference(output);
        if (Vector512.IsHardwareAccelerated && width >= Vector512<float>.Count)
        {
            PoolingLoops<Vector512Width, Vector512<float>>.MeanPool(ref x, (nuint)tokens, (nuint)width, ref y);
        }
        else if (Vector256.IsHardwareAccelerated && width >= Vector256<float>.Count)
        {
            PoolingLoops<Vector256Width, Vector256<float>>.MeanPool(ref x, (nuint)tokens, (nuint)width, ref y);
        }
        else if (Vector128.IsHardwareAccelerated && width >= Vector128<float>.Count)
        {
            PoolingLoops<Vector128Width, Vector128<float>>.MeanPool(ref x, (nuint)tokens, (nuint)width, ref y);
        }
        else
        {
            for (nuint j = 0; j < (nuint)width; j++)
            {
                float sum = 0f;
                for (nuint t = 0; t < (nuint)tokens; t++)
                {
                    sum += Unsafe.Add(ref x, t * (nuint)width + j);
                }
                Unsafe.Add(ref y, j) = sum / tokens;
            }
        }
    }

    /// <summary>
    /// Divides <paramref name="vector"/> in place by its Euclidean norm, or by <see cref="L2NormFloor"/> if the norm is
    /// smaller: a zero vector stays zero (rather than becoming NaN), and a nonzero vector with a norm below 1e-12 is
    /// scaled up by 1e12 rather than to unit length, as PyTorch's <c>F.normalize</c> does.
    /// </summary>
    /// <remarks>
    /// The squares are summed in float: an element beyond about 1.8e19 in magnitude makes the norm +∞ and the vector
    /// zeros (and NaN where an element is ±∞, as the float64 formula gives); a NaN element makes every element NaN.
    /// </remarks>
    /// <param name="vector">The vector, overwritten in place; any length, including 0.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void L2Normalize(Span<float> vector)
    {
        ref float x = ref MemoryMarshal.GetReference(vector);
        nuint length = (nuint)vector.Length;
        if (Vector512.IsHardwareAccelerated && vector.Length >= Vector512<float>.Count)
        {
            PoolingLoops<Vector512Width, Vector512<float>>.L2Normalize(ref x, length);
        }
        else if (Vector256.IsHardwareAccelerated && vector.Length >= Vector256<float>.Count)
        {
            PoolingLoops<Vector256Width, Vector256<float>>.L2Normalize(ref x, length);
        }
        else if (Vector128.IsHardwareAccelerated && vector.Length >= Vector128<float>.Count)
        {
            PoolingLoops<Vector128Width, Vector128<float>>.L2Normalize(ref x, length);
        }
        else
        {
            float squares = 0f;
            for (nuint i = 0; i < length; i++)
            {
                float v = Unsafe.Add(ref x, i);
                squares = float.MultiplyAddEstimate(v, v, squares);
            }
            float divisor = MathF.Max(MathF.Sqrt(squares), L2NormFloor);
            for (nuint i = 0; i < length; i++)
            {
                Unsafe.Add(ref x, i) /= divisor;
            }
        }
    }
}

/// <summary>The loops of <see cref="PoolingKernels"/> at one vector width, for rows of at least one whole vector.</summary>
internal static class PoolingLoops<TWidth, TVector>
    where TWidth : struct, IVectorWidth<TVector>
    where TVector : struct
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MeanPool(ref float rows, nuint tokens, nuint width, ref float output)
    {
        nuint count = (nuint)TWidth.Count;
        TVector divisor = TWidth.Create(tokens);
        nuint j = 0;
        // Four column vectors at a time: each accumulator is a chain of adds down the tokens, and four chains hide
        // the add latency.
        for (; j + 4 * count <= width; j += 4 * count)
        {
            TVector a0 = TWidth.Zero, a1 = TWidth.Zero, a2 = TWidth.Zero, a3 = TWidth.Zero;
            ref float column = ref Unsafe.Add(ref rows, j);
            for (nuint t = 0; t < tokens; t++)
            {
                nuint at = t * width;
                a0 = TWidth.Add(a0, TWidth.Load(ref column, at));
                a1 = TWidth.Add(a1, TWidth.Load(ref column, at + count));
                a2 = TWidth.Add(a2, TWidth.Load(ref column, at + 2 * count));
                a3 = TWidth.Add(a3, TWidth.Load(ref column, at + 3 * count));
            }
            TWidth.Store(TWidth.Invoke<DivideOperator>(a0, divisor), ref output, j);
            TWidth.Store(TWidth.Invoke<DivideOperator>(a1, divisor), ref output, j + count);
            TWidth.Store(TWidth.Invoke<DivideOperator>(a2, divisor), ref output, j + 2 * count);
            TWidth.Store(TWidth.Invoke<DivideOperator>(a3, divisor), ref output, j + 3 * count);
        }
        for (; j + count <= width; j += count)
        {
            TWidth.Store(ColumnMean(ref Unsafe.Add(ref rows, j), tokens, width, divisor), ref output, j);
        }
        if (j < width)
        {
            // The last whole vector of columns again; its lanes before j come out with the same bits as before.
            nuint last = width - count;
            TWidth.Store(ColumnMean(ref Unsafe.Add(ref rows, last), tokens, width, divisor), ref output, last);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void L2Normalize(ref float x, nuint length)
    {
        nuint count = (nuint)TWidth.Count;
        nuint last = length - count;
        TVector s0 = TWidth.Zero, s1 = TWidth.Zero;
        nuint i = 0;
        for (; i + 2 * count <= length; i += 2 * count)
        {
            TVector v0 = TWidth.Load(ref x, i), v1 = TWidth.Load(ref x, i + count);
            s0 = TWidth.MultiplyAddEstimate(v0, v0, s0);
            s1 = TWidth.MultiplyAddEstimate(v1, v1, s1);
        }
        if (i + count <= length)
        {
            TVector v = TWidth.Load(ref x, i);
            s0 = TWidth.MultiplyAddEstimate(v, v, s0);
            i += count;
        }
        if (i < length)
        {
            TVector v = TWidth.BitwiseAnd(TWidth.Load(ref x, last), TWidth.LanesFrom((int)(count - (length - i))));
            s1 = TWidth.MultiplyAddEstimate(v, v, s1);
        }

        TVector divisor = TWidth.Create(MathF.Max(MathF.Sqrt(TWidth.Sum(TWidth.Add(s0, s1))), PoolingKernels.L2NormFloor));
        // In place: the overlapping last vector is divided before the loop overwrites its first lanes.
        TVector tail = TWidth.Invoke<DivideOperator>(TWidth.Load(ref x, last), divisor);
        for (i = 0; i + count <= length; i += count)
        {
            TWidth.Store(TWidth.Invoke<DivideOperator>(TWidth.Load(ref x, i), divisor), ref x, i);
        }
        TWidth.Store(tail, ref x, last);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector ColumnMean(ref float column, nuint tokens, nuint width, TVector divisor)
    {
        TVector sum = TWidth.Zero;
        for (nuint t = 0; t < tokens; t++)
        {
            sum = TWidth.Add(sum, TWidth.Load(ref column, t * width));
        }
        return TWidth.Invoke<DivideOperator>(sum, divisor);
    }
}
