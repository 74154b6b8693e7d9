using System.Reflection;
using AttentionGen.Tests.Reference;
using Xunit.Abstractions;

namespace AttentionGen.Tests.Numeric;

/// <summary>
/// Generated transformer blocks and encoders against the float64 reference, and the packed batch against one sequence
/// at a time. The tolerance is the attention layers' 1e-5 relative (against max(1, |ref|)); the blocks here come in
/// around 2e-7 to 6e-7, so a wrong epsilon, activation form or rotary angle fails by orders of magnitude.
/// </summary>
[Trait("Category", "Numeric")]
public sealed class TransformerNumericTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-5;

    public static TheoryData<string, int> BlockCases
    {
        get
        {
            var cases = new TheoryData<string, int>
            {
                { nameof(BlockPostNormGelu), 1 }, { nameof(BlockPostNormGelu), 7 }, { nameof(BlockPostNormGelu), 24 },
                { nameof(BlockPreNormCausalGqa), 1 }, { nameof(BlockPreNormCausalGqa), 13 }, { nameof(BlockPreNormCausalGqa), 20 },
                { nameof(BlockReluHeadDim40), 5 }, { nameof(BlockReluHeadDim40), 33 },
                { nameof(BlockPreNormSoftcapNarrowHeads), 2 }, { nameof(BlockPreNormSoftcapNarrowHeads), 9 },
            };

            // Every option combination of BlockCombinations.cs at one length below its maximum and at the maximum.
            foreach (var type in Declared.All<TransformerBlockAttribute>().Where(t => t.Name.StartsWith("BlockCombo", StringComparison.Ordinal)).OrderBy(t => t.Name))
            {
                int maxSeqLen = type.GetCustomAttribute<TransformerBlockAttribute>()!.MaxSeqLen;
                cases.Add(type.Name, 5);
                cases.Add(type.Name, maxSeqLen);
            }

            return cases;
        }
    }

    [Theory]
    [MemberData(nameof(BlockCases))]
    public void Block_OneSequence_MatchesTheReference(string name, int seqLen)
    {
        var (type, options) = Block(name);
        var values = RandomWeights(type, seed: seqLen);
        var block = TestWeights.Create<ITransformerBlock>(type, TestWeights.Build(type, values));
        var input = TestData.Uniform(100 + seqLen, seqLen * options.ModelDim);
        var actual = new float[input.Length];

        block.Forward(input, actual, seqLen);

        var expected = TransformerReference.Block(Array.ConvertAll(input, x => (double)x), seqLen, options, values);
        output.WriteLine($"{name} seqLen {seqLen}: max error {TestData.AssertClose(expected, actual, $"{name} seqLen {seqLen}", Tolerance):E2}");
    }

    [Theory]
    [InlineData(nameof(BlockPostNormGelu))]
    [InlineData(nameof(BlockPreNormCausalGqa))]
    [InlineData(nameof(BlockReluHeadDim40))]
    public void Block_PackedBatch_IsEachSequenceAlone_BitForBit(string name)
    {
        // Row results of the GEMMs and norms do not depend on the other rows, and each sequence attends only to itself, so
        // packing (into one group or, past MaxBatchTokens, several) changes nothing at all.
        var (type, options) = Block(name);
        var block = TestWeights.Create<ITransformerBlock>(type, TestWeights.Build(type, RandomWeights(type, seed: 3)));
        int maxSeqLen = (int)Declared.Constant(type, "MaxSeqLen")!;
        int[] lengths = [1, maxSeqLen, 5, maxSeqLen - 1, 2, 3, maxSeqLen];
        int tokens = lengths.Sum();
        var input = TestData.Uniform(4, tokens * options.ModelDim);
        var packed = new float[input.Length];

        block.Forward(input, packed, lengths);

        int first = 0;
        foreach (int length in lengths)
        {
            var alone = new float[length * options.ModelDim];
            block.Forward(input.AsSpan(first * options.ModelDim, alone.Length), alone, length);
            Assert.True(alone.AsSpan().SequenceEqual(packed.AsSpan(first * options.ModelDim, alone.Length)), $"{name}: sequence at token {first} differs when packed");
            first += length;
        }
    }

    [Fact]
    public void Block_InPlace_GivesWhatSeparateBuffersGive()
    {
        var block = TestWeights.Create<ITransformerBlock>(typeof(BlockPostNormGelu), TestWeights.Build(typeof(BlockPostNormGelu), RandomWeights(typeof(BlockPostNormGelu), 5)));
        var input = TestData.Uniform(6, 10 * BlockPostNormGelu.ModelDim);
        var separate = new float[input.Length];
        block.Forward(input, separate, 10);

        var inPlace = (float[])input.Clone();
        block.Forward(inPlace, inPlace, 10);

        Assert.Equal(separate, inPlace);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(9)]
    [InlineData(24)]
    public void Encoder_HiddenStatesAndEmbedding_MatchTheReference(int tokens)
    {
        var options = EncoderOptions(typeof(EncoderMeanPooled));
        var values = RandomWeights(typeof(EncoderMeanPooled), seed: tokens);
        var encoder = new EncoderMeanPooled((EncoderMeanPooled.Weights)TestWeights.Build(typeof(EncoderMeanPooled), values));
        var ids = Ids(tokens, EncoderMeanPooled.Vocab, seed: tokens);
        var hidden = new float[tokens * EncoderMeanPooled.ModelDim];
        var embedding = new float[EncoderMeanPooled.ModelDim];

        encoder.Forward(ids, hidden);
        encoder.Encode(ids, embedding);

        var expected = TransformerReference.Encoder(ids, null, EncoderMeanPooled.Layers, options, values);
        double error = TestData.AssertClose(expected, hidden, $"hidden states, {tokens} tokens", Tolerance);
        var expectedEmbedding = TransformerReference.MeanPool(expected, tokens, EncoderMeanPooled.ModelDim, normalize: true);
        error = Math.Max(error, TestData.AssertClose(expectedEmbedding, embedding, $"embedding, {tokens} tokens", Tolerance));
        Assert.Equal(1.0, Math.Sqrt(embedding.Sum(x => (double)x * x)), 5);
        output.WriteLine($"EncoderMeanPooled, {tokens} tokens: max error {error:E2}");
    }

    [Fact]
    public void Encoder_TokenTypes_AndClsPooling_MatchTheReference()
    {
        var options = EncoderOptions(typeof(EncoderClsPooled));
        var values = RandomWeights(typeof(EncoderClsPooled), seed: 8);
        var encoder = new EncoderClsPooled((EncoderClsPooled.Weights)TestWeights.Build(typeof(EncoderClsPooled), values));
        var ids = Ids(11, EncoderClsPooled.Vocab, seed: 9);
        int[] types = [0, 0, 0, 0, 1, 1, 1, 2, 2, 0, 1];
        var hidden = new float[11 * EncoderClsPooled.ModelDim];
        var embedding = new float[EncoderClsPooled.ModelDim];

        encoder.Forward(ids, types, hidden);
        encoder.Encode(ids, embedding);

        TestData.AssertClose(TransformerReference.Encoder(ids, types, EncoderClsPooled.Layers, options, values), hidden, "hidden states with token types", Tolerance);
        var typeZero = new float[hidden.Length];
        encoder.Forward(ids, typeZero);
        TestData.AssertClose(TransformerReference.Encoder(ids, null, EncoderClsPooled.Layers, options, values)[..EncoderClsPooled.ModelDim], embedding,
            "the [CLS] row, not normalized", Tolerance);
        Assert.NotEqual(hidden, typeZero);
    }

    [Fact]
    public void Encoder_EncodeBatch_IsEachSentenceAlone_BitForBit()
    {
        var encoder = new EncoderMeanPooled((EncoderMeanPooled.Weights)TestWeights.Build(typeof(EncoderMeanPooled), RandomWeights(typeof(EncoderMeanPooled), 2)));
        int[] lengths = [3, 24, 1, 17, 9, 24, 2]; // 80 tokens: three groups of at most MaxBatchTokens (40)
        var ids = Ids(lengths.Sum(), EncoderMeanPooled.Vocab, seed: 3);
        var batch = new float[lengths.Length * EncoderMeanPooled.ModelDim];

        encoder.EncodeBatch(ids, lengths, batch);

        int first = 0;
        for (int i = 0; i < lengths.Length; i++)
        {
            var alone = new float[EncoderMeanPooled.ModelDim];
            encoder.Encode(ids.AsSpan(first, lengths[i]), alone);
            Assert.True(alone.AsSpan().SequenceEqual(batch.AsSpan(i * EncoderMeanPooled.ModelDim, EncoderMeanPooled.ModelDim)), $"sentence {i} differs in the batch");
            first += lengths[i];
        }
    }

    [Fact]
    public void Encoder_BadInput_IsRejectedBeforeAnyWork()
    {
        var encoder = new EncoderMeanPooled((EncoderMeanPooled.Weights)TestWeights.Build(typeof(EncoderMeanPooled), RandomWeights(typeof(EncoderMeanPooled), 2)));
        var embedding = new float[EncoderMeanPooled.ModelDim];
        var untouched = new float[EncoderMeanPooled.ModelDim];
        Array.Fill(embedding, 7f);
        Array.Fill(untouched, 7f);

        var outOfVocab = Assert.Throws<ArgumentOutOfRangeException>(() => encoder.Encode([1, 2, 50], embedding));
        Assert.Equal("tokenIds", outOfVocab.ParamName);
        Assert.Contains("tokenIds[2] is 50", outOfVocab.Message);
        Assert.Equal("tokenIds", Assert.Throws<ArgumentOutOfRangeException>(() => encoder.Encode([-1], embedding)).ParamName);
        Assert.Equal("tokenIds", Assert.Throws<ArgumentOutOfRangeException>(() => encoder.Encode([], embedding)).ParamName);
        Assert.Equal("tokenIds", Assert.Throws<ArgumentOutOfRangeException>(() => encoder.Encode(new int[25], embedding)).ParamName);
        Assert.Equal("embedding", Assert.Throws<ArgumentException>(() => encoder.Encode([1, 2], new float[31])).ParamName);
        Assert.Equal("tokenTypeIds", Assert.Throws<ArgumentOutOfRangeException>(() => encoder.Forward([1, 2], [0, 2], new float[64])).ParamName);
        Assert.Equal("tokenTypeIds", Assert.Throws<ArgumentException>(() => encoder.Forward([1, 2], [0], new float[64])).ParamName);
        Assert.Equal("lengths", Assert.Throws<ArgumentException>(() => encoder.EncodeBatch([1, 2, 3], [1, 1], new float[64])).ParamName);
        Assert.Equal("lengths", Assert.Throws<ArgumentOutOfRangeException>(() => encoder.EncodeBatch([1, 2, 3], [3, 0], new float[64])).ParamName);
        Assert.Equal("lengths", Assert.Throws<ArgumentException>(() => encoder.EncodeBatch([1, 2, 3], [], new float[64])).ParamName);
        Assert.Equal("tokenIds", Assert.Throws<ArgumentOutOfRangeException>(() => encoder.EncodeBatch([1, 2, 99], [1, 2], new float[64])).ParamName);
        Assert.Equal("embeddings", Assert.Throws<ArgumentException>(() => encoder.EncodeBatch([1, 2, 3], [1, 2], new float[63])).ParamName);
        Assert.Equal(untouched, embedding);
    }

    private static (Type Type, BlockOptions Options) Block(string name)
    {
        var type = Declared.Type(name);
        var a = type.GetCustomAttribute<TransformerBlockAttribute>()!;
        int headDim = a.HeadDim > 0 ? a.HeadDim : a.ModelDim / a.Heads;
        int ropeDim = a.Rope == RopeKind.None ? 0 : a.RopeDim > 0 ? a.RopeDim : headDim;
        return (type, new BlockOptions(a.ModelDim, a.Heads, a.KvHeads > 0 ? a.KvHeads : a.Heads, headDim, a.FfnDim, a.Causal,
            Declared.ScaleFor(a.Scale, headDim), a.Softcap, a.PreNorm, a.Activation, a.NormEpsilon, a.Norm, ropeDim, a.RopeTheta, a.WeightNames));
    }

    private static BlockOptions EncoderOptions(Type type)
    {
        var a = type.GetCustomAttribute<TransformerEncoderAttribute>()!;
        int headDim = a.HeadDim > 0 ? a.HeadDim : a.ModelDim / a.Heads;
        return new BlockOptions(a.ModelDim, a.Heads, a.Heads, headDim, a.FfnDim, false, Declared.ScaleFor(a.Scale, headDim), 0, false, a.Activation, a.NormEpsilon);
    }

    /// <summary>nn.Linear-style weights for any block or model; norm gains near 1 and biases near 0, as trained models have them.</summary>
    internal static Dictionary<string, float[]> RandomWeights(Type type, int seed)
    {
        var values = TestWeights.RandomValues(Declared.Parameters(type), seed);
        foreach (var name in values.Keys.Where(IsNormGain).ToList())
        {
            values[name] = Array.ConvertAll(TestData.Uniform(seed + name.Length, values[name].Length, 0.2f), x => 1 + x);
        }

        return values;
    }

    /// <summary>A norm's gain, by the names of both families (BERT's LayerNorm.weight, Llama's *_layernorm.weight and model.norm.weight).</summary>
    private static bool IsNormGain(string name) =>
        name.EndsWith("LayerNorm.weight", StringComparison.Ordinal) || name.EndsWith("layernorm.weight", StringComparison.Ordinal) || name == "model.norm.weight";

    internal static int[] Ids(int count, int vocab, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => random.Next(vocab)).ToArray();
    }
}
