using AttentionGen.OnnxImport;

namespace AttentionGen.Models.Tests.Reference;

/// <summary>
/// A Hugging Face <c>BertModel</c> encoder forward in float64, written as plain loops so each step can be read against
/// the math: the reference generated encoders are checked against element by element.
/// </summary>
/// <remarks>
/// Weights are kept as the float32 values of the checkpoint; every product, sum, exp and square root is taken in
/// float64. The model is the post-norm BERT: embeddings (word + position + token type) → LayerNorm, then per layer
/// x = LayerNorm(x + Attention(x)), x = LayerNorm(x + W₂·GELU(W₁·x + b₁) + b₂), with LayerNorm over the biased variance,
/// the exact erf GELU, scores Q·Kᵀ/√headSize, and padding masked on keys only (padded queries still get an output).
/// </remarks>
public sealed class BertReference
{
    private readonly Dictionary<string, float[]> _weights = new(StringComparer.Ordinal);

    /// <summary>Copies every encoder tensor <paramref name="config"/> calls for out of <paramref name="checkpoint"/>.</summary>
    public BertReference(BertConfig config, SafeTensors checkpoint)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(checkpoint);
        if (config.Activation != "gelu")
        {
            throw new NotSupportedException($"The reference implements the exact erf GELU ('gelu'), not '{config.Activation}'.");
        }

