using Google.Protobuf;
using Onnx;

namespace AttentionGen.Models.Tests.Onnx;

/// <summary>The sizes of a tiny BERT built by <see cref="TinyBertOnnx"/>.</summary>
public sealed record TinyBertOptions(
    int Layers = 2,
    int Hidden = 8,
    int Heads = 2,
    int FeedForward = 16,
    int Vocabulary = 20,
    int Positions = 10,
    int TokenTypes = 2,
    float Epsilon = 1e-12f,
    int Seed = 1,
    bool InferredHeads = false,
    TinyBertPooler Pooler = TinyBertPooler.Gemm,
    IReadOnlyList<TinyBertActivation>? Activations = null,
    bool GemmAttentionOutput = false,
    bool LayerNormalizationNodes = false);

/// <summary>The feed-forward activation <see cref="TinyBertOnnx"/> spells in a layer (<see cref="TinyBertOptions.Activations"/>, one per layer; gelu when null).</summary>
public enum TinyBertActivation
{
    /// <summary>x·½(1 + erf(x/√2)) in Div, Erf, Add and Mul, as PyTorch's exporter writes BERT's gelu.</summary>
    Gelu,

    /// <summary>Relu.</summary>
    Relu,

    /// <summary>x·tanh(softplus(x)), an activation the importer does not know.</summary>
    Mish,
}

/// <summary>How <see cref="TinyBertOnnx"/> spells BertModel's pooler, tanh(dense(token 0)), after the last hidden state.</summary>
public enum TinyBertPooler
{
    /// <summary>Gather of token 0, Gemm with the named weight (transB), Tanh: as PyTorch's exporter writes it.</summary>
    Gemm,

    /// <summary>Gather of token 0, MatMul by the anonymous [in, out] weight and the Add of its bias, Tanh.</summary>
    MatMul,

    /// <summary>Slice of token 0 and Squeeze of its axis, then the Gemm and Tanh.</summary>
    Slice,

    /// <summary>No pooler: the last hidden state is the only output.</summary>
    None,
}

/// <summary>A tiny BERT graph and the Hugging Face weights it was built from (Linear weights [out, in]).</summary>
public sealed record TinyBert(ModelProto Model, IReadOnlyDictionary<string, float[]> Weights)
{
    public byte[] ToBytes() => Model.ToByteArray();

    /// <summary>Writes the model to a new temporary file and returns its path.</summary>
    public string WriteTemporary()
    {
        var path = Path.Combine(Path.GetTempPath(), $"tiny-bert-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, ToBytes());
        return path;
    }
}

/// <summary>
/// Builds a small BERT as PyTorch's exporter spells <c>BertModel</c> (opset 13): named biases, LayerNorm parameters,
/// embeddings and pooler; anonymous [in, out] MatMul weights, each followed by the Add of its bias; LayerNorm and
/// GELU spelled out in primitive ops with scalar Constant nodes (LayerNorm as LayerNormalization nodes, opset 17, with
/// <see cref="TinyBertOptions.LayerNormalizationNodes"/>); the additive −10000 key mask. ONNX Runtime runs it,
/// so it checks the importer and the float64 reference on weights other than MiniLM's.
/// </summary>
public static class TinyBertOnnx
{
    public static TinyBert Build(TinyBertOptions options)
    {
        var builder = new Builder(options);
        return new TinyBert(builder.Build(), builder.Weights);
    }

    private sealed class Builder(TinyBertOptions options)
    {
        private readonly GraphProto _graph = new() { Name = "tiny_bert" };
        private readonly Random _random = new(options.Seed);
        private int _next = 1000;

        public Dictionary<string, float[]> Weights { get; } = new(StringComparer.Ordinal);

