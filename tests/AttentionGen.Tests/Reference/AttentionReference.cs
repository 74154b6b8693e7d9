namespace AttentionGen.Tests.Reference;

/// <summary>
/// Plain float64 implementations of the layers, written from the math and independent of the generator. They are
/// slow and obvious on purpose: the numeric tests trust them, not the other way round.
/// </summary>
internal static class AttentionReference
{
    /// <summary>
    /// softmax(Q·Kᵀ·scale [softcapped] + mask [causal, bottom-right])·V. q is [seqLen, heads·headDim], k and v are
    /// [kvSeqLen, kvHeads·headDim], mask [seqLen, kvSeqLen]. A row that sees no key is zeros.
    /// </summary>
    public static double[] Sdpa(float[] q, float[] k, float[] v, int seqLen, int kvSeqLen, int heads, int kvHeads, int headDim,
        bool causal, double scale, double softcap = 0, float[]? mask = null)
    {
        var output = new double[seqLen * heads * headDim];
        var scores = new double[kvSeqLen];
        for (int h = 0; h < heads; h++)
        {
            int kvHead = h / (heads / kvHeads);
            for (int i = 0; i < seqLen; i++)
            {
                double max = double.NegativeInfinity;
                for (int j = 0; j < kvSeqLen; j++)
                {
                    if (causal && j > i + (kvSeqLen - seqLen))
                    {
                        scores[j] = double.NegativeInfinity;
                        continue;
                    }

                    double dot = 0;
                    for (int d = 0; d < headDim; d++)
                    {
                        dot += (double)q[(i * heads + h) * headDim + d] * k[(j * kvHeads + kvHead) * headDim + d];
                    }

                    double score = dot * scale;
                    if (softcap > 0)
                    {
                        score = softcap * Math.Tanh(score / softcap);
                    }

                    if (mask is not null)
                    {
                        score += mask[i * kvSeqLen + j];
                    }

                    scores[j] = score;
                    max = Math.Max(max, score);
                }

                if (double.IsNegativeInfinity(max))
                {
                    continue;
                }

                double sum = 0;
                for (int j = 0; j < kvSeqLen; j++)
                {
                    scores[j] = Math.Exp(scores[j] - max);
                    sum += scores[j];
                }

                for (int j = 0; j < kvSeqLen; j++)
                {
                    for (int d = 0; d < headDim; d++)
                    {
                        output[(i * heads + h) * headDim + d] += scores[j] / sum * v[(j * kvHeads + kvHead) * headDim + d];
                    }
                }
            }
        }

        return output;
    }

    /// <summary>PyTorch nn.Linear: y[r, o] = b[o] + Σ x[r, i]·W[o, i], W is [outDim, inDim].</summary>
    public static double[] Linear(IReadOnlyList<double> x, int rows, int inDim, float[] weight, float[]? bias, int outDim)
    {
        var y = new double[rows * outDim];
        for (int r = 0; r < rows; r++)
        {
            for (int o = 0; o < outDim; o++)
            {
                double sum = bias?[o] ?? 0;
                for (int i = 0; i < inDim; i++)
                {
                    sum += x[r * inDim + i] * weight[o * inDim + i];
                }

                y[r * outDim + o] = sum;
            }
        }

        return y;
    }

    /// <summary>Multi-head attention with projections; <paramref name="context"/> is the input itself for self-attention.</summary>
    public static double[] MultiHead(float[] input, float[] context, int seqLen, int contextLen, int modelDim, int kvInputDim,
        int heads, int kvHeads, int headDim, bool causal, double scale, double softcap, IReadOnlyDictionary<string, float[]> weights)
    {
        float[]? Bias(string name) => weights.TryGetValue(name, out var b) ? b : null;
        var q = Linear(input.Select(x => (double)x).ToArray(), seqLen, modelDim, weights["q_proj.weight"], Bias("q_proj.bias"), heads * headDim);
        var k = Linear(context.Select(x => (double)x).ToArray(), contextLen, kvInputDim, weights["k_proj.weight"], Bias("k_proj.bias"), kvHeads * headDim);
        var v = Linear(context.Select(x => (double)x).ToArray(), contextLen, kvInputDim, weights["v_proj.weight"], Bias("v_proj.bias"), kvHeads * headDim);
        var attended = Sdpa(ToFloat(q), ToFloat(k), ToFloat(v), seqLen, contextLen, heads, kvHeads, headDim, causal, scale, softcap);
        return Linear(attended, seqLen, heads * headDim, weights["o_proj.weight"], Bias("o_proj.bias"), modelDim);
    }

    /// <summary>αᵢ = softmaxᵢ(xᵢ·w + b), pooled = Σ αᵢ xᵢ, y = W_o·pooled + b_o.</summary>
    public static (double[] Output, double[] Weights) Pooling(float[] input, int seqLen, int inputDim, int outputDim,
        IReadOnlyDictionary<string, float[]> weights)
    {
        var logits = Linear(input.Select(x => (double)x).ToArray(), seqLen, inputDim, weights["score.weight"], weights["score.bias"], 1);
        double max = logits.Max();
        var alpha = logits.Select(l => Math.Exp(l - max)).ToArray();
        double sum = alpha.Sum();
        for (int i = 0; i < seqLen; i++)
        {
            alpha[i] /= sum;
        }

        var pooled = new double[inputDim];
        for (int i = 0; i < seqLen; i++)
        {
            for (int d = 0; d < inputDim; d++)
            {
                pooled[d] += alpha[i] * input[i * inputDim + d];
            }
        }

        return (Linear(pooled, 1, inputDim, weights["output.weight"], weights["output.bias"], outputDim), alpha);
    }

    /// <summary>
    /// Rounds an intermediate to float the way the layer stores it. Without this, the reference's exact intermediates
    /// and the layer's float ones would differ by more than the tolerance on long reductions.
    /// </summary>
    private static float[] ToFloat(double[] values) => values.Select(x => (float)x).ToArray();
}
