using AttentionGen.Generator.Tests.Infrastructure;

namespace AttentionGen.Generator.Tests;

/// <summary>
/// The declarations the snapshot and compile tests share: every layer kind, every option, and the odd shapes (row
/// widths that are not a multiple of any vector, a width too large to unroll, nesting, the global namespace).
/// </summary>
internal static class Declarations
{
    public static readonly string ScaledDotProductPlain =
        TestSourceBuilder.ScaledDotProduct("Heads = 4, HeadDim = 16, MaxSeqLen = 32").Named("Core").Build();

    public static readonly string ScaledDotProductCausalGqaScale =
        TestSourceBuilder.ScaledDotProduct("Heads = 8, KvHeads = 2, HeadDim = 32, MaxSeqLen = 64, Causal = true, Scale = 0.1f")
            .Named("CausalCore").Build();

    /// <summary>20 = 16 + 4: exercises mixed vector widths within one row.</summary>
    public static readonly string ScaledDotProductSoftcapHeadDim20 =
        TestSourceBuilder.ScaledDotProduct("Heads = 2, HeadDim = 20, MaxSeqLen = 16, Softcap = 30f").Named("SoftcapCore").Build();

    /// <summary>12 = 8 + 4: no Vector512 path at all; one KV head for all queries; longer keys than queries.</summary>
    public static readonly string ScaledDotProductMultiQuery =
        TestSourceBuilder.ScaledDotProduct("Heads = 4, KvHeads = 1, HeadDim = 12, MaxSeqLen = 8, MaxKvSeqLen = 128")
            .Named("MultiQueryCore").Build();

    public static readonly string MultiHeadSelfAttention =
        TestSourceBuilder.MultiHead("ModelDim = 64, Heads = 4, MaxSeqLen = 16").Named("Encoder").Build();

    public static readonly string MultiHeadCausalNoBias =
        TestSourceBuilder.MultiHead("ModelDim = 32, Heads = 2, MaxSeqLen = 16, Causal = true, Bias = false").Named("Decoder").Build();

    /// <summary>Context rows are wider than the model: only the cross-attention overload exists.</summary>
    public static readonly string MultiHeadCrossAttention =
        TestSourceBuilder.MultiHead("ModelDim = 64, Heads = 4, MaxSeqLen = 16, MaxKvSeqLen = 48, KvInputDim = 96")
            .Named("CrossAttention").Build();

    /// <summary>HeadDim set explicitly, so Heads·HeadDim (32) differs from ModelDim (48).</summary>
    public static readonly string MultiHeadExplicitHeadDim =
        TestSourceBuilder.MultiHead("ModelDim = 48, Heads = 4, HeadDim = 8, MaxSeqLen = 16").Named("NarrowHeads").Build();

    /// <summary>KvInputDim == ModelDim: both the self- and the cross-attention overloads; GQA and softcap too.</summary>
    public static readonly string MultiHeadCrossSameWidth =
        TestSourceBuilder.MultiHead("ModelDim = 32, Heads = 4, KvHeads = 2, MaxSeqLen = 8, KvInputDim = 32, Softcap = 50f")
            .Named("SameWidthCross").Build();

    public static readonly string Pooling =
        TestSourceBuilder.Pooling("InputDim = 24, MaxSeqLen = 64, OutputDim = 3").Named("Pool").Build();

    public static readonly string NestedInPartialOuter =
        TestSourceBuilder.ScaledDotProduct("Heads = 2, HeadDim = 8, MaxSeqLen = 4")
            .Named("Inner").WithAccessibility("internal").NestedIn("public static partial class Layers").Build();

    public static readonly string GlobalNamespace =
        TestSourceBuilder.MultiHead("ModelDim = 16, Heads = 2, MaxSeqLen = 4").Named("GlobalEncoder").InNamespace(null).Build();

    /// <summary>Past <c>AttentionCorePlanner.MaxTiledHeadDim</c>: a warning, and every call row by row.</summary>
    public static readonly string WideHeadDim300 =
        TestSourceBuilder.ScaledDotProduct("Heads = 1, HeadDim = 300, MaxSeqLen = 4").Named("WideCore").Build();

    /// <summary>Past 1,024 keys the tiles run an online softmax over 512-key chunks.</summary>
    public static readonly string LongKeysOnline =
        TestSourceBuilder.ScaledDotProduct("Heads = 4, HeadDim = 64, MaxSeqLen = 64, MaxKvSeqLen = 4096, Causal = true").Named("LongContextCore").Build();

