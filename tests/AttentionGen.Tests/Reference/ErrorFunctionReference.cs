namespace AttentionGen.Tests.Reference;

/// <summary>
/// erf and erfc in float64 for the kernel tests (.NET has neither): a positive series below |x| = 2.5 and Laplace's
/// continued fraction above, each accurate to about 1e-14 relative, far below the float errors under test.
/// </summary>
internal static class ErrorFunctionReference
{
    private const double SeriesBound = 2.5;

    public static double Erf(double x)
    {
        if (double.IsNaN(x))
        {
            return double.NaN;
        }

        double ax = Math.Abs(x);
        return Math.CopySign(ax < SeriesBound ? SeriesErf(ax) : 1 - ContinuedFractionErfc(ax), x);
    }

    /// <summary>erfc(x), relative-accurate for large positive x (where 1 − erf would cancel).</summary>
    public static double Erfc(double x) => double.IsNaN(x) ? double.NaN : x < SeriesBound ? 1 - Erf(x) : ContinuedFractionErfc(x);

    /// <summary>0.5·x·erfc(−x/√2), the exact GELU, with its limits at ±∞ (the formula itself is NaN there).</summary>
    public static double Gelu(double x) =>
        double.IsNegativeInfinity(x) ? 0 : double.IsPositiveInfinity(x) ? x : 0.5 * x * Erfc(-x / Math.Sqrt(2));

    /// <summary>
    /// 0.5·x·(1 + tanh(y)), y = √(2/π)·(x + 0.044715·x³), the tanh GELU. Below y = −3 the sum 1 + tanh(y) would keep
    /// too few bits even in double, so there it is its exact equal 2·e^(2y)/(1 + e^(2y)).
    /// </summary>
    public static double GeluTanh(double x)
    {
        if (double.IsNegativeInfinity(x) || double.IsPositiveInfinity(x))
        {
            return Math.Max(x, 0);
        }

        double y = Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x);
        double onePlusTanh = y >= -3 ? 1 + Math.Tanh(y) : 2 * Math.Exp(2 * y) / (1 + Math.Exp(2 * y));
        return 0.5 * x * onePlusTanh;
    }

    // erf(x) = 2/√π · e^(−x²) · Σ 2ⁿ x^(2n+1) / (1·3·…·(2n+1)): every term is positive, so nothing cancels.
    private static double SeriesErf(double x)
    {
        double term = x, sum = x;
        for (int n = 1; term > sum * 1e-17; n++)
        {
            term *= 2 * x * x / (2 * n + 1);
            sum += term;
        }
        return 2 / Math.Sqrt(Math.PI) * Math.Exp(-x * x) * sum;
    }

    // erfc(x) = e^(−x²)/√π / (x + (1/2)/(x + (2/2)/(x + (3/2)/(x + …)))), evaluated from a deep level back up; for
    // x ≥ 2.5, 300 levels are far more than double precision needs.
    private static double ContinuedFractionErfc(double x)
    {
        if (double.IsPositiveInfinity(x))
        {
            return 0;
        }

        double denominator = x;
        for (int k = 300; k >= 1; k--)
        {
            denominator = x + k / 2.0 / denominator;
        }
        return Math.Exp(-x * x) / Math.Sqrt(Math.PI) / denominator;
    }
}
