using System.Collections.Generic;
using System.Linq;
using AttentionGen.Generator.Planning;
using static AttentionGen.Generator.Emit.Names;

namespace AttentionGen.Generator.Emit;

/// <summary>
/// Emits the weights API shared by every layer that has weights: storage, the parameter list, a span view of each
/// tensor, and safetensors load/save under PyTorch names.
/// </summary>
internal static class WeightsEmitter
{
    /// <summary>The members the weights API declares, for the collision check.</summary>
    public static IEnumerable<string> Members(IReadOnlyList<WeightPlan> weights)
    {
        yield return "Parameters";
        yield return "GetParameter";
        yield return "LoadWeights";
        yield return "SaveWeights";
        foreach (var weight in weights)
        {
            yield return weight.PropertyName;
            yield return weight.FieldName;
            if (weight.IsPacked)
            {
                yield return weight.PanelsFieldName;
            }
        }

        if (weights.Any(x => x.IsPacked))
        {
            yield return "_panelsCurrent";
            yield return "Stale";
            yield return "Tensor";
            yield return "PackPanels";
        }
    }

    public static void EmitFields(SourceWriter w, IReadOnlyList<WeightPlan> weights)
    {
        w.Line("// Weights, stored as PyTorch's nn.Linear keeps them: [out, in], row-major.");
        foreach (var weight in weights)
        {
            w.Line($"private readonly float[] {weight.FieldName} = new float[{Size(weight)}];");
        }

        if (weights.Any(x => x.IsPacked))
        {
            w.Line();
            w.Line("// The projection matrices again, packed into GEMM panels. They are repacked on the first Forward after the weights");
            w.Line("// may have changed: after LoadWeights, GetParameter, or getting a weight's span property.");
            foreach (var weight in weights.Where(x => x.IsPacked))
            {
                w.Line($"private readonly {AlignedBuffer} {weight.PanelsFieldName} = new({PackedLinear}.PackedLength({weight.RowsName}, {weight.ColumnsName}));");
            }

            w.Line("private bool _panelsCurrent;");
        }

        w.Line();
    }

    public static void EmitApi(SourceWriter w, IReadOnlyList<WeightPlan> weights, string className)
    {
        w.Line("/// <summary>The learnable tensors, in file order, with the shapes <see cref=\"LoadWeights\"/> expects.</summary>");
        w.Line($"public static {ReadOnlyList}<{ParameterSpec}> Parameters {{ get; }} = new {ParameterSpec}[]");
        w.Line("{");
        foreach (var weight in weights)
        {
            w.Line($"    new(\"{weight.TensorName}\", {weight.ShapeText}),");
        }

        w.Line("};");
        foreach (var weight in weights)
        {
            w.Line();
            w.Line($"/// <summary><c>{weight.TensorName}</c>, shape [{weight.ShapeText}]. Write into it to set the weights from any source.</summary>");
            if (weight.IsPacked)
            {
                w.Line("/// <remarks>Getting this property makes the next Forward repack the weights; get it again after a Forward before writing more.</remarks>");
                w.Line($"public {Span} {weight.PropertyName} => Stale({weight.FieldName});");
            }
            else
            {
                w.Line($"public {Span} {weight.PropertyName} => {weight.FieldName};");
            }
        }

        w.Line();
        w.Line("/// <summary>The tensor called <paramref name=\"name\"/> (for example <c>\"" + weights[0].TensorName + "\"</c>), as a writable span.</summary>");
        w.Line("/// <exception cref=\"global::System.ArgumentNullException\"><paramref name=\"name\"/> is null.</exception>");
        w.Line("/// <exception cref=\"global::System.ArgumentException\"><paramref name=\"name\"/> is not one of <see cref=\"Parameters\"/>.</exception>");
        using (w.Block($"public {Span} GetParameter(string name) => name switch", "};"))
        {
            w.Line($"null => throw new {ArgumentNullException}(nameof(name)),");
            foreach (var weight in weights)
            {
                w.Line($"\"{weight.TensorName}\" => {(weight.IsPacked ? $"Stale({weight.FieldName})" : weight.FieldName)},");
            }

            var names = string.Join(", ", weights.Select(x => x.TensorName));
            w.Line($"_ => throw new {ArgumentException}($\"'{{name}}' is not a parameter of {className}; its parameters are {names}.\", nameof(name)),");
        }

        var hasPacked = weights.Any(x => x.IsPacked);
        if (hasPacked)
        {
            // Saving reads the weights without handing them out for writing, so it must not mark the packed copy stale.
            w.Line();
            w.Line("/// <summary>The tensor called <paramref name=\"name\"/>, for reading.</summary>");
            using (w.Block($"private {Span} Tensor(string name) => name switch", "};"))
            {
                foreach (var weight in weights)
                {
                    w.Line($"\"{weight.TensorName}\" => {weight.FieldName},");
                }

                w.Line($"_ => throw new {ArgumentException}($\"'{{name}}' is not a parameter of {className}.\", nameof(name)),");
            }
        }

        w.Line();
        w.Line("/// <summary>");
        w.Line("/// Loads every parameter from <paramref name=\"file\"/>, named <paramref name=\"prefix\"/> + the PyTorch name. F32, F16 and");
        w.Line("/// BF16 tensors are converted to float. Every tensor is checked before any is copied.");
        w.Line("/// </summary>");
        w.Line("/// <exception cref=\"global::AttentionGen.WeightLoadException\">A tensor is missing, has the wrong shape or an unsupported dtype. Nothing was changed.</exception>");
        w.Line($"public void LoadWeights({SafeTensors} file, string prefix = \"\") => {WeightFiles}.Load(file, prefix, Parameters, GetParameter);");

        if (hasPacked)
        {
            w.Line();
            w.Line("/// <summary>Hands out a weight matrix for writing, so the packed copy must be rebuilt before it is used.</summary>");
            using (w.Block($"private {Span} Stale(float[] weights)"))
            {
                w.Line("_panelsCurrent = false;");
                w.Line("return weights;");
            }

            w.Line();
            w.Line("/// <summary>Packs every projection matrix into panels for the packed GEMM.</summary>");
            using (w.Block("private void PackPanels()"))
            {
                foreach (var weight in weights.Where(x => x.IsPacked))
                {
                    w.Line($"{PackedLinear}.Pack({weight.FieldName}, {weight.RowsName}, {weight.ColumnsName}, {weight.PanelsFieldName}.Span);");
                }

                w.Line("_panelsCurrent = true;");
            }
        }

        w.Line();
        w.Line("/// <summary>Adds every parameter to <paramref name=\"writer\"/> as F32, named <paramref name=\"prefix\"/> + the PyTorch name.</summary>");
        w.Line($"public void SaveWeights({SafeTensorsWriter} writer, string prefix = \"\") => {WeightFiles}.Save(writer, prefix, Parameters, {(hasPacked ? "Tensor" : "GetParameter")});");
    }

    private static string Size(WeightPlan weight) => weight.RowsName == "1" && !weight.IsVector ? weight.ColumnsName : weight.ShapeText.Replace(", ", " * ");
}
