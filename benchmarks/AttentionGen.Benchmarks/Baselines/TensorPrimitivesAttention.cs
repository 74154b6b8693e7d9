using System.Numerics.Tensors;

namespace AttentionGen.Benchmarks.Baselines;

/// <summary>
/// What a careful .NET developer would write by hand with TensorPrimitives: per head and query row, a Dot per key, a
/// max-subtracted softmax, and a MultiplyAdd per value row. Correct, vectorized per call, but not tiled.
/// </summary>
internal sealed class TensorPrimitivesAttention(int heads, int kvHeads, int headDim, int maxKv, bool causal, float scale)
{
    private readonly float[] _scores = new float[maxKv];

    public void Forward(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, Span<float> output, int seqLen, int kvSeqLen)
    {
        int queryWidth = heads * headDim, kvWidth = kvHeads * headDim;
        for (int h = 0; h < heads; h++)
        {
            int kvHead = h / (heads / kvHeads);
            for (int i = 0; i < seqLen; i++)
            {
                int visible = causal ? Math.Min(kvSeqLen, i + kvSeqLen - seqLen + 1) : kvSeqLen;
                var query = q.Slice(i * queryWidth + h * headDim, headDim);
                var scores = _scores.AsSpan(0, visible);
                for (int j = 0; j < visible; j++)
                {
                    scores[j] = TensorPrimitives.Dot(query, k.Slice(j * kvWidth + kvHead * headDim, headDim)) * scale;
                }

                float max = TensorPrimitives.Max(scores);
                TensorPrimitives.Subtract(scores, max, scores);
                TensorPrimitives.Exp(scores, scores);
                TensorPrimitives.Divide(scores, TensorPrimitives.Sum(scores), scores);
                var row = output.Slice(i * queryWidth + h * headDim, headDim);
                row.Clear();
                for (int j = 0; j < visible; j++)
                {
                    TensorPrimitives.MultiplyAdd(v.Slice(j * kvWidth + kvHead * headDim, headDim), scores[j], row, row);
                }
            }
        }
    }

    /// <summary>y = x·Wᵀ + b, one Dot per output.</summary>
    public static void Linear(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> y, int rows, int inDim, int outDim)
    {
        for (int r = 0; r < rows; r++)
        {
            var input = x.Slice(r * inDim, inDim);
            for (int o = 0; o < outDim; o++)
            {
                y[r * outDim + o] = TensorPrimitives.Dot(input, weight.Slice(o * inDim, inDim)) + (bias.IsEmpty ? 0 : bias[o]);
            }
        }
    }
}
