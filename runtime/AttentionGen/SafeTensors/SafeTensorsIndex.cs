using System.Text.Json;

namespace AttentionGen;

/// <summary>
/// A sharded checkpoint: <c>model.safetensors.index.json</c> maps each tensor name to the shard file holding it
/// (<c>{"metadata": {...}, "weight_map": {"name": "model-00001-of-00002.safetensors", ...}}</c>). The index and its
/// shards must agree: every tensor it lists is in the shard it names, and no tensor is in two shards. A shard may hold
/// tensors the index does not list, as Hugging Face's loaders allow; they load too. An index naming anything twice (a
/// tensor, <c>weight_map</c> or <c>metadata</c>) is refused.
/// </summary>
internal static class SafeTensorsIndex
{
    public static SafeTensors Open(string indexPath)
    {
        var (weightMap, metadata) = ReadIndex(indexPath);
        var folder = Path.GetDirectoryName(Path.GetFullPath(indexPath))!;
        var shardNames = weightMap.Select(entry => entry.Value).Distinct(StringComparer.Ordinal).ToList();
        var files = new List<TensorData>();
        try
        {
            var tensors = new List<(TensorInfo Tensor, TensorData Data)>();
            var shardOf = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var shardName in shardNames)
            {
                var (shardTensors, _, data) = OpenShard(indexPath, Path.Combine(folder, shardName), shardName);
                files.Add(data);
                foreach (var tensor in shardTensors)
                {
                    if (!shardOf.TryAdd(tensor.Name, shardName))
                    {
                        throw new SafeTensorsFormatException(
                            $"Tensor '{tensor.Name}' is in two shards of '{indexPath}': '{shardOf[tensor.Name]}' and '{shardName}'.");
                    }

                    tensors.Add((tensor, data));
                }
            }

            foreach (var (name, shardName) in weightMap)
            {
                if (!shardOf.TryGetValue(name, out var actual) || actual != shardName)
                {
                    throw new SafeTensorsFormatException(
                        $"The index '{indexPath}' puts tensor '{name}' in '{shardName}', but that shard has no such tensor" +
                        (actual is null ? "." : $"; it is in '{actual}'."));
                }
            }

            return SafeTensors.Create(tensors, metadata, [.. files]);
        }
        catch
        {
            foreach (var file in files)
            {
                file.Dispose();
            }

            throw;
        }
    }

    private static (List<TensorInfo> Tensors, Dictionary<string, string> Metadata, TensorData Data) OpenShard(string indexPath, string shardPath, string shardName)
    {
        try
        {
            return SafeTensors.OpenFile(shardPath);
        }
        catch (FileNotFoundException e)
        {
            throw new FileNotFoundException($"The index '{indexPath}' lists shard '{shardName}', but '{shardPath}' does not exist.", shardPath, e);
        }
        catch (SafeTensorsFormatException e)
        {
            throw new SafeTensorsFormatException($"Shard '{shardPath}' of '{indexPath}': {e.Message}", e);
        }
    }

    private static (List<KeyValuePair<string, string>> WeightMap, Dictionary<string, string> Metadata) ReadIndex(string indexPath)
    {
        byte[] json;
        using (var stream = SafeTensors.OpenRead(indexPath))
        {
            if (stream.Length > SafeTensors.MaxHeaderLength)
            {
                throw new SafeTensorsFormatException(
                    $"The index '{indexPath}' is {stream.Length} bytes, over the {SafeTensors.MaxHeaderLength}-byte limit.");
            }

            json = new byte[stream.Length];
            stream.ReadExactly(json);
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Malformed(indexPath, $"it must be a JSON object, not {root.ValueKind}");
            }

            // Given twice, which one counts is not defined (the JSON reader here takes the last, others may not), and the
            // one passed over would go unchecked: refused, as a safetensors header naming anything twice is.
            var rootNames = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in root.EnumerateObject())
            {
                if (!rootNames.Add(property.Name))
                {
                    throw Malformed(indexPath, $"it names '{property.Name}' twice");
                }
            }

            if (!root.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
            {
                throw Malformed(indexPath, "it needs a \"weight_map\" object from tensor names to shard files");
            }

            var weightMap = new List<KeyValuePair<string, string>>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var entry in map.EnumerateObject())
            {
                if (!names.Add(entry.Name))
                {
                    throw Malformed(indexPath, $"its weight_map names '{entry.Name}' twice");
                }

                if (entry.Value.ValueKind != JsonValueKind.String)
                {
                    throw Malformed(indexPath, $"weight_map entry '{entry.Name}' must be a shard file name string");
                }

                var shard = entry.Value.GetString()!;

                // Shards sit beside the index; anything else (a folder, "..", a rooted path) could reach any file, and a
                // character no file name may hold (NUL) would fail as an argument error rather than a format error.
                if (shard.Length == 0 || shard is "." or ".." || Path.GetFileName(shard) != shard
                    || shard.IndexOfAny(['/', '\\']) >= 0 || shard.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
                {
                    throw Malformed(indexPath, $"weight_map entry '{entry.Name}' names shard '{shard}', which is not a file name in the index's folder");
                }

                weightMap.Add(new(entry.Name, shard));
            }

            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            if (root.TryGetProperty("metadata", out var meta) && meta.ValueKind != JsonValueKind.Null)
            {
                if (meta.ValueKind != JsonValueKind.Object)
                {
                    throw Malformed(indexPath, $"its metadata must be an object, not {meta.ValueKind}");
                }

                foreach (var entry in meta.EnumerateObject())
                {
                    var value = entry.Value.ValueKind == JsonValueKind.String ? entry.Value.GetString()! : entry.Value.GetRawText();
                    if (!metadata.TryAdd(entry.Name, value))
                    {
                        throw Malformed(indexPath, $"its metadata names '{entry.Name}' twice");
                    }
                }
            }

            return (weightMap, metadata);
        }
        catch (JsonException e)
        {
            throw new SafeTensorsFormatException($"The index '{indexPath}' is not valid JSON: {e.Message}", e);
        }
        catch (InvalidOperationException e)
        {
            // Thrown for strings that cannot become .NET strings, such as a lone surrogate escape.
            throw new SafeTensorsFormatException($"The index '{indexPath}' has a string that is not valid JSON text: {e.Message}", e);
        }
    }

    private static SafeTensorsFormatException Malformed(string indexPath, string problem) =>
        new($"The index '{indexPath}' is not a safetensors index: {problem}.");
}
