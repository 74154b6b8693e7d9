using AttentionGen.OnnxImport;

namespace SemanticSearch;

/// <summary>The declaration checked against the config the importer read off the ONNX graph.</summary>
internal static class ModelCheck
{
    public static List<string> Mismatches(BertConfig config)
    {
        var mismatches = new List<string>();
        void Check<T>(string name, T declared, T inModel)
        {
            if (!EqualityComparer<T>.Default.Equals(declared, inModel))
            {
                mismatches.Add($"{name}: declared {declared}, the model has {inModel}");
            }
        }

        Check(nameof(MiniLm.Vocab), MiniLm.Vocab, config.Vocabulary);
        Check(nameof(MiniLm.MaxPositions), MiniLm.MaxPositions, config.Positions);
        Check(nameof(MiniLm.TypeVocab), MiniLm.TypeVocab, config.TokenTypes);
        Check(nameof(MiniLm.Layers), MiniLm.Layers, config.Layers);
        Check(nameof(MiniLm.ModelDim), MiniLm.ModelDim, config.Hidden);
        Check(nameof(MiniLm.Heads), MiniLm.Heads, config.Heads);
        Check(nameof(MiniLm.FfnDim), MiniLm.FfnDim, config.FeedForward);
        Check(nameof(MiniLm.NormEpsilon), MiniLm.NormEpsilon, (float)config.LayerNormEpsilon);
        Check("Activation", "gelu", config.Activation);
        return mismatches;
    }
}
