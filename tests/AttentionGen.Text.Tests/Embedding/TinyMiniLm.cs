namespace AttentionGen.Text.Tests.Embedding;

/// <summary>
/// A small encoder over all-MiniLM-L6-v2's vocab (so every id the tokenizer writes is in range): short enough that the
/// test texts reach truncation, with groups small enough that a packed batch is split.
/// </summary>
[TransformerEncoder(Vocab = 30522, MaxPositions = 32, Layers = 2, ModelDim = 32, Heads = 2, FfnDim = 64, MaxSeqLen = 24,
    MaxBatchTokens = 64)]
internal sealed partial class TinyMiniLm
{
    private static readonly Lazy<Weights> SharedWeights = new(() => RandomWeights(seed: 9));

    /// <summary>One set of random weights for every test: norm gains near 1, everything else small.</summary>
    internal static Weights RandomTestWeights => SharedWeights.Value;

    private static Weights RandomWeights(int seed)
    {
        var random = new Random(seed);
        var builder = Weights.CreateBuilder();
        foreach (var parameter in Parameters)
        {
            var values = new float[parameter.ElementCount];
            var isGain = parameter.Name.EndsWith("LayerNorm.weight", StringComparison.Ordinal);
            for (var i = 0; i < values.Length; i++)
            {
                var noise = (float)((random.NextDouble() * 2) - 1);
                values[i] = isGain ? 1 + (0.1f * noise) : 0.5f * noise;
            }

            builder.Set(parameter.Name, values);
        }

        return builder.Build();
    }
}
