using AttentionGen.Tests.Allocation;

namespace AttentionGen.Text.Tests.Embedding;

public sealed class SentenceEmbedderTests
{
    private static readonly string[] Texts =
    [
        "A man is playing a guitar.",
        "The stock market fell sharply on Monday.",
        "",
        "cats",
        "Quantum computers use qubits, which can be in superpositions of states; error correction remains the hard part.",
        "How do I reset my password?",
        "The quick brown fox jumps over the lazy dog while the farmer watches from the porch and the sun sets slowly behind the distant hills of the valley.",
        "Paris is the capital of France.",
        "I'd like two coffees, please!",
        "Rain is expected tomorrow afternoon.",
    ];

    private static WordPieceTokenizer Tokenizer => MiniLmVocab.Tokenizer;

    private static SentenceEmbedder CreateEmbedder() => new(Tokenizer, new TinyMiniLm(TinyMiniLm.RandomTestWeights));

    [Fact]
    public void Embed_gives_what_the_encoder_gives_on_the_tokenizers_ids()
    {
        var embedder = CreateEmbedder();
        var reference = new TinyMiniLm(TinyMiniLm.RandomTestWeights);
        var ids = new int[TinyMiniLm.MaxSeqLen];
        var expected = new float[TinyMiniLm.ModelDim];
        foreach (var text in Texts)
        {
            var count = Tokenizer.Encode(text, ids, TinyMiniLm.MaxSeqLen);
            reference.Encode(ids.AsSpan(0, count), expected);

            // The same kernels on the same ids: the same bits.
            Assert.Equal(expected, embedder.Embed(text));
        }
    }

    [Fact]
    public void Text_past_the_encoders_max_tokens_is_cut_there_keeping_sep()
    {
        var recording = new RecordingEncoder(maxTokens: 6);
        var embedder = new SentenceEmbedder(Tokenizer, recording);

        embedder.Embed("one two three four five six seven eight");

        var ids = Assert.Single(recording.EncodedIds);
        Assert.Equal(6, ids.Length);
        Assert.Equal(Tokenizer.ClsTokenId, ids[0]);
        Assert.Equal(Tokenizer.SepTokenId, ids[^1]);
        var untruncated = new int[16];
        var fullCount = Tokenizer.Encode("one two three four five six seven eight", untruncated, 16);
        Assert.Equal(10, fullCount);
        Assert.Equal(untruncated[..5], ids[..5]);
    }

    [Fact]
    public void Long_text_on_the_real_encoder_embeds_as_its_first_max_tokens()
    {
        var embedder = CreateEmbedder();
        var longText = Texts[6];
        var ids = new int[64];
        Assert.True(Tokenizer.Encode(longText, ids, 64) > TinyMiniLm.MaxSeqLen, "the text must reach truncation");

        var cut = Tokenizer.Encode(longText, ids, TinyMiniLm.MaxSeqLen);
        var expected = new float[TinyMiniLm.ModelDim];
        new TinyMiniLm(TinyMiniLm.RandomTestWeights).Encode(ids.AsSpan(0, cut), expected);

        Assert.Equal(expected, embedder.Embed(longText));
    }

    [Fact]
    public void Different_texts_embed_differently()
    {
        var embedder = CreateEmbedder();
        var first = embedder.Embed(Texts[0]);
        var second = embedder.Embed(Texts[1]);

        // Unit vectors: with random weights two sentences' cosine is far from 1, which is what the tolerances below rely on.
        Assert.Equal(1, Dot(first, first), 1e-5);
        Assert.True(Dot(first, second) < 0.999, $"cosine {Dot(first, second)}");
    }

    [Fact]
    public void Batch_equals_one_by_one_across_packs_and_encoder_groups()
    {
        var embedder = CreateEmbedder();
        // 60 texts of up to 24 tokens: more than one pack of 16 × 24 tokens, and many of the encoder's 64-token groups.
        var texts = Enumerable.Range(0, 60).Select(i => Texts[(i * 7) % Texts.Length] + (i % 3 == 0 ? $" number {i}" : "")).ToArray();

        var batch = embedder.EmbedBatch(texts);

        Assert.Equal(texts.Length * embedder.Dimension, batch.Length);
        for (var i = 0; i < texts.Length; i++)
        {
            var single = embedder.Embed(texts[i]);
            var row = batch.AsSpan(i * embedder.Dimension, embedder.Dimension);
            for (var d = 0; d < single.Length; d++)
            {
                Assert.True(Math.Abs(single[d] - row[d]) <= 1e-6f, $"text {i}, dimension {d}: {single[d]} one by one, {row[d]} in the batch");
            }
        }
    }