        public ModelProto Build()
        {
            int hidden = options.Hidden;
            foreach (var name in new[] { "input_ids", "attention_mask", "token_type_ids" })
            {
                _graph.Input.Add(Value(name, TensorProto.Types.DataType.Int64, "batch", "sequence"));
            }

            // Additive key mask: (1 − mask) · −10000, shaped [batch, 1, 1, sequence].
            var mask = Node("Unsqueeze", "attention_mask", Int64Initializer([1, 2]));
            mask = Node("Cast", [mask], [("to", (long)TensorProto.Types.DataType.Float)]);
            mask = Node("Sub", ScalarConstant(1), mask);
            mask = Node("Mul", mask, ScalarConstant(-10000));

            // Positions 0…sequence−1, sliced from the exported position_ids buffer.
            var positionIds = new TensorProto { Name = "embeddings.position_ids", DataType = (int)TensorProto.Types.DataType.Int64, Dims = { 1, options.Positions } };
            positionIds.Int64Data.AddRange(Enumerable.Range(0, options.Positions).Select(i => (long)i));
            _graph.Initializer.Add(positionIds);
            var length = Node("Gather", [Node("Shape", "input_ids"), Int64Scalar(1)], [("axis", 0L)]);
            length = Node("Unsqueeze", length, Int64Initializer([0]));
            var positions = Node("Slice", "embeddings.position_ids", Int64Initializer([0]), length, Int64Initializer([1]));

            var x = Node("Add", Node("Gather", Named("embeddings.word_embeddings.weight", options.Vocabulary, hidden), "input_ids"),
                Node("Gather", Named("embeddings.token_type_embeddings.weight", options.TokenTypes, hidden), "token_type_ids"));
            x = Node("Add", x, Node("Gather", Named("embeddings.position_embeddings.weight", options.Positions, hidden), positions));
            x = LayerNorm(x, "embeddings.LayerNorm");

            for (int layer = 0; layer < options.Layers; layer++)
            {
                x = EncoderLayer(x, mask, $"encoder.layer.{layer}.", options.Activations?[layer] ?? TinyBertActivation.Gelu);
            }

            const string last = "last_hidden_state";
            _graph.Node.Add(new NodeProto { OpType = "Identity", Name = "Identity_last_hidden_state", Input = { x }, Output = { last } });
            _graph.Output.Add(Value(last, TensorProto.Types.DataType.Float, "batch", "sequence", hidden.ToString(System.Globalization.CultureInfo.InvariantCulture)));

            if (options.Pooler != TinyBertPooler.None)
            {
                var first = options.Pooler == TinyBertPooler.Slice
                    ? Node("Squeeze", Node("Slice", last, Int64Initializer([0]), Int64Initializer([1]), Int64Initializer([1])), Int64Initializer([1]))
                    : Node("Gather", [last, Int64Scalar(0)], [("axis", 1L)]);
                var pooled = options.Pooler == TinyBertPooler.MatMul
                    ? Linear(first, "pooler.dense", hidden, hidden)
                    : Node("Gemm", [first, Named("pooler.dense.weight", hidden, hidden), Named("pooler.dense.bias", hidden)], [("alpha", 1f), ("beta", 1f), ("transB", 1L)]);
                var pooler = Node("Tanh", pooled);
                _graph.Output.Add(Value(pooler, TensorProto.Types.DataType.Float, "batch", hidden.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            }

            var model = new ModelProto { IrVersion = 7, ProducerName = "AttentionGen.Models.Tests", Graph = _graph };
            // LayerNormalization is an ONNX op from opset 17 on; the rest is spelled as opset 13 spells it, which 17 keeps.
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = options.LayerNormalizationNodes ? 17 : 13 });
            return model;
        }

        private string EncoderLayer(string x, string mask, string prefix, TinyBertActivation activation)
        {
            int hidden = options.Hidden, heads = options.Heads, headSize = hidden / heads;
            string SplitHeads(string value, long[] perm) =>
                Node("Transpose", [Node("Reshape", value, Int64Initializer([0, 0, options.InferredHeads ? -1 : heads, headSize]))], [("perm", perm)]);

            var query = SplitHeads(Linear(x, prefix + "attention.self.query", hidden, hidden), [0, 2, 1, 3]);
            var key = SplitHeads(Linear(x, prefix + "attention.self.key", hidden, hidden), [0, 2, 3, 1]);
            var value = SplitHeads(Linear(x, prefix + "attention.self.value", hidden, hidden), [0, 2, 1, 3]);
            var scores = Node("Add", Node("Div", Node("MatMul", query, key), ScalarConstant(MathF.Sqrt(headSize))), mask);
            var probabilities = Node("Softmax", [scores], [("axis", -1L)]);
            var context = Node("Transpose", [Node("MatMul", probabilities, value)], [("perm", new long[] { 0, 2, 1, 3 })]);
            context = Node("Reshape", context, Int64Initializer([0, 0, hidden]));

            // A Gemm multiplies matrices: the context goes in as [batch·sequence, hidden] and comes back to x's shape.
            var projected = options.GemmAttentionOutput
                ? Node("Reshape", GemmLinear(Node("Reshape", context, Int64Initializer([-1, hidden])), prefix + "attention.output.dense", hidden, hidden), Node("Shape", x))
                : Linear(context, prefix + "attention.output.dense", hidden, hidden);
            var attention = LayerNorm(Node("Add", projected, x), prefix + "attention.output.LayerNorm");
            var intermediate = Linear(attention, prefix + "intermediate.dense", options.FeedForward, hidden);
            var activated = activation switch
            {
                TinyBertActivation.Relu => Node("Relu", intermediate),
                TinyBertActivation.Mish => Node("Mul", intermediate, Node("Tanh", Node("Softplus", intermediate))),
                _ => Node("Mul", Node("Mul", intermediate, Node("Add", Node("Erf", Node("Div", intermediate, ScalarConstant(MathF.Sqrt(2)))), ScalarConstant(1))), ScalarConstant(0.5f)),
            };
            var output = Node("Add", Linear(activated, prefix + "output.dense", hidden, options.FeedForward), attention);
            return LayerNorm(output, prefix + "output.LayerNorm");
        }

