namespace AttentionGen.Kernels;

/// <summary>
/// Llama 3.1's rotary frequency scaling (<c>"rope_type": "llama3"</c> in a Hugging Face config), which Llama 3.1, 3.2 and
/// 3.3 use to stretch a context trained at <see cref="OriginalMaxPositions"/> positions: a pair whose wavelength
/// (<c>2π / θ_i</c>) is longer than <c>OriginalMaxPositions / LowFrequencyFactor</c> turns <see cref="Factor"/> times
/// slower, one shorter than <c>OriginalMaxPositions / HighFrequencyFactor</c> keeps its frequency, and those between blend
/// the two linearly in <c>OriginalMaxPositions / wavelength</c>.
/// </summary>
/// <param name="Factor">How much slower the long wavelengths turn: 8 in Llama 3.1 and 3.3, 32 in Llama 3.2. At least 1.</param>
/// <param name="LowFrequencyFactor">Sets where scaling is whole: 1 in every Llama 3. Positive.</param>
/// <param name="HighFrequencyFactor">Sets where scaling starts: 4 in every Llama 3. Greater than <paramref name="LowFrequencyFactor"/>.</param>
/// <param name="OriginalMaxPositions">The context length the model was first trained at: 8192 in every Llama 3. Positive.</param>
public readonly record struct Llama3RopeScaling(double Factor, double LowFrequencyFactor, double HighFrequencyFactor, int OriginalMaxPositions)
{
    /// <summary>The frequency pair <c>i</c> turns at once scaled, from its unscaled <paramref name="frequency"/> <c>θ^(−2i/r)</c>, in double.</summary>
    public double Scale(double frequency)
    {
        double wavelength = 2 * Math.PI / frequency;
        double longest = OriginalMaxPositions / LowFrequencyFactor, shortest = OriginalMaxPositions / HighFrequencyFactor;
        if (wavelength < shortest)
        {
            return frequency;
        }

        if (wavelength > longest)
        {
            return frequency / Factor;
        }

        double smooth = (OriginalMaxPositions / wavelength - LowFrequencyFactor) / (HighFrequencyFactor - LowFrequencyFactor);
        return (1 - smooth) * frequency / Factor + smooth * frequency;
    }

    /// <summary>Throws unless every field is in range (see the parameters).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A field is out of range; the message names it.</exception>
    internal void Check(string paramName)
    {
        if (!(Factor >= 1) || double.IsPositiveInfinity(Factor))
        {
            throw new ArgumentOutOfRangeException(paramName, Factor, $"{nameof(Factor)} must be finite and at least 1, but it is {Factor}.");
        }

        if (!(LowFrequencyFactor > 0) || !(HighFrequencyFactor > LowFrequencyFactor) || double.IsPositiveInfinity(HighFrequencyFactor))
        {
            throw new ArgumentOutOfRangeException(paramName, HighFrequencyFactor,
                $"{nameof(LowFrequencyFactor)} must be positive and {nameof(HighFrequencyFactor)} finite and greater, but they are {LowFrequencyFactor} and {HighFrequencyFactor}.");
        }

        if (OriginalMaxPositions < 1)
        {
            throw new ArgumentOutOfRangeException(paramName, OriginalMaxPositions, $"{nameof(OriginalMaxPositions)} must be positive, but it is {OriginalMaxPositions}.");
        }
    }
}
