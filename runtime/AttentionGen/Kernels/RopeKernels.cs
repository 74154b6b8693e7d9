using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace AttentionGen.Kernels;

/// <summary>
/// Rotary position embedding (RoPE) as Llama and GPT-NeoX apply it ("rotate half"): the tables of cosines and sines
/// per position, and the rotation of Q or K rows in place.
/// </summary>
/// <remarks>
/// Pair <c>i</c> of a head (for <c>i &lt; r/2</c>, with <c>r</c> the rotary width) is <c>(x[i], x[i + r/2])</c>, rotated
/// by the angle <c>p·θ_i</c> of the token's position <c>p</c>. The tables are <c>[positions, r/2]</c> row-major, one row
/// per position, so a decode step at position <c>p</c> reads one row.
/// </remarks>
[SkipLocalsInit]
public static class RopeKernels
{
    /// <summary>
    /// Fills <c>cos[p, i] = cos(p·θ_i)</c> and <c>sin[p, i] = sin(p·θ_i)</c> with <c>θ_i = theta^(−2i/rotaryDim)</c>, for
    /// positions <c>0..positions−1</c> and <c>i &lt; rotaryDim/2</c>, row-major.
    /// </summary>
    /// <remarks>
    /// The frequency and the angle are computed in double and only the cosine and sine rounded to float. Hugging Face
    /// computes the angle <c>p·θ_i</c> in float32, whose rounding grows with the position (at <c>p = 4096</c> an ulp of the
    /// angle is about 2.4e-4 rad, and the table entries are off by as much); rounding only the result keeps every entry
    /// within half an ulp of the true value at any position, which is what a float64 reference expects.
    /// </remarks>
    /// <param name="positions">How many positions (rows) to fill, at least 0.</param>
    /// <param name="rotaryDim">The rotary width r of a head: even and at least 2.</param>
    /// <param name="theta">The base, finite and greater than 0 (Llama uses 10000, Llama 3 500000).</param>
    /// <param name="cos">At least <c>positions × rotaryDim/2</c> floats; only those are written.</param>
    /// <param name="sin">At least <c>positions × rotaryDim/2</c> floats; only those are written.</param>
    /// <exception cref="ArgumentOutOfRangeException">A count or <paramref name="theta"/> is out of range.</exception>
    /// <exception cref="ArgumentException">A table is too short.</exception>
    public static void CreateTables(int positions, int rotaryDim, double theta, Span<float> cos, Span<float> sin) =>
        CreateTables(positions, rotaryDim, theta, null, null, cos, sin);

    /// <summary>
    /// As <see cref="CreateTables(int, int, double, Span{float}, Span{float})"/>, with each frequency <c>θ_i</c> scaled as
    /// Llama 3.1's long-context models scale it (see <see cref="Llama3RopeScaling"/>), in double before the angles.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A count, <paramref name="theta"/> or a field of <paramref name="scaling"/> is out of range.</exception>
    /// <exception cref="ArgumentException">A table is too short.</exception>
    public static void CreateTables(int positions, int rotaryDim, double theta, Llama3RopeScaling scaling, Span<float> cos, Span<float> sin) =>
        CreateTables(positions, rotaryDim, theta, (Llama3RopeScaling?)scaling, null, cos, sin);

    /// <summary>
    /// As <see cref="CreateTables(int, int, double, Span{float}, Span{float})"/>, with every frequency <c>θ_i</c> divided by
    /// the linear scaling's factor (see <see cref="LinearRopeScaling"/>), in double before the angles.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A count, <paramref name="theta"/> or the factor is out of range.</exception>
    /// <exception cref="ArgumentException">A table is too short.</exception>
    public static void CreateTables(int positions, int rotaryDim, double theta, LinearRopeScaling scaling, Span<float> cos, Span<float> sin) =>
        CreateTables(positions, rotaryDim, theta, null, scaling, cos, sin);

