using AttentionGen.Kernels;

namespace AttentionGen.Text;

/// <summary>
/// Text → sentence embedding: a <see cref="WordPieceTokenizer"/> in front of any <see cref="ISentenceEncoder"/> (every
/// pooled <c>[TransformerEncoder]</c> is one). Text longer than the encoder's <see cref="ISentenceEncoder.MaxTokens"/>
/// is cut there and still ends with [SEP], as sentence-transformers cuts it.
/// </summary>
/// <remarks>
/// <para>
/// An instance is for one thread at a time, like the encoder it wraps: it owns the buffers the token ids are written
/// to, so a second thread entering a busy instance gets an <see cref="InvalidOperationException"/> rather than another
/// call's ids. Give each thread its own embedder over its own encoder; the tokenizer and the encoder's weights can be
/// shared by all of them.
/// </para>
/// <para>
/// The buffers are made once, in the constructor, so <see cref="Embed(string, Span{float})"/> and
/// <see cref="EmbedBatch(IReadOnlyList{string}, Span{float})"/> allocate nothing beyond what the tokenizer allocates
/// (nothing for text whose words are all in the vocab; see <see cref="WordPieceTokenizer"/>).
/// </para>
/// </remarks>
public sealed class SentenceEmbedder
{
    // A batch is packed into this many encoders' worth of tokens per EncodeBatch call: enough that short sentences fill
    // the encoder's groups, bounded so a batch of any size needs no more memory than this.
    private const int PackedSentencesOfMaxLength = 16;

    private readonly int[] _tokenIds;
    private readonly int[] _packedTokenIds;
    private readonly int[] _packedLengths;

    // Held while a call runs: the token buffers are this instance's, as the encoder's scratch is the encoder's.
    private ExclusiveUse _exclusiveUse;

    /// <summary>Creates an embedder that tokenizes with <paramref name="tokenizer"/> and encodes with <paramref name="encoder"/>.</summary>
    /// <param name="tokenizer">The tokenizer for the vocab the encoder was trained with; immutable, so it may be shared.</param>
    /// <param name="encoder">The encoder; this embedder calls it, so it must not be used by another thread meanwhile.</param>
    /// <exception cref="ArgumentNullException"><paramref name="tokenizer"/> or <paramref name="encoder"/> is null.</exception>
    /// <exception cref="ArgumentException">
    /// The encoder takes fewer than 2 tokens (no room for [CLS] and [SEP]), its dimension is not positive, or the
    /// tokenizer's vocab has ids past the encoder's embedding table (the two are for different models).
    /// </exception>
    public SentenceEmbedder(WordPieceTokenizer tokenizer, ISentenceEncoder encoder)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(encoder);
        if (encoder.MaxTokens < 2)
        {
            throw new ArgumentException(
                $"The encoder takes at most {encoder.MaxTokens} tokens; a sentence needs at least 2 ([CLS] and [SEP]).",
                nameof(encoder));
        }

        if (encoder.Dimension < 1)
        {
            throw new ArgumentException($"The encoder's dimension is {encoder.Dimension}; it must be positive.", nameof(encoder));
        }

        // Checked here rather than met at the first text that uses such an id, part-way through a batch.
        if (tokenizer.VocabularySize > encoder.VocabularySize)
        {
            throw new ArgumentException(
                $"The tokenizer's vocab has ids up to {tokenizer.VocabularySize - 1}, but the encoder's embedding table has {encoder.VocabularySize} rows: " +
                "the vocab is not the one the model was trained with.",
                nameof(tokenizer));
        }

