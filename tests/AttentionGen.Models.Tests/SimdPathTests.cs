using System.Diagnostics;
using System.Runtime.Intrinsics;
using AttentionGen.Tests.SimdPaths;
using Xunit.Abstractions;

namespace AttentionGen.Models.Tests;

/// <summary>The widest accelerated vector path of this process: what the generated encoder's kernels run on.</summary>
public static class HardwarePath
{
    /// <summary>Set by <see cref="SimdPathTests"/> in a child run: the path the child must be on.</summary>
    public const string ExpectedVariable = "ATTENTIONGEN_EXPECT_PATH";

    /// <summary>"512", "256", "128" or "scalar".</summary>
    public static string Current =>
        Vector512.IsHardwareAccelerated ? "512" :
        Vector256.IsHardwareAccelerated ? "256" :
        Vector128.IsHardwareAccelerated ? "128" : "scalar";
}

/// <summary>
/// Runs the generated encoder's hidden-state, pair and allocation tests again in child processes whose JIT is held to
/// a narrower SIMD path (the switches act only at process start), so the Vector256, Vector128 and scalar kernels are
/// checked against ORT and for allocations on a machine whose widest path is Vector512.
/// </summary>
[Trait("Category", "SimdPaths")]
public sealed class SimdPathTests(ITestOutputHelper output)
{
    /// <summary>The tests each child runs.</summary>
    public const string Category = "MiniLmPaths";

    [Theory]
    [InlineData("DOTNET_EnableAVX512", "256")]
    [InlineData("DOTNET_EnableAVX2", "128")]
    [InlineData("DOTNET_EnableHWIntrinsic", "scalar")]
    public void Generated_encoder_tests_pass_on_a_narrower_path(string switchVariable, string narrowedPath)
    {
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable(HardwarePath.ExpectedVariable)))
        {
            output.WriteLine("Skipped inside a SIMD-path child run.");
            return;
        }

        string[] order = ["scalar", "128", "256", "512"];
        string expectedPath = order[Math.Min(Array.IndexOf(order, HardwarePath.Current), Array.IndexOf(order, narrowedPath))];
        var clock = Stopwatch.StartNew();
        var (exitCode, log) = ChildTestRun.Run($"Category={Category}", new Dictionary<string, string>
        {
            [switchVariable] = "0",
            [HardwarePath.ExpectedVariable] = expectedPath,
        });

        output.WriteLine($"{switchVariable}=0 (expected path: {expectedPath}), exit code {exitCode}, {clock.Elapsed.TotalSeconds:F1} s:");
        output.WriteLine(log);
        Assert.True(exitCode == 0, $"The generated encoder's tests failed with {switchVariable}=0 (exit code {exitCode}):\n{log}");
        Assert.Contains("Passed!", log);
    }

    [Fact]
    [Trait("Category", Category)]
    public void The_process_runs_on_the_expected_path()
    {
        Assert.False(Vector512.IsHardwareAccelerated && !Vector256.IsHardwareAccelerated);
        Assert.False(Vector256.IsHardwareAccelerated && !Vector128.IsHardwareAccelerated);
        string? expected = Environment.GetEnvironmentVariable(HardwarePath.ExpectedVariable);
        if (!string.IsNullOrEmpty(expected))
        {
            Assert.Equal(expected, HardwarePath.Current);
        }
    }
}
