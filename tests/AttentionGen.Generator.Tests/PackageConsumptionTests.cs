using AttentionGen.Testing;

namespace AttentionGen.Generator.Tests;

/// <summary>
/// The package as a user installs it: <c>dotnet pack</c> of the runtime project (which carries the generator as its
/// analyzer), then a new app outside the repository that references only that package, builds, runs a generated layer
/// and gets the generator's diagnostics. Everything else in the suite references the projects directly, so this is the
/// one place a packaging mistake (the analyzer in the wrong folder, a generator dependency the compiler does not load)
/// would show.
/// </summary>
public sealed class PackageConsumptionTests
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(4);

    [Fact]
    public void PackedRuntime_GeneratesAWorkingLayer_AndReportsShapeErrors_InAnAppOutsideTheRepository()
    {
        string repository = ConsumerApp.RepositoryRoot();
        string configuration = ConsumerApp.Configuration;
        DirectoryInfo work = Directory.CreateTempSubdirectory("attentiongen-package-");
        try
        {
            // --no-build: the suite's build already made the runtime and the generator in this configuration.
            string feed = Path.Combine(work.FullName, "feed");
            var pack = Dotnet(repository, "pack", Path.Combine(repository, "runtime", "AttentionGen", "AttentionGen.csproj"), "-c", configuration, "--no-build", "-o", feed);
            Assert.True(pack.ExitCode == 0, $"dotnet pack failed:\n{pack.Log}");
            string package = Assert.Single(Directory.GetFiles(feed, "AttentionGen.*.nupkg"));
            string version = Path.GetFileNameWithoutExtension(package)["AttentionGen.".Length..];

            // The feed is the only package source, and packages restore into the app's own folder, so neither the
            // network nor an older copy of this version in the user's NuGet cache takes part.
            string app = Path.Combine(work.FullName, "app");
            Directory.CreateDirectory(app);
            File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
                <configuration>
                  <packageSources>
                    <clear />
                    <add key="feed" value="{feed}" />
                  </packageSources>
                </configuration>
                """);
            File.WriteAllText(Path.Combine(app, "App.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <Nullable>enable</Nullable>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <RestorePackagesPath>{Path.Combine(app, "packages")}</RestorePackagesPath>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="AttentionGen" Version="{version}" />
                  </ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(app, "Program.cs"), ConsumerApp.Program);

            var run = Dotnet(app, "run", "-c", "Release");
            Assert.True(run.ExitCode == 0, $"The app did not build, or its layer disagreed with float64 loops or allocated:\n{run.Log}");
            Assert.Contains("allocated 0 B", run.Log);

            // 100 model dimensions do not split into 8 heads: the packaged analyzer must say so, and the build fail.
            File.AppendAllText(Path.Combine(app, "Program.cs"), """

                [MultiHeadAttention(ModelDim = 100, Heads = 8, MaxSeqLen = 16)]
                public partial class Misshapen;
                """);
            var build = Dotnet(app, "build", "-c", "Release");
            Assert.NotEqual(0, build.ExitCode);
            Assert.Contains("error AGEN0004", build.Log);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static (int ExitCode, string Log) Dotnet(string workingDirectory, params string[] arguments) =>
        DotnetCommand.Run(workingDirectory, arguments, new Dictionary<string, string>(), CommandTimeout);
}
