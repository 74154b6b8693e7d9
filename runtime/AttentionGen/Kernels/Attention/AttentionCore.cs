using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace AttentionGen.Kernels.Attention;

/// <summary>
/// <c>softmax(Q·Kᵀ·Scale [softcap] [+ mask] [causal])·V</c> for one attention core, specialized on
/// <typeparamref name="TShape"/>. Each call runs tiled or row by row as <see cref="AttentionPaths.Choose"/> estimates
/// cheaper from its lengths: long calls fill register tiles, while a decode step or a short call goes row by row, where
/// packing the keys, padding them to panels and redoing a sliding tile's rows would cost more than tiles save.
/// </summary>
/// <typeparam name="TShape">The generated shape; every member is a JIT-time constant.</typeparam>
public static class AttentionCore<TShape>
    where TShape : struct, IAttentionShape
{
    /// <summary>Floats of score scratch a caller provides: <c>ScoreRows × ScoreStride</c>.</summary>
    public static int ScoreScratchLength => TShape.ScoreRows * TShape.ScoreStride;

    /// <summary>Floats of Kᵀ panel scratch a caller provides: <c>ScoreStride × HeadDim</c>, 0 without tiles.</summary>
    public static int KeyPanelScratchLength =>
        TShape.PanelKeys512 > 0 || TShape.HasTile256 || TShape.HasTile128 ? TShape.ScoreStride * TShape.HeadDim : 0;

    /// <summary>
    /// Attends. <paramref name="query"/> and <paramref name="output"/> hold [seqLen, Heads·HeadDim],
    /// <paramref name="key"/> and <paramref name="value"/> [kvSeqLen, KvHeads·HeadDim], and
    /// <paramref name="additiveMask"/> is empty or [seqLen, kvSeqLen]. The caller has checked every length and that
    /// <paramref name="output"/> overlaps no input; <paramref name="scores"/> and <paramref name="keyPanels"/> are
    /// 64-byte aligned scratch of <see cref="ScoreScratchLength"/> and <see cref="KeyPanelScratchLength"/> floats.
    /// </summary>
    /// <remarks>
    /// NaN and infinities follow one rule on every path (tiled, online, row by row, any vector width), per (query row,
    /// head): a row whose visible scores (after softcap and mask) contain a NaN comes out NaN in every element; a row
    /// that sees no key (causal with more queries than keys, or every visible key masked with −∞) comes out zeros; a −∞
    /// score hides its key, and a +∞ score makes the row NaN (∞ − ∞ in the softmax), as IEEE arithmetic in the float64
    /// reference does. Keys a causal row cannot see never reach its scores, so a NaN in such a key leaves the row exact.
    /// A NaN or infinite value, though, can meet a row that does not see its key as 0 · value in a tile's weighted sum
    /// (and does meet every row so in the reference), so what it does to rows that cannot see its key is not defined.
    /// </remarks>
    public static void Attend(
        ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, ReadOnlySpan<float> additiveMask,
        Span<float> output, int seqLen, int kvSeqLen, Span<float> scores, Span<float> keyPanels)
    {
        // The cost model weighs the widest accelerated tile (if the shape has one) against rows. Everything but the two
        // lengths is a constant here, so the estimate folds to a few multiplications, and the JIT keeps only the tile
        // branch of this machine's widest vector.
        AttentionPath path = AttentionPaths.Choose(
            TShape.Heads, TShape.KvHeads, TShape.HeadDim, TShape.IsCausal, TShape.OnlineChunk, seqLen, kvSeqLen,
            AttentionPaths.MachineTile<TShape>(), AttentionPaths.MachineRowKernel);
        if (path >= AttentionPath.Tiled)
        {
            if (Vector512.IsHardwareAccelerated && TShape.PanelKeys512 > 0)
            {
                TiledAttention<TShape>.Attend512(query, key, value, additiveMask, output, seqLen, kvSeqLen, scores, keyPanels);
                return;
            }

            if (Vector256.IsHardwareAccelerated && TShape.HasTile256)
            {
                TiledAttention<TShape>.Attend256(query, key, value, additiveMask, output, seqLen, kvSeqLen, scores, keyPanels);
                return;
            }

            if (Vector128.IsHardwareAccelerated && TShape.HasTile128)
            {
                TiledAttention<TShape>.Attend128(query, key, value, additiveMask, output, seqLen, kvSeqLen, scores, keyPanels);
                return;
            }
        }

        RowAttention<TShape>.Attend(query, key, value, additiveMask, output, seqLen, kvSeqLen, scores);
    }

    /// <summary>How many keys query row <paramref name="row"/> may see: all, or causal and bottom-right aligned.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int Visible(int row, int seqLen, int kvSeqLen) =>
        TShape.IsCausal ? Math.Min(kvSeqLen, row + kvSeqLen - seqLen + 1) : kvSeqLen;
}
