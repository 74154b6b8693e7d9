namespace AttentionGen.Text.Tests;

/// <summary>
/// Our ids against Hugging Face's own tokenizer (tools/golden-tokens) on every committed text. All agree; many do not
/// with FastBertTokenizer alone, and HuggingFaceAlignment, the cut past the budget and the pair lengths compared as
/// Hugging Face compares them in WordPieceTokenizer are what make them agree (words over 100 characters,
/// U+000B/U+000C/U+0085, CJK and punctuation beyond the BMP, unassigned code points and categories newer than Unicode
/// 8.0, nonspacing marks, a cut inside a word Hugging Face reads as [UNK], two long texts of a pair).
/// </summary>
public sealed class GoldenTokenTests
{
    public static TheoryData<string> CaseNames => [.. GoldenTokens.Cases.Keys];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Ids_equal_Hugging_Face(string name)
    {
        var golden = GoldenTokens.Cases[name];
        var tokenizer = MiniLmVocab.Tokenizer;
        var ids = new int[GoldenTokens.MaxTokens];
        if (golden.Pair is null)
        {
            var count = tokenizer.Encode(golden.Text, ids, GoldenTokens.MaxTokens);
            Assert.Equal(golden.Ids, ids[..count]);

            var fromSpan = new int[GoldenTokens.MaxTokens];
            var spanCount = tokenizer.Encode(golden.Text.AsSpan(), fromSpan, GoldenTokens.MaxTokens);
            Assert.Equal(golden.Ids, fromSpan[..spanCount]);
            return;
        }

        var typeIds = new int[GoldenTokens.MaxTokens];
        var pairCount = tokenizer.EncodePair(golden.Text, golden.Pair, ids, typeIds, GoldenTokens.MaxTokens);
        Assert.Equal(golden.Ids, ids[..pairCount]);
        Assert.Equal(golden.TypeIds, typeIds[..pairCount]);
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Shorter_limits_cut_where_Hugging_Face_cuts(string name)
    {
        // Hugging Face cuts a single text to a prefix of its full encoding, so every shorter limit is a prefix of the
        // golden ids closed by [SEP]; a cut inside a word keeps the word's first pieces.
        var golden = GoldenTokens.Cases[name];
        if (golden.Pair is not null)
        {
            return;
        }

        var tokenizer = MiniLmVocab.Tokenizer;
        var body = golden.Ids[1..^1];
        foreach (var maxTokens in (int[])[2, 3, 4, 7, 16, 50, 255])
        {
            var ids = new int[maxTokens];
            var count = tokenizer.Encode(golden.Text, ids, maxTokens);
            var kept = Math.Min(body.Length, maxTokens - 2);
            int[] expected = [tokenizer.ClsTokenId, .. body[..kept], tokenizer.SepTokenId];
            Assert.Equal(expected, ids[..count]);
        }
    }

    [Fact]
    public void Golden_set_holds_the_cases_it_is_meant_to_test()
    {
        var cases = GoldenTokens.Cases.Values.ToList();
        Assert.True(cases.Count >= 40, $"{cases.Count} golden cases");
        Assert.Equal(WordPieceTokenizer.SentenceTransformersMaxTokens, GoldenTokens.MaxTokens);

        // Truncation is exercised for a single text and for pairs: the golden ids are cut to exactly maxTokens, [SEP] last.
        var truncated = cases.Where(c => c.UntruncatedCount > GoldenTokens.MaxTokens).ToList();
        Assert.Contains(truncated, c => c.Pair is null);
        Assert.Contains(truncated, c => c.Pair is not null);
        Assert.All(truncated, c =>
        {
            Assert.Equal(GoldenTokens.MaxTokens, c.Ids.Length);
            Assert.Equal(MiniLmVocab.Tokenizer.SepTokenId, c.Ids[^1]);
        });

        Assert.Contains(cases, c => c.Text.Length == 0 && c.Pair is null);
        Assert.Contains(cases, c => c.Ids.Contains(MiniLmVocab.Tokenizer.UnknownTokenId));
    }
}