    /// <summary>An additive mask on multi-head attention (padding, for encoders), self and cross overloads both.</summary>
    public static readonly string MultiHeadAdditiveMask =
        TestSourceBuilder.MultiHead("ModelDim = 64, Heads = 4, MaxSeqLen = 32, KvInputDim = 64, AdditiveMask = true").Named("MaskedEncoder").Build();

    /// <summary>Self-attention keys are the queries: MaxKvSeqLen below MaxSeqLen must not shrink the key buffers.</summary>
    public static readonly string MultiHeadShortKvBound =
        TestSourceBuilder.MultiHead("ModelDim = 16, Heads = 2, MaxSeqLen = 8, MaxKvSeqLen = 4").Named("ShortKvBound").Build();

    /// <summary>Namespaces named like runtime types must not hide them from the generated code.</summary>
    public static readonly string NamespacesShadowingRuntimeNames = """
        using AttentionGen;

        namespace App.Models
        {
            [MultiHeadAttention(ModelDim = 16, Heads = 2, MaxSeqLen = 4)]
            public partial class Shadowed;
        }

        namespace App.SafeTensors { internal static class Placeholder; }
        namespace App.Kernels { internal static class Placeholder; }
        namespace App.ParameterSpec { internal static class Placeholder; }
        namespace App.Guard { internal static class Placeholder; }
        """;

    /// <summary>A BERT-style post-norm block: exact GELU, biases, a batch of up to 64 tokens.</summary>
    public static readonly string TransformerBlockPostNorm =
        TestSourceBuilder.WithAttribute("TransformerBlock(ModelDim = 64, Heads = 4, FfnDim = 256, MaxSeqLen = 32, MaxBatchTokens = 64, NormEpsilon = 1e-12f)")
            .Named("BertLayer").Build();

    /// <summary>A pre-norm block: causal grouped-query attention, tanh GELU, no biases.</summary>
    public static readonly string TransformerBlockPreNorm =
        TestSourceBuilder.WithAttribute("TransformerBlock(ModelDim = 48, Heads = 6, KvHeads = 2, FfnDim = 96, MaxSeqLen = 16, Causal = true, " +
            "PreNorm = true, Bias = false, Activation = ActivationKind.GeluTanh)").Named("GptLayer").Build();

    /// <summary>all-MiniLM-L6-v2's shape: mean pooling, normalized.</summary>
    public static readonly string TransformerEncoderMiniLm =
        TestSourceBuilder.WithAttribute("TransformerEncoder(Vocab = 30522, MaxPositions = 512, Layers = 6, ModelDim = 384, Heads = 12, " +
            "FfnDim = 1536, MaxSeqLen = 256)").Named("MiniLm").Build();

    /// <summary>An encoder giving hidden states only: no embedding scratch, no Encode.</summary>
    public static readonly string TransformerEncoderNoPooling =
        TestSourceBuilder.WithAttribute("TransformerEncoder(Vocab = 100, MaxPositions = 16, TypeVocab = 1, Layers = 2, ModelDim = 32, Heads = 2, " +
            "FfnDim = 64, MaxSeqLen = 16, Pooling = PoolingKind.None, Activation = ActivationKind.Relu)").Named("TinyEncoder").Build();

    /// <summary>A Llama-style block: RMSNorm, SwiGLU, partial rotary, grouped-query attention, Llama's names.</summary>
    public static readonly string TransformerBlockLlama =
        TestSourceBuilder.WithAttribute("TransformerBlock(ModelDim = 64, Heads = 4, KvHeads = 2, FfnDim = 96, MaxSeqLen = 32, Causal = true, " +
            "PreNorm = true, Bias = false, Norm = NormKind.RmsNorm, Activation = ActivationKind.SwiGlu, Rope = RopeKind.RotateHalf, RopeDim = 8, " +
            "WeightNames = WeightNames.HfLlama)").Named("LlamaLayer").Build();

    /// <summary>llama2.c's stories110M shape: 12 layers, dim 768, 12 heads, FFN 2048, vocab 32000.</summary>
    public static readonly string TransformerDecoderStories =
        TestSourceBuilder.WithAttribute("TransformerDecoder(Vocab = 32000, Layers = 12, ModelDim = 768, Heads = 12, FfnDim = 2048, MaxSeqLen = 1024)")
            .Named("Stories110M").Build();

