using System.Reflection;
using AttentionGen.Tests.Numeric;
using AttentionGen.Tests.Reference;
using Xunit.Abstractions;
using Xunit.Sdk;
using static AttentionGen.Tests.Onnx.DecoderOnnxModels;

namespace AttentionGen.Tests.Onnx;

/// <summary>
/// Generated decoders against ONNX Runtime running the same weights through a graph of standard opset-23 operators
/// (<see cref="DecoderOnnxModels"/>), its cache carried as past/present key and value tensors: the prefill's last
/// logits and every decode step's logits agree within 1e-4 of the largest |logit| of that step. The graph itself is
/// checked against the float64 reference, in one pass and in chunks over a past, so a disagreement can be placed.
/// </summary>
[Trait("Category", "Onnx")]
public sealed class DecoderOracleTests(ITestOutputHelper output)
{
    /// <summary>Largest |generated − ORT| over the largest |ORT logit|, per step: two float32 implementations that sum in
    /// different orders through two layers; they come in under 1e-6, so 1e-4 leaves room and still catches any real
    /// mistake (a wrong position, head grouping or norm moves the logits by percents).</summary>
    internal const double Tolerance = 1e-4;

    private const int PromptLength = 9;

    public static TheoryData<string> Decoders => [nameof(DecoderOracleLlama), nameof(DecoderOracleMqaPartialRope), nameof(DecoderOracleWideHeads), nameof(DecoderOracleQwen2), nameof(DecoderOracleLlama3), nameof(DecoderOracleQwen3), nameof(DecoderOracleGemma2), nameof(DecoderOracleGemma3), nameof(DecoderOracleGemma3Scaled), nameof(DecoderOracleMistralWindow), nameof(DecoderOracleSmolLm3), nameof(DecoderOracleGranite), nameof(DecoderOracleOlmo2)];

    [Theory]
    [MemberData(nameof(Decoders))]
    public void Prefill_ThenDecodeSteps_MatchOnnxRuntimeWithPastKeyValues(string name)
    {
        var (type, shape) = Decoder(name);
        var values = TransformerNumericTests.RandomWeights(type, seed: 31);
        var decoder = TestWeights.Create<IDecoder>(type, TestWeights.Build(type, values));
        using var ort = new DecoderOrtRunner(shape, values);
        var sequence = TransformerNumericTests.Ids(shape.MaxPositions, shape.Vocab, seed: 32);
        var logits = new float[shape.Vocab];

        decoder.Prefill(sequence.AsSpan(0, PromptLength), logits);
        var ortPrompt = ort.Run(sequence.AsSpan(0, PromptLength));
        double prefillError = AssertClose(ortPrompt.AsSpan((PromptLength - 1) * shape.Vocab, shape.Vocab), logits, $"{name} prefill of {PromptLength}");

        double worstStep = 0;
        for (int position = PromptLength; position < shape.MaxPositions; position++)
        {
            decoder.DecodeStep(sequence[position], logits);
            var expected = ort.Run(sequence.AsSpan(position, 1));
            worstStep = Math.Max(worstStep, AssertClose(expected, logits, $"{name} step at position {position}"));
        }

        Assert.Equal(shape.MaxPositions, decoder.Position);
        Assert.Equal(shape.MaxPositions, ort.Position);
        output.WriteLine($"{name}: prefill of {PromptLength} max error {prefillError:E2}; {shape.MaxPositions - PromptLength} decode steps " +
            $"max error {worstStep:E2} (relative to the step's max |logit|)");
    }

