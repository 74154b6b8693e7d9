namespace AttentionGen.Tests.Weights;

// Declarations only CheckConfig's tests use: each sets what no file of its family can state.

// A Llama with Gemma's features: capped scores and logits, embeddings × √ModelDim, a second rotary base and every other
// layer windowed.
[TransformerDecoder(Vocab = 48, Layers = 2, ModelDim = 32, Heads = 4, KvHeads = 2, FfnDim = 48, MaxSeqLen = 24, Softcap = 5f, FinalLogitSoftcap = 3f,
    ScaleEmbeddings = true, SlidingWindow = 6, SlidingWindowPattern = 2, LocalRopeTheta = 20000f)]
internal partial class DecoderLlamaWithGemmasFeatures;

// Gemma 2's sandwich norms without its (1 + gain) norm and without its embedding scale.
[TransformerDecoder(Vocab = 40, Layers = 2, ModelDim = 32, Heads = 4, KvHeads = 2, HeadDim = 16, FfnDim = 48, MaxSeqLen = 20, NormEpsilon = 1e-6f,
    Activation = ActivationKind.GeGluTanh, Softcap = 5f, Scale = 0.25f, SandwichNorm = true, FinalLogitSoftcap = 3f, TiedEmbeddings = true)]
internal partial class DecoderGemma2WithoutGemmasNorm;

// Gemma 1: its (1 + gain) norm, GeGLU and embeddings × √ModelDim, one norm before each sublayer, no window.
[TransformerDecoder(Vocab = 40, Layers = 2, ModelDim = 32, Heads = 4, KvHeads = 1, HeadDim = 16, FfnDim = 48, MaxSeqLen = 20, NormEpsilon = 1e-6f,
    Norm = NormKind.GemmaRmsNorm, Activation = ActivationKind.GeGluTanh, ScaleEmbeddings = true, TiedEmbeddings = true)]
internal partial class DecoderGemma1Tiny;

// Gemma 1 with Llama's SwiGLU, which no Gemma file runs.
[TransformerDecoder(Vocab = 40, Layers = 2, ModelDim = 32, Heads = 4, KvHeads = 1, HeadDim = 16, FfnDim = 48, MaxSeqLen = 20, NormEpsilon = 1e-6f,
    Norm = NormKind.GemmaRmsNorm, Activation = ActivationKind.SwiGlu, ScaleEmbeddings = true, TiedEmbeddings = true)]
internal partial class DecoderGemma1WithSwiGlu;

// Gemma 1 with Mistral's window on every layer, which Gemma 1 has not.
[TransformerDecoder(Vocab = 40, Layers = 2, ModelDim = 32, Heads = 4, KvHeads = 1, HeadDim = 16, FfnDim = 48, MaxSeqLen = 20, NormEpsilon = 1e-6f,
    Norm = NormKind.GemmaRmsNorm, Activation = ActivationKind.GeGluTanh, ScaleEmbeddings = true, SlidingWindow = 6, TiedEmbeddings = true)]
internal partial class DecoderGemma1Windowed;

// Gemma 3 whose windowed layers rotate by the full layers' base (no LocalRopeTheta), where Gemma 3's files default theirs to 10000.
[TransformerDecoder(Vocab = 48, Layers = 3, ModelDim = 32, Heads = 4, KvHeads = 1, HeadDim = 16, FfnDim = 48, MaxSeqLen = 24, NormEpsilon = 1e-6f,
    Norm = NormKind.GemmaRmsNorm, Activation = ActivationKind.GeGluTanh, QueryKeyNorm = true, SandwichNorm = true, ScaleEmbeddings = true,
    RopeTheta = 1000000f, SlidingWindow = 5, SlidingWindowPattern = 3, TiedEmbeddings = true)]
internal partial class DecoderGemma3WithOneRotaryBase;

