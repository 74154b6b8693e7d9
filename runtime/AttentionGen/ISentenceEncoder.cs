namespace AttentionGen;

/// <summary>
/// A model that turns token ids into a sentence embedding: every <c>[TransformerEncoder]</c> with pooling implements it,
/// so code such as a text embedder can work with any of them.
/// </summary>
/// <remarks>An instance is for one thread at a time, like every generated layer.</remarks>
public interface ISentenceEncoder
{
    /// <summary>Floats in one embedding.</summary>
    int Dimension { get; }

    /// <summary>Most tokens one sentence may have, [CLS] and [SEP] included.</summary>
    int MaxTokens { get; }

    /// <summary>Rows of the token embedding table: every token id must be below it.</summary>
    int VocabularySize { get; }

    /// <summary>The embedding [<see cref="Dimension"/>] of one sentence's token ids. Allocates nothing.</summary>
    void Encode(ReadOnlySpan<int> tokenIds, Span<float> embedding);

    /// <summary>
    /// The embeddings [sentences, <see cref="Dimension"/>] of a packed batch: the sentences' token ids concatenated with
    /// no padding, <paramref name="lengths"/>[i] tokens each. Allocates nothing.
    /// </summary>
    void EncodeBatch(ReadOnlySpan<int> tokenIds, ReadOnlySpan<int> lengths, Span<float> embeddings);
}
