using AttentionGen;

namespace Quickstart;

/// <summary>Causal multi-head self-attention over 64-wide rows: the generator writes its Forward, weights and loader.</summary>
[MultiHeadAttention(ModelDim = 64, Heads = 4, MaxSeqLen = 64, Causal = true)]
public partial class Encoder;

/// <summary>
/// Reads 5 steps (each step encoded as <see cref="NextStepTask.FeaturesPerStep"/> features) and predicts the 6th value.
/// </summary>
[AttentionPooling(InputDim = NextStepTask.FeaturesPerStep, MaxSeqLen = NextStepTask.Steps, OutputDim = 1)]
public partial class NextStepPredictor;
