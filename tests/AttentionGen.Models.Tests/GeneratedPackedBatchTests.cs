using AttentionGen.Models.Tests.Ort;
using Xunit.Abstractions;

namespace AttentionGen.Models.Tests;

/// <summary>
/// Packed batches (sentences concatenated, no padding) against ONNX Runtime's padded batch of the same sentences, row
/// by row: the 1024-token <see cref="MiniLm"/> runs this batch in two groups, <see cref="MiniLmInGroups"/> in many.
/// </summary>
[Collection(MiniLmCollection.Name)]
public class GeneratedPackedBatchTests(MiniLmFixture model, ITestOutputHelper output)
{
    private static OrtBatchOutput? _expected;
    private static int[][]? _sequences;

    /// <summary>
    /// The sentences with passages of every checked length among them, so groups end on both short and full-length
    /// sentences: over 1,300 tokens, and one ORT batch padded to 256.
    /// </summary>
    private int[][] Sequences => LazyInitializer.EnsureInitialized(ref _sequences, () =>
    {
        var sentences = MiniLmTexts.Sentences.Select(s => MiniLmTexts.Tokenize(model.Tokenizer, s)).ToList();
        var passages = MiniLmTexts.Lengths.Select(n => MiniLmTexts.OfLength(model.Tokenizer, n)).ToList();
        var sequences = new List<int[]>();
        for (int i = 0; i < Math.Max(sentences.Count, passages.Count); i++)
        {
            if (i < sentences.Count)
            {
                sequences.Add(sentences[i]);
            }

            // Longest passages first among the short sentences, so several groups hold one nearly full sentence.
            if (i < passages.Count)
            {
                sequences.Add(passages[passages.Count - 1 - i]);
            }
        }

        return [.. sequences];
    });

    private OrtBatchOutput Expected => LazyInitializer.EnsureInitialized(ref _expected, () => model.Ort.Run(Sequences));

    [Fact]
    public void The_batch_is_larger_than_either_encoder_runs_at_once()
    {
        int tokens = Sequences.Sum(s => s.Length);
        output.WriteLine($"{Sequences.Length} sentences, {tokens} tokens");
        Assert.True(tokens > MiniLm.MaxBatchTokens);
        Assert.True(tokens > 4 * MiniLmInGroups.MaxBatchTokens);
        Assert.Contains(Sequences, s => s.Length == MiniLm.MaxSeqLen);
    }

    [Fact]
    public void EncodeBatch_matches_ORTs_padded_batch_sentence_by_sentence()
    {
        var embeddings = new float[Sequences.Length * MiniLm.ModelDim];
        new MiniLm(model.Weights).EncodeBatch(Sequences.SelectMany(s => s).ToArray(), Sequences.Select(s => s.Length).ToArray(), embeddings);
        AssertEmbeddingsMatch(embeddings, nameof(MiniLm));
    }

    [Fact]
    public void EncodeBatch_in_groups_of_256_tokens_matches_ORTs_padded_batch_sentence_by_sentence()
    {
        var embeddings = new float[Sequences.Length * MiniLmInGroups.ModelDim];
        new MiniLmInGroups(model.WeightsInGroups).EncodeBatch(Sequences.SelectMany(s => s).ToArray(), Sequences.Select(s => s.Length).ToArray(), embeddings);
        AssertEmbeddingsMatch(embeddings, nameof(MiniLmInGroups));
    }

    [Fact]
    public void Forward_per_sentence_matches_ORTs_padded_batch_row_by_row()
    {
        var encoder = new MiniLm(model.Weights);
        var hidden = new float[MiniLm.MaxSeqLen * MiniLm.ModelDim];
        double worst = 0;
        for (int b = 0; b < Sequences.Length; b++)
        {
            int rows = Sequences[b].Length * MiniLm.ModelDim;
            encoder.Forward(Sequences[b], hidden);
            var error = GeneratedHiddenStateTests.RelativeError(hidden.AsSpan(0, rows), Expected.Sequence(b)[..rows]);
            worst = Math.Max(worst, error);
            Assert.True(error <= GeneratedTolerance.RelativeToMax, $"sentence {b} ({Sequences[b].Length} tokens): {error:E2}");
        }

        output.WriteLine($"hidden states, max over {Sequences.Length} sentences: {worst:E2}");
    }

    [Fact]
    public void The_same_sentence_gets_the_same_embedding_alone_and_in_any_group()
    {
        // Within a group, a sentence must not see its neighbours: compare each against the sentence encoded alone, far
        // tighter than against ORT.
        var encoder = new MiniLmInGroups(model.WeightsInGroups);
        var batched = new float[Sequences.Length * MiniLmInGroups.ModelDim];
        encoder.EncodeBatch(Sequences.SelectMany(s => s).ToArray(), Sequences.Select(s => s.Length).ToArray(), batched);
        var alone = new float[MiniLmInGroups.ModelDim];
        double worst = 0;
        for (int b = 0; b < Sequences.Length; b++)
        {
            encoder.Encode(Sequences[b], alone);
            var row = batched.AsSpan(b * MiniLmInGroups.ModelDim, MiniLmInGroups.ModelDim);
            for (int j = 0; j < alone.Length; j++)
            {
                worst = Math.Max(worst, Math.Abs(row[j] - alone[j]));
            }
        }

        output.WriteLine($"max |batched − alone| = {worst:E2}");
        Assert.InRange(worst, 0, 1e-6);
    }

    private void AssertEmbeddingsMatch(float[] embeddings, string encoderName)
    {
        double worstError = 0, leastCosine = 1;
        for (int b = 0; b < Sequences.Length; b++)
        {
            var actual = embeddings.AsSpan(b * MiniLm.ModelDim, MiniLm.ModelDim);
            var expected = Expected.SentenceEmbedding(b);
            var error = GeneratedHiddenStateTests.RelativeError(actual, expected);
            var cosine = TensorComparison.Cosine(actual, expected);
            worstError = Math.Max(worstError, error);
            leastCosine = Math.Min(leastCosine, cosine);
            Assert.True(error <= GeneratedTolerance.RelativeToMax, $"{encoderName}, sentence {b} ({Sequences[b].Length} tokens): {error:E2}");
            Assert.True(cosine >= GeneratedTolerance.Cosine, $"{encoderName}, sentence {b} ({Sequences[b].Length} tokens): cosine {cosine}");
        }

        output.WriteLine($"{encoderName}: {Sequences.Length} embeddings, max error {worstError:E2}, least cosine {leastCosine:F9} (1 − cos = {1 - leastCosine:E1})");
    }
}
