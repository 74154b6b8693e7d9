namespace AttentionGen.Tests.Reference;

/// <summary>
/// The options of one transformer block, as the reference needs them. <paramref name="SandwichNorm"/> (pre-norm only)
/// also normalizes each sublayer's output before the residual add (Gemma 2). <paramref name="ScaleEmbeddings"/> and
/// <paramref name="FinalLogitSoftcap"/> belong to the decoder around the blocks and are read only by
/// <see cref="TransformerReference.DecoderLogits"/>: they ride here so a declaration's attribute maps to one record and
/// every caller of DecoderLogits picks them up. <paramref name="SlidingWindow"/>, <paramref name="SlidingWindowPattern"/>
/// and <paramref name="LocalRopeTheta"/> are the decoder's too (which layers are windowed, and their rotary base, as
/// <see cref="TransformerDecoderAttribute"/> has them); <see cref="ForLayer"/> resolves them into one layer's options,
/// which is what <see cref="TransformerReference.Block"/> takes: there a positive SlidingWindow windows the block.
/// Granite's factors: <paramref name="ResidualMultiplier"/> scales each sublayer's output in the block,
/// <paramref name="EmbeddingMultiplier"/> and <paramref name="LogitsScaling"/> (a divisor) are the decoder's; 0 is none.
/// OLMo 2's: <paramref name="PostSublayerNorm"/> (pre-norm only) normalizes each sublayer's output instead of its input,
/// and <paramref name="QueryKeyNormAcrossHeads"/> normalizes Q and K as whole rows rather than head by head.
/// </summary>
internal sealed record BlockOptions(
    int ModelDim, int Heads, int KvHeads, int HeadDim, int FfnDim, bool Causal, double Scale, double Softcap, bool PreNorm,
    ActivationKind Activation, double Epsilon, NormKind Norm = NormKind.LayerNorm, int RopeDim = 0, double RopeTheta = 10000,
    WeightNames Names = WeightNames.Bert, RopeScalingReference? RopeScaling = null, bool SandwichNorm = false, bool ScaleEmbeddings = false,
    double FinalLogitSoftcap = 0, int SlidingWindow = 0, int SlidingWindowPattern = 0, double LocalRopeTheta = 0, int NoRopeInterval = 0,
    double EmbeddingMultiplier = 0, double ResidualMultiplier = 0, double LogitsScaling = 0, bool PostSublayerNorm = false,
    bool QueryKeyNormAcrossHeads = false)
{
    /// <summary>
    /// Whether layer <paramref name="layer"/> (0-based) is windowed: with a window, every layer when the pattern is 0
    /// (Mistral v0.1), else all but each <c>SlidingWindowPattern</c>-th (Hugging Face's Gemma 2 and 3:
    /// <c>is_sliding = bool((layer_idx + 1) % sliding_window_pattern)</c>).
    /// </summary>
    public bool Windowed(int layer) => SlidingWindow > 0 && (SlidingWindowPattern == 0 || (layer + 1) % SlidingWindowPattern != 0);

    /// <summary>
    /// Whether layer <paramref name="layer"/> rotates Q and K: all but each <c>NoRopeInterval</c>-th, as SmolLM3's
    /// <c>no_rope_layers[i] = int((i + 1) % no_rope_layer_interval != 0)</c>.
    /// </summary>
    public bool Rotates(int layer) => NoRopeInterval == 0 || (layer + 1) % NoRopeInterval != 0;

    /// <summary>
    /// Layer <paramref name="layer"/>'s options: its window (0 when the layer is full) and its rotary base, with the
    /// pattern and the local base resolved away (0). A windowed layer with a <see cref="LocalRopeTheta"/> rotates by it
    /// with no scaling, as Gemma 3's local rotary embedding (rope_local_base_freq, rope type default) does; the others
    /// keep RopeTheta and RopeScaling. A layer that does not rotate gets RopeDim 0. Resolving resolved options changes nothing.
    /// </summary>
    public BlockOptions ForLayer(int layer)
    {
        bool windowed = Windowed(layer);
        bool local = windowed && LocalRopeTheta > 0;
        return this with
        {
            SlidingWindow = windowed ? SlidingWindow : 0,
            SlidingWindowPattern = 0,
            LocalRopeTheta = 0,
            RopeTheta = local ? LocalRopeTheta : RopeTheta,
            RopeScaling = local ? null : RopeScaling,
            RopeDim = Rotates(layer) ? RopeDim : 0,
            NoRopeInterval = 0,
        };
    }
}

