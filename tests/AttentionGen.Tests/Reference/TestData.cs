using Xunit.Sdk;

namespace AttentionGen.Tests.Reference;

/// <summary>Seeded inputs and the tolerance every numeric comparison uses.</summary>
internal static class TestData
{
    /// <summary>
    /// The numeric tolerance: |actual − expected| ≤ 1e-5 · max(1, max |expected|) over the compared output. Scaling by the
    /// output's own magnitude keeps it meaningful for both small and large values; float32 accumulation over the
    /// shapes tested here stays well inside it.
    /// </summary>
    public const double RelativeTolerance = 1e-5;

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

    /// <summary>Asserts the tolerance above and returns the largest error relative to the scale, for reporting.</summary>
    public static double AssertClose(IReadOnlyList<double> expected, ReadOnlySpan<float> actual, string what)
    {
        if (actual.Length < expected.Count)
        {
            throw new XunitException($"{what}: {actual.Length} values, expected {expected.Count}.");
        }

        double magnitude = Math.Max(1, expected.Select(Math.Abs).DefaultIfEmpty(0).Max());
        double worst = 0;
        int worstIndex = -1;
        for (int i = 0; i < expected.Count; i++)
        {
            double error = Math.Abs(actual[i] - expected[i]) / magnitude;
            if (!(error <= worst))
            {
                worst = error;
                worstIndex = i;
            }
        }

        if (!(worst <= RelativeTolerance))
        {
            throw new XunitException(
                $"{what}: error {worst:E3} (relative to max|expected| {magnitude:G4}) at index {worstIndex}: expected {expected[worstIndex]:G9}, got {actual[worstIndex]:G9}.");
        }

        return worst;
    }
}
