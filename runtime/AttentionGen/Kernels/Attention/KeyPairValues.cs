using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace AttentionGen.Kernels.Attention;

/// <summary>
/// P·V for heads of 8 floats on the Vector512 tile: two keys' value rows share one vector, so each multiply-add does a
/// whole vector's work where a head-wide vector would do half.
/// </summary>
/// <remarks>
/// <para>
/// A head of 8 floats is half a Vector512. Weighing it one key at a time (the Vector256 tile, which such heads took before)
/// spends a multiply-add of 8 lanes per (row, key), and its six rows' chains of one add per key leave the loop waiting on
/// the adds' latency: `sdpa H8 S333 D8` ran P·V at about a third of the FMA peak on Zen 5, behind ONNX Runtime. Here
/// <see cref="Interleave"/> packs keys j and j + 1 lane by lane (lane 2d is key j's element d, lane 2d + 1 key j + 1's),
/// and each row's weights for the two keys, read as one 64-bit pair and broadcast, line up with them. Each row keeps
/// two accumulators (alternate pairs) so its chain is half as long; at the end lanes 2d and 2d + 1 add into element d.
/// With the softmax on Vector512 as well, `sdpa H8 S333 D8` went from 0.91–0.95× ONNX Runtime to 1.9× (Zen 5).
/// </para>
/// <para>
/// Every row sums its keys in pairs, so its bits differ from the Vector256 tile's in the last places, as any other
/// order of the same sums would.
/// </para>
/// </remarks>
internal static class KeyPairValues
{
    /// <summary>The head width this kernel takes: two heads' worth fill a Vector512.</summary>
    public const int HeadDim = 8;

    /// <summary>
    /// Packs <paramref name="rows"/> value rows (8 floats each, <paramref name="rowStride"/> apart) into
    /// <paramref name="destination"/> two keys per Vector512, interleaved; an odd last key is paired with zeros.
    /// Key j's pair starts at <c>(j &amp; ~1) · 8</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void Interleave(ref float source, int rows, int rowStride, ref float destination)
    {
        // Lane 2d takes the first key's element d (lane d of the pair's lower half), lane 2d + 1 the second's (8 + d).
        Vector512<int> lanes = Vector512.Create(0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15);
        int j = 0;
        for (; j + 2 <= rows; j += 2)
        {
            Vector512<float> pair = Vector512.Create(
                Vector256.LoadUnsafe(ref Unsafe.Add(ref source, (nint)j * rowStride)),
                Vector256.LoadUnsafe(ref Unsafe.Add(ref source, (nint)(j + 1) * rowStride)));
            Vector512.Shuffle(pair, lanes).StoreUnsafe(ref destination, (nuint)(j * HeadDim));
        }

        if (j < rows)
        {
            Vector512<float> last = Vector512.Create(Vector256.LoadUnsafe(ref Unsafe.Add(ref source, (nint)j * rowStride)), Vector256<float>.Zero);
            Vector512.Shuffle(last, lanes).StoreUnsafe(ref destination, (nuint)(j * HeadDim));
        }
    }

