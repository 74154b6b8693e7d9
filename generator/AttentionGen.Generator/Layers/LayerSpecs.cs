namespace AttentionGen.Generator.Layers;

/// <summary>
/// What one layer attribute said, read by <see cref="Parsing.AttributeReader"/>: one record per attribute, one
/// property per attribute property with the same name and type, initialized to the attribute's default. Records, so
/// the incremental pipeline compares them by value.
/// </summary>
internal abstract record LayerSpec;

/// <summary>The properties every attention attribute shares (<c>AttentionAttribute</c> in the runtime).</summary>
internal abstract record AttentionSpec : LayerSpec
{
    public int Heads { get; init; }

    public int KvHeads { get; init; }

    public int HeadDim { get; init; }

    public int MaxSeqLen { get; init; }

    public int MaxKvSeqLen { get; init; }

    public bool Causal { get; init; }

    public float Scale { get; init; }

    public float Softcap { get; init; }
}

/// <summary><c>[ScaledDotProductAttention]</c>: the attention core alone.</summary>
internal sealed record ScaledDotProductAttentionSpec : AttentionSpec;

/// <summary><c>[MultiHeadAttention]</c>: Q/K/V projections, the core, the output projection.</summary>
internal sealed record MultiHeadAttentionSpec : AttentionSpec
{
    public int ModelDim { get; init; }

    public bool Bias { get; init; } = true;

    public int KvInputDim { get; init; }

    public bool AdditiveMask { get; init; }
}

/// <summary><c>[AttentionPooling]</c>: a score per position, a softmax over positions, a weighted sum, an output layer.</summary>
internal sealed record AttentionPoolingSpec : LayerSpec
{
    public int InputDim { get; init; }

    public int MaxSeqLen { get; init; }

    public int OutputDim { get; init; }
}

/// <summary>Mirrors the runtime's <c>AttentionGen.ActivationKind</c>: the same names and values.</summary>
internal enum ActivationKind
{
    Gelu = 0,
    GeluTanh = 1,
    Relu = 2,
    Silu = 3,
    SwiGlu = 4,
    GeGluTanh = 5,
}

/// <summary>Mirrors the runtime's <c>AttentionGen.NormKind</c>.</summary>
internal enum NormKind
{
    LayerNorm = 0,
    RmsNorm = 1,
    GemmaRmsNorm = 2,
}

/// <summary>Mirrors the runtime's <c>AttentionGen.RopeKind</c>.</summary>
internal enum RopeKind
{
    None = 0,
    RotateHalf = 1,
}

/// <summary>Mirrors the runtime's <c>AttentionGen.RopeScalingKind</c>.</summary>
internal enum RopeScalingKind
{
    None = 0,
    Llama3 = 1,
    Linear = 2,
}

/// <summary>Mirrors the runtime's <c>AttentionGen.WeightFormat</c>.</summary>
internal enum WeightFormat
{
    Float32 = 0,
    BFloat16 = 1,
}

/// <summary>Mirrors the runtime's <c>AttentionGen.WeightNames</c>.</summary>
internal enum WeightNames
{
    Bert = 0,
    HfLlama = 1,
    Gpt2 = 2,
}

/// <summary>Mirrors the runtime's <c>AttentionGen.PositionKind</c>.</summary>
internal enum PositionKind
{
    Rope = 0,
    Learned = 1,
}

/// <summary>Mirrors the runtime's <c>AttentionGen.PoolingKind</c>.</summary>
internal enum PoolingKind
{
    Mean = 0,
    Cls = 1,
    None = 2,
}

/// <summary>The options a transformer block has, whether declared alone or inside a model.</summary>
internal interface ITransformerBlockOptions
{
    int ModelDim { get; }

    int Heads { get; }

    int HeadDim { get; }

    float Scale { get; }

    int FfnDim { get; }

    ActivationKind Activation { get; }

    NormKind Norm { get; }

