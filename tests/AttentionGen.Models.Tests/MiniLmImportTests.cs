using System.Buffers.Binary;
using AttentionGen.Models.Tests.Onnx;
using AttentionGen.Models.Tests.Ort;
using AttentionGen.OnnxImport;
using Google.Protobuf;
using Onnx;

namespace AttentionGen.Models.Tests;

/// <summary>The packaged all-MiniLM-L6-v2 export: what its graph holds, and that the import carries every weight over exactly.</summary>
[Collection(MiniLmCollection.Name)]
public class MiniLmImportTests(MiniLmFixture model)
{
    private static readonly Lazy<ModelProto> Graph = new(() => BertOnnxImporter.ReadModel(MiniLmPackage.EnsureOnnxModel()));

    [Fact]
    public void Config_is_all_MiniLM_L6_v2()
    {
        Assert.Equal(new BertConfig(Layers: 6, Hidden: 384, Heads: 12, FeedForward: 1536, Vocabulary: 30522, Positions: 512, TokenTypes: 2, LayerNormEpsilon: 1e-12, Activation: "gelu"), model.Config);
        Assert.Equal(32, model.Config.HeadSize);
    }

    [Fact]
    public void Graph_has_the_inputs_outputs_and_constants_the_model_is_described_with()
    {
        var graph = Graph.Value.Graph;
        Assert.Equal(["input_ids", "attention_mask", "token_type_ids"], graph.Input.Select(i => i.Name));
        Assert.All(graph.Input, i => Assert.Equal((int)TensorProto.Types.DataType.Int64, i.Type.TensorType.ElemType));

        // last_hidden_state, then the pooler's tanh output under an anonymous name; no sentence embedding: the mean
        // pooling and normalization happen outside the graph.
        Assert.Equal(["last_hidden_state", "924"], graph.Output.Select(o => o.Name));
        Assert.Equal(384, graph.Output[1].Type.TensorType.Shape.Dim[1].DimValue);

        var ops = graph.Node.GroupBy(n => n.OpType).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(6, ops["Erf"]);
        Assert.Equal(6, ops["Softmax"]);
        Assert.Equal(13, ops["Sqrt"]); // spelled-out LayerNorms: the embeddings' and two per layer
        Assert.False(ops.ContainsKey("LayerNormalization"));

        var scalars = graph.Node.Where(n => n.OpType == "Constant" && n.Attribute[0].T.DataType == (int)TensorProto.Types.DataType.Float)
            .Select(n => BinaryPrimitives.ReadSingleLittleEndian(n.Attribute[0].T.RawData.Span)).ToList();
        Assert.Equal(13, scalars.Count(v => v == 1e-12f));
        Assert.Equal(6, scalars.Count(v => v == MathF.Sqrt(32))); // scores Q·Kᵀ/√32
        Assert.Equal(6, scalars.Count(v => v == MathF.Sqrt(2))); // GELU's erf(x/√2)
        Assert.Equal(1, scalars.Count(v => v == -10000f)); // the key mask is additive −10000, not −∞
    }

    [Fact]
    public void Tail_after_the_last_layer_is_the_pooler_and_is_accepted()
    {
        // After the last LayerNorm's Add (which writes last_hidden_state): token 0 gathered, the pooler's Gemm, Tanh.
        var graph = Graph.Value.Graph;
        var last = graph.Node.Single(n => n.OpType == "Add" && n.Input.Contains("encoder.layer.5.output.LayerNorm.bias"));
        Assert.Equal("last_hidden_state", last.Output[0]);
        var tail = graph.Node.Skip(graph.Node.IndexOf(last) + 1).Where(n => n.OpType != "Constant").Select(n => n.OpType);
        Assert.Equal(["Gather", "Gemm", "Tanh"], tail);

        // The import's own check of that tail, without the cached conversion the fixture may reuse.
        Assert.Equal(model.Config, BertOnnxImporter.Map(Graph.Value, "model.onnx").Config);
    }

    [Fact]
    public void Tensor_set_is_complete_with_Hugging_Face_shapes()
    {
        var expected = BertNames.Expected(model.Config);
        Assert.Equal(103, expected.Count);
        Assert.Equal(expected.Keys, model.Checkpoint.Tensors.Select(t => t.Name));
        foreach (var tensor in model.Checkpoint.Tensors)
        {
            Assert.Equal(SafeTensorsDType.F32, tensor.DType);
            Assert.Equal(expected[tensor.Name].Select(d => (long)d), tensor.Shape);
        }

        // Nothing left unmapped: every float initializer became exactly one tensor (the rest are int64 shape
        // constants and the position_ids buffer).
        var floats = Graph.Value.Graph.Initializer.Where(t => t.DataType == (int)TensorProto.Types.DataType.Float).ToList();
        Assert.Equal(expected.Count, floats.Count);
        Assert.Equal(expected.Values.Sum(s => s.Aggregate(1L, (a, b) => a * b)), floats.Sum(t => t.Dims.Aggregate(1L, (a, b) => a * b)));
    }

