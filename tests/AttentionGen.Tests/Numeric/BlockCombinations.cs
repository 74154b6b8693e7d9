namespace AttentionGen.Tests.Numeric;

// Twenty-five combinations of the block options decoders need, with Llama's tensor names: every norm, every activation
// (SwiGLU and GeGLU gated), pre- and post-norm and Gemma 2's sandwich, rotary embedding whole, partial or absent, MHA, GQA
// and MQA, biases on, off, and on Q, K and V alone (Qwen2), Q and K normalized per head (Qwen3), Llama 3's and linear rotary scaling,
// capped scores, causal and not, and a head width (40) that is not a whole number of vectors. With the four BERT-style
// blocks in TransformerLayers.cs, 29 configurations run against the float64 reference.

[TransformerBlock(ModelDim = 32, Heads = 4, KvHeads = 2, FfnDim = 48, MaxSeqLen = 12, Norm = NormKind.RmsNorm, Activation = ActivationKind.SwiGlu, PreNorm = true, Rope = RopeKind.RotateHalf, Bias = false, Causal = true, WeightNames = WeightNames.HfLlama)]
internal partial class BlockCombo01 : ITransformerBlock;

[TransformerBlock(ModelDim = 64, Heads = 4, KvHeads = 1, FfnDim = 96, MaxSeqLen = 13, Norm = NormKind.RmsNorm, Activation = ActivationKind.SwiGlu, PreNorm = true, Rope = RopeKind.RotateHalf, RopeDim = 8, Bias = true, Causal = true, WeightNames = WeightNames.HfLlama)]
internal partial class BlockCombo02 : ITransformerBlock;

[TransformerBlock(ModelDim = 32, Heads = 4, FfnDim = 48, MaxSeqLen = 14, Norm = NormKind.RmsNorm, Activation = ActivationKind.Silu, PreNorm = true, Rope = RopeKind.RotateHalf, RopeTheta = 500000f, Bias = false, WeightNames = WeightNames.HfLlama)]
internal partial class BlockCombo03 : ITransformerBlock;

[TransformerBlock(ModelDim = 32, Heads = 4, KvHeads = 2, FfnDim = 48, MaxSeqLen = 15, Norm = NormKind.RmsNorm, Activation = ActivationKind.Silu, PreNorm = false, Bias = true, Causal = true, WeightNames = WeightNames.HfLlama)]
internal partial class BlockCombo04 : ITransformerBlock;

[TransformerBlock(ModelDim = 32, Heads = 4, KvHeads = 2, FfnDim = 48, MaxSeqLen = 16, Norm = NormKind.RmsNorm, Activation = ActivationKind.Gelu, PreNorm = true, Rope = RopeKind.RotateHalf, RopeDim = 4, Bias = true, WeightNames = WeightNames.HfLlama)]
internal partial class BlockCombo05 : ITransformerBlock;

[TransformerBlock(ModelDim = 32, Heads = 2, FfnDim = 48, MaxSeqLen = 17, Norm = NormKind.RmsNorm, Activation = ActivationKind.GeluTanh, PreNorm = false, Rope = RopeKind.RotateHalf, RopeTheta = 500000f, Bias = false, Causal = true, WeightNames = WeightNames.HfLlama)]
internal partial class BlockCombo06 : ITransformerBlock;

[TransformerBlock(ModelDim = 32, Heads = 4, FfnDim = 48, MaxSeqLen = 18, Norm = NormKind.RmsNorm, Activation = ActivationKind.Relu, PreNorm = true, Bias = true, WeightNames = WeightNames.HfLlama)]
internal partial class BlockCombo07 : ITransformerBlock;

[TransformerBlock(ModelDim = 32, Heads = 4, KvHeads = 2, FfnDim = 48, MaxSeqLen = 19, Norm = NormKind.LayerNorm, Activation = ActivationKind.SwiGlu, PreNorm = true, Rope = RopeKind.RotateHalf, Bias = true, Causal = true, WeightNames = WeightNames.HfLlama)]
internal partial class BlockCombo08 : ITransformerBlock;

