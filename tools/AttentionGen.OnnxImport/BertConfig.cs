using System.Text.Json;
using System.Text.Json.Serialization;

namespace AttentionGen.OnnxImport;

/// <summary>
/// The hyperparameters of a BERT encoder as read from an ONNX graph, serialized under Hugging Face
/// <c>BertConfig</c> names so the JSON reads like a <c>config.json</c>.
/// </summary>
/// <param name="Layers">Encoder layers (<c>num_hidden_layers</c>).</param>
/// <param name="Hidden">Model width (<c>hidden_size</c>).</param>
/// <param name="Heads">Attention heads per layer (<c>num_attention_heads</c>); the head size is <c>Hidden / Heads</c>.</param>
/// <param name="FeedForward">Width of the feed-forward block (<c>intermediate_size</c>).</param>
/// <param name="Vocabulary">Token embedding rows (<c>vocab_size</c>).</param>
/// <param name="Positions">Position embedding rows, the longest input (<c>max_position_embeddings</c>).</param>
/// <param name="TokenTypes">Token type embedding rows (<c>type_vocab_size</c>).</param>
/// <param name="LayerNormEpsilon">Added to the biased variance in every LayerNorm (<c>layer_norm_eps</c>).</param>
/// <param name="Activation">The feed-forward activation, by its Hugging Face name: <c>gelu</c> is the exact erf form.</param>
public sealed record BertConfig(
    [property: JsonPropertyName("num_hidden_layers")] int Layers,
    [property: JsonPropertyName("hidden_size")] int Hidden,
    [property: JsonPropertyName("num_attention_heads")] int Heads,
    [property: JsonPropertyName("intermediate_size")] int FeedForward,
    [property: JsonPropertyName("vocab_size")] int Vocabulary,
    [property: JsonPropertyName("max_position_embeddings")] int Positions,
    [property: JsonPropertyName("type_vocab_size")] int TokenTypes,
    [property: JsonPropertyName("layer_norm_eps")] double LayerNormEpsilon,
    [property: JsonPropertyName("hidden_act")] string Activation)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Always <c>bert</c>: written so the JSON names its family like a Hugging Face config does.</summary>
    [JsonPropertyName("model_type")]
    [JsonPropertyOrder(-1)]
    public string ModelType => "bert";

    /// <summary>Width of one attention head.</summary>
    [JsonIgnore]
    public int HeadSize => Hidden / Heads;

    /// <summary>The config as indented JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Indented);

    /// <summary>Reads a config written by <see cref="ToJson"/>.</summary>
    /// <exception cref="InvalidDataException">The JSON is not a config, or lacks a field.</exception>
    public static BertConfig FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            var options = new JsonSerializerOptions { RespectRequiredConstructorParameters = true };
            return JsonSerializer.Deserialize<BertConfig>(json, options)
                ?? throw new InvalidDataException("The BERT config JSON is null.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The BERT config JSON cannot be read: {e.Message}", e);
        }
    }
}