    /// <summary>
    /// <c>o_r = Σ_j p[r, j] · v_j</c> over the first <paramref name="count"/> keys for six rows whose weights are
    /// <paramref name="scoreStride"/> apart from <paramref name="weights"/>, the values packed by <see cref="Interleave"/>.
    /// With <paramref name="accumulate"/>, each row adds what its output held times <c>rescale[r]</c> (the online
    /// softmax's next chunk); with <paramref name="normalize"/>, each row comes out times <c>rescale[r]</c> (the base-2
    /// softmax's reciprocal sums).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void WeighSixRows(ref float weights, nint scoreStride, nint count, ref float values, ref float rescale, bool accumulate, bool normalize, ref float o0, ref float o1, ref float o2, ref float o3, ref float o4, ref float o5)
    {
        ref float w1 = ref Unsafe.Add(ref weights, scoreStride);
        ref float w2 = ref Unsafe.Add(ref weights, 2 * scoreStride);
        ref float w3 = ref Unsafe.Add(ref weights, 3 * scoreStride);
        ref float w4 = ref Unsafe.Add(ref weights, 4 * scoreStride);
        ref float w5 = ref Unsafe.Add(ref weights, 5 * scoreStride);
        Vector512<float> a0 = Vector512<float>.Zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
        Vector512<float> b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0, b5 = a0;
        nint j = 0;
        for (; j + 4 <= count; j += 4)
        {
            Vector512<float> v = Vector512.LoadUnsafe(ref values, (nuint)(j * HeadDim));
            Vector512<float> u = Vector512.LoadUnsafe(ref values, (nuint)((j + 2) * HeadDim));
            a0 = Vector512.FusedMultiplyAdd(Pair(ref weights, j), v, a0);
            b0 = Vector512.FusedMultiplyAdd(Pair(ref weights, j + 2), u, b0);
            a1 = Vector512.FusedMultiplyAdd(Pair(ref w1, j), v, a1);
            b1 = Vector512.FusedMultiplyAdd(Pair(ref w1, j + 2), u, b1);
            a2 = Vector512.FusedMultiplyAdd(Pair(ref w2, j), v, a2);
            b2 = Vector512.FusedMultiplyAdd(Pair(ref w2, j + 2), u, b2);
            a3 = Vector512.FusedMultiplyAdd(Pair(ref w3, j), v, a3);
            b3 = Vector512.FusedMultiplyAdd(Pair(ref w3, j + 2), u, b3);
            a4 = Vector512.FusedMultiplyAdd(Pair(ref w4, j), v, a4);
            b4 = Vector512.FusedMultiplyAdd(Pair(ref w4, j + 2), u, b4);
            a5 = Vector512.FusedMultiplyAdd(Pair(ref w5, j), v, a5);
            b5 = Vector512.FusedMultiplyAdd(Pair(ref w5, j + 2), u, b5);
        }

        if (j + 2 <= count)
        {
            Vector512<float> v = Vector512.LoadUnsafe(ref values, (nuint)(j * HeadDim));
            a0 = Vector512.FusedMultiplyAdd(Pair(ref weights, j), v, a0);
            a1 = Vector512.FusedMultiplyAdd(Pair(ref w1, j), v, a1);
            a2 = Vector512.FusedMultiplyAdd(Pair(ref w2, j), v, a2);
            a3 = Vector512.FusedMultiplyAdd(Pair(ref w3, j), v, a3);
            a4 = Vector512.FusedMultiplyAdd(Pair(ref w4, j), v, a4);
            a5 = Vector512.FusedMultiplyAdd(Pair(ref w5, j), v, a5);
            j += 2;
        }

        if (j < count)
        {
            // The last key alone: its pair's second half is the next key (past this call's keys) or padding, so its
            // weight goes to the even lanes only.
            Vector512<float> v = Vector512.LoadUnsafe(ref values, (nuint)(j * HeadDim));
            Vector512<float> even = Vector512.Create(0xFFFF_FFFFL).AsSingle();
            a0 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref weights, j)) & even, v, a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref w1, j)) & even, v, a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref w2, j)) & even, v, a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref w3, j)) & even, v, a3);
            a4 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref w4, j)) & even, v, a4);
            a5 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref w5, j)) & even, v, a5);
        }

        Finish(a0 + b0, ref rescale, 0, accumulate, normalize, ref o0);
        Finish(a1 + b1, ref rescale, 1, accumulate, normalize, ref o1);
        Finish(a2 + b2, ref rescale, 2, accumulate, normalize, ref o2);
        Finish(a3 + b3, ref rescale, 3, accumulate, normalize, ref o3);
        Finish(a4 + b4, ref rescale, 4, accumulate, normalize, ref o4);
        Finish(a5 + b5, ref rescale, 5, accumulate, normalize, ref o5);
    }

    /// <summary>Row weights j and j + 1 in every pair of lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Pair(ref float rowWeights, nint j) =>
        Vector512.Create(Unsafe.ReadUnaligned<double>(ref Unsafe.As<float, byte>(ref Unsafe.Add(ref rowWeights, j)))).AsSingle();

    /// <summary>Adds each even lane to the odd lane after it, and stores the 8 sums (scaled, and added to what was there, as asked).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish(Vector512<float> sums, ref float rescale, int row, bool accumulate, bool normalize, ref float output)
    {
        Vector512<float> paired = sums + Vector512.Shuffle(sums, Vector512.Create(1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14));
        Vector256<float> total = Vector512.Shuffle(paired, Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 0, 2, 4, 6, 8, 10, 12, 14)).GetLower();
        if (accumulate)
        {
            total = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref output), Vector256.Create(Unsafe.Add(ref rescale, row)), total);
        }

        if (normalize)
        {
            total *= Vector256.Create(Unsafe.Add(ref rescale, row));
        }

        total.StoreUnsafe(ref output);
    }
}
