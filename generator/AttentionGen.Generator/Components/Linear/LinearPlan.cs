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
    /// Where checkpoints that fuse this layer with others hold it (GPT-2's <c>attn.c_attn</c>, Phi-3's
    /// <c>self_attn.qkv_proj</c>), for a file that lacks the layer's own name; null where none do.
    /// </summary>
    public FusedSourcePlan? FusedSource { get; init; }

    public WeightPlan Weight => Named(".weight", "Weight", OutDim, OutName, InDim, InName) with
    {
        IsPacked = true,
        IsBfloat16 = Bfloat16,
        Source = FusedSource is { } source
            ? (source.TensorPrefix + ".weight", source.Conv1D
                ? $"[{InName}, {source.Outputs}], Offset: {source.Offset}, Transposed: true"
                : $"[{source.Outputs}, {InName}], Offset: {source.Offset}, Transposed: false")
            : null,
    };

    public WeightPlan? BiasWeight => Bias
        ? Named(".bias", "Bias", OutDim, OutName, 0, "") with
        {
            Source = FusedSource is { } source ? (source.TensorPrefix + ".bias", $"[{source.Outputs}], Offset: {source.Offset}, Transposed: false") : null,
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

/// <summary>
/// A linear layer's place in a checkpoint tensor it shares with others: the tensor prefix (<c>attn.c_attn</c>), the
/// tensor's output count as a C# expression (<c>QueryWidth + 2 * KvWidth</c>), and this layer's first output in it.
/// </summary>
/// <param name="Conv1D">Whether the weight is held as PyTorch's <c>Conv1D</c> holds it, [in, out] (GPT-2), rather than [out, in].</param>
internal sealed record FusedSourcePlan(string TensorPrefix, string Outputs, string Offset, bool Conv1D);
