using System.Diagnostics;
using System.Runtime.Intrinsics;
using System.Text;
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
    private static readonly TimeSpan ChildTimeout = TimeSpan.FromMinutes(5);

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
        string assembly = typeof(SimdPathTests).Assembly.Location;
        string workDirectory = Directory.CreateTempSubdirectory("attentiongen-simd-").FullName;
        try
        {
            var start = new ProcessStartInfo(DotnetHost())
            {
                WorkingDirectory = workDirectory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            // `dotnet test <assembly>` runs VSTest on the already-built assembly, without rebuilding.
            foreach (string argument in new[] { "test", assembly, "--filter", "Category=Numeric", "--results-directory", workDirectory })
            {
                start.ArgumentList.Add(argument);
            }
            start.Environment[switchVariable] = "0";
            start.Environment[HardwarePathTests.ExpectedPathVariable] = expectedPath;

            var log = new StringBuilder();
            using var child = new Process { StartInfo = start };
            child.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.AppendLine(e.Data); } } };
            child.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.AppendLine(e.Data); } } };

            var clock = Stopwatch.StartNew();
            child.Start();
            child.BeginOutputReadLine();
            child.BeginErrorReadLine();
            if (!child.WaitForExit(ChildTimeout))
            {
                child.Kill(entireProcessTree: true);
                child.WaitForExit();
                output.WriteLine(log.ToString());
                Assert.Fail($"The Numeric tests with {switchVariable}=0 did not finish within {ChildTimeout.TotalMinutes} minutes.");
            }
            child.WaitForExit(); // flushes the asynchronous output readers

            output.WriteLine($"{switchVariable}=0 (expected path: {expectedPath}), exit code {child.ExitCode}, {clock.Elapsed.TotalSeconds:F1} s:");
            output.WriteLine(log.ToString());
            Assert.True(child.ExitCode == 0, $"The Numeric tests failed with {switchVariable}=0 (exit code {child.ExitCode}):\n{log}");
            Assert.Contains("Passed!", log.ToString());
        }
        finally
        {
            Directory.Delete(workDirectory, recursive: true);
        }
    }

    // Switching an ISA off can only narrow the path; on hardware that is already narrower, expect its own path.
    private static string ExpectedPath(string narrowedPath)
    {
        string[] order = ["scalar", "128", "256", "512"];
        int current = Array.IndexOf(order, HardwarePathTests.CurrentPath);
        return order[Math.Min(current, Array.IndexOf(order, narrowedPath))];
    }

    // The test host normally runs under the dotnet muxer; fall back to PATH.
    private static string DotnetHost()
    {
        string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host))
        {
            return host;
        }
        string? process = Environment.ProcessPath;
        if (process is not null && Path.GetFileNameWithoutExtension(process).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            return process;
        }
        return "dotnet";
    }
}
