using System;

namespace AttentionGen.Generator.Components.AttentionCore;

/// <summary>
/// Chooses the kernels for one attention core: which vector widths get register tiles, and how wide the Kᵀ panels are.
/// A width's tile needs a head of at least one vector, not whole vectors: QKᵀ's vectors span keys, and P·V ends a head
/// that is not whole vectors on a vector overlapping the one before it.
/// </summary>
internal static class AttentionCorePlanner
{
    /// <summary>
    /// The widest head the tiles take. Past it a tile's Kᵀ panel and six query rows stop fitting in L1 together, and
    /// such heads run row by row (<see cref="Validation.DiagnosticIds.HeadTooWideForTiles"/> warns).
    /// </summary>
    public const int MaxTiledHeadDim = 256;

    public static AttentionCorePlan Plan(string prefix, int heads, int kvHeads, int headDim, int maxSeqLen, int maxKvSeqLen,
        bool causal, float scale, float softcap)
    {
        var defaultScale = (float)(1.0 / Math.Sqrt(headDim));
        var tiled = headDim <= MaxTiledHeadDim;
        return new AttentionCorePlan(
            prefix,
            heads,
            kvHeads > 0 ? kvHeads : heads,
            headDim,
            maxSeqLen,
            maxKvSeqLen,
            causal,
            scale > 0 ? scale : defaultScale,
            softcap,
            ScaleIsDefault: scale <= 0 || scale == defaultScale,
            PanelKeys512: tiled && (headDim >= 16 || headDim == KeyPairHeadDim) ? PanelKeys512(maxKvSeqLen) : 0,
            HasTile256: tiled && headDim >= 8,
            HasTile128: tiled && headDim >= 4);
    }

    /// <summary>
    /// The one head narrower than a Vector512 that has a Vector512 tile: its P·V weighs two keys per vector (the runtime's
    /// <c>KeyPairValues</c>), where every other narrower head takes the Vector256 or Vector128 tile.
    /// </summary>
    internal const int KeyPairHeadDim = 8;

    /// <summary>
    /// The Vector512 tile scores 6 rows against up to 4 key vectors (64 keys) per Kᵀ panel: 24 accumulators, 4 key
    /// vectors and a broadcast fill AVX-512's 32 registers. When no call can have 64 keys the panel narrows to the
    /// keys there can be, so short sequences don't score padding.
    /// </summary>
    internal static int PanelKeys512(int maxKvSeqLen) => 16 * Math.Max(1, Math.Min(4, (int)(((long)maxKvSeqLen + 15) / 16)));
}