    /// <summary>
    /// An edit, as speculative decoding makes one: decode to the end, rewind to the middle and decode different tokens
    /// from there. Every step then matches ORT run on the edited sequence from scratch, so nothing past the rewind point
    /// leaked into the cache.
    /// </summary>
    [Theory]
    [MemberData(nameof(Decoders))]
    public void Rewind_ThenDecodingOtherTokens_MatchesOnnxRuntimeOnTheEditedSequence(string name)
    {
        var (type, shape) = Decoder(name);
        var values = TransformerNumericTests.RandomWeights(type, seed: 41);
        var decoder = TestWeights.Create<IDecoder>(type, TestWeights.Build(type, values));
        var original = TransformerNumericTests.Ids(shape.MaxPositions, shape.Vocab, seed: 42);
        var logits = new float[shape.Vocab];
        decoder.Prefill(original.AsSpan(0, PromptLength), logits);
        for (int position = PromptLength; position < shape.MaxPositions; position++)
        {
            decoder.DecodeStep(original[position], logits);
        }

        int back = shape.MaxPositions / 2;
        var edited = (int[])original.Clone();
        var replacement = TransformerNumericTests.Ids(shape.MaxPositions - back, shape.Vocab, seed: 43);
        replacement.CopyTo(edited, back);
        Assert.NotEqual(original[back..], edited[back..]);
        using var ort = new DecoderOrtRunner(shape, values);
        var expected = ort.Run(edited);

        decoder.Rewind(back);
        double worst = 0;
        for (int position = back; position < shape.MaxPositions; position++)
        {
            decoder.DecodeStep(edited[position], logits);
            worst = Math.Max(worst, AssertClose(expected.AsSpan(position * shape.Vocab, shape.Vocab), logits, $"{name} step at {position} after the rewind"));
        }

        output.WriteLine($"{name}: {shape.MaxPositions - back} steps after a rewind to {back}, max error {worst:E2}");
    }

    /// <summary>
    /// The graph against the float64 reference with no generated code involved, run whole and in chunks (9, 4, 3, then
    /// single tokens) over past key/values: this pins down that ONNX Runtime's causal rule is offset by the past length
    /// (bottom-right aligned) once a past is given, that its RotaryEmbedding uses the rotate-half pairs and that its
    /// Attention shares each KV head among consecutive query heads, as the decoder does.
    /// </summary>
    [Theory]
    [MemberData(nameof(Decoders))]
    public void OnnxGraph_MatchesTheFloat64Reference_WholeAndInChunksOverAPast(string name)
    {
        var (type, shape) = Decoder(name);
        var values = TransformerNumericTests.RandomWeights(type, seed: 31);
        var sequence = TransformerNumericTests.Ids(shape.MaxPositions, shape.Vocab, seed: 32);
        var expected = TransformerReference.DecoderLogits(sequence, shape.Vocab, shape.Layers, ReferenceOptions(type), values, tied: type.GetCustomAttribute<TransformerDecoderAttribute>()!.TiedEmbeddings);
        var (wholeError, chunkedError) = AssertGraphMatches(expected, shape, values, sequence, name);
        output.WriteLine($"{name}: ORT vs float64 reference, one pass {wholeError:E2}, in chunks over a past {chunkedError:E2}");
    }

    /// <summary>
    /// ORT running the graph of <paramref name="shape"/> over <paramref name="sequence"/>, in one pass and in
    /// <see cref="Chunks"/> over a past, against the reference's logits of every position; returns each run's worst error.
    /// </summary>
    internal static (double Whole, double Chunked) AssertGraphMatches(double[] expected, DecoderShape shape, IReadOnlyDictionary<string, float[]> values, int[] sequence, string name)
    {
        using var whole = new DecoderOrtRunner(shape, values);
        double wholeError = AssertCloseRows(expected, whole.Run(sequence), 0, shape, $"{name} ORT in one pass");

        using var chunked = new DecoderOrtRunner(shape, values);
        double chunkedError = 0;
        foreach (int length in Chunks(shape.MaxPositions))
        {
            int first = chunked.Position;
            chunkedError = Math.Max(chunkedError,
                AssertCloseRows(expected, chunked.Run(sequence.AsSpan(first, length)), first, shape, $"{name} ORT chunk at {first}"));
        }

        return (wholeError, chunkedError);
    }

    /// <summary>The chunk lengths the graph is run in over a past: 9, 4, 3, then single tokens up to <paramref name="total"/>.</summary>
    internal static IEnumerable<int> Chunks(int total)
    {
        int[] leading = [PromptLength, 4, 3];
        int done = 0;
        foreach (int length in leading)
        {
            yield return length;
            done += length;
        }

        for (; done < total; done++)
        {
            yield return 1;
        }
    }

    /// <summary>Each row of <paramref name="actual"/> against the reference row it continues from <paramref name="firstRow"/>; the worst error.</summary>
    internal static double AssertCloseRows(double[] expected, float[] actual, int firstRow, DecoderShape shape, string what)
    {
        int rows = actual.Length / shape.Vocab;
        double worst = 0;
        for (int row = 0; row < rows; row++)
        {
            var reference = expected.AsSpan((firstRow + row) * shape.Vocab, shape.Vocab).ToArray();
            worst = Math.Max(worst, AssertClose(reference, actual.AsSpan(row * shape.Vocab, shape.Vocab), $"{what}, row {firstRow + row}"));
        }

        return worst;
    }

