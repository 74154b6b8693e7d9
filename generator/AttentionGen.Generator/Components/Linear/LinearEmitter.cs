using AttentionGen.Generator.Emit;

namespace AttentionGen.Generator.Components.Linear;

/// <summary>Writes the call that runs one <see cref="LinearPlan"/> over <c>rows</c> rows.</summary>
internal static class LinearEmitter
{
    public static void EmitForward(SourceWriter w, LinearPlan linear, string input, string output, string rows)
    {
        var bias = linear.BiasWeight?.FieldName ?? $"{Names.ReadOnlySpan}.Empty";
        w.Line($"{Names.PackedLinear}.Forward({input}, {linear.Weight.PanelsFieldName}.Span, {bias}, {output}, {rows}, {linear.InName}, {linear.OutName});");
    }
}
