namespace AttentionGen.Text.Tests.Embedding;

/// <summary>Records every call and writes each sentence's token count into its row, so tests can see what was packed.</summary>
internal sealed class RecordingEncoder(int maxTokens = 8, int dimension = 3, int vocabularySize = 30522) : ISentenceEncoder
{
    public int Dimension => dimension;

    public int MaxTokens => maxTokens;

    public int VocabularySize => vocabularySize;

    public List<int[]> EncodedIds { get; } = [];

    public List<(int[] TokenIds, int[] Lengths)> EncodedBatches { get; } = [];

    public void Encode(ReadOnlySpan<int> tokenIds, Span<float> embedding)
    {
        EncodedIds.Add(tokenIds.ToArray());
        embedding[..dimension].Fill(tokenIds.Length);
    }

    public void EncodeBatch(ReadOnlySpan<int> tokenIds, ReadOnlySpan<int> lengths, Span<float> embeddings)
    {
        EncodedBatches.Add((tokenIds.ToArray(), lengths.ToArray()));
        for (var i = 0; i < lengths.Length; i++)
        {
            embeddings.Slice(i * dimension, dimension).Fill(lengths[i]);
        }
    }
}

/// <summary>Holds its first <see cref="Encode"/> until released, so a test can call the embedder while it is busy.</summary>
internal sealed class BlockingEncoder : ISentenceEncoder
{
    public ManualResetEventSlim Entered { get; } = new();

    public ManualResetEventSlim Release { get; } = new();

    public int Dimension => 2;

    public int MaxTokens => 8;

    public int VocabularySize => 30522;

    public void Encode(ReadOnlySpan<int> tokenIds, Span<float> embedding)
    {
        Entered.Set();
        Release.Wait(TimeSpan.FromSeconds(30));
    }

    public void EncodeBatch(ReadOnlySpan<int> tokenIds, ReadOnlySpan<int> lengths, Span<float> embeddings) =>
        throw new NotSupportedException();
}
