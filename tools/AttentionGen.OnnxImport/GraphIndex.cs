using System.Buffers.Binary;
using System.Globalization;
using Onnx;

namespace AttentionGen.OnnxImport;

/// <summary>An ONNX graph indexed for walking: initializers and constants by name, each value's producer and consumers.</summary>
internal sealed class GraphIndex
{
    private readonly Dictionary<string, NodeProto> _producers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<NodeProto>> _consumers = new(StringComparer.Ordinal);
    private List<LinearLayer>? _linears;
    private HashSet<string>? _valuesOutputsAreComputedFrom;

    public GraphIndex(GraphProto graph, string source)
    {
        Source = source;
        Nodes = graph.Node;
        Outputs = graph.Output.Select(o => o.Name).ToList();
        foreach (var tensor in graph.Initializer)
        {
            if (!Initializers.TryAdd(tensor.Name, tensor))
            {
                throw BertOnnxImporter.Fail(source, $"two initializers are named '{tensor.Name}'.");
            }
        }

        foreach (var node in graph.Node)
        {
            foreach (var output in node.Output)
            {
                _producers[output] = node;
            }

            foreach (var input in node.Input.Where(i => i.Length > 0))
            {
                if (!_consumers.TryGetValue(input, out var list))
                {
                    _consumers[input] = list = [];
                }

                list.Add(node);
            }
        }
    }

    /// <summary>Names the model in error messages.</summary>
    public string Source { get; }

    public IReadOnlyList<NodeProto> Nodes { get; }

    /// <summary>The names of the graph's outputs.</summary>
    public IReadOnlyList<string> Outputs { get; }

    public Dictionary<string, TensorProto> Initializers { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Every Linear layer of the graph, in node order: each MatMul or Gemm that multiplies by an initializer, read as
    /// <see cref="LinearLayer"/> describes. The one place that knows how a Linear is spelled: the tensor mapping, the
    /// head count, the activation and the pooler are all read through it.
    /// </summary>
    /// <exception cref="OnnxImportException">Such a node is not a Linear as described; the message names it.</exception>
    public IReadOnlyList<LinearLayer> Linears => _linears ??= ReadLinears();

    /// <summary>The Linear layer <paramref name="node"/> multiplies in, or null when it multiplies no weight (attention's products).</summary>
    public LinearLayer? LinearOf(NodeProto node) => Linears.FirstOrDefault(l => ReferenceEquals(l.Product, node));

    /// <summary>The Linear layer that adds the bias <paramref name="bias"/>, or null when none does.</summary>
    public LinearLayer? LinearAdding(string bias) => Linears.FirstOrDefault(l => l.Bias.Name == bias);

    private List<LinearLayer> ReadLinears()
    {
        var linears = new List<LinearLayer>();
        var weights = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in Nodes.Where(LinearLayer.IsProduct))
        {
            if (ReadLinear(node) is not { } linear)
            {
                continue;
            }

            if (!weights.Add(linear.Weight.Name))
            {
                throw Fail($"initializer '{linear.Weight.Name}' is multiplied in by more than one node; a shared weight cannot be given one Hugging Face name.");
            }

            linears.Add(linear);
        }

        return linears;
    }

    /// <summary>The Linear layer whose product is <paramref name="node"/>, a MatMul or Gemm; null when it multiplies no initializer.</summary>
    private LinearLayer? ReadLinear(NodeProto node)
    {
        if (node.Input.Count >= 1 && Initializers.ContainsKey(node.Input[0]))
        {
            throw Fail($"{BertOnnxImporter.Describe(node)} takes initializer '{node.Input[0]}' as its left operand; a BERT export multiplies activations by weights on the right.");
        }

        if (node.Input.Count < 2 || !Initializers.TryGetValue(node.Input[1], out var weight))
        {
            return null; // activations times activations: the attention scores and the weighted sum of values.
        }

        BertOnnxImporter.RequireFloat(weight, Source);
        if (weight.Dims.Count != 2)
        {
            throw Fail($"{BertOnnxImporter.Describe(node)} multiplies by initializer '{weight.Name}' of shape [{string.Join(", ", weight.Dims)}]; a Linear weight has two dimensions.");
        }

        bool transposed = true;
        (TensorProto Tensor, string Output)? bias = null;
        if (node.OpType == "Gemm")
        {
            // alpha·A'·B' + beta·C: a Linear only with alpha = beta = 1 and A as it is; any other Gemm would give weights
            // computing something other than the graph. transB says only how the weight is stored.
            if (GemmAttributeOtherThanLinear(node) is { } attribute)
            {
                throw Fail($"{BertOnnxImporter.Describe(node)} multiplies by initializer '{weight.Name}' with {attribute}; a Linear layer is a Gemm with alpha = 1, " +
                    "beta = 1 and transA = 0, so the imported weights would not compute what the graph does.");
            }

            transposed = NodeAttributes.Int(node, "transB", 0, Source) == 0;
            if (node.Input.Count >= 3 && node.Input[2].Length > 0)
            {
                var c = node.Input[2];
                if (!Initializers.TryGetValue(c, out var tensor) || !IsNamedBias(tensor))
                {
                    throw Fail($"{BertOnnxImporter.Describe(node)} multiplies by initializer '{weight.Name}' and adds '{c}' as C, not a named one-dimensional " +
                        "'….bias' initializer, so the weight's Hugging Face name is unknown.");
                }

                bias = (tensor, node.Output[0]);
            }
        }

        var (biasTensor, output) = bias ?? BiasAddedTo(node, weight);
        var name = biasTensor.Name[..^".bias".Length];
        if (BertNames.IsHuggingFaceName(weight.Name) && weight.Name != name + ".weight")
        {
            throw Fail($"{BertOnnxImporter.Describe(node)} multiplies by initializer '{weight.Name}' and adds bias '{biasTensor.Name}'; a Linear's weight and bias " +
                "share their Hugging Face name, so which layer the weight belongs to is unclear.");
        }

        return new LinearLayer(node, name, weight, transposed, biasTensor, output);
    }

