using System.Globalization;

namespace AttentionGen.Text.Tests;

/// <summary>
/// Every code point against Hugging Face's own normalizer and pre-tokenizer (Data/golden-classes.txt, made by
/// tools/golden-tokens/classes.js): between two letters it must be removed, separate them as whitespace, be set apart or
/// be kept inside the word as there, and alone it must give no token exactly when it is removed or whitespace. Unicode moves on in .NET while Hugging Face's categories
/// stay at Unicode 8.0 (HuggingFaceCategories), so a .NET update can break this.
/// </summary>
public sealed class GoldenClassTests
{
    [Fact]
    public void Every_code_point_is_removed_set_apart_or_kept_as_Hugging_Face_does()
    {
        var classes = LoadClasses();
        var tokenizer = MiniLmVocab.Tokenizer;
        var ids = new int[16];
        var a = Single(tokenizer, "a");
        var aa = Single(tokenizer, "aa");
        var mismatches = new List<string>();
        var checkedCount = 0;
        for (var codePoint = 0; codePoint <= 0x10FFFF; codePoint++)
        {
            var expected = classes[codePoint];
            if (expected == '-')
            {
                continue;
            }

            var character = char.ConvertFromUtf32(codePoint);
            var count = tokenizer.Encode("a" + character + "a", ids, 16);
            var between = count == 3 && ids[1] == aa ? 'R'
                : count == 4 && ids[1] == a && ids[2] == a ? 'W'
                : count == 5 && ids[1] == a && ids[3] == a ? 'S'
                : 'L';
            var aloneIsEmpty = tokenizer.Encode(character, ids, 16) == 2;
            checkedCount++;
            if (between != expected || aloneIsEmpty != expected is 'R' or 'W')
            {
                mismatches.Add($"U+{codePoint:X4} ({CharUnicodeInfo.GetUnicodeCategory(codePoint)}): Hugging Face {expected}, ours {between}{(aloneIsEmpty ? ", nothing alone" : ", tokens alone")}");
            }
        }

        Assert.Equal(0x110000 - 0x800, checkedCount);
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} code points differ, such as:\n{string.Join('\n', mismatches.Take(20))}");
    }

    private static int Single(WordPieceTokenizer tokenizer, string word)
    {
        var ids = new int[8];
        Assert.Equal(3, tokenizer.Encode(word, ids, 8));
        return ids[1];
    }

    /// <summary>The class of every code point, expanded from the file's runs.</summary>
    private static char[] LoadClasses()
    {
        var classes = new char[0x110000];
        var runs = File.ReadLines(Path.Combine(AppContext.BaseDirectory, "Data", "golden-classes.txt"))
            .Where(line => !line.StartsWith('#'))
            .Select(line => (Start: int.Parse(line.AsSpan(0, line.IndexOf(' ')), NumberStyles.HexNumber, CultureInfo.InvariantCulture), Class: line[^1]))
            .ToList();
        for (var i = 0; i < runs.Count; i++)
        {
            var end = i + 1 < runs.Count ? runs[i + 1].Start : classes.Length;
            classes.AsSpan(runs[i].Start, end - runs[i].Start).Fill(runs[i].Class);
        }

        Assert.Equal(0, runs[0].Start);
        return classes;
    }
}
