namespace AttentionGen.Kernels;

/// <summary>Argument checks shared by the block kernels; each names the parameter and the sizes involved.</summary>
internal static class KernelChecks
{
    /// <exception cref="ArgumentException">The spans have different lengths.</exception>
    public static void SameLength(ReadOnlySpan<float> first, ReadOnlySpan<float> second, string firstName, string secondName)
    {
        if (first.Length != second.Length)
        {
            throw new ArgumentException(
                $"{secondName} has {second.Length} floats but {firstName} has {first.Length}; they must be equal.", secondName);
        }
    }

    /// <exception cref="ArgumentException">The span does not hold exactly <paramref name="length"/> floats.</exception>
    public static void Length(ReadOnlySpan<float> span, int length, string paramName, string what)
    {
        if (span.Length != length)
        {
            throw new ArgumentException($"{paramName} has {span.Length} floats, but it must hold {what} ({length}).", paramName);
        }
    }

    /// <summary>
    /// Throws when <paramref name="output"/> overlaps <paramref name="input"/> other than by starting at the same float:
    /// a kernel that reads each element (or row) before writing it can work in place, but not shifted.
    /// </summary>
    /// <exception cref="ArgumentException">The spans overlap at an offset.</exception>
    public static void SameOrSeparate(ReadOnlySpan<float> output, ReadOnlySpan<float> input, string outputName, string inputName)
    {
        if (output.Overlaps(input, out int offset) && offset != 0)
        {
            throw new ArgumentException(
                $"{outputName} overlaps {inputName} shifted by {offset} floats; it may be the same memory (in place) or separate memory, not shifted.", outputName);
        }
    }

    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is below <paramref name="minimum"/>.</exception>
    public static void AtLeast(int value, int minimum, string paramName)
    {
        if (value < minimum)
        {
            throw new ArgumentOutOfRangeException(paramName, value, $"{paramName} must be at least {minimum}, but it is {value}.");
        }
    }

    /// <exception cref="ArgumentOutOfRangeException"><paramref name="epsilon"/> is negative, infinite or NaN.</exception>
    public static void Epsilon(float epsilon, string paramName)
    {
        if (!(epsilon >= 0f) || float.IsPositiveInfinity(epsilon))
        {
            throw new ArgumentOutOfRangeException(paramName, epsilon, $"{paramName} must be finite and at least 0, but it is {epsilon}.");
        }
    }
}
