namespace AttentionGen.Tests.Numeric;

// The layers NanInfRuleTests poisons with NaN and ±∞. Each is chosen for the path a call of a given length takes (see
// AttentionCore.Attend): tiles need seqLen·Heads/KvHeads ≥ 6 pairs (4 on Vector128), fewer go row by row.

// The shape from issue 8: 4 heads over 2 KV heads, causal. seqLen 1–2 run row by row (heads stacked in pairs),
// seqLen ≥ 3 on the tile (the six-row softmax on AVX-512).
[ScaledDotProductAttention(Heads = 4, KvHeads = 2, HeadDim = 16, MaxSeqLen = 16, MaxKvSeqLen = 32, Causal = true)]
internal partial class NanSdpaCausal : IScaledDotProduct;

// A group of four heads stacked on the row path (one decode step).
[ScaledDotProductAttention(Heads = 8, KvHeads = 2, HeadDim = 32, MaxSeqLen = 1, MaxKvSeqLen = 40, Causal = true)]
internal partial class NanGroupOf4 : IScaledDotProduct;

// Without groups every head is stacked on the row path below six query rows; six and more tile.
[ScaledDotProductAttention(Heads = 4, HeadDim = 16, MaxSeqLen = 8, MaxKvSeqLen = 24)]
internal partial class NanUngrouped : IScaledDotProduct;

// A group of eight with a head no vector divides: no tile on any width, the heads take turns row by row.
[ScaledDotProductAttention(Heads = 8, KvHeads = 1, HeadDim = 3, MaxSeqLen = 4, MaxKvSeqLen = 12, Causal = true)]
internal partial class NanGroupOf8HeadDim3 : IScaledDotProduct;

// HeadDim 20 is whole Vector128s only: head by head on the row path, the Vector128 tile from four rows.
[ScaledDotProductAttention(Heads = 2, HeadDim = 20, MaxSeqLen = 8, MaxKvSeqLen = 16, Causal = true)]
internal partial class NanHeadDim20Causal : IScaledDotProduct;

// HeadDim 8: the Vector256 tile even where AVX-512 is on.
[ScaledDotProductAttention(Heads = 3, HeadDim = 8, MaxSeqLen = 12, MaxKvSeqLen = 20)]
internal partial class NanTileHeadDim8 : IScaledDotProduct;

// HeadDim 4: the Vector128 tile wherever Vector128 is accelerated.
[ScaledDotProductAttention(Heads = 2, HeadDim = 4, MaxSeqLen = 12, MaxKvSeqLen = 16, Causal = true)]
internal partial class NanTileHeadDim4Causal : IScaledDotProduct;

// Past 1,024 keys the tiles switch to the online softmax, in chunks.
[ScaledDotProductAttention(Heads = 2, KvHeads = 1, HeadDim = 16, MaxSeqLen = 8, MaxKvSeqLen = 1100, Causal = true)]
internal partial class NanOnlineCausal : IScaledDotProduct;

// Softcap before the mask: a NaN stays NaN through tanh, and an infinite score is capped to ±Softcap.
[ScaledDotProductAttention(Heads = 4, KvHeads = 2, HeadDim = 16, MaxSeqLen = 8, MaxKvSeqLen = 24, Causal = true, Softcap = 5f)]
internal partial class NanSoftcapCausalGqa : IScaledDotProduct;
