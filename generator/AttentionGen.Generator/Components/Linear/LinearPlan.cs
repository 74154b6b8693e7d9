using System.Collections.Generic;
using AttentionGen.Generator.Planning;

namespace AttentionGen.Generator.Components.Linear;

/// <summary>
/// A PyTorch <c>nn.Linear</c>, <c>y = x·Wᵀ + b</c>, run on the runtime's packed GEMM. Its tensors are named
/// <see cref="TensorPrefix"/> + <c>.weight</c> / <c>.bias</c> and its widths by the class's constants.
/// </summary>
internal sealed record LinearPlan(string TensorPrefix, int OutDim, string OutName, int InDim, string InName, bool Bias)
{
    /// <summary>
    /// What the <c>Weights</c> class calls its tensors (<c>Query</c> gives <c>QueryWeight</c>, <c>QueryBias</c>); null
    /// derives it from the tensor name (<c>q_proj</c> gives <c>QProjWeight</c>).
    /// </summary>
    public string? Accessor { get; init; }

    /// <summary>Whether the matrix is held as bfloat16 (the bias stays float).</summary>
    public bool Bfloat16 { get; init; }

    /// <summary>
    /// Where GPT-2-style checkpoints hold this layer: a tensor prefix (<c>attn.c_attn</c>), its output count as a C#
    /// expression (<c>3 * ModelDim</c>), and this layer's first output in it; its weight is <c>Conv1D</c>'s [in, out].
    /// </summary>
    public (string TensorPrefix, string Outputs, string Offset)? Conv1DSource { get; init; }

    public WeightPlan Weight => Named(".weight", "Weight", OutDim, OutName, InDim, InName) with
    {
        IsPacked = true,
        IsBfloat16 = Bfloat16,
        Source = Conv1DSource is { } source ? (source.TensorPrefix + ".weight", $"[{InName}, {source.Outputs}], {source.Offset}, true") : null,
    };

    public WeightPlan? BiasWeight => Bias
        ? Named(".bias", "Bias", OutDim, OutName, 0, "") with
        {
            Source = Conv1DSource is { } source ? (source.TensorPrefix + ".bias", $"[{source.Outputs}], {source.Offset}, false") : null,
        }
        : null;

    private WeightPlan Named(string suffix, string role, int rows, string rowsName, int columns, string columnsName)
    {
        var plan = WeightPlan.Named(TensorPrefix + suffix, rows, rowsName, columns, columnsName);
        return Accessor is null ? plan : plan with { PropertyName = Accessor + role };
    }

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
