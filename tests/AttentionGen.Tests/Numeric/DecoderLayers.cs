namespace AttentionGen.Tests.Numeric;

// Decoders under numeric test. The first prefills in chunks (MaxBatchTokens 8) and is Llama-shaped: RMSNorm, SwiGLU,
// full rotary, grouped-query attention. The second has a plain SiLU network and partial rotary; the third LayerNorm,
// tanh GELU, biases, multi-query attention and an LM head tied to the embedding table. The fourth is Qwen2's: biases on the
// query, key and value projections alone, with a tied LM head.

[TransformerDecoder(Vocab = 64, Layers = 2, ModelDim = 32, Heads = 4, KvHeads = 2, FfnDim = 48, MaxSeqLen = 40, MaxBatchTokens = 8)]
internal partial class DecoderLlamaTiny : IDecoder;

[TransformerDecoder(Vocab = 50, Layers = 1, ModelDim = 48, Heads = 3, FfnDim = 64, MaxSeqLen = 24, Activation = ActivationKind.Silu, RopeDim = 8,
    NormEpsilon = 1e-6f, RopeTheta = 500000f)]
internal partial class DecoderSiluPartialRope : IDecoder;

[TransformerDecoder(Vocab = 40, Layers = 2, ModelDim = 32, Heads = 2, KvHeads = 1, FfnDim = 40, MaxSeqLen = 20, Norm = NormKind.LayerNorm,
    Activation = ActivationKind.GeluTanh, Bias = true, TiedEmbeddings = true)]
internal partial class DecoderLayerNormTied : IDecoder;

[TransformerDecoder(Vocab = 48, Layers = 2, ModelDim = 48, Heads = 6, KvHeads = 2, FfnDim = 64, MaxSeqLen = 22, NormEpsilon = 1e-6f,
    RopeTheta = 1000000f, QueryKeyValueBias = true, TiedEmbeddings = true)]
internal partial class DecoderQwen2Tiny : IDecoder;

// Llama 3's rotary scaling, over a context first trained at 16 positions so that the cache's 40 cross every band.
[TransformerDecoder(Vocab = 64, Layers = 2, ModelDim = 32, Heads = 4, KvHeads = 2, FfnDim = 48, MaxSeqLen = 40, RopeTheta = 500000f,
    RopeScaling = RopeScalingKind.Llama3, RopeScalingFactor = 32f, RopeOriginalMaxPositions = 16, TiedEmbeddings = true)]
internal partial class DecoderLlama3Tiny : IDecoder;

// Qwen3's: Q and K normalized per head before the rotation, heads wider than ModelDim / Heads, a tied LM head.
[TransformerDecoder(Vocab = 56, Layers = 2, ModelDim = 32, Heads = 4, KvHeads = 2, HeadDim = 16, FfnDim = 48, MaxSeqLen = 24, NormEpsilon = 1e-6f,
    RopeTheta = 1000000f, QueryKeyNorm = true, TiedEmbeddings = true)]
internal partial class DecoderQwen3Tiny : IDecoder;

// DecoderQwen2Tiny with its matrices held as bfloat16: its tied table too, which is its LM head.
[TransformerDecoder(Vocab = 48, Layers = 2, ModelDim = 48, Heads = 6, KvHeads = 2, FfnDim = 64, MaxSeqLen = 22, NormEpsilon = 1e-6f,
    RopeTheta = 1000000f, QueryKeyValueBias = true, TiedEmbeddings = true, WeightFormat = WeightFormat.BFloat16)]
internal partial class DecoderQwen2TinyBfloat16 : IDecoder;

// DecoderLlamaTiny with its matrices held as bfloat16.
[TransformerDecoder(Vocab = 64, Layers = 2, ModelDim = 32, Heads = 4, KvHeads = 2, FfnDim = 48, MaxSeqLen = 40, MaxBatchTokens = 8,
    WeightFormat = WeightFormat.BFloat16)]
internal partial class DecoderLlamaTinyBfloat16 : IDecoder;

