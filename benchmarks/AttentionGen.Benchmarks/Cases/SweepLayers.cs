namespace AttentionGen.Benchmarks.Cases;

// The shape sweep's layers (see SweepCatalog), declared as a user would.

// Head widths 8..256, multiples of 16 and not: self-attention prefill (H8 S333) and decode (H8 q1 kv1000).

[ScaledDotProductAttention(Heads = 8, HeadDim = 8, MaxSeqLen = 333)]
internal partial class SweepH8S333D8;

[ScaledDotProductAttention(Heads = 8, HeadDim = 24, MaxSeqLen = 333)]
internal partial class SweepH8S333D24;

[ScaledDotProductAttention(Heads = 8, HeadDim = 40, MaxSeqLen = 333)]
internal partial class SweepH8S333D40;

[ScaledDotProductAttention(Heads = 8, HeadDim = 56, MaxSeqLen = 333)]
internal partial class SweepH8S333D56;

[ScaledDotProductAttention(Heads = 8, HeadDim = 64, MaxSeqLen = 333)]
internal partial class SweepH8S333D64;

[ScaledDotProductAttention(Heads = 8, HeadDim = 72, MaxSeqLen = 333)]
internal partial class SweepH8S333D72;

[ScaledDotProductAttention(Heads = 8, HeadDim = 80, MaxSeqLen = 333)]
internal partial class SweepH8S333D80;

[ScaledDotProductAttention(Heads = 8, HeadDim = 96, MaxSeqLen = 333)]
internal partial class SweepH8S333D96;

[ScaledDotProductAttention(Heads = 8, HeadDim = 100, MaxSeqLen = 333)]
internal partial class SweepH8S333D100;

[ScaledDotProductAttention(Heads = 8, HeadDim = 112, MaxSeqLen = 333)]
internal partial class SweepH8S333D112;

[ScaledDotProductAttention(Heads = 8, HeadDim = 120, MaxSeqLen = 333)]
internal partial class SweepH8S333D120;

[ScaledDotProductAttention(Heads = 8, HeadDim = 128, MaxSeqLen = 333)]
internal partial class SweepH8S333D128;

[ScaledDotProductAttention(Heads = 8, HeadDim = 256, MaxSeqLen = 333)]
internal partial class SweepH8S333D256;

[ScaledDotProductAttention(Heads = 8, HeadDim = 8, MaxSeqLen = 1, MaxKvSeqLen = 1000)]
internal partial class SweepDecodeH8Kv1000D8;

[ScaledDotProductAttention(Heads = 8, HeadDim = 24, MaxSeqLen = 1, MaxKvSeqLen = 1000)]
internal partial class SweepDecodeH8Kv1000D24;

[ScaledDotProductAttention(Heads = 8, HeadDim = 40, MaxSeqLen = 1, MaxKvSeqLen = 1000)]
internal partial class SweepDecodeH8Kv1000D40;

[ScaledDotProductAttention(Heads = 8, HeadDim = 64, MaxSeqLen = 1, MaxKvSeqLen = 1000)]
internal partial class SweepDecodeH8Kv1000D64;

[ScaledDotProductAttention(Heads = 8, HeadDim = 80, MaxSeqLen = 1, MaxKvSeqLen = 1000)]
internal partial class SweepDecodeH8Kv1000D80;

[ScaledDotProductAttention(Heads = 8, HeadDim = 96, MaxSeqLen = 1, MaxKvSeqLen = 1000)]
internal partial class SweepDecodeH8Kv1000D96;

[ScaledDotProductAttention(Heads = 8, HeadDim = 112, MaxSeqLen = 1, MaxKvSeqLen = 1000)]
internal partial class SweepDecodeH8Kv1000D112;

[ScaledDotProductAttention(Heads = 8, HeadDim = 128, MaxSeqLen = 1, MaxKvSeqLen = 1000)]
internal partial class SweepDecodeH8Kv1000D128;

[ScaledDotProductAttention(Heads = 8, HeadDim = 256, MaxSeqLen = 1, MaxKvSeqLen = 1000)]
internal partial class SweepDecodeH8Kv1000D256;

