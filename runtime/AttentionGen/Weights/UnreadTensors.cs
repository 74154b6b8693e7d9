namespace AttentionGen;

/// <summary>
/// What a file's unread tensors say about the model it holds. A checkpoint of another shape fails to load on its
/// tensors' names and shapes, but one of a larger or richer model can have every tensor a declaration asks for and
/// more, and loading just those would give wrong outputs without a word. Two kinds of surplus are refused: further
/// layers (<c>encoder.layer.6.…</c> where the declaration's stop at 5: all-MiniLM-L12-v2 given to a six-layer encoder),
/// and further parts inside the declared layers or modules (<c>model.layers.0.self_attn.q_norm.weight</c>: a Qwen3
/// checkpoint given to a Llama declaration; <c>q_proj.bias</c> given to one without <c>Bias</c>, in a numbered layer or
/// beside a lone layer's <c>q_proj.weight</c>). Tensors outside every layer (a pooler
/// the model does not use, a head under another prefix) and the buffers some exporters save inside layers are left
/// alone.
/// </summary>
internal static class UnreadTensors
{
    /// <summary>
    /// Name endings of non-learned buffers that some checkpoints carry inside their layers: Llama's rotary frequencies
    /// (older exports) and GPT-2's causal mask (<c>h.{i}.attn.bias</c>, <c>h.{i}.attn.masked_bias</c>).
    /// </summary>
    private static readonly string[] Buffers = [".rotary_emb.inv_freq", ".attn.bias", ".attn.masked_bias"];

    /// <summary>The problems with <paramref name="file"/>'s surplus under <paramref name="prefix"/>: none, one or two.</summary>
    public static IEnumerable<WeightLoadException> Problems(SafeTensors file, string prefix, ParameterSpec[] specs)
    {
        // What the parameters look for, found or not (a misshaped tensor is reported as that, not as surplus).
        var read = new HashSet<string>(StringComparer.Ordinal);
        foreach (var spec in specs)
        {
            read.Add(prefix + spec.Name);
            if (spec.Source is { } source)
            {
                read.Add(prefix + source.Name);
            }
        }

        var readPatterns = read.Select(IndexPattern).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var readLayerStems = read.Select(LayerStem).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var readModules = read.Select(Module).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var unread = file.Tensors.Where(t => t.Name.StartsWith(prefix, StringComparison.Ordinal) && !read.Contains(t.Name)).ToList();

        var furtherLayers = unread.Where(t => IndexPattern(t.Name) is { } pattern && readPatterns.Contains(pattern)).ToList();
        if (furtherLayers.Count > 0)
        {
            long highestIndex = furtherLayers.SelectMany(t => t.Name.Split('.')).Where(IsIndex).Max(long.Parse);
            var first = furtherLayers[0];
            yield return new WeightLoadException(
                $"The file holds {furtherLayers.Count} tensors that are further layers of ones the declaration reads, such as '{first.Name}' " +
                $"(its layers are numbered up to {highestIndex}): the file's model has more layers than the declaration. Check its Layers.",
                first.Name, [], first.Shape);
        }

        // Inside a numbered layer the declaration reads, any tensor it does not read is a part it lacks. Outside numbered
        // layers (a lone layer loaded under "attn.", a model's final norm), so is one beside a tensor it reads in the same
        // module: "attn.q_proj.bias" beside "attn.q_proj.weight".
        var furtherParts = unread
            .Where(t => !furtherLayers.Contains(t)
                && (LayerStem(t.Name) is { } stem ? readLayerStems.Contains(stem) : Module(t.Name) is { } module && readModules.Contains(module))
                && !Buffers.Any(buffer => t.Name.EndsWith(buffer, StringComparison.Ordinal)))
            .ToList();
        if (furtherParts.Count > 0)
        {
            var first = furtherParts[0];
            var kinds = furtherParts.Select(t => IndexPattern(t.Name) ?? t.Name).Distinct().Take(4);
            yield return new WeightLoadException(
                $"The file holds {furtherParts.Count} tensors the declaration does not read, inside layers or modules it reads ({string.Join(", ", kinds)}), so the file's " +
                "model has parts the declaration lacks (another architecture, or an option it leaves off, such as Bias) and would run " +
                "without them. Check that the declaration describes this model.",
                first.Name, [], first.Shape);
        }
    }

    /// <summary>The name with each dot-separated index replaced by '#' ("encoder.layer.#.output.dense.weight"); null without one.</summary>
    private static string? IndexPattern(string name)
    {
        var parts = name.Split('.');
        bool indexed = false;
        for (int i = 0; i < parts.Length; i++)
        {
            if (IsIndex(parts[i]))
            {
                parts[i] = "#";
                indexed = true;
            }
        }

        return indexed ? string.Join('.', parts) : null;
    }

    /// <summary>The name up to its first index, which becomes '#' ("model.layers.#."); null without one.</summary>
    private static string? LayerStem(string name)
    {
        var parts = name.Split('.');
        int index = Array.FindIndex(parts, IsIndex);
        return index < 0 ? null : string.Join('.', parts[..index]) + ".#.";
    }

    /// <summary>The name up to its last part ("attn.q_proj." for "attn.q_proj.bias"); null for a name of one part.</summary>
    private static string? Module(string name)
    {
        int lastDot = name.LastIndexOf('.');
        return lastDot <= 0 ? null : name[..(lastDot + 1)];
    }

    private static bool IsIndex(string part) => part.Length is > 0 and < 10 && part.All(char.IsAsciiDigit);
}
