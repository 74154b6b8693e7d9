using AttentionGen.Tests.Allocation;

namespace AttentionGen.Models.Tests;

/// <summary>What a caller of the generated encoder may rely on: no allocation per call, and bad input refused up front.</summary>
[Collection(MiniLmCollection.Name)]
public class GeneratedEncoderContractTests(MiniLmFixture model)
{
    private const float Untouched = 12345f;

    /// <summary>
    /// Short calls, since the slower paths run this too (<see cref="SimdPathTests"/>): <see cref="MiniLmShort"/> runs its
    /// six short sentences in two groups.
    /// </summary>
    [Fact]
    [Trait("Category", SimdPathTests.Category)]
    public void Encode_EncodeBatch_and_Forward_allocate_nothing_after_warm_up()
    {
        var ids = MiniLmTexts.Tokenize(model.Tokenizer, MiniLmTexts.Sentences[7]);
        var sentences = MiniLmTexts.Sentences[2..8].Select(s => MiniLmTexts.Tokenize(model.Tokenizer, s)).ToArray();
        int[] packed = [.. sentences.SelectMany(s => s)], lengths = [.. sentences.Select(s => s.Length)];
        var embedding = new float[MiniLm.ModelDim];
        var embeddings = new float[sentences.Length * MiniLm.ModelDim];
        var hidden = new float[ids.Length * MiniLm.ModelDim];
        var encoder = new MiniLm(model.Weights);
        var inGroups = new MiniLmShort(model.WeightsShort);
        Assert.True(packed.Length > MiniLmShort.MaxBatchTokens);

        var calls = new (string Name, Action Call)[]
        {
            ("Encode", () => encoder.Encode(ids, embedding)),
            ("EncodeBatch", () => encoder.EncodeBatch(packed, lengths, embeddings)),
            ("EncodeBatch in groups", () => inGroups.EncodeBatch(packed, lengths, embeddings)),
            ("Forward", () => encoder.Forward(ids, hidden)),
        };
        foreach (var (name, call) in calls)
        {
            // Each call runs the whole model (up to a few hundred ms for the batch), so few calls per round.
            AllocationAssert.NothingPerCall(call, callsPerRound: 2, warmUpCalls: 1, what: $"{name} on the {HardwarePath.Current} path");
        }

        // The grouped batch computed what the one-pass batch did.
        var oneGroup = new float[embeddings.Length];
        encoder.EncodeBatch(packed, lengths, oneGroup);
        inGroups.EncodeBatch(packed, lengths, embeddings);
        Assert.InRange(GeneratedHiddenStateTests.RelativeError(embeddings, oneGroup), 0, 1e-5);
    }

    [Fact]
    public void Bad_token_ids_are_refused_naming_the_argument_before_any_work()
    {
        var encoder = new MiniLm(model.Weights);
        var ids = MiniLmTexts.Tokenize(model.Tokenizer, "a man is eating food.");
        AssertRefused<ArgumentOutOfRangeException>("tokenIds", "-1", embedding => encoder.Encode([.. ids[..3], -1, .. ids[3..]], embedding));
        AssertRefused<ArgumentOutOfRangeException>("tokenIds", "30522", embedding => encoder.Encode([.. ids[..^1], MiniLm.Vocab], embedding));
        AssertRefused<ArgumentOutOfRangeException>("tokenIds", "0", embedding => encoder.Encode([], embedding));
        AssertRefused<ArgumentOutOfRangeException>("tokenIds", "257", embedding => encoder.Encode(MiniLmTexts.OfLength(model.Tokenizer, 257), embedding));
        AssertRefused<ArgumentException>("embedding", "383", embedding => encoder.Encode(ids, embedding[..^1]));

        var hidden = new float[ids.Length * MiniLm.ModelDim];
        AssertRefused<ArgumentOutOfRangeException>("tokenTypeIds", "2", _ => encoder.Forward(ids, [.. new int[ids.Length - 1], 2], hidden), hidden);
        AssertRefused<ArgumentException>("tokenTypeIds", $"{ids.Length - 1}", _ => encoder.Forward(ids, new int[ids.Length - 1], hidden), hidden);
        AssertRefused<ArgumentException>("hiddenStates", $"{hidden.Length - 1}", _ => encoder.Forward(ids, hidden.AsSpan(1)), hidden);
        AssertRefused<ArgumentOutOfRangeException>("tokenIds", "-1", _ => encoder.Forward([-1], hidden), hidden);

        // The refused calls left the instance as it was: the next good call gives the embedding ORT gives.
        var embedding = new float[MiniLm.ModelDim];
        encoder.Encode(ids, embedding);
        var expected = Ort.OrtBert.SentenceEmbedding(model.Ort.LastHiddenState(ids), MiniLm.ModelDim);
        Assert.InRange(GeneratedHiddenStateTests.RelativeError(embedding, expected), 0, GeneratedTolerance.RelativeToMax);
    }