        Tokenizer = tokenizer;
        Encoder = encoder;
        MaxTokens = encoder.MaxTokens;
        Dimension = encoder.Dimension;
        _tokenIds = new int[MaxTokens];
        _packedTokenIds = new int[checked(MaxTokens * PackedSentencesOfMaxLength)];
        // Every sentence has at least [CLS] and [SEP], so a full buffer holds at most half as many sentences as tokens.
        _packedLengths = new int[_packedTokenIds.Length / 2];
    }

    /// <summary>The tokenizer.</summary>
    public WordPieceTokenizer Tokenizer { get; }

    /// <summary>The encoder.</summary>
    public ISentenceEncoder Encoder { get; }

    /// <summary>Floats in one embedding: the encoder's <see cref="ISentenceEncoder.Dimension"/>.</summary>
    public int Dimension { get; }

    /// <summary>
    /// The most tokens a text is encoded with, [CLS] and [SEP] included: the encoder's
    /// <see cref="ISentenceEncoder.MaxTokens"/>. Longer text is cut to this.
    /// </summary>
    public int MaxTokens { get; }

    /// <summary>Writes the embedding of <paramref name="text"/> to <paramref name="embedding"/>.</summary>
    /// <param name="text">The text; cut at <see cref="MaxTokens"/> tokens. Empty text embeds <c>[CLS] [SEP]</c>.</param>
    /// <param name="embedding">Receives the embedding; must hold at least <see cref="Dimension"/> floats.</param>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="embedding"/> is shorter than <see cref="Dimension"/>.</exception>
    /// <exception cref="InvalidOperationException">Another thread is running a call on this instance.</exception>
    public void Embed(string text, Span<float> embedding)
    {
        ArgumentNullException.ThrowIfNull(text);
        CheckDestination(embedding.Length, Dimension, nameof(embedding), nameof(Dimension));
        using var busy = _exclusiveUse.Enter(this);
        var tokens = Tokenizer.Encode(text, _tokenIds, MaxTokens);
        Encoder.Encode(_tokenIds.AsSpan(0, tokens), embedding[..Dimension]);
    }

    /// <summary>The embedding of <paramref name="text"/>, in a new array of <see cref="Dimension"/> floats.</summary>
    /// <inheritdoc cref="Embed(string, Span{float})"/>
    public float[] Embed(string text)
    {
        var embedding = new float[Dimension];
        Embed(text, embedding);
        return embedding;
    }

    /// <summary>
    /// Writes the embeddings of <paramref name="texts"/> to <paramref name="embeddings"/>, row <c>i</c> (of
    /// <see cref="Dimension"/> floats) for <c>texts[i]</c>. The sentences are packed with no padding and encoded
    /// together by <see cref="ISentenceEncoder.EncodeBatch"/>, many per call; each row is the one
    /// <see cref="Embed(string, Span{float})"/> gives, up to rounding.
    /// </summary>
    /// <param name="texts">The texts, none null; each is cut at <see cref="MaxTokens"/> tokens. None gives no rows.</param>
    /// <param name="embeddings">Receives the rows; must hold at least <c>texts.Count × Dimension</c> floats.</param>
    /// <exception cref="ArgumentNullException"><paramref name="texts"/> or one of them is null (the message gives its index).</exception>
    /// <exception cref="ArgumentException"><paramref name="embeddings"/> is too short.</exception>
    /// <exception cref="InvalidOperationException">Another thread is running a call on this instance.</exception>
    public void EmbedBatch(IReadOnlyList<string> texts, Span<float> embeddings)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var count = texts.Count;
        for (var i = 0; i < count; i++)
        {
            if (texts[i] is null)
            {
                throw new ArgumentNullException(nameof(texts), $"texts[{i}] is null.");
            }
        }

        CheckDestination(embeddings.Length, (long)count * Dimension, nameof(embeddings), $"{nameof(texts)}.Count × {nameof(Dimension)}");
        using var busy = _exclusiveUse.Enter(this);
        var firstSentence = 0;
        var packedTokens = 0;
        var packedSentences = 0;
        for (var i = 0; i < count; i++)
        {
            // Each text is written straight into the packed buffer; when the next might not fit, the pack is encoded first.
            if (_packedTokenIds.Length - packedTokens < MaxTokens)
            {
                EncodePacked(packedTokens, packedSentences, embeddings.Slice(firstSentence * Dimension, packedSentences * Dimension));
                firstSentence = i;
                packedTokens = 0;
                packedSentences = 0;
            }

            var tokens = Tokenizer.Encode(texts[i], _packedTokenIds.AsSpan(packedTokens, MaxTokens), MaxTokens);
            _packedLengths[packedSentences++] = tokens;
            packedTokens += tokens;
        }

        if (packedSentences > 0)
        {
            EncodePacked(packedTokens, packedSentences, embeddings.Slice(firstSentence * Dimension, packedSentences * Dimension));
        }
    }

    /// <summary>The embeddings of <paramref name="texts"/>, row-major in a new array of <c>texts.Count × Dimension</c> floats.</summary>
    /// <inheritdoc cref="EmbedBatch(IReadOnlyList{string}, Span{float})"/>
    public float[] EmbedBatch(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var embeddings = new float[checked(texts.Count * Dimension)];
        EmbedBatch(texts, embeddings);
        return embeddings;
    }

    private void EncodePacked(int tokens, int sentences, Span<float> embeddings) =>
        Encoder.EncodeBatch(_packedTokenIds.AsSpan(0, tokens), _packedLengths.AsSpan(0, sentences), embeddings);

    private static void CheckDestination(long length, long required, string paramName, string requiredName)
    {
        if (length < required)
        {
            throw new ArgumentException(
                $"{paramName} holds {length} floats but must hold at least {requiredName} = {required}.", paramName);
        }
    }
}
