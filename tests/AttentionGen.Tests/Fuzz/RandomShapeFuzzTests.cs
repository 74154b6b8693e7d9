using System.Globalization;
using System.Reflection;
using System.Text;
using AttentionGen.Generator.Diagnostics;
using AttentionGen.Testing;
using AttentionGen.Tests.Reference;
using Xunit.Abstractions;

namespace AttentionGen.Tests.Fuzz;

/// <summary>
/// Random declarations, compiled in memory through the generator, loaded into a collectible context, run on random
/// lengths (and, for SDPA, random masks) and checked against the float64 reference. One compilation holds them all,
/// so this stays a few seconds. Set AGEN_FUZZ_SEED to explore other seeds; the default keeps CI deterministic.
/// </summary>
[Trait("Category", "Fuzz")]
public sealed class RandomShapeFuzzTests(ITestOutputHelper output)
{
    private const int Declarations = 60;
    private const int RunsPerLayer = 4;

    private static readonly int[] NotWholeVectors = [20, 24, 40, 56, 72, 100, 120];

    private sealed record Spec(int Index, string Kind, int Heads, int KvHeads, int HeadDim, int ModelDim, bool ExplicitHeadDim,
        int MaxSeqLen, int MaxKvSeqLen, bool Causal, float Scale, float Softcap, bool Bias, int KvInputDim, int InputDim, int OutputDim)
    {
        public string Name => $"Layer{Index}";

        public float EffectiveScale => Scale > 0 ? Scale : (float)(1 / Math.Sqrt(HeadDim));

        /// <summary>The contract's default: MaxKvSeqLen 0 means MaxSeqLen.</summary>
        public int EffectiveMaxKv => MaxKvSeqLen > 0 ? MaxKvSeqLen : MaxSeqLen;

        public bool HasSelfForward => Kind == "mha" && (KvInputDim == 0 || KvInputDim == ModelDim);

        public bool HasCrossForward => Kind == "mha" && KvInputDim > 0;
    }

    [Fact]
    public async Task RandomDeclarations_MatchTheReference()
    {
        int seed = int.TryParse(Environment.GetEnvironmentVariable("AGEN_FUZZ_SEED"), out var s) ? s : 424242;
        var random = new Random(seed);
        var specs = Enumerable.Range(0, Declarations).Select(i => RandomSpec(i, random)).ToList();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var source = Source(specs);

        // The analyzer reads only the declarations, so it runs on the user source alone (binding the generated code
        // a second time would double the cost); the generated code's own warnings come out of the one Emit below.
        var analyzer = await GeneratorHarness.GetAnalyzerDiagnosticsAsync(GeneratorHarness.CreateCompilation(source), new LayerDeclarationAnalyzer());
        Assert.True(analyzer.IsEmpty, string.Join(Environment.NewLine, analyzer.Take(20)));

        var result = GeneratorHarness.Run(source);
        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Equal(Declarations, result.GeneratedSources.Count);
        using var loaded = EmitWithoutWarnings(result.Compilation);
        var compileTime = clock.Elapsed;

        double worst = 0;
        int runs = 0;
        foreach (var spec in specs)
        {
            // One instance per layer across all its runs, longest first: scratch left over from one call must not leak into the next.
            for (int run = 0; run < RunsPerLayer; run++)
            {
                int seqLen = run == 0 ? spec.MaxSeqLen : random.Next(1, spec.MaxSeqLen + 1);
                int kvLen = run == 0 ? spec.EffectiveMaxKv : random.Next(1, spec.EffectiveMaxKv + 1);
                bool masked = spec.Kind == "sdpa" && run == RunsPerLayer - 1;
                bool useCross = spec.HasCrossForward && (!spec.HasSelfForward || run % 2 == 1);
                int runSeed = seed + spec.Index * 10 + run;
                try
                {
                    worst = Math.Max(worst, RunOne(loaded.Assembly, spec, seqLen, kvLen, masked, useCross, runSeed));
                }
                catch (Exception e) when (e is not Xunit.Sdk.XunitException)
                {
                    throw new InvalidOperationException($"{spec} seqLen {seqLen} kvLen {kvLen} (fuzz seed {seed})", e);
                }

                runs++;
            }
        }

        output.WriteLine($"seed {seed}: {Declarations} declarations, {runs} runs, max error {worst:E2} " +
            $"(generate + compile {compileTime.TotalSeconds:F1} s, runs {(clock.Elapsed - compileTime).TotalSeconds:F1} s)");
    }

