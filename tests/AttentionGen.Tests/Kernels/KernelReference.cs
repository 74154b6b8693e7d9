namespace AttentionGen.Tests.Kernels;

/// <summary>Inputs and float64 references shared by the kernel tests.</summary>
internal static class KernelReference
{
    /// <summary>Row lengths covering 0, every tail up to past two Vector512s, and a few long rows.</summary>
    public static IEnumerable<object[]> RowLengths()
    {
        for (int n = 0; n <= 70; n++)
        {
            yield return [n];
        }
        foreach (int n in new[] { 127, 128, 129, 1000, 4099 })
        {
            yield return [n];
        }
    }

    public static float[] Uniform(int length, float low, float high, int seed)
    {
        var rng = new Random(seed);
        var values = new float[length];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = low + (high - low) * (float)rng.NextDouble();
        }
        return values;
    }

    /// <summary>Softmax in double with the max subtracted; a row with no finite entry gives zeros.</summary>
    public static double[] Softmax(ReadOnlySpan<float> logits)
    {
        var result = new double[logits.Length];
        double max = double.NegativeInfinity;
        foreach (float v in logits)
        {
            max = Math.Max(max, v);
        }
        if (double.IsNegativeInfinity(max))
        {
            return result;
        }
        double sum = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            result[i] = Math.Exp(logits[i] - max);
            sum += result[i];
        }
        for (int i = 0; i < result.Length; i++)
        {
            result[i] /= sum;
        }
        return result;
    }

    /// <summary>Asserts |actual − expected| ≤ relative·max(|expected|, floor), naming the index on failure.</summary>
    public static void AssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, double relative, double floor = 0)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double allowed = relative * Math.Max(Math.Abs(expected[i]), floor);
            double error = Math.Abs(actual[i] - expected[i]);
            if (!(error <= allowed))
            {
                Assert.Fail($"index {i} of {expected.Length}: expected {expected[i]:R}, got {actual[i]:R} (error {error:E3}, allowed {allowed:E3})");
            }
        }
    }
}