// Gemma 3 with Gemma 2's caps on scores and logits, which Gemma 3's files hold null or leave out (no cap either way).
[TransformerDecoder(Vocab = 48, Layers = 3, ModelDim = 32, Heads = 4, KvHeads = 1, HeadDim = 16, FfnDim = 48, MaxSeqLen = 24, NormEpsilon = 1e-6f,
    Norm = NormKind.GemmaRmsNorm, Activation = ActivationKind.GeGluTanh, QueryKeyNorm = true, SandwichNorm = true, ScaleEmbeddings = true,
    Softcap = 5f, FinalLogitSoftcap = 3f, RopeTheta = 1000000f, LocalRopeTheta = 10000f, SlidingWindow = 5, SlidingWindowPattern = 3, TiedEmbeddings = true)]
internal partial class DecoderGemma3Capped;

// Gemma 2 with a second rotary base for its windowed layers, which Gemma 2 rotates by rope_theta like the others.
[TransformerDecoder(Vocab = 40, Layers = 2, ModelDim = 32, Heads = 4, KvHeads = 2, HeadDim = 16, FfnDim = 48, MaxSeqLen = 20, NormEpsilon = 1e-6f,
    Norm = NormKind.GemmaRmsNorm, Activation = ActivationKind.GeGluTanh, Softcap = 5f, Scale = 0.25f, SandwichNorm = true, ScaleEmbeddings = true,
    FinalLogitSoftcap = 3f, SlidingWindow = 6, SlidingWindowPattern = 2, LocalRopeTheta = 20000f, TiedEmbeddings = true)]
internal partial class DecoderGemma2WithLocalBase;

// The same with RopeTheta (10000) written as LocalRopeTheta: one base, as 0 says, and the same model.
[TransformerDecoder(Vocab = 40, Layers = 2, ModelDim = 32, Heads = 4, KvHeads = 2, HeadDim = 16, FfnDim = 48, MaxSeqLen = 20, NormEpsilon = 1e-6f,
    Norm = NormKind.GemmaRmsNorm, Activation = ActivationKind.GeGluTanh, Softcap = 5f, Scale = 0.25f, SandwichNorm = true, ScaleEmbeddings = true,
    FinalLogitSoftcap = 3f, SlidingWindow = 6, SlidingWindowPattern = 2, LocalRopeTheta = 10000f, TiedEmbeddings = true)]
internal partial class DecoderGemma2WithRopeThetaAsLocalBase;

// Gemma 1 with a window and a second rotary base for it, neither of which Gemma 1 has.
[TransformerDecoder(Vocab = 40, Layers = 2, ModelDim = 32, Heads = 4, KvHeads = 1, HeadDim = 16, FfnDim = 48, MaxSeqLen = 20, NormEpsilon = 1e-6f,
    Norm = NormKind.GemmaRmsNorm, Activation = ActivationKind.GeGluTanh, ScaleEmbeddings = true, SlidingWindow = 6, LocalRopeTheta = 20000f,
    TiedEmbeddings = true)]
internal partial class DecoderGemma1WithLocalBase;

// Qwen2, Qwen3 and SmolLM3 windowing every layer to the last 6 positions (their declarations window every layer or none).
[TransformerDecoder(Vocab = 48, Layers = 2, ModelDim = 48, Heads = 6, KvHeads = 2, FfnDim = 64, MaxSeqLen = 22, NormEpsilon = 1e-6f,
    RopeTheta = 1000000f, QueryKeyValueBias = true, SlidingWindow = 6, TiedEmbeddings = true)]
internal partial class DecoderQwen2Windowed;

[TransformerDecoder(Vocab = 56, Layers = 2, ModelDim = 32, Heads = 4, KvHeads = 2, HeadDim = 16, FfnDim = 48, MaxSeqLen = 24, NormEpsilon = 1e-6f,
    RopeTheta = 1000000f, QueryKeyNorm = true, SlidingWindow = 6, TiedEmbeddings = true)]
internal partial class DecoderQwen3Windowed;

[TransformerDecoder(Vocab = 48, Layers = 3, ModelDim = 32, Heads = 4, KvHeads = 2, FfnDim = 48, MaxSeqLen = 24, MaxBatchTokens = 8,
    NormEpsilon = 1e-6f, RopeTheta = 5000000f, NoRopeInterval = 3, SlidingWindow = 6, TiedEmbeddings = true)]
