using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Google.Protobuf;
using Onnx;

namespace AttentionGen.OnnxImport;

/// <summary>
/// Converts a BERT-family ONNX export (as PyTorch's exporter writes <c>BertModel</c>) to a safetensors file under
/// Hugging Face <c>BertModel</c> names, plus the model's config.
/// </summary>
/// <remarks>
/// <para>
/// Such an export keeps the Hugging Face names of biases, LayerNorm parameters, embeddings and the pooler, but stores
/// each Linear weight as an anonymous initializer, [in, out], multiplied in by a <c>MatMul</c> whose output feeds the
/// <c>Add</c> of its named bias; a Linear applied to a 2-D input is a <c>Gemm</c> with the weight as B ([out, in] when
/// <c>transB</c> is set, [in, out] when not) and the bias as C. The importer names each weight after its bias
/// (<c>….bias</c> → <c>….weight</c>) and writes it in the Hugging Face [out, in] layout (<see cref="LinearLayer"/>).
/// </para>
/// <para>
/// The config is read from the graph: sizes from the tensors, the LayerNorm epsilon from the constant added to the
/// variance, the head count from the reshape that splits the heads, the activation from every layer's feed-forward ops.
/// Anything it does not understand (an initializer it cannot name, a weight not multiplied in as described, a Gemm
/// other than a Linear's, layers with different activations, a missing or misshapen tensor, a named tensor no graph
/// output is computed from, a dtype other than float32, an op after the last encoder layer other than the last hidden
/// state's way to an output and BertModel's pooler) fails the import with an <see cref="OnnxImportException"/> naming it.
/// </para>
/// </remarks>
public static partial class BertOnnxImporter
{
    /// <summary>The buffer PyTorch exports with the embeddings: the positions 0, 1, …, not a learned tensor.</summary>
    private const string PositionIdsBuffer = "embeddings.position_ids";

    /// <summary>
    /// Written into every file's metadata under <see cref="VersionMetadataKey"/>. Raise it when the output changes
    /// for the same input, so cached conversions (<see cref="MiniLmPackage.EnsureSafeTensors"/>) are redone.
    /// </summary>
    public const string Version = "1";

    /// <summary>The safetensors metadata key that holds <see cref="Version"/>.</summary>
    public const string VersionMetadataKey = "attentiongen_onnx_import";

    /// <summary>
    /// Imports <paramref name="onnxPath"/> into <paramref name="safetensorsPath"/> (F32) and writes the config beside it
    /// (<see cref="ConfigPathFor"/>). Both files appear only once complete, replacing any there. Returns the config.
    /// </summary>
    /// <exception cref="ArgumentException">An output path is the input's.</exception>
    /// <exception cref="OnnxImportException">The file is not a readable ONNX model, or not a BERT graph the importer understands.</exception>
    /// <exception cref="IOException">A file cannot be read or written.</exception>
    public static BertConfig Import(string onnxPath, string safetensorsPath, IProgress<ImportProgress>? progress = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(onnxPath);
        ArgumentException.ThrowIfNullOrEmpty(safetensorsPath);
        RequireOtherThanInput(onnxPath, safetensorsPath, ConfigPathFor(safetensorsPath));
        var model = ReadModel(onnxPath);
        progress?.Report(new ImportProgress(ImportStage.Read, 0, 0));

        var mapping = Map(model, onnxPath);
        progress?.Report(new ImportProgress(ImportStage.Mapped, 0, mapping.Tensors.Count));

        var initializers = model.Graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var writer = new SafeTensorsWriter();
        writer.AddMetadata("format", "pt");
        writer.AddMetadata("source", $"ONNX import of {Path.GetFileName(onnxPath)}");
        writer.AddMetadata(VersionMetadataKey, Version);
        int converted = 0;
        foreach (var tensor in mapping.Tensors)
        {
            var values = ReadFloats(initializers[tensor.Initializer], onnxPath);
            if (tensor.Transposed)
            {
                values = Transpose(values, rows: tensor.Shape[1], columns: tensor.Shape[0]);
            }

            writer.Add(tensor.Name, values, tensor.Shape.ToArray());
            progress?.Report(new ImportProgress(ImportStage.Converted, ++converted, mapping.Tensors.Count, tensor.Name));
        }

        WriteTogether(
            (safetensorsPath, writer.Save),
            (ConfigPathFor(safetensorsPath), path => File.WriteAllText(path, mapping.Config.ToJson() + "\n")));
        progress?.Report(new ImportProgress(ImportStage.Written, converted, mapping.Tensors.Count));
        return mapping.Config;
    }

