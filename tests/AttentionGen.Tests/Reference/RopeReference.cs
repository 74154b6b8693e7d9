namespace AttentionGen.Tests.Reference;

/// <summary>
/// A rotary frequency scaling as Hugging Face writes it, in double: Llama 3.1's (<c>_compute_llama3_parameters</c>) or,
/// with <paramref name="Linear"/>, linear (<c>_compute_linear_scaling_rope_parameters</c>: every frequency over
/// <paramref name="Factor"/>; the other fields unused). The test side's own copy (the float64 reference and the ONNX
/// oracle's tables use it), not the runtime's.
/// </summary>
internal sealed record RopeScalingReference(double Factor, double LowFrequencyFactor, double HighFrequencyFactor, int OriginalMaxPositions, bool Linear = false)
{
    /// <summary>The options of a declaration with <c>RopeScaling = Llama3</c> or <c>Linear</c>, or null without.</summary>
    public static RopeScalingReference? Of(RopeScalingKind kind, float factor, float low, float high, int original) => kind switch
    {
        RopeScalingKind.Llama3 => new(factor, low, high, original),
        RopeScalingKind.Linear => new(factor, 0, 0, 0, Linear: true),
        _ => null,
    };
}

internal static class RopeReference
{
    /// <summary>The frequency pair <paramref name="i"/> of a <paramref name="ropeDim"/>-wide rotation turns at.</summary>
    public static double Frequency(int i, int ropeDim, double theta, RopeScalingReference? scaling)
    {
        double frequency = Math.Pow(theta, -2.0 * i / ropeDim);
        if (scaling is null)
        {
            return frequency;
        }

        if (scaling.Linear)
        {
            return frequency / scaling.Factor;
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