    /// <summary>Emits once, failing on any error or warning (generated code must compile clean), and loads the image collectibly.</summary>
    private static LoadedAssembly EmitWithoutWarnings(Microsoft.CodeAnalysis.Compilation compilation)
    {
        using var image = new MemoryStream();
        var emit = compilation.Emit(image);
        var problems = emit.Diagnostics.Where(d => d.Severity >= Microsoft.CodeAnalysis.DiagnosticSeverity.Warning).Select(d => d.ToString()).ToArray();
        Assert.True(problems.Length == 0 && emit.Success, string.Join(Environment.NewLine, problems.Take(20)));
        image.Position = 0;
        var context = new System.Runtime.Loader.AssemblyLoadContext("AttentionGen.Tests.Fuzz", isCollectible: true);
        return new LoadedAssembly(context, context.LoadFromStream(image));
    }

    private static double RunOne(Assembly assembly, Spec spec, int seqLen, int kvLen, bool masked, bool useCross, int seed)
    {
        var entry = assembly.GetType($"Fuzz.Run{spec.Index}", throwOnError: true)!;
        switch (spec.Kind)
        {
            case "sdpa":
            {
                var q = TestData.Uniform(seed, seqLen * spec.Heads * spec.HeadDim);
                var k = TestData.Uniform(seed + 1, kvLen * spec.KvHeads * spec.HeadDim);
                var v = TestData.Uniform(seed + 2, kvLen * spec.KvHeads * spec.HeadDim);
                var mask = masked ? Masks.Padding(seed + 3, seqLen, kvLen, hideEvery: 2 + seed % 3, fullyMaskedRow: seed % 4) : null;
                var o = new float[q.Length];
                if (mask is null)
                {
                    Invoke(entry, "Forward", q, k, v, o, seqLen, kvLen);
                }
                else
                {
                    Invoke(entry, "ForwardMasked", q, k, v, mask, o, seqLen, kvLen);
                }

                var expected = AttentionReference.Sdpa(q, k, v, seqLen, kvLen, spec.Heads, spec.KvHeads, spec.HeadDim, spec.Causal, spec.EffectiveScale, spec.Softcap, mask);
                return TestData.AssertClose(expected, o, $"{spec} seqLen {seqLen} kvLen {kvLen}{(mask is null ? "" : " masked")}");
            }

            case "mha":
            {
                var (names, weights) = Weights(assembly, spec, seed);
                Invoke(entry, "SetWeights", [names.Select(n => weights[n]).ToArray()]);
                int contextLen = useCross ? kvLen : seqLen;
                int kvInputDim = spec.KvInputDim > 0 ? spec.KvInputDim : spec.ModelDim;
                var input = TestData.Uniform(seed + 3, seqLen * spec.ModelDim);
                var context = useCross ? TestData.Uniform(seed + 4, contextLen * kvInputDim) : input;
                var o = new float[seqLen * spec.ModelDim];
                if (useCross)
                {
                    Invoke(entry, "ForwardCross", input, context, o, seqLen, contextLen);
                }
                else
                {
                    Invoke(entry, "Forward", input, o, seqLen);
                }

                var expected = AttentionReference.MultiHead(input, context, seqLen, contextLen, spec.ModelDim, kvInputDim, spec.Heads, spec.KvHeads,
                    spec.HeadDim, spec.Causal, spec.EffectiveScale, spec.Softcap, weights);
                return TestData.AssertClose(expected, o, $"{spec} seqLen {seqLen} contextLen {contextLen}{(useCross ? " cross" : " self")}");
            }

            default:
            {
                var (names, weights) = Weights(assembly, spec, seed);
                Invoke(entry, "SetWeights", [names.Select(n => weights[n]).ToArray()]);
                var input = TestData.Uniform(seed + 3, seqLen * spec.InputDim, scale: 2f);
                var o = new float[spec.OutputDim];
                var alpha = new float[seqLen];
                Invoke(entry, "Forward", input, o, alpha, seqLen);
                var (expected, expectedAlpha) = AttentionReference.Pooling(input, seqLen, spec.InputDim, spec.OutputDim, weights);
                string what = $"{spec} seqLen {seqLen}";
                return Math.Max(TestData.AssertClose(expected, o, what), TestData.AssertClose(expectedAlpha, alpha, what + " weights"));
            }
        }
    }

