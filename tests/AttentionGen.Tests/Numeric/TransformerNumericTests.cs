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

    public static TheoryData<string, int, string> MaskedBlockCases
    {
        get
        {
            var cases = new TheoryData<string, int, string>();
            foreach (var (name, lengths) in new[]
            {
                (nameof(BlockPostNormMasked), new[] { 2, 9, 24 }), (nameof(BlockPreNormCausalGqaMasked), new[] { 3, 13, 20 }),
                (nameof(BlockRopeCausalMasked), new[] { 5, 12 }), (nameof(BlockHeadDim40Masked), new[] { 6, 33 }),
            })
            {
                foreach (int seqLen in lengths)
                {
                    foreach (var kind in new[] { "right", "left", "holes", "ones" })
                    {
                        cases.Add(name, seqLen, kind);
                    }
                }
            }

            return cases;
        }
    }

    /// <summary>
    /// A Hugging Face attention mask of <paramref name="seqLen"/> tokens: right padding (the usual tokenizer batch), left
    /// padding (decoder batches), scattered holes (a mask a caller built), or none masked. Always keeps one token, and
    /// (past one token) masks at least one unless none is asked for.
    /// </summary>
    internal static int[] Mask(string kind, int seqLen, int seed)
    {
        var random = new Random(seed);
        int real = Math.Max(1, seqLen - 1 - random.Next(Math.Max(1, seqLen / 2)));
        var mask = new int[seqLen];
        for (int t = 0; t < seqLen; t++)
        {
            mask[t] = kind switch
            {
                "right" => t < real ? 1 : 0,
                "left" => t >= seqLen - real ? 1 : 0,
                "holes" => random.Next(3) == 0 ? 0 : 1,
                _ => 1,
            };
        }

        if (!mask.Contains(1))
        {
            mask[seqLen / 2] = 1;
        }

        if (kind == "holes" && seqLen > 1 && !mask.Contains(0))
        {
            mask[seqLen / 3] = 0;
        }

        return mask;
    }

    [Theory]
    [MemberData(nameof(MaskedBlockCases))]
    public void Block_PaddingMask_MatchesTheReference(string name, int seqLen, string maskKind)
    {
        // Every row is compared, padding rows too: they still attend (to the unmasked keys), and a causal row with no
        // unmasked key before it (left padding) comes out of attention as zeros in both.
        var (type, options) = Block(name);
        var values = RandomWeights(type, seed: seqLen);
        var block = TestWeights.Create<IMaskedTransformerBlock>(type, TestWeights.Build(type, values));
        var input = TestData.Uniform(200 + seqLen, seqLen * options.ModelDim);
        var mask = Mask(maskKind, seqLen, seed: seqLen);
        var actual = new float[input.Length];

        block.Forward(input, actual, seqLen, mask);

        var expected = TransformerReference.Block(Array.ConvertAll(input, x => (double)x), seqLen, options, values, attentionMask: mask);
        double error = TestData.AssertClose(expected, actual, $"{name} seqLen {seqLen}, {maskKind} mask [{string.Join("", mask)}]", Tolerance);
        output.WriteLine($"{name} seqLen {seqLen}, {maskKind} mask {string.Join("", mask)}: max error {error:E2}");
        if (maskKind != "ones")
        {
            // The mask must matter: the unmasked reference is far from what the block gave.
            var unmasked = TransformerReference.Block(Array.ConvertAll(input, x => (double)x), seqLen, options, values);
            Assert.True(TestData.MaxError(unmasked, actual) > 100 * Tolerance, $"{name}: the {maskKind} mask changed nothing");
        }
    }

    [Theory]
    [InlineData(nameof(BlockPostNormMasked))]
    [InlineData(nameof(BlockPreNormCausalGqaMasked))]
    [InlineData(nameof(BlockRopeCausalMasked))]
    [InlineData(nameof(BlockHeadDim40Masked))]
    public void Block_PaddingMask_OfOnes_IsTheUnmaskedCall_BitForBit(string name)
    {
        // Nothing to drop: the masked call makes the very attention call the unmasked one makes.
        var (type, options) = Block(name);
        var block = TestWeights.Create<IMaskedTransformerBlock>(type, TestWeights.Build(type, RandomWeights(type, seed: 4)));
        int seqLen = (int)Declared.Constant(type, "MaxSeqLen")!;
        var input = TestData.Uniform(12, seqLen * options.ModelDim);
        var unmasked = new float[input.Length];
        var masked = new float[input.Length];

        block.Forward(input, unmasked, seqLen);
        block.Forward(input, masked, seqLen, Enumerable.Repeat(1, seqLen).ToArray());

        Assert.Equal(unmasked, masked);
    }

    [Theory]
    [InlineData(nameof(BlockPostNormMasked))]
    [InlineData(nameof(BlockPreNormCausalGqaMasked))]
    [InlineData(nameof(BlockRopeCausalMasked))]
    [InlineData(nameof(BlockHeadDim40Masked))]
    public void Block_RightPadded_RealRowsAreTheShorterSequence_BitForBit(string name)
    {
        // Right padding: the real rows attend to exactly the keys the shorter sequence has, in one attention call of their
        // own (padding rows get theirs), and the GEMMs and norms work row by row, so nothing at all differs.
        var (type, options) = Block(name);
        var block = TestWeights.Create<IMaskedTransformerBlock>(type, TestWeights.Build(type, RandomWeights(type, seed: 6)));
        int seqLen = (int)Declared.Constant(type, "MaxSeqLen")!;
        for (int real = 1; real < seqLen; real++)
        {
            var input = TestData.Uniform(30 + real, seqLen * options.ModelDim);
            var padded = new float[input.Length];
            var shorter = new float[real * options.ModelDim];
            block.Forward(input, padded, seqLen, Enumerable.Range(0, seqLen).Select(t => t < real ? 1 : 0).ToArray());
            block.Forward(input.AsSpan(0, shorter.Length), shorter, real);

            Assert.True(padded.AsSpan(0, shorter.Length).SequenceEqual(shorter),
                $"{name}: {real} real tokens of {seqLen} differ from the shorter sequence by {TestData.MaxError(Array.ConvertAll(shorter, x => (double)x), padded):E2}");
        }
    }

    [Fact]
    public void Block_PaddingMask_BadMask_IsRejectedBeforeAnyWork()
    {
        var block = TestWeights.Create<IMaskedTransformerBlock>(typeof(BlockPostNormMasked), TestWeights.Build(typeof(BlockPostNormMasked), RandomWeights(typeof(BlockPostNormMasked), 2)));
        var input = TestData.Uniform(3, 4 * BlockPostNormMasked.ModelDim);
        var output = new float[input.Length];
        Array.Fill(output, 7f);

        var tooShort = Assert.Throws<ArgumentException>(() => block.Forward(input, output, 4, [1, 1, 0]));
        Assert.Equal("attentionMask", tooShort.ParamName);
        Assert.Contains("holds 3 values for 4 tokens", tooShort.Message);
        var notABit = Assert.Throws<ArgumentException>(() => block.Forward(input, output, 4, [1, 2, 1, 0]));
        Assert.Equal("attentionMask", notABit.ParamName);
        Assert.Contains("attentionMask[1] is 2", notABit.Message);
        Assert.Contains("masks every token", Assert.Throws<ArgumentException>(() => block.Forward(input, output, 4, [0, 0, 0, 0])).Message);
        Assert.Equal("attentionMask", Assert.Throws<ArgumentException>(() => block.Forward(input, output, 4, [1, -1, 1, 1])).ParamName);
        Assert.All(output, x => Assert.Equal(7f, x));
    }

    [Theory]
    [InlineData(9, "right")]
    [InlineData(24, "right")]
    [InlineData(17, "left")]
    [InlineData(20, "holes")]
    public void Encoder_PaddingMask_HiddenStatesAndEmbedding_MatchTheReference(int tokens, string maskKind)
    {
        var options = EncoderOptions(typeof(EncoderMeanPooledMasked));
        var values = RandomWeights(typeof(EncoderMeanPooledMasked), seed: tokens);
        var encoder = new EncoderMeanPooledMasked((EncoderMeanPooledMasked.Weights)TestWeights.Build(typeof(EncoderMeanPooledMasked), values));
        var ids = Ids(tokens, EncoderMeanPooledMasked.Vocab, seed: tokens);
        var mask = Mask(maskKind, tokens, seed: tokens + 1);
        var hidden = new float[tokens * EncoderMeanPooledMasked.ModelDim];
        var embedding = new float[EncoderMeanPooledMasked.ModelDim];

        encoder.Forward(ids, default, mask, hidden);
        encoder.Encode(ids, mask, embedding);

        var expected = TransformerReference.Encoder(ids, null, EncoderMeanPooledMasked.Layers, options, values, mask);
        double error = TestData.AssertClose(expected, hidden, $"hidden states, {tokens} tokens, {maskKind} mask", Tolerance);
        var expectedEmbedding = TransformerReference.MeanPool(expected, tokens, EncoderMeanPooledMasked.ModelDim, normalize: true, mask);
        error = Math.Max(error, TestData.AssertClose(expectedEmbedding, embedding, $"embedding, {tokens} tokens, {maskKind} mask", Tolerance));
        var unmaskedPooling = TransformerReference.MeanPool(expected, tokens, EncoderMeanPooledMasked.ModelDim, normalize: true);
        Assert.True(TestData.MaxError(unmaskedPooling, embedding) > 100 * Tolerance, "the pooling ignored the mask");
        output.WriteLine($"EncoderMeanPooledMasked, {tokens} tokens, {maskKind} mask {string.Join("", mask)}: max error {error:E2}");
    }

    [Fact]
    public void Encoder_PaddingMask_TokenTypes_AndClsPooling_MatchTheReference()
    {
        var options = EncoderOptions(typeof(EncoderClsPooledMasked));
        var values = RandomWeights(typeof(EncoderClsPooledMasked), seed: 8);
        var encoder = new EncoderClsPooledMasked((EncoderClsPooledMasked.Weights)TestWeights.Build(typeof(EncoderClsPooledMasked), values));
        var ids = Ids(11, EncoderClsPooledMasked.Vocab, seed: 9);
        int[] types = [0, 0, 0, 0, 1, 1, 1, 2, 2, 0, 0];
        int[] mask = [1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0];
        var hidden = new float[11 * EncoderClsPooledMasked.ModelDim];
        var embedding = new float[EncoderClsPooledMasked.ModelDim];

        encoder.Forward(ids, types, mask, hidden);
        encoder.Encode(ids, mask, embedding);

        TestData.AssertClose(TransformerReference.Encoder(ids, types, EncoderClsPooledMasked.Layers, options, values, mask), hidden, "hidden states with token types and a mask", Tolerance);
        TestData.AssertClose(TransformerReference.Encoder(ids, null, EncoderClsPooledMasked.Layers, options, values, mask)[..EncoderClsPooledMasked.ModelDim], embedding,
            "the [CLS] row of the masked sequence", Tolerance);
    }

    [Fact]
    public void Encoder_ClsPooled_LeftPadded_PoolsTheFirstTokenTheMaskKeeps()
    {
        // sentence-transformers pools the [CLS] row at the mask's first 1 (its fix for left padding); row 0 of a
        // left-padded sequence is a padding row's state, which was returned before.
        var options = EncoderOptions(typeof(EncoderClsPooledMasked));
        var values = RandomWeights(typeof(EncoderClsPooledMasked), seed: 8);
        var encoder = new EncoderClsPooledMasked((EncoderClsPooledMasked.Weights)TestWeights.Build(typeof(EncoderClsPooledMasked), values));
        const int maxLen = 9, width = EncoderClsPooledMasked.ModelDim;
        var ids = Ids(2 * maxLen, EncoderClsPooledMasked.Vocab, seed: 9);
        int[] mask = [0, 0, 1, 1, 1, 1, 1, 1, 1, /* a right-padded row beside it */ 1, 1, 1, 1, 1, 0, 0, 0, 0];
        var embedding = new float[width];
        var batch = new float[2 * width];

        encoder.Encode(ids.AsSpan(0, maxLen), mask.AsSpan(0, maxLen), embedding);
        encoder.EncodeBatch(ids, mask, 2, batch);

        var leftPadded = TransformerReference.Encoder(ids[..maxLen], null, EncoderClsPooledMasked.Layers, options, values, mask[..maxLen]);
        var rightPadded = TransformerReference.Encoder(ids[maxLen..], null, EncoderClsPooledMasked.Layers, options, values, mask[maxLen..]);
        TestData.AssertClose(leftPadded[(2 * width)..(3 * width)], embedding, "Encode: the left-padded row's [CLS], at position 2", Tolerance);
        Assert.Equal(embedding, batch[..width]);
        TestData.AssertClose(rightPadded[..width], batch.AsSpan(width, width), "EncodeBatch: the right-padded row's [CLS], at position 0", Tolerance);
    }

    [Fact]
    public void Encoder_PaddedBatch_IsEachRowEncodedAlone_BitForBit()
    {
        var encoder = new EncoderMeanPooledMasked((EncoderMeanPooledMasked.Weights)TestWeights.Build(typeof(EncoderMeanPooledMasked), RandomWeights(typeof(EncoderMeanPooledMasked), 2)));
        const int batch = 7, maxLen = 13; // 40 tokens per group: three rows a group, three groups
        var ids = Ids(batch * maxLen, EncoderMeanPooledMasked.Vocab, seed: 3);
        var mask = Enumerable.Range(0, batch).SelectMany(row => Mask(row % 2 == 0 ? "right" : "holes", maxLen, seed: row)).ToArray();
        var embeddings = new float[batch * EncoderMeanPooledMasked.ModelDim];

        encoder.EncodeBatch(ids, mask, batch, embeddings);

        for (int row = 0; row < batch; row++)
        {
            var alone = new float[EncoderMeanPooledMasked.ModelDim];
            encoder.Encode(ids.AsSpan(row * maxLen, maxLen), mask.AsSpan(row * maxLen, maxLen), alone);
            Assert.True(alone.AsSpan().SequenceEqual(embeddings.AsSpan(row * EncoderMeanPooledMasked.ModelDim, EncoderMeanPooledMasked.ModelDim)), $"row {row} differs in the batch");
        }
    }

    [Fact]
    public void Encoder_ClsPooled_PaddedBatch_IsEachRowEncodedAlone_BitForBit()
    {
        // [CLS] pooling runs every row (row 0 is read whatever the mask), so the padded batch goes through masked attention.
        var encoder = new EncoderClsPooledMasked((EncoderClsPooledMasked.Weights)TestWeights.Build(typeof(EncoderClsPooledMasked), RandomWeights(typeof(EncoderClsPooledMasked), 4)));
        const int batch = 5, maxLen = 7; // 16 tokens per group: two rows a group, three groups
        var ids = Ids(batch * maxLen, EncoderClsPooledMasked.Vocab, seed: 5);
        var mask = Enumerable.Range(0, batch).SelectMany(row => Mask(row % 2 == 0 ? "left" : "holes", maxLen, seed: row)).ToArray();
        var embeddings = new float[batch * EncoderClsPooledMasked.ModelDim];

        encoder.EncodeBatch(ids, mask, batch, embeddings);

        for (int row = 0; row < batch; row++)
        {
            var alone = new float[EncoderClsPooledMasked.ModelDim];
            encoder.Encode(ids.AsSpan(row * maxLen, maxLen), mask.AsSpan(row * maxLen, maxLen), alone);
            Assert.True(alone.AsSpan().SequenceEqual(embeddings.AsSpan(row * EncoderClsPooledMasked.ModelDim, EncoderClsPooledMasked.ModelDim)), $"row {row} differs in the batch");
        }
    }

    [Fact]
    public void Encoder_RightPaddedBatch_IsThePackedBatch_BitForBit()
    {
        // The padded batch as a tokenizer lays it out, against the same sentences packed: the real rows make the same
        // calls, so the embeddings agree exactly.
        var encoder = new EncoderMeanPooledMasked((EncoderMeanPooledMasked.Weights)TestWeights.Build(typeof(EncoderMeanPooledMasked), RandomWeights(typeof(EncoderMeanPooledMasked), 5)));
        int[] lengths = [3, 20, 1, 17, 9, 20, 2];
        const int maxLen = 20;
        var packedIds = Ids(lengths.Sum(), EncoderMeanPooledMasked.Vocab, seed: 6);
        var paddedIds = new int[lengths.Length * maxLen];
        var mask = new int[paddedIds.Length];
        for (int row = 0, first = 0; row < lengths.Length; first += lengths[row], row++)
        {
            packedIds.AsSpan(first, lengths[row]).CopyTo(paddedIds.AsSpan(row * maxLen));
            mask.AsSpan(row * maxLen, lengths[row]).Fill(1);
        }

        var packed = new float[lengths.Length * EncoderMeanPooledMasked.ModelDim];
        var padded = new float[packed.Length];
        encoder.EncodeBatch(packedIds, lengths, packed);
        encoder.EncodeBatch(paddedIds, mask, lengths.Length, padded);

        Assert.Equal(packed, padded);
    }

    [Fact]
    public void Encoder_PaddingMask_BadInput_IsRejectedBeforeAnyWork()
    {
        var encoder = new EncoderMeanPooledMasked((EncoderMeanPooledMasked.Weights)TestWeights.Build(typeof(EncoderMeanPooledMasked), RandomWeights(typeof(EncoderMeanPooledMasked), 2)));
        var embeddings = new float[2 * EncoderMeanPooledMasked.ModelDim];
        Array.Fill(embeddings, 7f);
        var untouched = (float[])embeddings.Clone();

        Assert.Equal("attentionMask", Assert.Throws<ArgumentException>(() => encoder.Encode([1, 2, 3], [1, 1], embeddings)).ParamName);
        Assert.Equal("attentionMask", Assert.Throws<ArgumentException>(() => encoder.Encode([1, 2, 3], [1, 3, 0], embeddings)).ParamName);
        Assert.Equal("attentionMask", Assert.Throws<ArgumentException>(() => encoder.Encode([1, 2, 3], [0, 0, 0], embeddings)).ParamName);
        Assert.Equal("attentionMask", Assert.Throws<ArgumentException>(() => encoder.Forward([1, 2, 3], default, [1, 1, 1, 1], new float[96])).ParamName);
        Assert.Equal("batchSize", Assert.Throws<ArgumentOutOfRangeException>(() => encoder.EncodeBatch([1, 2, 3, 4], [1, 1, 1, 1], 0, embeddings)).ParamName);
        Assert.Equal("tokenIds", Assert.Throws<ArgumentException>(() => encoder.EncodeBatch([1, 2, 3], [1, 1, 1], 2, embeddings)).ParamName);
        Assert.Equal("tokenIds", Assert.Throws<ArgumentOutOfRangeException>(() => encoder.EncodeBatch(new int[50], new int[50], 2, embeddings)).ParamName);
        Assert.Equal("attentionMask", Assert.Throws<ArgumentException>(() => encoder.EncodeBatch([1, 2, 3, 4], [1, 1, 1], 2, embeddings)).ParamName);
        var paddingRow = Assert.Throws<ArgumentException>(() => encoder.EncodeBatch([1, 2, 3, 4], [1, 1, 0, 0], 2, embeddings));
        Assert.Equal("attentionMask", paddingRow.ParamName);
        Assert.Contains("row 1", paddingRow.Message);
        Assert.Equal("tokenIds", Assert.Throws<ArgumentOutOfRangeException>(() => encoder.EncodeBatch([1, 2, 3, 99], [1, 1, 1, 1], 2, embeddings)).ParamName);
        Assert.Equal("embeddings", Assert.Throws<ArgumentException>(() => encoder.EncodeBatch([1, 2, 3, 4], [1, 1, 1, 1], 2, new float[63])).ParamName);
        Assert.Equal(untouched, embeddings);
    }

    private static (Type Type, BlockOptions Options) Block(string name)
    {
        var type = Declared.Type(name);
        var a = type.GetCustomAttribute<TransformerBlockAttribute>()!;
        int headDim = a.HeadDim > 0 ? a.HeadDim : a.ModelDim / a.Heads;
        int ropeDim = a.Rope == RopeKind.None ? 0 : a.RopeDim > 0 ? a.RopeDim : headDim;
        return (type, new BlockOptions(a.ModelDim, a.Heads, a.KvHeads > 0 ? a.KvHeads : a.Heads, headDim, a.FfnDim, a.Causal,
            Declared.ScaleFor(a.Scale, headDim), a.Softcap, a.PreNorm, a.Activation, a.NormEpsilon, a.Norm, ropeDim, a.RopeTheta, a.WeightNames,
            RopeScalingReference.Of(a.RopeScaling, a.RopeScalingFactor, a.RopeLowFrequencyFactor, a.RopeHighFrequencyFactor, a.RopeOriginalMaxPositions),
            a.SandwichNorm));
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
