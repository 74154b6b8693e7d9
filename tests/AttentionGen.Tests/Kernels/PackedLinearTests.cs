using AttentionGen.Kernels;

namespace AttentionGen.Tests.Kernels;

/// <summary>The packed GEMM against a float64 nn.Linear, over row, input and output counts on both sides of every tile edge.</summary>
[Trait("Category", "Numeric")]
public sealed class PackedLinearTests
{
    [Theory]
    [InlineData(1, 1, 1, true)]
    [InlineData(5, 3, 5, false)]
    [InlineData(6, 17, 16, true)]
    [InlineData(7, 64, 63, true)]
    [InlineData(13, 100, 64, false)]
    [InlineData(12, 64, 65, true)]
    [InlineData(128, 33, 130, true)]
    [InlineData(2, 256, 8, true)]
    [InlineData(20, 40, 192, true)]   // three whole panels, each tile starting from the bias; the last tile slides back
    [InlineData(1, 48, 200, true)]    // one row: whole panels two at a time, then one, then the edge
    [InlineData(3, 48, 200, false)]   // a three-row tile
    [InlineData(8, 30, 130, true)]    // a six-row tile, then a two-row tile
    public void MatchesReference(int rows, int inDim, int outDim, bool withBias)
    {
        var x = Reference.TestData.Uniform(rows * 1000 + inDim, rows * inDim);
        var w = Reference.TestData.Uniform(outDim, outDim * inDim);
        var b = withBias ? Reference.TestData.Uniform(7, outDim) : [];
        var panels = new float[PackedLinear.PackedLength(outDim, inDim)];
        var y = new float[rows * outDim];

        PackedLinear.Pack(w, outDim, inDim, panels);
        PackedLinear.Forward(x, panels, b, y, rows, inDim, outDim);

        var expected = Reference.AttentionReference.Linear(x.Select(v => (double)v).ToArray(), rows, inDim, w, withBias ? b : null, outDim);
        Reference.TestData.AssertClose(expected, y, $"rows {rows} in {inDim} out {outDim}");
    }

    [Theory]
    [InlineData(64, 192, true)]
    [InlineData(40, 130, false)]
    public void EveryRow_IsTheSameBits_AsThatRowAlone(int inDim, int outDim, bool withBias)
    {
        // Rows land in six-row tiles, a four-row tile, a slid-back tile or the one-row kernel depending on how many
        // came with them; packed batches and parallel row ranges rely on that never changing a row's bits.
        var w = Reference.TestData.Uniform(outDim, outDim * inDim);
        var b = withBias ? Reference.TestData.Uniform(7, outDim) : [];
        var panels = new float[PackedLinear.PackedLength(outDim, inDim)];
        PackedLinear.Pack(w, outDim, inDim, panels);
        var alone = new float[outDim];
        for (int rows = 1; rows <= 20; rows++)
        {
            var x = Reference.TestData.Uniform(rows, rows * inDim);
            var y = new float[rows * outDim];
            PackedLinear.Forward(x, panels, b, y, rows, inDim, outDim);
            for (int r = 0; r < rows; r++)
            {
                PackedLinear.Forward(x.AsSpan(r * inDim, inDim), panels, b, alone, 1, inDim, outDim);
                Assert.True(alone.AsSpan().SequenceEqual(y.AsSpan(r * outDim, outDim)), $"row {r} of {rows} differs from the row alone");
            }
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(5, 3)]
    [InlineData(63, 7)]
    [InlineData(64, 16)]
    [InlineData(65, 9)]
    [InlineData(130, 33)]
    public void Unpack_GivesBackExactlyWhatWasPacked(int outDim, int inDim)
    {
        var w = Reference.TestData.Uniform(outDim * 31 + inDim, outDim * inDim);
        var panels = new float[PackedLinear.PackedLength(outDim, inDim)];
        var unpacked = Enumerable.Repeat(float.NaN, outDim * inDim + 5).ToArray();

        PackedLinear.Pack(w, outDim, inDim, panels);
        PackedLinear.Unpack(panels, outDim, inDim, unpacked);

        Assert.Equal(w, unpacked[..(outDim * inDim)]);
        Assert.All(unpacked[(outDim * inDim)..], v => Assert.True(float.IsNaN(v), "Unpack wrote past the weight"));
        Assert.Equal("weight", Assert.Throws<ArgumentException>(() => PackedLinear.Unpack(panels, outDim, inDim, new float[outDim * inDim - 1])).ParamName);
        Assert.Equal("panels", Assert.Throws<ArgumentException>(() => PackedLinear.Unpack(panels.AsSpan(1), outDim, inDim, unpacked)).ParamName);
    }

    [Fact]
    public void RejectsBadArguments()
    {
        var panels = new float[PackedLinear.PackedLength(4, 4)];
        Assert.Equal("weight", Assert.Throws<ArgumentException>(() => PackedLinear.Pack(new float[15], 4, 4, panels)).ParamName);
        Assert.Equal("panels", Assert.Throws<ArgumentException>(() => PackedLinear.Forward(new float[4], new float[3], [], new float[4], 1, 4, 4)).ParamName);
        Assert.Equal("bias", Assert.Throws<ArgumentException>(() => PackedLinear.Forward(new float[4], panels, new float[3], new float[4], 1, 4, 4)).ParamName);
        var shared = new float[16];
        Assert.Equal("output", Assert.Throws<ArgumentException>(() => PackedLinear.Forward(shared, panels, [], shared, 1, 4, 4)).ParamName);
    }
}