[TransformerBlock(ModelDim = 32, Heads = 2, FfnDim = 48, MaxSeqLen = 20, Norm = NormKind.LayerNorm, Activation = ActivationKind.SwiGlu, PreNorm = false, Rope = RopeKind.RotateHalf, RopeDim = 8, RopeTheta = 500000f, Bias = false, WeightNames = WeightNames.HfLlama)]
internal partial class BlockCombo09 : ITransformerBlock;

[TransformerBlock(ModelDim = 32, Heads = 4, KvHeads = 2, FfnDim = 48, MaxSeqLen = 21, Norm = NormKind.LayerNorm, Activation = ActivationKind.Silu, PreNorm = true, Bias = false, Causal = true, WeightNames = WeightNames.HfLlama)]
internal partial class BlockCombo10 : ITransformerBlock;

[TransformerBlock(ModelDim = 32, Heads = 4, KvHeads = 2, FfnDim = 48, MaxSeqLen = 22, Norm = NormKind.LayerNorm, Activation = ActivationKind.Gelu, PreNorm = false, Rope = RopeKind.RotateHalf, Bias = true, Causal = true, WeightNames = WeightNames.HfLlama)]
internal partial class BlockCombo11 : ITransformerBlock;

[TransformerBlock(ModelDim = 64, Heads = 4, KvHeads = 1, FfnDim = 96, MaxSeqLen = 23, Norm = NormKind.LayerNorm, Activation = ActivationKind.GeluTanh, PreNorm = true, Rope = RopeKind.RotateHalf, RopeDim = 8, RopeTheta = 500000f, Bias = true, WeightNames = WeightNames.HfLlama)]
internal partial class BlockCombo12 : ITransformerBlock;

[TransformerBlock(ModelDim = 32, Heads = 4, KvHeads = 2, FfnDim = 48, MaxSeqLen = 24, Norm = NormKind.RmsNorm, Activation = ActivationKind.SwiGlu, PreNorm = false, Rope = RopeKind.RotateHalf, Bias = true, WeightNames = WeightNames.HfLlama)]
internal partial class BlockCombo13 : ITransformerBlock;

[TransformerBlock(ModelDim = 32, Heads = 4, KvHeads = 2, FfnDim = 48, MaxSeqLen = 25, Norm = NormKind.LayerNorm, Activation = ActivationKind.Relu, PreNorm = false, Rope = RopeKind.RotateHalf, RopeDim = 4, Bias = false, Causal = true, WeightNames = WeightNames.HfLlama)]
internal partial class BlockCombo14 : ITransformerBlock;

[TransformerBlock(ModelDim = 240, Heads = 6, KvHeads = 2, FfnDim = 360, MaxSeqLen = 26, Norm = NormKind.RmsNorm, Activation = ActivationKind.SwiGlu, PreNorm = true, Rope = RopeKind.RotateHalf, RopeTheta = 500000f, Bias = false, Causal = true, WeightNames = WeightNames.HfLlama)]
internal partial class BlockCombo15 : ITransformerBlock;

[TransformerBlock(ModelDim = 80, Heads = 2, FfnDim = 120, MaxSeqLen = 27, Norm = NormKind.RmsNorm, Activation = ActivationKind.Silu, PreNorm = true, Rope = RopeKind.RotateHalf, RopeDim = 24, Bias = false, Causal = true, WeightNames = WeightNames.HfLlama)]
internal partial class BlockCombo16 : ITransformerBlock;

[TransformerBlock(ModelDim = 32, Heads = 4, KvHeads = 1, FfnDim = 48, MaxSeqLen = 28, Norm = NormKind.RmsNorm, Activation = ActivationKind.GeluTanh, PreNorm = true, Bias = false, Causal = true, WeightNames = WeightNames.HfLlama)]
internal partial class BlockCombo17 : ITransformerBlock;

[TransformerBlock(ModelDim = 32, Heads = 4, FfnDim = 48, MaxSeqLen = 29, Norm = NormKind.LayerNorm, Activation = ActivationKind.SwiGlu, PreNorm = true, Bias = false, WeightNames = WeightNames.HfLlama)]
internal partial class BlockCombo18 : ITransformerBlock;

