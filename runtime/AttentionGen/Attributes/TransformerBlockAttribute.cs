namespace AttentionGen;

/// <summary>
/// Declares one transformer block: multi-head self-attention and a feed-forward network, each with a residual
/// connection and a norm, over token-major rows <c>[tokens, ModelDim]</c>. Post-norm (BERT) by default:
/// <c>x = Norm(x + Attention(x))</c>, <c>x = Norm(x + Ffn(x))</c>; with <see cref="PreNorm"/>,
/// <c>x = x + Attention(Norm(x))</c>, <c>x = x + Ffn(Norm(x))</c>. Weights carry Hugging Face <c>BertLayer</c> names
/// (<c>attention.self.query.weight</c>, …, <c>output.LayerNorm.bias</c>), so one layer of a BERT checkpoint loads
/// with its prefix (<c>encoder.layer.3.</c>).
/// </summary>
/// <remarks>
/// The generator adds <c>Forward(input, output, seqLen)</c> for one sequence and
/// <c>Forward(input, output, lengths)</c> for a packed batch: sequences concatenated with no padding, where the
/// projections and the feed-forward network run over every token at once and attention stays within each sequence.
/// With <see cref="PaddingMask"/> it adds <c>Forward(input, output, seqLen, attentionMask)</c> for a padded sequence.
/// </remarks>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class TransformerBlockAttribute : AttentionAttribute
{
    /// <summary>Width of the rows in and out (the hidden size). Required.</summary>
    public int ModelDim { get; set; }

    /// <summary>Width of the feed-forward network's hidden layer (BERT's intermediate size). Required.</summary>
    public int FfnDim { get; set; }

    /// <summary>The feed-forward activation. Defaults to <see cref="ActivationKind.Gelu"/> (exact).</summary>
    public ActivationKind Activation { get; set; }

    /// <summary>The norm. Defaults to <see cref="NormKind.LayerNorm"/>.</summary>
    public NormKind Norm { get; set; }

    /// <summary>The norm's ε. Defaults to 1e-5 (PyTorch's LayerNorm); BERT uses 1e-12.</summary>
    public float NormEpsilon { get; set; } = 1e-5f;

    /// <summary>Whether the norm comes before each sublayer (GPT-2, Llama) rather than after the residual add (BERT). Defaults to false.</summary>
    public bool PreNorm { get; set; }

    /// <summary>Whether the linear layers have biases. Defaults to true.</summary>
    public bool Bias { get; set; } = true;

    /// <summary>
    /// Biases on the query, key and value projections only, as Qwen2 has them (with <see cref="Bias"/> false). Defaults
    /// to false.
    /// </summary>
    public bool QueryKeyValueBias { get; set; }

    /// <summary>
    /// An RMSNorm over each head of Q and of K (gains <c>self_attn.q_norm</c> and <c>self_attn.k_norm</c>, [HeadDim]) after
    /// the projections and before the rotation, as Qwen3 has it; ε is <c>NormEpsilon</c>. Llama names only. Defaults to false.
    /// </summary>
    public bool QueryKeyNorm { get; set; }

    /// <summary>
    /// Whether each sublayer's output is normalized too, before it is added to the residual (Gemma 2 and 3; needs
    /// <see cref="PreNorm"/> and Llama names): <c>x = x + Norm(Attention(Norm(x)))</c>, <c>x = x + Norm(Ffn(Norm(x)))</c>,
    /// the four norms named <c>input_layernorm</c>, <c>post_attention_layernorm</c>, <c>pre_feedforward_layernorm</c> and
    /// <c>post_feedforward_layernorm</c>. Defaults to false.
    /// </summary>
    public bool SandwichNorm { get; set; }

    /// <summary>Rotary position embedding inside attention. Defaults to <see cref="RopeKind.None"/>.</summary>
    public RopeKind Rope { get; set; }

    /// <summary>The rotary base θ. Defaults to 10000 (Llama 2).</summary>
    public float RopeTheta { get; set; } = 10000f;

    /// <summary>How many of each head's floats rotate (partial rotary); 0 means all of <c>HeadDim</c>. Must be even.</summary>
    public int RopeDim { get; set; }

    /// <summary>
    /// How the rotary frequencies are scaled for a longer context. Defaults to <see cref="RopeScalingKind.None"/>; Llama 3.1,
    /// 3.2 and 3.3 use <see cref="RopeScalingKind.Llama3"/> with the four options below (their <c>config.json</c>'s
    /// <c>rope_scaling</c>), Gemma 3's larger models <see cref="RopeScalingKind.Linear"/> with <see cref="RopeScalingFactor"/>.
    /// </summary>
    public RopeScalingKind RopeScaling { get; set; }

    /// <summary>
    /// Scaling's <c>factor</c>: with Llama 3 scaling, how many times slower the long wavelengths turn (8 in Llama 3.1 and
    /// 3.3, 32 in Llama 3.2); with linear scaling, every pair (8 in Gemma 3 4B and larger). Defaults to 8.
    /// </summary>
    public float RopeScalingFactor { get; set; } = 8f;

    /// <summary>Llama 3 scaling: wavelengths past <c>RopeOriginalMaxPositions</c> / this are scaled whole (<c>low_freq_factor</c>). Defaults to 1.</summary>
    public float RopeLowFrequencyFactor { get; set; } = 1f;

    /// <summary>Llama 3 scaling: wavelengths under <c>RopeOriginalMaxPositions</c> / this are not scaled (<c>high_freq_factor</c>). Defaults to 4.</summary>
    public float RopeHighFrequencyFactor { get; set; } = 4f;

    /// <summary>Llama 3 scaling: the context length first trained at (<c>original_max_position_embeddings</c>). Defaults to 8192.</summary>
    public int RopeOriginalMaxPositions { get; set; } = 8192;

    /// <summary>Whose tensor names the weights carry. Defaults to <see cref="WeightNames.Bert"/>.</summary>
    public WeightNames WeightNames { get; set; }

    /// <summary>
    /// Most tokens one call runs at once; a packed batch with more is run in groups of whole sequences. Sizes the scratch;
    /// 0 means <see cref="AttentionAttribute.MaxSeqLen"/>. Raise it to run short sequences in larger batches.
    /// </summary>
    public int MaxBatchTokens { get; set; }

    /// <summary>
    /// Adds <c>Forward(input, output, seqLen, attentionMask)</c>: one padded sequence with a Hugging Face
    /// <c>attention_mask</c>, one int per token, 1 to attend and 0 for padding. Padding is masked on keys only: a padding
    /// token's row is still computed, but no token attends to it. With <see cref="AttentionAttribute.Causal"/> both apply
    /// (token i attends to the unmasked tokens j ≤ i; a row that sees none, such as left padding, comes out of attention
    /// as zeros). Rotary positions are the row indices, padding included. Defaults to false.
    /// </summary>
    /// <remarks>
    /// It costs no memory (no <c>[MaxSeqLen, MaxSeqLen]</c> additive mask): the padded keys and values are dropped from the
    /// block's scratch before attention, so attention works over the unmasked keys only, less work than an additive mask.
    /// The projections and the feed-forward network still run over every row. Attention takes one call per run of tokens
    /// or of padding (causal padding rows one at a time), so a right-padded sequence's real rows come out bit for bit as
    /// the shorter sequence's.
    /// </remarks>
    public bool PaddingMask { get; set; }
}