// GPT-2's layout: learned positions (a table longer than the cache), LayerNorm, tanh GELU, biases, a tied LM head, and
// checkpoints that fuse Q, K and V into one Conv1D-layout c_attn.
[TransformerDecoder(Vocab = 60, Layers = 2, ModelDim = 32, Heads = 4, FfnDim = 128, MaxSeqLen = 24, MaxPositions = 30, MaxBatchTokens = 8,
    Norm = NormKind.LayerNorm, Activation = ActivationKind.GeluTanh, Bias = true, TiedEmbeddings = true, Positions = PositionKind.Learned,
    WeightNames = WeightNames.Gpt2)]
internal partial class DecoderGpt2Tiny : IDecoder;

// Gemma 2: its RMSNorm (1 + gain) before and after each sublayer, GeGLU, embeddings × √ModelDim, capped scores and logits,
// a scale of its own (1/√query_pre_attn_scalar), heads wider than ModelDim / Heads, a tied head. The caps are Gemma 2's
// 50 and 30 divided by 10, so that they bite on these small random weights.
[TransformerDecoder(Vocab = 40, Layers = 2, ModelDim = 32, Heads = 4, KvHeads = 2, HeadDim = 16, FfnDim = 48, MaxSeqLen = 20, NormEpsilon = 1e-6f,
    Norm = NormKind.GemmaRmsNorm, Activation = ActivationKind.GeGluTanh, Softcap = 5f, Scale = 0.25f, SandwichNorm = true, ScaleEmbeddings = true,
    FinalLogitSoftcap = 3f, TiedEmbeddings = true)]
internal partial class DecoderGemma2Tiny : IDecoder;

// Gemma 3 (text): Gemma 2's block with Q and K normalized per head, two of every three layers attending within 5 positions
// and rotating by their own base, one key/value head.
[TransformerDecoder(Vocab = 48, Layers = 3, ModelDim = 32, Heads = 4, KvHeads = 1, HeadDim = 16, FfnDim = 48, MaxSeqLen = 24, NormEpsilon = 1e-6f,
    Norm = NormKind.GemmaRmsNorm, Activation = ActivationKind.GeGluTanh, QueryKeyNorm = true, SandwichNorm = true, ScaleEmbeddings = true,
    RopeTheta = 1000000f, LocalRopeTheta = 10000f, SlidingWindow = 5, SlidingWindowPattern = 3, TiedEmbeddings = true)]
internal partial class DecoderGemma3Tiny : IDecoder;

// Mistral v0.1: every layer attends within the last 6 positions, shorter than the prefill chunk of 8.
[TransformerDecoder(Vocab = 48, Layers = 2, ModelDim = 32, Heads = 4, KvHeads = 2, FfnDim = 48, MaxSeqLen = 24, MaxBatchTokens = 8, SlidingWindow = 6)]
internal partial class DecoderMistralWindowTiny : IDecoder;

// SmolLM3: a Llama whose every third layer attends without rotating Q and K (its keys cached unrotated); tied head.
[TransformerDecoder(Vocab = 48, Layers = 3, ModelDim = 32, Heads = 4, KvHeads = 2, FfnDim = 48, MaxSeqLen = 24, MaxBatchTokens = 8,
    NormEpsilon = 1e-6f, RopeTheta = 5000000f, NoRopeInterval = 3, TiedEmbeddings = true)]
internal partial class DecoderSmolLm3Tiny : IDecoder;

// Granite 3: a Llama with embeddings × 12, each residual branch × 0.22, logits ÷ 8 and scores scaled by 1/HeadDim; tied head.
[TransformerDecoder(Vocab = 48, Layers = 2, ModelDim = 32, Heads = 4, KvHeads = 2, FfnDim = 48, MaxSeqLen = 24, RopeTheta = 10000000f,
    Scale = 0.125f, EmbeddingMultiplier = 12f, ResidualMultiplier = 0.22f, LogitsScaling = 8f, TiedEmbeddings = true)]
internal partial class DecoderGraniteTiny : IDecoder;

// OLMo 2: each sublayer's output normalized instead of its input, Q and K each normalized across all heads; untied.
[TransformerDecoder(Vocab = 48, Layers = 2, ModelDim = 32, Heads = 4, FfnDim = 48, MaxSeqLen = 24, MaxBatchTokens = 8, NormEpsilon = 1e-6f,
    RopeTheta = 500000f, PostSublayerNorm = true, QueryKeyNorm = true, QueryKeyNormAcrossHeads = true)]
internal partial class DecoderOlmo2Tiny : IDecoder;
