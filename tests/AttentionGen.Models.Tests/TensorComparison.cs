namespace AttentionGen.Models.Tests;

/// <summary>How far a result is from the reference, as the tests judge it.</summary>
public static class TensorComparison
{
    /// <summary>max |actual − expected| / max |expected|: one number for a whole tensor, blind to where it is small.</summary>
    public static double RelativeToMax(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected)
    {
        if (actual.Length != expected.Length)
        {
            throw new ArgumentException($"Comparing {actual.Length} values with {expected.Length}.", nameof(actual));
        }

        double maxError = 0, maxExpected = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            maxError = Math.Max(maxError, Math.Abs(actual[i] - expected[i]));
            maxExpected = Math.Max(maxExpected, Math.Abs(expected[i]));
        }

        return double.IsNaN(maxError) || maxExpected == 0 ? double.NaN : maxError / maxExpected;
    }

    /// <summary>Cosine of the angle between two vectors.</summary>
    public static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            aa += (double)a[i] * a[i];
            bb += (double)b[i] * b[i];
        }

        return dot / Math.Sqrt(aa * bb);
    }
}
