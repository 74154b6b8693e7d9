using Google.Protobuf;
using Onnx;

namespace AttentionGen.Models.Tests.Onnx;

/// <summary>How <see cref="GemmLinears.Rewrite"/> spells one Linear layer that an export wrote as MatMul + Add.</summary>
public enum GemmSpelling
{
    /// <summary>Left as the MatMul by the [in, out] weight and the Add of its bias.</summary>
    MatMul,

    /// <summary>Gemm with <c>transB</c> = 1: the weight transposed to [out, in] (Hugging Face's layout) as B, the bias as C.</summary>
    TransposedWeight,

    /// <summary>Gemm with <c>transB</c> = 0: the [in, out] weight as B, the bias as C.</summary>
    InOutWeight,

    /// <summary>Gemm with <c>transB</c> = 1 and no C, its output fed to the Add of the bias as the MatMul's was.</summary>
    BiasAddedAfter,
}

/// <summary>
/// Rewrites the Linear layers of a BERT export (each a MatMul by an initializer followed by the Add of a named
/// <c>….bias</c>) as Gemm nodes computing the same x·Wᵀ + b, as PyTorch exports a Linear applied to a 2-D input. A Gemm
/// multiplies matrices, so an encoder layer's [batch, sequence, in] input is flattened to [batch·sequence, in] by a
/// Reshape and the product reshaped back to [batch, sequence, out] (the input's leading dimensions from Shape, Slice
/// and Concat); the pooler's input is [batch, hidden] already and goes in as it is. ONNX Runtime runs the result.
/// </summary>
public static class GemmLinears
{
    /// <summary>
    /// Rewrites each Linear whose bias <paramref name="spelling"/> gives another spelling than
    /// <see cref="GemmSpelling.MatMul"/>, in place; returns how many were rewritten. With <paramref name="batchSize"/>,
    /// an encoder product is reshaped back by the constant [batchSize, −1, out], as an export traced at one batch size
    /// writes it, rather than by the input's leading dimensions.
    /// </summary>
    public static int Rewrite(ModelProto model, Func<string, GemmSpelling> spelling, long? batchSize = null)
    {
        var graph = model.Graph;
        var initializers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        int rewritten = 0;
        foreach (var matMul in graph.Node.Where(n => n.OpType == "MatMul" && initializers.ContainsKey(n.Input[1])).ToList())
        {
            var add = graph.Node.Single(n => n.OpType == "Add" && n.Input.Contains(matMul.Output[0]));
            var bias = add.Input.Single(i => i != matMul.Output[0]);
            var how = spelling(bias);
            if (how == GemmSpelling.MatMul)
            {
                continue;
            }

            var weight = initializers[matMul.Input[1]];
            int inputs = checked((int)weight.Dims[0]), outputs = checked((int)weight.Dims[1]);
            if (how != GemmSpelling.InOutWeight)
            {
                Transpose(weight, inputs, outputs);
            }

            string Name(string what) => $"{matMul.Name}_as_Gemm_{what}";
            var nodes = new List<NodeProto>();
            string Node(string op, string what, params string[] operands)
            {
                var node = new NodeProto { OpType = op, Name = Name(what), Output = { Name(what) } };
                node.Input.AddRange(operands);
                nodes.Add(node);
                return node.Output[0];
            }

            string Constant(string what, params long[] values)
            {
                var tensor = new TensorProto { Name = Name(what), DataType = (int)TensorProto.Types.DataType.Int64, Dims = { values.Length } };
                tensor.Int64Data.AddRange(values);
                graph.Initializer.Add(tensor);
                return tensor.Name;
            }

            var x = matMul.Input[0];
            bool flatten = !bias.StartsWith("pooler.", StringComparison.Ordinal);
            var a = flatten ? Node("Reshape", "flat", x, Constant("flat_shape", -1, inputs)) : x;
            var product = how == GemmSpelling.BiasAddedAfter ? Node("Gemm", "product", a, weight.Name) : Node("Gemm", "product", a, weight.Name, bias);
            nodes[^1].Attribute.Add(new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = how == GemmSpelling.InOutWeight ? 0 : 1 });
            if (how == GemmSpelling.BiasAddedAfter)
            {
                product = Node("Add", "bias", product, bias);
            }

            if (flatten && batchSize is { } batch)
            {
                product = Node("Reshape", "unflat", product, Constant("unflat_shape", batch, -1, outputs));
            }
            else if (flatten)
            {
                var leading = Node("Slice", "leading", Node("Shape", "shape", x), Constant("start", 0), Constant("end", -1), Constant("axis", 0));
                var shape = Node("Concat", "unflat_shape", leading, Constant("width", outputs));
                nodes[^1].Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 0 });
                product = Node("Reshape", "unflat", product, shape);
            }

            // The last node writes what the Add wrote, so whatever read the Linear's output reads the Gemm's.
            nodes[^1].Output[0] = add.Output[0];
            int at = graph.Node.IndexOf(matMul);
            graph.Node.Remove(matMul);
            graph.Node.Remove(add);
            for (int i = 0; i < nodes.Count; i++)
            {
                graph.Node.Insert(at + i, nodes[i]);
            }

            rewritten++;
        }

        return rewritten;
    }

    /// <summary>Replaces a float [rows, columns] initializer's values by their transpose, [columns, rows].</summary>
    private static void Transpose(TensorProto weight, int rows, int columns)
    {
        var values = AttentionGen.OnnxImport.BertOnnxImporter.ReadFloats(weight, weight.Name);
        var transposed = new float[values.Length];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                transposed[c * rows + r] = values[r * columns + c];
            }
        }

        var bytes = new byte[transposed.Length * sizeof(float)];
        Buffer.BlockCopy(transposed, 0, bytes, 0, bytes.Length);
        weight.FloatData.Clear();
        weight.RawData = ByteString.CopyFrom(bytes);
        weight.Dims.Clear();
        weight.Dims.AddRange([columns, rows]);
    }
}
