namespace AttentionGen.Models.Tests.Reference;

/// <summary>
/// The error function in float64, written here so the reference GELU depends on no library's approximation:
/// a series of positive terms near zero and a continued fraction for the tail, each where it converges fast and
/// loses nothing to cancellation.
/// </summary>
public static class Erf
{
    /// <summary>Below this |x| the series is used; above it the continued fraction converges in a few dozen terms.</summary>
    private const double SeriesLimit = 2.5;

    /// <summary>Past this |x| erfc(x) is below the smallest double, so erf(x) is ±1 exactly.</summary>
    private const double SaturationLimit = 27.5;

    private static readonly double TwoOverSqrtPi = 2 / Math.Sqrt(Math.PI);

    /// <summary>erf(x) = 2/√π ∫₀ˣ e^(−t²) dt.</summary>
    public static double Of(double x)
    {
        if (double.IsNaN(x))
        {
            return double.NaN;
        }

        var magnitude = Math.Abs(x);
        var value = magnitude > SaturationLimit ? 1 : magnitude < SeriesLimit ? Series(magnitude) : 1 - ComplementTail(magnitude);
        return Math.CopySign(value, x);
    }

    /// <summary>erfc(x) = 1 − erf(x), accurate in the tail where 1 − erf(x) would cancel.</summary>
    public static double Complement(double x)
    {
        if (double.IsNaN(x))
        {
            return double.NaN;
        }

        if (x < SeriesLimit)
        {
            return 1 - Of(x);
        }

        if (x > SaturationLimit)
        {
            return 0;
        }

        return ComplementTail(x);
    }

    /// <summary>
    /// erf(x) = 2/√π · e^(−x²) · Σₙ 2ⁿ x^(2n+1) / (1·3·…·(2n+1)) for x ≥ 0: every term is positive, so the sum is
    /// as accurate as its terms (unlike the alternating Taylor series, which cancels badly past x ≈ 1).
    /// </summary>
    private static double Series(double x)
    {
        double term = x, sum = x, square = x * x;
        for (int n = 1; n < 200 && term > sum * 1e-18; n++)
        {
            term *= 2 * square / (2 * n + 1);
            sum += term;
        }

        return TwoOverSqrtPi * Math.Exp(-square) * sum;
    }

    /// <summary>
    /// erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))) for x ≥ <see cref="SeriesLimit"/>, evaluated
    /// by the modified Lentz method.
    /// </summary>
    private static double ComplementTail(double x)
    {
        const double Tiny = 1e-300;
        double fraction = x, c = x, d = 0;
        for (int n = 1; n < 500; n++)
        {
            double a = n / 2.0;
            d = x + a * d;
            d = Math.Abs(d) < Tiny ? 1 / Tiny : 1 / d;
            c = x + a / c;
            if (Math.Abs(c) < Tiny)
            {
                c = Tiny;
            }

            var delta = c * d;
            fraction *= delta;
            if (Math.Abs(delta - 1) < 1e-17)
            {
                break;
            }
        }

        return Math.Exp(-x * x) / Math.Sqrt(Math.PI) / fraction;
    }
}
