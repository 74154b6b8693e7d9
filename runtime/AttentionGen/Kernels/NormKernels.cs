using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace AttentionGen.Kernels;

/// <summary>
/// Row normalizations of transformer blocks over token-major rows <c>[rows, width]</c>: LayerNorm (BERT, GPT-2), the
/// residual add fused into it (post-norm BERT), and RMSNorm (Llama). Each runs the widest accelerated vector width that
/// fits in one row, allocates nothing, and may work in place (output the same memory as the input).
/// </summary>
/// <remarks>
/// <para>
/// LayerNorm reads each row three times rather than once: a mean, then the deviations from it, then the output. A row of
/// a few thousand floats stays in L1 across the passes, so the extra reads cost little, and the centred second pass
/// is what keeps the variance accurate: the one-pass <c>E[x²] − E[x]²</c> cancels catastrophically when the mean is
/// large against the spread, which a float residual stream can be. The second pass also sums the deviations
/// themselves and corrects the mean and variance by them (the corrected two-pass algorithm of Chan, Golub and
/// LeVeque), which removes the rounding of the first mean: a constant row comes out as exactly <c>beta</c> instead of
/// its rounding noise amplified by <c>1/√ε</c>.
/// </para>
/// <para>
/// The variance is the biased one (divided by <c>width</c>), as PyTorch's and ONNX's LayerNorm use. A row holding NaN
/// or ±∞ normalizes to all NaN, as the float64 formula does; other rows are unaffected.
/// </para>
/// </remarks>
[SkipLocalsInit]
public static class NormKernels
{
    /// <summary>
    /// <c>output = (x − mean) / √(variance + epsilon) · gamma + beta</c> per row of <paramref name="width"/> floats, with the
    /// mean and biased variance of that row.
    /// </summary>
    /// <param name="input">The rows, at least <c>rows × width</c> floats.</param>
    /// <param name="gamma">The gain, exactly <paramref name="width"/> floats.</param>
    /// <param name="beta">The bias, exactly <paramref name="width"/> floats.</param>
    /// <param name="output">The normalized rows, at least <c>rows × width</c> floats; may be <paramref name="input"/>
    /// itself, but must not overlap it at an offset.</param>
    /// <param name="rows">How many rows to normalize (0 does nothing).</param>
    /// <param name="width">The row length, at least 1.</param>
    /// <param name="epsilon">Added to the variance; finite and at least 0 (BERT uses 1e-12, which float holds).</param>
    /// <exception cref="ArgumentOutOfRangeException">A count or <paramref name="epsilon"/> is out of range.</exception>
    /// <exception cref="ArgumentException">A span is too short or of the wrong length, or the output overlaps the input at an offset.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void LayerNorm(
        ReadOnlySpan<float> input, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> output, int rows, int width, float epsilon)
    {
        CheckRows(input, output, rows, width, epsilon, nameof(input));
        KernelChecks.Length(gamma, width, nameof(gamma), "one gain per column");
        KernelChecks.Length(beta, width, nameof(beta), "one bias per column");

        ref float x = ref MemoryMarshal.GetReference(input);
        ref float g = ref MemoryMarshal.GetReference(gamma);
        ref float b = ref MemoryMarshal.GetReference(beta);
        ref float y = ref MemoryMarshal.GetReference(output);
        nuint n = (nuint)width;
        if (Vector512.IsHardwareAccelerated && width >= Vector512<float>.Count)
        {
            NormLoops<Vector512Width, Vector512<float>>.LayerNormRows(ref x, ref g, ref b, ref y, (nuint)rows, n, epsilon);
        }
        else if (Vector256.IsHardwareAccelerated && width >= Vector256<float>.Count)
        {
            NormLoops<Vector256Width, Vector256<float>>.LayerNormRows(ref x, ref g, ref b, ref y, (nuint)rows, n, epsilon);
        }
        else if (Vector128.IsHardwareAccelerated && width >= Vector128<float>.Count)
        {
            NormLoops<Vector128Width, Vector128<float>>.LayerNormRows(ref x, ref g, ref b, ref y, (nuint)rows, n, epsilon);
        }
        else
        {
            NormLoopsScalar.LayerNormRows(ref x, ref g, ref b, ref y, (nuint)rows, n, epsilon);
        }
    }

    /// <summary>
    /// <see cref="LayerNorm"/> of <c>residual + input</c>: the post-norm sublayer end of BERT, <c>LayerNorm(x + Sublayer(x))</c>,
    /// in one call that writes the sum to <paramref name="output"/> and normalizes it there.
    /// </summary>
    /// <param name="residual">The block's input rows (the skip connection), at least <c>rows × width</c> floats.</param>
    /// <param name="input">The sublayer's output rows, at least <c>rows × width</c> floats.</param>
    /// <param name="gamma">The gain, exactly <paramref name="width"/> floats.</param>
    /// <param name="beta">The bias, exactly <paramref name="width"/> floats.</param>
    /// <param name="output">The normalized rows, at least <c>rows × width</c> floats; may be <paramref name="residual"/> or
    /// <paramref name="input"/> itself, but must not overlap either at an offset.</param>
    /// <param name="rows">How many rows (0 does nothing).</param>
    /// <param name="width">The row length, at least 1.</param>
    /// <param name="epsilon">Added to the variance; finite and at least 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A count or <paramref name="epsilon"/> is out of range.</exception>
    /// <exception cref="ArgumentException">A span is too short or of the wrong length, or the output overlaps an input at an offset.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddLayerNorm(
        ReadOnlySpan<float> residual, ReadOnlySpan<float> input, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> output,
        int rows, int width, float epsilon)
    {
        CheckRows(input, output, rows, width, epsilon, nameof(input));
        Guard.HasRows(residual, rows, width, nameof(residual));
        KernelChecks.SameOrSeparate(output, residual, nameof(output), nameof(residual));
        KernelChecks.Length(gamma, width, nameof(gamma), "one gain per column");
        KernelChecks.Length(beta, width, nameof(beta), "one bias per column");

        ref float r = ref MemoryMarshal.GetReference(residual);
        ref float x = ref MemoryMarshal.GetReference(input);
        ref float g = ref MemoryMarshal.GetReference(gamma);
        ref float b = ref MemoryMarshal.GetReference(beta);
        ref float y = ref MemoryMarshal.GetReference(output);
        nuint n = (nuint)width;
        if (Vector512.IsHardwareAccelerated && width >= Vector512<float>.Count)
        {
            NormLoops<Vector512Width, Vector512<float>>.AddLayerNormRows(ref r, ref x, ref g, ref b, ref y, (nuint)rows, n, epsilon);
        }
        else if (Vector256.IsHardwareAccelerated && width >= Vector256<float>.Count)
        {
            NormLoops<Vector256Width, Vector256<float>>.AddLayerNormRows(ref r, ref x, ref g, ref b, ref y, (nuint)rows, n, epsilon);
        }
        else if (Vector128.IsHardwareAccelerated && width >= Vector128<float>.Count)
        {
            NormLoops<Vector128Width, Vector128<float>>.AddLayerNormRows(ref r, ref x, ref g, ref b, ref y, (nuint)rows, n, epsilon);
        }
        else
        {
            NormLoopsScalar.AddLayerNormRows(ref r, ref x, ref g, ref b, ref y, (nuint)rows, n, epsilon);
        }
    }

    /// <summary>
    /// RMSNorm (Llama): <c>output = x / √(mean(x²) + epsilon) · gamma</c> per row of <paramref name="width"/> floats.
    /// </summary>
    /// <remarks>
    /// The squares are summed in float, so a row with an element beyond about 1.8e19 in magnitude overflows to a zero row
    /// (activations are nowhere near that).
    /// </remarks>
    /// <param name="input">The rows, at least <c>rows × width</c> floats.</param>
    /// <param name="gamma">The gain, exactly <paramref name="width"/> floats.</param>
    /// <param name="output">The normalized rows, at least <c>rows × width</c> floats; may be <paramref name="input"/>
    /// itself, but must not overlap it at an offset.</param>
    /// <param name="rows">How many rows (0 does nothing).</param>
    /// <param name="width">The row length, at least 1.</param>
    /// <param name="epsilon">Added to the mean square; finite and at least 0 (Llama uses 1e-5 or 1e-6).</param>
    /// <exception cref="ArgumentOutOfRangeException">A count or <paramref name="epsilon"/> is out of range.</exception>
    /// <exception cref="ArgumentException">A span is too short or of the wrong length, or the output overlaps the input at an offset.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RmsNorm(ReadOnlySpan<float> input, ReadOnlySpan<float> gamma, Span<float> output, int rows, int width, float epsilon) =>
        RmsNorm(input, gamma, output, rows, width, epsilon, gainOffset: 0f);

    /// <summary>
    /// Gemma's RMSNorm: <c>output = x / √(mean(x²) + epsilon) · (1 + gamma)</c> per row, its stored gain one less than
    /// the factor it applies. Otherwise as <see cref="RmsNorm(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, float)"/>.
    /// </summary>
    /// <param name="input">The rows, at least <c>rows × width</c> floats.</param>
    /// <param name="gamma">The stored gain (the factor minus one), exactly <paramref name="width"/> floats.</param>
    /// <param name="output">The normalized rows; may be <paramref name="input"/> itself, but must not overlap it at an offset.</param>
    /// <param name="rows">How many rows (0 does nothing).</param>
    /// <param name="width">The row length, at least 1.</param>
    /// <param name="epsilon">Added to the mean square; finite and at least 0 (Gemma uses 1e-6).</param>
    /// <exception cref="ArgumentOutOfRangeException">A count or <paramref name="epsilon"/> is out of range.</exception>
    /// <exception cref="ArgumentException">A span is too short or of the wrong length, or the output overlaps the input at an offset.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GemmaRmsNorm(ReadOnlySpan<float> input, ReadOnlySpan<float> gamma, Span<float> output, int rows, int width, float epsilon) =>
        RmsNorm(input, gamma, output, rows, width, epsilon, gainOffset: 1f);

    /// <summary>Both RMSNorms: the factor applied is <c>gainOffset + gamma</c> (adding 0 leaves a gain's bits as they are).</summary>
    private static void RmsNorm(ReadOnlySpan<float> input, ReadOnlySpan<float> gamma, Span<float> output, int rows, int width, float epsilon, float gainOffset)
    {
        CheckRows(input, output, rows, width, epsilon, nameof(input));
        KernelChecks.Length(gamma, width, nameof(gamma), "one gain per column");

        ref float x = ref MemoryMarshal.GetReference(input);
        ref float g = ref MemoryMarshal.GetReference(gamma);
        ref float y = ref MemoryMarshal.GetReference(output);
        nuint n = (nuint)width;
        if (Vector512.IsHardwareAccelerated && width >= Vector512<float>.Count)
        {
            NormLoops<Vector512Width, Vector512<float>>.RmsNormRows(ref x, ref g, ref y, (nuint)rows, n, epsilon, gainOffset);
        }
        else if (Vector256.IsHardwareAccelerated && width >= Vector256<float>.Count)
        {
            NormLoops<Vector256Width, Vector256<float>>.RmsNormRows(ref x, ref g, ref y, (nuint)rows, n, epsilon, gainOffset);
        }
        else if (Vector128.IsHardwareAccelerated && width >= Vector128<float>.Count)
        {
            NormLoops<Vector128Width, Vector128<float>>.RmsNormRows(ref x, ref g, ref y, (nuint)rows, n, epsilon, gainOffset);
        }
        else
        {
            NormLoopsScalar.RmsNormRows(ref x, ref g, ref y, (nuint)rows, n, epsilon, gainOffset);
        }
    }

    private static void CheckRows(ReadOnlySpan<float> input, ReadOnlySpan<float> output, int rows, int width, float epsilon, string inputName)
    {
        KernelChecks.AtLeast(rows, 0, nameof(rows));
        KernelChecks.AtLeast(width, 1, nameof(width));
        KernelChecks.Epsilon(epsilon, nameof(epsilon));
        Guard.HasRows(input, rows, width, inputName);
        Guard.HasRows(output, rows, width, nameof(output));
        KernelChecks.SameOrSeparate(output, input, nameof(output), inputName);
    }
}

