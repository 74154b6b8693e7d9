using AttentionGen;

namespace CompileTime;

// Thirty layers spread over what the generator distinguishes: kind, head width (vector-multiple or not, 8 to 256),
// causal masks, grouped and multi-query KV heads, softcap, explicit scale, cross-attention, long key ranges.

[ScaledDotProductAttention(Heads = 4, HeadDim = 16, MaxSeqLen = 32)]
public partial class Sdpa01;

[ScaledDotProductAttention(Heads = 8, HeadDim = 32, MaxSeqLen = 64, Causal = true)]
public partial class Sdpa02;

[ScaledDotProductAttention(Heads = 8, KvHeads = 2, HeadDim = 64, MaxSeqLen = 128, Causal = true)]
public partial class Sdpa03;

[ScaledDotProductAttention(Heads = 16, KvHeads = 4, HeadDim = 128, MaxSeqLen = 256, Causal = true)]
public partial class Sdpa04;

[ScaledDotProductAttention(Heads = 2, HeadDim = 20, MaxSeqLen = 16, Softcap = 30f)]
public partial class Sdpa05;

[ScaledDotProductAttention(Heads = 4, KvHeads = 1, HeadDim = 12, MaxSeqLen = 8, MaxKvSeqLen = 128)]
public partial class Sdpa06;

[ScaledDotProductAttention(Heads = 12, HeadDim = 64, MaxSeqLen = 512, Scale = 0.1f)]
public partial class Sdpa07;

[ScaledDotProductAttention(Heads = 4, HeadDim = 64, MaxSeqLen = 64, MaxKvSeqLen = 4096, Causal = true)]
public partial class Sdpa08;

[ScaledDotProductAttention(Heads = 8, KvHeads = 8, HeadDim = 48, MaxSeqLen = 32, Softcap = 50f, Causal = true)]
public partial class Sdpa09;

[ScaledDotProductAttention(Heads = 32, KvHeads = 8, HeadDim = 128, MaxSeqLen = 1, MaxKvSeqLen = 2048, Causal = true)]
public partial class Sdpa10;

[ScaledDotProductAttention(Heads = 1, HeadDim = 256, MaxSeqLen = 16)]
public partial class Sdpa11;

[ScaledDotProductAttention(Heads = 6, KvHeads = 3, HeadDim = 24, MaxSeqLen = 48, Causal = true, Scale = 0.2f)]
public partial class Sdpa12;

[MultiHeadAttention(ModelDim = 64, Heads = 4, MaxSeqLen = 16)]
public partial class Mha01;

[MultiHeadAttention(ModelDim = 32, Heads = 2, MaxSeqLen = 16, Causal = true, Bias = false)]
public partial class Mha02;

[MultiHeadAttention(ModelDim = 64, Heads = 4, MaxSeqLen = 16, MaxKvSeqLen = 48, KvInputDim = 96)]
public partial class Mha03;

[MultiHeadAttention(ModelDim = 48, Heads = 4, HeadDim = 8, MaxSeqLen = 16)]
public partial class Mha04;

[MultiHeadAttention(ModelDim = 32, Heads = 4, KvHeads = 2, MaxSeqLen = 8, KvInputDim = 32, Softcap = 50f)]
public partial class Mha05;

[MultiHeadAttention(ModelDim = 128, Heads = 8, MaxSeqLen = 64, Causal = true)]
public partial class Mha06;

[MultiHeadAttention(ModelDim = 256, Heads = 8, KvHeads = 2, MaxSeqLen = 128, Causal = true)]
public partial class Mha07;

[MultiHeadAttention(ModelDim = 96, Heads = 6, MaxSeqLen = 32, Softcap = 20f)]
public partial class Mha08;

[MultiHeadAttention(ModelDim = 128, Heads = 4, MaxSeqLen = 32, MaxKvSeqLen = 256, KvInputDim = 64)]
public partial class Mha09;

[MultiHeadAttention(ModelDim = 80, Heads = 5, KvHeads = 1, MaxSeqLen = 24, Causal = true, Bias = false)]
public partial class Mha10;

[MultiHeadAttention(ModelDim = 512, Heads = 8, MaxSeqLen = 64, Causal = true)]
public partial class Mha11;

[MultiHeadAttention(ModelDim = 40, Heads = 2, MaxSeqLen = 12, Scale = 0.05f)]
public partial class Mha12;

[AttentionPooling(InputDim = 24, MaxSeqLen = 64, OutputDim = 3)]
public partial class Pool01;

[AttentionPooling(InputDim = 64, MaxSeqLen = 128, OutputDim = 1)]
public partial class Pool02;

[AttentionPooling(InputDim = 6, MaxSeqLen = 5, OutputDim = 1)]
public partial class Pool03;

[AttentionPooling(InputDim = 128, MaxSeqLen = 32, OutputDim = 10)]
public partial class Pool04;

[AttentionPooling(InputDim = 100, MaxSeqLen = 256, OutputDim = 4)]
public partial class Pool05;

[AttentionPooling(InputDim = 16, MaxSeqLen = 1024, OutputDim = 2)]
public partial class Pool06;
