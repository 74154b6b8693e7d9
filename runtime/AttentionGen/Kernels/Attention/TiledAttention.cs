namespace AttentionGen.Kernels.Attention;

/// <summary>
/// The tiled attention path (prefill): per key/value head, Kᵀ packed once into panels, then register tiles of
/// (query row, head) pairs: a QKᵀ tile into the score block, the rows' softmax, a P·V tile into the output.
/// </summary>
internal static class TiledAttention<TShape>
    where TShape : struct, IAttentionShape
{
    /// <summary>Pairs per Vector512 tile.</summary>
    public const int Rows512 = 6;

    /// <summary>Pairs per Vector256 tile.</summary>
    public const int Rows256 = 6;

    /// <summary>Pairs per Vector128 tile.</summary>
    public const int Rows128 = 4;

    public static void Attend512(ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, ReadOnlySpan<float> additiveMask, Span<float> output, int seqLen, int kvSeqLen, Span<float> scores, Span<float> keyPanels) =>
        throw new NotImplementedException("TODO(helper-tiles)");

    public static void Attend256(ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, ReadOnlySpan<float> additiveMask, Span<float> output, int seqLen, int kvSeqLen, Span<float> scores, Span<float> keyPanels) =>
        throw new NotImplementedException("TODO(helper-tiles)");

    public static void Attend128(ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, ReadOnlySpan<float> additiveMask, Span<float> output, int seqLen, int kvSeqLen, Span<float> scores, Span<float> keyPanels) =>
        throw new NotImplementedException("TODO(helper-tiles)");
}