/// <summary>
/// The row loops of <see cref="NormKernels"/> at one vector width; every row holds at least one whole vector. A row's
/// last partial vector is handled by an overlapping vector ending at the row's end: masked in the sums, and computed
/// before the loop that writes the row (so an in-place row is read before any of it is overwritten) and stored after it.
/// </summary>
internal static class NormLoops<TWidth, TVector>
    where TWidth : struct, IVectorWidth<TVector>
    where TVector : struct
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void LayerNormRows(ref float input, ref float gamma, ref float beta, ref float output, nuint rows, nuint width, float epsilon)
    {
        for (nuint row = 0; row < rows; row++)
        {
            ref float x = ref Unsafe.Add(ref input, row * width);
            ref float y = ref Unsafe.Add(ref output, row * width);
            Normalize(ref x, ref gamma, ref beta, ref y, width, Sum(ref x, width) / width, epsilon);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddLayerNormRows(
        ref float residual, ref float input, ref float gamma, ref float beta, ref float output, nuint rows, nuint width, float epsilon)
    {
        for (nuint row = 0; row < rows; row++)
        {
            ref float y = ref Unsafe.Add(ref output, row * width);
            float sum = AddAndSum(ref Unsafe.Add(ref residual, row * width), ref Unsafe.Add(ref input, row * width), ref y, width);
            Normalize(ref y, ref gamma, ref beta, ref y, width, sum / width, epsilon);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RmsNormRows(ref float input, ref float gamma, ref float output, nuint rows, nuint width, float epsilon, float gainOffset)
    {
        nuint count = (nuint)TWidth.Count;
        TVector offset = TWidth.Create(gainOffset);
        nuint last = width - count;
        TVector tailLanes = TWidth.LanesFrom((int)(count - width % count));
        for (nuint row = 0; row < rows; row++)
        {
            ref float x = ref Unsafe.Add(ref input, row * width);
            ref float y = ref Unsafe.Add(ref output, row * width);

            TVector s0 = TWidth.Zero, s1 = TWidth.Zero;
            nuint i = 0;
            for (; i + 2 * count <= width; i += 2 * count)
            {
                TVector v0 = TWidth.Load(ref x, i), v1 = TWidth.Load(ref x, i + count);
                s0 = TWidth.MultiplyAddEstimate(v0, v0, s0);
                s1 = TWidth.MultiplyAddEstimate(v1, v1, s1);
            }
            if (i + count <= width)
            {
                TVector v = TWidth.Load(ref x, i);
                s0 = TWidth.MultiplyAddEstimate(v, v, s0);
                i += count;
            }
            if (i < width)
            {
                TVector v = TWidth.BitwiseAnd(TWidth.Load(ref x, last), tailLanes);
                s1 = TWidth.MultiplyAddEstimate(v, v, s1);
            }

            TVector scale = TWidth.Create(1f / MathF.Sqrt(TWidth.Sum(TWidth.Add(s0, s1)) / width + epsilon));
            TVector tail = TWidth.Multiply(TWidth.Multiply(TWidth.Load(ref x, last), scale), TWidth.Add(TWidth.Load(ref gamma, last), offset));
            for (i = 0; i + count <= width; i += count)
            {
                TWidth.Store(TWidth.Multiply(TWidth.Multiply(TWidth.Load(ref x, i), scale), TWidth.Add(TWidth.Load(ref gamma, i), offset)), ref y, i);
            }
            TWidth.Store(tail, ref y, last);
        }
    }

    /// <summary>The sum of a row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Sum(ref float x, nuint width)
    {
        nuint count = (nuint)TWidth.Count;
        TVector s0 = TWidth.Zero, s1 = TWidth.Zero;
        nuint i = 0;
        for (; i + 2 * count <= width; i += 2 * count)
        {
            s0 = TWidth.Add(s0, TWidth.Load(ref x, i));
            s1 = TWidth.Add(s1, TWidth.Load(ref x, i + count));
        }
        if (i + count <= width)
        {
            s0 = TWidth.Add(s0, TWidth.Load(ref x, i));
            i += count;
        }
        if (i < width)
        {
            s1 = TWidth.Add(s1, TWidth.BitwiseAnd(TWidth.Load(ref x, width - count), TWidth.LanesFrom((int)(count - (width - i)))));
        }
        return TWidth.Sum(TWidth.Add(s0, s1));
    }

    /// <summary><c>output = residual + input</c> over a row, returning the row's sum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float AddAndSum(ref float residual, ref float input, ref float output, nuint width)
    {
        nuint count = (nuint)TWidth.Count;
        nuint last = width - count;
        TVector tail = TWidth.Add(TWidth.Load(ref residual, last), TWidth.Load(ref input, last));
        TVector s0 = TWidth.Zero, s1 = TWidth.Zero;
        nuint i = 0;
        for (; i + 2 * count <= width; i += 2 * count)
        {
            TVector v0 = TWidth.Add(TWidth.Load(ref residual, i), TWidth.Load(ref input, i));
            TVector v1 = TWidth.Add(TWidth.Load(ref residual, i + count), TWidth.Load(ref input, i + count));
            TWidth.Store(v0, ref output, i);
            TWidth.Store(v1, ref output, i + count);
            s0 = TWidth.Add(s0, v0);
            s1 = TWidth.Add(s1, v1);
        }
        if (i + count <= width)
        {
            TVector v = TWidth.Add(TWidth.Load(ref residual, i), TWidth.Load(ref input, i));
            TWidth.Store(v, ref output, i);
            s0 = TWidth.Add(s0, v);
            i += count;
        }
        if (i < width)
        {
            s1 = TWidth.Add(s1, TWidth.BitwiseAnd(tail, TWidth.LanesFrom((int)(count - (width - i)))));
        }
        TWidth.Store(tail, ref output, last);
        return TWidth.Sum(TWidth.Add(s0, s1));
    }

    /// <summary>The centred passes of LayerNorm over a row whose first-pass mean is <paramref name="roughMean"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Normalize(ref float x, ref float gamma, ref float beta, ref float y, nuint width, float roughMean, float epsilon)
    {
        nuint count = (nuint)TWidth.Count;
        nuint last = width - count;
        TVector shift = TWidth.Create(-roughMean);
        TVector d0 = TWidth.Zero, d1 = TWidth.Zero, q0 = TWidth.Zero, q1 = TWidth.Zero;
        nuint i = 0;
        for (; i + 2 * count <= width; i += 2 * count)
        {
            TVector e0 = TWidth.Add(TWidth.Load(ref x, i), shift), e1 = TWidth.Add(TWidth.Load(ref x, i + count), shift);
            d0 = TWidth.Add(d0, e0);
            d1 = TWidth.Add(d1, e1);
            q0 = TWidth.MultiplyAddEstimate(e0, e0, q0);
            q1 = TWidth.MultiplyAddEstimate(e1, e1, q1);
        }
        if (i + count <= width)
        {
            TVector e = TWidth.Add(TWidth.Load(ref x, i), shift);
            d0 = TWidth.Add(d0, e);
            q0 = TWidth.MultiplyAddEstimate(e, e, q0);
            i += count;
        }
        if (i < width)
        {
            TVector e = TWidth.BitwiseAnd(TWidth.Add(TWidth.Load(ref x, last), shift), TWidth.LanesFrom((int)(count - (width - i))));
            d1 = TWidth.Add(d1, e);
            q1 = TWidth.MultiplyAddEstimate(e, e, q1);
        }

        float correction = TWidth.Sum(TWidth.Add(d0, d1)) / width;
        float variance = MathF.Max(TWidth.Sum(TWidth.Add(q0, q1)) / width - correction * correction, 0f);
        TVector inverse = TWidth.Create(1f / MathF.Sqrt(variance + epsilon));
        TVector shiftAgain = TWidth.Create(-correction);

        TVector tail = NormalizeVector(ref x, ref gamma, ref beta, last, shift, shiftAgain, inverse);
        for (i = 0; i + count <= width; i += count)
        {
            TWidth.Store(NormalizeVector(ref x, ref gamma, ref beta, i, shift, shiftAgain, inverse), ref y, i);
        }
        TWidth.Store(tail, ref y, last);
    }

    // (x − roughMean) − correction, not x − (roughMean + correction): the corrected mean rounded to a float would carry
    // the rounding of the row's magnitude (3e-5 at 1000) into every deviation; x − roughMean is exact when x is near
    // the mean, and the correction is small.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector NormalizeVector(ref float x, ref float gamma, ref float beta, nuint at, TVector shift, TVector shiftAgain, TVector inverse) =>
        TWidth.MultiplyAddEstimate(
            TWidth.Multiply(TWidth.Add(TWidth.Add(TWidth.Load(ref x, at), shift), shiftAgain), inverse),
            TWidth.Load(ref gamma, at), TWidth.Load(ref beta, at));
}

/// <summary>The loops of <see cref="NormKernels"/> one float at a time: rows narrower than a vector, or no SIMD.</summary>
internal static class NormLoopsScalar
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void LayerNormRows(ref float input, ref float gamma, ref float beta, ref float output, nuint rows, nuint width, float epsilon)
    {
        for (nuint row = 0; row < rows; row++)
        {
            ref float x = ref Unsafe.Add(ref input, row * width);
            float sum = 0f;
            for (nuint i = 0; i < width; i++)
            {
                sum += Unsafe.Add(ref x, i);
            }
            Normalize(ref x, ref gamma, ref beta, ref Unsafe.Add(ref output, row * width), width, sum / width, epsilon);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddLayerNormRows(
        ref float residual, ref float input, ref float gamma, ref float beta, ref float output, nuint rows, nuint width, float epsilon)
    {
        for (nuint row = 0; row < rows; row++)
        {
            nuint offset = row * width;
            ref float y = ref Unsafe.Add(ref output, offset);
            float sum = 0f;
            for (nuint i = 0; i < width; i++)
            {
                float v = Unsafe.Add(ref residual, offset + i) + Unsafe.Add(ref input, offset + i);
                Unsafe.Add(ref y, i) = v;
                sum += v;
            }
            Normalize(ref y, ref gamma, ref beta, ref y, width, sum / width, epsilon);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RmsNormRows(ref float input, ref float gamma, ref float output, nuint rows, nuint width, float epsilon, float gainOffset)
    {
        for (nuint row = 0; row < rows; row++)
        {
            ref float x = ref Unsafe.Add(ref input, row * width);
            ref float y = ref Unsafe.Add(ref output, row * width);
            float squares = 0f;
            for (nuint i = 0; i < width; i++)
            {
                float v = Unsafe.Add(ref x, i);
                squares = float.MultiplyAddEstimate(v, v, squares);
            }
            float scale = 1f / MathF.Sqrt(squares / width + epsilon);
            for (nuint i = 0; i < width; i++)
            {
                Unsafe.Add(ref y, i) = Unsafe.Add(ref x, i) * scale * (gainOffset + Unsafe.Add(ref gamma, i));
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Normalize(ref float x, ref float gamma, ref float beta, ref float y, nuint width, float roughMean, float epsilon)
    {
        float deviations = 0f, squares = 0f;
        for (nuint i = 0; i < width; i++)
        {
            float e = Unsafe.Add(ref x, i) - roughMean;
            deviations += e;
            squares = float.MultiplyAddEstimate(e, e, squares);
        }

        float correction = deviations / width;
        float variance = MathF.Max(squares / width - correction * correction, 0f);
        float inverse = 1f / MathF.Sqrt(variance + epsilon);
        for (nuint i = 0; i < width; i++)
        {
            float deviation = Unsafe.Add(ref x, i) - roughMean - correction;
            Unsafe.Add(ref y, i) = float.MultiplyAddEstimate(deviation * inverse, Unsafe.Add(ref gamma, i), Unsafe.Add(ref beta, i));
        }
    }
}
