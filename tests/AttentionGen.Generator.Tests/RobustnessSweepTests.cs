using AttentionGen.Generator.Diagnostics;
using AttentionGen.Testing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace AttentionGen.Generator.Tests;

/// <summary>
/// Declarations a new user might write that once broke the build from inside generated code. Each must either compile
/// cleanly with its layers generated, or be rejected by a named AGEN diagnostic with nothing generated for it, and the
/// generator itself must never fail (CS8785) or take another declaration's output down with it.
/// </summary>
public sealed class RobustnessSweepTests
{
    private const string Sdpa = "[ScaledDotProductAttention(Heads = 2, HeadDim = 8, MaxSeqLen = 4)]";
    private const string Mha = "[MultiHeadAttention(ModelDim = 16, Heads = 2, MaxSeqLen = 4)]";

    public static TheoryData<string, string[], string[]> Cases => new()
    {
        // name, sources, expected AGEN ids (empty: compiles clean)
        { "same-named file classes in two files", [Source("file partial class Same;", Sdpa), Source("file partial class Same;", Sdpa)], ["AGEN0011"] },
        { "one file class", [Source("file partial class Lonely;", Sdpa)], ["AGEN0011"] },
        { "escaped keyword namespace", [Sdpa.Insert(0, "using AttentionGen;\nnamespace @class.Layers;\n") + "\npublic partial class L;"], [] },
        { "class named @event", [Source("public partial class @event;", Mha)], [] },
        { "class named Scale", [Source("public partial class Scale;", Sdpa)], ["AGEN0013"] },
        { "static class", [Source("public static partial class Static;", Sdpa)], ["AGEN0010"] },
        { "user types named like runtime and BCL types beside the layer", [Source("public partial class L;", Mha) + Shadows], [] },
        { "user types named like runtime types in the enclosing class", [Source("public partial class Outer { " + Mha + " public partial class L; " + Shadows + " }", "")], [] },
        { "user member Forward", [Source("public partial class L { public void Forward() { } }", Sdpa)], ["AGEN0013"] },
        { "user member CurrentWeights", [Source("public partial class L { public void CurrentWeights() { } }", Mha)], ["AGEN0013"] },
        { "user nested type Weights", [Source("public partial class L { public sealed class Weights { } }", Mha)], ["AGEN0013"] },
        { "user member LoadWeights (no longer generated)", [Source("public partial class L { public void LoadWeights() { } }", Mha)], [] },
        { "user member Scale", [Source("public partial class L { public double Scale; }", Sdpa)], ["AGEN0013"] },
        { "user member HeadDim", [Source("public partial class L { public int HeadDim => 3; }", Sdpa)], ["AGEN0013"] },
        { "user method nameof (the generated checks call nameof)", [Source("public partial class L { public static int nameof(object x) => 0; }", Mha)], ["AGEN0013"] },
        { "user member Parameters", [Source("public partial class L { public string Parameters = \"\"; }", Mha)], ["AGEN0013"] },
        { "user members Run and _query (private names the generator no longer uses)", [Source("public partial class L { private void Run() { } private int _query = 1; public int Query => _query; }", Mha)], [] },
        { "MHA MaxSeqLen 100,000,000", [Source("public partial class L;", "[MultiHeadAttention(ModelDim = 256, Heads = 4, MaxSeqLen = 100_000_000)]")], ["AGEN0014"] },
        { "SDPA MaxSeqLen int.MaxValue", [Source("public partial class L;", "[ScaledDotProductAttention(Heads = 2, HeadDim = 8, MaxSeqLen = int.MaxValue)]")], ["AGEN0014"] },
        { "SDPA HeadDim int.MaxValue", [Source("public partial class L;", "[ScaledDotProductAttention(Heads = 2, HeadDim = int.MaxValue, MaxSeqLen = 4)]")], ["AGEN0009", "AGEN0014"] },
        { "pooling MaxSeqLen int.MaxValue", [Source("public partial class L;", "[AttentionPooling(InputDim = 8, MaxSeqLen = int.MaxValue, OutputDim = 2)]")], ["AGEN0014"] },
        // A weight tensor past one array compiled clean and threw TypeInitializationException on first use.
        { "block FfnDim 1,100,000 (a typo for 11,008)", [Source("public partial class L;", "[TransformerBlock(ModelDim = 4096, Heads = 32, FfnDim = 1_100_000, MaxSeqLen = 4)]")], ["AGEN0014"] },
        { "decoder FfnDim 1,100,000", [Source("public partial class L;", "[TransformerDecoder(Vocab = 32000, Layers = 2, ModelDim = 4096, Heads = 32, FfnDim = 1_100_000, MaxSeqLen = 16)]")], ["AGEN0014"] },
        { "block RopeDim without Rope (was ignored)", [Source("public partial class L;", "[TransformerBlock(ModelDim = 16, Heads = 2, FfnDim = 16, MaxSeqLen = 4, RopeDim = 4)]")], ["AGEN0016"] },
        { "decoder RopeDim with learned positions", [Source("public partial class L;", "[TransformerDecoder(Vocab = 32, Layers = 1, ModelDim = 16, Heads = 2, FfnDim = 16, MaxSeqLen = 8, Positions = PositionKind.Learned, WeightNames = WeightNames.Gpt2, Norm = NormKind.LayerNorm, Activation = ActivationKind.GeluTanh, Bias = true, RopeDim = 4)]")], ["AGEN0016"] },
        { "encoder ModelDim 65,536", [Source("public partial class L;", "[TransformerEncoder(Vocab = 100, MaxPositions = 8, Layers = 1, ModelDim = 65536, Heads = 256, FfnDim = 65536, MaxSeqLen = 8)]")], ["AGEN0014"] },
        { "same class name in two namespaces", [Source("public partial class Twin;", Sdpa, "A"), Source("public partial class Twin;", Sdpa, "B")], [] },
        { "nested in a record and a struct", [Source("public partial record Outer { public partial struct Middle { " + Sdpa + " public partial class L; } }", "")], [] },
        { "a layer whose base class has a virtual Forward (warned CS0114 inside the generated file)", ["using System;\nusing AttentionGen;\nnamespace Tests;\npublic class Base { public virtual void Forward(ReadOnlySpan<float> input, Span<float> output, int seqLen) { } }\n" + Mha + "\npublic partial class L : Base;"], [] },
        { "a layer deriving from another layer", [Source("public partial class Base;", Sdpa) + "\n" + Sdpa + "\npublic partial class Derived : Base;"], [] },
        { "one bad declaration beside a good one", [Source("public partial class Good;", Sdpa) + "\n[ScaledDotProductAttention(Heads = 0, HeadDim = 8, MaxSeqLen = 4)]\npublic partial class Bad;"], ["AGEN0003"] },
    };