    private static void Invoke(Type entry, string method, params object[] arguments)
    {
        try
        {
            (entry.GetMethod(method) ?? throw new MissingMethodException(entry.Name, method)).Invoke(null, arguments);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw e.InnerException;
        }
    }

    private static (string[] Names, Dictionary<string, float[]> Weights) Weights(Assembly assembly, Spec spec, int seed)
    {
        var layerType = assembly.GetType($"Fuzz.{spec.Name}", throwOnError: true)!;
        var parameters = (IReadOnlyList<ParameterSpec>)layerType.GetProperty("Parameters")!.GetValue(null)!;
        var weights = parameters.ToDictionary(p => p.Name, p => TestData.Uniform(seed++, p.ElementCount, 1f / MathF.Sqrt(p.Shape[^1])));
        return (parameters.Select(p => p.Name).ToArray(), weights);
    }

    private static Spec RandomSpec(int index, Random random)
    {
        var kind = (index % 3) switch { 0 => "sdpa", 1 => "mha", _ => "pool" };
        int heads = random.Next(1, 9);
        var divisors = Enumerable.Range(1, heads).Where(d => heads % d == 0).ToArray();
        int kvHeads = divisors[random.Next(divisors.Length)];
        // Multiples of 16 take every tile whole; the listed widths end each head on an overlapping vector (the issue's).
        int headDim = random.Next(4) switch { 0 => 16 * random.Next(1, 5), 1 => NotWholeVectors[random.Next(NotWholeVectors.Length)], _ => random.Next(1, 81) };
        bool explicitHeadDim = kind == "mha" && random.Next(3) == 0;
        int modelDim = explicitHeadDim ? random.Next(1, 65) : heads * headDim;
        int maxSeqLen = random.Next(1, 41);
        int maxKvSeqLen = random.Next(3) switch { 0 => 0, 1 => maxSeqLen, _ => random.Next(1, 61) }; // 0: left to the default
        float scale = random.Next(3) == 0 ? MathF.Round(0.05f + random.NextSingle() * 0.45f, 3) : 0;
        float softcap = random.Next(4) == 0 ? MathF.Round(1 + random.NextSingle() * 49, 1) : 0;
        int kvInputDim = kind != "mha" ? 0 : random.Next(4) switch { 0 => random.Next(1, 49), 1 => modelDim, _ => 0 };
        return new Spec(index, kind, heads, kvHeads, headDim, modelDim, explicitHeadDim, maxSeqLen, maxKvSeqLen,
            random.Next(2) == 0, scale, softcap, random.Next(2) == 0, kvInputDim, random.Next(1, 81), random.Next(1, 9));
    }

