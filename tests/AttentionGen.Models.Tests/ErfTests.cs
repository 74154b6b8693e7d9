using AttentionGen.Models.Tests.Reference;

namespace AttentionGen.Models.Tests;

public class ErfTests
{
    // Values of erf and erfc to 16–17 significant digits (as CPython's math.erf/erfc, an independent implementation,
    // gives them), on both sides of the switch from series to continued fraction at 2.5 and far into the tail.
    [Theory]
    [InlineData(0.0, 0.0, 1.0)]
    [InlineData(0.001, 0.0011283787909692365, 0.9988716212090307)]
    [InlineData(0.1, 0.1124629160182849, 0.8875370839817152)]
    [InlineData(0.5, 0.5204998778130465, 0.4795001221869535)]
    [InlineData(1.0, 0.8427007929497149, 0.15729920705028513)]
    [InlineData(1.5, 0.9661051464753108, 0.033894853524689274)]
    [InlineData(2.0, 0.9953222650189527, 0.004677734981047265)]
    [InlineData(2.4, 0.999311486103355, 0.0006885138966450789)]
    [InlineData(2.6, 0.9997639655834707, 0.00023603441652934908)]
    [InlineData(3.0, 0.9999779095030014, 2.2090496998585438e-05)]
    [InlineData(4.0, 0.9999999845827421, 1.541725790028002e-08)]
    [InlineData(5.0, 0.9999999999984626, 1.5374597944280351e-12)]
    [InlineData(6.0, 1.0, 2.1519736712498916e-17)]
    [InlineData(-0.5, -0.5204998778130465, 1.5204998778130465)]
    [InlineData(-2.6, -0.9997639655834707, 1.9997639655834707)]
    public void Matches_known_values_to_a_few_ulps(double x, double erf, double erfc)
    {
        Assert.Equal(erf, Erf.Of(x), Math.Max(Math.Abs(erf), 1e-300) * 4e-16);
        // Below the switch erfc is 1 − erf, so it is only as accurate as that subtraction: a few ulps of 1.
        Assert.Equal(erfc, Erf.Complement(x), Math.Abs(erfc) * 1e-14 + 4e-16);
    }

    [Fact]
    public void Is_odd_monotonic_and_bounded()
    {
        double previous = -1;
        for (double x = -8; x <= 8; x += 1.0 / 64)
        {
            var value = Erf.Of(x);
            Assert.Equal(-value, Erf.Of(-x));
            Assert.InRange(value, previous, 1.0);
            previous = value;
        }

        Assert.Equal(1.0, Erf.Of(double.PositiveInfinity));
        Assert.Equal(-1.0, Erf.Of(double.NegativeInfinity));
        Assert.True(double.IsNaN(Erf.Of(double.NaN)));
    }
}
