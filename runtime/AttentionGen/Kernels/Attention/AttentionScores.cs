using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace AttentionGen.Kernels.Attention;

/// <summary>
/// What both attention paths do to a row of scores between Q·Kᵀ and P·V: softcap, additive mask, softmax (two-pass or
/// one online chunk). Shared by <see cref="TiledAttention{TShape}"/> and <see cref="RowAttention{TShape}"/>.
/// </summary>
internal static class AttentionScores<TShape>
    where TShape : struct, IAttentionShape
{
    /// <summary>The additive mask's row for query <paramref name="row"/>, or an empty span when there is no mask.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ReadOnlySpan<float> MaskRow(ReadOnlySpan<float> additiveMask, int row, int kvSeqLen) =>
        additiveMask.IsEmpty ? default : additiveMask.Slice(row * kvSeqLen, kvSeqLen);

    /// <summary>Whether scores need work before their softmax: a softcap, or an additive mask.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool NeedsPreparation(ReadOnlySpan<float> additiveMask) => TShape.Softcap > 0 || !additiveMask.IsEmpty;

    /// <summary>Softcap, then the additive mask (from <paramref name="offset"/> in its row), on a row's first <paramref name="visible"/> scores.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Prepare(ref float row, int visible, int offset, ReadOnlySpan<float> maskRow)
    {
        Span<float> live = MemoryMarshal.CreateSpan(ref row, Math.Max(visible, 0));
        if (TShape.Softcap > 0)
        {
            // Softcap·tanh(score/Softcap) bounds the logits smoothly, before any mask is added.
            SoftmaxKernels.Softcap(live, TShape.Softcap);
        }

        if (!maskRow.IsEmpty)
        {
            // The additive mask is one [seqLen, kvSeqLen] matrix shared by every head.
            ElementwiseKernels.Add(live, maskRow.Slice(offset, live.Length));
        }
    }

    /// <summary>
    /// Turns one row of scores into probabilities in place: the first <paramref name="visible"/> entries get the softmax,
    /// the rest of the first <paramref name="length"/> become 0 so a tile can sum over a common length.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SoftmaxRow(ref float row, int length, int visible, ReadOnlySpan<float> maskRow)
    {
        if (TShape.Softcap > 0 || !maskRow.IsEmpty)
        {
            Prepare(ref row, visible, 0, maskRow);
        }

        // Score rows are ScoreStride long, a multiple of 16, so rounding the length up to whole vectors stays inside the
        // row. A fully masked row comes out all zeros.
        SoftmaxKernels.SoftmaxPrefix(MemoryMarshal.CreateSpan(ref row, (length + 15) & ~15), Math.Max(visible, 0));
    }

    /// <summary>
    /// One chunk of a row's online softmax: the first <paramref name="visible"/> scores become exp(score − running max),
    /// the rest of the first <paramref name="length"/> 0. Returns the factor for what earlier chunks accumulated.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SoftmaxChunkRow(ref float row, int length, int visible, int chunkStart, ReadOnlySpan<float> maskRow, ref float runningMax, ref float runningSum)
    {
        if (TShape.Softcap > 0 || !maskRow.IsEmpty)
        {
            Prepare(ref row, visible, chunkStart, maskRow);
        }

        return SoftmaxKernels.SoftmaxChunk(MemoryMarshal.CreateSpan(ref row, (length + 15) & ~15), visible, ref runningMax, ref runningSum);
    }
}
