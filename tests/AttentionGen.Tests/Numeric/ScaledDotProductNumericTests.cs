using AttentionGen.Tests.Reference;
using Xunit.Abstractions;

namespace AttentionGen.Tests.Numeric;

/// <summary>Generated [ScaledDotProductAttention] layers against the float64 reference, within <see cref="TestData.RelativeTolerance"/>.</summary>
[Trait("Category", "Numeric")]
public sealed class ScaledDotProductNumericTests(ITestOutputHelper output)
{
    public delegate void Forward(float[] q, float[] k, float[] v, float[]? mask, float[] o, int seqLen, int kvSeqLen);

    private sealed record Layer(int Heads, int KvHeads, int HeadDim, bool Causal, float Scale, float Softcap, Forward Run);

    private static readonly Dictionary<string, Layer> Layers = new()
    {
        ["Plain"] = Create(new SdpaPlain(), SdpaPlain.Heads, SdpaPlain.KvHeads, SdpaPlain.HeadDim, SdpaPlain.IsCausal, SdpaPlain.Scale, SdpaPlain.Softcap),
        ["CausalGqa"] = Create(new SdpaCausalGqa(), SdpaCausalGqa.Heads, SdpaCausalGqa.KvHeads, SdpaCausalGqa.HeadDim, SdpaCausalGqa.IsCausal, SdpaCausalGqa.Scale, SdpaCausalGqa.Softcap),
        ["MultiQuery"] = Create(new SdpaMultiQuery(), SdpaMultiQuery.Heads, SdpaMultiQuery.KvHeads, SdpaMultiQuery.HeadDim, SdpaMultiQuery.IsCausal, SdpaMultiQuery.Scale, SdpaMultiQuery.Softcap),
        ["Softcap"] = Create(new SdpaSoftcap(), SdpaSoftcap.Heads, SdpaSoftcap.KvHeads, SdpaSoftcap.HeadDim, SdpaSoftcap.IsCausal, SdpaSoftcap.Scale, SdpaSoftcap.Softcap),
        ["Scaled"] = Create(new SdpaScaled(), SdpaScaled.Heads, SdpaScaled.KvHeads, SdpaScaled.HeadDim, SdpaScaled.IsCausal, SdpaScaled.Scale, SdpaScaled.Softcap),
        ["HeadDim1"] = Create(new SdpaHeadDim1(), SdpaHeadDim1.Heads, SdpaHeadDim1.KvHeads, SdpaHeadDim1.HeadDim, SdpaHeadDim1.IsCausal, SdpaHeadDim1.Scale, SdpaHeadDim1.Softcap),
        ["HeadDim3Causal"] = Create(new SdpaHeadDim3Causal(), SdpaHeadDim3Causal.Heads, SdpaHeadDim3Causal.KvHeads, SdpaHeadDim3Causal.HeadDim, SdpaHeadDim3Causal.IsCausal, SdpaHeadDim3Causal.Scale, SdpaHeadDim3Causal.Softcap),
        ["HeadDim100"] = Create(new SdpaHeadDim100(), SdpaHeadDim100.Heads, SdpaHeadDim100.KvHeads, SdpaHeadDim100.HeadDim, SdpaHeadDim100.IsCausal, SdpaHeadDim100.Scale, SdpaHeadDim100.Softcap),
        ["CausalCross"] = Create(new SdpaCausalCross(), SdpaCausalCross.Heads, SdpaCausalCross.KvHeads, SdpaCausalCross.HeadDim, SdpaCausalCross.IsCausal, SdpaCausalCross.Scale, SdpaCausalCross.Softcap),
        ["Wide"] = Create(new SdpaWide(), SdpaWide.Heads, SdpaWide.KvHeads, SdpaWide.HeadDim, SdpaWide.IsCausal, SdpaWide.Scale, SdpaWide.Softcap),
    };

    [Theory]
    [InlineData("Plain", 1, 1)]
    [InlineData("Plain", 32, 32)]
    [InlineData("Plain", 7, 19)]
    [InlineData("Plain", 2, 32)]
    [InlineData("CausalGqa", 40, 40)]
    [InlineData("CausalGqa", 1, 40)]
    [InlineData("CausalGqa", 13, 29)] // a cached prefix: 16 keys before the 13 new queries
    [InlineData("CausalGqa", 29, 13)] // more queries than keys: the first 16 rows see nothing
    [InlineData("MultiQuery", 16, 48)]
    [InlineData("MultiQuery", 1, 3)]
    [InlineData("MultiQuery", 5, 47)]
    [InlineData("Softcap", 16, 16)]
    [InlineData("Softcap", 3, 11)]
    [InlineData("Scaled", 20, 140)]
    [InlineData("Scaled", 1, 65)]
    [InlineData("Scaled", 9, 64)]
    [InlineData("HeadDim1", 9, 9)]
    [InlineData("HeadDim1", 2, 5)]
    [InlineData("HeadDim3Causal", 12, 20)]
    [InlineData("HeadDim3Causal", 12, 7)]
    [InlineData("HeadDim100", 10, 70)]
    [InlineData("HeadDim100", 1, 1)]
    [InlineData("CausalCross", 16, 32)]
    [InlineData("CausalCross", 3, 30)]
    [InlineData("CausalCross", 16, 9)]
    [InlineData("Wide", 8, 8)]
    [InlineData("Wide", 1, 3)]
    public void MatchesReference(string name, int seqLen, int kvSeqLen)
    {
        var layer = Layers[name];
        var (q, k, v) = Inputs(layer, seqLen, kvSeqLen, seed: seqLen * 1000 + kvSeqLen);

        Check(layer, q, k, v, mask: null, seqLen, kvSeqLen, $"{name} seqLen {seqLen} kvSeqLen {kvSeqLen}");
    }

