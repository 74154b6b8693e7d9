using AttentionGen.Tests.Numeric;

namespace AttentionGen.Tests.Onnx;

// Decoders checked against ONNX Runtime. The first has the defaults a Llama checkpoint has (RMSNorm, SwiGLU, full
// rotary, GQA) and prefills in one pass. The second is multi-query with partial rotary over an odd number of pairs
// (RopeDim 6 of HeadDim 16), Llama 3's rotary base and ε 1e-6, and prefills in chunks of 4, so a 9-token prompt takes three passes.
// The third has full multi-head attention with heads wider than ModelDim / Heads (4 × 20 = 80 over a width of 48) and
// its own softmax scale. The fourth is Qwen2's: biases on Q, K and V alone, an LM head tied to the embedding table, θ 10⁶.
// The fifth has Llama 3's rotary scaling (Llama 3.2's factor 32) over a context first trained at 16 positions. The
// sixth is Qwen3's: Q and K normalized per head before the rotation, heads wider than ModelDim / Heads, a tied LM head.

[TransformerDecoder(Vocab = 96, Layers = 2, ModelDim = 64, Heads = 4, KvHeads = 2, FfnDim = 96, MaxSeqLen = 48)]
internal partial class DecoderOracleLlama : IDecoder;

[TransformerDecoder(Vocab = 72, Layers = 2, ModelDim = 64, Heads = 4, KvHeads = 1, FfnDim = 80, MaxSeqLen = 40, RopeDim = 6, RopeTheta = 500000f,
    NormEpsilon = 1e-6f, MaxBatchTokens = 4)]
internal partial class DecoderOracleMqaPartialRope : IDecoder;

[TransformerDecoder(Vocab = 64, Layers = 2, ModelDim = 48, Heads = 4, HeadDim = 20, FfnDim = 64, MaxSeqLen = 32, Scale = 0.125f)]
internal partial class DecoderOracleWideHeads : IDecoder;

[TransformerDecoder(Vocab = 80, Layers = 2, ModelDim = 64, Heads = 4, KvHeads = 2, FfnDim = 96, MaxSeqLen = 40, NormEpsilon = 1e-6f, RopeTheta = 1000000f,
    QueryKeyValueBias = true, TiedEmbeddings = true)]
internal partial class DecoderOracleQwen2 : IDecoder;

[TransformerDecoder(Vocab = 64, Layers = 2, ModelDim = 64, Heads = 4, KvHeads = 2, FfnDim = 96, MaxSeqLen = 40, RopeTheta = 500000f,
    RopeScaling = RopeScalingKind.Llama3, RopeScalingFactor = 32f, RopeOriginalMaxPositions = 16)]
internal partial class DecoderOracleLlama3 : IDecoder;

[TransformerDecoder(Vocab = 72, Layers = 2, ModelDim = 48, Heads = 4, KvHeads = 2, HeadDim = 16, FfnDim = 64, MaxSeqLen = 40, NormEpsilon = 1e-6f,
    RopeTheta = 1000000f, QueryKeyNorm = true, TiedEmbeddings = true)]
internal partial class DecoderOracleQwen3 : IDecoder;

// Gemma 2's options, with ORT computing the sandwich norms, GeGLU, the embedding scale and both softcaps from standard operators.
[TransformerDecoder(Vocab = 64, Layers = 2, ModelDim = 48, Heads = 4, KvHeads = 2, HeadDim = 16, FfnDim = 64, MaxSeqLen = 40, NormEpsilon = 1e-6f,
    Norm = NormKind.GemmaRmsNorm, Activation = ActivationKind.GeGluTanh, Softcap = 50f, Scale = 0.25f, SandwichNorm = true, ScaleEmbeddings = true,
    FinalLogitSoftcap = 30f, TiedEmbeddings = true)]
internal partial class DecoderOracleGemma2 : IDecoder;

