using AttentionGen.Kernels;

namespace AttentionGen.Tests.Kernels;

/// <summary>
/// The softmax row kernels against float64 references over lengths 0..70 (every tail of every vector width) and a
/// few long rows. Tolerance: 1e-5 relative to each expected value (exp is accurate to ~2e-7; the rest is float
/// summation over up to 4099 elements).
/// </summary>
[Trait("Category", "Numeric")]
public sealed class SoftmaxKernelsTests
{
    private const double Relative = 1e-5;

    // Probabilities below this are compared absolutely (to Relative·Floor): exp flushes results under ~1e-38 to 0.
    private const double Floor = 1e-30;

    public static IEnumerable<object[]> RowLengths() => KernelReference.RowLengths();

    [Theory]
    [MemberData(nameof(RowLengths))]
    public void Max_MatchesLinq(int length)
    {
        float[] values = KernelReference.Uniform(length, -50f, 50f, seed: length);
        Assert.Equal(length == 0 ? float.NegativeInfinity : values.Max(), SoftmaxKernels.Max(values));

        // The maximum in every position, so each tail lane is seen.
        for (int position = 0; position < length; position++)
        {
            float[] row = KernelReference.Uniform(length, -50f, 50f, seed: 7);
            row[position] = 1000f;
            Assert.Equal(1000f, SoftmaxKernels.Max(row));
        }
    }

    [Fact]
    public void Max_OfOnlyNegativeInfinity_IsNegativeInfinity()
    {
        Assert.Equal(float.NegativeInfinity, SoftmaxKernels.Max(Enumerable.Repeat(float.NegativeInfinity, 37).ToArray()));
    }

    [Fact]
    public void Max_WithNaN_IsNaN()
    {
        foreach (int length in new[] { 3, 17, 70 })
        {
            float[] values = KernelReference.Uniform(length, -1f, 1f, seed: 3);
            values[length - 1] = float.NaN;
            Assert.True(float.IsNaN(SoftmaxKernels.Max(values)), $"length {length}");
        }
    }

    [Theory]
    [MemberData(nameof(RowLengths))]
    public void ExpAndSum_MatchesDoubleReference(int length)
    {
        float[] values = KernelReference.Uniform(length, -30f, 30f, seed: length + 100);
        float max = SoftmaxKernels.Max(values);
        var expected = new double[length];
        double expectedSum = 0;
        for (int i = 0; i < length; i++)
        {
            expected[i] = Math.Exp(values[i] - (double)max);
            expectedSum += expected[i];
        }

        float sum = SoftmaxKernels.ExpAndSum(values, length == 0 ? 0f : max);

        KernelReference.AssertClose(expected, values, Relative, Floor);
        Assert.True(Math.Abs(sum - expectedSum) <= Relative * expectedSum, $"sum {sum} vs {expectedSum}");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(33)]
    [InlineData(70)]
    public void ExpAndSum_WithNegativeInfinityMax_GivesZerosNotNaN(int length)
    {
        float[] values = Enumerable.Repeat(float.NegativeInfinity, length).ToArray();
        Assert.Equal(0f, SoftmaxKernels.ExpAndSum(values, float.NegativeInfinity));
        Assert.All(values, v => Assert.Equal(0f, v));
    }

    [Theory]
    [MemberData(nameof(RowLengths))]
    public void Multiply_ScalesEveryElement(int length)
    {
        float[] values = KernelReference.Uniform(length, -5f, 5f, seed: length);
        float[] expected = values.Select(v => v * 0.37f).ToArray();
        ElementwiseKernels.Multiply(values, 0.37f);
        Assert.Equal(expected, values);
    }

    [Theory]
    [MemberData(nameof(RowLengths))]
    public void Add_AddsElementwise(int length)
    {
        float[] values = KernelReference.Uniform(length, -5f, 5f, seed: length);
        float[] addend = KernelReference.Uniform(length, -5f, 5f, seed: length + 1);
        float[] expected = values.Zip(addend, (a, b) => a + b).ToArray();
        ElementwiseKernels.Add(values, addend);
        Assert.Equal(expected, values);
    }

    [Fact]
    public void Add_WithDifferentLength_ThrowsNamingAddend()
    {
        var error = Assert.Throws<ArgumentException>(() => ElementwiseKernels.Add(new float[5], new float[4]));
        Assert.Equal("addend", error.ParamName);
    }

