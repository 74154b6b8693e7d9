using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.Loader;
using AttentionGen.Generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace AttentionGen.Testing;

/// <summary>
/// Compiles user source in memory the way a consuming project would: .NET 10 reference assemblies, the AttentionGen
/// runtime, and the generator. Shared by the generator tests and the numeric fuzz tests.
/// </summary>
internal static class GeneratorHarness
{
    /// <summary>C# 12 is what Roslyn 4.8 (the oldest compiler we support) understands; generated code must compile with it.</summary>
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.CSharp12);

    private static readonly ImmutableArray<MetadataReference> References =
        [.. Basic.Reference.Assemblies.Net100.References.All, MetadataReference.CreateFromFile(typeof(MultiHeadAttentionAttribute).Assembly.Location)];

    public static CSharpCompilation CreateCompilation(params string[] sources) =>
        CSharpCompilation.Create(
            "UserAssembly" + Guid.NewGuid().ToString("N"),
            sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: $"Source{i}.cs")),
            References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorDriver CreateDriver() =>
        CSharpGeneratorDriver.Create(
            [new AttentionGenerator().AsSourceGenerator()],
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs the generator once and returns the compilation with the generated sources added.</summary>
    public static GeneratorResult Run(params string[] sources)
    {
        var compilation = CreateCompilation(sources);
        var driver = CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
        return new GeneratorResult(output, generatorDiagnostics, driver.GetRunResult());
    }

    public static async Task<ImmutableArray<Diagnostic>> GetAnalyzerDiagnosticsAsync(Compilation compilation, DiagnosticAnalyzer analyzer) =>
        await compilation.WithAnalyzers([analyzer]).GetAnalyzerDiagnosticsAsync();

    /// <summary>Emits the compilation and loads it into a collectible context; dispose the result to unload it.</summary>
    public static LoadedAssembly EmitAndLoad(Compilation compilation)
    {
        using var image = new MemoryStream();
        var emit = compilation.Emit(image);
        if (!emit.Success)
        {
            var errors = string.Join(Environment.NewLine, emit.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error));
            throw new InvalidOperationException("Generated code did not compile:" + Environment.NewLine + errors);
        }

        image.Position = 0;
        var context = new AssemblyLoadContext("AttentionGen.Tests." + compilation.AssemblyName, isCollectible: true);
        return new LoadedAssembly(context, context.LoadFromStream(image));
    }
}

internal sealed record GeneratorResult(Compilation Compilation, ImmutableArray<Diagnostic> GeneratorDiagnostics, GeneratorDriverRunResult RunResult)
{
    public IEnumerable<Diagnostic> CompilationErrorsAndWarnings =>
        Compilation.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning);

    public IReadOnlyList<(string HintName, string Text)> GeneratedSources =>
        RunResult.Results.SelectMany(r => r.GeneratedSources).Select(s => (s.HintName, s.SourceText.ToString())).ToList();
}

/// <summary>An assembly in a collectible load context. The AttentionGen runtime resolves to the test's own copy, so
/// types like SafeTensors are shared with the test.</summary>
internal sealed class LoadedAssembly(AssemblyLoadContext context, Assembly assembly) : IDisposable
{
    public Assembly Assembly { get; } = assembly;

    public object CreateInstance(string typeName) =>
        Activator.CreateInstance(Assembly.GetType(typeName, throwOnError: true)!)!;

    public void Dispose() => context.Unload();
}