    private static string Source(IEnumerable<Spec> specs)
    {
        var source = new StringBuilder("using System;\nusing AttentionGen;\n\nnamespace Fuzz;\n\n");
        foreach (var s in specs)
        {
            string F(float x) => x.ToString("R", CultureInfo.InvariantCulture) + "f";
            string B(bool x) => x ? "true" : "false";
            string maxKv = s.MaxKvSeqLen > 0 ? $", MaxKvSeqLen = {s.MaxKvSeqLen}" : "";
            // Built through the public builder: every tensor set by name, then one layer over the immutable weights.
            const string SetWeights =
                "    private static {0} Layer = null!;\n" +
                "    public static void SetWeights(float[][] w)\n    {\n        var builder = {0}.Weights.CreateBuilder();\n" +
                "        for (int i = 0; i < w.Length; i++) builder.Set({0}.Parameters[i].Name, w[i]);\n        Layer = new {0}(builder.Build());\n    }\n";
            switch (s.Kind)
            {
                case "sdpa":
                    source.Append($"[ScaledDotProductAttention(Heads = {s.Heads}, KvHeads = {s.KvHeads}, HeadDim = {s.HeadDim}, MaxSeqLen = {s.MaxSeqLen}{maxKv}, Causal = {B(s.Causal)}, Scale = {F(s.Scale)}, Softcap = {F(s.Softcap)})]\n");
                    source.Append($"public partial class {s.Name};\n\n");
                    source.Append($"public static class Run{s.Index}\n{{\n    private static readonly {s.Name} Layer = new();\n");
                    source.Append("    public static void Forward(float[] q, float[] k, float[] v, float[] o, int s, int t) => Layer.Forward(q, k, v, o, s, t);\n");
                    source.Append("    public static void ForwardMasked(float[] q, float[] k, float[] v, float[] m, float[] o, int s, int t) => Layer.Forward(q, k, v, m, o, s, t);\n}\n\n");
                    break;
                case "mha":
                    var headDim = s.ExplicitHeadDim ? $", HeadDim = {s.HeadDim}" : "";
                    source.Append($"[MultiHeadAttention(ModelDim = {s.ModelDim}, Heads = {s.Heads}, KvHeads = {s.KvHeads}{headDim}, MaxSeqLen = {s.MaxSeqLen}{maxKv}, Causal = {B(s.Causal)}, Scale = {F(s.Scale)}, Softcap = {F(s.Softcap)}, Bias = {B(s.Bias)}, KvInputDim = {s.KvInputDim})]\n");
                    source.Append($"public partial class {s.Name};\n\n");
                    source.Append($"public static class Run{s.Index}\n{{\n");
                    source.Append(SetWeights.Replace("{0}", s.Name));
                    if (s.HasSelfForward)
                    {
                        source.Append("    public static void Forward(float[] x, float[] o, int s) => Layer.Forward(x, o, s);\n");
                    }

                    if (s.HasCrossForward)
                    {
                        source.Append("    public static void ForwardCross(float[] x, float[] c, float[] o, int s, int t) => Layer.Forward(x, c, o, s, t);\n");
                    }

                    source.Append("}\n\n");
                    break;
                default:
                    source.Append($"[AttentionPooling(InputDim = {s.InputDim}, MaxSeqLen = {s.MaxSeqLen}, OutputDim = {s.OutputDim})]\n");
                    source.Append($"public partial class {s.Name};\n\n");
                    source.Append($"public static class Run{s.Index}\n{{\n");
                    source.Append(SetWeights.Replace("{0}", s.Name));
                    source.Append("    public static void Forward(float[] x, float[] o, float[] a, int s)\n    {\n");
                    source.Append("        Layer.Forward(x, o, a, s);\n        var plain = new float[o.Length];\n        Layer.Forward(x, plain, s);\n");
                    source.Append("        if (!plain.AsSpan().SequenceEqual(o)) throw new InvalidOperationException(\"the two pooling overloads disagree\");\n    }\n}\n\n");
                    break;
            }
        }

        return source.ToString();
    }
}
