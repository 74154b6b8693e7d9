using Google.Protobuf;
using Onnx;

namespace AttentionGen.Tests.Onnx;

/// <summary>
/// Builds a Llama-style decoder as an ONNX graph from standard operators only (opset 23), with Hugging Face
/// <c>LlamaForCausalLM</c> weights: <c>Gather</c> for the embedding, <c>RMSNormalization</c>, <c>MatMul</c> with the
/// weights transposed to [in, out], <c>RotaryEmbedding</c> (rotate-half, optionally partial) fed cos/sin tables computed
/// in double, <c>Attention</c> (causal, grouped-query, with <c>past_key</c>/<c>past_value</c> in and
/// <c>present_key</c>/<c>present_value</c> out), SwiGLU as <c>down(gate·Sigmoid(gate)·up)</c>, the final norm and the LM
/// head. Gemma 2's parts are there too when the shape asks for them: its norm's <c>1 + γ</c> as an <c>Add</c> in front
/// of the RMSNormalization scale, the gated GELU as <c>Gelu(approximate="tanh")</c>, the embedding times √ModelDim,
/// sandwich norms, the Attention's own <c>softcap</c> and a <c>Div</c>/<c>Tanh</c>/<c>Mul</c> cap on the logits.
/// Sliding windows (Mistral v0.1, Gemma 2 and 3) come in as an additive <c>window_mask</c> input that the windowed
/// layers' Attention takes as its <c>attn_mask</c>, on top of <c>is_causal</c>, and Gemma 3's local rotary base as a
/// second pair of cos/sin tables for those layers.
/// Free of test-framework types so a benchmark can reuse it (with Reference/RopeReference.cs).
/// </summary>
internal static class DecoderOnnxModels
{
    private const long OpsetVersion = 23;

    /// <summary>The scalar 1 that Gemma's norms add to their stored gains.</summary>
    private const string GemmaNormOne = "gemma_norm.one";

    /// <summary>
    /// The graph input holding the sliding window as an additive mask, [S, P + S] (<see cref="WindowMask"/>); present
    /// only when some layer is windowed.
    /// </summary>
    public const string WindowMaskInput = "window_mask";

    /// <summary>
    /// A decoder's shape as the graph needs it. RopeDim is the rotary width of a head (HeadDim for full rotary); Scale 0
    /// leaves the attribute out, for ONNX's default 1/√HeadDim. Norm is RmsNorm or GemmaRmsNorm and Activation SwiGlu or
    /// GeGluTanh (the graph refuses others). Softcap (on the attention scores) and FinalLogitSoftcap (on the logits) are
    /// off at 0; SandwichNorm and ScaleEmbeddings are Gemma 2's (see <see cref="TransformerDecoderAttribute"/>), and so are
    /// SlidingWindow (0 = none), SlidingWindowPattern (0 = every layer windowed) and LocalRopeTheta (0 = RopeTheta).
    /// NoRopeInterval (0 = none) leaves every such layer unrotated (SmolLM3). EmbeddingMultiplier, ResidualMultiplier and
    /// LogitsScaling (0 = none) are Granite's factors on the embeddings and the residual branches, and divisor of the logits.
    /// PostSublayerNorm normalizes each sublayer's output instead of its input, and QueryKeyNormAcrossHeads normalizes Q
    /// and K as whole rows (OLMo 2).
    /// </summary>
    public sealed record DecoderShape(
        int Vocab, int Layers, int ModelDim, int Heads, int KvHeads, int HeadDim, int FfnDim, int RopeDim, double RopeTheta, float Epsilon,
        int MaxPositions, float Scale = 0, Reference.RopeScalingReference? RopeScaling = null, NormKind Norm = NormKind.RmsNorm,
        ActivationKind Activation = ActivationKind.SwiGlu, float Softcap = 0, bool SandwichNorm = false, bool ScaleEmbeddings = false,
        float FinalLogitSoftcap = 0, int SlidingWindow = 0, int SlidingWindowPattern = 0, double LocalRopeTheta = 0, int NoRopeInterval = 0,
        float EmbeddingMultiplier = 0, float ResidualMultiplier = 0, float LogitsScaling = 0, bool PostSublayerNorm = false,
        bool QueryKeyNormAcrossHeads = false)
    {
        /// <summary>
        /// Whether layer <paramref name="layer"/> (0-based) is windowed, Hugging Face's rule for Gemma 2 and 3
        /// (<c>is_sliding = bool((layer_idx + 1) % sliding_window_pattern)</c>), every layer with no pattern (Mistral).
        /// Written out here as well as in the reference's BlockOptions, so the two oracles do not share it.
        /// </summary>
        public bool Windowed(int layer) => SlidingWindow > 0 && (SlidingWindowPattern == 0 || (layer + 1) % SlidingWindowPattern != 0);

        /// <summary>Whether layer <paramref name="layer"/> has RotaryEmbedding nodes: all but each NoRopeInterval-th (SmolLM3).</summary>
        public bool Rotates(int layer) => NoRopeInterval == 0 || (layer + 1) % NoRopeInterval != 0;

        /// <summary>Whether any layer is windowed: then the graph has the <see cref="WindowMaskInput"/> input.</summary>
        public bool AnyWindowed => Enumerable.Range(0, Layers).Any(Windowed);

        /// <summary>Whether the windowed layers rotate by their own base (and so read their own tables).</summary>
        public bool LocalRope => LocalRopeTheta > 0 && AnyWindowed;
    }

