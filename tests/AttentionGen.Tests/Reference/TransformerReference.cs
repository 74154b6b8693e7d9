namespace AttentionGen.Tests.Reference;

/// <summary>The options of one transformer block, as the reference needs them.</summary>
internal sealed record BlockOptions(
    int ModelDim, int Heads, int KvHeads, int HeadDim, int FfnDim, bool Causal, double Scale, double Softcap, bool PreNorm,
    ActivationKind Activation, double Epsilon);

/// <summary>
/// Transformer blocks and a BERT encoder in float64, written the plain way: LayerNorm with the biased variance, the
/// attention reference's multi-head attention, the float64 GELU forms. Weights are keyed by Hugging Face <c>BertLayer</c>
/// names under a prefix; a missing bias means none.
/// </summary>
internal static class TransformerReference
{
    public static double[] Block(double[] x, int tokens, BlockOptions o, IReadOnlyDictionary<string, float[]> w, string prefix = "")
    {
        float[]? Bias(string name) => w.TryGetValue(prefix + name, out var b) ? b : null;
        int d = o.ModelDim;
        var h = (double[])x.Clone();
        var attentionIn = o.PreNorm ? LayerNorm(h, tokens, d, w[prefix + "attention.output.LayerNorm.weight"], w[prefix + "attention.output.LayerNorm.bias"], o.Epsilon) : h;
        int queryWidth = o.Heads * o.HeadDim, kvWidth = o.KvHeads * o.HeadDim;
        var q = AttentionReference.Linear(attentionIn, tokens, d, w[prefix + "attention.self.query.weight"], Bias("attention.self.query.bias"), queryWidth);
        var k = AttentionReference.Linear(attentionIn, tokens, d, w[prefix + "attention.self.key.weight"], Bias("attention.self.key.bias"), kvWidth);
        var v = AttentionReference.Linear(attentionIn, tokens, d, w[prefix + "attention.self.value.weight"], Bias("attention.self.value.bias"), kvWidth);
        var attended = AttentionReference.Sdpa(q, k, v, tokens, tokens, o.Heads, o.KvHeads, o.HeadDim, o.Causal, o.Scale, o.Softcap, null);
        var attention = AttentionReference.Linear(attended, tokens, queryWidth, w[prefix + "attention.output.dense.weight"], Bias("attention.output.dense.bias"), d);
        h = Residual(h, attention, o.PreNorm ? null : (w[prefix + "attention.output.LayerNorm.weight"], w[prefix + "attention.output.LayerNorm.bias"]), tokens, d, o.Epsilon);

        var ffnIn = o.PreNorm ? LayerNorm(h, tokens, d, w[prefix + "output.LayerNorm.weight"], w[prefix + "output.LayerNorm.bias"], o.Epsilon) : h;
        var inner = AttentionReference.Linear(ffnIn, tokens, d, w[prefix + "intermediate.dense.weight"], Bias("intermediate.dense.bias"), o.FfnDim);
        for (int i = 0; i < inner.Length; i++)
        {
            inner[i] = o.Activation switch
            {
                ActivationKind.GeluTanh => ErrorFunctionReference.GeluTanh(inner[i]),
                ActivationKind.Relu => Math.Max(0, inner[i]),
                _ => ErrorFunctionReference.Gelu(inner[i]),
            };
        }

        var ffn = AttentionReference.Linear(inner, tokens, o.FfnDim, w[prefix + "output.dense.weight"], Bias("output.dense.bias"), d);
        return Residual(h, ffn, o.PreNorm ? null : (w[prefix + "output.LayerNorm.weight"], w[prefix + "output.LayerNorm.bias"]), tokens, d, o.Epsilon);
    }

    /// <summary>A BERT encoder's last hidden state for one sequence: embeddings summed, LayerNorm, then every block.</summary>
    public static double[] Encoder(int[] tokenIds, int[]? tokenTypes, int layers, BlockOptions o, IReadOnlyDictionary<string, float[]> w)
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
            h = Block(h, tokens, o, w, $"encoder.layer.{layer}.");
        }

        return h;
    }

    /// <summary>The mean of the rows, then (optionally) scaled to unit length.</summary>
    public static double[] MeanPool(double[] rows, int tokens, int width, bool normalize)
    {
        var mean = new double[width];
        for (int t = 0; t < tokens; t++)
        {
            for (int c = 0; c < width; c++)
            {
                mean[c] += rows[t * width + c] / tokens;
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

    /// <summary>Post-norm: <c>Norm(h + s)</c>; pre-norm (no norm given): <c>h + s</c>.</summary>
    private static double[] Residual(double[] h, double[] sublayer, (float[] Gain, float[] Bias)? norm, int tokens, int d, double epsilon)
    {
        var sum = h.Zip(sublayer, (a, b) => a + b).ToArray();
        return norm is { } n ? LayerNorm(sum, tokens, d, n.Gain, n.Bias, epsilon) : sum;
    }
}
