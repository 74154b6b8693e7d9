namespace AttentionGen.Kernels;

/// <summary>
/// The additive mask a sliding-window attention call needs (Mistral v0.1, Gemma 2 and 3): the query at position p sees
/// only the keys at positions <c>p − window + 1</c> … p, as Hugging Face's <c>sliding_window</c> has it. The caller
/// passes only the keys the call's first row can see, so a decode step (one row) never needs a mask; the later rows of
/// a prefill chunk see their window start further on, and the keys before it are masked.
/// </summary>
public static class SlidingWindowMask
{
    /// <summary>
    /// Fills <paramref name="mask"/> <c>[rows, keys]</c> for rows at positions <paramref name="firstRow"/> … and keys at
    /// positions <paramref name="firstKey"/> …: −∞ where a key is before its row's window, 0 elsewhere (causality is the
    /// attention's own). Returns the filled rows, or an empty span when no row's window starts after
    /// <paramref name="firstKey"/>, so the call can attend without a mask.
    /// </summary>
    /// <param name="mask">Room for at least <c>rows × keys</c> floats.</param>
    /// <param name="rows">Query rows, at least 1.</param>
    /// <param name="firstRow">The first row's position.</param>
    /// <param name="firstKey">The first key's position, at most <paramref name="firstRow"/>.</param>
    /// <param name="keys">Keys, at least 1.</param>
    /// <param name="window">The window, at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">A count is below 1, or <paramref name="firstKey"/> is past <paramref name="firstRow"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="mask"/> is too short.</exception>
    public static ReadOnlySpan<float> Fill(Span<float> mask, int rows, int firstRow, int firstKey, int keys, int window)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(keys, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(firstKey, firstRow);

        // The last row's window starts furthest on: if it hides no key, no row does.
        if (firstRow + rows - 1 - window < firstKey)
        {
            return default;
        }

        Guard.HasRows(mask, rows, keys, nameof(mask));
        for (int row = 0; row < rows; row++)
        {
            // Keys at positions up to firstRow + row − window are outside this row's window.
            int hidden = Math.Clamp(firstRow + row - window + 1 - firstKey, 0, keys);
            var maskRow = mask.Slice(row * keys, keys);
            maskRow.Slice(0, hidden).Fill(float.NegativeInfinity);
            maskRow.Slice(hidden).Clear();
        }

        return mask.Slice(0, rows * keys);
    }
}
