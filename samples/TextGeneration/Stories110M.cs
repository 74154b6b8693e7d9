using AttentionGen;

namespace TextGeneration;

/// <summary>
/// A Llama-style decoder with the shape of llama2.c's "stories110M": 12 pre-norm blocks of 12 heads of 64, RMSNorm,
/// SwiGLU with an FFN of 2048, rotary positions, a 32,000-token vocabulary and an LM head of its own. The key/value cache
/// holds 1,024 positions.
/// </summary>
[TransformerDecoder(Vocab = 32000, Layers = 12, ModelDim = 768, Heads = 12, FfnDim = 2048, MaxSeqLen = 1024)]
public sealed partial class Stories110M;