    float NormEpsilon { get; }

    bool PreNorm { get; }

    bool Bias { get; }

    /// <summary>Biases on the query, key and value projections only (Qwen2), beside <see cref="Bias"/> false.</summary>
    bool QueryKeyValueBias { get; }

    /// <summary>An RMSNorm over each head of Q and K before the rotation (Qwen3).</summary>
    bool QueryKeyNorm { get; }

    /// <summary>A norm on each sublayer's output too, before its residual add (Gemma 2 and 3).</summary>
    bool SandwichNorm { get; }

    int MaxSeqLen { get; }

    int MaxBatchTokens { get; }

    RopeKind Rope { get; }

    float RopeTheta { get; }

    int RopeDim { get; }

    RopeScalingKind RopeScaling { get; }

    float RopeScalingFactor { get; }

    float RopeLowFrequencyFactor { get; }

    float RopeHighFrequencyFactor { get; }

    int RopeOriginalMaxPositions { get; }

    WeightNames WeightNames { get; }
}

/// <summary><c>[TransformerBlock]</c>: self-attention and a feed-forward network, with residuals and norms.</summary>
internal sealed record TransformerBlockSpec : AttentionSpec, ITransformerBlockOptions
{
    public int ModelDim { get; init; }

    public int FfnDim { get; init; }

    public ActivationKind Activation { get; init; }

    public NormKind Norm { get; init; }

    public float NormEpsilon { get; init; } = 1e-5f;

    public bool PreNorm { get; init; }

    public bool Bias { get; init; } = true;

    public bool QueryKeyValueBias { get; init; }

    public bool QueryKeyNorm { get; init; }

    public bool SandwichNorm { get; init; }

    public int MaxBatchTokens { get; init; }

    public RopeKind Rope { get; init; }

    public float RopeTheta { get; init; } = RopeDefaults.Theta;

    public int RopeDim { get; init; }

    public RopeScalingKind RopeScaling { get; init; }

    public float RopeScalingFactor { get; init; } = RopeDefaults.ScalingFactor;

    public float RopeLowFrequencyFactor { get; init; } = RopeDefaults.LowFrequencyFactor;

    public float RopeHighFrequencyFactor { get; init; } = RopeDefaults.HighFrequencyFactor;

    public int RopeOriginalMaxPositions { get; init; } = RopeDefaults.OriginalMaxPositions;

    public WeightNames WeightNames { get; init; }

    public bool PaddingMask { get; init; }
}

/// <summary><c>[TransformerEncoder]</c>: embeddings, a LayerNorm, blocks, pooling.</summary>
internal sealed record TransformerEncoderSpec : LayerSpec, ITransformerBlockOptions
{
    public int Vocab { get; init; }

    public int MaxPositions { get; init; }

    public int TypeVocab { get; init; } = 2;

    public int Layers { get; init; }

    public int ModelDim { get; init; }

    public int Heads { get; init; }

    public int HeadDim { get; init; }

    public float Scale { get; init; }

    public int FfnDim { get; init; }

    public ActivationKind Activation { get; init; }

    public NormKind Norm { get; init; }

    public float NormEpsilon { get; init; } = 1e-12f;

    /// <summary>BERT-family encoders are post-norm; the attribute has no option for it.</summary>
    public bool PreNorm => false;

    public bool Bias { get; init; } = true;

    /// <summary>BERT-family encoders bias every linear layer or none; the attribute has no option for it.</summary>
    public bool QueryKeyValueBias => false;

    /// <summary>BERT-family encoders do not normalize Q and K.</summary>
    public bool QueryKeyNorm => false;

    /// <summary>Nor their sublayers' outputs: BERT is post-norm.</summary>
    public bool SandwichNorm => false;

    public int MaxSeqLen { get; init; }

    public int MaxBatchTokens { get; init; }

    public PoolingKind Pooling { get; init; }