// Query groups 1, 2, 4, 6, 8, 16 over two KV heads of 128: decode, and a 7-query causal step over a 1000-key cache; MQA decode; a cache bigger than L3.

[ScaledDotProductAttention(Heads = 2, HeadDim = 128, MaxSeqLen = 1, MaxKvSeqLen = 1000)]
internal partial class SweepDecodeH2Kv2D128;

[ScaledDotProductAttention(Heads = 4, KvHeads = 2, HeadDim = 128, MaxSeqLen = 1, MaxKvSeqLen = 1000)]
internal partial class SweepDecodeH4Kv2D128;

[ScaledDotProductAttention(Heads = 8, KvHeads = 2, HeadDim = 128, MaxSeqLen = 1, MaxKvSeqLen = 1000)]
internal partial class SweepDecodeH8Kv2D128;

[ScaledDotProductAttention(Heads = 12, KvHeads = 2, HeadDim = 128, MaxSeqLen = 1, MaxKvSeqLen = 1000)]
internal partial class SweepDecodeH12Kv2D128;

[ScaledDotProductAttention(Heads = 16, KvHeads = 2, HeadDim = 128, MaxSeqLen = 1, MaxKvSeqLen = 1000)]
internal partial class SweepDecodeH16Kv2D128;

[ScaledDotProductAttention(Heads = 32, KvHeads = 2, HeadDim = 128, MaxSeqLen = 1, MaxKvSeqLen = 1000)]
internal partial class SweepDecodeH32Kv2D128;

[ScaledDotProductAttention(Heads = 2, HeadDim = 128, MaxSeqLen = 7, MaxKvSeqLen = 1000, Causal = true)]
internal partial class SweepStepH2Kv2D128Causal;

[ScaledDotProductAttention(Heads = 4, KvHeads = 2, HeadDim = 128, MaxSeqLen = 7, MaxKvSeqLen = 1000, Causal = true)]
internal partial class SweepStepH4Kv2D128Causal;

[ScaledDotProductAttention(Heads = 8, KvHeads = 2, HeadDim = 128, MaxSeqLen = 7, MaxKvSeqLen = 1000, Causal = true)]
internal partial class SweepStepH8Kv2D128Causal;

[ScaledDotProductAttention(Heads = 12, KvHeads = 2, HeadDim = 128, MaxSeqLen = 7, MaxKvSeqLen = 1000, Causal = true)]
internal partial class SweepStepH12Kv2D128Causal;

[ScaledDotProductAttention(Heads = 16, KvHeads = 2, HeadDim = 128, MaxSeqLen = 7, MaxKvSeqLen = 1000, Causal = true)]
internal partial class SweepStepH16Kv2D128Causal;

[ScaledDotProductAttention(Heads = 32, KvHeads = 2, HeadDim = 128, MaxSeqLen = 7, MaxKvSeqLen = 1000, Causal = true)]
internal partial class SweepStepH32Kv2D128Causal;

[ScaledDotProductAttention(Heads = 8, KvHeads = 1, HeadDim = 128, MaxSeqLen = 1, MaxKvSeqLen = 2048)]
internal partial class SweepDecodeH8Kv1D128Kv2048;

[ScaledDotProductAttention(Heads = 32, KvHeads = 8, HeadDim = 128, MaxSeqLen = 1, MaxKvSeqLen = 4096)]
internal partial class SweepDecodeH32Kv8D128Kv4096;

// Lengths that are multiples of nothing (H8 D64): self, causal and not; cross both ways.

[ScaledDotProductAttention(Heads = 8, HeadDim = 64, MaxSeqLen = 7)]
internal partial class SweepH8S7D64;

[ScaledDotProductAttention(Heads = 8, HeadDim = 64, MaxSeqLen = 33)]
internal partial class SweepH8S33D64;

[ScaledDotProductAttention(Heads = 8, HeadDim = 64, MaxSeqLen = 100)]
internal partial class SweepH8S100D64;

[ScaledDotProductAttention(Heads = 8, HeadDim = 64, MaxSeqLen = 1000)]
internal partial class SweepH8S1000D64;

[ScaledDotProductAttention(Heads = 8, HeadDim = 64, MaxSeqLen = 7, Causal = true)]
internal partial class SweepH8S7D64Causal;

