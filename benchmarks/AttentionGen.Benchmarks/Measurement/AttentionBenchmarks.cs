using AttentionGen.Benchmarks.Cases;
using BenchmarkDotNet.Attributes;

namespace AttentionGen.Benchmarks.Measurement;

/// <summary>The full BenchmarkDotNet mode: the same rows, AttentionGen and ORT, with allocation counts.</summary>
[MemoryDiagnoser]
public class AttentionBenchmarks
{
    private BenchmarkCase _case = null!;

    public static IEnumerable<string> CaseNames => CaseCatalog.Names;

    [ParamsSource(nameof(CaseNames))]
    public string Case { get; set; } = "";

    [GlobalSetup]
    public void Setup() => _case = CaseCatalog.Create(Case);

    [Benchmark(Baseline = true)]
    public void AttentionGen() => _case.AttentionGen();

    [Benchmark]
    public void OnnxRuntime() => _case.OnnxRuntime?.Invoke();

    [GlobalCleanup]
    public void Cleanup() => _case.Resources?.Dispose();
}