[TransformerBlock(ModelDim = 32, Heads = 4, KvHeads = 2, FfnDim = 48, MaxSeqLen = 30, Norm = NormKind.RmsNorm, Activation = ActivationKind.Relu, PreNorm = false, Rope = RopeKind.RotateHalf, RopeDim = 4, Bias = false, Causal = true, WeightNames = WeightNames.HfLlama)]
internal partial class BlockCombo19 : ITransformerBlock;

[TransformerBlock(ModelDim = 32, Heads = 4, KvHeads = 1, FfnDim = 48, MaxSeqLen = 31, Norm = NormKind.LayerNorm, Activation = ActivationKind.Silu, PreNorm = false, Rope = RopeKind.RotateHalf, Bias = true, WeightNames = WeightNames.HfLlama)]
internal partial class BlockCombo20 : ITransformerBlock;

[TransformerBlock(ModelDim = 48, Heads = 6, KvHeads = 2, FfnDim = 64, MaxSeqLen = 32, Norm = NormKind.RmsNorm, Activation = ActivationKind.SwiGlu, PreNorm = true, Rope = RopeKind.RotateHalf, RopeTheta = 1000000f, Bias = false, QueryKeyValueBias = true, Causal = true, WeightNames = WeightNames.HfLlama)]
internal partial class BlockCombo21 : ITransformerBlock;

// Llama 3's rotary scaling over a context first trained at 16 positions, so the sequence crosses every band: the
// shortest wavelength (2π) blended, the longer ones slowed 32 times.
[TransformerBlock(ModelDim = 32, Heads = 4, KvHeads = 2, FfnDim = 48, MaxSeqLen = 33, Norm = NormKind.RmsNorm, Activation = ActivationKind.SwiGlu, PreNorm = true, Rope = RopeKind.RotateHalf, RopeTheta = 500000f, RopeScaling = RopeScalingKind.Llama3, RopeScalingFactor = 32f, RopeOriginalMaxPositions = 16, Bias = false, Causal = true, WeightNames = WeightNames.HfLlama)]
internal partial class BlockCombo22 : ITransformerBlock;

// Qwen3's per-head norm of Q and K, with heads (16 wide) that are not ModelDim / Heads.
[TransformerBlock(ModelDim = 48, Heads = 4, KvHeads = 2, HeadDim = 16, FfnDim = 64, MaxSeqLen = 19, Norm = NormKind.RmsNorm, Activation = ActivationKind.SwiGlu, PreNorm = true, Rope = RopeKind.RotateHalf, RopeTheta = 1000000f, NormEpsilon = 1e-6f, QueryKeyNorm = true, Bias = false, Causal = true, WeightNames = WeightNames.HfLlama)]
internal partial class BlockCombo23 : ITransformerBlock;

// Gemma 2's block: its (1 + gain) RMSNorm before and after each sublayer, GeGLU, and scores capped (at 5, so that it bites here).
[TransformerBlock(ModelDim = 48, Heads = 4, KvHeads = 2, HeadDim = 16, FfnDim = 64, MaxSeqLen = 21, Norm = NormKind.GemmaRmsNorm, Activation = ActivationKind.GeGluTanh, PreNorm = true, SandwichNorm = true, Softcap = 5f, Scale = 0.25f, Rope = RopeKind.RotateHalf, NormEpsilon = 1e-6f, Bias = false, Causal = true, WeightNames = WeightNames.HfLlama)]
internal partial class BlockCombo24 : ITransformerBlock;

// Linear rotary scaling (every pair 4 times slower) on a grouped-query Llama block.
[TransformerBlock(ModelDim = 32, Heads = 4, KvHeads = 2, FfnDim = 48, MaxSeqLen = 17, Norm = NormKind.RmsNorm, Activation = ActivationKind.SwiGlu, PreNorm = true, Rope = RopeKind.RotateHalf, RopeScaling = RopeScalingKind.Linear, RopeScalingFactor = 4f, Bias = false, Causal = true, WeightNames = WeightNames.HfLlama)]
internal partial class BlockCombo25 : ITransformerBlock;