    [Fact]
    public void Batch_packs_the_tokenizers_ids_without_padding()
    {
        var recording = new RecordingEncoder(maxTokens: 8);
        var embedder = new SentenceEmbedder(Tokenizer, recording);
        // 200 texts of 2 to 8 tokens: the 16 × 8-token pack fills several times.
        var texts = Enumerable.Range(0, 200).Select(i => string.Join(' ', Enumerable.Repeat("word", i % 9))).ToArray();
        var embeddings = new float[texts.Length * recording.Dimension];

        embedder.EmbedBatch(texts, embeddings);

        Assert.True(recording.EncodedBatches.Count > 1);
        Assert.All(recording.EncodedBatches, call => Assert.True(call.TokenIds.Length <= 16 * 8));
        var packedIds = recording.EncodedBatches.SelectMany(call => call.TokenIds).ToArray();
        var packedLengths = recording.EncodedBatches.SelectMany(call => call.Lengths).ToArray();
        var ids = new int[8];
        var expectedIds = new List<int>();
        var expectedLengths = new List<int>();
        foreach (var text in texts)
        {
            var count = Tokenizer.Encode(text, ids, 8);
            expectedIds.AddRange(ids[..count]);
            expectedLengths.Add(count);
        }

        Assert.Equal(expectedIds, packedIds);
        Assert.Equal(expectedLengths, packedLengths);
        // Each row came back from the call that encoded its sentence, in order (the fake writes a row's length into it).
        Assert.Equal(expectedLengths.Select(length => (float)length), embeddings.Where((_, i) => i % recording.Dimension == 0));
    }

    [Fact]
    public void An_empty_batch_calls_nothing_and_writes_nothing()
    {
        var recording = new RecordingEncoder();
        var embedder = new SentenceEmbedder(Tokenizer, recording);
        var embeddings = new float[] { 7 };

        embedder.EmbedBatch([], embeddings);

        Assert.Empty(recording.EncodedBatches);
        Assert.Equal(7, embeddings[0]);
    }

    [Fact]
    public void Embed_and_batch_allocate_nothing_for_vocab_words()
    {
        var embedder = CreateEmbedder();
        var texts = Texts.Where(text => !text.Contains('\'', StringComparison.Ordinal)).ToArray();
        var embedding = new float[embedder.Dimension];
        var embeddings = new float[texts.Length * embedder.Dimension];

        void EmbedAll()
        {
            foreach (var text in texts)
            {
                embedder.Embed(text, embedding);
            }

            embedder.EmbedBatch(texts, embeddings);
        }

        AllocationAssert.NothingPerCall(EmbedAll, callsPerRound: 20, warmUpCalls: 1);
    }

    [Fact]
    public void Bad_arguments_are_refused_by_name_before_any_work()
    {
        var recording = new RecordingEncoder(maxTokens: 8, dimension: 3);
        var embedder = new SentenceEmbedder(Tokenizer, recording);

        Assert.Equal("tokenizer", Assert.Throws<ArgumentNullException>(() => new SentenceEmbedder(null!, recording)).ParamName);
        Assert.Equal("encoder", Assert.Throws<ArgumentNullException>(() => new SentenceEmbedder(Tokenizer, null!)).ParamName);
        var tooShortEncoder = Assert.Throws<ArgumentException>(() => new SentenceEmbedder(Tokenizer, new RecordingEncoder(maxTokens: 1)));
        Assert.Equal("encoder", tooShortEncoder.ParamName);
        Assert.Contains("[CLS] and [SEP]", tooShortEncoder.Message);
        var otherVocab = Assert.Throws<ArgumentException>(() => new SentenceEmbedder(Tokenizer, new RecordingEncoder(vocabularySize: 8192)));
        Assert.Equal("tokenizer", otherVocab.ParamName);
        Assert.Contains("ids up to 30521, but the encoder's embedding table has 8192 rows", otherVocab.Message);

        Assert.Equal("text", Assert.Throws<ArgumentNullException>(() => embedder.Embed(null!)).ParamName);
        var shortEmbedding = Assert.Throws<ArgumentException>(() => embedder.Embed("hello", new float[2]));
        Assert.Equal("embedding", shortEmbedding.ParamName);
        Assert.Contains("3", shortEmbedding.Message);

        Assert.Equal("texts", Assert.Throws<ArgumentNullException>(() => embedder.EmbedBatch(null!)).ParamName);
        var nullText = Assert.Throws<ArgumentNullException>(() => embedder.EmbedBatch(["a", "b", null!], new float[9]));
        Assert.Equal("texts", nullText.ParamName);
        Assert.Contains("texts[2]", nullText.Message);
        var shortEmbeddings = Assert.Throws<ArgumentException>(() => embedder.EmbedBatch(["a", "b", "c"], new float[8]));
        Assert.Equal("embeddings", shortEmbeddings.ParamName);
        Assert.Contains("9", shortEmbeddings.Message);

        Assert.Empty(recording.EncodedIds);
        Assert.Empty(recording.EncodedBatches);
    }

    [Fact]
    public async Task A_second_thread_entering_a_busy_embedder_is_refused()
    {
        var blocking = new BlockingEncoder();
        var embedder = new SentenceEmbedder(Tokenizer, blocking);
        var first = Task.Run(() => embedder.Embed("first"));
        Assert.True(blocking.Entered.Wait(TimeSpan.FromSeconds(30)));
        try
        {
            var busy = Assert.Throws<InvalidOperationException>(() => embedder.Embed("second"));
            Assert.Contains(nameof(SentenceEmbedder), busy.Message);
            Assert.Throws<InvalidOperationException>(() => embedder.EmbedBatch(["second"]));
        }
        finally
        {
            blocking.Release.Set();
        }

        await first;
        // Free again once the first call is over.
        Assert.Equal(2, embedder.Embed("third").Length);
    }

    private static double Dot(float[] a, float[] b)
    {
        double sum = 0;
        for (var i = 0; i < a.Length; i++)
        {
            sum += (double)a[i] * b[i];
        }

        return sum;
    }
}