    private static void CreateTables(int positions, int rotaryDim, double theta, Llama3RopeScaling? llama3, LinearRopeScaling? linear, Span<float> cos, Span<float> sin)
    {
        llama3?.Check("scaling");
        linear?.Check("scaling");
        KernelChecks.AtLeast(positions, 0, nameof(positions));
        CheckRotaryDim(rotaryDim);
        if (!(theta > 0) || double.IsPositiveInfinity(theta))
        {
            throw new ArgumentOutOfRangeException(nameof(theta), theta, $"{nameof(theta)} must be finite and greater than 0, but it is {theta}.");
        }

        int half = rotaryDim / 2;
        Guard.HasRows(cos, positions, half, nameof(cos));
        Guard.HasRows(sin, positions, half, nameof(sin));

        for (int i = 0; i < half; i++)
        {
            double frequency = Math.Pow(theta, -2.0 * i / rotaryDim);
            if (llama3 is { } llama3Scaling)
            {
                frequency = llama3Scaling.Scale(frequency);
            }

            if (linear is { } linearScaling)
            {
                frequency = linearScaling.Scale(frequency);
            }

            for (int p = 0; p < positions; p++)
            {
                var (s, c) = Math.SinCos(p * frequency);
                cos[p * half + i] = (float)c;
                sin[p * half + i] = (float)s;
            }
        }
    }

    /// <summary>
    /// Rotates the first <paramref name="rotaryDim"/> floats of every head of every token in place ("rotate half"):
    /// <c>x'[i] = x[i]·cos − x[i + r/2]·sin</c> and <c>x'[i + r/2] = x[i + r/2]·cos + x[i]·sin</c> for <c>i &lt; r/2</c>, with
    /// the cosine and sine of the token's position. The rest of each head is left as it is.
    /// </summary>
    /// <param name="rows">The tokens' rows, <c>[tokens, rowWidth]</c>, at least <c>tokens × rowWidth</c> floats, heads side
    /// by side from column 0 (Q rows, or the narrower K rows of grouped-query attention).</param>
    /// <param name="tokens">How many rows to rotate (0 does nothing).</param>
    /// <param name="rowWidth">The stride between rows, at least <c>heads × headDim</c>.</param>
    /// <param name="heads">Heads per row, at least 1.</param>
    /// <param name="headDim">Floats per head, at least <paramref name="rotaryDim"/>.</param>
    /// <param name="rotaryDim">How many leading floats of a head rotate: even, at least 2, at most <paramref name="headDim"/>
    /// (less for partial rotary, as in GPT-NeoX and Phi).</param>
    /// <param name="cos">The cosine table from <see cref="CreateTables(int, int, double, Span{float}, Span{float})"/> for this <paramref name="rotaryDim"/>, holding at
    /// least the rows of positions up to <c>firstPosition + tokens − 1</c>.</param>
    /// <param name="sin">The sine table, likewise.</param>
    /// <param name="firstPosition">The position of the first token, at least 0; token <c>t</c> is at <c>firstPosition + t</c>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A count or the position is out of range.</exception>
    /// <exception cref="ArgumentException">A span is too short.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RotateHalf(
        Span<float> rows, int tokens, int rowWidth, int heads, int headDim, int rotaryDim,
        ReadOnlySpan<float> cos, ReadOnlySpan<float> sin, int firstPosition)
    {
        KernelChecks.AtLeast(tokens, 0, nameof(tokens));
        KernelChecks.AtLeast(heads, 1, nameof(heads));
        CheckRotaryDim(rotaryDim);
        KernelChecks.AtLeast(headDim, rotaryDim, nameof(headDim));
        if ((long)heads * headDim > rowWidth)
        {
            throw new ArgumentOutOfRangeException(nameof(rowWidth), rowWidth,
                $"{nameof(rowWidth)} must be at least {nameof(heads)} × {nameof(headDim)} = {(long)heads * headDim}, but it is {rowWidth}.");
        }
        KernelChecks.AtLeast(firstPosition, 0, nameof(firstPosition));
        Guard.HasRows(rows, tokens, rowWidth, nameof(rows));
        int half = rotaryDim / 2;
        long positionsNeeded = (long)firstPosition + tokens;
        if (positionsNeeded > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(firstPosition), firstPosition,
                $"{nameof(firstPosition)} + {nameof(tokens)} = {positionsNeeded} is past the largest position an int holds.");
        }
        Guard.HasRows(cos, (int)positionsNeeded, half, nameof(cos));
        Guard.HasRows(sin, (int)positionsNeeded, half, nameof(sin));

        // Running references rather than offsets from the starts: fewer live values, so the scalar path keeps them all
        // in registers.
        nuint width = (nuint)rowWidth, n = (nuint)half, stride = (nuint)headDim, headCount = (nuint)heads;
        ref float row = ref MemoryMarshal.GetReference(rows);
        ref float cosines = ref Unsafe.Add(ref MemoryMarshal.GetReference(cos), (nuint)firstPosition * n);
        ref float sines = ref Unsafe.Add(ref MemoryMarshal.GetReference(sin), (nuint)firstPosition * n);
        for (int t = 0; t < tokens; t++)
        {
            RotateToken(ref row, headCount, stride, n, ref cosines, ref sines);
            row = ref Unsafe.Add(ref row, width);
            cosines = ref Unsafe.Add(ref cosines, n);
            sines = ref Unsafe.Add(ref sines, n);
        }
    }

    /// <summary>
    /// One token's heads, pair index <c>i</c> in whole vectors of the widest width that fits what is left of <c>r/2</c>,
    /// then narrower ones, then one at a time, so any <c>r/2</c> is covered exactly once without masks.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RotateToken(ref float row, nuint heads, nuint headDim, nuint half, ref float cos, ref float sin)
    {
        nuint i = 0;
        if (Vector512.IsHardwareAccelerated && half >= (nuint)Vector512<float>.Count)
        {
            RopeLoops<Vector512Width, Vector512<float>>.RotateHalf(ref row, heads, headDim, half, ref cos, ref sin, ref i);
        }
        if (Vector256.IsHardwareAccelerated && half - i >= (nuint)Vector256<float>.Count)
        {
            RopeLoops<Vector256Width, Vector256<float>>.RotateHalf(ref row, heads, headDim, half, ref cos, ref sin, ref i);
        }
        if (Vector128.IsHardwareAccelerated && half - i >= (nuint)Vector128<float>.Count)
        {
            RopeLoops<Vector128Width, Vector128<float>>.RotateHalf(ref row, heads, headDim, half, ref cos, ref sin, ref i);
        }
        for (; i < half; i++)
        {
            float c = Unsafe.Add(ref cos, i), s = Unsafe.Add(ref sin, i), negativeSine = -s;
            ref float low = ref Unsafe.Add(ref row, i);
            for (nuint h = 0; h < heads; h++)
            {
                ref float x = ref Unsafe.Add(ref low, h * headDim);
                ref float y = ref Unsafe.Add(ref x, half);
                float first = x, second = y;
                x = float.MultiplyAddEstimate(second, negativeSine, first * c);
                y = float.MultiplyAddEstimate(first, s, second * c);
            }
        }
    }

    private static void CheckRotaryDim(int rotaryDim)
    {
        if (rotaryDim < 2 || rotaryDim % 2 != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(rotaryDim), rotaryDim,
                $"{nameof(rotaryDim)} must be even and at least 2 (it pairs x[i] with x[i + rotaryDim/2]), but it is {rotaryDim}.");
        }
    }
}