    [Fact]
    public void Linears_rewritten_as_Gemm_import_bit_identical_and_run_the_same_in_ORT()
    {
        // The 36 encoder Linears as Gemms, in turn with the weight [out, in] (transB = 1), [in, out] (transB = 0), and
        // without C and the bias added after: the same checkpoint, and ONNX Runtime computes the same hidden states.
        GemmSpelling[] spellings = [GemmSpelling.TransposedWeight, GemmSpelling.InOutWeight, GemmSpelling.BiasAddedAfter];
        var rewritten = Graph.Value.Clone();
        int next = 0;
        Assert.Equal(6 * 6, GemmLinears.Rewrite(rewritten, _ => spellings[next++ % spellings.Length]));

        var directory = Directory.CreateTempSubdirectory("attentiongen-gemm-import-").FullName;
        try
        {
            var path = Path.Combine(directory, "model.onnx");
            File.WriteAllBytes(path, rewritten.ToByteArray());
            var safetensors = Path.Combine(directory, "model.safetensors");
            Assert.Equal(model.Config, BertOnnxImporter.Import(path, safetensors));
            using (var imported = SafeTensors.Open(safetensors))
            {
                Assert.Equal(model.Checkpoint.Tensors.Select(t => (t.Name, string.Join(",", t.Shape))), imported.Tensors.Select(t => (t.Name, string.Join(",", t.Shape))));
                foreach (var (tensor, other) in model.Checkpoint.Tensors.Zip(imported.Tensors))
                {
                    var expected = new float[tensor.ElementCount];
                    var actual = new float[other.ElementCount];
                    model.Checkpoint.CopyTo(tensor, expected);
                    imported.CopyTo(other, actual);
                    Assert.True(
                        expected.Select(BitConverter.SingleToInt32Bits).SequenceEqual(actual.Select(BitConverter.SingleToInt32Bits)),
                        $"{tensor.Name} differs from the import of the MatMul graph.");
                }
            }

            using var ort = new OrtBert(path);
            int[] ids = [101, 1996, 2276, 2003, 2279, 2000, 1996, 2314, 1012, 102];
            var expectedStates = model.Ort.LastHiddenState(ids);
            Assert.InRange(TensorComparison.RelativeToMax(ort.LastHiddenState(ids), Array.ConvertAll(expectedStates, v => (double)v)), 0, 1e-5);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Round_trip_is_bit_identical_to_the_initializers()
    {
        var graph = Graph.Value.Graph;
        var initializers = graph.Initializer.ToDictionary(t => t.Name);
        int transposed = 0;
        foreach (var tensor in model.Checkpoint.Tensors)
        {
            var imported = new float[tensor.ElementCount];
            model.Checkpoint.CopyTo(tensor, imported);
            float[] expected;
            if (initializers.TryGetValue(tensor.Name, out var named))
            {
                expected = BertOnnxImporter.ReadFloats(named, "model.onnx");
            }
            else
            {
                // Found here independently of the importer: the MatMul whose output the bias is added to.
                var bias = tensor.Name[..^".weight".Length] + ".bias";
                var add = graph.Node.Single(n => n.OpType == "Add" && n.Input.Contains(bias));
                var matMul = graph.Node.Single(n => n.OpType == "MatMul" && add.Input.Contains(n.Output[0]));
                var stored = BertOnnxImporter.ReadFloats(initializers[matMul.Input[1]], "model.onnx");
                int rows = (int)tensor.Shape[0], columns = (int)tensor.Shape[1];
                expected = new float[stored.Length];
                for (int o = 0; o < rows; o++)
                {
                    for (int i = 0; i < columns; i++)
                    {
                        expected[o * columns + i] = stored[i * rows + o];
                    }
                }

                transposed++;
            }

            Assert.True(
                expected.Select(BitConverter.SingleToInt32Bits).SequenceEqual(imported.Select(BitConverter.SingleToInt32Bits)),
                $"{tensor.Name} differs from its ONNX initializer.");
        }

        Assert.Equal(6 * 6, transposed); // q, k, v, attention output, intermediate, output per layer; the pooler is a named Gemm weight
    }
}
