using System.Diagnostics;
using System.Text;

namespace AttentionGen.Testing;

/// <summary>Runs the dotnet CLI in a child process and collects everything it prints.</summary>
internal static class DotnetCommand
{
    /// <summary>
    /// Runs <c>dotnet</c> with <paramref name="arguments"/> in <paramref name="workingDirectory"/>, with
    /// <paramref name="environment"/> added to this process's environment and MSBuild's own variables removed: the test
    /// host may run under MSBuild (<c>dotnet test</c>), whose variables would point a child's build at the parent's SDK
    /// state. Returns the exit code and the output and error streams interleaved.
    /// </summary>
    /// <exception cref="TimeoutException">The command ran past <paramref name="timeout"/>; it is killed.</exception>
    public static (int ExitCode, string Log) Run(string workingDirectory, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(Host())
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (string name in start.Environment.Keys.Where(name => name.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
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
        if (!child.WaitForExit(timeout))
        {
            child.Kill(entireProcessTree: true);
            child.WaitForExit();
            throw new TimeoutException($"dotnet {string.Join(' ', arguments)} did not finish within {timeout.TotalMinutes} minutes:\n{log}");
        }

        child.WaitForExit(); // flushes the asynchronous output readers
        return (child.ExitCode, log.ToString());
    }

    /// <summary>The dotnet muxer this test host runs under, else <c>dotnet</c> from PATH.</summary>
    private static string Host()
    {
        string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host))
        {
            return host;
        }

        string? process = Environment.ProcessPath;
        return process is not null && Path.GetFileNameWithoutExtension(process).Equals("dotnet", StringComparison.OrdinalIgnoreCase) ? process : "dotnet";
    }
}
