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

    /// <summary>What <see cref="OnnxRuntime"/> runs, where a row names it (the scaled-dot-product rows: <see cref="OrtVariant.OpsetAttention"/>).</summary>
    public string? OrtOp { get; init; }

    /// <summary>
    /// Other ORT sessions computing the same math on the same inputs with ORT's contrib ops. Each that agrees with
    /// AttentionGen's output is timed beside <see cref="OnnxRuntime"/>, and the row's ORT figure is the fastest of them.
    /// </summary>
    public IReadOnlyList<OrtVariant> OrtVariants { get; init; } = [];

    /// <summary>Why a contrib op could not be set up for this row (it failed to load or run), if one could not.</summary>
    public string? OrtVariantNote { get; init; }
}

/// <summary>
/// One more ORT session for a row: the op it runs, its call, and how far AttentionGen's output is from its output
/// (run once each, as <see cref="BenchmarkCase.DifferenceFromOrt"/>).
/// </summary>
internal sealed record OrtVariant(string Op, Action Run, Func<double> DifferenceFromGenerated)
{
    public const string OpsetAttention = "Attention (opset 23)";
    public const string MultiHeadAttention = "com.microsoft.MultiHeadAttention";
    public const string GroupQueryAttention = "com.microsoft.GroupQueryAttention";

    /// <summary>The op's short name for a table cell: Attention, MHA or GQA.</summary>
    public static string Short(string op) => op switch
    {
        MultiHeadAttention => "MHA",
        GroupQueryAttention => "GQA",
        OpsetAttention => "Attention",
        _ => op,
    };
}

/// <summary>Disposes each of a row's resources in turn (its ORT sessions).</summary>
internal sealed class DisposeAll(IReadOnlyList<IDisposable> resources) : IDisposable
{
    public void Dispose()
    {
        foreach (var resource in resources)
        {
            resource.Dispose();
        }
    }
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
