namespace AttentionGen.Text.Tests;

public sealed class BatchAndPairTests
{
    private static WordPieceTokenizer Tokenizer => MiniLmVocab.Tokenizer;

    [Fact]
    public void Batch_rows_are_the_single_encodings_padded_to_the_longest()
    {
        string[] texts = ["A short one.", "", GoldenTokens.Cases["long-text-over-256-tokens"].Text, "Café 東京 🍕"];
        const int maxTokens = 64;
        var ids = new int[texts.Length * maxTokens];
        ids.AsSpan().Fill(-1);
        var counts = new int[texts.Length];

        var rowLength = Tokenizer.EncodeBatch(texts, ids, counts, maxTokens);

        Assert.Equal(maxTokens, rowLength);
        for (var i = 0; i < texts.Length; i++)
        {
            var single = new int[maxTokens];
            var count = Tokenizer.Encode(texts[i], single, maxTokens);
            Assert.Equal(count, counts[i]);
            var row = ids.AsSpan(i * rowLength, rowLength);
            Assert.Equal(single[..count], row[..count].ToArray());
            Assert.All(row[count..].ToArray(), id => Assert.Equal(Tokenizer.PadTokenId, id));
        }

        // Without a long text the rows shrink to the longest encoding.
        string[] shortTexts = [texts[0], texts[1], texts[3]];
        rowLength = Tokenizer.EncodeBatch(shortTexts, ids, counts, maxTokens);
        Assert.Equal(counts[..3].Max(), rowLength);
        Assert.True(rowLength < maxTokens);
        for (var i = 0; i < shortTexts.Length; i++)
        {
            var single = new int[maxTokens];
            var count = Tokenizer.Encode(shortTexts[i], single, maxTokens);
            int[] padded = [.. single[..count], .. Enumerable.Repeat(Tokenizer.PadTokenId, rowLength - count)];
            Assert.Equal(padded, ids[(i * rowLength)..((i + 1) * rowLength)]);
        }

        Assert.Equal(0, Tokenizer.EncodeBatch([], ids, counts, maxTokens));
    }

    [Fact]
    public void Pair_encoding_is_the_two_single_encodings_joined()
    {
        var ids = new int[64];
        var types = new int[64];
        var first = new int[64];
        var second = new int[64];
        var firstCount = Tokenizer.Encode("What is the capital of France?", first, 64);
        var secondCount = Tokenizer.Encode("Paris.", second, 64);

        var count = Tokenizer.EncodePair("What is the capital of France?", "Paris.", ids, types, 64);

        int[] expected = [.. first[..firstCount], .. second[1..secondCount]];
        Assert.Equal(expected, ids[..count]);
        Assert.Equal(Enumerable.Repeat(0, firstCount).Concat(Enumerable.Repeat(1, secondCount - 1)), types[..count]);
    }

    /// <summary>Hugging Face's longest_first, transcribed step by step from tokenizers' truncate_encodings.</summary>
    private static (int First, int Second) HuggingFaceLongestFirst(int firstLength, int secondLength, int budget)
    {
        if (firstLength + secondLength <= budget)
        {
            return (firstLength, secondLength);
        }

        var (n1, n2) = (firstLength, secondLength);
        var swap = n1 > n2;
        if (swap)
        {
            (n1, n2) = (n2, n1);
        }

        n2 = n1 > budget ? n1 : Math.Max(n1, budget - n1);
        if (n1 + n2 > budget)
        {
            n1 = budget / 2;
            n2 = n1 + (budget % 2);
        }

        if (swap)
        {
            (n1, n2) = (n2, n1);
        }

        return (Math.Min(n1, firstLength), Math.Min(n2, secondLength));
    }

    [Fact]
    public void Pair_truncation_keeps_what_Hugging_Face_keeps_for_every_length_within_the_budget_and_past_it()
    {
        foreach (var budget in (int[])[0, 1, 2, 7, 252, 253])
        {
            for (var first = 0; first <= budget + 5; first++)
            {
                for (var second = 0; second <= budget + 5; second++)
                {
                    // Lengths past the budget reach PairTruncation capped (as FastBertTokenizer cuts them), with the order
                    // of the true lengths alongside.
                    var kept = PairTruncation.LongestFirst(first, second, firstIsLonger: first > second, budget);
                    Assert.Equal(HuggingFaceLongestFirst(first, second, budget), kept);
                }
            }
        }
    }

    [Fact]
    public void Two_texts_both_past_max_tokens_split_an_odd_budget_by_the_lengths_Hugging_Face_counts()
    {
        // Hugging Face's tokenizers (0.23 on) reads each text of a pair only until the word that brings it to maxTokens
        // tokens ends, and gives an odd budget's extra token to the text longer by that count, to the second on a tie. So
        // the truly longer text gets it only when a word crossing maxTokens makes it longer there. 400 and 900 words are
        // past where the tokenizer first cuts too.
        foreach (var words in (int[])[400, 900])
        {
            var longer = string.Join(' ', Enumerable.Repeat("word", words));
            var shorter = string.Join(' ', Enumerable.Repeat("word", words - 1));
            var ids = new int[256];
            var types = new int[256];

            Assert.Equal(256, Tokenizer.EncodePair(longer, shorter, ids, types, 256));
            Assert.Equal(126 + 2, types.Count(t => t == 0));
            Tokenizer.EncodePair(shorter, longer, ids, types, 256);
            Assert.Equal(126 + 2, types.Count(t => t == 0));

            // "tokenization" is two tokens: after 255 words it ends at 257, past where a text of single-token words stops.
            var crossing = string.Join(' ', Enumerable.Repeat("word", 255)) + " tokenization " + string.Join(' ', Enumerable.Repeat("word", 50));
            Tokenizer.EncodePair(crossing, longer, ids, types, 256);
            Assert.Equal(127 + 2, types.Count(t => t == 0));
            Tokenizer.EncodePair(longer, crossing, ids, types, 256);
            Assert.Equal(126 + 2, types.Count(t => t == 0));
        }
    }
}
