using AttentionGen.Testing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace AttentionGen.Generator.Tests;

/// <summary>
/// The generated code for every declaration in <see cref="Declarations"/> compiles against the runtime with no errors
/// and no warnings (as C# 12, with nullable enabled), so users who treat warnings as errors are not broken by it.
/// </summary>
public sealed class GeneratedCodeCompilesTests
{
    [Theory]
    [MemberData(nameof(Declarations.Names), MemberType = typeof(Declarations))]
    public void CompilesWithoutDiagnostics(string declaration)
    {
        var result = GeneratorHarness.Run(Declarations.All[declaration]);

        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Single(result.GeneratedSources);
        var diagnostics = result.CompilationErrorsAndWarnings.Select(d => d.ToString()).ToArray();
        Assert.True(diagnostics.Length == 0,
            $"The generated code for {declaration} has diagnostics:{Environment.NewLine}{string.Join(Environment.NewLine, diagnostics)}");
    }

    [Fact]
    public void AllDeclarationsTogetherCompileWithoutDiagnostics()
    {
        // One compilation holding every layer: the generated files must not collide (hint names, helper types).
        var result = GeneratorHarness.Run([.. Declarations.All.Values.Select((source, i) => source.Replace("namespace Tests;", $"namespace Tests{i};"))]);

        Assert.Equal(Declarations.All.Count, result.GeneratedSources.Count);
        var diagnostics = result.CompilationErrorsAndWarnings.Select(d => d.ToString()).ToArray();
        Assert.True(diagnostics.Length == 0, string.Join(Environment.NewLine, diagnostics));
    }

    [Fact]
    public void TypesWhoseNamesDifferOnlyInCase_EachGetTheirFile()
    {
        // Roslyn compares hint names ignoring case: Models.Encoder.g.cs beside models.Encoder.g.cs threw inside the
        // driver, and no layer of the compilation got its generated code.
        var result = GeneratorHarness.Run(
            """
            using AttentionGen;

            namespace Models { [ScaledDotProductAttention(Heads = 2, HeadDim = 8, MaxSeqLen = 4)] public partial class Encoder; }
            namespace models { [MultiHeadAttention(ModelDim = 16, Heads = 2, MaxSeqLen = 4)] public partial class Encoder; }
            namespace Other { [ScaledDotProductAttention(Heads = 2, HeadDim = 8, MaxSeqLen = 4)] public partial class Layer; }
            """);

        Assert.Empty(result.GeneratorDiagnostics);
        var diagnostics = result.CompilationErrorsAndWarnings.Select(d => d.ToString()).ToArray();
        Assert.True(diagnostics.Length == 0, string.Join(Environment.NewLine, diagnostics));
        var hintNames = result.GeneratedSources.Select(s => s.HintName).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(3, hintNames.Length);
        Assert.Matches(@"^Models\.Encoder\.[0-9a-f]{8}\.g\.cs$", hintNames[0]);
        Assert.Equal("Other.Layer.g.cs", hintNames[1]); // names no other shares keep their plain file name
        Assert.Matches(@"^models\.Encoder\.[0-9a-f]{8}\.g\.cs$", hintNames[2]);
    }

    [Theory]
    [MemberData(nameof(Declarations.Names), MemberType = typeof(Declarations))]
    public void PublicApiIsDocumented_InProjectsThatCheckDocComments(string declaration)
    {
        // Projects with GenerateDocumentationFile (like the runtime itself) report CS1591 for every undocumented public
        // member and CS1574 for every broken cref, generated code included; with warnings as errors that breaks the build.
        var parseOptions = GeneratorHarness.ParseOptions.WithDocumentationMode(DocumentationMode.Diagnose);
        var compilation = GeneratorHarness.CreateCompilation(Declarations.All[declaration]);
        compilation = compilation.ReplaceSyntaxTree(
            compilation.SyntaxTrees.Single(),
            compilation.SyntaxTrees.Single().WithRootAndOptions(compilation.SyntaxTrees.Single().GetRoot(), parseOptions));
        GeneratorDriver driver = CSharpGeneratorDriver.Create([new AttentionGenerator().AsSourceGenerator()], parseOptions: parseOptions);
        driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out _);

        var generatedTrees = output.SyntaxTrees.Except(compilation.SyntaxTrees).ToHashSet();
        Assert.Single(generatedTrees);
        var diagnostics = output.GetDiagnostics()
            .Where(d => d.Severity >= DiagnosticSeverity.Warning && generatedTrees.Contains(d.Location.SourceTree!))
            .Select(d => d.ToString())
            .ToArray();
        Assert.True(diagnostics.Length == 0,
            $"The generated code for {declaration} has doc-comment diagnostics:{Environment.NewLine}{string.Join(Environment.NewLine, diagnostics)}");
    }
}
