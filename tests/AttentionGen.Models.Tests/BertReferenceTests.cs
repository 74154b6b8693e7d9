using AttentionGen.Models.Tests.Ort;
using AttentionGen.Models.Tests.Reference;
using Xunit.Abstractions;

namespace AttentionGen.Models.Tests;

/// <summary>The float64 reference forward on the converted weights against ONNX Runtime on the original export.</summary>
[Collection(MiniLmCollection.Name)]
public class BertReferenceTests(MiniLmFixture model, ITestOutputHelper output)
{
    /// <summary>
    /// float32 ORT against float64, relative to the largest output. Measured: 2.4e-7 to 3.1e-7; the tanh GELU in place
    /// of erf gives 4e-4 to 5e-4, so this bound tells the two apart with room on both sides.
    /// </summary>
    private const double Tolerance = 1e-5;

    public static TheoryData<string> Sentences =>
    [
        "hello",
        "The quick brown fox jumps over the lazy dog.",
        "Attention is all you need, they said; transformers replaced recurrent networks almost everywhere.",
    ];

    [Theory]
    [MemberData(nameof(Sentences))]
    public void Last_hidden_state_matches_ORT(string sentence)
    {
        var ids = model.Vocabulary.Encode(sentence);
        Assert.DoesNotContain(model.Vocabulary.UnknownId, ids);
        var expected = model.Reference.Forward(ids);
        var actual = model.Ort.LastHiddenState(ids);
        var error = TensorComparison.RelativeToMax(actual, expected);
        output.WriteLine($"{ids.Length} tokens: max |ORT − reference| / max |reference| = {error:E2}");
        Assert.InRange(error, 0, Tolerance);
    }

    [Fact]
    public void Sentence_pair_with_token_types_matches_ORT()
    {
        var first = model.Vocabulary.Encode("where is the station?");
        var second = model.Vocabulary.Encode("the station is next to the river.")[1..]; // [CLS] a [SEP] b [SEP]
        int[] ids = [.. first, .. second];
        int[] types = [.. first.Select(_ => 0), .. second.Select(_ => 1)];
        var expected = model.Reference.Forward(ids, types);
        Assert.InRange(TensorComparison.RelativeToMax(model.Ort.LastHiddenState(ids, types), expected), 0, Tolerance);

        // The token types matter, so the test above would notice them being dropped.
        var untyped = model.Reference.Forward(ids);
        Assert.True(TensorComparison.RelativeToMax(Array.ConvertAll(untyped, v => (float)v), expected) > 100 * Tolerance);
    }

    [Fact]
    public void Padded_batch_matches_ORT_row_for_row_padding_included()
    {
        int[][] sequences =
        [
            model.Vocabulary.Encode("a man is eating food."),
            model.Vocabulary.Encode("a man is eating a piece of bread."),
            model.Vocabulary.Encode("the girl is carrying a baby."),
            model.Vocabulary.Encode("a monkey is playing drums"),
        ];
        var batch = model.Ort.Run(sequences);
        for (int b = 0; b < sequences.Length; b++)
        {
            var padded = new int[batch.Length];
            sequences[b].CopyTo(padded, 0);
            var expected = model.Reference.Forward(padded, attentionMask: batch.Mask(b));
            Assert.InRange(TensorComparison.RelativeToMax(batch.Sequence(b), expected), 0, Tolerance);

            // The real tokens' rows do not depend on the padding (ORT masks with −10000, the reference leaves padded
            // keys out, and e^−10000 is 0 in float).
            var alone = model.Reference.Forward(sequences[b]);
            Assert.InRange(TensorComparison.RelativeToMax(batch.Sequence(b)[..alone.Length], alone), 0, Tolerance);
            Assert.InRange(
                TensorComparison.RelativeToMax(batch.SentenceEmbedding(b), BertReference.SentenceEmbedding(alone, model.Config.Hidden)), 0, Tolerance);
        }
    }

    [Fact]
    public void Sentence_embeddings_agree_and_rank_paraphrases_first()
    {
        string[] sentences = ["a man is eating food.", "a man is eating a piece of bread.", "a monkey is playing drums"];
        var embeddings = new List<float[]>();
        foreach (var sentence in sentences)
        {
            var ids = model.Vocabulary.Encode(sentence);
            var ort = OrtBert.SentenceEmbedding(model.Ort.LastHiddenState(ids), model.Config.Hidden);
            var reference = BertReference.SentenceEmbedding(model.Reference.Forward(ids), model.Config.Hidden);
            Assert.Equal(1.0, Math.Sqrt(reference.Sum(v => v * v)), 1e-12);
            Assert.InRange(TensorComparison.RelativeToMax(ort, reference), 0, Tolerance);
            embeddings.Add(ort);
        }

        // The real model, not a shape-compatible stand-in: the paraphrase is much closer than the unrelated sentence.
        var paraphrase = TensorComparison.Cosine(embeddings[0], embeddings[1]);
        var unrelated = TensorComparison.Cosine(embeddings[0], embeddings[2]);
        output.WriteLine($"cos(paraphrase) = {paraphrase:F4}, cos(unrelated) = {unrelated:F4}");
        Assert.True(paraphrase > 0.6 && unrelated < 0.3, $"cos(paraphrase) = {paraphrase}, cos(unrelated) = {unrelated}");
    }
}
