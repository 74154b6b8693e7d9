using System.Text;

namespace AttentionGen.Text.Tests;

public sealed class ArgumentTests
{
    private static WordPieceTokenizer Tokenizer => MiniLmVocab.Tokenizer;

    [Fact]
    public void Null_text_is_refused_by_name()
    {
        var ids = new int[16];
        var types = new int[16];

        Assert.Equal("text", Assert.Throws<ArgumentNullException>(() => Tokenizer.Encode((string)null!, ids, 16)).ParamName);
        Assert.Equal("first", Assert.Throws<ArgumentNullException>(() => Tokenizer.EncodePair(null!, "b", ids, types, 16)).ParamName);
        Assert.Equal("second", Assert.Throws<ArgumentNullException>(() => Tokenizer.EncodePair("a", null!, ids, types, 16)).ParamName);
        var nullInBatch = Assert.Throws<ArgumentNullException>(() => Tokenizer.EncodeBatch(["a", null!, "c"], new int[48], new int[3], 16));
        Assert.Equal("texts", nullInBatch.ParamName);
        Assert.Contains("texts[1]", nullInBatch.Message);
    }

    [Fact]
    public void Destination_shorter_than_max_tokens_is_refused_before_any_work()
    {
        var tooShort = Assert.Throws<ArgumentException>(() => Tokenizer.Encode("hello", new int[15], 16));
        Assert.Equal("tokenIds", tooShort.ParamName);
        Assert.Contains("15", tooShort.Message);
        Assert.Contains("16", tooShort.Message);

        Assert.Equal("tokenIds", Assert.Throws<ArgumentException>(() => Tokenizer.Encode("hello".AsSpan(), new int[3], 4)).ParamName);
        Assert.Equal("tokenIds", Assert.Throws<ArgumentException>(() => Tokenizer.EncodePair("a", "b", new int[8], new int[9], 9)).ParamName);
        Assert.Equal("tokenTypeIds", Assert.Throws<ArgumentException>(() => Tokenizer.EncodePair("a", "b", new int[9], new int[8], 9)).ParamName);
        Assert.Equal("tokenIds", Assert.Throws<ArgumentException>(() => Tokenizer.EncodeBatch(["a", "b"], new int[31], new int[2], 16)).ParamName);
        Assert.Equal("tokenCounts", Assert.Throws<ArgumentException>(() => Tokenizer.EncodeBatch(["a", "b"], new int[32], new int[1], 16)).ParamName);
    }

    [Fact]
    public void Overlapping_destinations_are_refused_before_either_is_written()
    {
        // Unchecked, the type ids (or the counts) silently overwrote the ids they shared memory with.
        var buffer = Enumerable.Repeat(-7, 64).ToArray();
        var pair = Assert.Throws<ArgumentException>(() => Tokenizer.EncodePair("what is this", "a test", buffer, buffer.AsSpan(8), 16));
        Assert.Equal("tokenTypeIds", pair.ParamName);
        Assert.Contains("overlaps tokenIds", pair.Message);
        var batch = Assert.Throws<ArgumentException>(() => Tokenizer.EncodeBatch(["hello world", "a test"], buffer, buffer.AsSpan(31, 2), 16));
        Assert.Equal("tokenCounts", batch.ParamName);
        Assert.All(buffer, id => Assert.Equal(-7, id));

        // Past the part a call writes, the spans may share an array.
        var ids = new int[16];
        Assert.Equal(8, Tokenizer.EncodePair("what is this", "a test", buffer.AsSpan(0, 16), buffer.AsSpan(16, 16), 16));
        Assert.Equal(8, Tokenizer.EncodePair("what is this", "a test", ids, new int[16], 16));
        Assert.Equal(ids.AsSpan(0, 8).ToArray(), buffer[..8]);
        var counts = new int[2];
        int rowLength = Tokenizer.EncodeBatch(["hello world", "a test"], new int[32], counts, 16);
        Assert.Equal(rowLength, Tokenizer.EncodeBatch(["hello world", "a test"], buffer.AsSpan(0, 32), buffer.AsSpan(32, 2), 16));
        Assert.Equal(counts, buffer[32..34]);
    }

