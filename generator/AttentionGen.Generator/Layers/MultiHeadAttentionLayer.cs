using System.Collections.Generic;
using System.Linq;
using AttentionGen.Generator.Components.AttentionCore;
using AttentionGen.Generator.Components.Linear;
using AttentionGen.Generator.Emit;
using AttentionGen.Generator.Model;
using AttentionGen.Generator.Planning;
using AttentionGen.Generator.Validation;
using static AttentionGen.Generator.Emit.Literals;
using static AttentionGen.Generator.Emit.Names;
using static AttentionGen.Generator.Validation.Rules;

namespace AttentionGen.Generator.Layers;

/// <summary>
/// <c>[MultiHeadAttention]</c>: Q, K and V projections, one attention core, the output projection. Self-attention when
/// keys and values come from the input itself, cross-attention when they come from a context (<c>KvInputDim</c>), and
/// with <c>AdditiveMask</c> an overload of each that takes a [seqLen, kvSeqLen] mask (padding, say).
/// </summary>
internal sealed class MultiHeadAttentionLayer : LayerDefinition<MultiHeadAttentionSpec, MultiHeadAttentionLayer.Body>
{
    public override string AttributeMetadataName => "AttentionGen.MultiHeadAttentionAttribute";

    public override string AttributeName => "MultiHeadAttention";

    protected override void Validate(MultiHeadAttentionSpec spec, List<ValidationIssue> issues)
    {
        RequirePositive(issues, "ModelDim", spec.ModelDim);
        RejectNegative(issues, "HeadDim", spec.HeadDim);
        RejectNegative(issues, "KvInputDim", spec.KvInputDim);
        if (spec.HeadDim == 0 && spec.ModelDim > 0 && spec.Heads > 0 && spec.ModelDim % spec.Heads != 0)
        {
            issues.Add(Issue(DiagnosticIds.ModelDimNotDivisibleByHeads, "ModelDim", Format(spec.ModelDim), Format(spec.Heads)));
        }

        AttentionRules.Validate(spec, HeadDimOf(spec), spec.HeadDim > 0 ? "HeadDim" : "ModelDim", issues);
    }

    /// <summary>HeadDim as set, or ModelDim / Heads; 0 while that is not a whole number.</summary>
    private static int HeadDimOf(MultiHeadAttentionSpec spec) =>
        spec.HeadDim > 0 ? spec.HeadDim : spec.Heads > 0 && spec.ModelDim % spec.Heads == 0 ? spec.ModelDim / spec.Heads : 0;

    protected override Body Plan(MultiHeadAttentionSpec spec)
    {
        var kvInputDim = spec.KvInputDim > 0 ? spec.KvInputDim : spec.ModelDim;
        var emitsSelf = kvInputDim == spec.ModelDim;
        var maxKvSeqLen = spec.MaxKvSeqLen > 0 ? spec.MaxKvSeqLen : spec.MaxSeqLen;
        if (emitsSelf)
        {
            // The self-attention Forward's keys are its queries: key buffers hold MaxSeqLen rows whatever MaxKvSeqLen says.
            maxKvSeqLen = System.Math.Max(maxKvSeqLen, spec.MaxSeqLen);
        }

        var core = AttentionRules.Core(spec, HeadDimOf(spec), maxKvSeqLen);
        return new Body(core, spec.ModelDim, kvInputDim, emitsSelf, EmitsCross: spec.KvInputDim > 0, spec.AdditiveMask, new[]
        {
            new LinearPlan("q_proj", core.Heads * core.HeadDim, "QueryWidth", spec.ModelDim, "ModelDim", spec.Bias),
            new LinearPlan("k_proj", core.KvHeads * core.HeadDim, "KvWidth", kvInputDim, "KvInputDim", spec.Bias),
            new LinearPlan("v_proj", core.KvHeads * core.HeadDim, "KvWidth", kvInputDim, "KvInputDim", spec.Bias),
            new LinearPlan("o_proj", spec.ModelDim, "ModelDim", core.Heads * core.HeadDim, "QueryWidth", spec.Bias),
        }.ToEquatableArray());
    }

