using AttentionGen.Kernels;
using AttentionGen.Tests.Reference;

namespace AttentionGen.Tests.Kernels;

/// <summary>
/// bfloat16 panels: packing rounds each weight to nearest even and nothing else, and the GEMM over them gives exactly
/// (bit for bit) what the float GEMM gives over the rounded weights: the same multiply-adds on the same values.
/// </summary>
[Trait("Category", "Numeric")]
public sealed class PackedLinearBfloat16Tests
{
    [Theory]
    [InlineData(1, 17, 7, true)]
    [InlineData(1, 64, 64, false)]
    [InlineData(5, 33, 100, true)]
    [InlineData(6, 64, 130, true)]
    [InlineData(13, 1, 64, false)]
    [InlineData(13, 96, 192, true)]
    [InlineData(1, 40, 256, true)]
    [InlineData(2, 33, 130, true)]
    [InlineData(3, 17, 200, false)]
    public void Forward_IsTheFloatGemmOverTheRoundedWeights_BitForBit(int rows, int inDim, int outDim, bool withBias)
    {
        var weight = TestData.Uniform(1, outDim * inDim);
        var rounded = Array.ConvertAll(weight, TestData.RoundToBfloat16);
        var input = TestData.Uniform(2, rows * inDim);
        var bias = withBias ? TestData.Uniform(3, outDim) : [];
        var floatPanels = new float[PackedLinear.PackedLength(outDim, inDim)];
        PackedLinear.Pack(rounded, outDim, inDim, floatPanels);
        var pairs = new uint[PackedLinear.PackedLengthBfloat16(outDim, inDim)];
        PackedLinear.PackBfloat16(weight, outDim, inDim, pairs);
        float[] expected = new float[rows * outDim], actual = new float[rows * outDim];

        PackedLinear.Forward(input, floatPanels, bias, expected, rows, inDim, outDim);
        PackedLinear.ForwardBfloat16(input, pairs, bias, actual, rows, inDim, outDim);

        Assert.Equal(expected, actual);
        var unpacked = new float[outDim * inDim];
        PackedLinear.UnpackBfloat16(pairs, outDim, inDim, unpacked);
        Assert.Equal(rounded, unpacked);
    }

    [Theory]
    [InlineData(7, 17)]
    [InlineData(64, 64)]
    [InlineData(130, 33)]
    [InlineData(200, 1)]
    public void GatherBfloat16Panels_ReadsEachRowOfThePackedTable_AsItsRoundedValues(int rows, int width)
    {
        // A tied decoder's table held as the LM head's panels: every row, wherever it falls in its panel and chunk.
        var table = TestData.Uniform(4, rows * width);
        var pairs = new uint[PackedLinear.PackedLengthBfloat16(rows, width)];
        PackedLinear.PackBfloat16(table, rows, width, pairs);
        int[] ids = [.. Enumerable.Range(0, rows).Reverse(), 0, rows - 1, rows / 2];
        var output = new float[ids.Length * width];

        EmbeddingKernels.GatherBfloat16Panels(ids, pairs, rows, output, width);

        for (int t = 0; t < ids.Length; t++)
        {
            var expected = Array.ConvertAll(table[(ids[t] * width)..((ids[t] + 1) * width)], TestData.RoundToBfloat16);
            Assert.Equal(expected, output[(t * width)..((t + 1) * width)]);
        }
    }

    [Fact]
    public void GatherBfloat16Panels_RefusesBadIdsAndShortSpans_BeforeWritingAnything()
    {
        const int Rows = 10, Width = 8;
        var pairs = new uint[PackedLinear.PackedLengthBfloat16(Rows, Width)];
        var output = new float[3 * Width];
        Array.Fill(output, 7f);

        var id = Assert.Throws<ArgumentOutOfRangeException>(() => EmbeddingKernels.GatherBfloat16Panels([1, 2, Rows], pairs, Rows, output, Width));
        Assert.Contains("ids[2] is 10", id.Message);
        Assert.Equal("panels", Assert.Throws<ArgumentException>(() => EmbeddingKernels.GatherBfloat16Panels([1], pairs.AsSpan(1), Rows, output, Width)).ParamName);
        Assert.Equal("output", Assert.Throws<ArgumentException>(() => EmbeddingKernels.GatherBfloat16Panels([1, 2, 3, 4], pairs, Rows, output, Width)).ParamName);
        Assert.All(output, x => Assert.Equal(7f, x));
    }

    [Fact]
    public void Rounding_IsToNearestEven_AndKeepsNaNAndInfinities()
    {
        Assert.Equal(1f, RoundTrip(1f));
        Assert.Equal(BitConverter.UInt32BitsToSingle(0x3F800000), RoundTrip(BitConverter.UInt32BitsToSingle(0x3F808000))); // tie, even below
        Assert.Equal(BitConverter.UInt32BitsToSingle(0x3F820000), RoundTrip(BitConverter.UInt32BitsToSingle(0x3F818000))); // tie, even above
        Assert.Equal(BitConverter.UInt32BitsToSingle(0x3F810000), RoundTrip(BitConverter.UInt32BitsToSingle(0x3F808001))); // past the tie
        Assert.Equal(float.PositiveInfinity, RoundTrip(float.PositiveInfinity));
        Assert.Equal(float.NegativeInfinity, RoundTrip(float.NegativeInfinity));
        Assert.True(float.IsNaN(RoundTrip(float.NaN)));
        Assert.True(float.IsNaN(RoundTrip(BitConverter.UInt32BitsToSingle(0x7F800001)))); // a NaN whose payload is all in the low bits
    }

    private static float RoundTrip(float value)
    {
        int outDim = 1, inDim = 1;
        var pairs = new uint[PackedLinear.PackedLengthBfloat16(outDim, inDim)];
        PackedLinear.PackBfloat16([value], outDim, inDim, pairs);
        var back = new float[1];
        PackedLinear.UnpackBfloat16(pairs, outDim, inDim, back);
        return back[0];
    }
}
