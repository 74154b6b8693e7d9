using System.Diagnostics;
using AttentionGen.Sampling;

namespace TextGeneration;

/// <summary>
/// Generation as it is timed: per token, one draw from the logits and one decode step, each token's times kept, and the
/// logits of the first steps kept for checking. Its arrays are made up front, so <see cref="Run"/> allocates nothing of
/// its own and <see cref="AllocatedBytes"/> is what the sampler and the decoder allocated.
/// </summary>
internal sealed class TimedGeneration(int tokens, int keptSteps)
{
    /// <summary>The tokens drawn, in order; each went through a decode step.</summary>
    public int[] Tokens { get; } = new int[tokens];

    /// <summary>Stopwatch ticks of each <see cref="Stories110M.DecodeStep"/>.</summary>
    public long[] StepTicks { get; } = new long[tokens];

    /// <summary>Stopwatch ticks of each token: the draw and the step.</summary>
    public long[] TokenTicks { get; } = new long[tokens];

    /// <summary>The logits the first steps wrote, [keptSteps, Vocab].</summary>
    public float[] KeptLogits { get; } = new float[keptSteps * Stories110M.Vocab];

    /// <summary>Bytes this thread allocated during the last <see cref="Run"/>.</summary>
    public long AllocatedBytes { get; private set; }

    /// <summary>
    /// Draws a token from <paramref name="logits"/> (the logits after the decoder's cache), runs it through
    /// <paramref name="decoder"/>, which overwrites <paramref name="logits"/>, and repeats, for every token.
    /// </summary>
    public void Run(Stories110M decoder, TokenSampler sampler, in SamplingOptions options, float[] logits)
    {
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Tokens.Length; i++)
        {
            var tokenStart = Stopwatch.GetTimestamp();
            var token = sampler.Next(logits, options);
            var stepStart = Stopwatch.GetTimestamp();
            decoder.DecodeStep(token, logits);
            var end = Stopwatch.GetTimestamp();
            Tokens[i] = token;
            StepTicks[i] = end - stepStart;
            TokenTicks[i] = end - tokenStart;
            if (i * Stories110M.Vocab < KeptLogits.Length)
            {
                logits.CopyTo(KeptLogits.AsSpan(i * Stories110M.Vocab));
            }
        }

        AllocatedBytes = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
    }
}
