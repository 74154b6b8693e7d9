namespace AttentionGen.Tests.Reference;

/// <summary>
/// Plain float64 implementations of the layers, written from the math and independent of the generator. They are
/// slow and obvious on purpose: the numeric tests trust them, not the other way round. Every intermediate (projections,
/// scores, probabilities) stays in double; only the inputs and weights are float.
/// </summary>
internal static class AttentionReference
{
    /// <summary>
    /// softmax(Q·Kᵀ·scale [softcapped] + mask [causal, bottom-right])·V. q is [seqLen, heads·headDim], k and v are
    /// [kvSeqLen, kvHeads·headDim], mask [seqLen, kvSeqLen]. Query head h reads KV head h / (heads / kvHeads). A row that
    /// sees no key is zeros. <paramref name="softcapAfterMask"/> exists only to show which order another implementation
    /// uses; the AttentionGen contract caps the raw scores and then adds the mask. A positive <paramref name="window"/> W
    /// is a sliding window, aligned bottom-right as the causal rule is: query i sits at position
    /// <c>p = i + kvSeqLen − seqLen</c> and sees only the keys j &gt; p − W (Hugging Face's <c>kv_idx &gt; q_idx − sliding_window</c>),
    /// W keys with itself once causal too.
    /// </summary>
    public static double[] Sdpa(float[] q, float[] k, float[] v, int seqLen, int kvSeqLen, int heads, int kvHeads, int headDim,
        bool causal, double scale, double softcap = 0, float[]? mask = null, bool softcapAfterMask = false, int window = 0) =>
        Sdpa(ToDouble(q), ToDouble(k), ToDouble(v), seqLen, kvSeqLen, heads, kvHeads, headDim, causal, scale, softcap, mask, softcapAfterMask, window);

    /// <inheritdoc cref="Sdpa(float[], float[], float[], int, int, int, int, int, bool, double, double, float[], bool, int)"/>
    public static double[] Sdpa(double[] q, double[] k, double[] v, int seqLen, int kvSeqLen, int heads, int kvHeads, int headDim,
        bool causal, double scale, double softcap = 0, float[]? mask = null, bool softcapAfterMask = false, int window = 0)
    {
        if (heads % kvHeads != 0)
        {
            throw new ArgumentException($"heads {heads} is not a multiple of kvHeads {kvHeads}.");
        }

        int queryWidth = heads * headDim, kvWidth = kvHeads * headDim;
        var output = new double[seqLen * queryWidth];
        var scores = new double[kvSeqLen];
        for (int h = 0; h < heads; h++)
        {
            int kvHead = h / (heads / kvHeads);
            for (int i = 0; i < seqLen; i++)
            {
                double max = double.NegativeInfinity;
                for (int j = 0; j < kvSeqLen; j++)
                {
                    double dot = 0;
                    for (int d = 0; d < headDim; d++)
                    {
                        dot += q[i * queryWidth + h * headDim + d] * k[j * kvWidth + kvHead * headDim + d];
                    }

                    double score = dot * scale;
                    double additive = mask?[i * kvSeqLen + j] ?? 0;
                    score = softcapAfterMask ? Softcap(score + additive, softcap) : Softcap(score, softcap) + additive;
                    int position = i + (kvSeqLen - seqLen);
                    if ((causal && j > position) || (window > 0 && j <= position - window))
                    {
                        score = double.NegativeInfinity;
                    }

                    scores[j] = score;
                    max = Math.Max(max, score);
                }

                if (double.IsNegativeInfinity(max))
                {
                    continue; // no visible key: the row stays zeros
                }

                double sum = 0;
                for (int j = 0; j < kvSeqLen; j++)
                {
                    scores[j] = Math.Exp(scores[j] - max);
                    sum += scores[j];
                }

                for (int j = 0; j < kvSeqLen; j++)
                {
                    double p = scores[j] / sum;
                    for (int d = 0; d < headDim; d++)
                    {
                        output[i * queryWidth + h * headDim + d] += p * v[j * kvWidth + kvHead * headDim + d];
                    }
                }
            }
        }

        return output;
    }

