using System.Globalization;
using System.Text;

namespace AttentionGen.Text;

/// <summary>
/// Rewrites text, before FastBertTokenizer sees it, where FastBertTokenizer and Hugging Face's BERT tokenizer would
/// otherwise differ (each found by the golden ids, or by <c>GoldenClassTests</c>, which checks every code point):
/// <list type="bullet">
/// <item>Hugging Face removes the control characters U+000B, U+000C and U+0085 (so the words around them join), where
/// .NET calls them whitespace; here they become <see cref="Removed"/>.</item>
/// <item>It strips nonspacing marks after NFD; FastBertTokenizer strips them only inside a word it cannot find, one
/// UTF-16 unit at a time, so a mark of its own (after a space, punctuation or an ideograph) became [UNK], a mark beyond
/// the BMP (U+E0100) stayed, and ≠ ≮ ≯ and U+1FEF, whose NFD less its marks is punctuation, stayed inside their word.
/// Here they are stripped first, each becoming <see cref="Removed"/>.</item>
/// <item>It sets CJK ideographs and punctuation beyond the BMP apart, which FastBertTokenizer classifies one UTF-16 unit
/// at a time and so misses (and U+166D and U+111C9, punctuation to Hugging Face only); here they get spaces around.</item>
/// <item>It reads as [UNK] a word of more than <see cref="WordPieceTokenizer.MaxCharsPerWord"/> characters after
/// normalization, and a word holding a code point it reads as a letter no token holds: one no character is assigned to
/// (its cleaning removes only control, format, private-use and surrogate code points), or a mark, format character or
/// punctuation newer than its Unicode 8.0 categories (<see cref="HuggingFaceCategories"/>). FastBertTokenizer cuts the
/// first short and removes the code point from the second or splits the word at it; here the word becomes [UNK].</item>
/// </list>
/// Text needing none of this is returned as it is, without allocating.
/// </summary>
internal static class HuggingFaceAlignment
{
    /// <summary>
    /// A word this long or shorter in UTF-16 units cannot exceed the limit after NFD: one unit decomposes to at most three
    /// characters that count (a Hangul syllable with a final consonant).
    /// </summary>
    private const int LongestWordSafeUnits = WordPieceTokenizer.MaxCharsPerWord / 3;

    private const string UnknownToken = BertUncasedConfiguration.Unknown;

    /// <summary>
    /// What a character Hugging Face removes in normalizing becomes here: a format character, which FastBertTokenizer
    /// removes from the word it is in (and a word of nothing else yields no token), and which keeps the text around it
    /// apart, as Hugging Face matches special tokens before it normalizes: "[UN\u0301K]" and "[CL\u000BS]" are not
    /// special tokens.
    /// </summary>
    private const char Removed = '\u2060';

    internal static string Prepare(string text)
    {
        if (NeedsMarksStripped(text))
        {
            text = StripMarks(text);
        }

        if (NeedsSeparatorsOrIdeographsRewritten(text))
        {
            text = RewriteSeparatorsAndIdeographs(text);
        }

        return HasWordReadAsUnknown(text) ? ReplaceWordsReadAsUnknown(text) : text;
    }

    private static bool IsControlDotNetCallsWhitespace(char c) => c is '\u000B' or '\u000C' or '\u0085';

    /// <summary>
    /// The code points that are not punctuation but whose NFD, nonspacing marks removed, is (≠ ≮ ≯ are = &lt; &gt; with
    /// U+0338, U+1FEF is U+0060); <c>HuggingFaceAlignmentTests</c> checks there are no others.
    /// </summary>
    internal static bool DecomposesToPunctuation(int codePoint) => codePoint is 0x2260 or 0x226E or 0x226F or 0x1FEF;

    /// <summary>A nonspacing mark to Hugging Face, which removes it after NFD.</summary>
    private static bool IsStrippedMark(int codePoint) =>
        CharUnicodeInfo.GetUnicodeCategory(codePoint) == UnicodeCategory.NonSpacingMark
            ? !HuggingFaceCategories.IsLetterOnlyToHuggingFace(codePoint) && !HuggingFaceCategories.IsPunctuationOnlyToHuggingFace(codePoint)
            : HuggingFaceCategories.IsNonspacingMarkOnlyToHuggingFace(codePoint);

    private static bool NeedsMarksStripped(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c < '\u0300')
            {
                continue;
            }

