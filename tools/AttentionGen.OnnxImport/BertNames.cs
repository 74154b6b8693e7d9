using System.Text.RegularExpressions;

namespace AttentionGen.OnnxImport;

/// <summary>The tensors of a Hugging Face <c>BertModel</c> (no <c>bert.</c> prefix) and their shapes.</summary>
public static partial class BertNames
{
    /// <summary>The names of a one-layer <c>BertModel</c>: every tensor of any config is one of them, its layer index aside.</summary>
    private static readonly HashSet<string> OneLayer = [.. Expected(new BertConfig(1, 1, 1, 1, 1, 1, 1, 1e-12, "gelu")).Keys];

    /// <summary>Whether <paramref name="name"/> is spelled like a <c>BertModel</c> tensor (an exporter's anonymous initializers are numbers).</summary>
    public static bool IsHuggingFaceName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.StartsWith("embeddings.", StringComparison.Ordinal)
            || name.StartsWith("encoder.", StringComparison.Ordinal)
            || name.StartsWith("pooler.", StringComparison.Ordinal);
    }

    /// <summary>
    /// Whether <paramref name="name"/> is one of the tensors a <c>BertModel</c> of some config has: an embedding table,
    /// a LayerNorm's, a Linear's of any layer, the pooler's.
    /// </summary>
    public static bool IsBertModelTensor(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var layer = LayerPrefix().Match(name);
        return OneLayer.Contains(layer.Success ? "encoder.layer.0." + name[layer.Length..] : name);
    }

    /// <summary>
    /// Every tensor of a <c>BertModel</c> with <paramref name="config"/>, in the order Hugging Face lists them, with
    /// its shape: Linear weights are [out, in].
    /// </summary>
    public static OrderedDictionary<string, int[]> Expected(BertConfig config, bool hasPooler = true)
    {
        ArgumentNullException.ThrowIfNull(config);
        int hidden = config.Hidden, feedForward = config.FeedForward;
        var tensors = new OrderedDictionary<string, int[]>(StringComparer.Ordinal)
        {
            ["embeddings.word_embeddings.weight"] = [config.Vocabulary, hidden],
            ["embeddings.position_embeddings.weight"] = [config.Positions, hidden],
            ["embeddings.token_type_embeddings.weight"] = [config.TokenTypes, hidden],
            ["embeddings.LayerNorm.weight"] = [hidden],
            ["embeddings.LayerNorm.bias"] = [hidden],
        };

        void Linear(string prefix, int outputs, int inputs)
        {
            tensors[prefix + ".weight"] = [outputs, inputs];
            tensors[prefix + ".bias"] = [outputs];
        }

        void LayerNorm(string prefix)
        {
            tensors[prefix + ".weight"] = [hidden];
            tensors[prefix + ".bias"] = [hidden];
        }

        for (int layer = 0; layer < config.Layers; layer++)
        {
            var prefix = $"encoder.layer.{layer}.";
            Linear(prefix + "attention.self.query", hidden, hidden);
            Linear(prefix + "attention.self.key", hidden, hidden);
            Linear(prefix + "attention.self.value", hidden, hidden);
            Linear(prefix + "attention.output.dense", hidden, hidden);
            LayerNorm(prefix + "attention.output.LayerNorm");
            Linear(prefix + "intermediate.dense", feedForward, hidden);
            Linear(prefix + "output.dense", hidden, feedForward);
            LayerNorm(prefix + "output.LayerNorm");
        }

        if (hasPooler)
        {
            Linear("pooler.dense", hidden, hidden);
        }

        return tensors;
    }

    [GeneratedRegex(@"^encoder\.layer\.\d+\.")]
    private static partial Regex LayerPrefix();
}