internal partial class DecoderSmolLm3Windowed;

// Granite and OLMo 2 windowing every layer to the last 6 positions, which neither family's config has a key for.
[TransformerDecoder(Vocab = 48, Layers = 2, ModelDim = 32, Heads = 4, KvHeads = 2, FfnDim = 48, MaxSeqLen = 24, RopeTheta = 10000000f,
    Scale = 0.125f, EmbeddingMultiplier = 12f, ResidualMultiplier = 0.22f, LogitsScaling = 8f, SlidingWindow = 6, TiedEmbeddings = true)]
internal partial class DecoderGraniteWindowed;

[TransformerDecoder(Vocab = 48, Layers = 2, ModelDim = 32, Heads = 4, FfnDim = 48, MaxSeqLen = 24, MaxBatchTokens = 8, NormEpsilon = 1e-6f,
    RopeTheta = 500000f, PostSublayerNorm = true, QueryKeyNorm = true, QueryKeyNormAcrossHeads = true, SlidingWindow = 6)]
internal partial class DecoderOlmo2Windowed;

// A Llama without a window whose cache (4100 positions) is longer than the window MistralConfig defaults to (4096).
[TransformerDecoder(Vocab = 64, Layers = 2, ModelDim = 32, Heads = 4, KvHeads = 2, FfnDim = 48, MaxSeqLen = 4100, MaxBatchTokens = 8)]
internal partial class DecoderLlamaLongCache;

// Gemma 2, Gemma 3 and Qwen2 without a window, their caches (4100 positions) longer than the window their configs default to (4096).
[TransformerDecoder(Vocab = 40, Layers = 2, ModelDim = 32, Heads = 4, KvHeads = 2, HeadDim = 16, FfnDim = 48, MaxSeqLen = 4100, NormEpsilon = 1e-6f,
    Norm = NormKind.GemmaRmsNorm, Activation = ActivationKind.GeGluTanh, Softcap = 5f, Scale = 0.25f, SandwichNorm = true, ScaleEmbeddings = true,
    FinalLogitSoftcap = 3f, TiedEmbeddings = true)]
internal partial class DecoderGemma2LongCache;

[TransformerDecoder(Vocab = 48, Layers = 3, ModelDim = 32, Heads = 4, KvHeads = 1, HeadDim = 16, FfnDim = 48, MaxSeqLen = 4100, NormEpsilon = 1e-6f,
    Norm = NormKind.GemmaRmsNorm, Activation = ActivationKind.GeGluTanh, QueryKeyNorm = true, SandwichNorm = true, ScaleEmbeddings = true,
    RopeTheta = 1000000f, TiedEmbeddings = true)]
internal partial class DecoderGemma3LongCache;

[TransformerDecoder(Vocab = 48, Layers = 2, ModelDim = 48, Heads = 6, KvHeads = 2, FfnDim = 64, MaxSeqLen = 4100, NormEpsilon = 1e-6f,
    RopeTheta = 1000000f, QueryKeyValueBias = true, TiedEmbeddings = true)]
internal partial class DecoderQwen2LongCache;

// Gemma 3 with every sixth layer attending to the whole cache, the pattern Gemma3TextConfig defaults to.
[TransformerDecoder(Vocab = 48, Layers = 6, ModelDim = 32, Heads = 4, KvHeads = 1, HeadDim = 16, FfnDim = 48, MaxSeqLen = 24, NormEpsilon = 1e-6f,
    Norm = NormKind.GemmaRmsNorm, Activation = ActivationKind.GeGluTanh, QueryKeyNorm = true, SandwichNorm = true, ScaleEmbeddings = true,
    RopeTheta = 1000000f, LocalRopeTheta = 10000f, SlidingWindow = 5, SlidingWindowPattern = 6, TiedEmbeddings = true)]
internal partial class DecoderGemma3PatternOfSix;
