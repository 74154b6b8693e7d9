using System.Collections.Generic;
using System.Linq;
using AttentionGen.Generator.Model;
using AttentionGen.Generator.Planning;
using static AttentionGen.Generator.Emit.Names;

namespace AttentionGen.Generator.Emit;

/// <summary>
/// Emits the weights API every layer with weights shares: the parameter list, a nested immutable <c>Weights</c> class
/// (over the runtime's <c>LayerWeights</c>) naming each stored tensor for <c>Forward</c>, and the instance's
/// constructor and <c>CurrentWeights</c>. What does not depend on the layer (loading, packing, saving, building) is the
/// runtime's.
/// </summary>
internal static class WeightsEmitter
{
    /// <summary>The local a call reads its weights through, fetched once so a swap between calls can't mix two sets.</summary>
    public const string Local = "weights";

    /// <summary>The members the weights API declares, for the collision check.</summary>
    public static IEnumerable<string> Members { get; } = new[] { "Parameters", "CreateParameters", "Weights", "CurrentWeights", "_weights" };

    /// <summary>Whether a layer's generated part holds weights, and so a constructor taking them (<see cref="EmitInstanceMembers"/>).</summary>
    public static bool ConstructsFromWeights(Layers.LayerBody body) => body.GeneratedMembers.Contains("CurrentWeights");

    /// <summary>The instance's field: a reference to shared weights, not a copy.</summary>
    public static void EmitField(SourceWriter w)
    {
        w.Line("// The weights: immutable and shared by every instance made over them, so an instance owns only its scratch.");
        w.Line("private Weights _weights;");
        w.Line();
    }

    /// <summary>How generated code reads a tensor: <c>weights.QProjWeight</c>, or <c>weights.QueryWeight(layer)</c> for a block's.</summary>
    public static string Tensor(WeightPlan weight, string? layer) => layer is null ? $"{Local}.{weight.PropertyName}" : $"{Local}.{weight.PropertyName}({layer})";

    /// <summary>The statement that starts a call's use of the weights (after <see cref="ExclusiveUseEmitter.EmitEnter"/>).</summary>
    public static void EmitLocal(SourceWriter w) => w.Line($"Weights {Local} = _weights;");

    /// <summary>The constructor over shared weights, and <c>CurrentWeights</c>.</summary>
    /// <param name="cached">Whether the instance caches what earlier calls computed with its weights (a decoder's keys and
    /// values): then a swap is refused until the cache is empty, which <c>_position</c> 0 says.</param>
    public static void EmitInstanceMembers(SourceWriter w, string className, bool cached = false)
    {
        w.Line($"/// <summary>Creates an instance that runs with <paramref name=\"weights\"/>, which it shares; it allocates only its own scratch.</summary>");
        w.Line($"/// <exception cref=\"{ArgumentNullException}\"><paramref name=\"weights\"/> is null.</exception>");
        using (w.Block($"public {className}(Weights weights)"))
        {
            w.Line($"{ArgumentNullException}.ThrowIfNull(weights);");
            w.Line("_weights = weights;");
        }

        w.Line();
        w.Line("/// <summary>");
        w.Line("/// The weights this instance runs with. Setting swaps them for the calls after; the weights objects themselves never");
        w.Line("/// change, so other instances sharing them are unaffected.");
        w.Line("/// </summary>");
        w.Line($"/// <exception cref=\"{ArgumentNullException}\">The value is null.</exception>");
        w.Line(cached
            ? $"/// <exception cref=\"{InvalidOperationException}\">The cache holds positions (<see cref=\"Position\"/> is not 0: call <see cref=\"Reset\"/> first), or a call is running on this instance on another thread.</exception>"
            : $"/// <exception cref=\"{InvalidOperationException}\">A call is running on this instance on another thread.</exception>");
        using (w.Block("public Weights CurrentWeights"))
        {
            w.Line("get => _weights;");
            using (w.Block("set"))
            {
                w.Line($"{ArgumentNullException}.ThrowIfNull(value);");
                ExclusiveUseEmitter.EmitEnter(w);
                if (cached)
                {
                    w.Line($"{Guard}.CacheEmptyForNewWeights(_position);");
                }

                w.Line("_weights = value;");
            }
        }

        w.Line();
    }