        /// <summary>x·Wᵀ + b as the exporter writes it: MatMul by the anonymous transpose [in, out], then Add(bias, ·).</summary>
        private string Linear(string x, string prefix, int outputs, int inputs)
        {
            var weight = RandomValues(outputs * inputs, 1 / MathF.Sqrt(inputs));
            Weights[prefix + ".weight"] = weight;
            var transposed = new float[weight.Length];
            for (int o = 0; o < outputs; o++)
            {
                for (int i = 0; i < inputs; i++)
                {
                    transposed[i * outputs + o] = weight[o * inputs + i];
                }
            }

            var anonymous = (_next++).ToString(System.Globalization.CultureInfo.InvariantCulture);
            _graph.Initializer.Add(FloatTensor(anonymous, transposed, inputs, outputs));
            return Node("Add", Named(prefix + ".bias", outputs), Node("MatMul", x, anonymous));
        }

        /// <summary>x·Wᵀ + b as a Gemm of the named [out, in] weight (transB, alpha and beta left to their defaults of 1).</summary>
        private string GemmLinear(string x, string prefix, int outputs, int inputs) =>
            Node("Gemm", [x, Named(prefix + ".weight", RandomValues(outputs * inputs, 1 / MathF.Sqrt(inputs)), outputs, inputs), Named(prefix + ".bias", outputs)], [("transB", 1L)]);

        private string LayerNorm(string x, string prefix)
        {
            if (options.LayerNormalizationNodes)
            {
                // As PyTorch exports layer_norm from opset 17: one node, normalizing from the last axis.
                return Node("LayerNormalization", [x, Named(prefix + ".weight", ScaleValues(), options.Hidden), Named(prefix + ".bias", options.Hidden)],
                    [("epsilon", options.Epsilon), ("axis", -1L)]);
            }

            var centered = Node("Sub", x, Node("ReduceMean", [x], [("axes", new long[] { -1 })]));
            var variance = Node("ReduceMean", [Node("Pow", centered, ScalarConstant(2))], [("axes", new long[] { -1 })]);
            var normalized = Node("Div", centered, Node("Sqrt", Node("Add", variance, ScalarConstant(options.Epsilon))));
            return Node("Add", Node("Mul", normalized, Named(prefix + ".weight", ScaleValues(), options.Hidden)), Named(prefix + ".bias", options.Hidden));
        }

        /// <summary>A LayerNorm scale: 1 ± 0.2.</summary>
        private float[] ScaleValues()
        {
            var values = RandomValues(options.Hidden, 0.2f);
            for (int i = 0; i < values.Length; i++)
            {
                values[i] += 1;
            }

            return values;
        }

        private string Named(string name, params int[] shape) =>
            Named(name, RandomValues(shape.Aggregate(1, (a, b) => a * b), 0.5f), shape);

        private string Named(string name, float[] values, params int[] shape)
        {
            Weights[name] = values;
            _graph.Initializer.Add(FloatTensor(name, values, shape));
            return name;
        }

        private string ScalarConstant(float value)
        {
            var tensor = new TensorProto { DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(BitConverter.GetBytes(value)) };
            return Node("Constant", [], [("value", tensor)]);
        }

        private string Int64Scalar(long value)
        {
            var tensor = new TensorProto { DataType = (int)TensorProto.Types.DataType.Int64, Int64Data = { value } };
            return Node("Constant", [], [("value", tensor)]);
        }

        private string Int64Initializer(long[] values)
        {
            var name = (_next++).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64, Dims = { values.Length } };
            tensor.Int64Data.AddRange(values);
            _graph.Initializer.Add(tensor);
            return name;
        }

        private string Node(string op, params string[] inputs) => Node(op, inputs, []);

        private string Node(string op, string[] inputs, (string Name, object Value)[] attributes)
        {
            var output = (_next++).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var node = new NodeProto { OpType = op, Name = $"{op}_{_graph.Node.Count}" };
            node.Input.AddRange(inputs);
            node.Output.Add(output);
            foreach (var (name, value) in attributes)
            {
                node.Attribute.Add(value switch
                {
                    long i => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = i },
                    float f => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = f },
                    long[] ints => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints, Ints = { ints } },
                    TensorProto t => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = t },
                    _ => throw new ArgumentException($"Attribute '{name}' has a type the builder does not write: {value.GetType()}."),
                });
            }

            _graph.Node.Add(node);
            return output;
        }

        private float[] RandomValues(int count, float scale) =>
            Enumerable.Range(0, count).Select(_ => (float)(_random.NextDouble() * 2 - 1) * scale).ToArray();

        private static TensorProto FloatTensor(string name, float[] values, params int[] shape)
        {
            var bytes = new byte[values.Length * sizeof(float)];
            Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
            var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(bytes) };
            tensor.Dims.AddRange(shape.Select(d => (long)d));
            return tensor;
        }

        private static ValueInfoProto Value(string name, TensorProto.Types.DataType type, params string[] dims)
        {
            var shape = new TensorShapeProto();
            foreach (var dim in dims)
            {
                shape.Dim.Add(long.TryParse(dim, out var fixedSize) ? new TensorShapeProto.Types.Dimension { DimValue = fixedSize } : new TensorShapeProto.Types.Dimension { DimParam = dim });
            }

            return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } } };
        }
    }
}