    protected override void Emit(SourceWriter w, TypeDeclaration declaration, Body body)
    {
        var core = body.Core;
        w.Constant("int", "ModelDim", Int(body.ModelDim), "Width of the input and output rows.");
        w.Constant("int", "KvInputDim", Int(body.KvInputDim), "Width of the rows that keys and values are projected from.");
        AttentionCoreEmitter.EmitConstants(w, core);
        AttentionCoreEmitter.EmitShape(w, core);
        w.Line();
        w.Line("// Scratch, allocated once per instance so Forward allocates nothing.");
        AttentionCoreEmitter.EmitScratch(w, core);
        w.Line($"private readonly {AlignedBuffer} _projectedQuery = new(MaxSeqLen * QueryWidth);");
        w.Line($"private readonly {AlignedBuffer} _projectedKey = new(MaxKvSeqLen * KvWidth);");
        w.Line($"private readonly {AlignedBuffer} _projectedValue = new(MaxKvSeqLen * KvWidth);");
        w.Line($"private readonly {AlignedBuffer} _attendedHeads = new(MaxSeqLen * QueryWidth);");
        ExclusiveUseEmitter.EmitField(w);
        w.Line();
        WeightsEmitter.EmitField(w);
        WeightsEmitter.EmitInstanceMembers(w, declaration.Name);
        if (body.EmitsSelf)
        {
            EmitSelfForward(w, masked: false);
            if (body.AdditiveMask)
            {
                EmitSelfForward(w, masked: true);
            }
        }

        if (body.EmitsCross)
        {
            EmitCrossForward(w, masked: false);
            if (body.AdditiveMask)
            {
                EmitCrossForward(w, masked: true);
            }
        }

        EmitAttendProjected(w, body);
        w.Line();
        WeightsEmitter.EmitWeightsType(w, body.Weights, declaration.Name);
    }

    private static void EmitSelfForward(SourceWriter w, bool masked)
    {
        w.Line("/// <summary>");
        w.Line("/// Self-attention: <paramref name=\"input\"/> [seqLen, ModelDim] attends to itself; the result goes to");
        w.Line("/// <paramref name=\"output\"/> [seqLen, ModelDim]." + (masked
            ? " <paramref name=\"additiveMask\"/> [seqLen, seqLen] is added to every head's"
            : " Allocates nothing."));
        if (masked)
        {
            w.Line("/// scores (−∞ hides a key: padding, say). Allocates nothing.");
        }

        w.Line("/// </summary>");
        var mask = masked ? $"{ReadOnlySpan} additiveMask, " : "";
        using (w.Block($"public void Forward({ReadOnlySpan} input, {mask}{Span} output, int seqLen)"))
        {
            w.Line($"{Guard}.Length(seqLen, MaxSeqLen, nameof(seqLen));");
            w.Line($"{Guard}.HasRows(input, seqLen, ModelDim, nameof(input));");
            w.Line($"{Guard}.HasRows(output, seqLen, ModelDim, nameof(output));");
            if (masked)
            {
                w.Line($"{Guard}.HasExactly(additiveMask, seqLen, seqLen, nameof(additiveMask));");
            }

            w.Line($"AttendProjected(input, input, {(masked ? "additiveMask" : "default")}, output, seqLen, seqLen);");
        }

        w.Line();
    }

    private static void EmitCrossForward(SourceWriter w, bool masked)
    {
        w.Line("/// <summary>");
        w.Line("/// Cross-attention: <paramref name=\"input\"/> [seqLen, ModelDim] attends to <paramref name=\"context\"/>");
        w.Line("/// [contextLen, KvInputDim]; the result goes to <paramref name=\"output\"/> [seqLen, ModelDim]." + (masked ? "" : " Allocates nothing."));
        if (masked)
        {
            w.Line("/// <paramref name=\"additiveMask\"/> [seqLen, contextLen] is added to every head's scores. Allocates nothing.");
        }

        w.Line("/// </summary>");
        var mask = masked ? $"{ReadOnlySpan} additiveMask, " : "";
        using (w.Block($"public void Forward({ReadOnlySpan} input, {ReadOnlySpan} context, {mask}{Span} output, int seqLen, int contextLen)"))
        {
            w.Line($"{Guard}.Length(seqLen, MaxSeqLen, nameof(seqLen));");
            w.Line($"{Guard}.Length(contextLen, MaxKvSeqLen, nameof(contextLen));");
            w.Line($"{Guard}.HasRows(input, seqLen, ModelDim, nameof(input));");
            w.Line($"{Guard}.HasRows(context, contextLen, KvInputDim, nameof(context));");
            w.Line($"{Guard}.HasRows(output, seqLen, ModelDim, nameof(output));");
            if (masked)
            {
                w.Line($"{Guard}.HasExactly(additiveMask, seqLen, contextLen, nameof(additiveMask));");
            }

            w.Line($"AttendProjected(input, context, {(masked ? "additiveMask" : "default")}, output, seqLen, contextLen);");
        }

        w.Line();
    }

