namespace AttentionGen.Kernels.Attention;

/// <summary>
/// The row-by-row attention path (decode, and every call on machines or head widths without a tile): one query row at
/// a time, with the heads that share a key/value stream (a grouped-query group, or every head without groups) stacked
/// so K and V are read from memory once.
/// </summary>
internal static class RowAttention<TShape>
    where TShape : struct, IAttentionShape
{
    public static void Attend(ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, ReadOnlySpan<float> additiveMask, Span<float> output, int seqLen, int kvSeqLen, Span<float> scores) =>
        throw new NotImplementedException("TODO(helper-rows)");
}