    public static string PastKey(int layer) => $"past_key.{layer}";

    public static string PastValue(int layer) => $"past_value.{layer}";

    public static string PresentKey(int layer) => $"present_key.{layer}";

    public static string PresentValue(int layer) => $"present_value.{layer}";

    /// <summary>
    /// Inputs <c>input_ids</c> and <c>position_ids</c> (int64 [1, S]) and, when <paramref name="withPast"/>, per layer
    /// <c>past_key.{i}</c> and <c>past_value.{i}</c> ([1, KvHeads, P, HeadDim]). Outputs <c>logits</c> [1, S, Vocab] and per
    /// layer <c>present_key.{i}</c> and <c>present_value.{i}</c> ([1, KvHeads, P + S, HeadDim]). Without a past the graph
    /// serves the first prefill: ONNX Runtime's causal rule is only bottom-right aligned when it is given a past. With
    /// a windowed layer there is one more input, <see cref="WindowMaskInput"/> (float [S, P + S], <see cref="WindowMask"/>),
    /// which every windowed layer's Attention adds to its scores; the full layers never read it.
    /// </summary>
    public static byte[] Llama(DecoderShape shape, IReadOnlyDictionary<string, float[]> weights, bool withPast, bool lastLogitsOnly = false)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(shape.RopeDim % 2, 0, nameof(shape));
        if (shape.Norm is not (NormKind.RmsNorm or NormKind.GemmaRmsNorm) || shape.Activation is not (ActivationKind.SwiGlu or ActivationKind.GeGluTanh))
        {
            throw new ArgumentException($"The graph has RMSNorm (plain or Gemma's) and a gated FFN (SwiGLU or GeGLU-tanh), not {shape.Norm} and {shape.Activation}.", nameof(shape));
        }

        var graph = new GraphProto { Name = "llama" };
        graph.Input.Add(Value("input_ids", TensorProto.Types.DataType.Int64, 1, -1));
        graph.Input.Add(Value("position_ids", TensorProto.Types.DataType.Int64, 1, -1));
        var (cos, sin) = RopeTables(shape.MaxPositions, shape.RopeDim, shape.RopeTheta, shape.RopeScaling);
        graph.Initializer.Add(Tensor("rope.cos", cos, shape.MaxPositions, shape.RopeDim / 2));
        graph.Initializer.Add(Tensor("rope.sin", sin, shape.MaxPositions, shape.RopeDim / 2));
        if (shape.LocalRope)
        {
            // Gemma 3's local rotary embedding: rope_local_base_freq with the default rope type, so no scaling.
            var (localCos, localSin) = RopeTables(shape.MaxPositions, shape.RopeDim, shape.LocalRopeTheta);
            graph.Initializer.Add(Tensor("rope_local.cos", localCos, shape.MaxPositions, shape.RopeDim / 2));
            graph.Initializer.Add(Tensor("rope_local.sin", localSin, shape.MaxPositions, shape.RopeDim / 2));
        }

        if (shape.AnyWindowed)
        {
            graph.Input.Add(Value(WindowMaskInput, TensorProto.Types.DataType.Float, -1, -1));
        }

