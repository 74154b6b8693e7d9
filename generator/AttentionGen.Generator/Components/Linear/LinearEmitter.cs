using AttentionGen.Generator.Emit;

namespace AttentionGen.Generator.Components.Linear;

/// <summary>Writes the call that runs one <see cref="LinearPlan"/> over <c>rows</c> rows.</summary>
internal static class LinearEmitter
{
    /// <param name="layer">For a model's block, the expression of the block's index (its tensors are per block); else null.</param>
    public static void EmitForward(SourceWriter w, LinearPlan linear, string input, string output, string rows, string? layer = null)
    {
        var bias = linear.BiasWeight is { } biasWeight ? WeightsEmitter.Tensor(biasWeight, layer) : $"{Names.ReadOnlySpan}.Empty";
        var forward = linear.Bfloat16 ? "ForwardBfloat16" : "Forward";
        w.Line($"{Names.PackedLinear}.{forward}({input}, {WeightsEmitter.Tensor(linear.Weight, layer)}, {bias}, {output}, {rows}, {linear.InName}, {linear.OutName});");
    }
}
