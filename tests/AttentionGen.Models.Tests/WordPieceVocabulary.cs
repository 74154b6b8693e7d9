namespace AttentionGen.Models.Tests;

/// <summary>
/// Enough of BERT's uncased WordPiece tokenizer to write test sentences as text: lower-case, split on whitespace and
/// ASCII punctuation, then greedy longest-match pieces (continuations spelled "##…"). It skips accent stripping and
/// CJK splitting, which the test sentences do not need.
/// </summary>
public sealed class WordPieceVocabulary
{
    private readonly Dictionary<string, int> _ids;

    private WordPieceVocabulary(Dictionary<string, int> ids) => _ids = ids;

    public int ClassifierId => _ids["[CLS]"];

    public int SeparatorId => _ids["[SEP]"];

    public int UnknownId => _ids["[UNK]"];

    /// <summary>Reads one token a line (the packaged file has CRLF line endings; either ending is accepted).</summary>
    public static WordPieceVocabulary Load(string path)
    {
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var lines = File.ReadAllText(path).Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            var token = lines[i].TrimEnd('\r');
            if (token.Length > 0 || i < lines.Length - 1)
            {
                ids.TryAdd(token, i);
            }
        }

        return new WordPieceVocabulary(ids);
    }

    public int Count => _ids.Count;

    public int this[string token] => _ids[token];

    /// <summary>[CLS] pieces… [SEP].</summary>
    public int[] Encode(string text)
    {
        var ids = new List<int> { ClassifierId };
        foreach (var word in Words(text.ToLowerInvariant()))
        {
            ids.AddRange(Pieces(word));
        }

        ids.Add(SeparatorId);
        return [.. ids];
    }

    private static IEnumerable<string> Words(string text)
    {
        var current = new System.Text.StringBuilder();
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c) || char.IsAsciiLetterOrDigit(c) is false && char.IsPunctuation(c))
            {
                if (current.Length > 0)
                {
                    yield return current.ToString();
                    current.Clear();
                }

                if (!char.IsWhiteSpace(c))
                {
                    yield return c.ToString();
                }
            }
            else
            {
                current.Append(c);
            }
        }

        if (current.Length > 0)
        {
            yield return current.ToString();
        }
    }

    private IEnumerable<int> Pieces(string word)
    {
        var pieces = new List<int>();
        for (int start = 0; start < word.Length;)
        {
            int end = word.Length;
            int id = -1;
            for (; end > start; end--)
            {
                var piece = (start == 0 ? "" : "##") + word[start..end];
                if (_ids.TryGetValue(piece, out id))
                {
                    break;
                }
            }

            if (end == start)
            {
                return [UnknownId];
            }

            pieces.Add(id);
            start = end;
        }

        return pieces;
    }
}