        var table = weights["model.embed_tokens.weight"];
        graph.Initializer.Add(Tensor("model.embed_tokens.weight", table, shape.Vocab, shape.ModelDim));
        var hidden = Node(graph, "Gather", "embed", ["model.embed_tokens.weight", "input_ids"]);
        if (shape.ScaleEmbeddings)
        {
            // Gemma: hidden_states * normalizer, the normalizer √hidden_size held as a float32 tensor.
            graph.Initializer.Add(Tensor("embed.normalizer", [(float)Math.Sqrt(shape.ModelDim)]));
            hidden = Node(graph, "Mul", "embed.scaled", [hidden, "embed.normalizer"]);
        }
        else if (shape.EmbeddingMultiplier > 0)
        {
            // Granite: inputs_embeds * embedding_multiplier.
            graph.Initializer.Add(Tensor("embed.multiplier", [shape.EmbeddingMultiplier]));
            hidden = Node(graph, "Mul", "embed.scaled", [hidden, "embed.multiplier"]);
        }

        if (shape.ResidualMultiplier > 0)
        {
            graph.Initializer.Add(Tensor(ResidualMultiplierName, [shape.ResidualMultiplier]));
        }

        if (shape.Norm == NormKind.GemmaRmsNorm)
        {
            graph.Initializer.Add(Tensor(GemmaNormOne, [1f]));
        }

        for (int layer = 0; layer < shape.Layers; layer++)
        {
            hidden = Layer(graph, shape, weights, layer, hidden, withPast);
        }

        if (lastLogitsOnly)
        {
            // Only the last position's logits, as a generating prefill needs them (and as Prefill computes them): the
            // final norm and the LM head then run on one row, not on every position of the prompt.
            graph.Initializer.Add(Int64Tensor("last.position", -1));
            hidden = Node(graph, "Gather", "last.hidden", [hidden, "last.position"]);
            graph.Node[^1].Attribute.Add(IntAttribute("axis", 1));
        }

        var normed = RmsNorm(graph, shape, weights, "model.norm", hidden);
        // A tied head (no lm_head.weight, as Qwen2.5's small models) multiplies by the embedding table.
        var logits = Linear(graph, weights, weights.ContainsKey("lm_head.weight") ? "lm_head" : "model.embed_tokens", normed, shape.Vocab, shape.ModelDim);
        if (shape.FinalLogitSoftcap > 0)
        {
            logits = Softcap(graph, "logits.softcap", logits, shape.FinalLogitSoftcap);
        }

        if (shape.LogitsScaling > 0)
        {
            // Granite: logits / logits_scaling.
            graph.Initializer.Add(Tensor("logits.scaling", [shape.LogitsScaling]));
            logits = Node(graph, "Div", "logits.scaled", [logits, "logits.scaling"]);
        }

