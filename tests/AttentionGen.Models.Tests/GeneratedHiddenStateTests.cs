using Xunit.Abstractions;

namespace AttentionGen.Models.Tests;

/// <summary>The generated <see cref="MiniLm"/>'s last hidden states against ONNX Runtime on the package's original export.</summary>
[Collection(MiniLmCollection.Name)]
public class GeneratedHiddenStateTests(MiniLmFixture model, ITestOutputHelper output)
{
    [Fact]
    public void Last_hidden_states_match_ORT_on_sentences_and_every_length_from_1_to_256()
    {
        var cases = new List<(string Name, int[] Ids)>();
        cases.AddRange(MiniLmTexts.Sentences.Select(s => ($"\"{s}\"", MiniLmTexts.Tokenize(model.Tokenizer, s))));
        cases.AddRange(MiniLmTexts.Lengths.Select(n => ($"passage cut to {n}", MiniLmTexts.OfLength(model.Tokenizer, n))));
        Assert.True(cases.Count >= 30);
        Assert.Superset(MiniLmTexts.Lengths.ToHashSet(), cases.Select(c => c.Ids.Length).ToHashSet());

        var encoder = new MiniLm(model.Weights);
        var hidden = new float[MiniLm.MaxSeqLen * MiniLm.ModelDim];
        double worst = 0;
        var failures = new List<string>();
        foreach (var (name, ids) in cases)
        {
            encoder.Forward(ids, hidden);
            var error = RelativeError(hidden.AsSpan(0, ids.Length * MiniLm.ModelDim), model.Ort.LastHiddenState(ids));
            output.WriteLine($"{ids.Length,3} tokens, {name}: {error:E2}");
            worst = Math.Max(worst, error);
            if (!(error <= GeneratedTolerance.RelativeToMax))
            {
                failures.Add($"{name} ({ids.Length} tokens): {error:E2}");
            }
        }

        output.WriteLine($"max |generated − ORT| / max |ORT| over {cases.Count} sequences: {worst:E2}");
        Assert.True(failures.Count == 0, "Over tolerance: " + string.Join("; ", failures));
    }

    /// <summary>
    /// The lengths where the attention kernels change plan (one token, a partial 6-row tile, one past a 64-key panel,
    /// the maximum), kept short because every SIMD path's child run checks them (<see cref="SimdPathTests"/>).
    /// </summary>
    [Fact]
    [Trait("Category", SimdPathTests.Category)]
    public void Last_hidden_states_match_ORT_at_the_kernels_edges()
    {
        var encoder = new MiniLm(model.Weights);
        var hidden = new float[MiniLm.MaxSeqLen * MiniLm.ModelDim];
        foreach (int length in new[] { 1, 3, 17, 65, 256 })
        {
            var ids = MiniLmTexts.OfLength(model.Tokenizer, length);
            encoder.Forward(ids, hidden);
            var error = RelativeError(hidden.AsSpan(0, length * MiniLm.ModelDim), model.Ort.LastHiddenState(ids));
            output.WriteLine($"{length,3} tokens ({HardwarePath.Current}): {error:E2}");
            Assert.True(error <= GeneratedTolerance.RelativeToMax, $"{length} tokens on the {HardwarePath.Current} path: {error:E2}");
        }
    }

    [Fact]
    [Trait("Category", SimdPathTests.Category)]
    public void Sentence_pair_with_token_type_1_matches_ORT()
    {
        var ids = new int[MiniLm.MaxSeqLen];
        var types = new int[MiniLm.MaxSeqLen];
        int count = model.Tokenizer.EncodePair("Where is the station?", "The station is next to the river, two streets from here.", ids, types);
        ids = ids[..count];
        types = types[..count];
        Assert.Contains(1, types);

        var encoder = new MiniLm(model.Weights);
        var hidden = new float[count * MiniLm.ModelDim];
        encoder.Forward(ids, types, hidden);
        var expected = model.Ort.LastHiddenState(ids, types);
        var error = RelativeError(hidden, expected);
        output.WriteLine($"pair, {count} tokens: {error:E2}");
        Assert.InRange(error, 0, GeneratedTolerance.RelativeToMax);

        // The type ids reach the embeddings: dropping them moves the result far past the tolerance.
        var untyped = new float[count * MiniLm.ModelDim];
        encoder.Forward(ids, untyped);
        Assert.True(RelativeError(untyped, expected) > 100 * GeneratedTolerance.RelativeToMax);
    }

    [Fact]
    public void A_wrong_GELU_or_epsilon_fails_the_element_wise_check_though_its_embedding_cosine_passes()
    {
        var ids = MiniLmTexts.Tokenize(model.Tokenizer, MiniLmTexts.Sentences[17]);
        var expected = model.Ort.LastHiddenState(ids);
        var expectedEmbedding = Ort.OrtBert.SentenceEmbedding(expected, MiniLm.ModelDim);
        var hidden = new float[ids.Length * MiniLm.ModelDim];
        var embedding = new float[MiniLm.ModelDim];

        var tanhGelu = new MiniLmWithTanhGelu(MiniLmWithTanhGelu.Weights.Load(model.Checkpoint));
        tanhGelu.Forward(ids, hidden);
        tanhGelu.Encode(ids, embedding);
        AssertCaughtOnlyElementWise("tanh GELU", hidden, expected, embedding, expectedEmbedding);

        var epsilon = new MiniLmWithEpsilon1e5(MiniLmWithEpsilon1e5.Weights.Load(model.Checkpoint));
        epsilon.Forward(ids, hidden);
        epsilon.Encode(ids, embedding);
        AssertCaughtOnlyElementWise("ε 1e-5", hidden, expected, embedding, expectedEmbedding);
    }

    private void AssertCaughtOnlyElementWise(string wrongFact, float[] hidden, float[] expected, float[] embedding, float[] expectedEmbedding)
    {
        var error = RelativeError(hidden, expected);
        var cosine = TensorComparison.Cosine(embedding, expectedEmbedding);
        output.WriteLine($"{wrongFact}: hidden states {error:E2} from ORT, embedding 1 − cos = {1 - cosine:E1}");
        Assert.True(error > 2 * GeneratedTolerance.RelativeToMax, $"{wrongFact} is only {error:E2} from ORT: the tolerance would let it pass.");
        Assert.True(cosine >= GeneratedTolerance.Cosine, $"{wrongFact}: cosine {cosine}");
    }

    /// <summary><see cref="TensorComparison.RelativeToMax"/> against a float32 reference (ORT's, or another generated result).</summary>
    internal static double RelativeError(ReadOnlySpan<float> actual, ReadOnlySpan<float> reference)
    {
        var expected = new double[reference.Length];
        for (int i = 0; i < expected.Length; i++)
        {
            expected[i] = reference[i];
        }

        return TensorComparison.RelativeToMax(actual, expected);
    }
}
