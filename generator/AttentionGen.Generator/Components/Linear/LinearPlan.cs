using System.Collections.Generic;
using AttentionGen.Generator.Planning;

namespace AttentionGen.Generator.Components.Linear;

/// <summary>
/// A PyTorch <c>nn.Linear</c>, <c>y = x·Wᵀ + b</c>, run on the runtime's packed GEMM. Its tensors are named
/// <see cref="TensorPrefix"/> + <c>.weight</c> / <c>.bias</c> and its widths by the class's constants.
/// </summary>
internal sealed record LinearPlan(string TensorPrefix, int OutDim, string OutName, int InDim, string InName, bool Bias)
{
    public WeightPlan Weight => WeightPlan.Named(TensorPrefix + ".weight", OutDim, OutName, InDim, InName) with { IsPacked = true };

    public WeightPlan? BiasWeight => Bias ? WeightPlan.Named(TensorPrefix + ".bias", OutDim, OutName, 0, "") : null;

    public IEnumerable<WeightPlan> Weights
    {
        get
        {
            yield return Weight;
            if (BiasWeight is { } bias)
            {
                yield return bias;
            }
        }
    }

    /// <summary>The weight as stored (packed into 64-output panels), for the memory ceiling.</summary>
    public IEnumerable<BufferPlan> Buffers
    {
        get
        {
            yield return new BufferPlan(TensorPrefix + ".weight (packed)", (OutDim + 63L) / 64 * 64 * InDim, InName);
        }
    }
}
