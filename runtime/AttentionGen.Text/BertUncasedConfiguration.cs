using System.Text.Json;

namespace AttentionGen.Text;

/// <summary>
/// Turns a BERT vocab.txt into the tokenizer.json document that Hugging Face writes for an uncased BERT model (the one
/// all-MiniLM-L6-v2 ships), so FastBertTokenizer loads the whole configuration rather than the defaults of its vocab.txt
/// loader, which leaves out [MASK] as a special token.
/// </summary>
internal static class BertUncasedConfiguration
{
    internal const string Unknown = "[UNK]";
    internal const string Classifier = "[CLS]";
    internal const string Separator = "[SEP]";
    internal const string Padding = "[PAD]";
    internal const string Mask = "[MASK]";
    internal const string ContinuingSubwordPrefix = "##";

    /// <summary>Token → id, the id being the line's index (blank lines keep their index, as Hugging Face reads it).</summary>
    /// <exception cref="InvalidDataException">The vocab is empty, lacks [UNK], [CLS], [SEP] or [PAD], or is cased.</exception>
    internal static Dictionary<string, int> ReadVocab(TextReader vocabTxt)
    {
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        var lineIndex = 0;
        // ReadLine ends a line at \n, \r\n or \r, so a vocab written on Windows (CRLF) reads the same.
        while (vocabTxt.ReadLine() is { } line)
        {
            // Trailing whitespace is dropped, as Hugging Face's WordPiece reader drops it.
            var token = line.TrimEnd();
            if (token.Length > 0)
            {
                vocab[token] = lineIndex;
            }

            lineIndex++;
        }

        if (vocab.Count == 0)
        {
            throw new InvalidDataException("The vocab holds no tokens; expected one token per line (a BERT vocab.txt).");
        }

        foreach (var required in (ReadOnlySpan<string>)[Unknown, Classifier, Separator, Padding])
        {
            if (!vocab.ContainsKey(required))
            {
                throw new InvalidDataException(
                    $"The vocab has no {required} line; a BERT WordPiece vocab needs [UNK], [CLS], [SEP] and [PAD].");
            }
        }

        RefuseCased(vocab);
        return vocab;
    }

    /// <summary>
    /// An uncased vocab has no capital letters outside its bracketed tokens ([CLS], [unused0], …): its model learned from
    /// lowercased text. A cased one (bert-base-cased: "The", "##A", …) would otherwise load without complaint, and since
    /// this tokenizer lowercases its input, none of its capitalized tokens could ever be produced: wrong ids, and wrong
    /// embeddings, with nothing to say so. A few capitals (up to 1% of the tokens) are let through.
    /// </summary>
    private static void RefuseCased(Dictionary<string, int> vocab)
    {
        var capitalized = 0;
        string? example = null;
        foreach (var token in vocab.Keys)
        {
            if (!(token.StartsWith('[') && token.EndsWith(']')) && token.Any(char.IsUpper))
            {
                capitalized++;
                example ??= token;
            }
        }

        if (capitalized > vocab.Count / 100)
        {
            throw new InvalidDataException(
                $"The vocab looks cased: {capitalized} of its {vocab.Count} tokens have capital letters (such as '{example}'). " +
                "WordPieceTokenizer lowercases its input, as uncased BERT models such as all-MiniLM-L6-v2 expect, so it could " +
                "never produce those tokens; a cased model needs a tokenizer that keeps case.");
        }
    }

    internal static MemoryStream WriteTokenizerJson(Dictionary<string, int> vocab)
    {
        var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteString("version", "1.0");

            // Special tokens are matched verbatim in the input ("normalized": false): "[MASK]" is one token, "[mask]" is
            // three.
            json.WriteStartArray("added_tokens");
            foreach (var special in (ReadOnlySpan<string>)[Padding, Unknown, Classifier, Separator, Mask])
            {
                if (vocab.TryGetValue(special, out var id))
                {
                    json.WriteStartObject();
                    json.WriteNumber("id", id);
                    json.WriteString("content", special);
                    json.WriteBoolean("single_word", false);
                    json.WriteBoolean("lstrip", false);
                    json.WriteBoolean("rstrip", false);
                    json.WriteBoolean("normalized", false);
                    json.WriteBoolean("special", true);
                    json.WriteEndObject();
                }
            }

            json.WriteEndArray();

            // Uncased BERT: control characters removed, CJK ideographs split apart, lowercase, and accents stripped
            // (strip_accents unset follows lowercase).
            json.WriteStartObject("normalizer");
            json.WriteString("type", "BertNormalizer");
            json.WriteBoolean("clean_text", true);
            json.WriteBoolean("handle_chinese_chars", true);
            json.WriteNull("strip_accents");
            json.WriteBoolean("lowercase", true);
            json.WriteEndObject();

            json.WriteStartObject("pre_tokenizer");
            json.WriteString("type", "BertPreTokenizer");
            json.WriteEndObject();

            json.WriteStartObject("post_processor");
            json.WriteString("type", "TemplateProcessing");
            json.WriteStartObject("special_tokens");
            foreach (var special in (ReadOnlySpan<string>)[Classifier, Separator])
            {
                json.WriteStartObject(special);
                json.WriteString("id", special);
                json.WriteStartArray("ids");
                json.WriteNumberValue(vocab[special]);
                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndObject();
            json.WriteEndObject();

            json.WriteStartObject("decoder");
            json.WriteString("type", "WordPiece");
            json.WriteString("prefix", ContinuingSubwordPrefix);
            json.WriteBoolean("cleanup", true);
            json.WriteEndObject();

            json.WriteStartObject("model");
            json.WriteString("type", "WordPiece");
            json.WriteString("unk_token", Unknown);
            json.WriteString("continuing_subword_prefix", ContinuingSubwordPrefix);
            json.WriteNumber("max_input_chars_per_word", WordPieceTokenizer.MaxCharsPerWord);
            json.WriteStartObject("vocab");
            foreach (var (token, id) in vocab)
            {
                json.WriteNumber(token, id);
            }

            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndObject();
        }

        stream.Position = 0;
        return stream;
    }
}