    [Theory]
    [InlineData("Plain", 12, 20)]
    [InlineData("CausalGqa", 10, 10)]
    [InlineData("Softcap", 9, 9)]
    [InlineData("HeadDim3Causal", 4, 12)]
    public void AdditiveMask_WithInfinities_AndAFullyMaskedRow(string name, int seqLen, int kvSeqLen)
    {
        var layer = Layers[name];
        var (q, k, v) = Inputs(layer, seqLen, kvSeqLen, seed: 77);
        var mask = TestData.Uniform(78, seqLen * kvSeqLen, scale: 3f);
        for (int j = 0; j < kvSeqLen; j += 3)
        {
            mask[j] = float.NegativeInfinity; // padding-style: hide every third key from row 0
        }

        Array.Fill(mask, float.NegativeInfinity, kvSeqLen, kvSeqLen); // row 1 sees nothing at all

        var result = Check(layer, q, k, v, mask, seqLen, kvSeqLen, $"{name} with mask");
        Assert.All(result.AsSpan(layer.Heads * layer.HeadDim, layer.Heads * layer.HeadDim).ToArray(), x => Assert.Equal(0f, x));
    }

    [Fact]
    public void LargeLogits_WouldOverflowWithoutMaxSubtraction()
    {
        var layer = Layers["Plain"];
        const int SeqLen = 32;
        var (q, k, v) = Inputs(layer, SeqLen, SeqLen, seed: 5, scale: 10f);
        double largest = 0;
        for (int i = 0; i < SeqLen; i++)
        {
            for (int j = 0; j < SeqLen; j++)
            {
                double dot = 0;
                for (int d = 0; d < layer.HeadDim; d++)
                {
                    dot += q[i * layer.Heads * layer.HeadDim + d] * k[j * layer.KvHeads * layer.HeadDim + d];
                }

                largest = Math.Max(largest, Math.Abs(dot * layer.Scale));
            }
        }

        Assert.True(largest > 88.8, $"the scores must pass float exp's overflow point (88.7) for this test to mean anything; largest {largest:F1}");
        var result = Check(layer, q, k, v, mask: null, SeqLen, SeqLen, "large logits");
        Assert.All(result, x => Assert.True(float.IsFinite(x)));
    }

    private float[] Check(Layer layer, float[] q, float[] k, float[] v, float[]? mask, int seqLen, int kvSeqLen, string what)
    {
        var actual = new float[seqLen * layer.Heads * layer.HeadDim];
        layer.Run(q, k, v, mask, actual, seqLen, kvSeqLen);
        var expected = AttentionReference.Sdpa(q, k, v, seqLen, kvSeqLen, layer.Heads, layer.KvHeads, layer.HeadDim,
            layer.Causal, layer.Scale, layer.Softcap, mask);
        var error = TestData.AssertClose(expected, actual, what);
        output.WriteLine($"{what}: max error {error:E2}");
        return actual;
    }

    private static (float[] Q, float[] K, float[] V) Inputs(Layer layer, int seqLen, int kvSeqLen, int seed, float scale = 1f) =>
        (TestData.Uniform(seed, seqLen * layer.Heads * layer.HeadDim, scale),
         TestData.Uniform(seed + 1, kvSeqLen * layer.KvHeads * layer.HeadDim, scale),
         TestData.Uniform(seed + 2, kvSeqLen * layer.KvHeads * layer.HeadDim));

    private static Layer Create(IScaledDotProduct layer, int heads, int kvHeads, int headDim, bool causal, float scale, float softcap)
    {
        Forward run = (q, k, v, mask, o, seqLen, kvSeqLen) =>
        {
            if (mask is null)
            {
                layer.Forward(q, k, v, o, seqLen, kvSeqLen);
            }
            else
            {
                layer.Forward(q, k, v, mask, o, seqLen, kvSeqLen);
            }
        };
        return new Layer(heads, kvHeads, headDim, causal, scale, softcap, run);
    }
}
