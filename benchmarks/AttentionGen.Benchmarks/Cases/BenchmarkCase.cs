namespace AttentionGen.Benchmarks.Cases;

/// <summary>
/// One row of the table: the same inputs run up to four ways. <see cref="Flops"/> counts the multiply-adds the math
/// needs (two flops each; causal rows count only visible keys), the same figure for every implementation;
/// <see cref="Bytes"/> is what a call must stream at least once: its inputs, weights and output (not its scratch).
/// <see cref="DifferenceFromOrt"/>, where a row has one, runs AttentionGen and ORT once each and returns how far apart
/// their outputs are: the largest |AttentionGen − ORT| over the largest |ORT| (see <see cref="OutputDifference"/>).
/// </summary>
internal sealed record BenchmarkCase(
    string Name,
    double Flops,
    double Bytes,
    Action AttentionGen,
    Action? OnnxRuntime,
    Action? TensorPrimitives,
    Action? Naive,
    IDisposable? Resources = null,
    Func<double>? DifferenceFromOrt = null)
{
    /// <summary>
    /// Whether the baseline runs on threads of its own whatever the run's thread count (the SentenceTransformers
    /// package's default session): its spinning threads must settle before the next batch, as on a multi-thread run.
    /// </summary>
    public bool BaselineHasOwnThreads { get; init; }
}

/// <summary>How far apart two implementations' outputs are, as <see cref="BenchmarkCase.DifferenceFromOrt"/> reports it.</summary>
internal static class OutputDifference
{
    /// <summary>
    /// The most a row's output may differ from ORT's, relative to ORT's largest magnitude: the tests' bound against ORT.
    /// Both compute in float32 with different summation orders, so they agree to about 1e-6; a wrong input binding or
    /// a wrong result is off by far more.
    /// </summary>
    public const double Bound = 1e-4;

    /// <summary>The largest |ours − reference| over the largest |reference| (NaN anywhere gives NaN, which fails any bound).</summary>
    public static double Relative(ReadOnlySpan<float> ours, ReadOnlySpan<float> reference)
    {
        if (ours.Length != reference.Length)
        {
            throw new ArgumentException($"The outputs differ in length: {ours.Length} and {reference.Length}.", nameof(ours));
        }

        double largest = 0, difference = 0;
        for (int i = 0; i < ours.Length; i++)
        {
            largest = Math.Max(largest, Math.Abs((double)reference[i]));
            double d = Math.Abs((double)ours[i] - reference[i]);
            difference = double.IsNaN(d) || double.IsNaN(difference) ? double.NaN : Math.Max(difference, d);
        }

        return difference / Math.Max(largest, double.Epsilon);
    }
}