    /// <summary>A tied LM head, LayerNorm and tanh GELU with biases, multi-query attention, bfloat16 matrices.</summary>
    public static readonly string TransformerDecoderTied =
        TestSourceBuilder.WithAttribute("TransformerDecoder(Vocab = 100, Layers = 2, ModelDim = 32, Heads = 4, KvHeads = 1, FfnDim = 64, MaxSeqLen = 64, " +
            "MaxBatchTokens = 16, Norm = NormKind.LayerNorm, Activation = ActivationKind.GeluTanh, Bias = true, TiedEmbeddings = true, " +
            "WeightFormat = WeightFormat.BFloat16)").Named("TinyGpt").Build();

    /// <summary>GPT-2 small: learned positions, LayerNorm, tanh GELU, biases, tied LM head, Q/K/V loaded out of a fused Conv1D c_attn.</summary>
    public static readonly string TransformerDecoderGpt2 =
        TestSourceBuilder.WithAttribute("TransformerDecoder(Vocab = 50257, Layers = 12, ModelDim = 768, Heads = 12, FfnDim = 3072, MaxSeqLen = 1024, " +
            "Norm = NormKind.LayerNorm, Activation = ActivationKind.GeluTanh, Bias = true, TiedEmbeddings = true, Positions = PositionKind.Learned, " +
            "WeightNames = WeightNames.Gpt2)").Named("Gpt2Small").Build();

    /// <summary>Qwen2.5-0.5B: biases on Q, K and V only, grouped-query attention of 14 heads over 2, a tied LM head, θ 10⁶.</summary>
    public static readonly string TransformerDecoderQwen2 =
        TestSourceBuilder.WithAttribute("TransformerDecoder(Vocab = 151936, Layers = 24, ModelDim = 896, Heads = 14, KvHeads = 2, FfnDim = 4864, " +
            "MaxSeqLen = 2048, NormEpsilon = 1e-6f, RopeTheta = 1000000f, QueryKeyValueBias = true, TiedEmbeddings = true)").Named("Qwen25Half").Build();

    /// <summary>Llama 3.2 1B: Llama 3's rotary scaling (factor 32), θ 500000, 32 heads over 8, a tied LM head.</summary>
    public static readonly string TransformerDecoderLlama32 =
        TestSourceBuilder.WithAttribute("TransformerDecoder(Vocab = 128256, Layers = 16, ModelDim = 2048, Heads = 32, KvHeads = 8, FfnDim = 8192, " +
            "MaxSeqLen = 4096, RopeTheta = 500000f, RopeScaling = RopeScalingKind.Llama3, RopeScalingFactor = 32f, TiedEmbeddings = true)").Named("Llama32OneB").Build();

    /// <summary>Qwen3-0.6B: Q and K normalized per head, heads of 128 wider than ModelDim / Heads, a tied LM head.</summary>
    public static readonly string TransformerDecoderQwen3 =
        TestSourceBuilder.WithAttribute("TransformerDecoder(Vocab = 151936, Layers = 28, ModelDim = 1024, Heads = 16, KvHeads = 8, HeadDim = 128, " +
            "FfnDim = 3072, MaxSeqLen = 4096, NormEpsilon = 1e-6f, RopeTheta = 1000000f, QueryKeyNorm = true, TiedEmbeddings = true)").Named("Qwen3Small").Build();

    /// <summary>
    /// Phi-3-mini-4k: Llama's layout with Q/K/V and gate/up fused in its checkpoints (loaded as their parts), a cache up to its
    /// window of 2047 positions, heads of 96, weights held as bfloat16.
    /// </summary>
    public static readonly string TransformerDecoderPhi3 =
        TestSourceBuilder.WithAttribute("TransformerDecoder(Vocab = 32064, Layers = 32, ModelDim = 3072, Heads = 32, FfnDim = 8192, " +
            "MaxSeqLen = 2047, NormEpsilon = 1e-5f, RopeTheta = 10000f, WeightFormat = WeightFormat.BFloat16)").Named("Phi3Mini").Build();

