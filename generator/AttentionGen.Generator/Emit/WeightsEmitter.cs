using System.Linq;
using AttentionGen.Generator.Planning;

namespace AttentionGen.Generator.Emit;

/// <summary>
/// Emits the weights API shared by every layer that has weights: storage, the parameter list, a span view of each
/// tensor, and safetensors load/save under PyTorch names.
/// </summary>
internal static class WeightsEmitter
{
    public static void EmitFields(SourceWriter w, LayerPlan plan)
    {
        w.Line("// Weights, stored as PyTorch's nn.Linear keeps them: [out, in], row-major.");
        foreach (var weight in plan.Weights)
        {
            w.Line($"private readonly float[] {weight.FieldName} = new float[{Size(weight)}];");
        }

        if (plan.Weights.Any(x => x.IsPacked))
        {
            w.Line();
            w.Line("// The projection matrices again, packed into GEMM panels. They are repacked on the first Forward after the weights");
            w.Line("// may have changed: after LoadWeights, GetParameter, or getting a weight's span property.");
            foreach (var weight in plan.Weights.Where(x => x.IsPacked))
            {
                w.Line($"private readonly AlignedBuffer {weight.PanelsFieldName} = new(PackedLinear.PackedLength({weight.RowsName}, {weight.ColumnsName}));");
            }

            w.Line("private bool _panelsCurrent;");
        }

        w.Line();
    }

    public static void EmitApi(SourceWriter w, LayerPlan plan)
    {
        w.Line("/// <summary>The learnable tensors, in file order, with the shapes <see cref=\"LoadWeights\"/> expects.</summary>");
        w.Line("public static IReadOnlyList<ParameterSpec> Parameters { get; } = new ParameterSpec[]");
        w.Line("{");
        foreach (var weight in plan.Weights)
        {
            w.Line($"    new(\"{weight.TensorName}\", {weight.ShapeText}),");
        }

        w.Line("};");
        foreach (var weight in plan.Weights)
        {
            w.Line();
            w.Line($"/// <summary><c>{weight.TensorName}</c>, shape [{weight.ShapeText}]. Write into it to set the weights from any source.</summary>");
            if (weight.IsPacked)
            {
                w.Line("/// <remarks>Getting this property makes the next Forward repack the weights; get it again after a Forward before writing more.</remarks>");
                w.Line($"public Span<float> {weight.PropertyName} => Stale({weight.FieldName});");
            }
            else
            {
                w.Line($"public Span<float> {weight.PropertyName} => {weight.FieldName};");
            }
        }

        w.Line();
        w.Line("/// <summary>The tensor called <paramref name=\"name\"/> (for example <c>\"" + plan.Weights[0].TensorName + "\"</c>), as a writable span.</summary>");
        w.Line("/// <exception cref=\"ArgumentException\"><paramref name=\"name\"/> is not one of <see cref=\"Parameters\"/>.</exception>");
        using (w.Block("public Span<float> GetParameter(string name) => name switch", "};"))
        {
            foreach (var weight in plan.Weights)
            {
                w.Line($"\"{weight.TensorName}\" => {(weight.IsPacked ? $"Stale({weight.FieldName})" : weight.FieldName)},");
            }

            var names = string.Join(", ", plan.Weights.Select(x => x.TensorName));
            w.Line($"_ => throw new ArgumentException($\"'{{name}}' is not a parameter of {plan.ClassName}; its parameters are {names}.\", nameof(name)),");
        }

        w.Line();
        w.Line("/// <summary>");
        w.Line("/// Loads every parameter from <paramref name=\"file\"/>, named <paramref name=\"prefix\"/> + the PyTorch name. F32, F16 and");
        w.Line("/// BF16 tensors are converted to float.");
        w.Line("/// </summary>");
        w.Line("/// <exception cref=\"WeightLoadException\">A tensor is missing, has the wrong shape or an unsupported dtype. Nothing was changed.</exception>");
        using (w.Block("public void LoadWeights(SafeTensors file, string prefix = \"\")"))
        {
            w.Line("ArgumentNullException.ThrowIfNull(file);");
            w.Line("ArgumentNullException.ThrowIfNull(prefix);");
            w.Line();
            w.Line("// Check every tensor before copying any, so a failed load leaves the current weights intact.");
            foreach (var weight in plan.Weights)
            {
                w.Line($"var {Local(weight)} = file.Require(prefix + \"{weight.TensorName}\", [{weight.ShapeText}]);");
            }

            w.Line();
            foreach (var weight in plan.Weights)
            {
                w.Line($"file.CopyTo({Local(weight)}, {weight.FieldName});");
            }

            if (plan.Weights.Any(x => x.IsPacked))
            {
                w.Line("_panelsCurrent = false;");
            }
        }

        if (plan.Weights.Any(x => x.IsPacked))
        {
            w.Line();
            w.Line("/// <summary>Hands out a weight matrix for writing, so the packed copy must be rebuilt before it is used.</summary>");
            using (w.Block("private Span<float> Stale(float[] weights)"))
            {
                w.Line("_panelsCurrent = false;");
                w.Line("return weights;");
            }

            w.Line();
            w.Line("/// <summary>Packs every projection matrix into panels for <see cref=\"PackedLinear\"/>.</summary>");
            using (w.Block("private void PackPanels()"))
            {
                foreach (var weight in plan.Weights.Where(x => x.IsPacked))
                {
                    w.Line($"PackedLinear.Pack({weight.FieldName}, {weight.RowsName}, {weight.ColumnsName}, {weight.PanelsFieldName}.Span);");
                }

                w.Line("_panelsCurrent = true;");
            }
        }

        w.Line();
        w.Line("/// <summary>Adds every parameter to <paramref name=\"writer\"/> as F32, named <paramref name=\"prefix\"/> + the PyTorch name.</summary>");
        using (w.Block("public void SaveWeights(SafeTensorsWriter writer, string prefix = \"\")"))
        {
            w.Line("ArgumentNullException.ThrowIfNull(writer);");
            w.Line("ArgumentNullException.ThrowIfNull(prefix);");
            foreach (var weight in plan.Weights)
            {
                w.Line($"writer.Add(prefix + \"{weight.TensorName}\", {weight.FieldName}, [{weight.ShapeText}]);");
            }
        }
    }

    /// <summary>The bias that goes with a projection's weight, or an empty span when the layer has no biases.</summary>
    public static string BiasOf(LayerPlan plan, string tensorPrefix) =>
        plan.Weights.FirstOrDefault(x => x.TensorName == tensorPrefix + ".bias")?.FieldName ?? "ReadOnlySpan<float>.Empty";

    public static string PanelsOf(LayerPlan plan, string tensorName) => plan.Weights.First(x => x.TensorName == tensorName).PanelsFieldName;

    private static string Size(WeightPlan weight) => weight.RowsName == "1" && !weight.IsVector ? weight.ColumnsName : weight.ShapeText.Replace(", ", " * ");

    private static string Local(WeightPlan weight) => weight.FieldName.TrimStart('_');
}
