using AttentionGen;

namespace Quickstart;

[MultiHeadAttention(ModelDim = 64, Heads = 4, KvHeads = 2, MaxSeqLen = 16, Causal = true)]
public partial class Encoder;

[ScaledDotProductAttention(Heads = 2, HeadDim = 20, MaxSeqLen = 8, Softcap = 30)]
public partial class Core;

[AttentionPooling(InputDim = 12, MaxSeqLen = 5, OutputDim = 1)]
public partial class Pool;

public static class Program { public static void Main() { } }
