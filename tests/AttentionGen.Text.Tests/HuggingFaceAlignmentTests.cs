using System.Globalization;
using System.Text;

namespace AttentionGen.Text.Tests;

/// <summary>The lists HuggingFaceAlignment keeps by hand, checked against .NET's own Unicode tables.</summary>
public sealed class HuggingFaceAlignmentTests
{
    [Fact]
    public void Only_the_listed_code_points_decompose_to_punctuation()
    {
        // FastBertTokenizer splits words before it normalizes, Hugging Face after: a code point that is not punctuation
        // but whose NFD, marks removed, is, splits a word only to Hugging Face, so HuggingFaceAlignment must list it.
        var found = new List<int>();
        for (var codePoint = 0; codePoint <= 0x10FFFF; codePoint++)
        {
            if (codePoint is >= 0xD800 and <= 0xDFFF or 0xFFFE || IsPunctuation(codePoint))
            {
                continue;
            }

            var decomposed = char.ConvertFromUtf32(codePoint).Normalize(NormalizationForm.FormD);
            if (decomposed.EnumerateRunes().Any(rune => Rune.GetUnicodeCategory(rune) != UnicodeCategory.NonSpacingMark && IsPunctuation(rune.Value)))
            {
                found.Add(codePoint);
            }
        }

        Assert.Equal([0x1FEF, 0x2260, 0x226E, 0x226F], found);
        Assert.All(found, codePoint => Assert.True(HuggingFaceAlignment.DecomposesToPunctuation(codePoint)));
    }

    [Theory]
    [InlineData(4)]
    [InlineData(40)]
    [InlineData(120)]
    public void A_lone_surrogate_is_dropped_from_a_word_of_any_length(int letters)
    {
        // Hugging Face takes only well-formed text; its Node binding (the golden ids' reference) reads a lone surrogate as
        // U+FFFD, which it removes. A word past 33 units is measured after NFD, which .NET refuses for a lone surrogate.
        var word = new string('a', letters);
        var tokenizer = MiniLmVocab.Tokenizer;
        foreach (var text in (string[])[$"{word}\uD800 and {word}", $"{word} and \uDC00{word}", $"{word}\uD800 and \u0301{word}"])
        {
            var expected = new int[256];
            var expectedCount = tokenizer.Encode(text.Replace("\uD800", "", StringComparison.Ordinal).Replace("\uDC00", "", StringComparison.Ordinal), expected);
            var ids = new int[256];
            var count = tokenizer.Encode(text, ids);
            Assert.Equal(expected[..expectedCount], ids[..count]);
        }
    }

    private static bool IsPunctuation(int codePoint) =>
        codePoint < 128 ? char.IsAsciiLetterOrDigit((char)codePoint) is false && codePoint is > 32 and < 127 : Rune.IsPunctuation(new Rune(codePoint));
}