    private static void EmitAttendProjected(SourceWriter w, Body body)
    {
        var linear = body.Projections;
        w.Line("/// <summary>Projects Q from <paramref name=\"input\"/> and K, V from <paramref name=\"context\"/>, attends, and projects out.</summary>");
        using (w.Block($"private void AttendProjected({ReadOnlySpan} input, {ReadOnlySpan} context, {ReadOnlySpan} additiveMask, {Span} output, int seqLen, int kvSeqLen)"))
        {
            ExclusiveUseEmitter.EmitEnter(w);
            WeightsEmitter.EmitLocal(w);
            w.Line($"{Span} query = _projectedQuery.Span.Slice(0, seqLen * QueryWidth);");
            w.Line($"{Span} key = _projectedKey.Span.Slice(0, kvSeqLen * KvWidth);");
            w.Line($"{Span} value = _projectedValue.Span.Slice(0, kvSeqLen * KvWidth);");
            w.Line($"{Span} attended = _attendedHeads.Span.Slice(0, seqLen * QueryWidth);");

            w.Line();
            w.Line("// Projections in: Q from the input, K and V from the context (the input itself for self-attention).");
            LinearEmitter.EmitForward(w, linear[0], "input", "query", "seqLen");
            LinearEmitter.EmitForward(w, linear[1], "context", "key", "kvSeqLen");
            LinearEmitter.EmitForward(w, linear[2], "context", "value", "kvSeqLen");
            w.Line();
            AttentionCoreEmitter.EmitAttend(w, body.Core, "query", "key", "value", "additiveMask", "attended", "seqLen", "kvSeqLen");
            w.Line();
            w.Line("// Projection out: the heads, side by side, back to ModelDim.");
            LinearEmitter.EmitForward(w, linear[3], "attended", "output", "seqLen");
        }
    }

    /// <summary>The plan: four projections around one core.</summary>
    internal sealed record Body(
        AttentionCorePlan Core, int ModelDim, int KvInputDim, bool EmitsSelf, bool EmitsCross, bool AdditiveMask,
        EquatableArray<LinearPlan> Projections) : LayerBody
    {
        public IReadOnlyList<WeightPlan> Weights => Projections.SelectMany(p => p.Weights).ToList();

        public override EquatableArray<string> GeneratedMembers =>
            new[]
                {
                    "ModelDim", "KvInputDim", "Heads", "KvHeads", "HeadDim", "QueryWidth", "KvWidth", "MaxSeqLen", "MaxKvSeqLen",
                    "Scale", "Softcap", "IsCausal", "Forward", "AttendProjected", "_projectedQuery", "_projectedKey", "_projectedValue",
                    "_attendedHeads", ExclusiveUseEmitter.Field,
                }
                .Concat(Core.Members).Concat(WeightsEmitter.Members).ToEquatableArray();

        public override EquatableArray<BufferPlan> Buffers => Core.Buffers
            .Concat(new[]
            {
                new BufferPlan("the projected queries", BufferPlan.Product(Core.MaxSeqLen, Core.QueryWidth), "MaxSeqLen"),
                new BufferPlan("the projected keys", BufferPlan.Product(Core.MaxKvSeqLen, Core.KvWidth), "MaxSeqLen"),
                new BufferPlan("the projected values", BufferPlan.Product(Core.MaxKvSeqLen, Core.KvWidth), "MaxSeqLen"),
                new BufferPlan("the attended heads", BufferPlan.Product(Core.MaxSeqLen, Core.QueryWidth), "MaxSeqLen"),
            })
            .Concat(Projections.SelectMany(p => p.Buffers))
            .ToEquatableArray();
    }
}