    [Fact]
    public void Bad_packed_batches_are_refused_naming_the_argument_before_any_group_runs()
    {
        var encoder = new MiniLmInGroups(model.WeightsInGroups);
        var sentences = Enumerable.Repeat(MiniLmTexts.Sentences, 3).SelectMany(s => s).Select(s => MiniLmTexts.Tokenize(model.Tokenizer, s)).ToArray();
        var packed = sentences.SelectMany(s => s).ToArray();
        var lengths = sentences.Select(s => s.Length).ToArray();
        var embeddings = new float[sentences.Length * MiniLm.ModelDim];
        Assert.True(packed.Length > 2 * MiniLmInGroups.MaxBatchTokens);

        // A bad id in the last group still stops the call before the first group is embedded.
        AssertRefused<ArgumentOutOfRangeException>("tokenIds", "30522", _ => encoder.EncodeBatch([.. packed[..^2], MiniLm.Vocab, packed[^1]], lengths, embeddings), embeddings);
        AssertRefused<ArgumentOutOfRangeException>("tokenIds", "-1", _ => encoder.EncodeBatch([.. packed[..^1], -1], lengths, embeddings), embeddings);
        AssertRefused<ArgumentException>("lengths", $"{packed.Length - 1}", _ => encoder.EncodeBatch(packed, [.. lengths[..^1], lengths[^1] - 1], embeddings), embeddings);
        AssertRefused<ArgumentException>("lengths", $"{packed.Length + 1}", _ => encoder.EncodeBatch(packed, [.. lengths[..^1], lengths[^1] + 1], embeddings), embeddings);
        AssertRefused<ArgumentOutOfRangeException>("lengths[3]", "0", _ => encoder.EncodeBatch(packed, [.. lengths[..3], 0, .. lengths[3..]], embeddings), embeddings);
        AssertRefused<ArgumentOutOfRangeException>("lengths[0]", "257", _ => encoder.EncodeBatch(MiniLmTexts.OfLength(model.Tokenizer, 257), [257], embeddings), embeddings);
        AssertRefused<ArgumentException>("lengths", "empty", _ => encoder.EncodeBatch([], [], embeddings), embeddings);
        AssertRefused<ArgumentException>("embeddings", $"{embeddings.Length - 1}", _ => encoder.EncodeBatch(packed, lengths, embeddings.AsSpan(1)), embeddings);
    }

    /// <summary>
    /// Runs a call that must throw <typeparamref name="TException"/> for <paramref name="paramName"/> (its parameter name
    /// is the argument's, its message names it and shows <paramref name="shown"/>), and checks it wrote nothing to
    /// <paramref name="destination"/> (a fresh embedding when none is given).
    /// </summary>
    private static void AssertRefused<TException>(string paramName, string shown, SpanAction call, float[]? destination = null)
        where TException : ArgumentException
    {
        destination ??= new float[MiniLm.ModelDim];
        Array.Fill(destination, Untouched);
        var exception = Assert.Throws<TException>(() => call(destination));
        string argument = paramName.Split('[')[0];
        Assert.Equal(argument, exception.ParamName);
        Assert.Contains(paramName, exception.Message, StringComparison.Ordinal);
        Assert.Contains(shown, exception.Message, StringComparison.Ordinal);
        Assert.All(destination, v => Assert.Equal(Untouched, v));
    }

    private delegate void SpanAction(Span<float> destination);
}
