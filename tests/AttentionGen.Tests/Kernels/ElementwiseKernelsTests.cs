using AttentionGen.Kernels;

namespace AttentionGen.Tests.Kernels;

/// <summary>
/// The element-wise drivers through their public kernels, over lengths 0..70 (every tail of every vector width) and a
/// few long rows: each element must come out as the scalar operator gives it, whichever width computed it, and close
/// to a float64 reference (1e-5 · max(1, |ref|) for inputs in [−1, 1]).
/// </summary>
[Trait("Category", "Numeric")]
public sealed class ElementwiseKernelsTests
{
    private const double Tolerance = 1e-5;

    public static IEnumerable<object[]> RowLengths() => KernelReference.RowLengths();

    [Theory]
    [MemberData(nameof(RowLengths))]
    public void Add_AddsElementwise(int length)
    {
        float[] values = KernelReference.Uniform(length, -1f, 1f, seed: length);
        float[] addend = KernelReference.Uniform(length, -1f, 1f, seed: length + 1);
        float[] expected = values.Zip(addend, (a, b) => a + b).ToArray();
        ElementwiseKernels.Add(values, addend);
        Assert.Equal(expected, values);
    }

    [Theory]
    [MemberData(nameof(RowLengths))]
    public void Add_WithInfinities_GivesNaNOnlyWhereTheyCancel(int length)
    {
        for (int position = 0; position < Math.Min(length, 40); position++)
        {
            float[] values = KernelReference.Uniform(length, -1f, 1f, seed: position);
            float[] addend = new float[length];
            values[position] = float.PositiveInfinity;
            addend[position] = float.NegativeInfinity;
            addend[length - 1 - position] += float.PositiveInfinity;
            ElementwiseKernels.Add(values, addend);
            for (int i = 0; i < length; i++)
            {
                bool cancels = i == position;
                bool infinite = i == length - 1 - position;
                Assert.True(cancels ? float.IsNaN(values[i]) : infinite ? float.IsPositiveInfinity(values[i]) : float.IsFinite(values[i]),
                    $"length {length}, position {position}, index {i}: {values[i]}");
            }
        }
    }

    [Fact]
    public void Add_WithDifferentLength_ThrowsNamingAddend()
    {
        var error = Assert.Throws<ArgumentException>(() => ElementwiseKernels.Add(new float[5], new float[4]));
        Assert.Equal("addend", error.ParamName);
    }

    [Theory]
    [MemberData(nameof(RowLengths))]
    public void MultiplyByScalar_ScalesEveryElement(int length)
    {
        float[] values = KernelReference.Uniform(length, -1f, 1f, seed: length);
        if (length > 2)
        {
            values[length / 2] = float.NaN;
            values[length - 1] = float.NegativeInfinity;
        }
        float[] expected = values.Select(v => v * 0.37f).ToArray();
        ElementwiseKernels.Multiply(values, 0.37f);
        Assert.Equal(expected, values);
    }

    [Theory]
    [MemberData(nameof(RowLengths))]
    public void DivideByScalar_DividesEveryElement_NotMultipliesByTheReciprocal(int length)
    {
        float[] original = KernelReference.Uniform(length, -30f, 30f, seed: length);
        float[] values = (float[])original.Clone();
        float[] expected = original.Select(v => v / 7.3f).ToArray();
        ElementwiseKernels.Divide(values, 7.3f);
        Assert.Equal(expected, values);

        // Some of these round otherwise when multiplied by 1 / 7.3, so a kernel that multiplied would fail above.
        Assert.True(length < 64 || original.Where((v, i) => v * (1f / 7.3f) != expected[i]).Any());
    }