    private static double AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what) =>
        AssertClose(Array.ConvertAll(expected.ToArray(), x => (double)x), actual, what);

    /// <summary>Asserts <see cref="MaxRelativeError"/> within <see cref="Tolerance"/> and returns it.</summary>
    private static double AssertClose(double[] expected, ReadOnlySpan<float> actual, string what)
    {
        if (actual.Length != expected.Length)
        {
            throw new XunitException($"{what}: {actual.Length} logits, expected {expected.Length}.");
        }

        double error = MaxRelativeError(expected, actual);
        if (!(error <= Tolerance))
        {
            int worst = 0;
            for (int i = 1; i < expected.Length; i++)
            {
                worst = Math.Abs(actual[i] - expected[i]) > Math.Abs(actual[worst] - expected[worst]) ? i : worst;
            }

            throw new XunitException($"{what}: error {error:E3} > {Tolerance:E1} at logit {worst}: expected {expected[worst]:G9}, got {actual[worst]:G9}.");
        }

        return error;
    }

    /// <summary>max |actual − expected| / max |expected|; NaN when either holds a NaN.</summary>
    private static double MaxRelativeError(double[] expected, ReadOnlySpan<float> actual)
    {
        double largest = 0, difference = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            largest = Math.Max(largest, Math.Abs(expected[i]));
            double d = Math.Abs(actual[i] - expected[i]);
            difference = double.IsNaN(d) ? double.NaN : Math.Max(difference, d);
        }

        return difference / largest;
    }

    private static (Type Type, DecoderShape Shape) Decoder(string name)
    {
        var type = typeof(DecoderOracleTests).Assembly.GetType($"{typeof(DecoderOracleTests).Namespace}.{name}", throwOnError: true)!;
        var a = type.GetCustomAttribute<TransformerDecoderAttribute>()!;
        int headDim = a.HeadDim > 0 ? a.HeadDim : a.ModelDim / a.Heads;
        return (type, new DecoderShape(a.Vocab, a.Layers, a.ModelDim, a.Heads, a.KvHeads > 0 ? a.KvHeads : a.Heads, headDim, a.FfnDim,
            a.RopeDim > 0 ? a.RopeDim : headDim, a.RopeTheta, a.NormEpsilon, a.MaxSeqLen, a.Scale, Scaling(a), a.Norm, a.Activation, a.Softcap,
            a.SandwichNorm, a.ScaleEmbeddings, a.FinalLogitSoftcap, a.SlidingWindow, a.SlidingWindowPattern, a.LocalRopeTheta, a.NoRopeInterval,
            a.EmbeddingMultiplier, a.ResidualMultiplier, a.LogitsScaling, a.PostSublayerNorm, a.QueryKeyNormAcrossHeads));
    }

    private static BlockOptions ReferenceOptions(Type type)
    {
        var a = type.GetCustomAttribute<TransformerDecoderAttribute>()!;
        int headDim = a.HeadDim > 0 ? a.HeadDim : a.ModelDim / a.Heads;
        return new BlockOptions(a.ModelDim, a.Heads, a.KvHeads > 0 ? a.KvHeads : a.Heads, headDim, a.FfnDim, Causal: true, Declared.ScaleFor(a.Scale, headDim),
            a.Softcap, PreNorm: true, a.Activation, a.NormEpsilon, a.Norm, a.RopeDim > 0 ? a.RopeDim : headDim, a.RopeTheta, WeightNames.HfLlama, Scaling(a),
            a.SandwichNorm, a.ScaleEmbeddings, a.FinalLogitSoftcap, a.SlidingWindow, a.SlidingWindowPattern, a.LocalRopeTheta, a.NoRopeInterval,
            a.EmbeddingMultiplier, a.ResidualMultiplier, a.LogitsScaling, a.PostSublayerNorm, a.QueryKeyNormAcrossHeads);
    }

    private static RopeScalingReference? Scaling(TransformerDecoderAttribute a) =>
        RopeScalingReference.Of(a.RopeScaling, a.RopeScalingFactor, a.RopeLowFrequencyFactor, a.RopeHighFrequencyFactor, a.RopeOriginalMaxPositions);
}