    /// <summary>
    /// Refuses outputs that would replace the input: written over it, the model would be gone before anything could
    /// read it again.
    /// </summary>
    private static void RequireOtherThanInput(string onnxPath, params string[] outputs)
    {
        var input = Path.GetFullPath(onnxPath);
        foreach (var output in outputs)
        {
            if (string.Equals(Path.GetFullPath(output), input, StringComparison.Ordinal))
            {
                throw new ArgumentException(
                    $"The import would write '{output}', which is the input model '{onnxPath}': choose another output path.", nameof(onnxPath));
            }
        }
    }

    /// <summary>Where <see cref="Import"/> writes the config: <c>model.safetensors</c> → <c>model.config.json</c> beside it.</summary>
    public static string ConfigPathFor(string safetensorsPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(safetensorsPath);
        var directory = Path.GetDirectoryName(Path.GetFullPath(safetensorsPath))!;
        return Path.Combine(directory, Path.GetFileNameWithoutExtension(safetensorsPath) + ".config.json");
    }

    /// <summary>Parses an ONNX file.</summary>
    /// <exception cref="OnnxImportException">The file is not a valid ONNX protobuf (truncated, corrupt, or not ONNX), or has no graph.</exception>
    public static ModelProto ReadModel(string onnxPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(onnxPath);
        if (Directory.Exists(onnxPath))
        {
            throw new OnnxImportException($"'{onnxPath}' is a folder, not an ONNX file.");
        }

        ModelProto model;
        try
        {
            using var stream = File.OpenRead(onnxPath);
            model = ModelProto.Parser.ParseFrom(stream);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new OnnxImportException($"'{onnxPath}' is not a readable ONNX model (truncated, corrupt or not ONNX): {e.Message}", e);
        }

        if (model.Graph is null || model.Graph.Node.Count == 0)
        {
            throw new OnnxImportException($"'{onnxPath}' holds no graph: it is empty, truncated or not an ONNX model.");
        }

        return model;
    }

