namespace AttentionGen.Tests.Reference;

/// <summary>
/// Llama 3.1's rotary frequency scaling as Hugging Face's <c>_compute_llama3_parameters</c> writes it, in double: the
/// test side's own copy (the float64 reference and the ONNX oracle's tables use it), not the runtime's.
/// </summary>
internal sealed record Llama3Scaling(double Factor, double LowFrequencyFactor, double HighFrequencyFactor, int OriginalMaxPositions)
{
    /// <summary>The options of a declaration with <c>RopeScaling = Llama3</c>, or null without.</summary>
    public static Llama3Scaling? Of(RopeScalingKind kind, float factor, float low, float high, int original) =>
        kind == RopeScalingKind.Llama3 ? new(factor, low, high, original) : null;
}

internal static class RopeReference
{
    /// <summary>The frequency pair <paramref name="i"/> of a <paramref name="ropeDim"/>-wide rotation turns at.</summary>
    public static double Frequency(int i, int ropeDim, double theta, Llama3Scaling? scaling)
    {
        double frequency = Math.Pow(theta, -2.0 * i / ropeDim);
        if (scaling is null)
        {
            return frequency;
        }

        // inv_freq_llama = where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq); then the medium band, neither
        // shorter than high_freq_wavelen nor longer than low_freq_wavelen, takes the smoothed value.
        double wavelength = 2 * Math.PI / frequency;
        double lowFrequencyWavelength = scaling.OriginalMaxPositions / scaling.LowFrequencyFactor;
        double highFrequencyWavelength = scaling.OriginalMaxPositions / scaling.HighFrequencyFactor;
        double scaled = wavelength > lowFrequencyWavelength ? frequency / scaling.Factor : frequency;
        double smooth = (scaling.OriginalMaxPositions / wavelength - scaling.LowFrequencyFactor) / (scaling.HighFrequencyFactor - scaling.LowFrequencyFactor);
        double smoothed = (1 - smooth) * scaled / scaling.Factor + smooth * scaled;
        bool medium = !(wavelength < highFrequencyWavelength) && !(wavelength > lowFrequencyWavelength);
        return medium ? smoothed : scaled;
    }
}
