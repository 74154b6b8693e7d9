using Google.Protobuf;
using Onnx;

namespace AttentionGen.Tests.Onnx;

/// <summary>
/// Builds ONNX models in memory around the opset-23 <c>Attention</c> operator with 3-D inputs ([batch, seq, heads·dim]),
/// so ONNX Runtime can serve as an independent implementation of the same math, and the same core through ORT's own
/// contrib ops (<c>com.microsoft.MultiHeadAttention</c>, <c>GroupQueryAttention</c>), which its CPU build runs faster.
/// Free of test-framework types so a benchmark can reuse it.
/// </summary>
internal static class OnnxAttentionModels
{
    private const long OpsetVersion = 23;

    /// <summary>ONNX Runtime's own operators (<c>com.microsoft</c>), which the contrib-op graphs import beside the standard set.</summary>
    private const string ContribDomain = "com.microsoft";

    /// <summary>The options of one attention core, as the ONNX operator spells them. Scale 0 leaves the attribute out.</summary>
    public sealed record AttentionOptions(int Heads, int KvHeads, int HeadDim, bool Causal, float Scale, float Softcap, bool Mask = false);

    /// <summary>Inputs Q [1, S, Heads·HeadDim], K and V [1, T, KvHeads·HeadDim] (and mask [S, T]); output Y like Q.</summary>
    public static byte[] ScaledDotProduct(AttentionOptions options)
    {
        var graph = new GraphProto { Name = "sdpa" };
        graph.Input.Add(Input("Q", 1, -1, options.Heads * options.HeadDim));
        graph.Input.Add(Input("K", 1, -1, options.KvHeads * options.HeadDim));
        graph.Input.Add(Input("V", 1, -1, options.KvHeads * options.HeadDim));
        if (options.Mask)
        {
            graph.Input.Add(Input("mask", -1, -1));
        }

        graph.Node.Add(AttentionNode(options, "Q", "K", "V", options.Mask ? "mask" : null, "Y"));
        graph.Output.Add(Input("Y", 1, -1, options.Heads * options.HeadDim));
        return Model(graph);
    }

    /// <summary>
    /// Multi-head attention: X [1, S, modelDim] (and, for cross-attention, C [1, T, kvInputDim]) through MatMul+Add
    /// projections with PyTorch [out, in] weights, the attention core, and the output projection. Output Y [1, S, modelDim].
    /// </summary>
    public static byte[] MultiHead(AttentionOptions options, int modelDim, int kvInputDim, bool cross, IReadOnlyDictionary<string, float[]> weights)
    {
        var graph = new GraphProto { Name = "mha" };
        graph.Input.Add(Input("X", 1, -1, modelDim));
        var context = "X";
        if (cross)
        {
            graph.Input.Add(Input("C", 1, -1, kvInputDim));
            context = "C";
        }

        int queryWidth = options.Heads * options.HeadDim, kvWidth = options.KvHeads * options.HeadDim;
        Project(graph, weights, "q_proj", "X", queryWidth, modelDim, "Q");
        Project(graph, weights, "k_proj", context, kvWidth, kvInputDim, "K");
        Project(graph, weights, "v_proj", context, kvWidth, kvInputDim, "V");
        graph.Node.Add(AttentionNode(options, "Q", "K", "V", mask: null, "A"));
        Project(graph, weights, "o_proj", "A", modelDim, queryWidth, "Y");
        graph.Output.Add(Input("Y", 1, -1, modelDim));
        return Model(graph);
    }

    /// <summary>
    /// The same core as <see cref="ScaledDotProduct"/> through ONNX Runtime's contrib <c>com.microsoft.MultiHeadAttention</c>
    /// (Heads == KvHeads; no mask or softcap): inputs Q [1, S, Heads·HeadDim], K and V [1, T, Heads·HeadDim]; output Y like
    /// Q. Causal sets <c>unidirectional</c>, whose triangle is aligned top-left (key j ≤ query i), so it is the
    /// bottom-right rule only where S == T.
    /// </summary>
    public static byte[] ContribMultiHeadAttention(AttentionOptions options)
    {
        if (options.KvHeads != options.Heads || options.Mask || options.Softcap > 0)
        {
            throw new ArgumentException("MultiHeadAttention takes as many key/value heads as query heads, and no mask or softcap here.", nameof(options));
        }

        int width = options.Heads * options.HeadDim;
        var graph = new GraphProto { Name = "contrib_mha" };
        graph.Input.Add(Input("Q", 1, -1, width));
        graph.Input.Add(Input("K", 1, -1, width));
        graph.Input.Add(Input("V", 1, -1, width));
        var node = new NodeProto { OpType = "MultiHeadAttention", Domain = ContribDomain, Name = "attention" };
        node.Input.AddRange(["Q", "K", "V"]);
        node.Output.Add("Y");
        node.Attribute.Add(IntAttribute("num_heads", options.Heads));
        node.Attribute.Add(IntAttribute("unidirectional", options.Causal ? 1 : 0));
        AddScoreAttributes(node, options);
        graph.Node.Add(node);
        graph.Output.Add(Input("Y", 1, -1, width));
        return Model(graph, contrib: true);
    }