    /// <summary>PyTorch nn.Linear: y[r, o] = b[o] + Σ x[r, i]·W[o, i], W is [outDim, inDim].</summary>
    public static double[] Linear(double[] x, int rows, int inDim, float[] weight, float[]? bias, int outDim)
    {
        if (weight.Length != outDim * inDim || (bias is not null && bias.Length != outDim) || x.Length < rows * inDim)
        {
            throw new ArgumentException($"Linear [{outDim}, {inDim}]: weight {weight.Length}, bias {bias?.Length}, input {x.Length} for {rows} rows.");
        }

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

    /// <summary>
    /// Multi-head attention with projections; <paramref name="context"/> is the input itself for self-attention. The
    /// weights are keyed by their PyTorch names; a missing bias means no bias. <paramref name="mask"/>, [seqLen,
    /// contextLen], is added to every head's scores.
    /// </summary>
    public static double[] MultiHead(float[] input, float[] context, int seqLen, int contextLen, int modelDim, int kvInputDim,
        int heads, int kvHeads, int headDim, bool causal, double scale, double softcap, IReadOnlyDictionary<string, float[]> weights,
        float[]? mask = null)
    {
        float[]? Bias(string name) => weights.TryGetValue(name, out var b) ? b : null;
        var x = ToDouble(input);
        var c = ToDouble(context);
        var q = Linear(x, seqLen, modelDim, weights["q_proj.weight"], Bias("q_proj.bias"), heads * headDim);
        var k = Linear(c, contextLen, kvInputDim, weights["k_proj.weight"], Bias("k_proj.bias"), kvHeads * headDim);
        var v = Linear(c, contextLen, kvInputDim, weights["v_proj.weight"], Bias("v_proj.bias"), kvHeads * headDim);
        var attended = Sdpa(q, k, v, seqLen, contextLen, heads, kvHeads, headDim, causal, scale, softcap, mask);
        return Linear(attended, seqLen, heads * headDim, weights["o_proj.weight"], Bias("o_proj.bias"), modelDim);
    }

    /// <summary>αᵢ = softmaxᵢ(xᵢ·w + b), pooled = Σ αᵢ xᵢ, y = W_o·pooled + b_o.</summary>
    public static (double[] Output, double[] Weights) Pooling(float[] input, int seqLen, int inputDim, int outputDim,
        IReadOnlyDictionary<string, float[]> weights)
    {
        var x = ToDouble(input);
        var logits = Linear(x, seqLen, inputDim, weights["score.weight"], weights["score.bias"], 1);
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
                pooled[d] += alpha[i] * x[i * inputDim + d];
            }
        }

        return (Linear(pooled, 1, inputDim, weights["output.weight"], weights["output.bias"], outputDim), alpha);
    }

    /// <summary>The largest |q·k|·scale over every head pair, for tests that need to know how large their logits are.</summary>
    public static double MaxAbsScore(float[] q, float[] k, int seqLen, int kvSeqLen, int heads, int kvHeads, int headDim, double scale)
    {
        double largest = 0;
        for (int h = 0; h < heads; h++)
        {
            int kvHead = h / (heads / kvHeads);
            for (int i = 0; i < seqLen; i++)
            {
                for (int j = 0; j < kvSeqLen; j++)
                {
                    double dot = 0;
                    for (int d = 0; d < headDim; d++)
                    {
                        dot += (double)q[(i * heads + h) * headDim + d] * k[(j * kvHeads + kvHead) * headDim + d];
                    }

                    largest = Math.Max(largest, Math.Abs(dot * scale));
                }
            }
        }

        return largest;
    }

    private static double Softcap(double score, double cap) => cap > 0 ? cap * Math.Tanh(score / cap) : score;

    private static double[] ToDouble(float[] values) => Array.ConvertAll(values, x => (double)x);
}
