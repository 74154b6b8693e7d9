using System.Collections;
using System.Reflection;
using AttentionGen.Testing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace AttentionGen.Generator.Tests;

/// <summary>
/// The pipeline's tracked steps (<see cref="TrackingNames"/>) must not redo work for edits that cannot change the
/// output, and must redo it for edits that do. That only holds if every step's output is equatable by value.
/// </summary>
public sealed class IncrementalCachingTests
{
    private static readonly string[] TrackedSteps =
        [TrackingNames.ScaledDotProductAttention, TrackingNames.MultiHeadAttention, TrackingNames.AttentionPooling, TrackingNames.Plans];

    private const string Layers = """
        using AttentionGen;

        namespace Tests;

        [ScaledDotProductAttention(Heads = 4, HeadDim = 16, MaxSeqLen = 32, Causal = true)]
        public partial class Core;

        [MultiHeadAttention(ModelDim = 64, Heads = 4, MaxSeqLen = 16)]
        public partial class Encoder;

        [AttentionPooling(InputDim = 24, MaxSeqLen = 64, OutputDim = 3)]
        public partial class Pool;

        public static class Helper
        {
            public static int Twice(int x) => x * 2;
        }
        """;

    [Fact]
    public void AddingAnUnrelatedFile_LeavesEveryStepCached()
    {
        var (driver, compilation) = RunOnce(Layers);

        var edited = compilation.AddSyntaxTrees(Parse("namespace Tests; public sealed class Unrelated { public int Value; }", "Unrelated.cs"));
        var run = driver.RunGenerators(edited).GetRunResult().Results.Single();

        AssertAllOutputs(run, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
    }

    [Fact]
    public void EditingAMethodBodyInTheSameFile_LeavesEveryStepCachedOrUnchanged()
    {
        var (driver, compilation) = RunOnce(Layers);

        var tree = compilation.SyntaxTrees.Single();
        var edited = compilation.ReplaceSyntaxTree(tree, Parse(Layers.Replace("x * 2", "x + x"), tree.FilePath));
        var run = driver.RunGenerators(edited).GetRunResult().Results.Single();

        // The file changed, so its declarations are parsed again (Unchanged), but equal models stop the work there.
        AssertAllOutputs(run, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
        Assert.Contains(Outputs(run, TrackingNames.MultiHeadAttention), o => o.Reason == IncrementalStepRunReason.Unchanged);
    }

    [Fact]
    public void ChangingAnAttributeArgument_RegeneratesThatLayer()
    {
        var (driver, compilation) = RunOnce(Layers);

        var tree = compilation.SyntaxTrees.Single();
        var edited = compilation.ReplaceSyntaxTree(
            tree, Parse(Layers.Replace("ModelDim = 64, Heads = 4", "ModelDim = 64, Heads = 8"), tree.FilePath));
        var runResult = driver.RunGenerators(edited).GetRunResult();
        var run = runResult.Results.Single();

        Assert.Contains(Outputs(run, TrackingNames.MultiHeadAttention), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains(Outputs(run, TrackingNames.Plans), o => o.Reason is IncrementalStepRunReason.Modified or IncrementalStepRunReason.New);
        Assert.Contains("public const int Heads = 8;", run.GeneratedSources.Single(s => s.HintName == "Tests.Encoder.g.cs").SourceText.ToString());

        // The other two layers are untouched.
        Assert.All(Outputs(run, TrackingNames.ScaledDotProductAttention).Concat(Outputs(run, TrackingNames.AttentionPooling)),
            o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{o.Reason}"));
    }

    [Fact]
    public void StepOutputs_AreValueModels_WithoutRoslynObjects()
    {
        var (driver, _) = RunOnce(Layers);
        var run = driver.GetRunResult().Results.Single();

        foreach (var name in TrackedSteps)
        {
            var outputs = Outputs(run, name);
            Assert.NotEmpty(outputs);
            foreach (var (value, _) in outputs)
            {
                AssertValueGraph(value, name, new HashSet<object>(ReferenceEqualityComparer.Instance));
            }
        }
    }

    private static (GeneratorDriver Driver, Compilation Compilation) RunOnce(string source)
    {
        var compilation = GeneratorHarness.CreateCompilation(source);
        var driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);
        var first = driver.GetRunResult().Results.Single();
        Assert.Equal(3, first.GeneratedSources.Length);
        return (driver, compilation);
    }

    private static SyntaxTree Parse(string source, string path) => CSharpSyntaxTree.ParseText(source, GeneratorHarness.ParseOptions, path);

    private static IReadOnlyList<(object Value, IncrementalStepRunReason Reason)> Outputs(GeneratorRunResult run, string stepName)
    {
        Assert.True(run.TrackedSteps.TryGetValue(stepName, out var steps), $"No tracked step named {stepName}.");
        return steps.SelectMany(s => s.Outputs).ToList();
    }

    private static void AssertAllOutputs(GeneratorRunResult run, params IncrementalStepRunReason[] allowed)
    {
        foreach (var name in TrackedSteps)
        {
            var outputs = Outputs(run, name);
            Assert.NotEmpty(outputs);
            Assert.All(outputs, o => Assert.True(allowed.Contains(o.Reason), $"Step {name} output {o.Value} was {o.Reason}."));
        }
    }

    /// <summary>
    /// Walks every field reachable from a step output. Only primitives, strings, enums, and records and equatable
    /// arrays from the generator's own model, spec and plan namespaces are allowed: anything else (a symbol, a
    /// syntax node, a location, a compilation, a mutable list) would break caching or keep a compilation alive.
    /// </summary>
    private static void AssertValueGraph(object? value, string path, HashSet<object> seen)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum)
        {
            return;
        }

        var type = value.GetType();
        Assert.False(value is ISymbol or SyntaxNode or SyntaxToken or Location or Compilation or SemanticModel or AttributeData,
            $"{path} holds a Roslyn object of type {type}.");
        if (!type.IsValueType && !seen.Add(value))
        {
            return;
        }

        var isOwnModel = type.Namespace is "AttentionGen.Generator" or "AttentionGen.Generator.Model" or "AttentionGen.Generator.Planning"
            or "AttentionGen.Generator.Validation" or "AttentionGen.Generator.Layers"
            || type.Namespace?.StartsWith("AttentionGen.Generator.Components.", StringComparison.Ordinal) == true;
        Assert.True(isOwnModel, $"{path} is a {type}, which is not one of the generator's value models.");

        var isEquatableArray = type.IsGenericType && type.GetGenericTypeDefinition().Name == "EquatableArray`1";
        var isRecord = type.GetProperty("EqualityContract", BindingFlags.Instance | BindingFlags.NonPublic) is not null;
        Assert.True(isEquatableArray || isRecord, $"{path} is a {type}, which is neither a record nor an EquatableArray.");

        if (isEquatableArray)
        {
            var index = 0;
            foreach (var item in (IEnumerable)value)
            {
                AssertValueGraph(item, $"{path}[{index++}]", seen);
            }

            return;
        }

        foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            AssertValueGraph(field.GetValue(value), $"{path}.{field.Name}", seen);
        }
    }
}
