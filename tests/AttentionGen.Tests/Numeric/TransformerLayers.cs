namespace AttentionGen.Tests.Numeric;

// Transformer blocks and encoders under numeric test: post- and pre-norm, every activation, grouped-query and causal
// attention, biases on and off, head widths that are and are not whole vectors, and batches that take several groups.

[TransformerBlock(ModelDim = 64, Heads = 4, FfnDim = 128, MaxSeqLen = 24, MaxBatchTokens = 40, NormEpsilon = 1e-12f)]
internal partial class BlockPostNormGelu : ITransformerBlock;

[TransformerBlock(ModelDim = 48, Heads = 6, KvHeads = 2, FfnDim = 80, MaxSeqLen = 20, Causal = true, PreNorm = true, Bias = false,
    Activation = ActivationKind.GeluTanh)]
internal partial class BlockPreNormCausalGqa : ITransformerBlock;

[TransformerBlock(ModelDim = 80, Heads = 2, FfnDim = 96, MaxSeqLen = 33, Activation = ActivationKind.Relu)]
internal partial class BlockReluHeadDim40 : ITransformerBlock;

[TransformerBlock(ModelDim = 40, Heads = 4, HeadDim = 12, FfnDim = 64, MaxSeqLen = 9, Scale = 0.2f, Softcap = 20f, PreNorm = true)]
internal partial class BlockPreNormSoftcapNarrowHeads : ITransformerBlock;

[TransformerEncoder(Vocab = 50, MaxPositions = 40, Layers = 2, ModelDim = 32, Heads = 2, FfnDim = 64, MaxSeqLen = 24, MaxBatchTokens = 40)]
internal partial class EncoderMeanPooled;

[TransformerEncoder(Vocab = 20, MaxPositions = 16, TypeVocab = 3, Layers = 1, ModelDim = 24, Heads = 3, FfnDim = 40, MaxSeqLen = 16,
    Pooling = PoolingKind.Cls, Normalize = false, Activation = ActivationKind.GeluTanh, Bias = false)]
internal partial class EncoderClsPooled;

// The padding mask: post-norm MHA (tiles at 24 tokens), pre-norm causal GQA, a rotary causal Llama-style block (RoPE at
// the row indices, then keys dropped), and a head width (40) that no Vector512 tile takes. Encoders mean- and CLS-pooled.

[TransformerBlock(ModelDim = 64, Heads = 4, FfnDim = 128, MaxSeqLen = 24, MaxBatchTokens = 40, NormEpsilon = 1e-12f, PaddingMask = true)]
internal partial class BlockPostNormMasked : IMaskedTransformerBlock;

[TransformerBlock(ModelDim = 48, Heads = 6, KvHeads = 2, FfnDim = 80, MaxSeqLen = 20, Causal = true, PreNorm = true, Bias = false,
    Activation = ActivationKind.GeluTanh, PaddingMask = true)]
internal partial class BlockPreNormCausalGqaMasked : IMaskedTransformerBlock;

[TransformerBlock(ModelDim = 32, Heads = 4, KvHeads = 2, FfnDim = 48, MaxSeqLen = 12, Norm = NormKind.RmsNorm, Activation = ActivationKind.SwiGlu, PreNorm = true,
    Rope = RopeKind.RotateHalf, Bias = false, Causal = true, WeightNames = WeightNames.HfLlama, PaddingMask = true)]
internal partial class BlockRopeCausalMasked : IMaskedTransformerBlock;

[TransformerBlock(ModelDim = 80, Heads = 2, FfnDim = 96, MaxSeqLen = 33, Activation = ActivationKind.Relu, PaddingMask = true)]
internal partial class BlockHeadDim40Masked : IMaskedTransformerBlock;

[TransformerEncoder(Vocab = 50, MaxPositions = 40, Layers = 2, ModelDim = 32, Heads = 2, FfnDim = 64, MaxSeqLen = 24, MaxBatchTokens = 40, PaddingMask = true)]
internal partial class EncoderMeanPooledMasked;

[TransformerEncoder(Vocab = 20, MaxPositions = 16, TypeVocab = 3, Layers = 1, ModelDim = 24, Heads = 3, FfnDim = 40, MaxSeqLen = 16,
    Pooling = PoolingKind.Cls, Normalize = false, Activation = ActivationKind.GeluTanh, Bias = false, PaddingMask = true)]
internal partial class EncoderClsPooledMasked;
