using AttentionGen.Generator.Emit;

namespace AttentionGen.Generator.Components.Linear;

/// <summary>Writes the call that runs one <see cref="LinearPlan"/> over <c>rows</c> rows.</summary>
internal static class LinearEmitter
{
    public static void EmitForward(SourceWriter w, LinearPlan linear, string input, string output, string rows)
    {
        var weights = WeightsEmitter.Local;
        var bias = linear.BiasWeight is { } biasWeight ? $"{weights}.{biasWeight.PropertyName}" : $"{Names.ReadOnlySpan}.Empty";
        w.Line($"{Names.PackedLinear}.Forward({input}, {weights}.{linear.Weight.PropertyName}, {bias}, {output}, {rows}, {linear.InName}, {linear.OutName});");
    }
}
