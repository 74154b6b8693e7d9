using AttentionGen.Tests.Reference;
using Xunit.Abstractions;

namespace AttentionGen.Tests.Numeric;

/// <summary>Generated [MultiHeadAttention] layers against the float64 reference, within <see cref="TestData.RelativeTolerance"/>.</summary>
[Trait("Category", "Numeric")]
public sealed class MultiHeadNumericTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("MhaSelf", 1)]
    [InlineData("MhaSelf", 7)]
    [InlineData("MhaSelf", 24)]
    [InlineData("MhaCausalGqaNoBias", 1)]
    [InlineData("MhaCausalGqaNoBias", 5)]
    [InlineData("MhaCausalGqaNoBias", 16)]
    [InlineData("MhaExplicitHeadDim", 3)]
    [InlineData("MhaExplicitHeadDim", 10)]
    [InlineData("MhaShortKvBound", 8)] // declared MaxKvSeqLen 4 < MaxSeqLen 8: self-attention still needs 8 keys
    [InlineData("MhaShortKvBound", 6)]
    [InlineData("MhaScaledSoftcapCausal", 12)]
    [InlineData("MhaScaledSoftcapCausal", 2)]
    [InlineData("MhaMultiQuery", 9)]
    [InlineData("MhaMultiQuery", 4)]
    [InlineData("MhaCrossSameWidth", 6)]
    [InlineData("MhaHeadDim1", 7)]
    [InlineData("MhaWideHeads", 5)]
    [InlineData("MhaHeadDim64", 20)]
    [InlineData("MhaHeadDim64", 13)]
    public void SelfAttention(string name, int seqLen)
    {
        var shape = MhaShape.Of(name);
        var (layer, weights) = shape.CreateRandom<ISelfAttention>(seed: seqLen);
        var input = TestData.Uniform(seqLen + 100, seqLen * shape.ModelDim);
        var actual = new float[seqLen * shape.ModelDim];

        layer.Forward(input, actual, seqLen);

        var what = $"{name} seqLen {seqLen}";
        Report(what, TestData.AssertClose(shape.Reference(input, input, seqLen, seqLen, weights), actual, what));
    }

    [Theory]
    [InlineData("MhaSelf", 24)]
    [InlineData("MhaCausalGqaNoBias", 16)]
    public void SelfAttention_InPlace_GivesTheSameBits(string name, int seqLen)
    {
        // The input is read only by the projections in, before the projection out writes the output, so the output may
        // be the input's memory (as the README says).
        var shape = MhaShape.Of(name);
        var (layer, _) = shape.CreateRandom<ISelfAttention>(seed: seqLen);
        var input = TestData.Uniform(seqLen + 200, seqLen * shape.ModelDim);
        var separate = new float[input.Length];
        layer.Forward(input, separate, seqLen);

        var inPlace = (float[])input.Clone();
        layer.Forward(inPlace, inPlace, seqLen);

        Assert.Equal(separate, inPlace);
    }

    [Fact]
    public void CrossAttention_OutputOverTheInputOrTheContext_GivesTheSameBits()
    {
        var shape = MhaShape.Of("MhaCrossSameWidth");
        var (layer, _) = shape.CreateRandom<ICrossAttention>(seed: 44);
        const int seqLen = 6, contextLen = 6;
        var input = TestData.Uniform(45, seqLen * shape.ModelDim);
        var context = TestData.Uniform(46, contextLen * shape.KvInputDim);
        var separate = new float[input.Length];
        layer.Forward(input, context, separate, seqLen, contextLen);

        var overInput = (float[])input.Clone();
        layer.Forward(overInput, context, overInput, seqLen, contextLen);
        var overContext = (float[])context.Clone();
        layer.Forward(input, overContext, overContext, seqLen, contextLen);

        Assert.Equal(separate, overInput);
        Assert.Equal(separate, overContext);
    }

    [Theory]
    [InlineData("MhaCross", 8, 30)]
    [InlineData("MhaCross", 1, 1)]
    [InlineData("MhaCross", 5, 3)]
    [InlineData("MhaCrossSameWidth", 6, 20)]
    [InlineData("MhaCrossSameWidth", 4, 1)]
    [InlineData("MhaCrossCausalGqa", 8, 16)] // causal cross: bottom-right, query i sees context j ≤ i + 8
    [InlineData("MhaCrossCausalGqa", 8, 5)]  // the first 3 rows see nothing: their attended vector is 0, output o_proj(0) = 0 (no bias)
    [InlineData("MhaCrossCausalGqa", 1, 16)]
    public void CrossAttention(string name, int seqLen, int contextLen)
    {
        var shape = MhaShape.Of(name);
        var (layer, weights) = shape.CreateRandom<ICrossAttention>(seed: 40 + seqLen);
        var input = TestData.Uniform(41, seqLen * shape.ModelDim);
        var context = TestData.Uniform(42, contextLen * shape.KvInputDim);
        var actual = new float[seqLen * shape.ModelDim];

        layer.Forward(input, context, actual, seqLen, contextLen);

        var what = $"{name} seqLen {seqLen} contextLen {contextLen}";
        Report(what, TestData.AssertClose(shape.Reference(input, context, seqLen, contextLen, weights), actual, what));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(5, 5)]
    [InlineData(20, 20)]
    [InlineData(7, 24)]
    [InlineData(13, 9)]
    public void AdditiveMask_PaddingAndRandomBiases_MatchTheReference(int seqLen, int kvSeqLen)
    {
        var shape = MhaShape.Of("MhaMasked");
        var (layer, weights) = shape.CreateRandom<IMaskedAttention>(seed: 60 + seqLen);
        var input = TestData.Uniform(61, seqLen * shape.ModelDim);
        var context = TestData.Uniform(62, kvSeqLen * shape.KvInputDim);

        // Padding: the last third of the keys hidden from every query; the rest get small biases, and one query row is
        // hidden from every key (a fully masked row attends to nothing).
        float[] Mask(int keys)
        {
            var mask = TestData.Uniform(63, seqLen * keys, scale: 0.5f);
            for (int i = 0; i < seqLen; i++)
            {
                for (int j = 0; j < keys; j++)
                {
                    if (j >= keys - keys / 3 || (seqLen > 2 && i == 1))
                    {
                        mask[i * keys + j] = float.NegativeInfinity;
                    }
                }
            }

            return mask;
        }

        var crossMask = Mask(kvSeqLen);
        var cross = new float[seqLen * shape.ModelDim];
        layer.Forward(input, context, crossMask, cross, seqLen, kvSeqLen);
        var what = $"MhaMasked cross seqLen {seqLen} kvSeqLen {kvSeqLen}";
        Report(what, TestData.AssertClose(shape.Reference(input, context, seqLen, kvSeqLen, weights, crossMask), cross, what));

        var selfMask = Mask(seqLen);
        var self = new float[seqLen * shape.ModelDim];
        layer.Forward(input, selfMask, self, seqLen);
        what = $"MhaMasked self seqLen {seqLen}";
        Report(what, TestData.AssertClose(shape.Reference(input, input, seqLen, seqLen, weights, selfMask), self, what));

        // An all-zero mask is no mask. Not to the bit: without a mask the tiles' softmax runs in base 2 (scores times
        // log₂e, folded into the keys), with one in base e, so the two agree to a few float roundings.
        var unmasked = new float[seqLen * shape.ModelDim];
        var zeros = new float[seqLen * seqLen];
        layer.Forward(input, unmasked, seqLen);
        layer.Forward(input, zeros, self, seqLen);
        TestData.AssertClose(unmasked, self, $"MhaMasked all-zero mask seqLen {seqLen}", tolerance: 1e-6);
    }

    [Fact]
    public void AdditiveMask_OfTheWrongShape_IsRejectedByName()
    {
        var (layer, _) = MhaShape.Of("MhaMasked").CreateRandom<IMaskedAttention>(seed: 1);
        var input = new float[4 * 48];

        var error = Assert.Throws<ArgumentException>(() => layer.Forward(input, new float[4 * 5], new float[4 * 48], 4));
        Assert.Equal("additiveMask", error.ParamName);
    }

    [Fact]
    public void SameWidthCross_WithTheInputAsContext_IsSelfAttention()
    {
        var shape = MhaShape.Of("MhaCrossSameWidth");
        var (layer, _) = shape.CreateRandom<MhaCrossSameWidth>(seed: 5);
        var input = TestData.Uniform(6, 6 * shape.ModelDim);
        float[] self = new float[input.Length], cross = new float[input.Length];

        layer.Forward(input, self, 6);
        layer.Forward(input, input, cross, 6, 6);

        Assert.Equal(self, cross);
    }

    [Fact]
    public void LargeWeights_LogitsPastExpOverflow()
    {
        var shape = MhaShape.Of("MhaCausalGqaNoBias");
        const int SeqLen = 16;
        var (layer, weights) = shape.CreateRandom<ISelfAttention>(seed: 8, scale: 5.5f); // q, k projections ×5.5: scores ×30
        var input = TestData.Uniform(9, SeqLen * shape.ModelDim, scale: 2f);
        var actual = new float[SeqLen * shape.ModelDim];

        layer.Forward(input, actual, SeqLen);

        var x = Array.ConvertAll(input, v => (double)v);
        var q = AttentionReference.Linear(x, SeqLen, shape.ModelDim, weights["q_proj.weight"], null, shape.Heads * shape.HeadDim);
        var k = AttentionReference.Linear(x, SeqLen, shape.ModelDim, weights["k_proj.weight"], null, shape.KvHeads * shape.HeadDim);
        double largest = AttentionReference.MaxAbsScore(Array.ConvertAll(q, v => (float)v), Array.ConvertAll(k, v => (float)v), SeqLen, SeqLen,
            shape.Heads, shape.KvHeads, shape.HeadDim, shape.Scale);
        Assert.True(largest > 88.8, $"largest |score| is only {largest:F1}");

        var expected = shape.Reference(input, input, SeqLen, SeqLen, weights);
        var what = $"MHA large weights (max |score| {largest:F0})";
        Report(what, TestData.AssertClose(expected, actual, what, TestData.LargeLogitTolerance(largest)));
        Assert.All(actual, x => Assert.True(float.IsFinite(x)));
    }

    private void Report(string what, double error) => output.WriteLine($"{what}: max error {error:E2}");
}
