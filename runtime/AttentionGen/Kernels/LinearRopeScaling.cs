namespace AttentionGen.Kernels;

/// <summary>
/// Linear rotary scaling ("position interpolation", <c>"rope_type": "linear"</c> in a Hugging Face config): every pair
/// turns <see cref="Factor"/> times slower, as if each position were divided by it. Gemma 3's 4B and larger models scale
/// their full-attention layers so (factor 8), their windowed layers not.
/// </summary>
/// <param name="Factor">How many times slower every pair turns; finite and at least 1.</param>
public readonly record struct LinearRopeScaling(double Factor)
{
    /// <summary>The frequency pair <c>i</c> turns at once scaled, from its unscaled <paramref name="frequency"/>, in double.</summary>
    public double Scale(double frequency) => frequency / Factor;

    /// <summary>Throws unless <see cref="Factor"/> is in range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">It is not.</exception>
    internal void Check(string paramName)
    {
        if (!(Factor >= 1) || double.IsPositiveInfinity(Factor))
        {
            throw new ArgumentOutOfRangeException(paramName, Factor, $"{nameof(Factor)} must be finite and at least 1, but it is {Factor}.");
        }
    }
}
