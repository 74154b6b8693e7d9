namespace AttentionGen.Benchmarks.Baselines;

/// <summary>The textbook loops, scalar, as a floor: what the other columns are measured against.</summary>
internal sealed class NaiveAttention(int heads, int kvHeads, int headDim, int maxKv, bool causal, float scale)
{
    private readonly float[] _scores = new float[maxKv];

    public void Forward(float[] q, float[] k, float[] v, float[] output, int seqLen, int kvSeqLen)
    {
        int queryWidth = heads * headDim, kvWidth = kvHeads * headDim;
        for (int h = 0; h < heads; h++)
        {
            int kvHead = h / (heads / kvHeads);
            for (int i = 0; i < seqLen; i++)
            {
                int visible = causal ? Math.Min(kvSeqLen, i + kvSeqLen - seqLen + 1) : kvSeqLen;
                float max = float.NegativeInfinity;
                for (int j = 0; j < visible; j++)
                {
                    float dot = 0;
                    for (int d = 0; d < headDim; d++)
                    {
                        dot += q[i * queryWidth + h * headDim + d] * k[j * kvWidth + kvHead * headDim + d];
                    }

                    _scores[j] = dot * scale;
                    max = Math.Max(max, _scores[j]);
                }

                float sum = 0;
                for (int j = 0; j < visible; j++)
                {
                    _scores[j] = MathF.Exp(_scores[j] - max);
                    sum += _scores[j];
                }

                for (int d = 0; d < headDim; d++)
                {
                    float acc = 0;
                    for (int j = 0; j < visible; j++)
                    {
                        acc += _scores[j] * v[j * kvWidth + kvHead * headDim + d];
                    }

                    output[i * queryWidth + h * headDim + d] = acc / sum;
                }
            }
        }
    }

    public static void Linear(float[] x, float[] weight, float[]? bias, float[] y, int rows, int inDim, int outDim)
    {
        for (int r = 0; r < rows; r++)
        {
            for (int o = 0; o < outDim; o++)
            {
                float sum = bias?[o] ?? 0;
                for (int i = 0; i < inDim; i++)
                {
                    sum += x[r * inDim + i] * weight[o * inDim + i];
                }

                y[r * outDim + o] = sum;
            }
        }
    }
}