    /// <summary>The parameter list and the nested <c>Weights</c> class.</summary>
    public static void EmitWeightsType(SourceWriter w, IReadOnlyList<WeightPlan> weights, string className) =>
        EmitWeightsType(w, WeightSetPlan.Flat(weights.ToEquatableArray()), className);

    /// <summary>The parameter list and the nested <c>Weights</c> class, for tensors held once and per block.</summary>
    public static void EmitWeightsType(SourceWriter w, WeightSetPlan set, string className)
    {
        w.Line("/// <summary>The learnable tensors, in file order, with the shapes <see cref=\"Weights.Load\"/> expects.</summary>");
        if (set.IsLayered)
        {
            EmitLayeredParameters(w, set);
        }
        else
        {
            w.Line($"public static {ReadOnlyList}<{ParameterSpec}> Parameters {{ get; }} = new {ParameterSpec}[]");
            w.Line("{");
            foreach (var weight in set.Shared)
            {
                w.Line($"    {Spec(weight, $"\"{weight.TensorName}\"", "")},");
            }

            w.Line("};");
        }

        w.Line();
        var create = "static tensors => new Weights(tensors)";
        w.Line("/// <summary>");
        w.Line($"/// The weights of <see cref=\"{className}\"/>, held as its kernels read them and never changed once made, so any number of");
        w.Line("/// instances on any number of threads can share one. Make them with <see cref=\"Load\"/> or <see cref=\"CreateBuilder\"/>;");
        w.Line("/// change them by making new ones with <see cref=\"With\"/> or <see cref=\"ToBuilder\"/>.");
        w.Line("/// </summary>");
        using (w.Block($"public sealed class Weights : {LayerWeights}"))
        {
            if (set.IsLayered)
            {
                w.Line($"// Each block's tensors follow the {Literals.Int(set.Shared.Count)} shared ones, {Literals.Int(set.PerLayer.Count)} per block, in the order of Parameters.");
                w.Line($"private const int FirstLayerTensor = {Literals.Int(set.Shared.Count)};");
                w.Line($"private const int TensorsPerLayer = {Literals.Int(set.PerLayer.Count)};");
                w.Line();
            }

            w.Line($"private Weights({WeightTensors} tensors)");
            w.Line("    : base(tensors)");
            w.Line("{");
            w.Line("}");
            w.Line();
            w.Line("/// <summary>");
            w.Line("/// Loads every tensor from <paramref name=\"file\"/>, named <paramref name=\"prefix\"/> + the PyTorch name. F32, F16 and BF16");
            w.Line("/// are converted to float and matrices packed as they are read. Every tensor is checked before anything is allocated.");
            w.Line("/// </summary>");
            var refusals = new List<string> { "Tensors are missing, have the wrong shape or an unsupported dtype" };
            if (set.IsLayered)
            {
                refusals.Add($"the file holds more than <see cref=\"{className}.{set.LayerCountName}\"/> layers, or more tensors in them than these");
            }

            refusals.AddRange(set.Shared.Where(weight => weight.TiedCopy is not null)
                .Select(weight => $"its <c>{weight.TiedCopy}</c> differs from <c>{weight.TensorName}</c>, used in its place"));
            w.Line($"/// <exception cref=\"{WeightLoadException}\">{string.Join(", or ", refusals)}; the message names each.</exception>");
            w.Line($"public static Weights Load({SafeTensors} file, string prefix = \"\", {Progress}<{WeightLoadProgress}>? progress = null) =>");
            w.Line($"    new(LoadTensors(file, prefix, {className}.Parameters, progress));");
            w.Line();
            w.Line("/// <summary>A builder with every tensor unset, to fill from any source with <c>Set(name, values)</c>.</summary>");
            w.Line($"public static {WeightsBuilder}<Weights> CreateBuilder() => CreateBuilder({className}.Parameters, {create});");
            w.Line();
            w.Line("/// <summary>A builder that starts from these weights; they stay as they are.</summary>");
            w.Line($"public {WeightsBuilder}<Weights> ToBuilder() => ToBuilder({create});");
            w.Line();
            w.Line("/// <summary>These weights with the tensor called <paramref name=\"name\"/> replaced by <paramref name=\"values\"/> ([out, in] for a matrix).</summary>");
            w.Line($"/// <exception cref=\"{ArgumentException}\"><paramref name=\"name\"/> is not a parameter, or <paramref name=\"values\"/> is not its element count.</exception>");
            w.Line($"public Weights With(string name, {ReadOnlySpan} values) => new(WithTensor(name, values));");
            for (int i = 0; i < set.Shared.Count; i++)
            {
                var weight = set.Shared[i];
                w.Line();
                w.Line($"/// <summary><c>{weight.TensorName}</c> [{weight.ShapeText}]{Packed(weight)}.</summary>");
                w.Line($"internal {Accessor(weight)} {weight.PropertyName} => {Reader(weight)}({Literals.Int(i)});");
            }

            for (int i = 0; i < set.PerLayer.Count; i++)
            {
                var weight = set.PerLayer[i];
                w.Line();
                w.Line($"/// <summary><c>{set.LayerPrefix}{{layer}}.{weight.TensorName}</c> [{weight.ShapeText}]{Packed(weight)}.</summary>");
                w.Line($"internal {Accessor(weight)} {weight.PropertyName}(int layer) => {Reader(weight)}(FirstLayerTensor + TensorsPerLayer * layer + {Literals.Int(i)});");
            }
        }
    }

    /// <summary>A list built in a loop over the blocks, so the file reads as the model's structure, not 100 lines of names.</summary>
    private static void EmitLayeredParameters(SourceWriter w, WeightSetPlan set)
    {
        w.Line($"public static {ReadOnlyList}<{ParameterSpec}> Parameters {{ get; }} = CreateParameters();");
        w.Line();
        w.Line($"/// <summary>The shared tensors, then each block's under <c>{set.LayerPrefix}{{layer}}.</c>.</summary>");
        using (w.Block($"private static {ParameterSpec}[] CreateParameters()"))
        {
            w.Line($"var parameters = new global::System.Collections.Generic.List<{ParameterSpec}>");
            w.Line("{");
            foreach (var weight in set.Shared)
            {
                w.Line($"    {Spec(weight, $"\"{weight.TensorName}\"", "")},");
            }

            w.Line("};");
            using (w.Block($"for (int layer = 0; layer < {set.LayerCountName}; layer++)"))
            {
                w.Line($"string prefix = \"{set.LayerPrefix}\" + layer.ToString(global::System.Globalization.CultureInfo.InvariantCulture) + \".\";");
                foreach (var weight in set.PerLayer)
                {
                    w.Line($"parameters.Add({Spec(weight, $"prefix + \"{weight.TensorName}\"", "prefix + ")});");
                }
            }

            w.Line();
            w.Line("return parameters.ToArray();");
        }
    }

    private static string Spec(WeightPlan weight, string name, string sourcePrefix)
    {
        var properties = new List<string>();
        if (weight.IsPacked)
        {
            properties.Add("IsPacked = true");
        }

        if (weight.IsBfloat16)
        {
            properties.Add("StoresBfloat16 = true");
        }

        if (weight.Source is { } source)
        {
            properties.Add($"Source = new({sourcePrefix}\"{source.Name}\", {source.Arguments})");
        }

        if (weight.TiedCopy is { } tiedCopy)
        {
            properties.Add($"TiedCopy = \"{tiedCopy}\"");
        }

        return $"new({name}, {weight.ShapeText})" + (properties.Count > 0 ? " { " + string.Join(", ", properties) + " }" : "");
    }

    private static string Packed(WeightPlan weight) =>
        weight.IsBfloat16 ? ", packed into GEMM panels as bfloat16 pairs" : weight.IsPacked ? ", packed into GEMM panels" : "";

    private static string Accessor(WeightPlan weight) => weight.IsBfloat16 ? "global::System.ReadOnlySpan<uint>" : ReadOnlySpan;

    private static string Reader(WeightPlan weight) => weight.IsBfloat16 ? "StoredBfloat16" : "Stored";
}
