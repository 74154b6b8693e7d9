namespace AttentionGen.Generator.Planning;

/// <summary>
/// An array the layer works with, sized in <c>long</c> so a shape too large for <c>int</c> is measured rather than
/// overflowed. <see cref="BlamedProperty"/> is the attribute argument that sizes it, where a diagnostic points.
/// <see cref="IsAllocated"/> is false for the caller's spans (a query block, say): they must fit a span, but the
/// instance does not hold them.
/// </summary>
internal sealed record BufferPlan(string Description, long Floats, string BlamedProperty, bool IsAllocated = true)
{
    /// <summary><c>a · b</c> for non-negative sizes, stopping at <see cref="long.MaxValue"/> instead of wrapping.</summary>
    public static long Product(long a, long b) => b != 0 && a > long.MaxValue / b ? long.MaxValue : a * b;

    /// <summary>The option whose value is the largest factor of a product: the one a size diagnostic points at.</summary>
    public static string LargestFactor(params (long Size, string Option)[] factors)
    {
        var largest = factors[0];
        foreach (var factor in factors)
        {
            largest = factor.Size > largest.Size ? factor : largest;
        }

        return largest.Option;
    }
}