        Config = config;
        foreach (var (name, shape) in BertNames.Expected(config, hasPooler: false))
        {
            var tensor = checkpoint.Require(name, shape);
            var values = new float[tensor.ElementCount];
            checkpoint.CopyTo(tensor, values);
            _weights[name] = values;
        }
    }

    /// <summary>The model's sizes.</summary>
    public BertConfig Config { get; }

    /// <summary>Loads a checkpoint and its config as <see cref="BertOnnxImporter"/> writes them.</summary>
    public static BertReference Load(string safetensorsPath, string configPath)
    {
        var config = BertConfig.FromJson(File.ReadAllText(configPath));
        using var checkpoint = SafeTensors.Open(safetensorsPath);
        return new BertReference(config, checkpoint);
    }

    /// <summary>
    /// The last hidden state, [tokens, hidden] row-major, for one sequence. <paramref name="tokenTypes"/> defaults to all
    /// 0; <paramref name="attentionMask"/> (1 = token, 0 = padding) defaults to all 1.
    /// </summary>
    public double[] Forward(ReadOnlySpan<int> tokenIds, ReadOnlySpan<int> tokenTypes = default, ReadOnlySpan<int> attentionMask = default)
    {
        int tokens = tokenIds.Length, hidden = Config.Hidden;
        CheckInputs(tokenIds, tokenTypes, attentionMask);
        var attends = new bool[tokens];
        for (int t = 0; t < tokens; t++)
        {
            attends[t] = attentionMask.IsEmpty || attentionMask[t] == 1;
        }

        var word = _weights["embeddings.word_embeddings.weight"];
        var position = _weights["embeddings.position_embeddings.weight"];
        var tokenType = _weights["embeddings.token_type_embeddings.weight"];
        var x = new double[tokens * hidden];
        for (int t = 0; t < tokens; t++)
        {
            int type = tokenTypes.IsEmpty ? 0 : tokenTypes[t];
            for (int j = 0; j < hidden; j++)
            {
                x[t * hidden + j] = (double)word[tokenIds[t] * hidden + j] + position[t * hidden + j] + tokenType[type * hidden + j];
            }
        }

        LayerNorm(x, tokens, "embeddings.LayerNorm");
        for (int layer = 0; layer < Config.Layers; layer++)
        {
            x = EncoderLayer(x, tokens, attends, $"encoder.layer.{layer}.");
        }

        return x;
    }

    /// <summary>The mean of the rows the mask keeps (all rows when it is empty), scaled to unit L2 norm: the sentence embedding.</summary>
    public static double[] SentenceEmbedding(ReadOnlySpan<double> lastHiddenState, int hidden, ReadOnlySpan<int> attentionMask = default)
    {
        int tokens = lastHiddenState.Length / hidden;
        var sum = new double[hidden];
        int kept = 0;
        for (int t = 0; t < tokens; t++)
        {
            if (!attentionMask.IsEmpty && attentionMask[t] == 0)
            {
                continue;
            }

            kept++;
            for (int j = 0; j < hidden; j++)
            {
                sum[j] += lastHiddenState[t * hidden + j];
            }
        }

        // The mean's 1/kept cancels in the normalization; it is kept so the vector is the mean before scaling.
        double norm = 0;
        for (int j = 0; j < hidden; j++)
        {
            sum[j] /= kept;
            norm += sum[j] * sum[j];
        }

        norm = Math.Sqrt(norm);
        for (int j = 0; j < hidden; j++)
        {
            sum[j] /= norm;
        }

        return sum;
    }

    /// <summary>GELU(x) = x · ½ · (1 + erf(x/√2)), the exact form BERT uses.</summary>
    public static double Gelu(double x) => 0.5 * x * (1 + Erf.Of(x / Math.Sqrt(2)));

    private double[] EncoderLayer(double[] x, int tokens, bool[] attends, string prefix)
    {
        int hidden = Config.Hidden, heads = Config.Heads, headSize = Config.HeadSize;
        var query = Linear(x, tokens, prefix + "attention.self.query", hidden, hidden);
        var key = Linear(x, tokens, prefix + "attention.self.key", hidden, hidden);
        var value = Linear(x, tokens, prefix + "attention.self.value", hidden, hidden);

        var context = new double[tokens * hidden];
        var probabilities = new double[tokens];
        double scale = 1 / Math.Sqrt(headSize);
        for (int head = 0; head < heads; head++)
        {
            int offset = head * headSize;
            for (int i = 0; i < tokens; i++)
            {
                double max = double.NegativeInfinity;
                for (int j = 0; j < tokens; j++)
                {
                    if (!attends[j])
                    {
                        continue;
                    }

                    double score = 0;
                    for (int d = 0; d < headSize; d++)
                    {
                        score += query[i * hidden + offset + d] * key[j * hidden + offset + d];
                    }

                    probabilities[j] = score * scale;
                    max = Math.Max(max, probabilities[j]);
                }

                double sum = 0;
                for (int j = 0; j < tokens; j++)
                {
                    probabilities[j] = attends[j] ? Math.Exp(probabilities[j] - max) : 0;
                    sum += probabilities[j];
                }

                for (int j = 0; j < tokens; j++)
                {
                    double weight = probabilities[j] / sum;
                    for (int d = 0; d < headSize; d++)
                    {
                        context[i * hidden + offset + d] += weight * value[j * hidden + offset + d];
                    }
                }
            }
        }

        var attention = Linear(context, tokens, prefix + "attention.output.dense", hidden, hidden);
        AddInPlace(attention, x);
        LayerNorm(attention, tokens, prefix + "attention.output.LayerNorm");

        var intermediate = Linear(attention, tokens, prefix + "intermediate.dense", Config.FeedForward, hidden);
        for (int i = 0; i < intermediate.Length; i++)
        {
            intermediate[i] = Gelu(intermediate[i]);
        }

        var output = Linear(intermediate, tokens, prefix + "output.dense", hidden, Config.FeedForward);
        AddInPlace(output, attention);
        LayerNorm(output, tokens, prefix + "output.LayerNorm");
        return output;
    }

    /// <summary>y = x·Wᵀ + b with W stored [outputs, inputs], as PyTorch's Linear.</summary>
    private double[] Linear(double[] x, int tokens, string prefix, int outputs, int inputs)
    {
        var weight = _weights[prefix + ".weight"];
        var bias = _weights[prefix + ".bias"];
        var y = new double[tokens * outputs];
        for (int t = 0; t < tokens; t++)
        {
            for (int o = 0; o < outputs; o++)
            {
                double sum = bias[o];
                for (int i = 0; i < inputs; i++)
                {
                    sum += x[t * inputs + i] * weight[o * inputs + i];
                }

                y[t * outputs + o] = sum;
            }
        }

        return y;
    }

    /// <summary>Per row: (x − mean) / √(biased variance + ε) · weight + bias.</summary>
    private void LayerNorm(double[] x, int tokens, string prefix)
    {
        var weight = _weights[prefix + ".weight"];
        var bias = _weights[prefix + ".bias"];
        int hidden = Config.Hidden;
        for (int t = 0; t < tokens; t++)
        {
            var row = x.AsSpan(t * hidden, hidden);
            double mean = 0;
            foreach (var v in row)
            {
                mean += v;
            }

            mean /= hidden;
            double variance = 0;
            foreach (var v in row)
            {
                variance += (v - mean) * (v - mean);
            }

            variance /= hidden;
            double inverse = 1 / Math.Sqrt(variance + Config.LayerNormEpsilon);
            for (int j = 0; j < hidden; j++)
            {
                row[j] = (row[j] - mean) * inverse * weight[j] + bias[j];
            }
        }
    }

    private static void AddInPlace(double[] target, double[] addend)
    {
        for (int i = 0; i < target.Length; i++)
        {
            target[i] += addend[i];
        }
    }

    private void CheckInputs(ReadOnlySpan<int> tokenIds, ReadOnlySpan<int> tokenTypes, ReadOnlySpan<int> attentionMask)
    {
        if (tokenIds.IsEmpty || tokenIds.Length > Config.Positions)
        {
            throw new ArgumentException($"A sequence holds 1 to {Config.Positions} tokens, not {tokenIds.Length}.", nameof(tokenIds));
        }

        foreach (var id in tokenIds)
        {
            if ((uint)id >= (uint)Config.Vocabulary)
            {
                throw new ArgumentOutOfRangeException(nameof(tokenIds), id, $"Token ids are 0 to {Config.Vocabulary - 1}.");
            }
        }

        if (!tokenTypes.IsEmpty && tokenTypes.Length != tokenIds.Length)
        {
            throw new ArgumentException($"There are {tokenTypes.Length} token types for {tokenIds.Length} tokens.", nameof(tokenTypes));
        }

        foreach (var type in tokenTypes)
        {
            if ((uint)type >= (uint)Config.TokenTypes)
            {
                throw new ArgumentOutOfRangeException(nameof(tokenTypes), type, $"Token types are 0 to {Config.TokenTypes - 1}.");
            }
        }

        if (!attentionMask.IsEmpty && (attentionMask.Length != tokenIds.Length || attentionMask.ContainsAnyExcept(0, 1) || !attentionMask.Contains(1)))
        {
            throw new ArgumentException($"The attention mask must hold one 0 or 1 per token ({tokenIds.Length}), with at least one 1.", nameof(attentionMask));
        }
    }
}
