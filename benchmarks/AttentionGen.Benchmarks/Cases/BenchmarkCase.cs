namespace AttentionGen.Benchmarks.Cases;

/// <summary>
/// One row of the table: the same inputs run up to four ways. <see cref="Flops"/> counts the multiply-adds the math
/// needs (two flops each; causal rows count only visible keys), the same figure for every implementation;
/// <see cref="Bytes"/> is what a call must stream at least once: its inputs, weights and output (not its scratch).
/// </summary>
internal sealed record BenchmarkCase(
    string Name,
    double Flops,
    double Bytes,
    Action AttentionGen,
    Action? OnnxRuntime,
    Action? TensorPrimitives,
    Action? Naive,
    IDisposable? Resources = null);
