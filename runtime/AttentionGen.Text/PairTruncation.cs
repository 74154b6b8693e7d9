namespace AttentionGen.Text;

/// <summary>How many tokens of each text a pair keeps, as Hugging Face's <c>longest_first</c> truncation decides.</summary>
internal static class PairTruncation
{
    /// <summary>
    /// Both texts whole if they fit; else the shorter whole and the longer cut to the rest of the budget, if the shorter
    /// takes at most half; else half each, the odd token to the longer (to the second when they are equally long).
    /// </summary>
    /// <param name="firstLength">Tokens of the first text, or the budget if it has more.</param>
    /// <param name="secondLength">Tokens of the second text, or the budget if it has more.</param>
    /// <param name="firstIsLonger">
    /// Whether the first text is longer than the second as Hugging Face compares them (each counted to the end of the word
    /// that reaches the sequence length, if it does).
    /// </param>
    /// <param name="budget">The room for both texts' tokens (the sequence length less the three special tokens).</param>
    internal static (int First, int Second) LongestFirst(int firstLength, int secondLength, bool firstIsLonger, int budget)
    {
        if (firstLength + secondLength <= budget)
        {
            return (firstLength, secondLength);
        }

        var shorter = Math.Min(firstLength, secondLength);
        int shorterKept, longerKept;
        if (2 * shorter <= budget)
        {
            (shorterKept, longerKept) = (shorter, budget - shorter);
        }
        else
        {
            (shorterKept, longerKept) = (budget / 2, budget - (budget / 2));
        }

        return firstIsLonger ? (longerKept, shorterKept) : (shorterKept, longerKept);
    }
}