        graph.Node.Add(Identity(logits, "logits"));
        graph.Output.Add(Value("logits", TensorProto.Types.DataType.Float, 1, -1, shape.Vocab));
        return Model(graph);
    }

    /// <summary>
    /// The sliding window as an additive attention mask for <paramref name="length"/> tokens after <paramref name="past"/>
    /// cached ones, [length, past + length]: −∞ on key j when it lies <paramref name="window"/> or more positions before
    /// the query's (<c>j ≤ past + i − window</c>), else 0. It says nothing of the keys after the query: those the
    /// Attention's is_causal masks, which ONNX Runtime combines with an attn_mask (both added) and aligns bottom-right
    /// over a past, so the mask need not repeat it (SlidingWindowGraphTests holds ORT to both).
    /// </summary>
    public static float[] WindowMask(int past, int length, int window)
    {
        int total = past + length;
        var mask = new float[length * total];
        for (int i = 0; i < length; i++)
        {
            for (int j = 0; j <= past + i - window; j++)
            {
                mask[i * total + j] = float.NegativeInfinity;
            }
        }

        return mask;
    }

    /// <summary>
    /// cos and sin of <c>p·θ^(−2i/r)</c> (scaled as Llama 3 scales it, with a scaling) for every position <c>p</c> and pair <c>i &lt; r/2</c>, [positions, r/2], with the
    /// angle in double and only the result rounded (written out here rather than taken from the runtime, so the oracle
    /// does not share the code under test).
    /// </summary>
    public static (float[] Cos, float[] Sin) RopeTables(int positions, int ropeDim, double theta, Reference.RopeScalingReference? scaling = null)
    {
        int half = ropeDim / 2;
        var cos = new float[positions * half];
        var sin = new float[positions * half];
        for (int p = 0; p < positions; p++)
        {
            for (int i = 0; i < half; i++)
            {
                double angle = p * Reference.RopeReference.Frequency(i, ropeDim, theta, scaling);
                cos[p * half + i] = (float)Math.Cos(angle);
                sin[p * half + i] = (float)Math.Sin(angle);
            }
        }

        return (cos, sin);
    }

    private static string Layer(GraphProto graph, DecoderShape shape, IReadOnlyDictionary<string, float[]> weights, int layer, string input, bool withPast)
    {
        string prefix = $"model.layers.{layer}.";
        int queryWidth = shape.Heads * shape.HeadDim, kvWidth = shape.KvHeads * shape.HeadDim;
        // OLMo 2 attends to the raw residual stream; every other shape normalizes it first.
        var attentionIn = shape.PostSublayerNorm ? input : RmsNorm(graph, shape, weights, prefix + "input_layernorm", input);
        var q = Linear(graph, weights, prefix + "self_attn.q_proj", attentionIn, queryWidth, shape.ModelDim);
        var k = Linear(graph, weights, prefix + "self_attn.k_proj", attentionIn, kvWidth, shape.ModelDim);
        var v = Linear(graph, weights, prefix + "self_attn.v_proj", attentionIn, kvWidth, shape.ModelDim);
        if (shape.QueryKeyNormAcrossHeads)
        {
            q = RmsNorm(graph, shape, weights, prefix + "self_attn.q_norm", q, queryWidth);
            k = RmsNorm(graph, shape, weights, prefix + "self_attn.k_norm", k, kvWidth);
        }
        else if (weights.ContainsKey(prefix + "self_attn.q_norm.weight"))
        {
            q = HeadNorm(graph, shape, weights, prefix + "self_attn.q_norm", q, shape.Heads);
            k = HeadNorm(graph, shape, weights, prefix + "self_attn.k_norm", k, shape.KvHeads);
        }

        bool windowed = shape.Windowed(layer);
        string tables = windowed && shape.LocalRope ? "rope_local" : "rope";
        if (shape.Rotates(layer))
        {
            q = Rotary(graph, shape, prefix + "q_rope", q, shape.Heads, tables);
            k = Rotary(graph, shape, prefix + "k_rope", k, shape.KvHeads, tables);
        }

        if (withPast)
        {
            graph.Input.Add(Value(PastKey(layer), TensorProto.Types.DataType.Float, 1, shape.KvHeads, -1, shape.HeadDim));
            graph.Input.Add(Value(PastValue(layer), TensorProto.Types.DataType.Float, 1, shape.KvHeads, -1, shape.HeadDim));
        }

        var attention = new NodeProto { OpType = "Attention", Name = prefix + "attention" };
        // A windowed layer's attn_mask is the window; a full layer's stays absent (the empty name), so a graph without a
        // window is the same node for node.
        string mask = windowed ? WindowMaskInput : "";
        attention.Input.AddRange(withPast ? [q, k, v, mask, PastKey(layer), PastValue(layer)] : windowed ? [q, k, v, mask] : [q, k, v]);
        attention.Output.AddRange([prefix + "attention.y", PresentKey(layer), PresentValue(layer)]);
        attention.Attribute.Add(IntAttribute("q_num_heads", shape.Heads));
        attention.Attribute.Add(IntAttribute("kv_num_heads", shape.KvHeads));
        attention.Attribute.Add(IntAttribute("is_causal", 1));
        if (shape.Scale > 0)
        {
            attention.Attribute.Add(FloatAttribute("scale", shape.Scale));
        }

        if (shape.Softcap > 0)
        {
            // ONNX Runtime 1.31.1 caps the scaled scores and then adds the causal mask (past-offset when given a past),
            // so masked keys stay at the lowest float and get no weight: the order Gemma 2 and the reference use.
            // GemmaGraphTests checks it with a cap small enough that a mask capped to −cap would leak visibly.
            attention.Attribute.Add(FloatAttribute("softcap", shape.Softcap));
        }

        graph.Node.Add(attention);
        graph.Output.Add(Value(PresentKey(layer), TensorProto.Types.DataType.Float, 1, shape.KvHeads, -1, shape.HeadDim));
        graph.Output.Add(Value(PresentValue(layer), TensorProto.Types.DataType.Float, 1, shape.KvHeads, -1, shape.HeadDim));

        var attended = Linear(graph, weights, prefix + "self_attn.o_proj", prefix + "attention.y", shape.ModelDim, queryWidth);
        if (shape.SandwichNorm || shape.PostSublayerNorm)
        {
            // Gemma 2 and OLMo 2 normalize the sublayer's output before the residual add; post_attention_layernorm is this
            // norm here, where in Llama it is the one in front of the FFN.
            attended = RmsNorm(graph, shape, weights, prefix + "post_attention_layernorm", attended);
        }

        var afterAttention = Node(graph, "Add", prefix + "attention_residual", [input, ResidualBranch(graph, shape, prefix + "attention", attended)]);

        var ffnIn = shape.PostSublayerNorm ? afterAttention
            : RmsNorm(graph, shape, weights, prefix + (shape.SandwichNorm ? "pre_feedforward_layernorm" : "post_attention_layernorm"), afterAttention);
        var gate = Linear(graph, weights, prefix + "mlp.gate_proj", ffnIn, shape.FfnDim, shape.ModelDim);
        var up = Linear(graph, weights, prefix + "mlp.up_proj", ffnIn, shape.FfnDim, shape.ModelDim);
        string activated;
        if (shape.Activation == ActivationKind.GeGluTanh)
        {
            var gelu = new NodeProto { OpType = "Gelu", Name = prefix + "mlp.gelu" };
            gelu.Input.Add(gate);
            gelu.Output.Add(gelu.Name);
            gelu.Attribute.Add(StringAttribute("approximate", "tanh"));
            graph.Node.Add(gelu);
            activated = gelu.Name;
        }
        else
        {
            var sigmoid = Node(graph, "Sigmoid", prefix + "mlp.sigmoid", [gate]);
            activated = Node(graph, "Mul", prefix + "mlp.silu", [gate, sigmoid]);
        }

        var gated = Node(graph, "Mul", prefix + "mlp.gated", [activated, up]);
        var down = Linear(graph, weights, prefix + "mlp.down_proj", gated, shape.ModelDim, shape.FfnDim);
        if (shape.SandwichNorm || shape.PostSublayerNorm)
        {
            down = RmsNorm(graph, shape, weights, prefix + "post_feedforward_layernorm", down);
        }

        return Node(graph, "Add", prefix + "mlp_residual", [afterAttention, ResidualBranch(graph, shape, prefix + "mlp", down)]);
    }

    /// <summary>The initializer holding Granite's residual multiplier, which every block's branches share.</summary>
    private const string ResidualMultiplierName = "residual.multiplier";

    /// <summary>A sublayer's output as it joins the residual: times Granite's residual_multiplier, if the shape has one.</summary>
    private static string ResidualBranch(GraphProto graph, DecoderShape shape, string name, string branch) =>
        shape.ResidualMultiplier > 0 ? Node(graph, "Mul", name + ".scaled", [branch, ResidualMultiplierName]) : branch;

    /// <summary>
    /// The RMSNormalization scale input for the gain <c>{name}.weight</c>: the gain itself, or for Gemma's norm
    /// <c>1 + gain</c> computed in the graph (an Add), so the graph holds the checkpoint's tensor as the model does.
    /// </summary>
    private static string NormScale(GraphProto graph, DecoderShape shape, IReadOnlyDictionary<string, float[]> weights, string name, int width)
    {
        graph.Initializer.Add(Tensor(name + ".weight", weights[name + ".weight"], width));
        return shape.Norm == NormKind.GemmaRmsNorm ? Node(graph, "Add", name + ".one_plus_weight", [GemmaNormOne, name + ".weight"]) : name + ".weight";
    }

    /// <summary><c>cap·tanh(x/cap)</c> from Div, Tanh and Mul, the cap a scalar initializer.</summary>
    private static string Softcap(GraphProto graph, string name, string input, float cap)
    {
        graph.Initializer.Add(Tensor(name + ".cap", [cap]));
        var scaled = Node(graph, "Div", name + ".div", [input, name + ".cap"]);
        var tanh = Node(graph, "Tanh", name + ".tanh", [scaled]);
        return Node(graph, "Mul", name, [tanh, name + ".cap"]);
    }

    /// <summary>
    /// Qwen3's per-head norm: [1, S, heads·HeadDim] reshaped to [1, S, heads, HeadDim], RMSNormalization over the last
    /// axis with the [HeadDim] gain, and reshaped back.
    /// </summary>
    private static string HeadNorm(GraphProto graph, DecoderShape shape, IReadOnlyDictionary<string, float[]> weights, string name, string input, int heads)
    {
        graph.Initializer.Add(Int64Tensor(name + ".heads_shape", 0, 0, heads, shape.HeadDim));
        graph.Initializer.Add(Int64Tensor(name + ".rows_shape", 0, 0, heads * shape.HeadDim));
        var scale = NormScale(graph, shape, weights, name, shape.HeadDim);
        var split = Node(graph, "Reshape", name + ".split", [input, name + ".heads_shape"]);
        var norm = new NodeProto { OpType = "RMSNormalization", Name = name + ".norm" };
        norm.Input.AddRange([split, scale]);
        norm.Output.Add(name + ".norm");
        norm.Attribute.Add(IntAttribute("axis", -1));
        norm.Attribute.Add(FloatAttribute("epsilon", shape.Epsilon));
        graph.Node.Add(norm);
        return Node(graph, "Reshape", name, [name + ".norm", name + ".rows_shape"]);
    }

    /// <summary>RotaryEmbedding on 3-D rows [1, S, heads·HeadDim], the tables <c>{tables}.cos</c>/<c>.sin</c> indexed by position_ids.</summary>
    private static string Rotary(GraphProto graph, DecoderShape shape, string name, string input, int heads, string tables)
    {
        var node = new NodeProto { OpType = "RotaryEmbedding", Name = name };
        node.Input.AddRange([input, tables + ".cos", tables + ".sin", "position_ids"]);
        node.Output.Add(name);
        node.Attribute.Add(IntAttribute("interleaved", 0)); // rotate-half: pair i is (x[i], x[i + r/2])
        node.Attribute.Add(IntAttribute("num_heads", heads));
        node.Attribute.Add(IntAttribute("rotary_embedding_dim", shape.RopeDim));
        graph.Node.Add(node);
        return name;
    }

    /// <summary>RMSNormalization over the last axis, <paramref name="width"/> wide (ModelDim when 0).</summary>
    private static string RmsNorm(GraphProto graph, DecoderShape shape, IReadOnlyDictionary<string, float[]> weights, string name, string input, int width = 0)
    {
        var scale = NormScale(graph, shape, weights, name, width > 0 ? width : shape.ModelDim);
        var node = new NodeProto { OpType = "RMSNormalization", Name = name };
        node.Input.AddRange([input, scale]);
        node.Output.Add(name);
        node.Attribute.Add(IntAttribute("axis", -1));
        node.Attribute.Add(FloatAttribute("epsilon", shape.Epsilon));
        graph.Node.Add(node);
        return name;
    }

    /// <summary>
    /// x·Wᵀ (+ b where the weights hold <c>{name}.bias</c>, as Qwen2's Q, K and V do): ONNX MatMul wants [in, out], so the
    /// PyTorch [out, in] weight is transposed into the initializer.
    /// </summary>
    private static string Linear(GraphProto graph, IReadOnlyDictionary<string, float[]> weights, string name, string input, int outDim, int inDim)
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
        if (!weights.TryGetValue(name + ".bias", out var bias))
        {
            return Node(graph, "MatMul", name, [input, name + ".weightT"]);
        }

        graph.Initializer.Add(Tensor(name + ".bias", bias, outDim));
        var product = Node(graph, "MatMul", name + ".matmul", [input, name + ".weightT"]);
        return Node(graph, "Add", name, [product, name + ".bias"]);
    }

    /// <summary>A node named after its single output.</summary>
    private static string Node(GraphProto graph, string opType, string name, string[] inputs)
    {
        var node = new NodeProto { OpType = opType, Name = name };
        node.Input.AddRange(inputs);
        node.Output.Add(name);
        graph.Node.Add(node);
        return name;
    }

    private static NodeProto Identity(string input, string output)
    {
        var node = new NodeProto { OpType = "Identity", Name = output };
        node.Input.Add(input);
        node.Output.Add(output);
        return node;
    }

    private static byte[] Model(GraphProto graph)
    {
        var model = new ModelProto { IrVersion = 10, ProducerName = "AttentionGen.Tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = OpsetVersion });
        return model.ToByteArray();
    }

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

    /// <summary>A 1-D int64 tensor of <paramref name="values"/>: a Reshape's target shape.</summary>
    private static TensorProto Int64Tensor(string name, params long[] values)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(values.Length);
        tensor.Int64Data.AddRange(values);
        return tensor;
    }

    private static AttributeProto IntAttribute(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    private static AttributeProto FloatAttribute(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    private static AttributeProto StringAttribute(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };
}
