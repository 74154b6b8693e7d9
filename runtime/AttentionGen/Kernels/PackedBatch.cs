namespace AttentionGen.Kernels;

/// <summary>
/// Splits a packed batch (sequences concatenated, no padding) into groups of whole sequences that fit a layer's
/// scratch, so a batch of any size runs with the memory one instance allocated.
/// </summary>
public static class PackedBatch
{
    /// <summary>
    /// How many sequences, from the start of <paramref name="lengths"/>, fit in <paramref name="maxTokens"/> tokens
    /// (at least one: every length is at most <paramref name="maxTokens"/>, checked by the caller), and their tokens.
    /// </summary>
    public static int NextGroup(ReadOnlySpan<int> lengths, int maxTokens, out int tokens)
    {
        int count = 0;
        tokens = 0;
        while (count < lengths.Length && tokens + lengths[count] <= maxTokens)
        {
            tokens += lengths[count];
            count++;
        }

        return count;
    }
}
