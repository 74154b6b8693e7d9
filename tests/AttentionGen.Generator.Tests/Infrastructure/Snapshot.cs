using System.Runtime.CompilerServices;
using DiffPlex.Renderer;

namespace AttentionGen.Generator.Tests.Infrastructure;

/// <summary>
/// A small snapshot check in Verify's file conventions (the Verify package is not available here). The expected text
/// lives in <c>_snapshots/{Class}.{Method}#{hint}.verified.cs</c>, where <c>hint</c> is the generated file's hint name
/// without its final <c>.cs</c> (so <c>Tests.Encoder.g.cs</c> gives <c>…#Tests.Encoder.g.verified.cs</c>).
/// </summary>
/// <remarks>
/// On a mismatch, or when no verified file exists yet, the actual text is written to a <c>.received.cs</c> file beside
/// it and the test fails with a unified diff. To accept the current output, run the tests with the environment variable
/// <c>ATTENTIONGEN_ACCEPT=1</c>: every compared snapshot is then overwritten with what the generator produced, and the
/// tests pass. Review the resulting git diff before committing it.
/// </remarks>
internal static class Snapshot
{
    /// <summary>Set to <c>1</c> (or <c>true</c>) to overwrite verified snapshots instead of failing.</summary>
    public const string AcceptVariable = "ATTENTIONGEN_ACCEPT";

    public static void Match(
        string actual,
        string hintName,
        [CallerFilePath] string callerFile = "",
        [CallerMemberName] string callerMethod = "")
    {
        var className = Path.GetFileNameWithoutExtension(callerFile);
        var hint = hintName.EndsWith(".cs", StringComparison.Ordinal) ? hintName[..^3] : hintName;
        var directory = Path.Combine(ProjectDirectory(callerFile), "_snapshots");
        var stem = Path.Combine(directory, $"{className}.{callerMethod}#{hint}");
        var verifiedPath = stem + ".verified.cs";
        var receivedPath = stem + ".received.cs";

        actual = Normalize(actual);
        var verified = File.Exists(verifiedPath) ? Normalize(File.ReadAllText(verifiedPath)) : null;
        if (verified == actual)
        {
            File.Delete(receivedPath);
            return;
        }

        if (IsAccepting)
        {
            Directory.CreateDirectory(directory);
            File.WriteAllText(verifiedPath, actual);
            File.Delete(receivedPath);
            return;
        }

        Directory.CreateDirectory(directory);
        File.WriteAllText(receivedPath, actual);
        var diff = UnidiffRenderer.GenerateUnidiff(verified ?? "", actual, Path.GetFileName(verifiedPath), Path.GetFileName(receivedPath),
            ignoreWhitespace: false, ignoreCase: false, contextLines: 3);
        Assert.Fail(
            (verified is null ? $"No verified snapshot at {verifiedPath}." : $"The generated source differs from {verifiedPath}.")
            + $"{Environment.NewLine}The actual text is in {receivedPath}; set {AcceptVariable}=1 to accept it."
            + $"{Environment.NewLine}{diff}");
    }

    private static bool IsAccepting =>
        Environment.GetEnvironmentVariable(AcceptVariable) is "1" or "true" or "TRUE" or "True";

    /// <summary>Snapshots compare as LF text ending in one newline, so checkouts with CRLF still match.</summary>
    private static string Normalize(string text) => text.Replace("\r\n", "\n").Replace('\r', '\n').TrimEnd('\n') + "\n";

    /// <summary>The folder of the test project that contains <paramref name="sourceFile"/>: the nearest one with a .csproj.</summary>
    private static string ProjectDirectory(string sourceFile)
    {
        for (var directory = Path.GetDirectoryName(sourceFile); directory is not null; directory = Path.GetDirectoryName(directory))
        {
            if (Directory.EnumerateFiles(directory, "*.csproj").Any())
            {
                return directory;
            }
        }

        throw new InvalidOperationException($"No project folder above {sourceFile}; snapshots need the test's source path.");
    }
}