    [Theory]
    [MemberData(nameof(RowLengths))]
    public void MultiplyBySpan_MultipliesElementwise(int length)
    {
        float[] values = KernelReference.Uniform(length, -1f, 1f, seed: length);
        float[] factors = KernelReference.Uniform(length, -1f, 1f, seed: length + 2);
        if (length > 2)
        {
            values[0] = float.PositiveInfinity;
            factors[0] = 0f;
        }
        float[] expected = values.Zip(factors, (a, b) => a * b).ToArray();
        ElementwiseKernels.Multiply(values, factors);
        Assert.Equal(expected, values);
        Assert.True(length <= 2 || float.IsNaN(values[0]));
    }

    [Fact]
    public void MultiplyBySpan_WithDifferentLength_ThrowsNamingFactors()
    {
        var error = Assert.Throws<ArgumentException>(() => ElementwiseKernels.Multiply(new float[5], new float[6]));
        Assert.Equal("factors", error.ParamName);
    }

    [Theory]
    [MemberData(nameof(RowLengths))]
    public void Exp_IsTheScalarExpInEveryLane_AndMatchesDoubleReference(int length)
    {
        float[] input = KernelReference.Uniform(length, -1f, 1f, seed: length + 3);
        float[] values = (float[])input.Clone();
        ElementwiseKernels.Exp(values);
        Assert.Equal(input.Select(VectorMath.Exp).ToArray(), values);
        KernelReference.AssertClose(input.Select(v => Math.Exp(v)).ToArray(), values, Tolerance, floor: 1);
    }

    [Theory]
    [MemberData(nameof(RowLengths))]
    public void Tanh_IsTheScalarTanhInEveryLane_AndMatchesDoubleReference(int length)
    {
        float[] input = KernelReference.Uniform(length, -1f, 1f, seed: length + 4);
        float[] values = (float[])input.Clone();
        ElementwiseKernels.Tanh(values);
        Assert.Equal(input.Select(VectorMath.Tanh).ToArray(), values);
        KernelReference.AssertClose(input.Select(v => Math.Tanh(v)).ToArray(), values, Tolerance, floor: 1);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(17)]
    [InlineData(70)]
    public void ExpAndTanh_OfSpecialValues_AtEveryPosition(int length)
    {
        (float Input, float Exp, float Tanh)[] cases =
        [
            (float.NegativeInfinity, 0f, -1f),
            (float.PositiveInfinity, float.PositiveInfinity, 1f),
            (float.NaN, float.NaN, float.NaN),
        ];
        foreach (var (input, exp, tanh) in cases)
        {
            for (int position = 0; position < length; position++)
            {
                float[] forExp = new float[length], forTanh = new float[length];
                forExp[position] = forTanh[position] = input;
                ElementwiseKernels.Exp(forExp);
                ElementwiseKernels.Tanh(forTanh);
                Assert.Equal(exp, forExp[position]);
                Assert.Equal(tanh, forTanh[position]);
                Assert.Equal(1f, forExp[(position + 1) % length]);
                Assert.Equal(0f, forTanh[(position + 1) % length]);
            }
        }
    }

    [Theory]
    [MemberData(nameof(RowLengths))]
    public void Max_FindsTheMaximumInEveryPosition(int length)
    {
        float[] values = KernelReference.Uniform(length, -1f, 1f, seed: length);
        Assert.Equal(length == 0 ? float.NegativeInfinity : values.Max(), ElementwiseKernels.Max(values));
        for (int position = 0; position < length; position++)
        {
            float[] row = KernelReference.Uniform(length, -1f, 1f, seed: 11);
            row[position] = 2f;
            Assert.Equal(2f, ElementwiseKernels.Max(row));
        }
    }

    [Theory]
    [MemberData(nameof(RowLengths))]
    public void Max_WithNaNInAnyPosition_IsNaN(int length)
    {
        for (int position = 0; position < length; position++)
        {
            float[] row = KernelReference.Uniform(length, -1f, 1f, seed: 12);
            row[position] = float.NaN;
            Assert.True(float.IsNaN(ElementwiseKernels.Max(row)), $"length {length}, NaN at {position}");
        }
    }
}
