using System.Collections.Generic;
using System.Linq;
using AttentionGen.Generator.Components.AttentionCore;
using AttentionGen.Generator.Emit;
using AttentionGen.Generator.Model;
using AttentionGen.Generator.Planning;
using AttentionGen.Generator.Validation;
using static AttentionGen.Generator.Emit.Names;

namespace AttentionGen.Generator.Layers;

/// <summary><c>[ScaledDotProductAttention]</c>: one attention core, no weights, with and without an additive mask.</summary>
internal sealed class ScaledDotProductAttentionLayer : LayerDefinition<ScaledDotProductAttentionSpec, ScaledDotProductAttentionLayer.Body>
{
    public override string AttributeMetadataName => "AttentionGen.ScaledDotProductAttentionAttribute";

    public override string AttributeName => "ScaledDotProductAttention";

    protected override void Validate(ScaledDotProductAttentionSpec spec, List<ValidationIssue> issues)
    {
        Rules.RequirePositive(issues, "HeadDim", spec.HeadDim);
        AttentionRules.Validate(spec, spec.HeadDim, "HeadDim", issues);
    }

    protected override Body Plan(ScaledDotProductAttentionSpec spec) =>
        new(AttentionRules.Core(spec, spec.HeadDim, spec.MaxKvSeqLen > 0 ? spec.MaxKvSeqLen : spec.MaxSeqLen));

    protected override void Emit(SourceWriter w, TypeDeclaration declaration, Body body)
    {
        var core = body.Core;
        AttentionCoreEmitter.EmitConstants(w, core);
        AttentionCoreEmitter.EmitShape(w, core);
        w.Line();
        w.Line("// Scratch, allocated once per instance so Forward allocates nothing.");
        AttentionCoreEmitter.EmitScratch(w, core);
        ExclusiveUseEmitter.EmitField(w);
        w.Line();

        const string Inputs = ReadOnlySpan + " query, " + ReadOnlySpan + " key, " + ReadOnlySpan + " value";
        w.Line("/// <summary>");
        w.Line("/// <c>softmax(Q·Kᵀ·Scale)·V</c> for every head. <paramref name=\"query\"/> and <paramref name=\"output\"/> are");
        w.Line("/// [seqLen, QueryWidth]; <paramref name=\"key\"/> and <paramref name=\"value\"/> are [kvSeqLen, KvWidth]. Allocates nothing.");
        w.Line("/// </summary>");
        using (w.Block($"public void Forward({Inputs}, {Span} output, int seqLen, int kvSeqLen)"))
        {
            AttentionCoreEmitter.EmitCoreChecks(w);
            ExclusiveUseEmitter.EmitEnter(w);
            AttentionCoreEmitter.EmitAttend(w, core, "query", "key", "value", "default", "output", "seqLen", "kvSeqLen");
        }

        w.Line();
        w.Line("/// <summary>");
        w.Line("/// As <see cref=\"Forward(global::System.ReadOnlySpan{float}, global::System.ReadOnlySpan{float}, global::System.ReadOnlySpan{float}, global::System.Span{float}, int, int)\"/>,");
        w.Line("/// with <paramref name=\"additiveMask\"/> [seqLen, kvSeqLen] added to every head's scores (use -∞ to hide a key).");
        w.Line("/// </summary>");
        using (w.Block($"public void Forward({Inputs}, {ReadOnlySpan} additiveMask, {Span} output, int seqLen, int kvSeqLen)"))
        {
            AttentionCoreEmitter.EmitCoreChecks(w);
            w.Line($"{Guard}.HasExactly(additiveMask, seqLen, kvSeqLen, nameof(additiveMask));");
            w.Line($"{Guard}.DoesNotOverlap(output, additiveMask, nameof(output), nameof(additiveMask));");
            ExclusiveUseEmitter.EmitEnter(w);
            AttentionCoreEmitter.EmitAttend(w, core, "query", "key", "value", "additiveMask", "output", "seqLen", "kvSeqLen");
        }
    }

    /// <summary>The plan: one core.</summary>
    internal sealed record Body(AttentionCorePlan Core) : LayerBody
    {
        public override EquatableArray<string> GeneratedMembers =>
            new[] { "Heads", "KvHeads", "HeadDim", "QueryWidth", "KvWidth", "MaxSeqLen", "MaxKvSeqLen", "Scale", "Softcap", "IsCausal", "Forward", ExclusiveUseEmitter.Field }
                .Concat(Core.Members).ToEquatableArray();

        public override EquatableArray<BufferPlan> Buffers => Core.Buffers.ToEquatableArray();
    }
}