    /// <summary>
    /// The same core through ONNX Runtime's contrib <c>com.microsoft.GroupQueryAttention</c>, which is always causal with
    /// the triangle aligned bottom-right (so one query sees every key): inputs Q [1, S, Heads·HeadDim], K and V
    /// [1, S, KvHeads·HeadDim] (the S newest keys and values), with <paramref name="past"/> past_key and past_value
    /// [1, KvHeads, P, HeadDim] (BNSH) holding the cache, seqlens_k (int32 [1], total length − 1) and
    /// total_sequence_length (int32 scalar); outputs Y like Q, present_key and present_value [1, KvHeads, P', HeadDim].
    /// A present bound to its past's buffer makes ORT append in place (its past_present_share_buffer mode).
    /// </summary>
    public static byte[] ContribGroupQueryAttention(AttentionOptions options, bool past)
    {
        if (options.Mask)
        {
            throw new ArgumentException("GroupQueryAttention takes no additive mask here.", nameof(options));
        }

        int width = options.Heads * options.HeadDim, kvWidth = options.KvHeads * options.HeadDim;
        var graph = new GraphProto { Name = "contrib_gqa" };
        graph.Input.Add(Input("Q", 1, -1, width));
        graph.Input.Add(Input("K", 1, -1, kvWidth));
        graph.Input.Add(Input("V", 1, -1, kvWidth));
        if (past)
        {
            graph.Input.Add(Input("past_key", 1, options.KvHeads, -1, options.HeadDim));
            graph.Input.Add(Input("past_value", 1, options.KvHeads, -1, options.HeadDim));
        }

        graph.Input.Add(Value("seqlens_k", TensorProto.Types.DataType.Int32, 1));
        graph.Input.Add(Value("total_sequence_length", TensorProto.Types.DataType.Int32));
        var node = new NodeProto { OpType = "GroupQueryAttention", Domain = ContribDomain, Name = "attention" };
        node.Input.AddRange(["Q", "K", "V", past ? "past_key" : "", past ? "past_value" : "", "seqlens_k", "total_sequence_length"]);
        node.Output.AddRange(["Y", "present_key", "present_value"]);
        node.Attribute.Add(IntAttribute("num_heads", options.Heads));
        node.Attribute.Add(IntAttribute("kv_num_heads", options.KvHeads));
        AddScoreAttributes(node, options);

        graph.Node.Add(node);
        graph.Output.Add(Input("Y", 1, -1, width));
        graph.Output.Add(Input("present_key", 1, options.KvHeads, -1, options.HeadDim));
        graph.Output.Add(Input("present_value", 1, options.KvHeads, -1, options.HeadDim));
        return Model(graph, contrib: true);
    }

    private static NodeProto AttentionNode(AttentionOptions options, string q, string k, string v, string? mask, string output)
    {
        var node = new NodeProto { OpType = "Attention", Name = "attention" };
        node.Input.AddRange(mask is null ? [q, k, v] : [q, k, v, mask]);
        node.Output.Add(output);
        node.Attribute.Add(IntAttribute("q_num_heads", options.Heads));
        node.Attribute.Add(IntAttribute("kv_num_heads", options.KvHeads));
        node.Attribute.Add(IntAttribute("is_causal", options.Causal ? 1 : 0));
        AddScoreAttributes(node, options);
        return node;
    }

    /// <summary>
    /// The scores' <c>scale</c> and <c>softcap</c>, spelled alike by the opset-23 op and ORT's contrib ops; each left out
    /// when 0 (the scale then defaults to 1/√head_size).
    /// </summary>
    private static void AddScoreAttributes(NodeProto node, AttentionOptions options)
    {
        if (options.Scale > 0)
        {
            node.Attribute.Add(FloatAttribute("scale", options.Scale));
        }

        if (options.Softcap > 0)
        {
            node.Attribute.Add(FloatAttribute("softcap", options.Softcap));
        }
    }

    /// <summary>y = x·Wᵀ + b: ONNX MatMul wants [in, out], so the PyTorch weight is transposed into the initializer.</summary>
    private static void Project(GraphProto graph, IReadOnlyDictionary<string, float[]> weights, string name, string input, int outDim, int inDim, string output)
    {
        var weight = weights[name + ".weight"];
        var transposed = new float[weight.Length];
        for (int o = 0; o < outDim; o++)
        {
            for (int i = 0; i < inDim; i++)
            {
                transposed[i * outDim + o] = weight[o * inDim + i];
            }
        }

        graph.Initializer.Add(Tensor(name + ".weightT", transposed, inDim, outDim));
        var matMul = new NodeProto { OpType = "MatMul", Name = name + ".matmul" };
        matMul.Input.AddRange([input, name + ".weightT"]);
        if (weights.TryGetValue(name + ".bias", out var bias))
        {
            matMul.Output.Add(name + ".xw");
            graph.Node.Add(matMul);
            graph.Initializer.Add(Tensor(name + ".bias", bias, outDim));
            var add = new NodeProto { OpType = "Add", Name = name + ".add" };
            add.Input.AddRange([name + ".xw", name + ".bias"]);
            add.Output.Add(output);
            graph.Node.Add(add);
        }
        else
        {
            matMul.Output.Add(output);
            graph.Node.Add(matMul);
        }
    }

    private static byte[] Model(GraphProto graph, bool contrib = false)
    {
        var model = new ModelProto { IrVersion = 10, ProducerName = "AttentionGen.Tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = OpsetVersion });
        if (contrib)
        {
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = ContribDomain, Version = 1 });
        }

        return model.ToByteArray();
    }

    private static ValueInfoProto Input(string name, params long[] dims) => Value(name, TensorProto.Types.DataType.Float, dims);

    private static ValueInfoProto Value(string name, TensorProto.Types.DataType type, params long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var dim in dims)
        {
            shape.Dim.Add(dim >= 0 ? new TensorShapeProto.Types.Dimension { DimValue = dim } : new TensorShapeProto.Types.Dimension { DimParam = name + "_dyn" + shape.Dim.Count });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    private static TensorProto Tensor(string name, float[] values, params long[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims);
        tensor.FloatData.AddRange(values);
        return tensor;
    }

    private static AttributeProto IntAttribute(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    private static AttributeProto FloatAttribute(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };
}