    /// <summary>
    /// Gemma 2 2B: Gemma's RMSNorm (1 + gain) before and after each sublayer, GeGLU, embeddings scaled by √ModelDim, scores
    /// capped at 50 and logits at 30, heads of 256, a tied head, and a cache up to its window of 4096 positions.
    /// </summary>
    public static readonly string TransformerDecoderGemma2 =
        TestSourceBuilder.WithAttribute("TransformerDecoder(Vocab = 256000, Layers = 26, ModelDim = 2304, Heads = 8, KvHeads = 4, HeadDim = 256, " +
            "FfnDim = 9216, MaxSeqLen = 4096, Norm = NormKind.GemmaRmsNorm, NormEpsilon = 1e-6f, Activation = ActivationKind.GeGluTanh, " +
            "Softcap = 50f, FinalLogitSoftcap = 30f, SandwichNorm = true, ScaleEmbeddings = true, TiedEmbeddings = true, " +
            "WeightFormat = WeightFormat.BFloat16)").Named("Gemma2TwoB").Build();

    /// <summary>
    /// Gemma 3 1B (text): Gemma 2's norms with Q and K normalized per head too, five of every six layers attending within 512
    /// positions and rotating by their own base (10000 beside 1000000), one key/value head of 256.
    /// </summary>
    public static readonly string TransformerDecoderGemma3 =
        TestSourceBuilder.WithAttribute("TransformerDecoder(Vocab = 262144, Layers = 26, ModelDim = 1152, Heads = 4, KvHeads = 1, HeadDim = 256, " +
            "FfnDim = 6912, MaxSeqLen = 4096, Norm = NormKind.GemmaRmsNorm, NormEpsilon = 1e-6f, Activation = ActivationKind.GeGluTanh, " +
            "QueryKeyNorm = true, SandwichNorm = true, ScaleEmbeddings = true, RopeTheta = 1000000f, LocalRopeTheta = 10000f, " +
            "SlidingWindow = 512, SlidingWindowPattern = 6, TiedEmbeddings = true, WeightFormat = WeightFormat.BFloat16)").Named("Gemma3OneB").Build();

    /// <summary>Gemma 3 4B's language model: Gemma 3 1B's layout wider, its full layers' rotation scaled linearly by 8.</summary>
    public static readonly string TransformerDecoderGemma3Scaled =
        TestSourceBuilder.WithAttribute("TransformerDecoder(Vocab = 262208, Layers = 34, ModelDim = 2560, Heads = 8, KvHeads = 4, HeadDim = 256, " +
            "FfnDim = 10240, MaxSeqLen = 8192, Norm = NormKind.GemmaRmsNorm, NormEpsilon = 1e-6f, Activation = ActivationKind.GeGluTanh, " +
            "QueryKeyNorm = true, SandwichNorm = true, ScaleEmbeddings = true, RopeTheta = 1000000f, RopeScaling = RopeScalingKind.Linear, " +
            "RopeScalingFactor = 8f, LocalRopeTheta = 10000f, SlidingWindow = 1024, SlidingWindowPattern = 6, TiedEmbeddings = true, " +
            "WeightFormat = WeightFormat.BFloat16)").Named("Gemma3FourB").Build();

    /// <summary>SmolLM3-3B: a Llama whose every fourth layer attends without rotating Q and K, its head tied.</summary>
    public static readonly string TransformerDecoderSmolLm3 =
        TestSourceBuilder.WithAttribute("TransformerDecoder(Vocab = 128256, Layers = 36, ModelDim = 2048, Heads = 16, KvHeads = 4, FfnDim = 11008, " +
            "MaxSeqLen = 4096, NormEpsilon = 1e-6f, RopeTheta = 5000000f, NoRopeInterval = 4, TiedEmbeddings = true, " +
            "WeightFormat = WeightFormat.BFloat16)").Named("SmolLm3ThreeB").Build();

    /// <summary>
    /// granite-3.3-2b: a Llama with embeddings × 12, each residual branch × 0.22, logits ÷ 8 and scores scaled by 1/64 (its
    /// attention_multiplier, 1/HeadDim rather than 1/√HeadDim), its head tied.
    /// </summary>
    public static readonly string TransformerDecoderGranite =
        TestSourceBuilder.WithAttribute("TransformerDecoder(Vocab = 49159, Layers = 40, ModelDim = 2048, Heads = 32, KvHeads = 8, FfnDim = 8192, " +
            "MaxSeqLen = 4096, RopeTheta = 10000000f, Scale = 0.015625f, EmbeddingMultiplier = 12f, ResidualMultiplier = 0.22f, LogitsScaling = 8f, " +
            "TiedEmbeddings = true, WeightFormat = WeightFormat.BFloat16)").Named("GraniteTwoB").Build();