/// <summary>
/// The rotation at one vector width. The pair index runs outside and the heads inside, so each cosine and sine vector is
/// loaded once per token and serves every head (a Q row has up to dozens).
/// </summary>
internal static class RopeLoops<TWidth, TVector>
    where TWidth : struct, IVectorWidth<TVector>
    where TVector : struct
{
    /// <summary>Whole vectors of pairs from <paramref name="i"/> while they fit in <paramref name="half"/>; leaves <paramref name="i"/> at the first pair not rotated.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void RotateHalf(ref float row, nuint heads, nuint headDim, nuint half, ref float cos, ref float sin, ref nuint i)
    {
        nuint count = (nuint)TWidth.Count;
        // Negated once per vector, exactly, so each output is one multiply and one multiply-add (no subtract in the width abstraction).
        TVector minusOne = TWidth.Create(-1f);
        for (; i + count <= half; i += count)
        {
            TVector c = TWidth.Load(ref cos, i), s = TWidth.Load(ref sin, i);
            TVector negativeSine = TWidth.Multiply(s, minusOne);
            ref float low = ref Unsafe.Add(ref row, i);
            for (nuint h = 0; h < heads; h++)
            {
                ref float x = ref Unsafe.Add(ref low, h * headDim);
                TVector first = TWidth.Load(ref x, 0), second = TWidth.Load(ref x, half);
                TWidth.Store(TWidth.MultiplyAddEstimate(second, negativeSine, TWidth.Multiply(first, c)), ref x, 0);
                TWidth.Store(TWidth.MultiplyAddEstimate(first, s, TWidth.Multiply(second, c)), ref x, half);
            }
        }
    }
}