    [Fact]
    public void Max_tokens_without_room_for_the_special_tokens_is_refused()
    {
        Assert.Equal("maxTokens", Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.Encode("a", new int[8], 1)).ParamName);
        Assert.Equal("maxTokens", Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.EncodePair("a", "b", new int[8], new int[8], 2)).ParamName);
        Assert.Equal("maxTokens", Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.EncodeBatch(["a"], new int[8], new int[1], 0)).ParamName);

        // The smallest limits leave only the special tokens.
        var ids = new int[3];
        var types = new int[3];
        Assert.Equal(2, Tokenizer.Encode("hello world", ids, 2));
        Assert.Equal([Tokenizer.ClsTokenId, Tokenizer.SepTokenId], ids[..2]);
        Assert.Equal(3, Tokenizer.EncodePair("hello", "world", ids, types, 3));
        Assert.Equal([Tokenizer.ClsTokenId, Tokenizer.SepTokenId, Tokenizer.SepTokenId], ids);
        Assert.Equal([0, 0, 1], types);
    }

    [Fact]
    public void A_vocab_without_the_special_tokens_is_refused_naming_the_missing_one()
    {
        var missingCls = Assert.Throws<InvalidDataException>(() =>
            WordPieceTokenizer.FromVocab(new StringReader("[PAD]\n[UNK]\n[SEP]\nhello\n")));
        Assert.Contains("[CLS]", missingCls.Message);

        Assert.Throws<InvalidDataException>(() => WordPieceTokenizer.FromVocab(new StringReader("\n\n")));
        Assert.Throws<ArgumentNullException>(() => WordPieceTokenizer.FromVocab((Stream)null!));
        Assert.Throws<ArgumentNullException>(() => WordPieceTokenizer.FromVocab((TextReader)null!));
        Assert.Throws<FileNotFoundException>(() => WordPieceTokenizer.FromVocabFile(Path.Combine(Path.GetTempPath(), Guid.NewGuid() + ".txt")));
    }

    [Fact]
    public void A_cased_vocab_is_refused_rather_than_tokenized_as_if_uncased()
    {
        // A cased vocab's capitalized tokens can never come out of a tokenizer that lowercases its input.
        var cased = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nThe\nthe\n##A\nParis\nhello\n";
        var refused = Assert.Throws<InvalidDataException>(() => WordPieceTokenizer.FromVocab(new StringReader(cased)));
        Assert.Contains("cased", refused.Message);
        Assert.Contains("'The'", refused.Message);

        // Capitals only inside bracketed tokens ([CLS], [unused0], …) are what an uncased vocab has; one stray token in a
        // hundred is let through.
        var uncased = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n[unused0]\n" + string.Join('\n', Enumerable.Range(0, 200).Select(i => $"word{i}")) + "\nÉcole\n";
        var tokenizer = WordPieceTokenizer.FromVocab(new StringReader(uncased));
        Span<int> ids = stackalloc int[8];
        Assert.Equal(3, tokenizer.Encode("word7", ids, 8));
        Assert.Equal(6 + 7, ids[1]);
    }

    [Fact]
    public void CRLF_and_LF_vocabs_give_the_same_ids_whichever_way_they_are_read()
    {
        using var packaged = MiniLmVocab.OpenStream();
        var crlf = new StreamReader(packaged).ReadToEnd();
        Assert.Contains("\r\n", crlf);
        var lf = crlf.Replace("\r\n", "\n", StringComparison.Ordinal);
        var path = Path.Combine(Path.GetTempPath(), $"attentiongen-vocab-{Guid.NewGuid()}.txt");
        File.WriteAllText(path, lf, new UTF8Encoding(false));
        try
        {
            WordPieceTokenizer[] tokenizers =
            [
                WordPieceTokenizer.FromVocab(new StringReader(lf)),
                WordPieceTokenizer.FromVocab(new MemoryStream(Encoding.UTF8.GetBytes(lf))),
                WordPieceTokenizer.FromVocabFile(path),
                MiniLmVocab.Tokenizer,
            ];
            const string text = "Déjà vu: [MASK] tokenization of 東京 costs $5.";
            var expected = new int[64];
            var expectedCount = MiniLmVocab.Tokenizer.Encode(text, expected, 64);
            foreach (var tokenizer in tokenizers)
            {
                Assert.Equal(30522, tokenizer.VocabularySize);
                Assert.Equal((101, 102, 0, 100), (tokenizer.ClsTokenId, tokenizer.SepTokenId, tokenizer.PadTokenId, tokenizer.UnknownTokenId));
                var ids = new int[64];
                var count = tokenizer.Encode(text, ids, 64);
                Assert.Equal(expected[..expectedCount], ids[..count]);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }
}