    /// <summary>Types whose names the generated code uses, declared by the user where they would hide the real ones.</summary>
    private const string Shadows = """

        public class Guard { }
        public class Math { }
        public class Unsafe { }
        public class AlignedBuffer { }
        public class ParameterSpec { }
        public class MemoryMarshal { }
        public class SafeTensors { }
        public class Span { }
        public class System { }
        """;

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Declaration_CompilesCleanly_OrGetsItsDiagnostic_NeverAGeneratorFailure(string name, string[] sources, string[] expectedIds)
    {
        var result = GeneratorHarness.Run(sources);
        await AssertOutcome(name, result, expectedIds);
    }

    [Fact]
    public async Task LanguageVersion11_GetsAGEN0012_AndNothingIsGenerated()
    {
        var options = new CSharpParseOptions(LanguageVersion.CSharp11);
        var compilation = GeneratorHarness.CreateCompilation(Source("public partial class L;", Mha));
        compilation = compilation.ReplaceSyntaxTree(compilation.SyntaxTrees.Single(),
            compilation.SyntaxTrees.Single().WithRootAndOptions(compilation.SyntaxTrees.Single().GetRoot(), options));
        GeneratorDriver driver = CSharpGeneratorDriver.Create([new AttentionGenerator().AsSourceGenerator()], parseOptions: options);
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);

        await AssertOutcome("C# 11", new GeneratorResult(output, generatorDiagnostics, driver.GetRunResult()), ["AGEN0012"]);
    }

    [Fact]
    public void OneBadDeclaration_DoesNotSuppressAnother()
    {
        var result = GeneratorHarness.Run(Source("public partial class Good;", Sdpa), Source("public static partial class Bad;", Mha, "Other"));

        Assert.Equal(["Tests.Good.g.cs"], result.GeneratedSources.Select(s => s.HintName));
    }

    private static async Task AssertOutcome(string name, GeneratorResult result, string[] expectedIds)
    {
        Assert.DoesNotContain(result.GeneratorDiagnostics, d => d.Id is "CS8785" or "AGEN0015");
        var generated = result.Compilation.SyntaxTrees.Where(t => t.FilePath.Contains(nameof(AttentionGenerator))).ToHashSet();
        var compilerDiagnostics = result.Compilation.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToArray();

        // Nothing the compiler says is ever inside generated code.
        var inGenerated = compilerDiagnostics.Where(d => d.Location.SourceTree is { } tree && generated.Contains(tree)).Select(d => d.ToString()).ToArray();
        Assert.True(inGenerated.Length == 0, $"{name}: diagnostics inside generated code:\n{string.Join("\n", inGenerated)}");

        var analyzerDiagnostics = await GeneratorHarness.GetAnalyzerDiagnosticsAsync(result.Compilation, new LayerDeclarationAnalyzer());
        Assert.Equal(expectedIds.Order(), analyzerDiagnostics.Select(d => d.Id).Distinct().Order());
        if (expectedIds.Length == 0)
        {
            Assert.True(compilerDiagnostics.Length == 0, $"{name}:\n{string.Join("\n", compilerDiagnostics.Select(d => d.ToString()))}");
            Assert.NotEmpty(generated);
        }
    }

    private static string Source(string declaration, string attribute, string ns = "Tests") => $$"""
        using AttentionGen;

        namespace {{ns}};

        {{attribute}}
        {{declaration}}
        """;
}
