using AttentionGen.Testing;

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
            // `dotnet test <assembly>` runs VSTest on the already-built assembly, without rebuilding.
            return DotnetCommand.Run(workDirectory, ["test", assembly, "--filter", filter, "--results-directory", workDirectory], environment, Timeout);
        }
        finally
        {
            Directory.Delete(workDirectory, recursive: true);
        }
    }
}
