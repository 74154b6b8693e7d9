namespace AttentionGen.Sampling;

/// <summary>
/// How <see cref="TokenSampler.Next"/> picks a token from logits, as Hugging Face's <c>generate</c> applies these
/// settings: the logits divided by <see cref="Temperature"/>, then top-k, then top-p, then one draw.
/// </summary>
/// <param name="Temperature">The logits' divisor: 0 takes the most likely token (greedy, ties to the lowest id, and top-k
/// and top-p are then not applied); above 1 flattens the distribution, below 1 sharpens it. Finite and at least 0.</param>
/// <param name="TopK">Keep only the tokens whose scaled logit, <c>logit / T</c> divided in float as Hugging Face divides
/// it, is at least the k-th largest (so a tie at the k-th value keeps every tied token, as Hugging Face does, including
/// two logits an ulp apart whose quotients round alike); 0 keeps all. At least 0.</param>
/// <param name="TopP">Nucleus sampling: keep the smallest set of most likely tokens (after top-k, renormalized) whose
/// probability is at least <c>TopP</c>, never fewer than one, taken by logit (equal logits lowest id first); 1 keeps all.
/// In <c>(0, 1]</c>.</param>
/// <remarks>
/// <c>new SamplingOptions()</c> is plain sampling at temperature 1. Hugging Face's <c>GenerationConfig</c> defaults
/// <c>top_k</c> to 50, so a <c>generate(do_sample=True)</c> that sets nothing is <c>new SamplingOptions(TopK: 50)</c>.
/// <c>default(SamplingOptions)</c>, all zeros, is not valid (its <see cref="TopP"/> is 0).
/// </remarks>
public readonly record struct SamplingOptions(float Temperature = 1, int TopK = 0, float TopP = 1)
{
    /// <summary>Plain sampling at temperature 1 with neither top-k nor top-p (without it, C# would make <c>new()</c> all zeros).</summary>
    public SamplingOptions() : this(1, 0, 1)
    {
    }

    /// <summary>The most likely token every time (temperature 0); ties go to the lowest id.</summary>
    public static SamplingOptions Greedy => new(Temperature: 0);

    /// <summary>Throws unless every setting is in its range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of its range.</exception>
    internal void Validate(string paramName)
    {
        if (!(Temperature >= 0) || float.IsPositiveInfinity(Temperature))
        {
            throw new ArgumentOutOfRangeException(paramName, Temperature,
                $"{paramName}.{nameof(Temperature)} must be finite and at least 0 (0 is greedy), but it is {Temperature}.");
        }
        if (TopK < 0)
        {
            throw new ArgumentOutOfRangeException(paramName, TopK,
                $"{paramName}.{nameof(TopK)} must be at least 0 (0 keeps every token), but it is {TopK}.");
        }
        if (!(TopP > 0 && TopP <= 1))
        {
            throw new ArgumentOutOfRangeException(paramName, TopP,
                $"{paramName}.{nameof(TopP)} must be greater than 0 and at most 1 (1 keeps every token), but it is {TopP}.");
        }
    }
}