/// <summary>
/// The tensor-name prefixes of a block's parts in one checkpoint family. With sandwich norms (Gemma 2) the pre-norm
/// block has four norms: AttentionNorm before attention, then PostAttentionNorm, PreFeedForwardNorm and
/// PostFeedForwardNorm; OutputNorm (Llama's pre-FFN <c>post_attention_layernorm</c>) is then not read.
/// </summary>
internal sealed record BlockTensorNames(
    string Query, string Key, string Value, string AttentionOutput, string AttentionNorm, string Gate, string Intermediate, string Output, string OutputNorm,
    string QueryNorm = "self_attn.q_norm", string KeyNorm = "self_attn.k_norm", string PostAttentionNorm = "post_attention_layernorm",
    string PreFeedForwardNorm = "pre_feedforward_layernorm", string PostFeedForwardNorm = "post_feedforward_layernorm")
{
    public static BlockTensorNames For(WeightNames names) => names switch
    {
        WeightNames.HfLlama => new("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "input_layernorm", "mlp.gate_proj",
            "mlp.up_proj", "mlp.down_proj", "post_attention_layernorm"),
        WeightNames.Gpt2 => new("attn.q_proj", "attn.k_proj", "attn.v_proj", "attn.o_proj", "ln_1", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj", "ln_2"),
        _ => new("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense", "attention.output.LayerNorm",
            "intermediate.gate", "intermediate.dense", "output.dense", "output.LayerNorm"),
    };
}

/// <summary>
/// Transformer blocks and a BERT encoder in float64, written the plain way: LayerNorm with the biased variance, the
/// attention reference's multi-head attention, the float64 GELU forms. Weights are keyed by Hugging Face <c>BertLayer</c>
/// names under a prefix; a missing bias means none, and a missing per-head Q/K norm gain (Qwen3's) no such norm.
/// </summary>
internal static class TransformerReference
{
    /// <summary>
    /// One block over a whole sequence (positions 0 to tokens − 1). With <paramref name="attentionMask"/> (Hugging Face's:
    /// 1 = attend, 0 = padding), a padded key gets −∞ added to its score in every row, so no row attends to it. With a
    /// <see cref="BlockOptions.SlidingWindow"/> W the token at p sees only the keys after p − W. <paramref name="o"/> is one
    /// layer's options (<see cref="BlockOptions.ForLayer"/>): a decoder's pattern or local rotary base is refused here,
    /// since the block cannot know which layer it is.
    /// </summary>
    public static double[] Block(double[] x, int tokens, BlockOptions o, IReadOnlyDictionary<string, float[]> w, string prefix = "", int[]? attentionMask = null)
    {
        if (o.SlidingWindowPattern != 0 || o.LocalRopeTheta != 0 || o.NoRopeInterval != 0)
        {
            throw new ArgumentException("A block takes one layer's options: resolve the window pattern, the local rotary base and the unrotated layers with ForLayer.", nameof(o));
        }

        var n = BlockTensorNames.For(o.Names);
        float[]? Bias(string name) => w.TryGetValue(prefix + name + ".bias", out var b) ? b : null;
        double[] Linear(double[] input, string name, int inDim, int outDim) =>
            AttentionReference.Linear(input, tokens, inDim, w[prefix + name + ".weight"], Bias(name), outDim);
        double[] Norm(double[] input, string name) => ModelNorm(input, tokens, o, w, prefix + name);
        // Granite's residual_multiplier, a float32 scalar in the model's arithmetic.
        double[] Residual(double[] branch) => o.ResidualMultiplier > 0 ? branch.Select(b => b * (float)o.ResidualMultiplier).ToArray() : branch;
        if (o.SandwichNorm && !o.PreNorm)
        {
            throw new ArgumentException("Sandwich norms wrap a pre-norm block's sublayers; a post-norm block has none.", nameof(o));
        }

        int d = o.ModelDim, queryWidth = o.Heads * o.HeadDim, kvWidth = o.KvHeads * o.HeadDim;
        var h = (double[])x.Clone();
        bool normsInputs = o.PreNorm && !o.PostSublayerNorm, normsOutputs = o.SandwichNorm || o.PostSublayerNorm;
        var attentionIn = normsInputs ? Norm(h, n.AttentionNorm) : h;
        var q = Linear(attentionIn, n.Query, d, queryWidth);
        var k = Linear(attentionIn, n.Key, d, kvWidth);
        var v = Linear(attentionIn, n.Value, d, kvWidth);
        if (w.TryGetValue(prefix + n.QueryNorm + ".weight", out var queryNorm))
        {
            // Qwen3: every head of Q and of K RMS-normalized on its own, before the rotation (with Gemma's norm, its
            // (1 + γ) form, as Gemma 3's q_norm and k_norm are).
            // OLMo 2: each token's Q and K rows normalized whole, across heads.
            bool gemma = o.Norm == NormKind.GemmaRmsNorm;
            q = o.QueryKeyNormAcrossHeads ? RmsNorm(q, tokens, queryWidth, queryNorm, o.Epsilon, gemma) : RmsNorm(q, tokens * o.Heads, o.HeadDim, queryNorm, o.Epsilon, gemma);
            var keyNorm = w[prefix + n.KeyNorm + ".weight"];
            k = o.QueryKeyNormAcrossHeads ? RmsNorm(k, tokens, kvWidth, keyNorm, o.Epsilon, gemma) : RmsNorm(k, tokens * o.KvHeads, o.HeadDim, keyNorm, o.Epsilon, gemma);
        }

        if (o.RopeDim > 0)
        {
            RotateHalf(q, tokens, o.Heads, o.HeadDim, o.RopeDim, o.RopeTheta, o.RopeScaling);
            RotateHalf(k, tokens, o.KvHeads, o.HeadDim, o.RopeDim, o.RopeTheta, o.RopeScaling);
        }

        var attended = AttentionReference.Sdpa(q, k, v, tokens, tokens, o.Heads, o.KvHeads, o.HeadDim, o.Causal, o.Scale, o.Softcap, KeyMask(attentionMask, tokens),
            window: o.SlidingWindow);
        var attentionOut = Linear(attended, n.AttentionOutput, queryWidth, d);
        h = Add(h, Residual(normsOutputs ? Norm(attentionOut, n.PostAttentionNorm) : attentionOut));
        if (!o.PreNorm)
        {
            h = Norm(h, n.AttentionNorm);
        }

        var ffnIn = !normsInputs ? h : Norm(h, o.SandwichNorm ? n.PreFeedForwardNorm : n.OutputNorm);
        var inner = Linear(ffnIn, n.Intermediate, d, o.FfnDim);
        var gate = o.Activation is ActivationKind.SwiGlu or ActivationKind.GeGluTanh ? Linear(ffnIn, n.Gate, d, o.FfnDim) : null;
        for (int i = 0; i < inner.Length; i++)
        {
            inner[i] = o.Activation switch
            {
                ActivationKind.GeluTanh => ErrorFunctionReference.GeluTanh(inner[i]),
                ActivationKind.Relu => Math.Max(0, inner[i]),
                ActivationKind.Silu => Silu(inner[i]),
                ActivationKind.SwiGlu => Silu(gate![i]) * inner[i],
                ActivationKind.GeGluTanh => ErrorFunctionReference.GeluTanh(gate![i]) * inner[i],
                _ => ErrorFunctionReference.Gelu(inner[i]),
            };
        }

        var ffnOut = Linear(inner, n.Output, o.FfnDim, d);
        h = Add(h, Residual(normsOutputs ? Norm(ffnOut, n.PostFeedForwardNorm) : ffnOut));
        return o.PreNorm ? h : Norm(h, n.OutputNorm);
    }

    /// <summary>
    /// A Llama-style decoder's logits for every position of <paramref name="tokenIds"/> ([tokens, vocab]): embedding
    /// (times √ModelDim with <see cref="BlockOptions.ScaleEmbeddings"/>), pre-norm blocks (causal), the final norm, the LM
    /// head (or the embedding table when tied), then <c>cap·tanh(logit/cap)</c> with a <see cref="BlockOptions.FinalLogitSoftcap"/>,
    /// and Granite's factors (<see cref="BlockOptions.EmbeddingMultiplier"/>, <see cref="BlockOptions.LogitsScaling"/>).
    /// Each block gets its layer's options (<see cref="BlockOptions.ForLayer"/>): its sliding window, if windowed, and its
    /// rotary base.
    /// </summary>
    public static double[] DecoderLogits(int[] tokenIds, int vocab, int layers, BlockOptions o, IReadOnlyDictionary<string, float[]> w, bool tied)
    {
        int tokens = tokenIds.Length, d = o.ModelDim;
        bool gpt2 = o.Names == WeightNames.Gpt2;
        var table = w[gpt2 ? "wte.weight" : "model.embed_tokens.weight"];
        // Gemma multiplies by √hidden_size as a float32 tensor, so the factor is rounded to float before it is applied.
        // Granite's embedding_multiplier, likewise a float32 scalar.
        double embeddingScale = o.ScaleEmbeddings ? (float)Math.Sqrt(d) : o.EmbeddingMultiplier > 0 ? (float)o.EmbeddingMultiplier : 1;
        var h = new double[tokens * d];
        for (int t = 0; t < tokens; t++)
        {
            for (int c = 0; c < d; c++)
            {
                // GPT-2 adds its learned position row (wpe) to the token's.
                h[t * d + c] = table[tokenIds[t] * d + c] * embeddingScale + (gpt2 ? (double)w["wpe.weight"][t * d + c] : 0);
            }
        }

        for (int layer = 0; layer < layers; layer++)
        {
            h = Block(h, tokens, o.ForLayer(layer), w, gpt2 ? $"h.{layer}." : $"model.layers.{layer}.");
        }

        h = ModelNorm(h, tokens, o, w, gpt2 ? "ln_f" : "model.norm");
        var logits = AttentionReference.Linear(h, tokens, d, tied ? table : w["lm_head.weight"], null, vocab);
        if (o.FinalLogitSoftcap > 0)
        {
            for (int i = 0; i < logits.Length; i++)
            {
                logits[i] = o.FinalLogitSoftcap * Math.Tanh(logits[i] / o.FinalLogitSoftcap);
            }
        }

        if (o.LogitsScaling > 0)
        {
            for (int i = 0; i < logits.Length; i++)
            {
                logits[i] /= (float)o.LogitsScaling;
            }
        }

        return logits;
    }

    /// <summary>The block's norm over rows of ModelDim, its gain (and LayerNorm's bias) read as <c>{name}.weight</c> (<c>.bias</c>).</summary>
    private static double[] ModelNorm(double[] x, int rows, BlockOptions o, IReadOnlyDictionary<string, float[]> w, string name) => o.Norm switch
    {
        NormKind.RmsNorm => RmsNorm(x, rows, o.ModelDim, w[name + ".weight"], o.Epsilon),
        NormKind.GemmaRmsNorm => RmsNorm(x, rows, o.ModelDim, w[name + ".weight"], o.Epsilon, gainPlusOne: true),
        _ => LayerNorm(x, rows, o.ModelDim, w[name + ".weight"], w[name + ".bias"], o.Epsilon),
    };

    /// <summary>Rotary embedding, rotate-half layout, on each head's first <paramref name="ropeDim"/> floats; angles in double.</summary>
    public static void RotateHalf(double[] rows, int tokens, int heads, int headDim, int ropeDim, double theta, RopeScalingReference? scaling = null)
    {
        int half = ropeDim / 2, width = heads * headDim;
        for (int t = 0; t < tokens; t++)
        {
            for (int head = 0; head < heads; head++)
            {
                int at = t * width + head * headDim;
                for (int i = 0; i < half; i++)
                {
                    double angle = t * RopeReference.Frequency(i, ropeDim, theta, scaling);
                    double x1 = rows[at + i], x2 = rows[at + i + half];
                    rows[at + i] = x1 * Math.Cos(angle) - x2 * Math.Sin(angle);
                    rows[at + i + half] = x2 * Math.Cos(angle) + x1 * Math.Sin(angle);
                }
            }
        }
    }

    /// <summary>
    /// RMSNorm, <c>x / √(mean(x²) + ε) · γ</c>; with <paramref name="gainPlusOne"/> Gemma's form, which multiplies by
    /// <c>1 + γ</c> (its checkpoints store the factor less one).
    /// </summary>
    public static double[] RmsNorm(double[] x, int rows, int width, float[] gain, double epsilon, bool gainPlusOne = false)
    {
        var y = new double[rows * width];
        for (int r = 0; r < rows; r++)
        {
            double meanSquare = 0;
            for (int c = 0; c < width; c++)
            {
                meanSquare += x[r * width + c] * x[r * width + c] / width;
            }

            double scale = 1 / Math.Sqrt(meanSquare + epsilon);
            for (int c = 0; c < width; c++)
            {
                y[r * width + c] = x[r * width + c] * scale * (gainPlusOne ? 1 + (double)gain[c] : gain[c]);
            }
        }

        return y;
    }

    /// <summary>The additive [tokens, tokens] mask of a key mask: 0 where the key is attended, −∞ where it is padding.</summary>
    public static float[]? KeyMask(int[]? attentionMask, int tokens)
    {
        if (attentionMask is null)
        {
            return null;
        }

        var additive = new float[tokens * tokens];
        for (int i = 0; i < tokens; i++)
        {
            for (int j = 0; j < tokens; j++)
            {
                additive[i * tokens + j] = attentionMask[j] == 0 ? float.NegativeInfinity : 0;
            }
        }

        return additive;
    }

    private static double Silu(double x) => x / (1 + Math.Exp(-x));

    private static double[] Add(double[] a, double[] b) => a.Zip(b, (p, q) => p + q).ToArray();

    /// <summary>A BERT encoder's last hidden state for one sequence: embeddings summed, LayerNorm, then every block.</summary>
    public static double[] Encoder(int[] tokenIds, int[]? tokenTypes, int layers, BlockOptions o, IReadOnlyDictionary<string, float[]> w, int[]? attentionMask = null)
    {
        int tokens = tokenIds.Length, d = o.ModelDim;
        var h = new double[tokens * d];
        for (int t = 0; t < tokens; t++)
        {
            int type = tokenTypes?[t] ?? 0;
            for (int c = 0; c < d; c++)
            {
                h[t * d + c] = (double)w["embeddings.word_embeddings.weight"][tokenIds[t] * d + c]
                    + w["embeddings.token_type_embeddings.weight"][type * d + c]
                    + w["embeddings.position_embeddings.weight"][t * d + c];
            }
        }

        h = LayerNorm(h, tokens, d, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], o.Epsilon);
        for (int layer = 0; layer < layers; layer++)
        {
            h = Block(h, tokens, o, w, $"encoder.layer.{layer}.", attentionMask);
        }

        return h;
    }

    /// <summary>The mean of the rows (only those <paramref name="attentionMask"/> marks 1, when given), then (optionally) scaled to unit length.</summary>
    public static double[] MeanPool(double[] rows, int tokens, int width, bool normalize, int[]? attentionMask = null)
    {
        var mean = new double[width];
        int counted = attentionMask?.Count(m => m == 1) ?? tokens;
        for (int t = 0; t < tokens; t++)
        {
            if (attentionMask is not null && attentionMask[t] == 0)
            {
                continue;
            }

            for (int c = 0; c < width; c++)
            {
                mean[c] += rows[t * width + c] / counted;
            }
        }

        if (normalize)
        {
            double norm = Math.Sqrt(mean.Sum(v => v * v));
            for (int c = 0; c < width; c++)
            {
                mean[c] /= norm;
            }
        }

        return mean;
    }

    public static double[] LayerNorm(double[] x, int rows, int width, float[] gain, float[] bias, double epsilon)
    {
        var y = new double[rows * width];
        for (int r = 0; r < rows; r++)
        {
            double mean = 0, variance = 0;
            for (int c = 0; c < width; c++)
            {
                mean += x[r * width + c] / width;
            }

            for (int c = 0; c < width; c++)
            {
                double centered = x[r * width + c] - mean;
                variance += centered * centered / width;
            }

            double scale = 1 / Math.Sqrt(variance + epsilon);
            for (int c = 0; c < width; c++)
            {
                y[r * width + c] = (x[r * width + c] - mean) * scale * gain[c] + bias[c];
            }
        }

        return y;
    }
}