    /// <summary>
    /// Reads the graph of <paramref name="model"/>: its config and, for every Hugging Face tensor, the initializer that
    /// holds it. <paramref name="source"/> names the model in error messages.
    /// </summary>
    /// <exception cref="OnnxImportException">The graph holds something the importer does not understand; the message says what.</exception>
    public static BertOnnxMapping Map(ModelProto model, string source)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(source);
        try
        {
            return MapGraph(model, source);
        }
        catch (Exception e) when (e is OverflowException or ArgumentOutOfRangeException or IndexOutOfRangeException or InvalidOperationException)
        {
            // A graph shaped unlike any BERT export (a node short of an input, a dimension past 2³¹, …) trips a lookup
            // that assumes an exporter's structure: the file is the problem, and the message says so.
            throw new OnnxImportException($"Cannot import '{source}': its graph is not shaped like a BERT export the importer knows ({e.Message})", e);
        }
    }

    private static BertOnnxMapping MapGraph(ModelProto model, string source)
    {
        var graph = new GraphIndex(model.Graph ?? throw Fail(source, "the model has no graph."), source);
        var found = new Dictionary<string, (TensorProto Tensor, bool Transposed)>(StringComparer.Ordinal);

        void Name(string hfName, TensorProto tensor, bool transposed, string how)
        {
            if (!found.TryAdd(hfName, (tensor, transposed)))
            {
                throw Fail(source, $"two initializers map to '{hfName}': '{found[hfName].Tensor.Name}' and '{tensor.Name}' ({how}).");
            }
        }

        // Every MatMul or Gemm by an initializer is a Linear layer, read in one place (GraphIndex.Linears): its weight is
        // named after its bias and stored [in, out] or already [out, in]; any other such product is refused there.
        var weights = new HashSet<string>(StringComparer.Ordinal);
        foreach (var linear in graph.Linears)
        {
            weights.Add(linear.Weight.Name);
            Name(linear.WeightName, linear.Weight, linear.WeightTransposed, $"the weight of {Describe(linear.Product)}, named after its bias '{linear.Bias.Name}'");
        }

        foreach (var tensor in graph.Initializers.Values.Where(t => !weights.Contains(t.Name)))
        {
            if (tensor.Name == PositionIdsBuffer)
            {
                RequirePositionIds(tensor, source);
            }
            else if (IsGraphConstant(tensor) && !BertNames.IsHuggingFaceName(tensor.Name))
            {
                // The exporter keeps reshape targets and slice bounds (and, with constant folding, scalars such as
                // √headSize) as tiny anonymous initializers; they are structure, not weights.
            }
            else
            {
                Name(tensor.Name, tensor, transposed: false, "by its own name");
            }
        }

        // A BertModel tensor the graph holds but computes nothing with (token types it never adds, a pooler whose output
        // is no output) would still be written, and the imported model would use it where the graph does not.
        foreach (var (hfName, origin) in found.Where(f => BertNames.IsBertModelTensor(f.Key)))
        {
            graph.RequireUsed(origin.Tensor, hfName);
        }

        string InitializerOf(string hfName) => found.TryGetValue(hfName, out var origin) ? origin.Tensor.Name : hfName;
        graph.RequirePositionsIndependentOfTokenValues(InitializerOf("embeddings.word_embeddings.weight"), InitializerOf("embeddings.position_embeddings.weight"));
        var config = ReadConfig(graph, found, source);
        // The weights hold nothing of what the graph computes after the last encoder layer: an op there that BertModel
        // does not have (a Softplus, a Mul by a constant, a pooling) would be dropped without a word, and the imported
        // model would compute something other than the graph. Only the last hidden state and the pooler may follow.
        graph.RequireNothingAfterTheEncoderButThePooler($"encoder.layer.{config.Layers - 1}.output.LayerNorm");
        var expected = BertNames.Expected(config, hasPooler: found.Keys.Any(n => n.StartsWith("pooler.", StringComparison.Ordinal)));
        var unexpected = found.Keys.Where(n => !expected.ContainsKey(n)).Order(StringComparer.Ordinal).ToList();
        if (unexpected.Count > 0)
        {
            var first = found[unexpected[0]].Tensor;
            throw Fail(source,
                $"initializer '{first.Name}' ({DataTypeName(first.DataType)} [{string.Join(", ", first.Dims)}]) cannot be mapped to a BertModel tensor" +
                (first.Name == unexpected[0] ? "" : $" (it would be '{unexpected[0]}')") +
                (unexpected.Count > 1 ? $"; nor can {unexpected.Count - 1} more: {string.Join(", ", unexpected.Skip(1).Take(5).Select(n => $"'{n}'"))}." : "."));
        }

        var tensors = new List<BertTensorMapping>(expected.Count);
        foreach (var (name, shape) in expected)
        {
            if (!found.TryGetValue(name, out var origin))
            {
                throw Fail(source, $"tensor '{name}' [{string.Join(", ", shape)}] is missing: no initializer has that name, and no MatMul or Gemm weight is added to the bias that would name it.");
            }

            RequireFloat(origin.Tensor, source);
            var stored = origin.Tensor.Dims.Select(d => (int)d).ToArray();
            var storedAs = origin.Transposed ? stored.Reverse().ToArray() : stored;
            if (!storedAs.SequenceEqual(shape))
            {
                var actual = origin.Transposed
                    ? $"is stored [{string.Join(", ", stored)}] as [in, out], so its shape is [{string.Join(", ", storedAs)}]"
                    : $"has shape [{string.Join(", ", stored)}]";
                throw Fail(source, $"tensor '{name}' (initializer '{origin.Tensor.Name}') {actual}; a BertModel with this config needs [{string.Join(", ", shape)}].");
            }

            tensors.Add(new BertTensorMapping(name, origin.Tensor.Name, shape, origin.Transposed));
        }

        return new BertOnnxMapping(config, tensors);
    }

    private static BertConfig ReadConfig(GraphIndex graph, Dictionary<string, (TensorProto Tensor, bool Transposed)> found, string source)
    {
        int Dim(string name, int axis)
        {
            if (!found.TryGetValue(name, out var tensor))
            {
                throw Fail(source, $"tensor '{name}' is missing, so the model's sizes cannot be read.");
            }

            if (tensor.Tensor.Dims.Count <= axis)
            {
                throw Fail(source, $"tensor '{name}' has shape [{string.Join(", ", tensor.Tensor.Dims)}]; it needs at least {axis + 1} dimensions.");
            }

            return checked((int)tensor.Tensor.Dims[axis]);
        }

        int vocabulary = Dim("embeddings.word_embeddings.weight", 0), hidden = Dim("embeddings.word_embeddings.weight", 1);
        int positions = Dim("embeddings.position_embeddings.weight", 0), tokenTypes = Dim("embeddings.token_type_embeddings.weight", 0);
        var layerIndices = found.Keys.Select(n => LayerIndex().Match(n)).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        if (layerIndices.Count == 0)
        {
            throw Fail(source, "no tensor is named encoder.layer.{i}.…, so the graph has no encoder layers the importer recognizes.");
        }

        int layers = layerIndices.Max() + 1;
        int feedForward = Dim("encoder.layer.0.intermediate.dense.bias", 0);
        const string firstQueryBias = "encoder.layer.0.attention.self.query.bias";
        if (!found.ContainsKey(firstQueryBias))
        {
            throw Fail(source, $"tensor '{firstQueryBias}' is missing, so the head count cannot be read.");
        }

        var (heads, headSize) = graph.HeadSplit(firstQueryBias);
        // Recent transformers versions reshape to [batch, sequence, -1, head size], leaving the head count for the
        // runtime to infer; infer it here the same way (and the head size, for a graph that fixes the heads instead).
        if (heads == -1 && headSize > 0 && hidden % headSize == 0)
        {
            heads = hidden / headSize;
        }
        else if (headSize == -1 && heads > 0 && hidden % heads == 0)
        {
            headSize = hidden / heads;
        }

        if (heads * headSize != hidden)
        {
            throw Fail(source, $"the attention reshape splits the query into {heads} heads of {headSize}, which is not the hidden size {hidden}.");
        }

        var epsilon = graph.LayerNormEpsilon();
        var activation = FeedForwardActivation(graph, found, 0);
        for (int layer = 1; layer < layers; layer++)
        {
            // An AttentionGen encoder has one activation for all its layers: a graph whose layers differ would import
            // with layer 0's everywhere. Each layer's is read, so one the importer does not know is refused wherever it is.
            var other = FeedForwardActivation(graph, found, layer);
            if (other != activation)
            {
                throw Fail(source, $"layer {layer}'s feed-forward activation is {other} (after 'encoder.layer.{layer}.intermediate.dense.bias') but layer 0's is " +
                    $"{activation}; a BertConfig holds one activation for all layers.");
            }
        }

        return new BertConfig(layers, hidden, heads, feedForward, vocabulary, positions, tokenTypes, epsilon, activation);
    }

    /// <summary>The feed-forward activation of encoder layer <paramref name="layer"/>, by its Hugging Face name.</summary>
    private static string FeedForwardActivation(GraphIndex graph, Dictionary<string, (TensorProto Tensor, bool Transposed)> found, int layer)
    {
        var bias = $"encoder.layer.{layer}.intermediate.dense.bias";
        if (!found.TryGetValue(bias, out var tensor))
        {
            throw Fail(graph.Source, $"tensor '{bias}' is missing, so layer {layer}'s feed-forward activation cannot be read.");
        }

        return graph.FeedForwardActivation(tensor.Tensor.Name);
    }

    /// <summary>The values of a float32 initializer, from <c>raw_data</c> (little-endian) or <c>float_data</c>.</summary>
    /// <exception cref="OnnxImportException">The tensor is not float32, keeps its data outside the file, or holds the wrong number of values.</exception>
    public static float[] ReadFloats(TensorProto tensor, string source)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        RequireFloat(tensor, source);
        if (tensor.DataLocation == TensorProto.Types.DataLocation.External)
        {
            throw Fail(source, $"initializer '{tensor.Name}' keeps its data in an external file; import a model saved with its weights inside.");
        }

        long count = 1;
        foreach (var dim in tensor.Dims)
        {
            count = dim < 0 ? -1 : checked(count * dim);
        }

        if (count is < 0 or > int.MaxValue)
        {
            throw Fail(source, $"initializer '{tensor.Name}' has shape [{string.Join(", ", tensor.Dims)}], which cannot be held in one array.");
        }

        var values = new float[count];
        if (!tensor.RawData.IsEmpty)
        {
            if (tensor.RawData.Length != count * sizeof(float))
            {
                throw Fail(source, $"initializer '{tensor.Name}' [{string.Join(", ", tensor.Dims)}] holds {tensor.RawData.Length} bytes of data; its shape needs {count * sizeof(float)}.");
            }

            var bytes = tensor.RawData.Span;
            if (BitConverter.IsLittleEndian)
            {
                bytes.CopyTo(MemoryMarshal.AsBytes(values.AsSpan()));
            }
            else
            {
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * sizeof(float))..]);
                }
            }
        }
        else if (tensor.FloatData.Count == count)
        {
            tensor.FloatData.CopyTo(values, 0);
        }
        else
        {
            throw Fail(source, $"initializer '{tensor.Name}' [{string.Join(", ", tensor.Dims)}] holds {tensor.FloatData.Count} values; its shape needs {count}.");
        }

        return values;
    }

    /// <summary>A [rows, columns] matrix, row-major, as [columns, rows].</summary>
    private static float[] Transpose(float[] values, int rows, int columns)
    {
        var transposed = new float[values.Length];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                transposed[c * rows + r] = values[r * columns + c];
            }
        }

        return transposed;
    }

    internal static void RequireFloat(TensorProto tensor, string source)
    {
        if (tensor.DataType != (int)TensorProto.Types.DataType.Float)
        {
            throw Fail(source, $"initializer '{tensor.Name}' has dtype {DataTypeName(tensor.DataType)}; only FLOAT (float32) weights are imported.");
        }
    }

    private static void RequirePositionIds(TensorProto tensor, string source)
    {
        var ids = GraphIndex.Int64Values(tensor);
        if (ids is null || Enumerable.Range(0, ids.Length).Any(i => ids[i] != i))
        {
            throw Fail(source, $"initializer '{PositionIdsBuffer}' is not the positions 0, 1, 2, …; a model with other position ids is not a plain BERT.");
        }
    }

    /// <summary>
    /// Integer initializers of at most one dimension and a handful of values (reshape targets, slice bounds), and
    /// single floats (scalars an exporter folded into initializers).
    /// </summary>
    private static bool IsGraphConstant(TensorProto tensor)
    {
        var count = tensor.Dims.Aggregate(1L, (a, b) => a * b);
        return tensor.DataType switch
        {
            (int)TensorProto.Types.DataType.Int64 or (int)TensorProto.Types.DataType.Int32 => tensor.Dims.Count <= 1 && count <= 8,
            (int)TensorProto.Types.DataType.Float => count == 1,
            _ => false,
        };
    }

    /// <summary>
    /// Writes each file to a temporary one beside it, and only when all are written moves them into place, so a failure
    /// (a full disk, a destination that is a folder) leaves neither the weights without their config nor a half file.
    /// </summary>
    private static void WriteTogether(params (string Path, Action<string> Write)[] files)
    {
        foreach (var (path, _) in files)
        {
            if (Directory.Exists(path))
            {
                throw new IOException($"Cannot write '{path}': a folder of that name is there.");
            }
        }

        var temporaries = new List<string>();
        try
        {
            foreach (var (path, write) in files)
            {
                var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
                Directory.CreateDirectory(directory);
                var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
                temporaries.Add(temporary);
                write(temporary);
            }

            for (int i = 0; i < files.Length; i++)
            {
                File.Move(temporaries[i], files[i].Path, overwrite: true);
            }
        }
        finally
        {
            foreach (var temporary in temporaries)
            {
                File.Delete(temporary);
            }
        }
    }

    internal static string DataTypeName(int dataType) =>
        Enum.IsDefined(typeof(TensorProto.Types.DataType), dataType) ? ((TensorProto.Types.DataType)dataType).ToString().ToUpperInvariant() : $"#{dataType}";

    internal static string Describe(NodeProto node) => string.IsNullOrEmpty(node.Name) ? $"{node.OpType} node" : $"{node.OpType} '{node.Name}'";

    internal static OnnxImportException Fail(string source, string problem) => new($"Cannot import '{source}': {problem}");

    [GeneratedRegex(@"^encoder\.layer\.(\d+)\.")]
    private static partial Regex LayerIndex();
}
