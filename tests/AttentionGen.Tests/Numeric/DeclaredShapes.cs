using System.Reflection;
using AttentionGen.Tests.Reference;

namespace AttentionGen.Tests.Numeric;

// The shape of a test layer, read from its attribute (what the user declared) with the contract's defaults applied by
// the test, not from the generated constants: a generator that got a default wrong would otherwise hand the reference
// the same wrong value. DeclaredConstantsTests checks that the generated constants agree with these.

internal sealed record SdpaShape(Type Type, int Heads, int KvHeads, int HeadDim, int MaxSeqLen, int MaxKvSeqLen, bool Causal, float Scale, float Softcap)
{
    public int QueryWidth => Heads * HeadDim;

    public int KvWidth => KvHeads * HeadDim;

    public static SdpaShape Of(string name) => Of(Declared.Type(name));

    public static SdpaShape Of(Type type)
    {
        var a = type.GetCustomAttribute<ScaledDotProductAttentionAttribute>() ?? throw new ArgumentException($"{type.Name} is not an SDPA layer.");
        return new SdpaShape(type, a.Heads, Declared.Or(a.KvHeads, a.Heads), a.HeadDim, a.MaxSeqLen, Declared.Or(a.MaxKvSeqLen, a.MaxSeqLen),
            a.Causal, Declared.ScaleFor(a.Scale, a.HeadDim), a.Softcap);
    }

    public IScaledDotProduct Create() => (IScaledDotProduct)Activator.CreateInstance(Type)!;

    public double[] Reference(float[] q, float[] k, float[] v, float[]? mask, int seqLen, int kvSeqLen) =>
        AttentionReference.Sdpa(q, k, v, seqLen, kvSeqLen, Heads, KvHeads, HeadDim, Causal, Scale, Softcap, mask);

    public override string ToString() => Type.Name;
}

internal sealed record MhaShape(Type Type, int ModelDim, int KvInputDim, int Heads, int KvHeads, int HeadDim, int MaxSeqLen, int MaxKvSeqLen,
    bool Causal, float Scale, float Softcap, bool Bias)
{
    public static MhaShape Of(string name) => Of(Declared.Type(name));

    public static MhaShape Of(Type type)
    {
        var a = type.GetCustomAttribute<MultiHeadAttentionAttribute>() ?? throw new ArgumentException($"{type.Name} is not an MHA layer.");
        int headDim = Declared.Or(a.HeadDim, a.ModelDim / a.Heads);
        return new MhaShape(type, a.ModelDim, Declared.Or(a.KvInputDim, a.ModelDim), a.Heads, Declared.Or(a.KvHeads, a.Heads), headDim,
            a.MaxSeqLen, Declared.Or(a.MaxKvSeqLen, a.MaxSeqLen), a.Causal, Declared.ScaleFor(a.Scale, headDim), a.Softcap, a.Bias);
    }

    /// <summary>The contract's parameter list: PyTorch names and [out, in] shapes, biases only with Bias.</summary>
    public IEnumerable<(string Name, int[] Shape)> ExpectedParameters()
    {
        int queryWidth = Heads * HeadDim, kvWidth = KvHeads * HeadDim;
        foreach (var (name, rows, columns) in new[] { ("q_proj", queryWidth, ModelDim), ("k_proj", kvWidth, KvInputDim), ("v_proj", kvWidth, KvInputDim), ("o_proj", ModelDim, queryWidth) })
        {
            yield return (name + ".weight", [rows, columns]);
            if (Bias)
            {
                yield return (name + ".bias", [rows]);
            }
        }
    }

    public IReadOnlyList<ParameterSpec> Parameters => Declared.Parameters(Type);

    public T Create<T>(LayerWeights weights) => TestWeights.Create<T>(Type, weights);

    /// <summary>A layer over seeded random weights, and the values it holds.</summary>
    public (T Layer, Dictionary<string, float[]> Weights) CreateRandom<T>(int seed, float scale = 1f) => TestWeights.CreateRandom<T>(Type, seed, scale);

    public double[] Reference(float[] input, float[] context, int seqLen, int contextLen, IReadOnlyDictionary<string, float[]> weights, float[]? mask = null) =>
        AttentionReference.MultiHead(input, context, seqLen, contextLen, ModelDim, KvInputDim, Heads, KvHeads, HeadDim, Causal, Scale, Softcap, weights, mask);

    public override string ToString() => Type.Name;
}

internal sealed record PoolShape(Type Type, int InputDim, int MaxSeqLen, int OutputDim)
{
    public static PoolShape Of(string name) => Of(Declared.Type(name));

    public static PoolShape Of(Type type)
    {
        var a = type.GetCustomAttribute<AttentionPoolingAttribute>() ?? throw new ArgumentException($"{type.Name} is not a pooling layer.");
        return new PoolShape(type, a.InputDim, a.MaxSeqLen, a.OutputDim);
    }

    public IEnumerable<(string Name, int[] Shape)> ExpectedParameters() =>
        [("score.weight", [1, InputDim]), ("score.bias", [1]), ("output.weight", [OutputDim, InputDim]), ("output.bias", [OutputDim])];

    public IReadOnlyList<ParameterSpec> Parameters => Declared.Parameters(Type);

    public IPooling Create(LayerWeights weights) => TestWeights.Create<IPooling>(Type, weights);

    /// <summary>A layer over seeded random weights, and the values it holds.</summary>
    public (IPooling Layer, Dictionary<string, float[]> Weights) CreateRandom(int seed, float scale = 1f) => TestWeights.CreateRandom<IPooling>(Type, seed, scale);

    public override string ToString() => Type.Name;
}

internal static class Declared
{
    public static Type Type(string name) =>
        typeof(Declared).Assembly.GetType("AttentionGen.Tests.Numeric." + name) ?? throw new ArgumentException($"No test layer named {name}.");

    /// <summary>Every test layer class in this namespace carrying <typeparamref name="TAttribute"/>.</summary>
    public static IEnumerable<Type> All<TAttribute>() where TAttribute : Attribute =>
        typeof(Declared).Assembly.GetTypes().Where(t => t.Namespace == "AttentionGen.Tests.Numeric" && t.GetCustomAttribute<TAttribute>() is not null);

    public static int Or(int value, int fallback) => value > 0 ? value : fallback;

    /// <summary>Scale 0 means 1/√HeadDim, rounded to float as a float constant would be.</summary>
    public static float ScaleFor(float declared, int headDim) => declared > 0 ? declared : (float)(1 / Math.Sqrt(headDim));

    public static IReadOnlyList<ParameterSpec> Parameters(Type type) =>
        (IReadOnlyList<ParameterSpec>)type.GetProperty("Parameters", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;

    /// <summary>A generated public constant, read by reflection.</summary>
    public static object? Constant(Type type, string name) =>
        type.GetField(name, BindingFlags.Public | BindingFlags.Static) is { IsLiteral: true } field ? field.GetRawConstantValue() : null;
}
