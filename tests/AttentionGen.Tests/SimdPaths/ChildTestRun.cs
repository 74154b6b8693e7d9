using System.Diagnostics;
using System.Text;

namespace AttentionGen.Tests.SimdPaths;

/// <summary>
/// Runs some of this test assembly's tests again in a child process with extra environment variables: JIT switches
/// (ISA limits, disassembly dumps) only take effect at process start.
/// </summary>
internal static class ChildTestRun
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    /// <summary>Runs the tests matching <paramref name="filter"/>; returns the exit code and everything the child printed.</summary>
    public static (int ExitCode, string Log) Run(string filter, IReadOnlyDictionary<string, string> environment)
    {
        string assembly = typeof(ChildTestRun).Assembly.Location;
        string workDirectory = Directory.CreateTempSubdirectory("attentiongen-child-").FullName;
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
            foreach (string argument in new[] { "test", assembly, "--filter", filter, "--results-directory", workDirectory })
            {
                start.ArgumentList.Add(argument);
            }

            foreach (var (name, value) in environment)
            {
                start.Environment[name] = value;
            }

            var log = new StringBuilder();
            using var child = new Process { StartInfo = start };
            child.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.AppendLine(e.Data); } } };
            child.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.AppendLine(e.Data); } } };
            child.Start();
            child.BeginOutputReadLine();
            child.BeginErrorReadLine();
            if (!child.WaitForExit(Timeout))
            {
                child.Kill(entireProcessTree: true);
                child.WaitForExit();
                throw new TimeoutException($"The child test run ({filter}) did not finish within {Timeout.TotalMinutes} minutes:\n{log}");
            }

            child.WaitForExit(); // flushes the asynchronous output readers
            return (child.ExitCode, log.ToString());
        }
        finally
        {
            Directory.Delete(workDirectory, recursive: true);
        }
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
