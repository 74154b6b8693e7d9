namespace AttentionGen.Tests.Numeric;

// The layers the numeric tests run, compiled by the generator as a consuming project would. Together they cover every
// option, head widths that no vector divides (1, 3, 12, 20, 100), one too wide to unroll (300), and shapes on both
// sides of the tile thresholds.

[ScaledDotProductAttention(Heads = 4, HeadDim = 16, MaxSeqLen = 32)]
internal partial class SdpaPlain : IScaledDotProduct;

[ScaledDotProductAttention(Heads = 8, KvHeads = 2, HeadDim = 32, MaxSeqLen = 40, Causal = true)]
internal partial class SdpaCausalGqa : IScaledDotProduct;

[ScaledDotProductAttention(Heads = 4, KvHeads = 1, HeadDim = 12, MaxSeqLen = 16, MaxKvSeqLen = 48)]
internal partial class SdpaMultiQuery : IScaledDotProduct;

[ScaledDotProductAttention(Heads = 2, HeadDim = 20, MaxSeqLen = 16, Softcap = 5f)]
internal partial class SdpaSoftcap : IScaledDotProduct;

[ScaledDotProductAttention(Heads = 2, HeadDim = 64, MaxSeqLen = 20, MaxKvSeqLen = 140, Scale = 0.3f)]
internal partial class SdpaScaled : IScaledDotProduct;

[ScaledDotProductAttention(Heads = 3, HeadDim = 1, MaxSeqLen = 9)]
internal partial class SdpaHeadDim1 : IScaledDotProduct;

[ScaledDotProductAttention(Heads = 2, HeadDim = 3, MaxSeqLen = 12, MaxKvSeqLen = 20, Causal = true)]
internal partial class SdpaHeadDim3Causal : IScaledDotProduct;

[ScaledDotProductAttention(Heads = 1, HeadDim = 100, MaxSeqLen = 10, MaxKvSeqLen = 70)]
internal partial class SdpaHeadDim100 : IScaledDotProduct;

[ScaledDotProductAttention(Heads = 4, KvHeads = 2, HeadDim = 8, MaxSeqLen = 16, MaxKvSeqLen = 32, Causal = true)]
internal partial class SdpaCausalCross : IScaledDotProduct;

#pragma warning disable AGEN0009 // Deliberately past the unroll bound: the looped kernels are under test here.
[ScaledDotProductAttention(Heads = 1, HeadDim = 300, MaxSeqLen = 8)]
internal partial class SdpaWide : IScaledDotProduct;
#pragma warning restore AGEN0009

[MultiHeadAttention(ModelDim = 64, Heads = 4, MaxSeqLen = 24)]
internal partial class MhaSelf : ISelfAttention;

[MultiHeadAttention(ModelDim = 48, Heads = 6, KvHeads = 2, MaxSeqLen = 16, Causal = true, Bias = false)]
internal partial class MhaCausalGqaNoBias : ISelfAttention;

[MultiHeadAttention(ModelDim = 40, Heads = 4, HeadDim = 12, MaxSeqLen = 10)]
internal partial class MhaExplicitHeadDim : ISelfAttention;

[MultiHeadAttention(ModelDim = 32, Heads = 2, KvInputDim = 24, MaxSeqLen = 8, MaxKvSeqLen = 30, Softcap = 20f)]
internal partial class MhaCross : ICrossAttention;

[MultiHeadAttention(ModelDim = 16, Heads = 2, MaxSeqLen = 8, MaxKvSeqLen = 4)]
internal partial class MhaShortKvBound : ISelfAttention;

[AttentionPooling(InputDim = 64, MaxSeqLen = 10, OutputDim = 3)]
internal partial class PoolWide : IPooling;

[AttentionPooling(InputDim = 5, MaxSeqLen = 7, OutputDim = 1)]
internal partial class PoolNarrow : IPooling;

[AttentionPooling(InputDim = 100, MaxSeqLen = 4, OutputDim = 7)]
internal partial class PoolOdd : IPooling;
