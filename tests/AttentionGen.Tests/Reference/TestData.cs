using Xunit.Sdk;

namespace AttentionGen.Tests.Reference;

/// <summary>Seeded inputs and the tolerance every numeric comparison uses.</summary>
internal static class TestData
{
    /// <summary>
    /// The numeric tolerance, element by element: |actual − expected| ≤ 1e-5 · max(1, |expected|). Relative for values
    /// above 1, absolute 1e-5 below (attention outputs are convex combinations of values in [-1, 1], so most are below 1
    /// and a purely relative bound would be meaningless near 0). Float32 accumulation over the shapes tested here stays
    /// one to two orders of magnitude inside it; the tests print the largest error they saw.
    /// </summary>
    public const double RelativeTolerance = 1e-5;

    /// <summary>
    /// The tolerance for the large-logit tests: 1e-5 up to |logit| 24, then growing in proportion. A float32 logit carries an
    /// absolute rounding error proportional to its size (ε·|s|, times the accumulation length for projected ones), and
    /// softmax turns an absolute logit error δ into a relative probability error δ, so no float implementation can
    /// meet a fixed 1e-5 once the logits reach ~100. The bound stays within a small factor of what careful float code gets:
    /// on the MHA test at |logit| 116, 2.3–2.6e-5 with FMA, and without it (Vector128 and scalar paths, where products and
    /// sums round apart) 3.55e-5 on tiles and scalar rows and 4.26e-5 on Vector128 rows, past the 3.6e-5 that |logit| / 32
    /// allowed.
    /// </summary>
    public static double LargeLogitTolerance(double maxAbsLogit) => RelativeTolerance * Math.Max(1, maxAbsLogit / 24);

    /// <summary>
    /// A float rounded to bfloat16 (round to nearest, ties to even, on the upper 16 bits; finite values), written
    /// independently of the runtime's rounding so the tests check it rather than repeat it.
    /// </summary>
    public static float RoundToBfloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        uint lower = bits & 0xFFFF, upper = bits & 0xFFFF0000;
        if (lower > 0x8000 || (lower == 0x8000 && (upper & 0x10000) != 0))
        {
            upper += 0x10000;
        }

        return BitConverter.UInt32BitsToSingle(upper);
    }

    /// <summary>Seeded values uniform in [-scale, scale].</summary>
    public static float[] Uniform(int seed, int count, float scale = 1f)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (random.NextSingle() * 2 - 1) * scale;
        }

        return values;
    }

    /// <summary>Asserts the tolerance above over the first expected.Count values and returns the largest error seen.</summary>
    public static double AssertClose(IReadOnlyList<double> expected, ReadOnlySpan<float> actual, string what, double tolerance = RelativeTolerance)
    {
        if (actual.Length < expected.Count)
        {
            throw new XunitException($"{what}: {actual.Length} values, expected {expected.Count}.");
        }

        double worst = 0;
        int worstIndex = -1;
        for (int i = 0; i < expected.Count; i++)
        {
            double error = Math.Abs(actual[i] - expected[i]) / Math.Max(1, Math.Abs(expected[i]));
            if (!(error <= worst))
            {
                worst = error; // NaN lands here too, and then fails below
                worstIndex = i;
            }
        }

        if (!(worst <= tolerance))
        {
            throw new XunitException(
                $"{what}: error {worst:E3} > {tolerance:E1} at index {worstIndex}: expected {expected[worstIndex]:G9}, got {actual[worstIndex]:G9}.");
        }

        return worst;
    }

    /// <inheritdoc cref="AssertClose(IReadOnlyList{double}, ReadOnlySpan{float}, string, double)"/>
    public static double AssertClose(float[] expected, ReadOnlySpan<float> actual, string what, double tolerance = RelativeTolerance) =>
        AssertClose(Array.ConvertAll(expected, x => (double)x), actual, what, tolerance);

    /// <summary>The largest error by the same measure, without asserting (to show that two definitions really differ).</summary>
    public static double MaxError(IReadOnlyList<double> expected, ReadOnlySpan<float> actual)
    {
        double worst = 0;
        for (int i = 0; i < expected.Count; i++)
        {
            worst = Math.Max(worst, Math.Abs(actual[i] - expected[i]) / Math.Max(1, Math.Abs(expected[i])));
        }

        return worst;
    }
}
