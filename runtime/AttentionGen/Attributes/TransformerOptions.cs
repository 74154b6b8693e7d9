namespace AttentionGen;

/// <summary>The feed-forward network's activation in a transformer block.</summary>
public enum ActivationKind
{
    /// <summary>GELU in its exact form, <c>0.5·x·(1 + erf(x/√2))</c> (BERT, PyTorch's default <c>nn.GELU()</c>).</summary>
    Gelu = 0,

    /// <summary>GELU's tanh approximation, <c>0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))</c> (GPT-2, <c>approximate="tanh"</c>).</summary>
    GeluTanh = 1,

    /// <summary><c>max(0, x)</c>.</summary>
    Relu = 2,

    /// <summary>SiLU (swish), <c>x·sigmoid(x)</c>, between the two linear layers.</summary>
    Silu = 3,

    /// <summary>
    /// The gated SwiGLU of Llama: <c>down(silu(gate(x)) ⊙ up(x))</c>, with a third linear layer (<c>gate</c>) beside
    /// <c>up</c>.
    /// </summary>
    SwiGlu = 4,

    /// <summary>
    /// The gated GELU of Gemma: <c>down(gelu_tanh(gate(x)) ⊙ up(x))</c>, GELU in its tanh form (<see cref="GeluTanh"/>),
    /// with <c>gate</c> beside <c>up</c> as in <see cref="SwiGlu"/>.
    /// </summary>
    GeGluTanh = 5,
}

/// <summary>The normalization in a transformer block.</summary>
public enum NormKind
{
    /// <summary>LayerNorm: <c>(x − mean) / √(var + ε) · γ + β</c> over each row, with the biased variance (PyTorch, BERT).</summary>
    LayerNorm = 0,

    /// <summary>RMSNorm: <c>x / √(mean(x²) + ε) · γ</c>, no centring and no bias (Llama).</summary>
    RmsNorm = 1,

    /// <summary>
    /// Gemma's RMSNorm: <c>x / √(mean(x²) + ε) · (1 + γ)</c>, its stored gain one less than the factor it applies (a
    /// gain of zeros leaves the normalized row as it is).
    /// </summary>
    GemmaRmsNorm = 2,
}

/// <summary>How a block encodes positions inside attention.</summary>
public enum RopeKind
{
    /// <summary>No rotary embedding: positions come from elsewhere (a learned table) or not at all.</summary>
    None = 0,

    /// <summary>
    /// Rotary position embedding in Llama's and GPT-NeoX's "rotate half" layout: each head's first <c>RopeDim</c>
    /// floats are split into halves that rotate as pairs (<c>x[i]</c> with <c>x[i + RopeDim/2]</c>).
    /// </summary>
    RotateHalf = 1,
}

/// <summary>How rotary frequencies are scaled for a context longer than the model was first trained at.</summary>
public enum RopeScalingKind
{
    /// <summary>No scaling: pair <c>i</c> turns at <c>θ^(−2i/RopeDim)</c> (a config's <c>rope_type</c> <c>default</c>).</summary>
    None = 0,

    /// <summary>
    /// Llama 3.1's scaling (<c>rope_type</c> <c>llama3</c>; Llama 3.1, 3.2 and 3.3): long wavelengths turn
    /// <c>RopeScalingFactor</c> times slower, short ones as before, those between blended. See
    /// <see cref="Kernels.Llama3RopeScaling"/>.
    /// </summary>
    Llama3 = 1,

    /// <summary>
    /// Linear scaling (<c>rope_type</c> <c>linear</c>): every pair turns <c>RopeScalingFactor</c> times slower. With a
    /// sliding window and its own <c>LocalRopeTheta</c>, only the full layers scale, as Gemma 3's do. See
    /// <see cref="Kernels.LinearRopeScaling"/>.
    /// </summary>
    Linear = 2,
}

/// <summary>Whose tensor names a block's or model's weights carry.</summary>
public enum WeightNames
{
    /// <summary>Hugging Face <c>BertLayer</c> / <c>BertModel</c>: <c>attention.self.query</c>, <c>intermediate.dense</c>, ….</summary>
    Bert = 0,

    /// <summary>
    /// Hugging Face <c>LlamaDecoderLayer</c> / <c>LlamaForCausalLM</c>: <c>self_attn.q_proj</c>, <c>mlp.gate_proj</c>,
    /// <c>input_layernorm</c>, …. A file that fuses Q, K and V into <c>self_attn.qkv_proj</c>, or the gate and up
    /// projections into <c>mlp.gate_up_proj</c> (gate first), both [out, in], as Phi-3's do, loads too.
    /// </summary>
    HfLlama = 1,

    /// <summary>
    /// Hugging Face <c>GPT2Model</c>: <c>wte</c>, <c>wpe</c>, <c>h.{i}.ln_1</c>, <c>h.{i}.attn.c_attn</c> (Q, K and V fused, in
    /// <c>Conv1D</c>'s [in, out] layout, split and transposed as it loads), <c>attn.c_proj</c>, <c>ln_2</c>, <c>mlp.c_fc</c>,
    /// <c>mlp.c_proj</c>, <c>ln_f</c>. Decoders only.
    /// </summary>
    Gpt2 = 2,
}

/// <summary>How a decoder gives tokens their positions.</summary>
public enum PositionKind
{
    /// <summary>Rotary embedding inside attention (Llama).</summary>
    Rope = 0,

    /// <summary>A learned position table added to the token embeddings (GPT-2's <c>wpe</c>).</summary>
    Learned = 1,
}

/// <summary>How an encoder turns its last hidden state into one sentence embedding.</summary>
public enum PoolingKind
{
    /// <summary>The mean over the sentence's tokens (sentence-transformers' default).</summary>
    Mean = 0,

    /// <summary>The first token's hidden state ([CLS]).</summary>
    Cls = 1,

    /// <summary>No embedding: the encoder gives hidden states only.</summary>
    None = 2,
}

/// <summary>How a model keeps its projection matrices in memory.</summary>
public enum WeightFormat
{
    /// <summary>32-bit floats, as trained.</summary>
    Float32 = 0,

    /// <summary>
    /// bfloat16: half the memory and half the bytes a decode step streams, widened to float inside the kernels (the
    /// arithmetic stays float). Each weight is rounded to nearest even when loaded, keeping 8 significant bits; a finite
    /// weight too large for bfloat16 (3.3961e38 or more, which would round to infinity) is refused, naming it.
    /// </summary>
    BFloat16 = 1,
}
