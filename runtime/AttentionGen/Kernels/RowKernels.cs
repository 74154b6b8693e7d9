using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace AttentionGen.Kernels;

/// <summary>Dot products of one row with many, and weighted sums of many rows, for one compile-time row shape.</summary>
/// <remarks>
/// <para>
/// Each vector width has its own path, guarded by <c>IsHardwareAccelerated</c> and by the row being at least one vector
/// wide; the JIT keeps only the machine's widest such path. The paths share one generic body per kernel, over
/// <see cref="IVectorWidth{TVector}"/>; what differs by width is only how many keys a block of dot products takes (one
/// per lane, so the block's sums fold into one vector) and which narrower chunks a row's tail has. Rows up to <see cref="MaxCascadedWidth"/> floats are
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
                DotBlocks<Vector512Width, Vector512<float>>(ref x, ref rows, count, scale, ref scores);
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
                DotBlocks<Vector256Width, Vector256<float>>(ref x, ref rows, count, scale, ref scores);
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
                DotBlocks<Vector128Width, Vector128<float>>(ref x, ref rows, count, scale, ref scores);
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

    /// <summary>
    /// A block of keys, one per lane, one accumulator each, folded together at the end so the block's scores fill one
    /// vector; the last block slides back to end on the last key. The block is as wide as the vector because the fold
    /// yields one vector of sums: 16 accumulators on AVX-512 (of its 32 registers), 8 and 4 on the 16-register widths.
    /// </summary>
    [MethodImpl(Kernel)]
    private static void DotBlocks<TWidth, TVector>(ref float x, ref float rows, int count, float scale, ref float scores)
        where TWidth : struct, IVectorWidth<TVector>
        where TVector : struct
    {
        int width = TRow.Width;
        nuint stride = (nuint)TRow.RowStride;
        for (int first = 0; first < count; first += TWidth.Count)
        {
            int j = Math.Min(first, count - TWidth.Count);
            ref float block = ref Unsafe.Add(ref rows, (nint)j * (nint)stride);
            TVector s0 = TWidth.Zero, s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
            TVector s8 = s0, s9 = s0, s10 = s0, s11 = s0, s12 = s0, s13 = s0, s14 = s0, s15 = s0;
            for (nuint d = 0; d < (nuint)width; d += (nuint)TWidth.Count)
            {
                var q = TWidth.Load(ref x, d);
                ref float column = ref Unsafe.Add(ref block, d);
                s0 = TWidth.MultiplyAddEstimate(q, TWidth.Load(ref column, 0), s0);
                s1 = TWidth.MultiplyAddEstimate(q, TWidth.Load(ref column, stride), s1);
                s2 = TWidth.MultiplyAddEstimate(q, TWidth.Load(ref column, 2 * stride), s2);
                s3 = TWidth.MultiplyAddEstimate(q, TWidth.Load(ref column, 3 * stride), s3);
                if (TWidth.Count >= 8)
                {
                    s4 = TWidth.MultiplyAddEstimate(q, TWidth.Load(ref column, 4 * stride), s4);
                    s5 = TWidth.MultiplyAddEstimate(q, TWidth.Load(ref column, 5 * stride), s5);
                    s6 = TWidth.MultiplyAddEstimate(q, TWidth.Load(ref column, 6 * stride), s6);
                    s7 = TWidth.MultiplyAddEstimate(q, TWidth.Load(ref column, 7 * stride), s7);
                }

                if (TWidth.Count >= 16)
                {
                    s8 = TWidth.MultiplyAddEstimate(q, TWidth.Load(ref column, 8 * stride), s8);
                    s9 = TWidth.MultiplyAddEstimate(q, TWidth.Load(ref column, 9 * stride), s9);
                    s10 = TWidth.MultiplyAddEstimate(q, TWidth.Load(ref column, 10 * stride), s10);
                    s11 = TWidth.MultiplyAddEstimate(q, TWidth.Load(ref column, 11 * stride), s11);
                    s12 = TWidth.MultiplyAddEstimate(q, TWidth.Load(ref column, 12 * stride), s12);
                    s13 = TWidth.MultiplyAddEstimate(q, TWidth.Load(ref column, 13 * stride), s13);
                    s14 = TWidth.MultiplyAddEstimate(q, TWidth.Load(ref column, 14 * stride), s14);
                    s15 = TWidth.MultiplyAddEstimate(q, TWidth.Load(ref column, 15 * stride), s15);
                }
            }

            // Element k of sums is the dot product of x with key j + k.
            var sums = TWidth.SumsAcrossBlocks(
                TWidth.SumsOfFour(s0, s1, s2, s3),
                TWidth.Count >= 8 ? TWidth.SumsOfFour(s4, s5, s6, s7) : TWidth.Zero,
                TWidth.Count >= 16 ? TWidth.SumsOfFour(s8, s9, s10, s11) : TWidth.Zero,
                TWidth.Count >= 16 ? TWidth.SumsOfFour(s12, s13, s14, s15) : TWidth.Zero);
            TWidth.Store(TWidth.Multiply(sums, TWidth.Create(scale)), ref scores, (nuint)j);
        }
    }

    // The per-width entry points below hold no code of their own: they give each width's compiled kernel its own name,
    // which DOTNET_JitDisasm and the JIT disassembly test select listings by. The kernels' bodies read the lane count as
    // TWidth.Count wherever they use it, never through a local: a local holding it kept the JIT from folding a loop's
    // entry test and cost an instruction per key in the listings.

    /// <inheritdoc cref="DotRows{TWidth, TVector}"/>
    [MethodImpl(Kernel)]
    private static void DotRows512(ref float x, ref float rows, int count, float scale, ref float scores) =>
        DotRows<Vector512Width, Vector512<float>>(ref x, ref rows, count, scale, ref scores);

    /// <inheritdoc cref="DotRows{TWidth, TVector}"/>
    [MethodImpl(Kernel)]
    private static void DotRows256(ref float x, ref float rows, int count, float scale, ref float scores) =>
        DotRows<Vector256Width, Vector256<float>>(ref x, ref rows, count, scale, ref scores);

    /// <inheritdoc cref="DotRows{TWidth, TVector}"/>
    [MethodImpl(Kernel)]
    private static void DotRows128(ref float x, ref float rows, int count, float scale, ref float scores) =>
        DotRows<Vector128Width, Vector128<float>>(ref x, ref rows, count, scale, ref scores);

    /// <summary>
    /// The weighted sum on Vector512: passes over the rows with <see cref="OutputVectorsAtOnce"/> output vectors in
    /// registers, then a last pass with the rest, which also carries the row's narrower chunks and (up to 256 floats) its
    /// scalars.
    /// </summary>
    /// <remarks>
    /// The three widths' roots stay written out, each a few lines around the shared passes, because the passes only
    /// inline into a root whose own code is large enough: the JIT's inlining budget is a multiple of the root's size, and
    /// the same lines as a generic body forwarded from a one-line root left the passes as calls (seen in the listings).
    /// </remarks>
    [MethodImpl(Kernel)]
    private static void WeightedSum512(ref float weights, ref float rows, int count, ref float output, bool accumulate)
    {
        for (nuint column = 0; column < (nuint)LastPass<Vector512Width, Vector512<float>>.Column; column += OutputVectorsAtOnce * 16)
        {
            WeighColumns<Vector512Width, Vector512<float>, Count8>(ref weights, ref rows, count, ref output, column, accumulate, withTail: false);
        }

        WeighColumns<Vector512Width, Vector512<float>, LastPass<Vector512Width, Vector512<float>>>(
            ref weights, ref rows, count, ref output, (nuint)LastPass<Vector512Width, Vector512<float>>.Column, accumulate, withTail: true);
        if (!Cascaded)
        {
            WeighScalarColumns(ref weights, ref rows, count, ref output, TRow.Width / 16 * 16, accumulate);
        }
    }

    /// <inheritdoc cref="WeightedSum512"/>
    [MethodImpl(Kernel)]
    private static void WeightedSum256(ref float weights, ref float rows, int count, ref float output, bool accumulate)
    {
        for (nuint column = 0; column < (nuint)LastPass<Vector256Width, Vector256<float>>.Column; column += OutputVectorsAtOnce * 8)
        {
            WeighColumns<Vector256Width, Vector256<float>, Count8>(ref weights, ref rows, count, ref output, column, accumulate, withTail: false);
        }

        WeighColumns<Vector256Width, Vector256<float>, LastPass<Vector256Width, Vector256<float>>>(
            ref weights, ref rows, count, ref output, (nuint)LastPass<Vector256Width, Vector256<float>>.Column, accumulate, withTail: true);
        if (!Cascaded)
        {
            WeighScalarColumns(ref weights, ref rows, count, ref output, TRow.Width / 8 * 8, accumulate);
        }
    }

    /// <inheritdoc cref="WeightedSum512"/>
    [MethodImpl(Kernel)]
    private static void WeightedSum128(ref float weights, ref float rows, int count, ref float output, bool accumulate)
    {
        for (nuint column = 0; column < (nuint)LastPass<Vector128Width, Vector128<float>>.Column; column += OutputVectorsAtOnce * 4)
        {
            WeighColumns<Vector128Width, Vector128<float>, Count8>(ref weights, ref rows, count, ref output, column, accumulate, withTail: false);
        }

        WeighColumns<Vector128Width, Vector128<float>, LastPass<Vector128Width, Vector128<float>>>(
            ref weights, ref rows, count, ref output, (nuint)LastPass<Vector128Width, Vector128<float>>.Column, accumulate, withTail: true);
        if (!Cascaded)
        {
            WeighScalarColumns(ref weights, ref rows, count, ref output, TRow.Width / 4 * 4, accumulate);
        }
    }

    /// <summary>
    /// One key at a time. Up to 256 floats, the row's vectors alternate between two accumulators so consecutive FMAs
    /// don't wait on each other, then come the narrower chunks and the scalars; wider rows take one accumulator. The
    /// first vectors of x and its narrower chunks are loaded once, before the keys: the JIT cannot hoist them itself,
    /// since for all it knows the scores written alias x.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void DotRows<TWidth, TVector>(ref float x, ref float rows, int count, float scale, ref float scores)
        where TWidth : struct, IVectorWidth<TVector>
        where TVector : struct
    {
        int width = TRow.Width;
        nint stride = TRow.RowStride;
        int vectors = width / TWidth.Count;
        int wholeVectors = vectors * TWidth.Count;

        // The cascade's narrower chunks: a Vector256 only after Vector512s, a Vector128 only after a wider width.
        bool has8 = width % TWidth.Count >= 8;
        bool has4 = TWidth.Count >= 8 && width % 8 >= 4;
        var x0 = TWidth.Load(ref x, 0);
        var x1 = vectors >= 2 ? TWidth.Load(ref x, (nuint)TWidth.Count) : default;
        var x2 = vectors >= 3 ? TWidth.Load(ref x, (nuint)(2 * TWidth.Count)) : default;
        var x3 = vectors >= 4 ? TWidth.Load(ref x, (nuint)(3 * TWidth.Count)) : default;
        var x8 = has8 ? Vector256.LoadUnsafe(ref x, (nuint)wholeVectors) : default;
        var x4 = has4 ? Vector128.LoadUnsafe(ref x, (nuint)(width / 4 * 4 - 4)) : default;
        nint rowCount = count;
        ref float row = ref rows;
        for (nint j = 0; j < rowCount; j++, row = ref Unsafe.Add(ref row, stride))
        {
            float total;
            if (Cascaded)
            {
                var sumA = TWidth.Multiply(x0, TWidth.Load(ref row, 0));
                var sumB = vectors >= 2 ? TWidth.Multiply(x1, TWidth.Load(ref row, (nuint)TWidth.Count)) : default;
                if (vectors >= 3) sumA = TWidth.MultiplyAddEstimate(x2, TWidth.Load(ref row, (nuint)(2 * TWidth.Count)), sumA);
                if (vectors >= 4) sumB = TWidth.MultiplyAddEstimate(x3, TWidth.Load(ref row, (nuint)(3 * TWidth.Count)), sumB);
                if (vectors > 4)
                {
                    for (nuint d = (nuint)(4 * TWidth.Count); d + (nuint)(2 * TWidth.Count) <= (nuint)wholeVectors; d += (nuint)(2 * TWidth.Count))
                    {
                        sumA = TWidth.MultiplyAddEstimate(TWidth.Load(ref x, d), TWidth.Load(ref row, d), sumA);
                        sumB = TWidth.MultiplyAddEstimate(TWidth.Load(ref x, d + (nuint)TWidth.Count), TWidth.Load(ref row, d + (nuint)TWidth.Count), sumB);
                    }

                    if (vectors % 2 == 1)
                    {
                        nuint last = (nuint)(wholeVectors - TWidth.Count);
                        sumA = TWidth.MultiplyAddEstimate(TWidth.Load(ref x, last), TWidth.Load(ref row, last), sumA);
                    }
                }

                total = TWidth.PairwiseSum(vectors >= 2 ? TWidth.Add(sumA, sumB) : sumA);
                if (has8)
                {
                    total += HorizontalSum.Of(x8 * Vector256.LoadUnsafe(ref row, (nuint)wholeVectors));
                }

                if (has4)
                {
                    total += HorizontalSum.Of(x4 * Vector128.LoadUnsafe(ref row, (nuint)(width / 4 * 4 - 4)));
                }

                total = WithScalarTail(total, ref x, ref row, width / 4 * 4);
            }
            else
            {
                var sum = TWidth.Zero;
                for (nuint d = 0; d < (nuint)wholeVectors; d += (nuint)TWidth.Count)
                {
                    sum = TWidth.MultiplyAddEstimate(TWidth.Load(ref x, d), TWidth.Load(ref row, d), sum);
                }

                total = WithScalarTail(TWidth.PairwiseSum(sum), ref x, ref row, wholeVectors);
            }

            Unsafe.Add(ref scores, j) = scale * total;
        }
    }

    /// <summary>
    /// The weighted sum's last pass over the rows: the row's whole vectors past the full passes of
    /// <see cref="OutputVectorsAtOnce"/>, 1 to 8 of them, from <see cref="Column"/> on.
    /// </summary>
    private struct LastPass<TWidth, TVector> : IStaticCount
        where TWidth : struct, IVectorWidth<TVector>
        where TVector : struct
    {
        public static int Value
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            get => ((TRow.Width / TWidth.Count * TWidth.Count - 1) % (OutputVectorsAtOnce * TWidth.Count) + 1) / TWidth.Count;
        }

        public static int Column
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            get => TRow.Width / TWidth.Count * TWidth.Count - Value * TWidth.Count;
        }
    }

    /// <summary>
    /// <typeparamref name="TVectors"/> vector columns of the output from <paramref name="column"/>, one accumulator each,
    /// in registers while every row streams past; <paramref name="withTail"/> (a constant at each call) adds the row's
    /// narrower chunks and, up to 256 floats, its last scalars.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WeighColumns<TWidth, TVector, TVectors>(ref float weights, ref float rows, int count, ref float output, nuint column, bool accumulate, bool withTail)
        where TWidth : struct, IVectorWidth<TVector>
        where TVector : struct
        where TVectors : struct, IStaticCount
    {
        // No local for the lane count: this inlinee sits at the JIT's limit of 32 locals, past which it is not inlined.
        int vectors = TVectors.Value;
        int width = TRow.Width;
        nint stride = TRow.RowStride;
        bool tail = withTail && Cascaded;
        int vectorPart = width / TWidth.Count * TWidth.Count;
        int scalars = tail ? width % 4 : 0;
        int scalarStart = width / 4 * 4;

        // The cascade's narrower chunks: a Vector256 only after Vector512s, a Vector128 only after a wider width.
        bool has8 = tail && width % TWidth.Count >= 8;
        bool has4 = tail && TWidth.Count >= 8 && width % 8 >= 4;
        nuint at4 = (nuint)(scalarStart - 4);
        ref float outputs = ref Unsafe.Add(ref output, column);
        var o0 = accumulate ? TWidth.Load(ref outputs, 0) : TWidth.Zero;
        var o1 = accumulate && vectors >= 2 ? TWidth.Load(ref outputs, (nuint)TWidth.Count) : TWidth.Zero;
        var o2 = accumulate && vectors >= 3 ? TWidth.Load(ref outputs, (nuint)(2 * TWidth.Count)) : TWidth.Zero;
        var o3 = accumulate && vectors >= 4 ? TWidth.Load(ref outputs, (nuint)(3 * TWidth.Count)) : TWidth.Zero;
        var o4 = accumulate && vectors >= 5 ? TWidth.Load(ref outputs, (nuint)(4 * TWidth.Count)) : TWidth.Zero;
        var o5 = accumulate && vectors >= 6 ? TWidth.Load(ref outputs, (nuint)(5 * TWidth.Count)) : TWidth.Zero;
        var o6 = accumulate && vectors >= 7 ? TWidth.Load(ref outputs, (nuint)(6 * TWidth.Count)) : TWidth.Zero;
        var o7 = accumulate && vectors >= 8 ? TWidth.Load(ref outputs, (nuint)(7 * TWidth.Count)) : TWidth.Zero;
        var narrow8 = accumulate && has8 ? Vector256.LoadUnsafe(ref output, (nuint)vectorPart) : Vector256<float>.Zero;
        var narrow4 = accumulate && has4 ? Vector128.LoadUnsafe(ref output, at4) : Vector128<float>.Zero;
        float t0 = accumulate && scalars >= 1 ? Unsafe.Add(ref output, scalarStart) : 0;
        float t1 = accumulate && scalars >= 2 ? Unsafe.Add(ref output, scalarStart + 1) : 0;
        float t2 = accumulate && scalars >= 3 ? Unsafe.Add(ref output, scalarStart + 2) : 0;
        // A native-int index against a native-int count, and the row advanced by the stride: no sign extension or
        // multiply per row, and the weight broadcast straight from memory (a register broadcast is a shuffle).
        nint rowCount = count;
        ref float row = ref Unsafe.Add(ref rows, column);
        for (nint j = 0; j < rowCount; j++, row = ref Unsafe.Add(ref row, stride))
        {
            var weight = TWidth.Create(Unsafe.Add(ref weights, j));
            o0 = TWidth.MultiplyAddEstimate(weight, TWidth.Load(ref row, 0), o0);
            if (vectors >= 2) o1 = TWidth.MultiplyAddEstimate(weight, TWidth.Load(ref row, (nuint)TWidth.Count), o1);
            if (vectors >= 3) o2 = TWidth.MultiplyAddEstimate(weight, TWidth.Load(ref row, (nuint)(2 * TWidth.Count)), o2);
            if (vectors >= 4) o3 = TWidth.MultiplyAddEstimate(weight, TWidth.Load(ref row, (nuint)(3 * TWidth.Count)), o3);
            if (vectors >= 5) o4 = TWidth.MultiplyAddEstimate(weight, TWidth.Load(ref row, (nuint)(4 * TWidth.Count)), o4);
            if (vectors >= 6) o5 = TWidth.MultiplyAddEstimate(weight, TWidth.Load(ref row, (nuint)(5 * TWidth.Count)), o5);
            if (vectors >= 7) o6 = TWidth.MultiplyAddEstimate(weight, TWidth.Load(ref row, (nuint)(6 * TWidth.Count)), o6);
            if (vectors >= 8) o7 = TWidth.MultiplyAddEstimate(weight, TWidth.Load(ref row, (nuint)(7 * TWidth.Count)), o7);
            if (has8 || has4 || scalars > 0)
            {
                // Offsets from this pass's first column, which the tail lies past: constants at the one call with a tail.
                float p = Unsafe.Add(ref weights, j);
                if (has8) narrow8 = Vector256.MultiplyAddEstimate(Vector256.Create(p), Vector256.LoadUnsafe(ref row, (nuint)vectorPart - column), narrow8);
                if (has4) narrow4 = Vector128.MultiplyAddEstimate(Vector128.Create(p), Vector128.LoadUnsafe(ref row, at4 - column), narrow4);
                if (scalars >= 1) t0 += p * Unsafe.Add(ref row, (nuint)scalarStart - column);
                if (scalars >= 2) t1 += p * Unsafe.Add(ref row, (nuint)scalarStart + 1 - column);
                if (scalars >= 3) t2 += p * Unsafe.Add(ref row, (nuint)scalarStart + 2 - column);
            }
        }

        TWidth.Store(o0, ref outputs, 0);
        if (vectors >= 2) TWidth.Store(o1, ref outputs, (nuint)TWidth.Count);
        if (vectors >= 3) TWidth.Store(o2, ref outputs, (nuint)(2 * TWidth.Count));
        if (vectors >= 4) TWidth.Store(o3, ref outputs, (nuint)(3 * TWidth.Count));
        if (vectors >= 5) TWidth.Store(o4, ref outputs, (nuint)(4 * TWidth.Count));
        if (vectors >= 6) TWidth.Store(o5, ref outputs, (nuint)(5 * TWidth.Count));
        if (vectors >= 7) TWidth.Store(o6, ref outputs, (nuint)(6 * TWidth.Count));
        if (vectors >= 8) TWidth.Store(o7, ref outputs, (nuint)(7 * TWidth.Count));
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