    public bool Normalize { get; init; } = true;

    public bool PaddingMask { get; init; }

    /// <summary>BERT encoders take positions from a learned table, not rotary embeddings.</summary>
    public RopeKind Rope => RopeKind.None;

    public float RopeTheta => 0;

    public int RopeDim => 0;

    public RopeScalingKind RopeScaling => RopeScalingKind.None;

    public float RopeScalingFactor => 1;

    public float RopeLowFrequencyFactor => 1;

    public float RopeHighFrequencyFactor => 4;

    public int RopeOriginalMaxPositions => 0;

    public WeightNames WeightNames => WeightNames.Bert;
}

/// <summary><c>[TransformerDecoder]</c>: a Llama-family decoder with a key/value cache.</summary>
internal sealed record TransformerDecoderSpec : LayerSpec, ITransformerBlockOptions
{
    public int Vocab { get; init; }

    public int Layers { get; init; }

    public int ModelDim { get; init; }

    public int Heads { get; init; }

    public int KvHeads { get; init; }

    public int HeadDim { get; init; }

    public float Scale { get; init; }

    public float Softcap { get; init; }

    public int FfnDim { get; init; }

    public ActivationKind Activation { get; init; } = ActivationKind.SwiGlu;

    public NormKind Norm { get; init; } = NormKind.RmsNorm;

    public float NormEpsilon { get; init; } = 1e-5f;

    public bool Bias { get; init; }

    public bool QueryKeyValueBias { get; init; }

    public bool QueryKeyNorm { get; init; }

    public float RopeTheta { get; init; } = RopeDefaults.Theta;

    public int RopeDim { get; init; }

    public RopeScalingKind RopeScaling { get; init; }

    public float RopeScalingFactor { get; init; } = RopeDefaults.ScalingFactor;

    public float RopeLowFrequencyFactor { get; init; } = RopeDefaults.LowFrequencyFactor;

    public float RopeHighFrequencyFactor { get; init; } = RopeDefaults.HighFrequencyFactor;

    public int RopeOriginalMaxPositions { get; init; } = RopeDefaults.OriginalMaxPositions;

    public bool TiedEmbeddings { get; init; }

    public bool SandwichNorm { get; init; }

    public bool ScaleEmbeddings { get; init; }

    public float FinalLogitSoftcap { get; init; }

    public int SlidingWindow { get; init; }

    public int SlidingWindowPattern { get; init; }

    public float LocalRopeTheta { get; init; }

    public int NoRopeInterval { get; init; }

    public bool PostSublayerNorm { get; init; }

    public bool QueryKeyNormAcrossHeads { get; init; }

    public float EmbeddingMultiplier { get; init; }

    public float ResidualMultiplier { get; init; }

    public float LogitsScaling { get; init; }

    public WeightFormat WeightFormat { get; init; }

    public PositionKind Positions { get; init; }

    public int MaxPositions { get; init; }

    public WeightNames WeightNames { get; init; } = WeightNames.HfLlama;

    public int MaxSeqLen { get; init; }

    public int MaxBatchTokens { get; init; }

    /// <summary>Decoders normalize before each sublayer, and end with a final norm.</summary>
    public bool PreNorm => true;

    /// <summary>Rotary inside attention, unless positions come from a learned table.</summary>
    public RopeKind Rope => Positions == PositionKind.Rope ? RopeKind.RotateHalf : RopeKind.None;
}

/// <summary>
/// The rotary options' values when left out, as the block and decoder attributes default them: the spec records start
/// from them, and <see cref="TransformerRules.RejectUnreadRopeOptions"/> tells a value set apart from them.
/// </summary>
internal static class RopeDefaults
{
    public const float Theta = 10000f;
    public const float ScalingFactor = 8f;
    public const float LowFrequencyFactor = 1f;
    public const float HighFrequencyFactor = 4f;
    public const int OriginalMaxPositions = 8192;
}
