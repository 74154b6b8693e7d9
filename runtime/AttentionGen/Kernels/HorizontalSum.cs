using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace AttentionGen.Kernels;

/// <summary>
/// Folds several vectors of partial sums into one vector of totals: the end of a block of dot products computed side
/// by side (one accumulator per key), where summing each accumulator on its own would cost a chain of shuffles per key.
/// </summary>
/// <remarks>
/// <para>
/// A block of 16 keys on Vector512 folds as <c>AcrossBlocks(OfFour(s0..s3), OfFour(s4..s7), OfFour(s8..s11),
/// OfFour(s12..s15))</c>: element k is the sum of all elements of <c>s_k</c>. That is 30 shuffles and 15 adds for 16
/// totals, against about 28 instructions for each <see cref="Vector512.Sum{T}(Vector512{T})"/>. Vector256 folds 8 keys
/// (<c>AcrossBlocks(OfFour(s0..s3), OfFour(s4..s7))</c>) and Vector128 folds 4 (<c>OfFour(s0..s3)</c>).
/// </para>
/// <para>
/// The order of additions differs from a left-to-right sum, so results can differ from it in the last bits; the sums
/// are exact in the same sense as any pairwise float sum.
/// </para>
/// </remarks>
public static class HorizontalSum
{
    /// <summary>
    /// Element i of each 128-bit block of the result is the sum of that block's four elements of the i-th argument.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> OfFour(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d)
    {
        if (Avx512F.IsSupported)
        {
            // Per block: [a0+a2, b0+b2, a1+a3, b1+b3]; then the 64-bit halves of two such vectors interleave, and add as floats.
            Vector512<float> ab = Avx512F.UnpackLow(a, b) + Avx512F.UnpackHigh(a, b);
            Vector512<float> cd = Avx512F.UnpackLow(c, d) + Avx512F.UnpackHigh(c, d);
            return Avx512F.UnpackLow(ab.AsDouble(), cd.AsDouble()).AsSingle() + Avx512F.UnpackHigh(ab.AsDouble(), cd.AsDouble()).AsSingle();
        }

        return Vector512.Create(
            OfFour(a.GetLower(), b.GetLower(), c.GetLower(), d.GetLower()),
            OfFour(a.GetUpper(), b.GetUpper(), c.GetUpper(), d.GetUpper()));
    }

    /// <summary>
    /// Element 4k + i of the result is the sum, over the four 128-bit blocks of the k-th argument, of element i: the last
    /// step after <see cref="OfFour(Vector512{float}, Vector512{float}, Vector512{float}, Vector512{float})"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> AcrossBlocks(Vector512<float> e0, Vector512<float> e1, Vector512<float> e2, Vector512<float> e3)
    {
        if (Avx512F.IsSupported)
        {
            // Even blocks plus odd blocks, twice: [e0 01, e0 23, e1 01, e1 23], then [e0, e1, e2, e3].
            const byte Even = 0b10_00_10_00, Odd = 0b11_01_11_01;
            Vector512<float> f01 = Avx512F.Shuffle4x128(e0, e1, Even) + Avx512F.Shuffle4x128(e0, e1, Odd);
            Vector512<float> f23 = Avx512F.Shuffle4x128(e2, e3, Even) + Avx512F.Shuffle4x128(e2, e3, Odd);
            return Avx512F.Shuffle4x128(f01, f23, Even) + Avx512F.Shuffle4x128(f01, f23, Odd);
        }

        return Vector512.Create(
            Vector256.Create(SumOfBlocks(e0), SumOfBlocks(e1)),
            Vector256.Create(SumOfBlocks(e2), SumOfBlocks(e3)));
    }

    /// <summary>As the Vector512 overload, per 128-bit block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> OfFour(Vector256<float> a, Vector256<float> b, Vector256<float> c, Vector256<float> d)
    {
        if (Avx.IsSupported)
        {
            Vector256<float> ab = Avx.UnpackLow(a, b) + Avx.UnpackHigh(a, b);
            Vector256<float> cd = Avx.UnpackLow(c, d) + Avx.UnpackHigh(c, d);
            return Avx.UnpackLow(ab.AsDouble(), cd.AsDouble()).AsSingle() + Avx.UnpackHigh(ab.AsDouble(), cd.AsDouble()).AsSingle();
        }

        return Vector256.Create(
            OfFour(a.GetLower(), b.GetLower(), c.GetLower(), d.GetLower()),
            OfFour(a.GetUpper(), b.GetUpper(), c.GetUpper(), d.GetUpper()));
    }

    /// <summary>Element 4k + i of the result is the sum of element i of both 128-bit blocks of the k-th argument.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> AcrossBlocks(Vector256<float> e0, Vector256<float> e1)
    {
        if (Avx.IsSupported)
        {
            return Avx.Permute2x128(e0, e1, 0x20) + Avx.Permute2x128(e0, e1, 0x31);
        }

        return Vector256.Create(e0.GetLower() + e0.GetUpper(), e1.GetLower() + e1.GetUpper());
    }

    /// <summary>Element i of the result is the sum of the four elements of the i-th argument.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> OfFour(Vector128<float> a, Vector128<float> b, Vector128<float> c, Vector128<float> d)
    {
        if (Sse2.IsSupported)
        {
            Vector128<float> ab = Sse.UnpackLow(a, b) + Sse.UnpackHigh(a, b);
            Vector128<float> cd = Sse.UnpackLow(c, d) + Sse.UnpackHigh(c, d);
            return Sse2.UnpackLow(ab.AsDouble(), cd.AsDouble()).AsSingle() + Sse2.UnpackHigh(ab.AsDouble(), cd.AsDouble()).AsSingle();
        }

        return OfFourPortable(a, b, c, d);
    }

    /// <summary>The sum of all elements: halves added down to 128 bits, then two shuffle-and-add steps.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Of(Vector512<float> v) => Of(v.GetLower() + v.GetUpper());

    /// <inheritdoc cref="Of(Vector512{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Of(Vector256<float> v) => Of(v.GetLower() + v.GetUpper());

    /// <inheritdoc cref="Of(Vector512{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Of(Vector128<float> v)
    {
        if (Sse.IsSupported)
        {
            // [v0+v2, v1+v3, …], then element 0 plus element 1.
            Vector128<float> halves = v + Sse.MoveHighToLow(v, v);
            return (halves + Sse.Shuffle(halves, halves, 0b01)).ToScalar();
        }

        return PairwiseSum(v);
    }

    /// <summary>The same sums, in the same pairing, without x86 shuffles (the path other hardware takes).</summary>
    internal static Vector128<float> OfFourPortable(Vector128<float> a, Vector128<float> b, Vector128<float> c, Vector128<float> d) =>
        Vector128.Create(PairwiseSum(a), PairwiseSum(b), PairwiseSum(c), PairwiseSum(d));

    private static float PairwiseSum(Vector128<float> v) => (v.GetElement(0) + v.GetElement(2)) + (v.GetElement(1) + v.GetElement(3));

    private static Vector128<float> SumOfBlocks(Vector512<float> e) =>
        (e.GetLower().GetLower() + e.GetLower().GetUpper()) + (e.GetUpper().GetLower() + e.GetUpper().GetUpper());
}
