using System.Runtime.Intrinsics;
using AttentionGen.Kernels;

namespace AttentionGen.Tests.Kernels;

/// <summary>
/// The folds that finish blocks of dot products, on every vector width, against sums in double. Tolerance: 1e-6 of
/// the sum of magnitudes, since float pairwise sums of up to 16 terms round at most a few times.
/// </summary>
[Trait("Category", "Numeric")]
public sealed class HorizontalSumTests
{
    [Fact]
    public void Vector512_SixteenAccumulators_FoldIntoSixteenTotals()
    {
        var accumulators = Enumerable.Range(0, 16).Select(k => Vector512.Create(Values(16, seed: k))).ToArray();
        var totals = HorizontalSum.AcrossBlocks(
            HorizontalSum.OfFour(accumulators[0], accumulators[1], accumulators[2], accumulators[3]),
            HorizontalSum.OfFour(accumulators[4], accumulators[5], accumulators[6], accumulators[7]),
            HorizontalSum.OfFour(accumulators[8], accumulators[9], accumulators[10], accumulators[11]),
            HorizontalSum.OfFour(accumulators[12], accumulators[13], accumulators[14], accumulators[15]));

        for (int k = 0; k < 16; k++)
        {
            AssertSum(Elements(accumulators[k]), totals.GetElement(k), $"total {k}");
            AssertSum(Elements(accumulators[k]), HorizontalSum.Of(accumulators[k]), $"Of {k}");
        }
    }

    [Fact]
    public void Vector256_EightAccumulators_FoldIntoEightTotals()
    {
        var accumulators = Enumerable.Range(0, 8).Select(k => Vector256.Create(Values(8, seed: 20 + k))).ToArray();
        var totals = HorizontalSum.AcrossBlocks(
            HorizontalSum.OfFour(accumulators[0], accumulators[1], accumulators[2], accumulators[3]),
            HorizontalSum.OfFour(accumulators[4], accumulators[5], accumulators[6], accumulators[7]));

        for (int k = 0; k < 8; k++)
        {
            AssertSum(Elements(accumulators[k]), totals.GetElement(k), $"total {k}");
            AssertSum(Elements(accumulators[k]), HorizontalSum.Of(accumulators[k]), $"Of {k}");
        }
    }

    [Fact]
    public void Vector128_FourAccumulators_FoldIntoFourTotals_OnEveryPath()
    {
        var accumulators = Enumerable.Range(0, 4).Select(k => Vector128.Create(Values(4, seed: 40 + k))).ToArray();
        var totals = HorizontalSum.OfFour(accumulators[0], accumulators[1], accumulators[2], accumulators[3]);
        var portable = HorizontalSum.OfFourPortable(accumulators[0], accumulators[1], accumulators[2], accumulators[3]);

        for (int k = 0; k < 4; k++)
        {
            AssertSum(Elements(accumulators[k]), totals.GetElement(k), $"total {k}");
            Assert.Equal(totals.GetElement(k), portable.GetElement(k)); // same pairing, so bit-identical
            AssertSum(Elements(accumulators[k]), HorizontalSum.Of(accumulators[k]), $"Of {k}");
        }
    }

    [Fact]
    public void Totals_CarryInfinityAndNaN()
    {
        var finite = Vector512.Create(1f);
        var infinite = Vector512.Create(1f).WithElement(9, float.PositiveInfinity);
        var nan = Vector512.Create(1f).WithElement(15, float.NaN);
        var totals = HorizontalSum.AcrossBlocks(
            HorizontalSum.OfFour(finite, infinite, nan, finite),
            HorizontalSum.OfFour(finite, finite, finite, finite),
            HorizontalSum.OfFour(finite, finite, finite, finite),
            HorizontalSum.OfFour(finite, finite, finite, finite));

        Assert.Equal(16f, totals.GetElement(0));
        Assert.Equal(float.PositiveInfinity, totals.GetElement(1));
        Assert.True(float.IsNaN(totals.GetElement(2)));
        Assert.Equal(16f, totals.GetElement(15));
    }

    private static float[] Values(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 200 - 100)).ToArray();
    }

    private static float[] Elements<T>(T vector) where T : struct => vector switch
    {
        Vector512<float> v => Enumerable.Range(0, 16).Select(i => v.GetElement(i)).ToArray(),
        Vector256<float> v => Enumerable.Range(0, 8).Select(i => v.GetElement(i)).ToArray(),
        Vector128<float> v => Enumerable.Range(0, 4).Select(i => v.GetElement(i)).ToArray(),
        _ => throw new ArgumentException(typeof(T).Name),
    };

    private static void AssertSum(float[] terms, float actual, string what)
    {
        double expected = terms.Sum(t => (double)t);
        double magnitude = terms.Sum(t => Math.Abs((double)t));
        Assert.True(Math.Abs(actual - expected) <= 1e-6 * magnitude, $"{what}: {actual} vs {expected}");
    }
}
