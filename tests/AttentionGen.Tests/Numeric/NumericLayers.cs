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

// A KV-cache shape: up to 24 new queries after a cached prefix, one KV head for six query heads.
[ScaledDotProductAttention(Heads = 6, KvHeads = 1, HeadDim = 20, MaxSeqLen = 24, MaxKvSeqLen = 64, Causal = true)]
internal partial class SdpaCausalMqaPrefix : IScaledDotProduct;

[ScaledDotProductAttention(Heads = 4, KvHeads = 2, HeadDim = 16, MaxSeqLen = 20, MaxKvSeqLen = 36, Causal = true, Scale = 0.5f, Softcap = 3f)]
internal partial class SdpaSoftcapCausalGqa : IScaledDotProduct;

// Long enough for several key panels per tile, so whole causal blocks get skipped.
[ScaledDotProductAttention(Heads = 2, HeadDim = 64, MaxSeqLen = 100, Causal = true)]
internal partial class SdpaLongCausal : IScaledDotProduct;

[ScaledDotProductAttention(Heads = 2, KvHeads = 1, HeadDim = 12, MaxSeqLen = 4, MaxKvSeqLen = 700)]
internal partial class SdpaLongKv : IScaledDotProduct;

[ScaledDotProductAttention(Heads = 1, HeadDim = 4, MaxSeqLen = 1)]
internal partial class SdpaSingle : IScaledDotProduct;

// One decode step over a cache: the row path, GQA group of four.
[ScaledDotProductAttention(Heads = 8, KvHeads = 2, HeadDim = 64, MaxSeqLen = 1, MaxKvSeqLen = 300, Causal = true)]
internal partial class SdpaDecodeGqa : IScaledDotProduct;

// Groups wider than the four heads the stacked decode kernels take at once: six heads (four, then two) with a head of
// two vectors, and eight heads sharing one key/value head with a head of five vectors (four columns blocks, then one).
[ScaledDotProductAttention(Heads = 12, KvHeads = 2, HeadDim = 32, MaxSeqLen = 2, MaxKvSeqLen = 90, Causal = true)]
internal partial class SdpaDecodeGroupOfSix : IScaledDotProduct;

[ScaledDotProductAttention(Heads = 8, KvHeads = 1, HeadDim = 80, MaxSeqLen = 1, MaxKvSeqLen = 40)]
internal partial class SdpaDecodeMqaHeadDim80 : IScaledDotProduct;

// A head of 24 is whole Vector256s but not Vector512s, so even AVX-512 machines take the two-head Vector256 stack; a
// group of three is a pair and a single.
[ScaledDotProductAttention(Heads = 6, KvHeads = 2, HeadDim = 24, MaxSeqLen = 1, MaxKvSeqLen = 50)]
internal partial class SdpaDecodeGroupOfThreeHeadDim24 : IScaledDotProduct;

// Without groups the row path stacks every head of a query row: six heads are a quad and a pair.
[ScaledDotProductAttention(Heads = 6, HeadDim = 32, MaxSeqLen = 5, MaxKvSeqLen = 70, Causal = true)]
internal partial class SdpaDecodeSixHeads : IScaledDotProduct;

[ScaledDotProductAttention(Heads = 4, KvHeads = 2, HeadDim = 1, MaxSeqLen = 10, MaxKvSeqLen = 14, Causal = true)]
internal partial class SdpaHeadDim1CausalGqa : IScaledDotProduct;

// Head widths that only some vector widths divide: 8 takes the Vector512 tile two keys per vector (KeyPairValues), 4
// only the Vector128 tile.
[ScaledDotProductAttention(Heads = 3, HeadDim = 8, MaxSeqLen = 30)]
internal partial class SdpaHeadDim8 : IScaledDotProduct;

// The same past 1,024 keys, on the online softmax: each chunk's paired sums added to the rescaled outputs.
[ScaledDotProductAttention(Heads = 4, KvHeads = 2, HeadDim = 8, MaxSeqLen = 12, MaxKvSeqLen = 1100, Causal = true)]
internal partial class SdpaHeadDim8OnlineCausalGqa : IScaledDotProduct;

[ScaledDotProductAttention(Heads = 5, HeadDim = 4, MaxSeqLen = 12, Causal = true)]
internal partial class SdpaHeadDim4Causal : IScaledDotProduct;

[ScaledDotProductAttention(Heads = 6, KvHeads = 3, HeadDim = 48, MaxSeqLen = 13, MaxKvSeqLen = 77)]
internal partial class SdpaHeadDim48Gqa : IScaledDotProduct;

// Heads that are not whole Vector512s (20 and 100 not whole Vector256s either): every tile ends each head on a vector
// overlapping the one before it, in the head's only block (24, 40), after a whole block (120), or, when it would be
// alone, with a vector borrowed from the whole block before it (72 on Vector512, 20 and 100 on Vector256).
[ScaledDotProductAttention(Heads = 4, KvHeads = 2, HeadDim = 24, MaxSeqLen = 40)]
internal partial class SdpaHeadDim24Gqa : IScaledDotProduct;

[ScaledDotProductAttention(Heads = 4, HeadDim = 40, MaxSeqLen = 48)]
internal partial class SdpaHeadDim40 : IScaledDotProduct;

