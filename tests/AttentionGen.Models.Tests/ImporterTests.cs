using AttentionGen.Models.Tests.Onnx;
using AttentionGen.Models.Tests.Ort;
using AttentionGen.Models.Tests.Reference;
using AttentionGen.OnnxImport;
using Google.Protobuf;
using Onnx;

namespace AttentionGen.Models.Tests;

/// <summary>The importer on tiny BERT graphs built in the test: what it reads, what it writes, and how it refuses.</summary>
public sealed class ImporterTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("attentiongen-import-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Tiny_model_imports_to_the_weights_it_was_built_from()
    {
        var options = new TinyBertOptions(Layers: 2, Hidden: 8, Heads: 2, FeedForward: 16, Vocabulary: 20, Positions: 10, TokenTypes: 2, Epsilon: 1e-5f);
        var tiny = TinyBertOnnx.Build(options);
        var progress = new List<ImportProgress>();
        var config = Import(tiny, new SynchronousProgress(progress.Add));

        Assert.Equal(new BertConfig(2, 8, 2, 16, 20, 10, 2, 1e-5, "gelu"), config);
        Assert.Equal(config, BertConfig.FromJson(File.ReadAllText(Path.Combine(_directory, "model.config.json"))));
        int tensors = AssertHoldsExactly(tiny, BertNames.Expected(config));

        Assert.Equal(ImportStage.Read, progress[0].Stage);
        Assert.Equal(ImportStage.Written, progress[^1].Stage);
        Assert.Equal(Enumerable.Range(1, tensors), progress.Where(p => p.Stage == ImportStage.Converted).Select(p => p.Completed));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Reference_matches_ORT_on_the_tiny_model_with_padding(bool gemmAttentionOutput)
    {
        var tiny = TinyBertOnnx.Build(new TinyBertOptions(Seed: 7, GemmAttentionOutput: gemmAttentionOutput));
        var config = Import(tiny);
        var reference = BertReference.Load(Path.Combine(_directory, "model.safetensors"), Path.Combine(_directory, "model.config.json"));
        using var ort = new OrtBert(tiny.ToBytes());
        int[][] sequences = [[1, 5, 9, 3, 2], [1, 7, 2]];
        int[][] types = [[0, 0, 1, 1, 1], [0, 1, 1]];
        var batch = ort.Run(sequences, types);
        for (int b = 0; b < sequences.Length; b++)
        {
            var ids = new int[batch.Length];
            var paddedTypes = new int[batch.Length];
            sequences[b].CopyTo(ids, 0);
            types[b].CopyTo(paddedTypes, 0);
            var expected = reference.Forward(ids, paddedTypes, batch.Mask(b));
            Assert.InRange(TensorComparison.RelativeToMax(batch.Sequence(b), expected), 0, 1e-5);
        }

        Assert.Equal(8, config.Hidden);
    }

    [Fact]
    public void Scalars_folded_into_initializers_are_read_as_constants()
    {
        // As an export with constant folding writes them: every float Constant node becomes an initializer.
        var tiny = TinyBertOnnx.Build(new TinyBertOptions(Epsilon: 1e-6f));
        var graph = tiny.Model.Graph;
        var constants = graph.Node.Where(n => n.OpType == "Constant" && n.Attribute[0].T.DataType == (int)TensorProto.Types.DataType.Float).ToList();
        Assert.NotEmpty(constants);
        foreach (var constant in constants)
        {
            var value = constant.Attribute[0].T.Clone();
            value.Name = constant.Output[0];
            graph.Initializer.Add(value);
            graph.Node.Remove(constant);
        }

        var config = Import(tiny);
        Assert.Equal(1e-6, config.LayerNormEpsilon);
        Assert.Equal("gelu", config.Activation);
    }

    [Fact]
    public void An_unknown_named_initializer_is_refused_by_name()
    {
        var tiny = TinyBertOnnx.Build(new TinyBertOptions());
        tiny.Model.Graph.Initializer.Add(FloatInitializer("encoder.layer.0.attention.self.rotary.weight", 8));
        var error = ImportFails(tiny);
        Assert.Contains("'encoder.layer.0.attention.self.rotary.weight'", error.Message);
        Assert.Contains("cannot be mapped", error.Message);
    }

    [Fact]
    public void An_anonymous_initializer_no_MatMul_uses_is_refused_by_name()
    {
        var tiny = TinyBertOnnx.Build(new TinyBertOptions());
        tiny.Model.Graph.Initializer.Add(FloatInitializer("4242", 8, 8));
        var error = ImportFails(tiny);
        Assert.Contains("'4242'", error.Message);
        Assert.Contains("cannot be mapped", error.Message);
    }

    [Fact]
    public void A_MatMul_weight_without_a_bias_Add_is_refused()
    {
        var tiny = TinyBertOnnx.Build(new TinyBertOptions());
        var graph = tiny.Model.Graph;

        // Layer 1's value projection loses its bias: the Add goes, the MatMul's output takes its place.
        var add = graph.Node.Single(n => n.OpType == "Add" && n.Input.Contains("encoder.layer.1.attention.self.value.bias"));
        var matMul = graph.Node.Single(n => n.OpType == "MatMul" && add.Input.Contains(n.Output[0]));
        matMul.Output[0] = add.Output[0];
        graph.Node.Remove(add);
        var bias = graph.Initializer.Single(t => t.Name == "encoder.layer.1.attention.self.value.bias");
        graph.Initializer.Remove(bias);

        var error = ImportFails(tiny);
        Assert.Contains($"MatMul '{matMul.Name}'", error.Message);
        Assert.Contains($"'{matMul.Input[1]}'", error.Message);
        Assert.Contains("named bias", error.Message);
    }

    [Fact]
    public void A_missing_tensor_is_named()
    {
        var tiny = TinyBertOnnx.Build(new TinyBertOptions());
        var graph = tiny.Model.Graph;
        graph.Initializer.Remove(graph.Initializer.Single(t => t.Name == "encoder.layer.1.output.LayerNorm.bias"));
        var error = ImportFails(tiny);
        Assert.Contains("'encoder.layer.1.output.LayerNorm.bias' [8] is missing", error.Message);
    }

    [Fact]
    public void A_misshapen_tensor_is_named_with_both_shapes()
    {
        var tiny = TinyBertOnnx.Build(new TinyBertOptions());
        var graph = tiny.Model.Graph;
        var index = graph.Initializer.IndexOf(graph.Initializer.Single(t => t.Name == "encoder.layer.0.intermediate.dense.bias"));
        graph.Initializer[index] = FloatInitializer("encoder.layer.0.intermediate.dense.bias", 12);
        var error = ImportFails(tiny);
        Assert.Contains("'encoder.layer.0.intermediate.dense.weight'", error.Message);
        Assert.Contains("so its shape is [16, 8]", error.Message);
        Assert.Contains("[12, 8]", error.Message);
    }

    [Fact]
    public void A_non_float_weight_is_refused_with_its_dtype()
    {
        var tiny = TinyBertOnnx.Build(new TinyBertOptions());
        var weight = tiny.Model.Graph.Initializer.Single(t => t.Name == "embeddings.LayerNorm.weight");
        weight.DataType = (int)TensorProto.Types.DataType.Double;
        weight.RawData = ByteString.CopyFrom(new byte[8 * sizeof(double)]);
        var error = ImportFails(tiny);
        Assert.Contains("'embeddings.LayerNorm.weight' has dtype DOUBLE", error.Message);
    }

    [Fact]
    public void LayerNorms_with_different_epsilons_are_refused()
    {
        var tiny = TinyBertOnnx.Build(new TinyBertOptions());
        var graph = tiny.Model.Graph;
        var lastEpsilon = graph.Node.Last(n => n.OpType == "Constant" && n.Attribute[0].T.RawData.Span.SequenceEqual(BitConverter.GetBytes(1e-12f)));
        lastEpsilon.Attribute[0].T.RawData = ByteString.CopyFrom(BitConverter.GetBytes(1e-5f));
        var error = ImportFails(tiny);
        Assert.Contains("different epsilons", error.Message);
        Assert.Contains("encoder.layer.1.output.LayerNorm.weight: 1E-05", error.Message);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(-1L)]
    public void LayerNormalization_nodes_over_the_last_axis_import_to_the_weights_they_were_built_from_and_match_ORT(long? axis)
    {
        // As PyTorch exports layer_norm from opset 17: one LayerNormalization node per LayerNorm, axis = −1 written or left to its default.
        var tiny = TinyBertOnnx.Build(new TinyBertOptions(Seed: 5, Epsilon: 1e-6f, LayerNormalizationNodes: true));
        var layerNorms = tiny.Model.Graph.Node.Where(n => n.OpType == "LayerNormalization").ToList();
        Assert.Equal(1 + 2 * 2, layerNorms.Count);
        foreach (var node in layerNorms)
        {
            node.Attribute.Remove(node.Attribute.Single(a => a.Name == "axis"));
            if (axis is { } written)
            {
                node.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = written });
            }
        }

        var config = Import(tiny);
        Assert.Equal(1e-6, config.LayerNormEpsilon);
        AssertHoldsExactly(tiny, BertNames.Expected(config));

        var reference = BertReference.Load(Path.Combine(_directory, "model.safetensors"), Path.Combine(_directory, "model.config.json"));
        using var ort = new OrtBert(tiny.ToBytes());
        int[] ids = [1, 5, 9, 3, 2];
        var expected = reference.Forward(ids, [0, 0, 1, 1, 1], [1, 1, 1, 1, 1]);
        var batch = ort.Run([ids], [[0, 0, 1, 1, 1]]);
        Assert.InRange(TensorComparison.RelativeToMax(batch.Sequence(0), expected), 0, 1e-5);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData(2L)]
    [InlineData(-2L)]
    public void A_LayerNormalization_from_an_axis_but_minus_1_is_refused_naming_it_and_its_axis(long axis)
    {
        // axis says where the normalized dimensions start: from 1 (or −2) it normalizes each sequence over tokens and
        // hidden size together. It was never read: the graph imported as a model normalizing over the hidden size.
        // axis 2 is the last axis of a 3-D input, but the graph does not tell the input's rank, so it is refused too.
        var tiny = TinyBertOnnx.Build(new TinyBertOptions(LayerNormalizationNodes: true));
        var node = tiny.Model.Graph.Node.Single(n => n.OpType == "LayerNormalization" && n.Input[1] == "encoder.layer.1.attention.output.LayerNorm.weight");
        SetAttribute(node, new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = axis });
        var error = ImportFails(tiny);
        Assert.Contains($"LayerNormalization '{node.Name}' (the LayerNorm scaled by 'encoder.layer.1.attention.output.LayerNorm.weight') normalizes from axis {axis};", error.Message);
        Assert.Contains("axis −1", error.Message);
    }

    [Fact]
    public void A_LayerNormalization_axis_stored_as_a_float_is_refused_naming_its_type()
    {
        var tiny = TinyBertOnnx.Build(new TinyBertOptions(LayerNormalizationNodes: true));
        var node = tiny.Model.Graph.Node.Single(n => n.OpType == "LayerNormalization" && n.Input[1] == "embeddings.LayerNorm.weight");
        SetAttribute(node, new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Float, F = -1 });
        var error = ImportFails(tiny);
        Assert.Contains($"LayerNormalization '{node.Name}' has attribute 'axis' stored as FLOAT -1; the operator's schema makes it an INT", error.Message);
    }

    [Theory]
    [InlineData(true, new long[] { 1 })]
    [InlineData(true, new long[] { -2 })]
    [InlineData(true, new long[] { 1, 2 })]
    [InlineData(true, null)]
    [InlineData(false, new long[] { 2 })]
    [InlineData(false, new long[] { -2, -1 })]
    [InlineData(false, null)]
    public void A_spelled_out_LayerNorm_whose_ReduceMean_reduces_other_axes_is_refused_naming_it_and_its_axes(bool mean, long[]? axes)
    {
        // The mean or the variance over other axes than the hidden size (no axes: over every axis): the axes were never
        // read, and the graph imported as a model normalizing over the hidden size.
        var tiny = TinyBertOnnx.Build(new TinyBertOptions());
        var (meanNode, varianceNode) = SpelledOutLayerNorm(tiny.Model.Graph, "encoder.layer.1.output.LayerNorm");
        var node = mean ? meanNode : varianceNode;
        node.Attribute.Clear();
        if (axes is not null)
        {
            node.Attribute.Add(new AttributeProto { Name = "axes", Type = AttributeProto.Types.AttributeType.Ints, Ints = { axes } });
        }

        var error = ImportFails(tiny);
        var shown = axes is null ? "every axis (it has no axes)" : $"axes [{string.Join(", ", axes)}]";
        Assert.Contains($"ReduceMean '{node.Name}', the {(mean ? "mean" : "variance")} of the LayerNorm scaled by 'encoder.layer.1.output.LayerNorm.weight', reduces over {shown};", error.Message);
    }

    [Theory]
    [InlineData(-1L, null)]
    [InlineData(-2L, "axes [-2]")]
    [InlineData(2L, "axes [2]")]
    public void ReduceMean_axes_given_as_an_input_are_read_as_the_attribute_is(long axis, string? refused)
    {
        // From opset 18 ReduceMean takes its axes as a second input rather than an attribute.
        var tiny = TinyBertOnnx.Build(new TinyBertOptions());
        var graph = tiny.Model.Graph;
        graph.Initializer.Add(new TensorProto { Name = "reduce_axes", DataType = (int)TensorProto.Types.DataType.Int64, Dims = { 1 }, Int64Data = { -1 } });
        graph.Initializer.Add(new TensorProto { Name = "other_axes", DataType = (int)TensorProto.Types.DataType.Int64, Dims = { 1 }, Int64Data = { axis } });
        foreach (var reduceMean in graph.Node.Where(n => n.OpType == "ReduceMean"))
        {
            reduceMean.Attribute.Clear();
            reduceMean.Input.Add("reduce_axes");
        }

        tiny.Model.OpsetImport.Single().Version = 18;
        var (_, variance) = SpelledOutLayerNorm(graph, "embeddings.LayerNorm");
        variance.Input[1] = "other_axes";
        if (refused is null)
        {
            AssertHoldsExactly(tiny, BertNames.Expected(Import(tiny)));
        }
        else
        {
            var error = ImportFails(tiny);
            Assert.Contains($"ReduceMean '{variance.Name}', the variance of the LayerNorm scaled by 'embeddings.LayerNorm.weight', reduces over {refused};", error.Message);
        }
    }

    [Fact]
    public void ReduceMean_axes_computed_in_the_graph_are_refused()
    {
        var tiny = TinyBertOnnx.Build(new TinyBertOptions());
        var (mean, _) = SpelledOutLayerNorm(tiny.Model.Graph, "embeddings.LayerNorm");
        mean.Attribute.Clear();
        mean.Input.Add("input_ids");
        tiny.Model.OpsetImport.Single().Version = 18;
        var error = ImportFails(tiny);
        Assert.Contains($"ReduceMean '{mean.Name}', the mean of the LayerNorm scaled by 'embeddings.LayerNorm.weight', takes its axes from 'input_ids', which is not a constant", error.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_spelled_out_norm_that_is_not_a_LayerNorm_is_refused_naming_it(bool centeredNumerator)
    {
        // x / Sqrt(ReduceMean(x²) + ε) (RMSNorm, no mean taken out), or (x − mean) / Sqrt(ReduceMean(x²) + ε) (the
        // mean square of x for its variance): both were read as LayerNorm by their Sqrt, Add and ReduceMean.
        var tiny = TinyBertOnnx.Build(new TinyBertOptions());
        var graph = tiny.Model.Graph;
        var (mean, variance) = SpelledOutLayerNorm(graph, "encoder.layer.0.attention.output.LayerNorm");
        var sub = graph.Node.Single(n => n.OpType == "Sub" && n.Input[1] == mean.Output[0]);
        var pow = graph.Node.Single(n => n.Output[0] == variance.Input[0]);
        pow.Input[0] = sub.Input[0];
        if (!centeredNumerator)
        {
            graph.Node.Single(n => n.OpType == "Div" && n.Input[0] == sub.Output[0]).Input[0] = sub.Input[0];
        }

        var error = ImportFails(tiny);
        Assert.Contains(centeredNumerator
            ? $"ReduceMean '{variance.Name}', the variance of the LayerNorm scaled by 'encoder.layer.0.attention.output.LayerNorm.weight', averages Pow '{pow.Name}', not the square of the centered"
            : "the LayerNorm scaled by 'encoder.layer.0.attention.output.LayerNorm.weight' divides", error.Message);
    }

    [Fact]
    public void Positions_computed_from_the_token_ids_are_refused()
    {
        // RoBERTa's exported positions: cumsum(ids != pad) + pad, gathered from a table under BERT's own name.
        var tiny = TinyBertOnnx.Build(new TinyBertOptions());
        var graph = tiny.Model.Graph;
        graph.Initializer.Add(Int64Scalar("roberta_pad", 1));
        graph.Initializer.Add(Int64Scalar("roberta_axis", 1));
        NodeProto Add(string op, params string[] inputs)
        {
            var node = new NodeProto { OpType = op, Name = $"/embeddings/{op}", Output = { $"/embeddings/{op}_output_0" } };
            node.Input.AddRange(inputs);
            graph.Node.Insert(0, node);
            return node;
        }

        var notPadding = Add("Not", Add("Equal", "input_ids", "roberta_pad").Output[0]);
        var cast = Add("Cast", notPadding.Output[0]);
        cast.Attribute.Add(new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = (long)TensorProto.Types.DataType.Int64 });
        var positions = Add("Add", Add("CumSum", cast.Output[0], "roberta_axis").Output[0], "roberta_pad");
        graph.Node.Single(n => n.OpType == "Gather" && n.Input[0] == "embeddings.position_embeddings.weight").Input[1] = positions.Output[0];

        var error = ImportFails(tiny);
        Assert.Contains("computed from the values of 'input_ids' (Equal '/embeddings/Equal' reads them)", error.Message);
        Assert.Contains("RoBERTa", error.Message);
    }

    [Fact]
    public void A_head_count_the_graph_leaves_to_infer_is_read_from_the_hidden_size()
    {
        // Recent transformers exports reshape the query to [batch, sequence, -1, head size].
        var tiny = TinyBertOnnx.Build(new TinyBertOptions(Hidden: 8, Heads: 2, InferredHeads: true));
        Assert.Equal(new BertConfig(2, 8, 2, 16, 20, 10, 2, 1e-12, "gelu"), Import(tiny));
    }

    [Theory]
    [InlineData("embeddings.token_type_embeddings.weight")]
    [InlineData("embeddings.position_embeddings.weight")]
    [InlineData("embeddings.LayerNorm.weight")]
    [InlineData("encoder.layer.1.attention.output.LayerNorm.bias")]
    public void A_named_tensor_no_node_reads_is_refused_naming_it(string name)
    {
        // The graph holds the tensor but computes without it (its Gather and the Add of what it gathers, or its
        // LayerNorm Mul or Add, taken out). It used to be imported all the same, and BertModel used it: token type
        // row 0 added to every token, a LayerNorm scale or shift the graph never applied.
        var tiny = TinyBertOnnx.Build(new TinyBertOptions());
        var graph = tiny.Model.Graph;
        var reader = graph.Node.Single(n => n.Input.Contains(name));
        if (reader.OpType == "Gather")
        {
            var add = graph.Node.Single(n => n.OpType == "Add" && n.Input.Contains(reader.Output[0]));
            Bypass(graph, add, add.Input.Single(i => i != reader.Output[0]));
            graph.Node.Remove(reader);
        }
        else
        {
            Bypass(graph, reader, reader.Input.Single(i => i != name));
        }

        var error = ImportFails(tiny);
        Assert.Contains($"initializer '{name}' is never used by the graph: no node reads it;", error.Message);
    }

    [Fact]
    public void Token_type_embeddings_beside_a_folded_row_0_are_refused_naming_them()
    {
        // As an export that took no token types and folded their lookup into a constant writes it: the graph adds token
        // type row 0, as an anonymous tensor, to every token. The table itself is left unread; imported, BertModel would
        // add the row each token's type picks, the same only for type 0, so the import refuses rather than guess.
        var tiny = TinyBertOnnx.Build(new TinyBertOptions());
        var graph = tiny.Model.Graph;
        var gather = graph.Node.Single(n => n.OpType == "Gather" && n.Input[0] == "embeddings.token_type_embeddings.weight");
        var rowZero = FloatInitializer("token_type_row_0", 8);
        rowZero.RawData = ByteString.CopyFrom(tiny.Weights["embeddings.token_type_embeddings.weight"].AsSpan(0, 8).ToArray().SelectMany(BitConverter.GetBytes).ToArray());
        graph.Initializer.Add(rowZero);
        Bypass(graph, gather, rowZero.Name);
        var error = ImportFails(tiny);
        Assert.Contains("initializer 'embeddings.token_type_embeddings.weight' is never used by the graph: no node reads it;", error.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_named_tensor_read_only_by_nodes_no_output_comes_from_is_refused_naming_them(bool shapeRead)
    {
        // The position embeddings are still gathered, but the sum no longer adds them: the Gather computes for nothing,
        // or for a Shape only, which reshapes the sum to the shape it already has and reads none of the values.
        var tiny = TinyBertOnnx.Build(new TinyBertOptions());
        var graph = tiny.Model.Graph;
        var gather = graph.Node.Single(n => n.OpType == "Gather" && n.Input[0] == "embeddings.position_embeddings.weight");
        var add = graph.Node.Single(n => n.OpType == "Add" && n.Input.Contains(gather.Output[0]));
        var sum = add.Input.Single(i => i != gather.Output[0]);
        Bypass(graph, add, sum);
        if (shapeRead)
        {
            graph.Node.Insert(graph.Node.IndexOf(gather) + 1, new NodeProto { OpType = "Shape", Name = "Shape_of_positions", Input = { gather.Output[0] }, Output = { "positions_shape" } });
            InsertAfter(graph, sum, "Reshape", "Reshape_to_positions_shape", "positions_shape");
        }

        var error = ImportFails(tiny);
        Assert.Contains($"initializer 'embeddings.position_embeddings.weight' is never used by the graph: only Gather '{gather.Name}' reads it, and no graph output depends on the values it computes;", error.Message);
    }

    [Fact]
    public void A_pooler_whose_output_is_no_graph_output_is_refused()
    {
        // The pooler's nodes are there but their Tanh is not an output: the graph computes no pooler output, and
        // BertModel's pooler used to be imported from them anyway.
        var tiny = TinyBertOnnx.Build(new TinyBertOptions());
        var graph = tiny.Model.Graph;
        var gemm = graph.Node.Single(n => n.OpType == "Gemm" && n.Input[1] == "pooler.dense.weight");
        graph.Output.RemoveAt(1);
        var error = ImportFails(tiny);
        Assert.Contains($"initializer 'pooler.dense.weight' is never used by the graph: only Gemm '{gemm.Name}' reads it, and no graph output depends on the values it computes;", error.Message);
    }

    [Fact]
    public void An_anonymous_Linear_weight_no_output_comes_from_is_refused_naming_it_and_its_Hugging_Face_name()
    {
        // The pooler as a MatMul by its anonymous [in, out] weight, its Tanh no output: the weight is named after its bias.
        var tiny = TinyBertOnnx.Build(new TinyBertOptions(Pooler: TinyBertPooler.MatMul));
        var graph = tiny.Model.Graph;
        var add = graph.Node.Single(n => n.OpType == "Add" && n.Input.Contains("pooler.dense.bias"));
        var matMul = graph.Node.Single(n => n.OpType == "MatMul" && add.Input.Contains(n.Output[0]));
        graph.Output.RemoveAt(1);
        var error = ImportFails(tiny);
        Assert.Contains($"initializer '{matMul.Input[1]}' (which would be 'pooler.dense.weight') is never used by the graph: only MatMul '{matMul.Name}' reads it, " +
            "and no graph output depends on the values it computes;", error.Message);
    }

    [Fact]
    public void Tensors_read_through_an_Identity_on_the_way_to_an_output_are_used()
    {
        // An Identity between an initializer and its reader, as some exports write for shared or renamed tensors,
        // still uses it: the import is the same.
        var tiny = TinyBertOnnx.Build(new TinyBertOptions());
        var graph = tiny.Model.Graph;
        var gather = graph.Node.Single(n => n.OpType == "Gather" && n.Input[0] == "embeddings.token_type_embeddings.weight");
        graph.Node.Insert(0, new NodeProto { OpType = "Identity", Name = "Identity_token_types", Input = { gather.Input[0] }, Output = { "token_types_identity" } });
        gather.Input[0] = "token_types_identity";
        var config = Import(tiny);
        AssertHoldsExactly(tiny, BertNames.Expected(config));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void An_activation_the_importer_does_not_know_is_refused_naming_its_ops(int mishLayer)
    {
        // Mish (x·tanh(softplus(x))) holds a Tanh: it used to be imported as gelu_new, and in a later layer it was not read.
        TinyBertActivation[] activations = [TinyBertActivation.Gelu, TinyBertActivation.Gelu];
        activations[mishLayer] = TinyBertActivation.Mish;
        var error = ImportFails(TinyBertOnnx.Build(new TinyBertOptions(Activations: activations)));
        Assert.Contains($"the feed-forward activation after 'encoder.layer.{mishLayer}.intermediate.dense.bias' is not understood", error.Message);
        Assert.Contains("Softplus", error.Message);
    }

    [Theory]
    [InlineData(TinyBertActivation.Gelu, "gelu")]
    [InlineData(TinyBertActivation.Relu, "relu")]
    public void Layers_with_one_activation_import_with_it(TinyBertActivation activation, string name)
    {
        var config = Import(TinyBertOnnx.Build(new TinyBertOptions(Layers: 3, Activations: [activation, activation, activation])));
        Assert.Equal(name, config.Activation);
    }

    [Theory]
    [InlineData(TinyBertActivation.Gelu, TinyBertActivation.Relu, "relu", "gelu")]
    [InlineData(TinyBertActivation.Relu, TinyBertActivation.Gelu, "gelu", "relu")]
    public void A_later_layer_with_another_activation_is_refused_naming_it_and_both_activations(
        TinyBertActivation first, TinyBertActivation later, string laterName, string firstName)
    {
        // Only layer 0's activation used to be read: the graph imported with it for every layer.
        var error = ImportFails(TinyBertOnnx.Build(new TinyBertOptions(Layers: 3, Activations: [first, first, later])));
        Assert.Contains($"layer 2's feed-forward activation is {laterName} (after 'encoder.layer.2.intermediate.dense.bias') but layer 0's is {firstName}", error.Message);
    }

    [Fact]
    public void Encoder_Linears_spelled_as_Gemm_import_to_the_weights_they_were_built_from()
    {
        var tiny = TinyBertOnnx.Build(new TinyBertOptions(GemmAttentionOutput: true));
        Assert.Equal(2, tiny.Model.Graph.Node.Count(n => n.OpType == "Gemm" && n.Input[2].EndsWith("attention.output.dense.bias", StringComparison.Ordinal)));
        var config = Import(tiny);
        AssertHoldsExactly(tiny, BertNames.Expected(config));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Linears_rewritten_as_Gemm_import_bit_identical_to_their_MatMul_and_Add_and_run_the_same_in_ORT(int rotation)
    {
        // Every Linear (q, k, v, attention output, intermediate, output, pooler) as a Gemm with the weight [out, in]
        // (transB = 1), [in, out] (transB = 0), or without C and the bias added after: over the three rotations each
        // Linear takes each spelling. The encoder's used to be refused by the head count or activation reader.
        GemmSpelling[] spellings = [GemmSpelling.TransposedWeight, GemmSpelling.InOutWeight, GemmSpelling.BiasAddedAfter];
        var options = new TinyBertOptions(Seed: 3, Pooler: TinyBertPooler.MatMul);
        var original = TinyBertOnnx.Build(options);
        var rewritten = TinyBertOnnx.Build(options);
        int next = rotation;
        Assert.Equal(2 * 6 + 1, GemmLinears.Rewrite(rewritten.Model, _ => spellings[next++ % spellings.Length]));
        Assert.DoesNotContain(rewritten.Model.Graph.Node, n => n.OpType == "MatMul" && rewritten.Model.Graph.Initializer.Any(t => t.Name == n.Input[1]));

        var originalConfig = ImportInto(original, "matmul");
        Assert.Equal(originalConfig, ImportInto(rewritten, "gemm"));
        Assert.Equal(File.ReadAllBytes(Path.Combine(_directory, "matmul", "model.safetensors")), File.ReadAllBytes(Path.Combine(_directory, "gemm", "model.safetensors")));
        Assert.Equal(File.ReadAllText(Path.Combine(_directory, "matmul", "model.config.json")), File.ReadAllText(Path.Combine(_directory, "gemm", "model.config.json")));

        // The rewritten graph is the same model: ONNX Runtime gives the same hidden states.
        using var ortOriginal = new OrtBert(original.ToBytes());
        using var ortRewritten = new OrtBert(rewritten.ToBytes());
        int[][] sequences = [[1, 5, 9, 3, 2], [1, 7, 2]];
        int[][] types = [[0, 0, 1, 1, 1], [0, 1, 1]];
        var expected = ortOriginal.Run(sequences, types).LastHiddenState;
        var actual = ortRewritten.Run(sequences, types).LastHiddenState;
        Assert.InRange(TensorComparison.RelativeToMax(actual, Array.ConvertAll(expected, v => (double)v)), 0, 1e-6);
    }

    [Fact]
    public void A_Gemm_product_reshaped_back_by_a_constant_shape_keeps_the_head_count_of_the_split_after_it()
    {
        // A product reshaped back by the constant [2, −1, hidden], as an export traced at batch 2 writes it, ends in two
        // numbers like the head split [0, 0, heads, head size] after it. Read as the split, it imported the tiny model
        // as one head of the whole hidden size, with every check passing (1 × hidden = hidden).
        var options = new TinyBertOptions(Seed: 3, Pooler: TinyBertPooler.MatMul);
        var original = TinyBertOnnx.Build(options);
        var rewritten = TinyBertOnnx.Build(options);
        Assert.Equal(2 * 6 + 1, GemmLinears.Rewrite(rewritten.Model, _ => GemmSpelling.TransposedWeight, batchSize: 2));

        var originalConfig = ImportInto(original, "matmul");
        Assert.True(originalConfig.Heads > 1);
        Assert.Equal(originalConfig, ImportInto(rewritten, "gemm"));
        Assert.Equal(File.ReadAllBytes(Path.Combine(_directory, "matmul", "model.safetensors")), File.ReadAllBytes(Path.Combine(_directory, "gemm", "model.safetensors")));

        // The rewritten graph is the same model at its traced batch size.
        using var ortOriginal = new OrtBert(original.ToBytes());
        using var ortRewritten = new OrtBert(rewritten.ToBytes());
        int[][] sequences = [[1, 5, 9, 3, 2], [1, 7, 2, 4, 4]];
        int[][] types = [[0, 0, 1, 1, 1], [0, 1, 1, 1, 1]];
        var expected = ortOriginal.Run(sequences, types).LastHiddenState;
        var actual = ortRewritten.Run(sequences, types).LastHiddenState;
        Assert.InRange(TensorComparison.RelativeToMax(actual, Array.ConvertAll(expected, v => (double)v)), 0, 1e-6);
    }

    [Fact]
    public void A_Gemm_without_C_whose_output_no_bias_is_added_to_is_refused()
    {
        // A Linear of BertModel always has a bias. The named weight of a Gemm without C used to be imported by its own
        // name, with the bias the graph no longer added beside it.
        var tiny = TinyBertOnnx.Build(new TinyBertOptions(GemmAttentionOutput: true));
        var gemm = tiny.Model.Graph.Node.Single(n => n.OpType == "Gemm" && n.Input[2] == "encoder.layer.1.attention.output.dense.bias");
        gemm.Input.RemoveAt(2);
        var error = ImportFails(tiny);
        Assert.Contains($"Gemm '{gemm.Name}' multiplies by initializer 'encoder.layer.1.attention.output.dense.weight' without a bias input C, but its output feeds Reshape '", error.Message);
        Assert.Contains("rather than one Add with a named bias", error.Message);
    }

    [Fact]
    public void A_Gemm_whose_named_weight_is_another_layers_than_its_bias_is_refused_naming_both()
    {
        // Layer 0's and layer 1's attention output weights swapped: each used to be imported by its own name, the
        // graph's layer 1 weight as layer 0's.
        var tiny = TinyBertOnnx.Build(new TinyBertOptions(GemmAttentionOutput: true));
        var gemms = tiny.Model.Graph.Node.Where(n => n.OpType == "Gemm" && n.Input[2].EndsWith("attention.output.dense.bias", StringComparison.Ordinal)).ToList();
        (gemms[0].Input[1], gemms[1].Input[1]) = (gemms[1].Input[1], gemms[0].Input[1]);
        var error = ImportFails(tiny);
        Assert.Contains($"Gemm '{gemms[0].Name}' multiplies by initializer 'encoder.layer.1.attention.output.dense.weight' and adds bias 'encoder.layer.0.attention.output.dense.bias'", error.Message);
    }

    [Fact]
    public void A_Gemm_whose_C_is_not_a_named_bias_is_refused_naming_it()
    {
        var tiny = TinyBertOnnx.Build(new TinyBertOptions(GemmAttentionOutput: true));
        var gemm = tiny.Model.Graph.Node.Single(n => n.OpType == "Gemm" && n.Input[2] == "encoder.layer.0.attention.output.dense.bias");
        var bias = tiny.Model.Graph.Initializer.Single(t => t.Name == gemm.Input[2]);
        bias.Name = "4242";
        gemm.Input[2] = bias.Name;
        var error = ImportFails(tiny);
        Assert.Contains($"Gemm '{gemm.Name}' multiplies by initializer 'encoder.layer.0.attention.output.dense.weight' and adds '4242' as C, not a named one-dimensional '….bias' initializer", error.Message);
    }

    [Theory]
    [InlineData("encoder.layer.1.attention.output.dense.bias", "alpha", 0.5f, "alpha = 0.5")]
    [InlineData("encoder.layer.1.attention.output.dense.bias", "beta", 2f, "beta = 2")]
    [InlineData("encoder.layer.1.attention.output.dense.bias", "transA", 1f, "transA = 1")]
    [InlineData("pooler.dense.bias", "alpha", 0.5f, "alpha = 0.5")]
    public void A_Gemm_that_is_not_a_Linear_is_refused_naming_it_and_its_attribute(string bias, string attribute, float value, string shown)
    {
        // alpha·A'·B' + beta·C is a Linear only for alpha = beta = 1 and an untransposed A: the encoder's attributes used to be ignored.
        var tiny = TinyBertOnnx.Build(new TinyBertOptions(GemmAttentionOutput: true));
        var gemm = tiny.Model.Graph.Node.Single(n => n.OpType == "Gemm" && n.Input[2] == bias);
        if (gemm.Attribute.SingleOrDefault(a => a.Name == attribute) is { } written)
        {
            gemm.Attribute.Remove(written);
        }

        gemm.Attribute.Add(attribute == "transA"
            ? new AttributeProto { Name = attribute, Type = AttributeProto.Types.AttributeType.Int, I = (long)value }
            : new AttributeProto { Name = attribute, Type = AttributeProto.Types.AttributeType.Float, F = value });
        var error = ImportFails(tiny);
        Assert.Contains($"Gemm '{gemm.Name}' multiplies by initializer '{gemm.Input[1]}' with {shown};", error.Message);
    }

    [Theory]
    [InlineData("encoder.layer.1.attention.output.dense.bias")]
    [InlineData("pooler.dense.bias")]
    public void Gemm_factors_stored_as_the_integer_1_are_read_as_1(string bias)
    {
        // protobuf reads the float field of an INT attribute as 0: alpha stored as INT 1 used to be refused as "alpha = 0".
        var tiny = TinyBertOnnx.Build(new TinyBertOptions(GemmAttentionOutput: true));
        var gemm = tiny.Model.Graph.Node.Single(n => n.OpType == "Gemm" && n.Input[2] == bias);
        SetAttribute(gemm, new AttributeProto { Name = "alpha", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        SetAttribute(gemm, new AttributeProto { Name = "beta", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        var config = Import(tiny);
        AssertHoldsExactly(tiny, BertNames.Expected(config));
    }

    [Fact]
    public void A_Gemm_factor_stored_as_the_integer_2_is_refused_naming_its_value()
    {
        var tiny = TinyBertOnnx.Build(new TinyBertOptions(GemmAttentionOutput: true));
        var gemm = tiny.Model.Graph.Node.Single(n => n.OpType == "Gemm" && n.Input[2] == "encoder.layer.0.attention.output.dense.bias");
        SetAttribute(gemm, new AttributeProto { Name = "alpha", Type = AttributeProto.Types.AttributeType.Int, I = 2 });
        var error = ImportFails(tiny);
        Assert.Contains($"Gemm '{gemm.Name}' multiplies by initializer '{gemm.Input[1]}' with alpha = 2 (stored as an INT);", error.Message);
    }

    [Fact]
    public void A_transB_stored_as_a_float_is_refused_naming_its_type_and_value()
    {
        // protobuf reads the integer field of a FLOAT attribute as 0: the pooler's [out, in] weight used to import as if
        // stored [in, out], transposed without a word.
        var tiny = TinyBertOnnx.Build(new TinyBertOptions());
        var gemm = tiny.Model.Graph.Node.Single(n => n.OpType == "Gemm" && n.Input[2] == "pooler.dense.bias");
        SetAttribute(gemm, new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Float, F = 1 });
        var error = ImportFails(tiny);
        Assert.Contains($"Gemm '{gemm.Name}' has attribute 'transB' stored as FLOAT 1; the operator's schema makes it an INT", error.Message);
    }

    [Fact]
    public void A_Gemm_attribute_given_twice_is_refused_naming_both()
    {
        var tiny = TinyBertOnnx.Build(new TinyBertOptions());
        var gemm = tiny.Model.Graph.Node.Single(n => n.OpType == "Gemm" && n.Input[2] == "pooler.dense.bias");
        gemm.Attribute.Add(new AttributeProto { Name = "alpha", Type = AttributeProto.Types.AttributeType.Float, F = 0.5f });
        var error = ImportFails(tiny);
        Assert.Contains($"Gemm '{gemm.Name}' has two attributes named 'alpha' (FLOAT 1 and FLOAT 0.5)", error.Message);
    }

    [Theory]
    [InlineData(null, "gelu")]
    [InlineData("none", "gelu")]
    [InlineData("tanh", "gelu_new")]
    public void A_Gelu_node_imports_with_the_activation_its_approximate_attribute_names(string? approximate, string name)
    {
        var tiny = GeluNodes(approximate is null ? null : new AttributeProto { Name = "approximate", Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(approximate) });
        Assert.Equal(name, Import(tiny).Activation);
    }

    [Fact]
    public void A_Gelu_node_with_an_approximate_ONNX_does_not_define_is_refused_naming_it()
    {
        // Any approximate but "tanh" used to be read as the exact gelu.
        var tiny = GeluNodes(new AttributeProto { Name = "approximate", Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8("fast") });
        var error = ImportFails(tiny);
        Assert.Contains("the feed-forward activation after 'encoder.layer.0.intermediate.dense.bias', has approximate = 'fast'", error.Message);
    }

    [Fact]
    public void A_Gelu_approximate_stored_as_an_integer_is_refused_naming_its_type_and_value()
    {
        var tiny = GeluNodes(new AttributeProto { Name = "approximate", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        var error = ImportFails(tiny);
        Assert.Contains("has attribute 'approximate' stored as INT 1; the operator's schema makes it a STRING", error.Message);
    }

    [Theory]
    [InlineData(TinyBertPooler.Gemm)]
    [InlineData(TinyBertPooler.MatMul)]
    [InlineData(TinyBertPooler.Slice)]
    [InlineData(TinyBertPooler.None)]
    public void The_tails_a_BERT_export_has_after_its_last_layer_are_imported(TinyBertPooler pooler)
    {
        // The last hidden state as an output (through an Identity), and BertModel's pooler as exporters spell it.
        var tiny = TinyBertOnnx.Build(new TinyBertOptions(Pooler: pooler));
        var config = Import(tiny);
        AssertHoldsExactly(tiny, BertNames.Expected(config, hasPooler: pooler != TinyBertPooler.None));
    }

    [Fact]
    public void An_op_on_the_last_hidden_state_before_its_output_is_refused_naming_it()
    {
        // Softplus between the last LayerNorm and the Identity that names the output: it used to be dropped silently.
        var tiny = TinyBertOnnx.Build(new TinyBertOptions());
        var graph = tiny.Model.Graph;
        var lastLayerNorm = graph.Node.Single(n => n.OpType == "Add" && n.Input.Contains("encoder.layer.1.output.LayerNorm.bias"));
        InsertAfter(graph, lastLayerNorm.Output[0], "Softplus", "Softplus_tail");
        var error = ImportFails(tiny);
        Assert.Contains("Softplus 'Softplus_tail' reads the last hidden state after the last encoder layer (the output of 'encoder.layer.1.output.LayerNorm')", error.Message);
        Assert.Contains("on the way to output 'last_hidden_state', '", error.Message); // and the pooler's, which reads it too
    }

    [Fact]
    public void A_Mul_by_a_constant_after_the_pooler_is_refused_naming_it()
    {
        var tiny = TinyBertOnnx.Build(new TinyBertOptions());
        var graph = tiny.Model.Graph;
        var poolerOutput = graph.Output[1].Name;
        graph.Initializer.Add(new TensorProto { Name = "tail_scale", DataType = (int)TensorProto.Types.DataType.Float, FloatData = { 2f } });
        InsertAfter(graph, poolerOutput, "Mul", "Mul_tail", "tail_scale");
        var error = ImportFails(tiny);
        Assert.Contains("Mul 'Mul_tail' reads the pooler output after the last encoder layer", error.Message);
        Assert.Contains($"on the way to output '{poolerOutput}';", error.Message);
    }

    [Fact]
    public void A_pooler_of_a_token_other_than_the_first_is_refused()
    {
        var tiny = TinyBertOnnx.Build(new TinyBertOptions());
        var graph = tiny.Model.Graph;
        var gather = graph.Node.Single(n => n.OpType == "Gather" && n.Input[0] == "last_hidden_state");
        graph.Node.Single(n => n.Output.Contains(gather.Input[1])).Attribute[0].T.Int64Data[0] = 1;
        var error = ImportFails(tiny);
        Assert.Contains($"Gather '{gather.Name}' reads the last hidden state after the last encoder layer", error.Message);
        Assert.Contains($"on the way to output '{graph.Output[1].Name}';", error.Message);
    }

    [Fact]
    public void A_pooler_output_taken_before_its_Tanh_is_refused()
    {
        var tiny = TinyBertOnnx.Build(new TinyBertOptions());
        var graph = tiny.Model.Graph;
        var tanh = graph.Node.Single(n => n.OpType == "Tanh");
        var gemm = graph.Node.Single(n => n.Output.Contains(tanh.Input[0]));
        gemm.Output[0] = tanh.Output[0];
        graph.Node.Remove(tanh);
        var error = ImportFails(tiny);
        Assert.Contains($"graph output '{tanh.Output[0]}' is the pooler's dense output before its Tanh after the last encoder layer", error.Message);
        Assert.Contains($"as Gemm '{gemm.Name}' leaves it", error.Message);
    }

    [Fact]
    public void An_output_that_would_replace_the_input_is_refused_before_anything_is_written()
    {
        var path = Path.Combine(_directory, "model.onnx");
        var bytes = TinyBertOnnx.Build(new TinyBertOptions()).ToBytes();
        File.WriteAllBytes(path, bytes);
        Assert.Contains("is the input model", Assert.Throws<ArgumentException>(() => BertOnnxImporter.Import(path, path)).Message);
        // The config goes beside the weights as <name>.config.json: an input of that name is refused too.
        var configNamed = Path.Combine(_directory, "x.config.json");
        File.WriteAllBytes(configNamed, bytes);
        Assert.Throws<ArgumentException>(() => BertOnnxImporter.Import(configNamed, Path.Combine(_directory, "x.safetensors")));
        Assert.Equal(bytes, File.ReadAllBytes(path));
        Assert.Equal(bytes, File.ReadAllBytes(configNamed));
        Assert.Equal(2, Directory.GetFiles(_directory).Length);

        var folder = Assert.Throws<OnnxImportException>(() => BertOnnxImporter.Import(_directory, Path.Combine(_directory, "y.safetensors")));
        Assert.Contains("is a folder", folder.Message);

        // A config path taken by a folder used to fail after the weights were in place, leaving them without a config.
        Directory.CreateDirectory(Path.Combine(_directory, "pair.config.json"));
        var taken = Assert.Throws<IOException>(() => BertOnnxImporter.Import(path, Path.Combine(_directory, "pair.safetensors")));
        Assert.Contains("pair.config.json", taken.Message);
        Assert.False(File.Exists(Path.Combine(_directory, "pair.safetensors")));
        Assert.Equal(2, Directory.GetFiles(_directory).Length);
    }

    [Fact]
    public void A_truncated_file_is_refused_as_unreadable_and_leaves_no_output()
    {
        var bytes = TinyBertOnnx.Build(new TinyBertOptions()).ToBytes();
        var path = Path.Combine(_directory, "truncated.onnx");
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var output = Path.Combine(_directory, "model.safetensors");
        var error = Assert.Throws<OnnxImportException>(() => BertOnnxImporter.Import(path, output));
        Assert.Contains($"'{path}' is not a readable ONNX model", error.Message);
        Assert.Equal([path], Directory.GetFiles(_directory));
    }

    [Fact]
    public void A_file_that_is_not_ONNX_is_refused()
    {
        var path = Path.Combine(_directory, "vocab.onnx");
        File.WriteAllText(path, "[PAD]\r\n[unused0]\r\n");
        var error = Assert.Throws<OnnxImportException>(() => BertOnnxImporter.Import(path, Path.Combine(_directory, "model.safetensors")));
        Assert.Contains($"'{path}'", error.Message);
    }

    private BertConfig Import(TinyBert tiny, IProgress<ImportProgress>? progress = null)
    {
        var path = Path.Combine(_directory, "model.onnx");
        File.WriteAllBytes(path, tiny.ToBytes());
        return BertOnnxImporter.Import(path, Path.Combine(_directory, "model.safetensors"), progress);
    }

    /// <summary>Imports <paramref name="tiny"/> as <c>model.onnx</c> in a folder of the test's, into <c>model.safetensors</c> beside it.</summary>
    private BertConfig ImportInto(TinyBert tiny, string folder)
    {
        var directory = Directory.CreateDirectory(Path.Combine(_directory, folder)).FullName;
        var path = Path.Combine(directory, "model.onnx");
        File.WriteAllBytes(path, tiny.ToBytes());
        return BertOnnxImporter.Import(path, Path.Combine(directory, "model.safetensors"));
    }

    /// <summary>
    /// The imported checkpoint holds exactly the expected names, in order, each with the values the graph was built from;
    /// returns how many tensors it holds.
    /// </summary>
    private int AssertHoldsExactly(TinyBert tiny, OrderedDictionary<string, int[]> expected)
    {
        using var checkpoint = SafeTensors.Open(Path.Combine(_directory, "model.safetensors"));
        Assert.Equal(expected.Keys, checkpoint.Tensors.Select(t => t.Name));
        foreach (var tensor in checkpoint.Tensors)
        {
            var values = new float[tensor.ElementCount];
            checkpoint.CopyTo(tensor, values);
            Assert.Equal(tiny.Weights[tensor.Name], values);
        }

        return checkpoint.Tensors.Count;
    }

    private OnnxImportException ImportFails(TinyBert tiny)
    {
        var error = Assert.Throws<OnnxImportException>(() => Import(tiny));
        Assert.StartsWith($"Cannot import '{Path.Combine(_directory, "model.onnx")}': ", error.Message);
        Assert.False(File.Exists(Path.Combine(_directory, "model.safetensors")));
        Assert.False(File.Exists(Path.Combine(_directory, "model.config.json")));
        return error;
    }

    /// <summary>The two ReduceMeans of the spelled-out LayerNorm <paramref name="prefix"/>: its mean's and its variance's.</summary>
    private static (NodeProto Mean, NodeProto Variance) SpelledOutLayerNorm(GraphProto graph, string prefix)
    {
        NodeProto Producer(string value) => graph.Node.Single(n => n.Output.Contains(value));
        var mul = graph.Node.Single(n => n.OpType == "Mul" && n.Input.Contains(prefix + ".weight"));
        var div = Producer(mul.Input[0]);
        var mean = Producer(Producer(div.Input[0]).Input[1]);
        var variance = Producer(Producer(Producer(div.Input[1]).Input[0]).Input[0]);
        Assert.Equal(("Div", "ReduceMean", "ReduceMean"), (div.OpType, mean.OpType, variance.OpType));
        return (mean, variance);
    }

    /// <summary>Takes <paramref name="node"/> out of the graph, every reader of its output (a node or a graph output) reading <paramref name="kept"/> instead.</summary>
    private static void Bypass(GraphProto graph, NodeProto node, string kept)
    {
        var output = node.Output[0];
        foreach (var reader in graph.Node)
        {
            for (int i = 0; i < reader.Input.Count; i++)
            {
                if (reader.Input[i] == output)
                {
                    reader.Input[i] = kept;
                }
            }
        }

        Assert.DoesNotContain(graph.Output, o => o.Name == output);
        graph.Node.Remove(node);
    }

    /// <summary>Puts a node <paramref name="op"/>(value, <paramref name="operands"/>…) between <paramref name="value"/> and what reads it, under its name.</summary>
    private static void InsertAfter(GraphProto graph, string value, string op, string name, params string[] operands)
    {
        var producer = graph.Node.Single(n => n.Output.Contains(value));
        var before = value + "_before_" + name;
        producer.Output[producer.Output.IndexOf(value)] = before;
        var node = new NodeProto { OpType = op, Name = name, Input = { before }, Output = { value } };
        node.Input.AddRange(operands);
        graph.Node.Insert(graph.Node.IndexOf(producer) + 1, node);
    }

    /// <summary>A tiny BERT whose feed-forward activation is one ONNX <c>Gelu</c> node per layer, with <paramref name="approximate"/> when given.</summary>
    private static TinyBert GeluNodes(AttributeProto? approximate)
    {
        var tiny = TinyBertOnnx.Build(new TinyBertOptions(Activations: [TinyBertActivation.Relu, TinyBertActivation.Relu]));
        foreach (var relu in tiny.Model.Graph.Node.Where(n => n.OpType == "Relu"))
        {
            relu.OpType = "Gelu";
            if (approximate is not null)
            {
                relu.Attribute.Add(approximate.Clone());
            }
        }

        return tiny;
    }

    /// <summary>Gives <paramref name="node"/> <paramref name="attribute"/> in place of any of that name.</summary>
    private static void SetAttribute(NodeProto node, AttributeProto attribute)
    {
        foreach (var written in node.Attribute.Where(a => a.Name == attribute.Name).ToList())
        {
            node.Attribute.Remove(written);
        }

        node.Attribute.Add(attribute);
    }

    private static TensorProto Int64Scalar(string name, long value)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Int64Data.Add(value);
        return tensor;
    }

    private static TensorProto FloatInitializer(string name, params int[] shape)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(shape.Select(d => (long)d));
        tensor.RawData = ByteString.CopyFrom(new byte[shape.Aggregate(1, (a, b) => a * b) * sizeof(float)]);
        return tensor;
    }

    /// <summary>Reports on the importer's thread, so the list is complete when Import returns.</summary>
    private sealed class SynchronousProgress(Action<ImportProgress> report) : IProgress<ImportProgress>
    {
        public void Report(ImportProgress value) => report(value);
    }
}
