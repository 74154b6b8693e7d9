using System.Globalization;
using System.Reflection;
using System.Text;
using AttentionGen.Testing;
using AttentionGen.Tests.Reference;
using Xunit.Abstractions;

namespace AttentionGen.Tests.Fuzz;

/// <summary>
/// Random declarations, compiled in memory through the generator, loaded into a collectible context, run on random
/// lengths and checked against the float64 reference. One compilation holds them all, so this stays a few seconds.
/// </summary>
[Trait("Category", "Fuzz")]
public sealed class RandomShapeFuzzTests(ITestOutputHelper output)
{
    private const int Declarations = 60;

    private sealed record Spec(int Index, string Kind, int Heads, int KvHeads, int HeadDim, int ModelDim, bool ExplicitHeadDim,
        int MaxSeqLen, int MaxKvSeqLen, bool Causal, float Scale, float Softcap, bool Bias, int KvInputDim, int InputDim, int OutputDim)
    {
        public string Name => $"Layer{Index}";

        public float EffectiveScale => Scale > 0 ? Scale : (float)(1 / Math.Sqrt(HeadDim));

        public int EffectiveMaxKv => Kind == "mha" && KvInputDim == 0 ? Math.Max(MaxSeqLen, MaxKvSeqLen) : MaxKvSeqLen;
    }

    [Fact]
    public void RandomDeclarations_MatchTheReference()
    {
        var random = new Random(424242);
        var specs = Enumerable.Range(0, Declarations).Select(i => RandomSpec(i, random)).ToList();
        var result = GeneratorHarness.Run(Source(specs));

        Assert.Equal(Declarations, result.GeneratedSources.Count);
        var diagnostics = result.CompilationErrorsAndWarnings.Select(d => d.ToString()).ToArray();
        Assert.True(diagnostics.Length == 0, string.Join(Environment.NewLine, diagnostics.Take(20)));

        using var loaded = GeneratorHarness.EmitAndLoad(result.Compilation);
        double worst = 0;
        int runs = 0;
        foreach (var spec in specs)
        {
            for (int run = 0; run < 3; run++)
            {
                int seqLen = run == 0 ? spec.MaxSeqLen : random.Next(1, spec.MaxSeqLen + 1);
                int kvLen = spec.Kind == "mha" && spec.KvInputDim == 0 ? seqLen : run == 0 ? spec.EffectiveMaxKv : random.Next(1, spec.EffectiveMaxKv + 1);
                worst = Math.Max(worst, RunOne(loaded.Assembly, spec, seqLen, kvLen, seed: spec.Index * 10 + run));
                runs++;
            }
        }

        output.WriteLine($"{Declarations} declarations, {runs} runs, max error {worst:E2}");
    }