    /// <summary>
    /// The bias added to the output of <paramref name="product"/> (a MatMul, or a Gemm without C) and the value it is
    /// added into: the product's only consumer must be an <c>Add</c> whose other operand is a one-dimensional
    /// initializer named <c>….bias</c>.
    /// </summary>
    private (TensorProto Bias, string Output) BiasAddedTo(NodeProto product, TensorProto weight)
    {
        var what = $"{BertOnnxImporter.Describe(product)} multiplies by initializer '{weight.Name}'{(product.OpType == "Gemm" ? " without a bias input C" : "")}";
        var consumers = Consumers(product.Output[0]);
        if (consumers.Count != 1 || consumers[0].OpType != "Add")
        {
            throw Fail($"{what}, but its output feeds " +
                (consumers.Count == 0 ? "nothing" : string.Join(", ", consumers.Select(BertOnnxImporter.Describe))) +
                " rather than one Add with a named bias (a BertModel Linear always has one), so the weight's Hugging Face name is unknown.");
        }

        var add = consumers[0];
        var other = add.Input.FirstOrDefault(i => i != product.Output[0]);
        if (other is null || !Initializers.TryGetValue(other, out var bias) || !IsNamedBias(bias))
        {
            throw Fail($"{what}, but {BertOnnxImporter.Describe(add)} adds " +
                $"'{other}' to its output, not a named one-dimensional '….bias' initializer, so the weight's Hugging Face name is unknown.");
        }

        return (bias, add.Output[0]);
    }

    private static bool IsNamedBias(TensorProto tensor) =>
        tensor.Dims.Count == 1 && tensor.Name.EndsWith(".bias", StringComparison.Ordinal) && BertNames.IsHuggingFaceName(tensor.Name);

    /// <summary>
    /// Heads and head size, read from the Reshape that splits the query (the output of the Linear that adds
    /// <paramref name="queryBias"/>) into [batch, sequence, heads, head size] and then transposed (the heads moved ahead
    /// of the tokens). Reshapes on the way that do not split heads (a Gemm's [batch·sequence, hidden] product reshaped
    /// back to [batch, sequence, hidden]) are followed. Only the transpose tells the split from such a reshape back:
    /// a back-reshape target such as [1, −1, hidden] also ends in two numbers, and read as a split it would import the
    /// model as one head of the whole hidden size.
    /// </summary>
    public (int Heads, int HeadSize) HeadSplit(string queryBias)
    {
        var query = LinearAdding(queryBias)
            ?? throw Fail($"no Linear (a MatMul or Gemm by a weight) adds '{queryBias}', so the head count is unknown.");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Queue<string>([query.Output]);
        while (pending.TryDequeue(out var value))
        {
            if (!seen.Add(value))
            {
                continue;
            }

            foreach (var reshape in Consumers(value).Where(n => n.OpType == "Reshape" && n.Input.Count == 2 && n.Input[0] == value))
            {
                if (HeadSplitTarget(reshape.Input[1]) is { } split && Consumers(reshape.Output[0]) is { Count: > 0 } next && next.All(n => n.OpType == "Transpose"))
                {
                    return split;
                }

                pending.Enqueue(reshape.Output[0]);
            }
        }

        throw Fail($"no Reshape with a constant [heads, head size] splits the query after {BertOnnxImporter.Describe(query.Product)} and the bias " +
            $"'{queryBias}', so the head count is unknown.");
    }

