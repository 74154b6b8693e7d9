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
