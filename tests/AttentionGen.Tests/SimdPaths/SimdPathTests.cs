using System.Diagnostics;
using AttentionGen.Tests.Kernels;
using Xunit.Abstractions;

namespace AttentionGen.Tests.SimdPaths;

/// <summary>
/// Runs this assembly's <c>Category=Numeric</c> tests again in child processes whose JIT is restricted to a narrower
/// SIMD path, so the Vector256, Vector128 and scalar code is tested on a machine whose widest path is Vector512.
/// JIT ISA switches only take effect at process start, hence the child processes.
/// </summary>
[Trait("Category", "SimdPaths")]
public sealed class SimdPathTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("DOTNET_EnableAVX512", "256")]
    [InlineData("DOTNET_EnableAVX2", "128")]
    [InlineData("DOTNET_EnableHWIntrinsic", "scalar")]
    public void NumericTests_PassOnNarrowerPath(string switchVariable, string narrowedPath)
    {
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable(HardwarePathTests.ExpectedPathVariable)))
        {
            // Already inside a child run (the filter should prevent this); never recurse.
            output.WriteLine("Skipped inside a SIMD-path child run.");
            return;
        }

        string expectedPath = ExpectedPath(narrowedPath);
        var clock = Stopwatch.StartNew();
        var (exitCode, log) = ChildTestRun.Run("Category=Numeric", new Dictionary<string, string>
        {
            [switchVariable] = "0",
            [HardwarePathTests.ExpectedPathVariable] = expectedPath,
        });

        output.WriteLine($"{switchVariable}=0 (expected path: {expectedPath}), exit code {exitCode}, {clock.Elapsed.TotalSeconds:F1} s:");
        output.WriteLine(log);
        Assert.True(exitCode == 0, $"The Numeric tests failed with {switchVariable}=0 (exit code {exitCode}):\n{log}");
        Assert.Contains("Passed!", log);
    }

    // Switching an ISA off can only narrow the path; on hardware that is already narrower, expect its own path.
    private static string ExpectedPath(string narrowedPath)
    {
        string[] order = ["scalar", "128", "256", "512"];
        int current = Array.IndexOf(order, HardwarePathTests.CurrentPath);
        return order[Math.Min(current, Array.IndexOf(order, narrowedPath))];
    }
}