    /// <summary>
    /// The epsilon of every LayerNorm, which must agree: the attribute of a <c>LayerNormalization</c> node, or, when
    /// LayerNorm is spelled out, the constant in (x − mean) / Sqrt(ReduceMean(…) + ε) · weight. Each LayerNorm must
    /// normalize over the last axis alone, as BertModel's does over the hidden size, and one spelled out must take the
    /// mean out and divide by the variance of what is left (<see cref="RequireLayerNormMoments"/>).
    /// </summary>
    public double LayerNormEpsilon()
    {
        var epsilons = new Dictionary<string, float>(StringComparer.Ordinal);
        foreach (var weight in Initializers.Keys.Where(n => n.EndsWith("LayerNorm.weight", StringComparison.Ordinal)))
        {
            epsilons[weight] = LayerNormEpsilon(weight);
        }

        if (epsilons.Count == 0)
        {
            throw Fail("no initializer is named '….LayerNorm.weight', so the LayerNorm epsilon cannot be read.");
        }

        var distinct = epsilons.Values.Distinct().ToList();
        if (distinct.Count > 1)
        {
            throw Fail($"the LayerNorms use different epsilons ({string.Join(", ", epsilons.Select(e => $"{e.Key}: {e.Value:R}"))}); one config value cannot hold them.");
        }

        // The graph holds a float32; its shortest decimal (1E-12) is the value the model was written with.
        return double.Parse(distinct[0].ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }

    private float LayerNormEpsilon(string weight)
    {
        foreach (var node in Consumers(weight))
        {
            if (node.OpType == "LayerNormalization" && node.Input.Count >= 2 && node.Input[1] == weight)
            {
                // axis is where the normalized dimensions start: only −1 is the hidden size alone whatever the input's
                // rank, which the graph does not tell (the value infos that declare shapes are not checked against it).
                var axis = NodeAttributes.Int(node, "axis", -1, Source);
                if (axis != -1)
                {
                    throw Fail($"{BertOnnxImporter.Describe(node)} (the LayerNorm scaled by '{weight}') normalizes from axis {axis.ToString(CultureInfo.InvariantCulture)}; " +
                        $"the importer reads only axis −1{OnlyTheLastAxis}");
                }

                return NodeAttributes.Float(node, "epsilon", 1e-5f, Source);
            }

            if (node.OpType != "Mul")
            {
                continue;
            }

            var normalized = Producer(node.Input.First(i => i != weight));
            var sqrt = normalized is { OpType: "Div" } ? Producer(normalized.Input[1]) : null;
            var sum = sqrt is { OpType: "Sqrt" } ? Producer(sqrt.Input[0]) : null;
            if (sum is { OpType: "Add" } && sum.Input.Select(Producer).FirstOrDefault(p => p is { OpType: "ReduceMean" }) is { } variance)
            {
                var constant = sum.Input.Select(ScalarFloat).FirstOrDefault(v => v is not null);
                if (constant is { } epsilon)
                {
                    RequireLayerNormMoments(weight, normalized!, variance);
                    return epsilon;
                }
            }
        }

        throw Fail($"'{weight}' is not the scale of a LayerNormalization node nor of the spelled-out (x − mean) / Sqrt(ReduceMean((x − mean)²) + ε), so its epsilon cannot be read.");
    }

    /// <summary>Why only the last axis is read, after "the importer reads only axis −1" or "axes [−1]".</summary>
    private const string OnlyTheLastAxis = ", the hidden size alone, which BertModel normalizes over (the graph does not tell the input's rank, " +
        "so no other axis can be known to be the last).";

    /// <summary>
    /// Refuses a spelled-out LayerNorm, (x − mean) / Sqrt(variance + ε) as <paramref name="div"/> divides, that is not
    /// BertModel's: the numerator must be x − ReduceMean(x), <paramref name="variance"/> must average its square (Pow by
    /// 2, or a Mul by itself), and both ReduceMeans must reduce over the last axis alone. RMSNorm's x / Sqrt(mean(x²) + ε),
    /// a variance of x rather than of x − mean, or a mean over the tokens would otherwise import as a LayerNorm over the
    /// hidden size.
    /// </summary>
    private void RequireLayerNormMoments(string weight, NodeProto div, NodeProto variance)
    {
        var layerNorm = $"the LayerNorm scaled by '{weight}'";
        var centered = div.Input[0];
        var sub = Producer(centered);
        if (sub is not { OpType: "Sub", Input.Count: 2 } || Producer(sub.Input[1]) is not { OpType: "ReduceMean" } mean || mean.Input[0] != sub.Input[0])
        {
            throw Fail($"{layerNorm} divides {(sub is null ? $"'{centered}'" : $"the output of {BertOnnxImporter.Describe(sub)}")}, not x − ReduceMean(x), " +
                $"by the standard deviation ({BertOnnxImporter.Describe(div)}); a LayerNorm takes the mean out first, so the imported model would not compute what the graph does.");
        }

        var squared = Producer(variance.Input[0]);
        var isSquare = squared is { OpType: "Pow", Input.Count: 2 } && squared.Input[0] == centered && (ScalarFloat(squared.Input[1]) == 2 || Int64Constant(squared.Input[1]) is [2])
            || squared is { OpType: "Mul", Input.Count: 2 } && squared.Input[0] == centered && squared.Input[1] == centered;
        if (!isSquare)
        {
            throw Fail($"{BertOnnxImporter.Describe(variance)}, the variance of {layerNorm}, averages " +
                $"{(squared is null ? $"'{variance.Input[0]}'" : BertOnnxImporter.Describe(squared))}, not the square of the centered x − mean ('{centered}'), " +
                "so it is not the variance a LayerNorm divides by.");
        }

        RequireLastAxis(mean, $"the mean of {layerNorm}");
        RequireLastAxis(variance, $"the variance of {layerNorm}");
    }

    /// <summary>
    /// Refuses a ReduceMean of a spelled-out LayerNorm (<paramref name="role"/>) that reduces other axes than the last
    /// alone. Its axes are an attribute up to opset 17 and an optional second input from 18; with none it reduces every
    /// axis (or, with noop_with_empty_axes, none).
    /// </summary>
    private void RequireLastAxis(NodeProto reduceMean, string role)
    {
        var where = $"{BertOnnxImporter.Describe(reduceMean)}, {role},";
        long[]? axes;
        if (reduceMean.Input.Count >= 2 && reduceMean.Input[1].Length > 0)
        {
            axes = Int64Constant(reduceMean.Input[1])
                ?? throw Fail($"{where} takes its axes from '{reduceMean.Input[1]}', which is not a constant, so which axes it reduces is unknown.");
        }
        else
        {
            axes = NodeAttributes.Ints(reduceMean, "axes", Source);
        }

        if (axes is [-1])
        {
            return;
        }

        var shown = axes is not (null or [])
            ? $"axes [{string.Join(", ", axes)}]"
            : NodeAttributes.Int(reduceMean, "noop_with_empty_axes", 0, Source) != 0 ? "no axis (it has no axes, and noop_with_empty_axes)" : "every axis (it has no axes)";
        throw Fail($"{where} reduces over {shown}; the importer reads only axes [−1]{OnlyTheLastAxis}");
    }

    /// <summary>The ops of x · ½(1 + erf(x/√2)) as exporters spell it.</summary>
    private static readonly HashSet<string> ErfGeluOps = new(["Div", "Mul", "Add", "Erf"], StringComparer.Ordinal);

    /// <summary>The ops of x · ½(1 + tanh(√(2/π)(x + 0.044715x³))) as exporters spell it.</summary>
    private static readonly HashSet<string> TanhGeluOps = new(["Pow", "Mul", "Add", "Tanh"], StringComparer.Ordinal);

    /// <summary>
    /// The feed-forward activation by its Hugging Face name, from the ops between the output of the Linear that adds
    /// <paramref name="intermediateBias"/> and the next product (MatMul or Gemm). A Reshape right after that output (a
    /// Gemm's product reshaped back to [batch, sequence, out]) or right before the next product (flattening for its
    /// Gemm), and Shape nodes (which read no values), are no part of the activation.
    /// </summary>
    public string FeedForwardActivation(string intermediateBias)
    {
        var intermediate = LinearAdding(intermediateBias)
            ?? throw Fail($"no Linear (a MatMul or Gemm by a weight) adds '{intermediateBias}', so the feed-forward activation cannot be read.");
        var start = intermediate.Output;
        while (Consumers(start) is [{ OpType: "Reshape" } reshape] && reshape.Input[0] == start)
        {
            start = reshape.Output[0];
        }

        var seen = new HashSet<NodeProto>();
        var queue = new Queue<NodeProto>(Consumers(start));
        var ops = new List<NodeProto>();
        while (queue.Count > 0 && seen.Count < 32)
        {
            var node = queue.Dequeue();
            if (!seen.Add(node) || LinearLayer.IsProduct(node) || node.OpType == "Shape" || (node.OpType == "Reshape" && FeedsOnlyProducts(node.Output[0])))
            {
                continue;
            }

            ops.Add(node);
            foreach (var next in node.Output.SelectMany(Consumers))
            {
                queue.Enqueue(next);
            }
        }

        // Every op between the Linear and the next product must belong to one activation's spelling, so an activation
        // the importer does not know (mish is Softplus, Tanh and Mul) is refused rather than named after one of its ops.
        var between = ops.Select(n => n.OpType).ToHashSet(StringComparer.Ordinal);
        var gelu = ops.FirstOrDefault(n => n.OpType is "Gelu" or "FastGelu");
        if (gelu is not null && between.Count == 1)
        {
            if (gelu.OpType == "FastGelu")
            {
                return "gelu_new";
            }

            return NodeAttributes.String(gelu, "approximate", "none", Source) switch
            {
                "none" => "gelu",
                "tanh" => "gelu_new",
                var other => throw Fail($"{BertOnnxImporter.Describe(gelu)}, the feed-forward activation after '{intermediateBias}', has approximate = '{other}'; " +
                    "ONNX's Gelu knows 'none' (gelu) and 'tanh' (gelu_new)."),
            };
        }

        if (between.Contains("Erf") && between.IsSubsetOf(ErfGeluOps))
        {
            return "gelu";
        }

        if (between.Contains("Tanh") && between.IsSubsetOf(TanhGeluOps))
        {
            return "gelu_new";
        }

        if (between.SetEquals(["Relu"]))
        {
            return "relu";
        }

        throw Fail($"the feed-forward activation after '{intermediateBias}' is not understood (ops: {string.Join(", ", ops.Select(n => n.OpType))}); " +
            "expected exactly the ops of gelu (Erf with Div, Mul and Add, or Gelu), gelu_new (Tanh with Pow, Mul and Add, or FastGelu) or relu (Relu).");
    }

    /// <summary>Whether every node reading <paramref name="value"/> is a product, or a Reshape of it whose output is read only by products.</summary>
    private bool FeedsOnlyProducts(string value)
    {
        var readers = Consumers(value);
        return readers.Count > 0 && readers.All(n => LinearLayer.IsProduct(n) || (n.OpType == "Reshape" && n.Input[0] == value && FeedsOnlyProducts(n.Output[0])));
    }

    /// <summary>
    /// Refuses position embeddings gathered at positions computed from the token ids' values. BERT looks them up at 0, 1,
    /// 2, … (a slice of its position_ids buffer, which needs only the ids' shape); RoBERTa and XLM-R count the non-padding
    /// tokens from the padding id + 1 (Equal, CumSum, Add on the ids), under the same tensor names, so their weights would
    /// import and give wrong outputs.
    /// </summary>
    public void RequirePositionsIndependentOfTokenValues(string wordEmbeddings, string positionEmbeddings)
    {
        var tokenIds = Consumers(wordEmbeddings).Where(n => n.OpType == "Gather" && n.Input.Count == 2).Select(n => n.Input[1]).ToHashSet(StringComparer.Ordinal);
        var pending = new Stack<string>(Consumers(positionEmbeddings).Where(n => n.OpType == "Gather" && n.Input.Count == 2 && n.Input[0] == positionEmbeddings).Select(n => n.Input[1]));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (pending.TryPop(out var value))
        {
            if (!seen.Add(value) || Producer(value) is not { } node || node.OpType == "Shape")
            {
                continue; // an input, an initializer, or only the shape of what it reads
            }

            var fromIds = node.Input.FirstOrDefault(tokenIds.Contains);
            if (fromIds is not null)
            {
                throw Fail($"the position embeddings are looked up at positions computed from the values of '{fromIds}' " +
                    $"({BertOnnxImporter.Describe(node)} reads them), as RoBERTa and XLM-R number positions from the padding id + 1; " +
                    "the importer reads BERT graphs, whose positions are 0, 1, 2, …");
            }

            foreach (var input in node.Input.Where(i => i.Length > 0))
            {
                pending.Push(input);
            }
        }
    }

    /// <summary>
    /// Refuses <paramref name="tensor"/>, which the import would write as the BertModel tensor <paramref name="hfName"/>,
    /// when no graph output is computed from its values: no node reads it, or only nodes whose results reach no output
    /// (or reach one only through a <c>Shape</c> or <c>Size</c>, which read no values). The BertModel the import writes
    /// would use it where the graph does not: token type row 0 added to every token, a LayerNorm scale or shift, a
    /// pooler. A tensor read through an <c>Identity</c> or <c>Cast</c> on the way to an output is used; how it is used
    /// is for the readers of each part of the graph to check.
    /// </summary>
    public void RequireUsed(TensorProto tensor, string hfName)
    {
        _valuesOutputsAreComputedFrom ??= ValuesLeadingTo(Outputs, throughShapes: false);
        if (_valuesOutputsAreComputedFrom.Contains(tensor.Name))
        {
            return;
        }

        var readers = Consumers(tensor.Name);
        var why = readers.Count == 0
            ? "no node reads it"
            : $"only {string.Join(", ", readers.Select(BertOnnxImporter.Describe))} read{(readers.Count == 1 ? "s" : "")} it, and no graph output depends on the values {(readers.Count == 1 ? "it computes" : "they compute")}";
        throw Fail($"initializer '{tensor.Name}'{(tensor.Name == hfName ? "" : $" (which would be '{hfName}')")} is never used by the graph: {why}; " +
            "a BertModel would use it, so the imported model would compute something other than the graph.");
    }

    /// <summary>What a value between the last encoder layer and the graph's outputs holds, in BertModel's terms.</summary>
    private enum Tail
    {
        /// <summary>The last hidden state, [batch, sequence, hidden]: the output of the last layer's LayerNorm.</summary>
        LastHiddenState,

        /// <summary>Token 0 sliced out with its axis kept, [batch, 1, hidden], for a Squeeze of that axis to drop.</summary>
        FirstTokenKept,

        /// <summary>Token 0's hidden state, [batch, hidden]: the pooler's input.</summary>
        FirstToken,

        /// <summary><c>pooler.dense</c> applied to token 0, before the pooler's Tanh.</summary>
        PoolerDense,

        /// <summary>The pooler output: Tanh of <c>pooler.dense</c> applied to token 0.</summary>
        PoolerOutput,
    }

    /// <summary>
    /// Refuses a graph that computes anything after the last encoder layer but what <c>BertModel</c> does there: every
    /// graph output reached from the output of <paramref name="lastLayerNorm"/> must be that last hidden state itself or
    /// the pooler's (token 0, by a Gather or a Slice and Squeeze, through <c>pooler.dense</c>, a <see cref="LinearLayer"/>,
    /// then Tanh), each possibly through Identity nodes. The weights say nothing about such ops
    /// (a Softplus, a Mul by a constant, mean pooling), so an import that ignored them would give a model computing
    /// something other than the graph. Nodes whose values reach no graph output change nothing and are not looked at.
    /// </summary>
    public void RequireNothingAfterTheEncoderButThePooler(string lastLayerNorm)
    {
        var start = LayerNormOutput(lastLayerNorm);
        var outputs = Outputs.ToHashSet(StringComparer.Ordinal);
        var leadsToOutput = ValuesLeadingTo(outputs);
        var where = $"after the last encoder layer (the output of '{lastLayerNorm}')";
        int reached = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Queue<(string Value, Tail Holds)>([(start, Tail.LastHiddenState)]);
        while (pending.TryDequeue(out var item))
        {
            var (value, holds) = item;
            if (!seen.Add(value))
            {
                continue;
            }

            if (outputs.Contains(value))
            {
                if (holds is not (Tail.LastHiddenState or Tail.PoolerOutput))
                {
                    var producer = Producer(value);
                    throw Fail($"graph output '{value}' is {Describe(holds)} {where}" +
                        (producer is null ? "" : $", as {BertOnnxImporter.Describe(producer)} leaves it") +
                        "; a BertModel outputs only the last hidden state and the pooler output (after its Tanh).");
                }

                reached++;
            }

            foreach (var node in Consumers(value).Where(n => n.Output.Any(leadsToOutput.Contains)).Distinct())
            {
                var next = TailStep(node, value, holds)
                    ?? throw Fail($"{BertOnnxImporter.Describe(node)} reads {Describe(holds)} {where}, on the way to output " +
                        $"{string.Join(", ", OutputsReachedFrom(node, outputs).Select(o => $"'{o}'"))}; a BertModel computes nothing there but its pooler " +
                        "(token 0 through pooler.dense and Tanh), so the imported model would not compute what the graph does.");
                pending.Enqueue(next);
            }
        }

        if (reached == 0)
        {
            throw Fail($"no graph output is computed from the output of '{lastLayerNorm}', the last encoder layer's, so the graph's outputs are not a BertModel's.");
        }
    }

    private static string Describe(Tail holds) => holds switch
    {
        Tail.LastHiddenState => "the last hidden state",
        Tail.FirstTokenKept or Tail.FirstToken => "token 0's hidden state",
        Tail.PoolerDense => "the pooler's dense output before its Tanh",
        _ => "the pooler output",
    };

    /// <summary>Where <paramref name="node"/>, reading <paramref name="value"/>, takes the BertModel tail; null when it is no step of it.</summary>
    private (string Value, Tail Holds)? TailStep(NodeProto node, string value, Tail holds)
    {
        if (node.Input.Count == 0 || node.Input[0] != value || node.Input.Skip(1).Contains(value) || node.Output.Count != 1)
        {
            return null;
        }

        var output = node.Output[0];
        return (holds, node.OpType) switch
        {
            (_, "Identity") => (output, holds),
            (Tail.LastHiddenState, "Gather") when node.Input.Count == 2 && IsTokenAxis(NodeAttributes.Int(node, "axis", 0, Source)) && ConstantTensor(node.Input[1]) is { Dims.Count: 0 } index
                && Int64Values(index) is [0] => (output, Tail.FirstToken),
            (Tail.LastHiddenState, "Slice") when node.Input.Count is 4 or 5 && Int64Constant(node.Input[1]) is [0] && Int64Constant(node.Input[2]) is [1]
                && Int64Constant(node.Input[3]) is [var axis] && IsTokenAxis(axis) && (node.Input.Count == 4 || Int64Constant(node.Input[4]) is [1]) => (output, Tail.FirstTokenKept),
            (Tail.FirstTokenKept, "Squeeze") when (node.Input.Count == 2 ? Int64Constant(node.Input[1]) : NodeAttributes.Ints(node, "axes", Source)) is [var axis]
                && IsTokenAxis(axis) => (output, Tail.FirstToken),
            (Tail.FirstToken, "MatMul" or "Gemm") when LinearOf(node) is { Name: "pooler.dense" } pooler => (pooler.Output, Tail.PoolerDense),
            (Tail.PoolerDense, "Tanh") => (output, Tail.PoolerOutput),
            _ => null,
        };

        // Axis 1 of the [batch, sequence, hidden] last hidden state, however it is counted.
        static bool IsTokenAxis(long axis) => axis is 1 or -2;
    }

    /// <summary>
    /// The attribute that keeps <paramref name="gemm"/>, alpha·A'·B' + beta·C, from being a Linear layer's x·Wᵀ + b, as
    /// "alpha = 0.5"; null when there is none. A Linear is a Gemm with alpha = 1, beta = 1 and transA = 0, each written
    /// so or left to that default (transB only says how the weight is stored). Each is read by its declared type
    /// (<see cref="NodeAttributes"/>: alpha stored as INT 1 is 1), and a name given twice is refused.
    /// </summary>
    private string? GemmAttributeOtherThanLinear(NodeProto gemm)
    {
        foreach (var name in (string[])["alpha", "beta", "transA"])
        {
            if (NodeAttributes.Find(gemm, name, Source) is not { } attribute)
            {
                continue;
            }

            if (name == "transA")
            {
                var transA = NodeAttributes.Int(gemm, attribute, Source);
                if (transA != 0)
                {
                    return $"transA = {transA.ToString(CultureInfo.InvariantCulture)}";
                }
            }
            else
            {
                var factor = NodeAttributes.Float(gemm, attribute, Source);
                if (factor != 1)
                {
                    return $"{name} = {factor.ToString("R", CultureInfo.InvariantCulture)}" +
                        (attribute.Type == AttributeProto.Types.AttributeType.Int ? " (stored as an INT)" : "");
                }
            }
        }

        return null;
    }

    /// <summary>The value a LayerNorm writes: the Add of its bias when spelled out, or the LayerNormalization node's output.</summary>
    private string LayerNormOutput(string layerNorm)
    {
        var bias = layerNorm + ".bias";
        var readers = Consumers(bias);
        if (readers is [{ OpType: "Add" or "LayerNormalization" } node] && node.Output.Count >= 1)
        {
            return node.Output[0];
        }

        throw Fail($"'{bias}' is not read by one Add or LayerNormalization node, so where the last encoder layer's output goes cannot be followed.");
    }

    /// <summary>
    /// Every value some graph output is computed from, the outputs included; without <paramref name="throughShapes"/>,
    /// not the values only a <c>Shape</c> or <c>Size</c> reads (their results depend on no value of what they read).
    /// </summary>
    private HashSet<string> ValuesLeadingTo(IEnumerable<string> outputs, bool throughShapes = true)
    {
        var values = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>(outputs);
        while (pending.TryPop(out var value))
        {
            if (values.Add(value) && Producer(value) is { } node && (throughShapes || node.OpType is not ("Shape" or "Size")))
            {
                foreach (var input in node.Input.Where(i => i.Length > 0))
                {
                    pending.Push(input);
                }
            }
        }

        return values;
    }

    /// <summary>The graph outputs computed from <paramref name="node"/>'s outputs, in the graph's order.</summary>
    private List<string> OutputsReachedFrom(NodeProto node, HashSet<string> outputs)
    {
        var values = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>(node.Output);
        while (pending.TryPop(out var value))
        {
            if (values.Add(value))
            {
                foreach (var next in Consumers(value).SelectMany(n => n.Output))
                {
                    pending.Push(next);
                }
            }
        }

        return Outputs.Where(values.Contains).ToList();
    }

    public IReadOnlyList<NodeProto> Consumers(string value) => _consumers.TryGetValue(value, out var list) ? list : [];

    public NodeProto? Producer(string value) => _producers.GetValueOrDefault(value);

    /// <summary>
    /// The heads and head size a Reshape target ends in, [.., heads, head size], with at least one dimension before
    /// them: a constant of three or more values, or a Concat of three or more operands whose last two are one-element
    /// constants. Null for any other target (a [batch·sequence, hidden] flattening, a shape read from another value).
    /// </summary>
    private (int Heads, int HeadSize)? HeadSplitTarget(string value)
    {
        if (Int64Constant(value) is { Length: >= 3 } constant)
        {
            return (checked((int)constant[^2]), checked((int)constant[^1]));
        }

        if (Producer(value) is { OpType: "Concat" } concat && concat.Input.Count >= 3
            && Int64Constant(concat.Input[^2]) is [var heads] && Int64Constant(concat.Input[^1]) is [var headSize])
        {
            return (checked((int)heads), checked((int)headSize));
        }

        return null;
    }

    private long[]? Int64Constant(string value) => ConstantTensor(value) is { } tensor ? Int64Values(tensor) : null;

    private float? ScalarFloat(string value)
    {
        if (ConstantTensor(value) is not { DataType: (int)TensorProto.Types.DataType.Float } tensor || tensor.Dims.Aggregate(1L, (a, b) => a * b) != 1)
        {
            return null;
        }

        return tensor.RawData.Length == 4 ? BinaryPrimitives.ReadSingleLittleEndian(tensor.RawData.Span) : tensor.FloatData.Count == 1 ? tensor.FloatData[0] : null;
    }

    /// <summary>The tensor behind an initializer or a <c>Constant</c> node's output.</summary>
    private TensorProto? ConstantTensor(string value)
    {
        if (Initializers.TryGetValue(value, out var initializer))
        {
            return initializer;
        }

        if (Producer(value) is { OpType: "Constant" } constant)
        {
            // A Constant holds exactly one attribute, the value, read by its declared type like any other attribute.
            if (constant.Attribute is not [var attribute])
            {
                return null;
            }

            return attribute.Name switch
            {
                "value" => NodeAttributes.Tensor(constant, attribute, Source),
                "value_float" => new TensorProto { DataType = (int)TensorProto.Types.DataType.Float, FloatData = { NodeAttributes.Float(constant, attribute, Source) } },
                "value_int" => new TensorProto { DataType = (int)TensorProto.Types.DataType.Int64, Int64Data = { NodeAttributes.Int(constant, attribute, Source) } },
                "value_ints" => Int64Vector(NodeAttributes.Ints(constant, attribute, Source)),
                _ => null,
            };
        }

        return null;

        static TensorProto Int64Vector(long[] values) =>
            new() { DataType = (int)TensorProto.Types.DataType.Int64, Dims = { values.Length }, Int64Data = { values } };
    }

    /// <summary>The values of an INT64 or INT32 tensor, or null for another dtype.</summary>
    public static long[]? Int64Values(TensorProto tensor)
    {
        var span = tensor.RawData.Span;
        return tensor.DataType switch
        {
            (int)TensorProto.Types.DataType.Int64 when !span.IsEmpty =>
                Enumerable.Range(0, span.Length / 8).Select(i => BinaryPrimitives.ReadInt64LittleEndian(tensor.RawData.Span[(i * 8)..])).ToArray(),
            (int)TensorProto.Types.DataType.Int64 => tensor.Int64Data.ToArray(),
            (int)TensorProto.Types.DataType.Int32 when !span.IsEmpty =>
                Enumerable.Range(0, span.Length / 4).Select(i => (long)BinaryPrimitives.ReadInt32LittleEndian(tensor.RawData.Span[(i * 4)..])).ToArray(),
            (int)TensorProto.Types.DataType.Int32 => tensor.Int32Data.Select(v => (long)v).ToArray(),
            _ => null,
        };
    }

    private OnnxImportException Fail(string problem) => BertOnnxImporter.Fail(Source, problem);
}