// Gemma 3 (text): Q and K normalized per head in Gemma's form, two of every three layers attending within 6 positions and
// rotating by their own base; ORT's windowed layers take the window as an additive mask beside is_causal.
[TransformerDecoder(Vocab = 64, Layers = 3, ModelDim = 48, Heads = 4, KvHeads = 1, HeadDim = 16, FfnDim = 64, MaxSeqLen = 40, NormEpsilon = 1e-6f,
    Norm = NormKind.GemmaRmsNorm, Activation = ActivationKind.GeGluTanh, QueryKeyNorm = true, SandwichNorm = true, ScaleEmbeddings = true,
    RopeTheta = 1000000f, LocalRopeTheta = 10000f, SlidingWindow = 6, SlidingWindowPattern = 3, TiedEmbeddings = true)]
internal partial class DecoderOracleGemma3 : IDecoder;

// Mistral v0.1: every layer windowed, the window (5) shorter than the prompt and than the prefill chunk.
[TransformerDecoder(Vocab = 64, Layers = 2, ModelDim = 48, Heads = 4, KvHeads = 2, FfnDim = 64, MaxSeqLen = 40, MaxBatchTokens = 8, SlidingWindow = 5)]
internal partial class DecoderOracleMistralWindow : IDecoder;

// SmolLM3: every second layer (layer 1 of 2) attends by content alone, its keys unrotated, prefill in chunks of 8.
[TransformerDecoder(Vocab = 64, Layers = 2, ModelDim = 48, Heads = 4, KvHeads = 2, FfnDim = 64, MaxSeqLen = 40, MaxBatchTokens = 8,
    NormEpsilon = 1e-6f, RopeTheta = 5000000f, NoRopeInterval = 2, TiedEmbeddings = true)]
internal partial class DecoderOracleSmolLm3 : IDecoder;

// Granite 3: embeddings × 12, residual branches × 0.22, logits ÷ 8, scores × 1/HeadDim (its attention_multiplier); ORT multiplies
// and divides with Mul and Div.
[TransformerDecoder(Vocab = 64, Layers = 2, ModelDim = 48, Heads = 4, KvHeads = 2, FfnDim = 64, MaxSeqLen = 40, RopeTheta = 10000000f,
    Scale = 0.083333336f, EmbeddingMultiplier = 12f, ResidualMultiplier = 0.22f, LogitsScaling = 8f, TiedEmbeddings = true)]
internal partial class DecoderOracleGranite : IDecoder;

// OLMo 2: norms after the sublayers instead of before, Q and K normalized across heads (RMSNormalization over QueryWidth and KvWidth).
[TransformerDecoder(Vocab = 64, Layers = 2, ModelDim = 48, Heads = 4, KvHeads = 2, FfnDim = 64, MaxSeqLen = 40, NormEpsilon = 1e-6f,
    RopeTheta = 500000f, PostSublayerNorm = true, QueryKeyNorm = true, QueryKeyNormAcrossHeads = true)]
internal partial class DecoderOracleOlmo2 : IDecoder;

// Gemma 3's larger models: the full layers' rotation scaled linearly (factor 8), the windowed layers' on their own base unscaled.
[TransformerDecoder(Vocab = 64, Layers = 3, ModelDim = 48, Heads = 4, KvHeads = 1, HeadDim = 16, FfnDim = 64, MaxSeqLen = 40, NormEpsilon = 1e-6f,
    Norm = NormKind.GemmaRmsNorm, Activation = ActivationKind.GeGluTanh, QueryKeyNorm = true, SandwichNorm = true, ScaleEmbeddings = true,
    RopeTheta = 1000000f, RopeScaling = RopeScalingKind.Linear, RopeScalingFactor = 8f, LocalRopeTheta = 10000f, SlidingWindow = 6,
    SlidingWindowPattern = 3, TiedEmbeddings = true)]
internal partial class DecoderOracleGemma3Scaled : IDecoder;
