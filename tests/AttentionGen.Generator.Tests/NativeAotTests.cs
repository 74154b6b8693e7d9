using System.Runtime.Intrinsics;
using AttentionGen.Testing;

namespace AttentionGen.Generator.Tests;

/// <summary>
/// Native AOT, which the runtime declares itself compatible with (<c>IsAotCompatible</c>): an app outside the repository
/// that references the built runtime and generator is published with <c>PublishAot</c> and run. Its generated layer must
/// agree with float64 loops and allocate nothing, as under the JIT. <c>IlcInstructionSet=native</c> compiles for this
/// machine's CPU, so the app takes the widest vectors here, as a JIT'd one would (the default target, x86-64-v2, would
/// leave it Vector128: the same bits, slower).
/// </summary>
public sealed class NativeAotTests
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(6);

    [Fact]
    public void APublishedNativeApp_RunsAGeneratedLayer_Correctly_WithoutAllocating_OnTheWidestVectors()
    {
        string repository = ConsumerApp.RepositoryRoot();
        string configuration = ConsumerApp.Configuration;
        string runtime = Path.Combine(repository, "runtime", "AttentionGen", "bin", configuration, "net10.0", "AttentionGen.dll");
        string generator = Path.Combine(repository, "generator", "AttentionGen.Generator", "bin", configuration, "netstandard2.0", "AttentionGen.Generator.dll");
        Assert.True(File.Exists(runtime) && File.Exists(generator), $"The suite's build should have made {runtime} and {generator}.");

        // The ILCompiler drives a C toolchain to link: clang where there is one, else gcc (this machine has only gcc).
        string? linker = OnPath("clang") ? null : OnPath("gcc") ? "gcc" : throw new InvalidOperationException("Native AOT needs clang or gcc on PATH to link.");
        DirectoryInfo work = Directory.CreateTempSubdirectory("attentiongen-aot-");
        try
        {
            // The built assemblies, not the projects: a publish of project references would rebuild them under the suite.
            File.WriteAllText(Path.Combine(work.FullName, "App.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <Nullable>enable</Nullable>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <PublishAot>true</PublishAot>
                    <IlcInstructionSet>native</IlcInstructionSet>
                    {(linker is null ? "" : $"<CppCompilerAndLinker>{linker}</CppCompilerAndLinker>")}
                  </PropertyGroup>
                  <ItemGroup>
                    <Reference Include="AttentionGen" HintPath="{runtime}" />
                    <Analyzer Include="{generator}" />
                  </ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(work.FullName, "Program.cs"), ConsumerApp.Program);

            string output = Path.Combine(work.FullName, "out");
            var publish = DotnetCommand.Run(work.FullName, ["publish", "-c", "Release", "-r", System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier, "-o", output], new Dictionary<string, string>(), CommandTimeout);
            Assert.True(publish.ExitCode == 0, $"dotnet publish with PublishAot failed:\n{publish.Log}");
            string app = Path.Combine(output, "App");
            Assert.True(File.Exists(app), $"No native executable at {app}:\n{publish.Log}");
            Assert.False(File.Exists(Path.Combine(output, "App.dll")), "The output holds an IL assembly: the publish was not ahead-of-time.");

            var run = Run(app, work.FullName);
            Assert.True(run.ExitCode == 0, $"The native app's layer disagreed with float64 loops or allocated:\n{run.Output}");
            Assert.Contains("allocated 0 B", run.Output);
            Assert.Contains($"Vector512 {Vector512.IsHardwareAccelerated}", run.Output);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Any(folder => folder.Length > 0 && File.Exists(Path.Combine(folder, program)));

    private static (int ExitCode, string Output) Run(string executable, string workingDirectory)
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(executable)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(1)), "The native app did not finish within a minute.");
        return (process.ExitCode, output + error.Result);
    }
}