[ScaledDotProductAttention(Heads = 6, KvHeads = 2, HeadDim = 56, MaxSeqLen = 40, Causal = true)]
internal partial class SdpaHeadDim56CausalGqa : IScaledDotProduct;

[ScaledDotProductAttention(Heads = 2, HeadDim = 120, MaxSeqLen = 64, Causal = true)]
internal partial class SdpaHeadDim120Causal : IScaledDotProduct;

// The same past 1,024 keys, on the online softmax: each block reads its output columns before it adds a chunk to them.
[ScaledDotProductAttention(Heads = 4, KvHeads = 2, HeadDim = 72, MaxSeqLen = 12, MaxKvSeqLen = 1100)]
internal partial class SdpaHeadDim72Online : IScaledDotProduct;

[ScaledDotProductAttention(Heads = 3, HeadDim = 100, MaxSeqLen = 8, MaxKvSeqLen = 1100, Causal = true)]
internal partial class SdpaHeadDim100OnlineCausal : IScaledDotProduct;

[ScaledDotProductAttention(Heads = 4, KvHeads = 2, HeadDim = 20, MaxSeqLen = 6, MaxKvSeqLen = 1200, Causal = true)]
internal partial class SdpaHeadDim20OnlineCausalGqa : IScaledDotProduct;

// 18 is whole vectors of no width: on Vector128 too a lone overlapping tail borrows a vector.
[ScaledDotProductAttention(Heads = 2, KvHeads = 1, HeadDim = 18, MaxSeqLen = 40, MaxKvSeqLen = 100)]
internal partial class SdpaHeadDim18MultiQuery : IScaledDotProduct;

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

[MultiHeadAttention(ModelDim = 36, Heads = 3, MaxSeqLen = 12, Causal = true, Scale = 0.2f, Softcap = 8f)]
internal partial class MhaScaledSoftcapCausal : ISelfAttention;

[MultiHeadAttention(ModelDim = 60, Heads = 6, KvHeads = 1, MaxSeqLen = 9)]
internal partial class MhaMultiQuery : ISelfAttention;

// KvInputDim == ModelDim: both the self- and the cross-attention Forward exist.
[MultiHeadAttention(ModelDim = 32, Heads = 4, KvInputDim = 32, MaxSeqLen = 6, MaxKvSeqLen = 20)]
internal partial class MhaCrossSameWidth : ISelfAttention, ICrossAttention;

[MultiHeadAttention(ModelDim = 24, Heads = 4, KvHeads = 2, KvInputDim = 40, MaxSeqLen = 8, MaxKvSeqLen = 16, Causal = true, Bias = false)]
internal partial class MhaCrossCausalGqa : ICrossAttention;

// AdditiveMask: self and cross overloads with a [seqLen, kvSeqLen] mask (an encoder's padding, say); GQA and causal too.
[MultiHeadAttention(ModelDim = 48, Heads = 4, KvHeads = 2, KvInputDim = 48, MaxSeqLen = 20, MaxKvSeqLen = 24, Causal = true, AdditiveMask = true)]
internal partial class MhaMasked : IMaskedAttention;

[MultiHeadAttention(ModelDim = 4, Heads = 4, MaxSeqLen = 7, Bias = false)]
internal partial class MhaHeadDim1 : ISelfAttention;

// Heads·HeadDim (80) wider than ModelDim (16).
[MultiHeadAttention(ModelDim = 16, Heads = 2, HeadDim = 40, MaxSeqLen = 5)]
internal partial class MhaWideHeads : ISelfAttention;

[MultiHeadAttention(ModelDim = 128, Heads = 2, MaxSeqLen = 20, Causal = true)]
internal partial class MhaHeadDim64 : ISelfAttention;

[AttentionPooling(InputDim = 64, MaxSeqLen = 10, OutputDim = 3)]
internal partial class PoolWide : IPooling;

[AttentionPooling(InputDim = 5, MaxSeqLen = 7, OutputDim = 1)]
internal partial class PoolNarrow : IPooling;

[AttentionPooling(InputDim = 100, MaxSeqLen = 4, OutputDim = 7)]
internal partial class PoolOdd : IPooling;

[AttentionPooling(InputDim = 1, MaxSeqLen = 12, OutputDim = 4)]
internal partial class PoolInputDim1 : IPooling;

[AttentionPooling(InputDim = 33, MaxSeqLen = 1, OutputDim = 16)]
internal partial class PoolSingle : IPooling;

[AttentionPooling(InputDim = 17, MaxSeqLen = 300, OutputDim = 2)]
internal partial class PoolLong : IPooling;

// Past 1,024 keys the tiles switch to an online softmax over 512-key chunks: causal GQA over three chunks (the last
// partial), and a soft-capped layer for the additive mask.
[ScaledDotProductAttention(Heads = 2, KvHeads = 1, HeadDim = 32, MaxSeqLen = 14, MaxKvSeqLen = 1300, Causal = true)]
internal partial class SdpaOnlineCausalGqa : IScaledDotProduct;

[ScaledDotProductAttention(Heads = 2, HeadDim = 16, MaxSeqLen = 8, MaxKvSeqLen = 1100, Softcap = 20f)]
internal partial class SdpaOnlineSoftcap : IScaledDotProduct;