    [Theory]
    [MemberData(nameof(RowLengths))]
    public void Softcap_MatchesDoubleReference(int length)
    {
        const float cap = 30f;
        float[] values = KernelReference.Uniform(length, -200f, 200f, seed: length + 5);
        double[] expected = values.Select(v => cap * Math.Tanh(v / (double)cap)).ToArray();
        SoftmaxKernels.Softcap(values, cap);
        // Tanh is accurate to 1e-6 relative / 2e-7 absolute; near zero the absolute part dominates, hence the floor.
        KernelReference.AssertClose(expected, values, Relative, floor: 0.1);
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(-1f)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void Softcap_WithInvalidCap_ThrowsNamingCap(float cap)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => SoftmaxKernels.Softcap(new float[3], cap));
        Assert.Equal("cap", error.ParamName);
    }

    public static IEnumerable<object[]> PrefixRows()
    {
        // Row lengths that are whole vectors of every width (the attention layers' case) and ones that are not, with
        // every visible count in the first rows and a spread in the long one.
        foreach (int length in new[] { 16, 32, 48, 8, 12, 20, 7, 0 })
        {
            for (int visible = 0; visible <= length; visible++)
            {
                yield return [length, visible];
            }
        }

        foreach (int visible in new[] { 0, 1, 15, 16, 17, 200, 511, 512 })
        {
            yield return [512, visible];
        }
    }

    [Theory]
    [MemberData(nameof(PrefixRows))]
    public void SoftmaxPrefix_SoftmaxesTheVisiblePart_AndZeroesTheRest(int length, int visible)
    {
        float[] row = KernelReference.Uniform(length, -20f, 20f, seed: length * 1000 + visible);
        // Hidden entries hold values larger than any visible one: they must not leak into the max or the sum.
        for (int i = visible; i < length; i++)
        {
            row[i] = 1000f + i;
        }

        double[] expected = KernelReference.Softmax(row[..visible]);
        SoftmaxKernels.SoftmaxPrefix(row, visible);

        KernelReference.AssertClose(expected, row[..visible], Relative, Floor);
        Assert.All(row[visible..], v => Assert.Equal(0f, v));
    }

    [Theory]
    [InlineData(16, 16)]
    [InlineData(64, 37)]
    [InlineData(12, 5)]
    public void SoftmaxPrefix_FullyMaskedVisiblePart_BecomesZeros(int length, int visible)
    {
        float[] row = Enumerable.Repeat(float.NegativeInfinity, visible).Concat(Enumerable.Repeat(3f, length - visible)).ToArray();
        SoftmaxKernels.SoftmaxPrefix(row, visible);
        Assert.All(row, v => Assert.Equal(0f, v));
    }

    [Theory]
    [InlineData(300, 64, false)]
    [InlineData(300, 64, true)]
    [InlineData(1000, 256, false)]
    [InlineData(1000, 256, true)]
    [InlineData(37, 16, true)]
    [InlineData(700, 48, true)]   // 48: whole Vector256s but not Vector512s
    [InlineData(70, 12, true)]    // 12: only Vector128s
    [InlineData(50, 7, true)]     // 7: no whole vectors at all, the scalar cascade
    public void SoftmaxChunk_OverAllChunks_GivesTheSoftmaxWeightedSum(int length, int chunkLength, bool masked)
    {
        // An attention row in chunks: scores, then a running max and sum, with the weighted sum of values so far
        // rescaled at every chunk; at the end it must be Σ softmax(scores)ⱼ · valuesⱼ.
        float[] scores = KernelReference.Uniform(length, -40f, 40f, seed: length + chunkLength);
        float[] values = KernelReference.Uniform(length, -1f, 1f, seed: 3);
        if (masked)
        {
            // The first chunk entirely hidden, then every fifth score: the running max starts at −∞ for a while.
            for (int i = 0; i < length; i++)
            {
                if (i < chunkLength || i % 5 == 0)
                {
                    scores[i] = float.NegativeInfinity;
                }
            }
        }

        double[] probabilities = KernelReference.Softmax(scores);
        double expected = probabilities.Select((p, i) => p * values[i]).Sum();

        float runningMax = float.NegativeInfinity, runningSum = 0f, weighted = 0f;
        for (int first = 0; first < length; first += chunkLength)
        {
            int visible = Math.Min(chunkLength, length - first);
            float[] chunk = new float[chunkLength];
            Array.Fill(chunk, 999f); // hidden tail: must neither count nor survive
            scores.AsSpan(first, visible).CopyTo(chunk);

            float rescale = SoftmaxKernels.SoftmaxChunk(chunk, visible, ref runningMax, ref runningSum);

            Assert.All(chunk[visible..], v => Assert.Equal(0f, v));
            weighted *= rescale;
            for (int j = 0; j < visible; j++)
            {
                weighted += chunk[j] * values[first + j];
            }
        }

        Assert.True(Math.Abs(weighted / runningSum - expected) <= 1e-5, $"{weighted / runningSum} vs {expected}");
        Assert.True(Math.Abs(runningSum * Math.Exp(runningMax) - scores.Sum(s => Math.Exp(s))) <= 1e-5 * scores.Sum(s => Math.Exp(s)));
    }

    [Fact]
    public void SoftmaxChunk_AllMaskedSoFar_KeepsTheSumAtZero()
    {
        float runningMax = float.NegativeInfinity, runningSum = 0f;
        float[] chunk = Enumerable.Repeat(float.NegativeInfinity, 32).ToArray();

        Assert.Equal(1f, SoftmaxKernels.SoftmaxChunk(chunk, 20, ref runningMax, ref runningSum));
        Assert.Equal(0f, runningSum);
        Assert.Equal(float.NegativeInfinity, runningMax);
        Assert.All(chunk, v => Assert.Equal(0f, v));
    }

    [Theory]
    [InlineData(16)]
    [InlineData(32)]
    [InlineData(64)]
    [InlineData(528)]
    public void SoftmaxPrefixSixRows_MatchesSixSeparateRows(int length)
    {
        const int Stride = 600;
        var random = new Random(length);
        for (int trial = 0; trial < 20; trial++)
        {
            // Visible counts anywhere from "nothing" (including negative, as causal tiles pass) to the whole row, one
            // row of only −∞, and hidden entries larger than any visible score.
            int[] visible = Enumerable.Range(0, 6).Select(_ => random.Next(-3, length + 1)).ToArray();
            if (trial % 5 == 1)
            {
                // Every row wholly visible (a non-causal tile), which takes the path without lane masks.
                visible = [length, length, length, length, length, length];
            }

            float[] block = KernelReference.Uniform(6 * Stride, -30f, 30f, seed: trial * 31 + length);
            for (int r = 0; r < 6; r++)
            {
                for (int i = Math.Max(visible[r], 0); i < Stride; i++)
                {
                    block[r * Stride + i] = 500f + i;
                }
            }

            if (trial % 4 == 0)
            {
                block.AsSpan(2 * Stride, Math.Max(visible[2], 0)).Fill(float.NegativeInfinity);
            }

            float[] expected = (float[])block.Clone();
            for (int r = 0; r < 6; r++)
            {
                SoftmaxKernels.SoftmaxPrefix(expected.AsSpan(r * Stride, length), Math.Max(visible[r], 0));
            }

            SoftmaxKernels.SoftmaxPrefixSixRows(ref block[0], Stride, length, visible[0], visible[1], visible[2], visible[3], visible[4], visible[5]);

            for (int r = 0; r < 6; r++)
            {
                for (int i = 0; i < length; i++)
                {
                    float want = expected[r * Stride + i], got = block[r * Stride + i];
                    Assert.True(Math.Abs(want - got) <= 1e-6 * Math.Max(1, Math.Abs(want)), $"trial {trial} row {r} [{i}]: {got} vs {want}");
                }

                Assert.Equal(500f + length, block[r * Stride + length]); // past the length: untouched
            }
        }
    }

    [Fact]
    public void SoftmaxPrefix_RejectsAVisibleCountOutsideTheRow()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SoftmaxKernels.SoftmaxPrefix(new float[16], 17));
        Assert.Throws<ArgumentOutOfRangeException>(() => SoftmaxKernels.SoftmaxPrefix(new float[16], -1));
    }

    [Theory]
    [MemberData(nameof(RowLengths))]
    public void SoftmaxInPlace_MatchesDoubleReference(int length)
    {
        float[] values = KernelReference.Uniform(length, -8f, 8f, seed: length + 11);
        double[] expected = KernelReference.Softmax(values);
        SoftmaxKernels.SoftmaxInPlace(values);
        KernelReference.AssertClose(expected, values, Relative, Floor);
        if (length > 0)
        {
            Assert.True(Math.Abs(values.Sum(v => (double)v) - 1) <= Relative);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(17)]
    [InlineData(70)]
    [InlineData(1000)]
    public void SoftmaxInPlace_WithLargeLogits_DoesNotOverflow(int length)
    {
        // e^80 alone is 5.5e34 and a sum of many would overflow without the max subtraction.
        float[] values = KernelReference.Uniform(length, -80f, 80f, seed: length);
        values[0] = 80f;
        double[] expected = KernelReference.Softmax(values);
        SoftmaxKernels.SoftmaxInPlace(values);
        Assert.All(values, v => Assert.True(float.IsFinite(v)));
        KernelReference.AssertClose(expected, values, Relative, Floor);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(31)]
    [InlineData(70)]
    public void SoftmaxInPlace_AllNegativeInfinityRow_BecomesZeros(int length)
    {
        float[] values = Enumerable.Repeat(float.NegativeInfinity, length).ToArray();
        SoftmaxKernels.SoftmaxInPlace(values);
        Assert.All(values, v => Assert.Equal(0f, v));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(19)]
    [InlineData(70)]
    public void SoftmaxInPlace_PartiallyMaskedRow_GivesMaskedZeroAndRenormalizes(int length)
    {
        float[] values = KernelReference.Uniform(length, -3f, 3f, seed: length);
        for (int i = 0; i < length; i += 2)
        {
            values[i] = float.NegativeInfinity;
        }
        double[] expected = KernelReference.Softmax(values);
        SoftmaxKernels.SoftmaxInPlace(values);
        for (int i = 0; i < length; i += 2)
        {
            Assert.Equal(0f, values[i]);
        }
        KernelReference.AssertClose(expected, values, Relative, Floor);
    }

    [Fact]
    public void SoftmaxInPlace_EmptyRow_DoesNothing()
    {
        SoftmaxKernels.SoftmaxInPlace(Span<float>.Empty);
    }
}