    private static double RunOne(Assembly assembly, Spec spec, int seqLen, int kvLen, int seed)
    {
        var entry = assembly.GetType($"Fuzz.Run{spec.Index}", throwOnError: true)!;
        var what = $"{spec} seqLen {seqLen} kvLen {kvLen}";
        switch (spec.Kind)
        {
            case "sdpa":
            {
                var q = TestData.Uniform(seed, seqLen * spec.Heads * spec.HeadDim);
                var k = TestData.Uniform(seed + 1, kvLen * spec.KvHeads * spec.HeadDim);
                var v = TestData.Uniform(seed + 2, kvLen * spec.KvHeads * spec.HeadDim);
                var o = new float[q.Length];
                entry.GetMethod("Forward")!.Invoke(null, [q, k, v, o, seqLen, kvLen]);
                var expected = AttentionReference.Sdpa(q, k, v, seqLen, kvLen, spec.Heads, spec.KvHeads, spec.HeadDim, spec.Causal, spec.EffectiveScale, spec.Softcap);
                return TestData.AssertClose(expected, o, what);
            }

            case "mha":
            {
                var (names, weights) = Weights(assembly, spec, seed);
                int kvInputDim = spec.KvInputDim > 0 ? spec.KvInputDim : spec.ModelDim;
                var input = TestData.Uniform(seed + 3, seqLen * spec.ModelDim);
                var context = spec.KvInputDim > 0 ? TestData.Uniform(seed + 4, kvLen * kvInputDim) : input;
                var o = new float[seqLen * spec.ModelDim];
                entry.GetMethod("Forward")!.Invoke(null, [names.Select(n => weights[n]).ToArray(), input, context, o, seqLen, kvLen]);
                var expected = AttentionReference.MultiHead(input, context, seqLen, kvLen, spec.ModelDim, kvInputDim, spec.Heads, spec.KvHeads,
                    spec.HeadDim, spec.Causal, spec.EffectiveScale, spec.Softcap, weights);
                return TestData.AssertClose(expected, o, what);
            }

            default:
            {
                var (names, weights) = Weights(assembly, spec, seed);
                var input = TestData.Uniform(seed + 3, seqLen * spec.InputDim, scale: 2f);
                var o = new float[spec.OutputDim];
                var alpha = new float[seqLen];
                entry.GetMethod("Forward")!.Invoke(null, [names.Select(n => weights[n]).ToArray(), input, o, alpha, seqLen]);
                var (expected, expectedAlpha) = AttentionReference.Pooling(input, seqLen, spec.InputDim, spec.OutputDim, weights);
                return Math.Max(TestData.AssertClose(expected, o, what), TestData.AssertClose(expectedAlpha, alpha, what + " weights"));
            }
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
        int heads = random.Next(1, 7);
        var divisors = Enumerable.Range(1, heads).Where(d => heads % d == 0).ToArray();
        int kvHeads = divisors[random.Next(divisors.Length)];
        int headDim = random.Next(4) == 0 ? 16 * random.Next(1, 5) : random.Next(1, 81);
        bool explicitHeadDim = kind == "mha" && random.Next(3) == 0;
        int modelDim = explicitHeadDim ? random.Next(1, 65) : heads * headDim;
        int maxSeqLen = random.Next(1, 41);
        int maxKvSeqLen = random.Next(2) == 0 ? maxSeqLen : random.Next(1, 61);
        float scale = random.Next(3) == 0 ? MathF.Round(0.05f + random.NextSingle() * 0.45f, 3) : 0;
        float softcap = random.Next(4) == 0 ? MathF.Round(5 + random.NextSingle() * 45, 1) : 0;
        int kvInputDim = kind == "mha" && random.Next(3) == 0 ? random.Next(1, 49) : 0;
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
            switch (s.Kind)
            {
                case "sdpa":
                    source.Append($"[ScaledDotProductAttention(Heads = {s.Heads}, KvHeads = {s.KvHeads}, HeadDim = {s.HeadDim}, MaxSeqLen = {s.MaxSeqLen}, MaxKvSeqLen = {s.MaxKvSeqLen}, Causal = {B(s.Causal)}, Scale = {F(s.Scale)}, Softcap = {F(s.Softcap)})]\n");
                    source.Append($"public partial class {s.Name};\n");
                    source.Append($"public static class Run{s.Index}\n{{\n    public static void Forward(float[] q, float[] k, float[] v, float[] o, int s, int t) => new {s.Name}().Forward(q, k, v, o, s, t);\n}}\n\n");
                    break;
                case "mha":
                    var headDim = s.ExplicitHeadDim ? $", HeadDim = {s.HeadDim}" : "";
                    source.Append($"[MultiHeadAttention(ModelDim = {s.ModelDim}, Heads = {s.Heads}, KvHeads = {s.KvHeads}{headDim}, MaxSeqLen = {s.MaxSeqLen}, MaxKvSeqLen = {s.MaxKvSeqLen}, Causal = {B(s.Causal)}, Scale = {F(s.Scale)}, Softcap = {F(s.Softcap)}, Bias = {B(s.Bias)}, KvInputDim = {s.KvInputDim})]\n");
                    source.Append($"public partial class {s.Name};\n");
                    var call = s.KvInputDim > 0 ? "layer.Forward(x, c, o, s, t)" : "layer.Forward(x, o, s)";
                    source.Append($"public static class Run{s.Index}\n{{\n    public static void Forward(float[][] w, float[] x, float[] c, float[] o, int s, int t)\n    {{\n        var layer = new {s.Name}();\n        for (int i = 0; i < w.Length; i++) w[i].CopyTo(layer.GetParameter({s.Name}.Parameters[i].Name));\n        {call};\n    }}\n}}\n\n");
                    break;
                default:
                    source.Append($"[AttentionPooling(InputDim = {s.InputDim}, MaxSeqLen = {s.MaxSeqLen}, OutputDim = {s.OutputDim})]\n");
                    source.Append($"public partial class {s.Name};\n");
                    source.Append($"public static class Run{s.Index}\n{{\n    public static void Forward(float[][] w, float[] x, float[] o, float[] a, int s)\n    {{\n        var layer = new {s.Name}();\n        for (int i = 0; i < w.Length; i++) w[i].CopyTo(layer.GetParameter({s.Name}.Parameters[i].Name));\n        layer.Forward(x, o, a, s);\n    }}\n}}\n\n");
                    break;
            }
        }

        return source.ToString();
    }
}
