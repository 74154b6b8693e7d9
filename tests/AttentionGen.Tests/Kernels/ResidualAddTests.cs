using AttentionGen.Kernels;

namespace AttentionGen.Tests.Kernels;

/// <summary>The out-of-place residual add: exact float sums at every length, in place on either addend.</summary>
[Trait("Category", "Numeric")]
public sealed class ResidualAddTests
{
    public static IEnumerable<object[]> RowLengths() => KernelReference.RowLengths();

    [Theory]
    [MemberData(nameof(RowLengths))]
    public void Add_WritesTheElementwiseSum_AlsoIntoEitherAddend(int length)
    {
        float[] a = KernelReference.Uniform(length, -1f, 1f, seed: length);
        float[] b = KernelReference.Uniform(length, -1f, 1f, seed: length + 1);
        float[] expected = a.Zip(b, (x, y) => x + y).ToArray();

        float[] sum = new float[length];
        ElementwiseKernels.Add(a, b, sum);
        Assert.Equal(expected, sum);

        float[] intoA = (float[])a.Clone(), intoB = (float[])b.Clone();
        ElementwiseKernels.Add(intoA, b, intoA);
        ElementwiseKernels.Add(a, intoB, intoB);
        Assert.Equal(expected, intoA);
        Assert.Equal(expected, intoB);
    }

    [Fact]
    public void Add_BadArguments_ThrowNamingThem()
    {
        Assert.Equal("b", Assert.Throws<ArgumentException>(() => ElementwiseKernels.Add(new float[3], new float[4], new float[3])).ParamName);
        Assert.Equal("sum", Assert.Throws<ArgumentException>(() => ElementwiseKernels.Add(new float[3], new float[3], new float[4])).ParamName);
        float[] buffer = new float[10];
        Assert.Equal("sum", Assert.Throws<ArgumentException>(
            () => ElementwiseKernels.Add(new float[8], buffer.AsSpan(2, 8), buffer.AsSpan(0, 8))).ParamName);
    }
}