            int codePoint = c;
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                codePoint = char.ConvertToUtf32(c, text[++i]);
            }

            if (IsStrippedMark(codePoint) || DecomposesToPunctuation(codePoint))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>NFD, then each mark Hugging Face strips replaced by <see cref="Removed"/>.</summary>
    private static string StripMarks(string text)
    {
        var decomposed = Decompose(text);
        var stripped = new StringBuilder(decomposed.Length);
        foreach (var rune in decomposed.EnumerateRunes())
        {
            if (IsStrippedMark(rune.Value))
            {
                stripped.Append(Removed);
            }
            else
            {
                Append(stripped, rune);
            }
        }

        return stripped.ToString();
    }

    /// <summary>
    /// NFD of any text. Normalize refuses a lone surrogate and U+FFFE: a lone surrogate, which both tokenizers drop (Hugging
    /// Face reads well-formed text only; its Node binding makes it U+FFFD), becomes U+FFFD, dropped too; U+FFFE, a
    /// starter without a decomposition, is kept as it is between the parts normalized.
    /// </summary>
    private static string Decompose(ReadOnlySpan<char> text)
    {
        var decomposed = new StringBuilder(text.Length + 16);
        var part = new StringBuilder(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            if (rune.Value == 0xFFFE)
            {
                decomposed.Append(part.ToString().Normalize(NormalizationForm.FormD)).Append('\uFFFE');
                part.Clear();
            }
            else
            {
                Append(part, rune);
            }
        }

        return decomposed.Append(part.ToString().Normalize(NormalizationForm.FormD)).ToString();
    }

    private static void Append(StringBuilder builder, Rune rune)
    {
        Span<char> units = stackalloc char[2];
        builder.Append(units[..rune.EncodeToUtf16(units)]);
    }

    private static bool NeedsSeparatorsOrIdeographsRewritten(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (IsControlDotNetCallsWhitespace(c))
            {
                return true;
            }

            if (c >= '\u1000' && SetApartOnlyByHuggingFace(text, i) > 0)
            {
                return true;
            }
        }

        return false;
    }

    private static string RewriteSeparatorsAndIdeographs(string text)
    {
        var rewritten = new StringBuilder(text.Length + 16);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (IsControlDotNetCallsWhitespace(c))
            {
                rewritten.Append(Removed);
                continue;
            }

            var units = c >= '\u1000' ? SetApartOnlyByHuggingFace(text, i) : 0;
            if (units > 0)
            {
                rewritten.Append(' ').Append(text.AsSpan(i, units)).Append(' ');
                i += units - 1;
                continue;
            }

            rewritten.Append(c);
        }

        return rewritten.ToString();
    }

    /// <summary>
    /// The UTF-16 units of the code point at <paramref name="index"/> if Hugging Face sets it apart as a word of its own
    /// and FastBertTokenizer, which classifies one unit at a time by .NET's categories, does not; else 0. Such are CJK
    /// ideographs and punctuation beyond the BMP, and U+166D and U+111C9, punctuation in Hugging Face's Unicode 8.0.
    /// </summary>
    private static int SetApartOnlyByHuggingFace(string text, int index)
    {
        var c = text[index];
        if (!char.IsHighSurrogate(c))
        {
            return HuggingFaceCategories.IsPunctuationOnlyToHuggingFace(c) ? 1 : 0;
        }

        if (index + 1 >= text.Length || !char.IsLowSurrogate(text[index + 1]))
        {
            return 0;
        }

        var codePoint = char.ConvertToUtf32(c, text[index + 1]);
        var setApart = IsCjkIdeographBeyondBmp(codePoint)
            || HuggingFaceCategories.IsPunctuationOnlyToHuggingFace(codePoint)
            || (Rune.IsPunctuation(new Rune(codePoint)) && !HuggingFaceCategories.IsLetterOnlyToHuggingFace(codePoint));
        return setApart ? 2 : 0;
    }

    private static bool HasWordReadAsUnknown(string text)
    {
        var wordStart = 0;
        for (var i = 0; i <= text.Length; i++)
        {
            if (i < text.Length && IsLetterNoTokenHolds(text, i))
            {
                return true;
            }

            if (i == text.Length || EndsWord(text[i]))
            {
                if (IsOverlong(text.AsSpan(wordStart, i - wordStart)))
                {
                    return true;
                }

                wordStart = i + 1;
            }
        }

        return false;
    }

    private static string ReplaceWordsReadAsUnknown(string text)
    {
        var rewritten = new StringBuilder(text.Length);
        var wordStart = 0;
        var wordHasLetterNoTokenHolds = false;
        for (var i = 0; i <= text.Length; i++)
        {
            if (i == text.Length || EndsWord(text[i]))
            {
                var word = text.AsSpan(wordStart, i - wordStart);
                if (wordHasLetterNoTokenHolds || IsOverlong(word))
                {
                    // [UNK] written out is matched as the special token, so FastBertTokenizer emits its id for the word.
                    rewritten.Append(UnknownToken);
                }
                else
                {
                    rewritten.Append(word);
                }

                if (i < text.Length)
                {
                    // An unassigned code point of a BMP CJK range (U+FA6E) is a word of its own to both tokenizers, and so
                    // is [UNK].
                    if (IsLetterNoTokenHolds(text, i))
                    {
                        rewritten.Append(UnknownToken);
                    }
                    else
                    {
                        rewritten.Append(text[i]);
                    }
                }

                wordStart = i + 1;
                wordHasLetterNoTokenHolds = false;
            }
            else if (IsLetterNoTokenHolds(text, i))
            {
                wordHasLetterNoTokenHolds = true;
            }
        }

        return rewritten.ToString();
    }

    private static bool IsOverlong(ReadOnlySpan<char> word) =>
        word.Length > LongestWordSafeUnits && CountedLength(word) > WordPieceTokenizer.MaxCharsPerWord;

    /// <summary>
    /// Whether <paramref name="text"/> has, at <paramref name="index"/> (for a surrogate pair, at its high surrogate), a
    /// code point Hugging Face reads as a letter that no vocab token holds, so its word is [UNK]: one no character is
    /// assigned to, which FastBertTokenizer removes with the control characters, or one newer than Hugging Face's
    /// categories, which FastBertTokenizer strips, removes or splits at.
    /// </summary>
    private static bool IsLetterNoTokenHolds(string text, int index)
    {
        var c = text[index];
        if (c < 128)
        {
            return false;
        }

        int codePoint = c;
        if (char.IsHighSurrogate(c))
        {
            if (index + 1 >= text.Length || !char.IsLowSurrogate(text[index + 1]))
            {
                return false;
            }

            codePoint = char.ConvertToUtf32(c, text[index + 1]);
        }

        return CharUnicodeInfo.GetUnicodeCategory(codePoint) == UnicodeCategory.OtherNotAssigned
            || HuggingFaceCategories.IsLetterOnlyToHuggingFace(codePoint);
    }

    /// <summary>
    /// Where FastBertTokenizer's pre-tokenizer ends a word: whitespace, punctuation (all ASCII symbols count), or a CJK
    /// ideograph of the BMP (those beyond it are already set apart by spaces). Punctuation newer than Hugging Face's
    /// categories is inside the word, which is then read as [UNK] whole, as Hugging Face reads it.
    /// </summary>
    private static bool EndsWord(char c) =>
        char.IsWhiteSpace(c)
        || (c < 128
            ? c is (>= '!' and <= '/') or (>= ':' and <= '@') or (>= '[' and <= '`') or (>= '{' and <= '~')
            : char.IsPunctuation(c) && !HuggingFaceCategories.IsLetterOnlyToHuggingFace(c))
        || IsCjkIdeograph(c);

    /// <summary>
    /// A word's length as Hugging Face's WordPiece counts it: Unicode scalars after cleaning (control, format and private
    /// use characters and U+FFFD removed; unassigned code points stay), NFD and accent stripping (nonspacing marks
    /// removed).
    /// </summary>
    private static int CountedLength(ReadOnlySpan<char> word)
    {
        var decomposed = Decompose(word);
        var count = 0;
        foreach (var rune in decomposed.EnumerateRunes())
        {
            var category = Rune.GetUnicodeCategory(rune);
            var removed = category is UnicodeCategory.NonSpacingMark or UnicodeCategory.Control or UnicodeCategory.Format
                or UnicodeCategory.PrivateUse or UnicodeCategory.Surrogate
                || rune.Value == 0xFFFD;
            if (!removed)
            {
                count++;
            }
        }

        return count;
    }

    private static bool IsCjkIdeograph(char c) =>
        c is (>= '\u4E00' and <= '\u9FFF') or (>= '\u3400' and <= '\u4DBF') or (>= '\uF900' and <= '\uFAFF');

    /// <summary>
    /// The plane-2 ranges of Hugging Face's "Chinese character" test (extensions B to E and the compatibility supplement).
    /// Its extension E starts at U+2B920, not at the block's U+2B820: the 256 ideographs between are letters to it, so
    /// they stay inside their word, as FastBertTokenizer leaves them.
    /// </summary>
    private static bool IsCjkIdeographBeyondBmp(int codePoint) =>
        codePoint is (>= 0x20000 and <= 0x2A6DF) or (>= 0x2A700 and <= 0x2B73F) or (>= 0x2B740 and <= 0x2B81F)
            or (>= 0x2B920 and <= 0x2CEAF) or (>= 0x2F800 and <= 0x2FA1F);
}
