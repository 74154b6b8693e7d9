namespace AttentionGen.Benchmarks.Cases;

// One generated layer per benchmark row, declared exactly as a user would.

[ScaledDotProductAttention(Heads = 4, HeadDim = 16, MaxSeqLen = 32)]
internal partial class SdpaH4S32D16;

[ScaledDotProductAttention(Heads = 8, HeadDim = 64, MaxSeqLen = 128)]
internal partial class SdpaH8S128D64;

[ScaledDotProductAttention(Heads = 8, HeadDim = 64, MaxSeqLen = 128, Causal = true)]
internal partial class SdpaH8S128D64Causal;

[ScaledDotProductAttention(Heads = 12, HeadDim = 64, MaxSeqLen = 512)]
internal partial class SdpaH12S512D64;

[ScaledDotProductAttention(Heads = 12, HeadDim = 64, MaxSeqLen = 512, Causal = true)]
internal partial class SdpaH12S512D64Causal;

[ScaledDotProductAttention(Heads = 12, HeadDim = 64, MaxSeqLen = 1, MaxKvSeqLen = 512)]
internal partial class DecodeH12Kv512;

[ScaledDotProductAttention(Heads = 32, KvHeads = 8, HeadDim = 64, MaxSeqLen = 1, MaxKvSeqLen = 1024)]
internal partial class DecodeH32Kv8Kv1024;

[MultiHeadAttention(ModelDim = 64, Heads = 4, MaxSeqLen = 32)]
internal partial class MhaS32Dm64H4;

[MultiHeadAttention(ModelDim = 256, Heads = 4, MaxSeqLen = 128)]
internal partial class MhaS128Dm256H4;

// MiniLM-sized (all-MiniLM-L6-v2: 384 wide, 12 heads of 32).
[MultiHeadAttention(ModelDim = 384, Heads = 12, MaxSeqLen = 128)]
internal partial class MhaS128Dm384H12;

[MultiHeadAttention(ModelDim = 512, Heads = 8, MaxSeqLen = 128, Causal = true)]
internal partial class MhaS128Dm512H8Causal;

[MultiHeadAttention(ModelDim = 768, Heads = 12, MaxSeqLen = 512)]
internal partial class MhaS512Dm768H12;

[AttentionPooling(InputDim = 64, MaxSeqLen = 5, OutputDim = 1)]
internal partial class PoolS5D64;