[ScaledDotProductAttention(Heads = 8, HeadDim = 64, MaxSeqLen = 33, Causal = true)]
internal partial class SweepH8S33D64Causal;

[ScaledDotProductAttention(Heads = 8, HeadDim = 64, MaxSeqLen = 100, Causal = true)]
internal partial class SweepH8S100D64Causal;

[ScaledDotProductAttention(Heads = 8, HeadDim = 64, MaxSeqLen = 333, Causal = true)]
internal partial class SweepH8S333D64Causal;

[ScaledDotProductAttention(Heads = 8, HeadDim = 64, MaxSeqLen = 1000, Causal = true)]
internal partial class SweepH8S1000D64Causal;

[ScaledDotProductAttention(Heads = 8, HeadDim = 64, MaxSeqLen = 7, MaxKvSeqLen = 33)]
internal partial class SweepH8Q7Kv33D64;

[ScaledDotProductAttention(Heads = 8, HeadDim = 64, MaxSeqLen = 33, MaxKvSeqLen = 7)]
internal partial class SweepH8Q33Kv7D64;

[ScaledDotProductAttention(Heads = 8, HeadDim = 64, MaxSeqLen = 100, MaxKvSeqLen = 333)]
internal partial class SweepH8Q100Kv333D64;

[ScaledDotProductAttention(Heads = 8, HeadDim = 64, MaxSeqLen = 333, MaxKvSeqLen = 100)]
internal partial class SweepH8Q333Kv100D64;

[ScaledDotProductAttention(Heads = 8, HeadDim = 64, MaxSeqLen = 1000, MaxKvSeqLen = 7)]
internal partial class SweepH8Q1000Kv7D64;

[ScaledDotProductAttention(Heads = 8, HeadDim = 64, MaxSeqLen = 7, MaxKvSeqLen = 1000)]
internal partial class SweepH8Q7Kv1000D64;

[ScaledDotProductAttention(Heads = 12, HeadDim = 24, MaxSeqLen = 33, MaxKvSeqLen = 100)]
internal partial class SweepH12Q33Kv100D24;

// Model-like shapes with widths that are not multiples of 64.

[ScaledDotProductAttention(Heads = 8, HeadDim = 40, MaxSeqLen = 1000)]
internal partial class SweepH8S1000D40;

[ScaledDotProductAttention(Heads = 32, HeadDim = 80, MaxSeqLen = 333, Causal = true)]
internal partial class SweepH32S333D80Causal;

[ScaledDotProductAttention(Heads = 12, HeadDim = 96, MaxSeqLen = 100, MaxKvSeqLen = 1000, Causal = true)]
internal partial class SweepH12Q100Kv1000D96Causal;

[ScaledDotProductAttention(Heads = 16, HeadDim = 112, MaxSeqLen = 100)]
internal partial class SweepH16S100D112;

[ScaledDotProductAttention(Heads = 28, KvHeads = 4, HeadDim = 128, MaxSeqLen = 333, Causal = true)]
internal partial class SweepH28Kv4S333D128Causal;

// Heads wider than 128, whose P·V reads each value row three or more times: gathered first from 32 pairs per key/value
// head on the AVX-512 tile (a whole-sequence prefill, a causal chunk against a long cache), read in place below (a short
// cross-attention).

[ScaledDotProductAttention(Heads = 8, HeadDim = 192, MaxSeqLen = 333)]
internal partial class SweepH8S333D192;

[ScaledDotProductAttention(Heads = 8, HeadDim = 192, MaxSeqLen = 100, MaxKvSeqLen = 1000, Causal = true)]
internal partial class SweepH8Q100Kv1000D192Causal;

[ScaledDotProductAttention(Heads = 8, HeadDim = 256, MaxSeqLen = 12, MaxKvSeqLen = 1000)]
internal partial class SweepH8Q12Kv1000D256;

// Run below the declared maximum (declared for 1024 tokens).

[ScaledDotProductAttention(Heads = 8, HeadDim = 64, MaxSeqLen = 1024, Causal = true)]
internal partial class SweepH8Max1024D64Causal;
