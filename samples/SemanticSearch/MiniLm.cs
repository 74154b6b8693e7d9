using AttentionGen;

namespace SemanticSearch;

/// <summary>
/// all-MiniLM-L6-v2, the sentence-transformers model, declared: BERT with 6 post-norm blocks of 12 heads of 32, exact GELU,
/// LayerNorm ε 1e-12, and the sentence embedding as the mean over the tokens, scaled to unit length. MaxSeqLen is 256,
/// where sentence-transformers cuts this model's input.
/// </summary>
[TransformerEncoder(Vocab = 30522, MaxPositions = 512, TypeVocab = 2, Layers = 6, ModelDim = 384, Heads = 12,
    FfnDim = 1536, Activation = ActivationKind.Gelu, NormEpsilon = 1e-12f, MaxSeqLen = 256, Pooling = PoolingKind.Mean,
    Normalize = true)]
public sealed partial class MiniLm;