    /// <summary>OLMo-2-0425-1B: each sublayer's output normalized instead of its input, Q and K normalized across heads, untied.</summary>
    public static readonly string TransformerDecoderOlmo2 =
        TestSourceBuilder.WithAttribute("TransformerDecoder(Vocab = 100352, Layers = 16, ModelDim = 2048, Heads = 16, FfnDim = 8192, " +
            "MaxSeqLen = 4096, NormEpsilon = 1e-6f, RopeTheta = 500000f, PostSublayerNorm = true, QueryKeyNorm = true, " +
            "QueryKeyNormAcrossHeads = true, WeightFormat = WeightFormat.BFloat16)").Named("Olmo2OneB").Build();

    /// <summary>A causal grouped-query block with the padding mask: the masked overload, and RunBlock taking a mask.</summary>
    public static readonly string TransformerBlockPaddingMask =
        TestSourceBuilder.WithAttribute("TransformerBlock(ModelDim = 48, Heads = 6, KvHeads = 2, FfnDim = 96, MaxSeqLen = 16, Causal = true, " +
            "PreNorm = true, Bias = false, PaddingMask = true)").Named("PaddedGptLayer").Build();

    /// <summary>all-MiniLM-L6-v2's shape taking ORT-style padded input: the masked Forward, Encode and padded EncodeBatch.</summary>
    public static readonly string TransformerEncoderPaddingMask =
        TestSourceBuilder.WithAttribute("TransformerEncoder(Vocab = 30522, MaxPositions = 512, Layers = 6, ModelDim = 384, Heads = 12, " +
            "FfnDim = 1536, MaxSeqLen = 256, PaddingMask = true)").Named("PaddedMiniLm").Build();

    /// <summary>Every declaration above by name, for theories.</summary>
    public static readonly IReadOnlyDictionary<string, string> All = new Dictionary<string, string>
    {
        [nameof(ScaledDotProductPlain)] = ScaledDotProductPlain,
        [nameof(ScaledDotProductCausalGqaScale)] = ScaledDotProductCausalGqaScale,
        [nameof(ScaledDotProductSoftcapHeadDim20)] = ScaledDotProductSoftcapHeadDim20,
        [nameof(ScaledDotProductMultiQuery)] = ScaledDotProductMultiQuery,
        [nameof(MultiHeadSelfAttention)] = MultiHeadSelfAttention,
        [nameof(MultiHeadCausalNoBias)] = MultiHeadCausalNoBias,
        [nameof(MultiHeadCrossAttention)] = MultiHeadCrossAttention,
        [nameof(MultiHeadExplicitHeadDim)] = MultiHeadExplicitHeadDim,
        [nameof(MultiHeadCrossSameWidth)] = MultiHeadCrossSameWidth,
        [nameof(Pooling)] = Pooling,
        [nameof(NestedInPartialOuter)] = NestedInPartialOuter,
        [nameof(GlobalNamespace)] = GlobalNamespace,
        [nameof(WideHeadDim300)] = WideHeadDim300,
        [nameof(LongKeysOnline)] = LongKeysOnline,
        [nameof(MultiHeadAdditiveMask)] = MultiHeadAdditiveMask,
        [nameof(MultiHeadShortKvBound)] = MultiHeadShortKvBound,
        [nameof(NamespacesShadowingRuntimeNames)] = NamespacesShadowingRuntimeNames,
        [nameof(TransformerBlockPostNorm)] = TransformerBlockPostNorm,
        [nameof(TransformerBlockPreNorm)] = TransformerBlockPreNorm,
        [nameof(TransformerEncoderMiniLm)] = TransformerEncoderMiniLm,
        [nameof(TransformerEncoderNoPooling)] = TransformerEncoderNoPooling,
        [nameof(TransformerBlockLlama)] = TransformerBlockLlama,
        [nameof(TransformerDecoderStories)] = TransformerDecoderStories,
        [nameof(TransformerDecoderTied)] = TransformerDecoderTied,
        [nameof(TransformerDecoderGpt2)] = TransformerDecoderGpt2,
        [nameof(TransformerDecoderQwen2)] = TransformerDecoderQwen2,
        [nameof(TransformerDecoderLlama32)] = TransformerDecoderLlama32,
        [nameof(TransformerDecoderQwen3)] = TransformerDecoderQwen3,
        [nameof(TransformerBlockPaddingMask)] = TransformerBlockPaddingMask,
        [nameof(TransformerEncoderPaddingMask)] = TransformerEncoderPaddingMask,
    };

    public static TheoryData<string> Names => [.. All.Keys];
}
