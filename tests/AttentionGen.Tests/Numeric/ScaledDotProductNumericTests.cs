using AttentionGen.Tests.Reference;
using Xunit.Abstractions;

namespace AttentionGen.Tests.Numeric;

/// <summary>Generated [ScaledDotProductAttention] layers against the float64 reference, within <see cref="TestData.RelativeTolerance"/>.</summary>
[Trait("Category", "Numeric")]
public sealed class ScaledDotProductNumericTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("SdpaPlain", 1, 1)]
    [InlineData("SdpaPlain", 32, 32)]
    [InlineData("SdpaPlain", 7, 19)]
    [InlineData("SdpaPlain", 2, 32)]
    [InlineData("SdpaPlain", 30, 5)]
    [InlineData("SdpaCausalGqa", 40, 40)]
    [InlineData("SdpaCausalGqa", 1, 40)]
    [InlineData("SdpaCausalGqa", 13, 29)] // a cached prefix: 16 keys before the 13 new queries
    [InlineData("SdpaCausalGqa", 29, 13)] // more queries than keys: the first 16 rows see nothing
    [InlineData("SdpaMultiQuery", 16, 48)]
    [InlineData("SdpaMultiQuery", 1, 3)]
    [InlineData("SdpaMultiQuery", 5, 47)]
    [InlineData("SdpaSoftcap", 16, 16)]
    [InlineData("SdpaSoftcap", 3, 11)]
    [InlineData("SdpaScaled", 20, 140)]
    [InlineData("SdpaScaled", 1, 65)]
    [InlineData("SdpaScaled", 9, 64)]
    [InlineData("SdpaHeadDim1", 9, 9)]
    [InlineData("SdpaHeadDim1", 2, 5)]
    [InlineData("SdpaHeadDim3Causal", 12, 20)]
    [InlineData("SdpaHeadDim3Causal", 12, 7)]
    [InlineData("SdpaHeadDim100", 10, 70)]
    [InlineData("SdpaHeadDim100", 1, 1)]
    [InlineData("SdpaCausalCross", 16, 32)]
    [InlineData("SdpaCausalCross", 3, 30)]
    [InlineData("SdpaCausalCross", 16, 9)]
    [InlineData("SdpaWide", 8, 8)]
    [InlineData("SdpaWide", 1, 3)]
    [InlineData("SdpaCausalMqaPrefix", 10, 64)] // prefill after a 54-key prefix
    [InlineData("SdpaCausalMqaPrefix", 1, 64)]  // decode
    [InlineData("SdpaCausalMqaPrefix", 24, 24)]
    [InlineData("SdpaCausalMqaPrefix", 24, 8)]  // the first 16 rows see nothing
    [InlineData("SdpaSoftcapCausalGqa", 20, 36)]
    [InlineData("SdpaSoftcapCausalGqa", 20, 20)]
    [InlineData("SdpaSoftcapCausalGqa", 7, 3)]
    [InlineData("SdpaLongCausal", 100, 100)]
    [InlineData("SdpaLongCausal", 37, 100)]
    [InlineData("SdpaLongCausal", 100, 65)]
    [InlineData("SdpaLongKv", 4, 700)]
    [InlineData("SdpaLongKv", 1, 513)]
    [InlineData("SdpaSingle", 1, 1)]
    [InlineData("SdpaDecodeGqa", 1, 300)]
    [InlineData("SdpaDecodeGqa", 1, 1)]
    [InlineData("SdpaDecodeGqa", 1, 129)]
    [InlineData("SdpaDecodeGroupOfSix", 1, 90)]
    [InlineData("SdpaDecodeGroupOfSix", 2, 90)]
    [InlineData("SdpaDecodeGroupOfSix", 2, 5)]      // row 0 sees 4 keys: exactly one stacked block
    [InlineData("SdpaDecodeGroupOfSix", 1, 3)]      // fewer keys than a stacked block: head by head
    [InlineData("SdpaDecodeMqaHeadDim80", 1, 40)]
    [InlineData("SdpaDecodeMqaHeadDim80", 1, 17)]
    [InlineData("SdpaDecodeMqaHeadDim80", 1, 2)]
    [InlineData("SdpaDecodeSixHeads", 1, 70)]
    [InlineData("SdpaDecodeGroupOfThreeHeadDim24", 1, 50)]
    [InlineData("SdpaDecodeGroupOfThreeHeadDim24", 1, 6)]
    [InlineData("SdpaOnlineCausalGqa", 14, 1300)]   // three chunks, the last one partial
    [InlineData("SdpaOnlineCausalGqa", 14, 1025)]   // a second chunk of one key for the last rows
    [InlineData("SdpaOnlineCausalGqa", 3, 1300)]    // six pairs: one tile
    [InlineData("SdpaOnlineCausalGqa", 14, 600)]    // two chunks
    [InlineData("SdpaOnlineCausalGqa", 14, 10)]     // rows that see no key at all
    [InlineData("SdpaOnlineSoftcap", 8, 1100)]
    [InlineData("SdpaDecodeSixHeads", 5, 70)]
    [InlineData("SdpaDecodeSixHeads", 5, 7)]        // rows see 3 … 7 keys: head by head, then one stacked block
    [InlineData("SdpaHeadDim1CausalGqa", 10, 14)]
    [InlineData("SdpaHeadDim1CausalGqa", 10, 4)]
    [InlineData("SdpaHeadDim8", 30, 30)]
    [InlineData("SdpaHeadDim8", 6, 17)]
    [InlineData("SdpaHeadDim8", 30, 27)]            // an odd key count: the last key weighed alone
    [InlineData("SdpaHeadDim8OnlineCausalGqa", 12, 1100)]
    [InlineData("SdpaHeadDim8OnlineCausalGqa", 5, 1025)] // the last rows' second chunk is one key
    [InlineData("SdpaHeadDim8OnlineCausalGqa", 12, 13)]  // causal rows of 2 to 13 keys, odd and even
    [InlineData("SdpaHeadDim4Causal", 12, 12)]
    [InlineData("SdpaHeadDim4Causal", 5, 11)]
    [InlineData("SdpaHeadDim48Gqa", 13, 77)]
    [InlineData("SdpaHeadDim48Gqa", 3, 2)]
    [InlineData("SdpaHeadDim24Gqa", 40, 40)]
    [InlineData("SdpaHeadDim24Gqa", 7, 19)]
    [InlineData("SdpaHeadDim40", 48, 48)]
    [InlineData("SdpaHeadDim40", 13, 29)]
    [InlineData("SdpaHeadDim56CausalGqa", 40, 40)]
    [InlineData("SdpaHeadDim56CausalGqa", 13, 29)]
    [InlineData("SdpaHeadDim56CausalGqa", 29, 13)]
    [InlineData("SdpaHeadDim120Causal", 64, 64)]
    [InlineData("SdpaHeadDim120Causal", 10, 64)]
    [InlineData("SdpaHeadDim72Online", 12, 1100)]
    [InlineData("SdpaHeadDim72Online", 5, 1025)]
    [InlineData("SdpaHeadDim100OnlineCausal", 8, 1100)]
    [InlineData("SdpaHeadDim100OnlineCausal", 8, 8)]
    [InlineData("SdpaHeadDim20OnlineCausalGqa", 6, 1200)]
    [InlineData("SdpaHeadDim20OnlineCausalGqa", 3, 700)]
    [InlineData("SdpaHeadDim18MultiQuery", 40, 100)]
    [InlineData("SdpaHeadDim18MultiQuery", 9, 37)]
    public void MatchesReference(string name, int seqLen, int kvSeqLen)
    {
        var shape = SdpaShape.Of(name);
        var (q, k, v) = Inputs(shape, seqLen, kvSeqLen, seed: seqLen * 1000 + kvSeqLen);

        Check(shape, shape.Create(), q, k, v, mask: null, seqLen, kvSeqLen, $"{name} seqLen {seqLen} kvSeqLen {kvSeqLen}");
    }

    [Theory]
    [InlineData("SdpaPlain", 12, 20)]
    [InlineData("SdpaCausalGqa", 10, 10)]           // causal: row 0's only key is masked too, so it sees nothing
    [InlineData("SdpaSoftcap", 9, 9)]
    [InlineData("SdpaHeadDim3Causal", 4, 12)]
    [InlineData("SdpaSoftcapCausalGqa", 20, 36)]    // softcap, then mask, then causal
    [InlineData("SdpaCausalMqaPrefix", 10, 64)]
    [InlineData("SdpaLongCausal", 100, 100)]
    [InlineData("SdpaHeadDim8", 30, 30)]
    [InlineData("SdpaMultiQuery", 16, 48)]
    [InlineData("SdpaDecodeGqa", 1, 300)]           // one row: hide every third key, no fully masked row
    [InlineData("SdpaOnlineSoftcap", 8, 1100)]      // online softmax: the mask sliced per chunk, a fully masked row
    [InlineData("SdpaHeadDim40", 48, 48)]           // heads ending on an overlapping vector
    [InlineData("SdpaHeadDim56CausalGqa", 40, 40)]
    [InlineData("SdpaHeadDim72Online", 12, 1100)]
    public void AdditiveMask_WithInfinities_AndAFullyMaskedRow(string name, int seqLen, int kvSeqLen)
    {
        var shape = SdpaShape.Of(name);
        var (q, k, v) = Inputs(shape, seqLen, kvSeqLen, seed: 77);
        var mask = Masks.Padding(78, seqLen, kvSeqLen); // row 0 hides every third key, row 1 hides all

        var result = Check(shape, shape.Create(), q, k, v, mask, seqLen, kvSeqLen, $"{name} with mask");
        if (seqLen > 1)
        {
            Assert.All(result.AsSpan(shape.QueryWidth, shape.QueryWidth).ToArray(), x => Assert.Equal(0f, x));
        }
    }

    [Theory]
    [InlineData("SdpaPlain", 32, 32, 10f)]
    [InlineData("SdpaLongCausal", 100, 100, 9f)]      // tiled causal path
    [InlineData("SdpaCausalMqaPrefix", 3, 64, 9f)]    // row path
    [InlineData("SdpaHeadDim8", 30, 30, 14f)]
    public void LargeLogits_WouldOverflowWithoutMaxSubtraction(string name, int seqLen, int kvSeqLen, float inputScale)
    {
        var shape = SdpaShape.Of(name);
        var (q, k, v) = Inputs(shape, seqLen, kvSeqLen, seed: 5, scale: inputScale);
        double largest = AttentionReference.MaxAbsScore(q, k, seqLen, kvSeqLen, shape.Heads, shape.KvHeads, shape.HeadDim, shape.Scale);

        // exp overflows float past 88.7; the scores must go past it for this test to mean anything.
        Assert.True(largest > 88.8, $"largest |score| is only {largest:F1}");
        var result = Check(shape, shape.Create(), q, k, v, mask: null, seqLen, kvSeqLen, $"{name} large logits (max |score| {largest:F0})",
            TestData.LargeLogitTolerance(largest));
        Assert.All(result, x => Assert.True(float.IsFinite(x)));
    }

    [Fact]
    public void OneInstance_ManyCalls_NoStateLeaksBetweenThem()
    {
        // Scratch is reused across calls: a long call followed by shorter ones (and a masked one) must not see its leftovers.
        var shape = SdpaShape.Of("SdpaCausalGqa");
        var layer = shape.Create();
        foreach (var (seqLen, kvSeqLen, masked) in new[] { (40, 40, false), (7, 9, false), (40, 40, true), (29, 13, false), (1, 40, false), (12, 30, true), (40, 40, false) })
        {
            var (q, k, v) = Inputs(shape, seqLen, kvSeqLen, seed: seqLen + 31 * kvSeqLen);
            var mask = masked ? Masks.Padding(3, seqLen, kvSeqLen) : null;
            Check(shape, layer, q, k, v, mask, seqLen, kvSeqLen, $"call {seqLen}x{kvSeqLen}{(masked ? " masked" : "")}");
        }
    }

    [Fact]
    public void LongerSpans_OnlyThePrefixIsReadAndWritten()
    {
        var shape = SdpaShape.Of("SdpaPlain");
        const int SeqLen = 9, KvSeqLen = 11;
        var (q, k, v) = Inputs(shape, SeqLen + 3, KvSeqLen + 5, seed: 12); // extra rows the call must ignore
        var output = new float[(SeqLen + 2) * shape.QueryWidth];
        Array.Fill(output, 42f);

        shape.Create().Forward(q, k, v, output, SeqLen, KvSeqLen);

        var expected = shape.Reference(q[..(SeqLen * shape.QueryWidth)], k[..(KvSeqLen * shape.KvWidth)], v[..(KvSeqLen * shape.KvWidth)], null, SeqLen, KvSeqLen);
        TestData.AssertClose(expected, output, "prefix");
        Assert.All(output[(SeqLen * shape.QueryWidth)..], x => Assert.Equal(42f, x));
    }

    private float[] Check(SdpaShape shape, IScaledDotProduct layer, float[] q, float[] k, float[] v, float[]? mask, int seqLen, int kvSeqLen, string what,
        double tolerance = TestData.RelativeTolerance)
    {
        var actual = new float[seqLen * shape.QueryWidth];
        if (mask is null)
        {
            layer.Forward(q, k, v, actual, seqLen, kvSeqLen);
        }
        else
        {
            layer.Forward(q, k, v, mask, actual, seqLen, kvSeqLen);
        }

        var error = TestData.AssertClose(shape.Reference(q, k, v, mask, seqLen, kvSeqLen), actual, what, tolerance);
        output.WriteLine($"{what}: max error {error:E2}");
        return actual;
    }

    internal static (float[] Q, float[] K, float[] V) Inputs(SdpaShape shape, int seqLen, int kvSeqLen, int seed, float scale = 1f) =>
        (TestData.Uniform(seed, seqLen * shape.QueryWidth, scale),
         TestData.Uniform(seed + 1, kvSeqLen * shape.KvWidth, scale),
         TestData.Uniform(seed + 2, kvSeqLen * shape.KvWidth));
}
