namespace AttentionGen;

/// <summary>
/// Declares a whole decoder-only language model in the Llama family: a token embedding, <see cref="Layers"/> pre-norm
/// transformer blocks with causal self-attention, rotary positions and a key/value cache, a final norm and the LM head.
/// Weights carry Hugging Face <c>LlamaForCausalLM</c> names (<c>model.embed_tokens.weight</c>,
/// <c>model.layers.0.self_attn.q_proj.weight</c>, …, <c>lm_head.weight</c>).
/// </summary>
/// <remarks>
/// An instance is one sequence and owns its cache, allocated once: the generator adds <c>Prefill(prompt, lastLogits)</c>,
/// <c>DecodeStep(token, logits)</c>, <c>Position</c>, <c>Reset()</c> and <c>Rewind(position)</c>.
/// </remarks>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class TransformerDecoderAttribute : Attribute
{
    /// <summary>Tokens in the vocabulary. Required.</summary>
    public int Vocab { get; set; }

    /// <summary>Transformer blocks. Required.</summary>
    public int Layers { get; set; }

    /// <summary>Width of the hidden states. Required.</summary>
    public int ModelDim { get; set; }

    /// <summary>Query heads. Required.</summary>
    public int Heads { get; set; }

    /// <summary>Key/value heads (grouped-query attention); 0 means <see cref="Heads"/>.</summary>
    public int KvHeads { get; set; }

    /// <summary>Width of each head; 0 means <c>ModelDim / Heads</c>.</summary>
    public int HeadDim { get; set; }

    /// <summary>Softmax scale applied to <c>Q·Kᵀ</c>; 0 means <c>1/√HeadDim</c>.</summary>
    public float Scale { get; set; }

    /// <summary>
    /// When positive, scaled scores become <c>Softcap · tanh(scores / Softcap)</c> before the causal mask (Gemma 2's
    /// <c>attn_logit_softcapping</c>, 50); 0 turns it off.
    /// </summary>
    public float Softcap { get; set; }

    /// <summary>Width of the feed-forward network's hidden layer (Llama's intermediate size). Required.</summary>
    public int FfnDim { get; set; }

    /// <summary>The feed-forward activation. Defaults to <see cref="ActivationKind.SwiGlu"/>.</summary>
    public ActivationKind Activation { get; set; } = ActivationKind.SwiGlu;

    /// <summary>The norm. Defaults to <see cref="NormKind.RmsNorm"/>.</summary>
    public NormKind Norm { get; set; } = NormKind.RmsNorm;

    /// <summary>The norms' ε. Defaults to 1e-5 (Llama 2; Llama 3 uses 1e-5 too, some models 1e-6).</summary>
    public float NormEpsilon { get; set; } = 1e-5f;

    /// <summary>Whether the linear layers have biases. Defaults to false (Llama).</summary>
    public bool Bias { get; set; }

    /// <summary>
    /// Biases on the query, key and value projections only, with <see cref="Bias"/> false: Qwen2 and Qwen2.5, whose
    /// checkpoints are otherwise Llama's (their <c>config.json</c> names <c>model_type</c> <c>qwen2</c>). Defaults to false.
    /// </summary>
    public bool QueryKeyValueBias { get; set; }

    /// <summary>
    /// An RMSNorm over each head of Q and of K (gains <c>self_attn.q_norm</c> and <c>self_attn.k_norm</c>, [HeadDim]) after
    /// the projections and before the rotation, as Qwen3 has it; ε is <c>NormEpsilon</c>. Llama names only. Defaults to false.
    /// </summary>
    public bool QueryKeyNorm { get; set; }

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

    /// <summary>Whether the LM head reuses the token embedding table (no <c>lm_head.weight</c>). Defaults to false.</summary>
    public bool TiedEmbeddings { get; set; }

    /// <summary>
    /// Whether each block also normalizes each sublayer's output before adding it to the residual (Gemma 2 and 3):
    /// <c>x = x + Norm(Attention(Norm(x)))</c>, <c>x = x + Norm(Ffn(Norm(x)))</c>, with four norms named
    /// <c>input_layernorm</c>, <c>post_attention_layernorm</c>, <c>pre_feedforward_layernorm</c> and
    /// <c>post_feedforward_layernorm</c>. Defaults to false.
    /// </summary>
    public bool SandwichNorm { get; set; }

    /// <summary>
    /// Whether each block normalizes its sublayers' outputs instead of their inputs (OLMo 2):
    /// <c>x = x + Norm(Attention(x))</c>, <c>x = x + Norm(Ffn(x))</c>, the norms named <c>post_attention_layernorm</c> and
    /// <c>post_feedforward_layernorm</c>. Not with <see cref="SandwichNorm"/>. Defaults to false.
    /// </summary>
    public bool PostSublayerNorm { get; set; }

    /// <summary>
    /// With <see cref="QueryKeyNorm"/>, whether Q and K are each RMS-normalized as one row across all their heads, with
    /// gains of QueryWidth and KvWidth floats (OLMo 2), rather than head by head with gains of HeadDim (Qwen3). Defaults
    /// to false.
    /// </summary>
    public bool QueryKeyNormAcrossHeads { get; set; }

    /// <summary>Whether token embeddings are multiplied by <c>√ModelDim</c> before the first block (Gemma). Defaults to false.</summary>
    public bool ScaleEmbeddings { get; set; }

    /// <summary>
    /// When positive, logits become <c>FinalLogitSoftcap · tanh(logits / FinalLogitSoftcap)</c> (Gemma 2's
    /// <c>final_logit_softcapping</c>, 30); 0 turns it off.
    /// </summary>
    public float FinalLogitSoftcap { get; set; }

    /// <summary>
    /// When positive, a windowed layer's token at position p attends only to the keys at positions
    /// <c>p − SlidingWindow + 1</c> … p (Hugging Face's <c>sliding_window</c>: Mistral v0.1's 4096, Gemma 2's 4096, Gemma
    /// 3's 512 or 1024). Which layers are windowed: <see cref="SlidingWindowPattern"/>. 0 (the default) windows none.
    /// </summary>
    public int SlidingWindow { get; set; }

    /// <summary>
    /// With a <see cref="SlidingWindow"/>, which layers it applies to, as Hugging Face's <c>sliding_window_pattern</c>:
    /// layer i is windowed unless <c>(i + 1) % SlidingWindowPattern == 0</c>, so 2 alternates windowed and full layers
    /// (Gemma 2) and 6 makes every sixth layer full (Gemma 3). 0 (the default) windows every layer (Mistral v0.1);
    /// 1 would window none, so it is refused.
    /// </summary>
    public int SlidingWindowPattern { get; set; }

    /// <summary>
    /// The rotary base θ of the windowed layers, when it differs from <see cref="RopeTheta"/> (Gemma 3's
    /// <c>rope_local_base_freq</c>, 10000, beside a <c>rope_theta</c> of 1000000); 0 (the default) means RopeTheta.
    /// </summary>
    public float LocalRopeTheta { get; set; }

    /// <summary>
    /// When positive, every <c>NoRopeInterval</c>-th layer applies no rotary embedding: layer i rotates Q and K unless
    /// <c>(i + 1) % NoRopeInterval == 0</c> (SmolLM3's <c>no_rope_layer_interval</c>, 4, whose <c>no_rope_layers</c> lists
    /// a 0 for each such layer). Those layers attend by content alone, with the causal mask. 0 (the default) rotates in
    /// every layer.
    /// </summary>
    public int NoRopeInterval { get; set; }

    /// <summary>
    /// When positive, token embeddings are multiplied by it before the first block (Granite's <c>embedding_multiplier</c>,
    /// 12). Not with <see cref="ScaleEmbeddings"/>. 0 (the default) leaves them as they are.
    /// </summary>
    public float EmbeddingMultiplier { get; set; }

    /// <summary>
    /// When positive, each sublayer's output is multiplied by it before it is added to the residual stream (Granite's
    /// <c>residual_multiplier</c>, 0.22): <c>x = x + ResidualMultiplier · Attention(Norm(x))</c>, and so for the FFN. 0 (the
    /// default) adds them as they are.
    /// </summary>
    public float ResidualMultiplier { get; set; }

    /// <summary>
    /// When positive, the logits are divided by it (Granite's <c>logits_scaling</c>, 8), after any
    /// <see cref="FinalLogitSoftcap"/>. 0 (the default) leaves them as the LM head gives them. Granite's
    /// <c>attention_multiplier</c> is <see cref="Scale"/>.
    /// </summary>
    public float LogitsScaling { get; set; }

    /// <summary>
    /// How the projection matrices and the LM head are held: <see cref="WeightFormat.BFloat16"/> halves what a decode step
    /// streams. The norms and a separate embedding table stay float; with <see cref="TiedEmbeddings"/> the table is the LM
    /// head, so it is held as bfloat16 too, and token embeddings are its rows widened. Defaults to
    /// <see cref="WeightFormat.Float32"/>.
    /// </summary>
    public WeightFormat WeightFormat { get; set; }

    /// <summary>How tokens get their positions. Defaults to <see cref="PositionKind.Rope"/>.</summary>
    public PositionKind Positions { get; set; }

    /// <summary>Rows of the learned position table (<see cref="PositionKind.Learned"/> only); 0 means <see cref="MaxSeqLen"/>. GPT-2 has 1024.</summary>
    public int MaxPositions { get; set; }

    /// <summary>Whose tensor names the weights carry: <see cref="WeightNames.HfLlama"/> (the default) or <see cref="WeightNames.Gpt2"/>.</summary>
    public WeightNames WeightNames { get; set; } = WeightNames.HfLlama;

    /// <summary>The key/value cache's capacity: the longest sequence, prompt and generated tokens together. Required.</summary>
    public int MaxSeqLen { get; set; }

    /// <summary>
    /// Most prompt tokens one prefill pass runs at once; a longer prompt is prefilled in chunks, which the causal
    /// cache makes exact. Sizes the scratch; 0 means the smaller of <see cref="MaxSeqLen"/> and 256.
    /// </summary>
    public int MaxBatchTokens { get; set; }
}
