namespace AttentionGen.Benchmarks.Cases;

/// <summary>
/// One row of the table: the same inputs run four ways. <see cref="Flops"/> counts the multiply-adds the math needs
/// (two flops each; causal rows count only visible keys), the same figure for every implementation.
/// </summary>
internal sealed record BenchmarkCase(
    string Name,
    double Flops,
    Action AttentionGen,
    Action? OnnxRuntime,
    Action? TensorPrimitives,
    Action? Naive,
    IDisposable? Resources = null);
