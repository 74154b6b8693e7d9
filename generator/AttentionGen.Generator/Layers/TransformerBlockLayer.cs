using System.Collections.Generic;
using System.Linq;
using AttentionGen.Generator.Components.AttentionCore;
using AttentionGen.Generator.Components.TransformerBlock;
using AttentionGen.Generator.Emit;
using AttentionGen.Generator.Model;
using AttentionGen.Generator.Planning;
using AttentionGen.Generator.Validation;
using static AttentionGen.Generator.Emit.Names;

namespace AttentionGen.Generator.Layers;

/// <summary>
/// <c>[TransformerBlock]</c>: one block (self-attention and a feed-forward network, residuals and norms) over
/// token-major rows, for one sequence or a packed batch of them.
/// </summary>
internal sealed class TransformerBlockLayer : LayerDefinition<TransformerBlockSpec, TransformerBlockLayer.Body>
{
    public override string AttributeMetadataName => "AttentionGen.TransformerBlockAttribute";

    public override string AttributeName => "TransformerBlock";

    protected override void Validate(TransformerBlockSpec spec, List<ValidationIssue> issues)
    {
        TransformerRules.Validate(spec, issues);
        TransformerRules.RejectUnreadRopeOptions(spec, issues);
        TransformerRules.RequireWholeSequencePerPass(spec, issues);
        AttentionRules.Validate(spec, TransformerRules.HeadDimOf(spec), spec.HeadDim > 0 ? "HeadDim" : "ModelDim", issues);
        if (spec.MaxKvSeqLen != 0 && spec.MaxKvSeqLen != spec.MaxSeqLen)
        {
            issues.Add(Rules.Issue(DiagnosticIds.OptionOutOfRange, "MaxKvSeqLen", "MaxKvSeqLen", Rules.Format(spec.MaxKvSeqLen),
                "left out: a block attends to its own tokens, so its keys are bounded by MaxSeqLen"));
        }
    }

    protected override Body Plan(TransformerBlockSpec spec) =>
        new(TransformerRules.Plan(spec, spec.KvHeads, spec.Causal, spec.Softcap, TransformerRules.BatchTokens(spec), spec.MaxSeqLen) with { PaddingMask = spec.PaddingMask });

    protected override void Emit(SourceWriter w, TypeDeclaration declaration, Body body)
    {
        var block = body.Block;
        TransformerBlockEmitter.EmitConstants(w, block);
        AttentionCoreEmitter.EmitShape(w, block.Core);
        w.Line();
        w.Line("// Scratch, allocated once per instance so Forward allocates nothing: MaxBatchTokens rows of each.");
        TransformerBlockEmitter.EmitScratch(w, block, "MaxSeqLen");
        ExclusiveUseEmitter.EmitField(w);
        w.Line();
        WeightsEmitter.EmitField(w);
        WeightsEmitter.EmitInstanceMembers(w, declaration.Name);

        w.Line("/// <summary>");
        w.Line("/// One sequence: <paramref name=\"input\"/> [seqLen, ModelDim] through the block to <paramref name=\"output\"/> [seqLen, ModelDim],");
        w.Line("/// which may be the input itself. Allocates nothing.");
        w.Line("/// </summary>");
        using (w.Block($"public void Forward({ReadOnlySpan} input, {Span} output, int seqLen)"))
        {
            w.Line($"{Guard}.Length(seqLen, MaxSeqLen, nameof(seqLen));");
            w.Line($"{Guard}.HasRows(input, seqLen, ModelDim, nameof(input));");
            w.Line($"{Guard}.HasRows(output, seqLen, ModelDim, nameof(output));");
            w.Line($"RunBatch(input, output, {MemoryMarshal}.CreateReadOnlySpan(ref seqLen, 1), seqLen{(block.PaddingMask ? ", default" : "")});");
        }

        if (block.PaddingMask)
        {
            w.Line();
            w.Line("/// <summary>");
            w.Line("/// One padded sequence: <paramref name=\"input\"/> [seqLen, ModelDim] through the block to <paramref name=\"output\"/> [seqLen, ModelDim]");
            w.Line("/// (which may be the input itself), with <paramref name=\"attentionMask\"/> one value per token as Hugging Face's attention_mask:");
            w.Line("/// 1 to attend, 0 for padding. Padding is masked on keys only: its rows are computed, but no token attends to them.");
            if (block.Core.Causal)
            {
                w.Line("/// Causal too: token i attends to the unmasked tokens j ≤ i, and a row with none (left padding) comes out of attention as zeros.");
            }

            w.Line("/// Allocates nothing.");
            w.Line("/// </summary>");
            using (w.Block($"public void Forward({ReadOnlySpan} input, {Span} output, int seqLen, global::System.ReadOnlySpan<int> attentionMask)"))
            {
                w.Line($"{Guard}.Length(seqLen, MaxSeqLen, nameof(seqLen));");
                w.Line($"{Guard}.HasRows(input, seqLen, ModelDim, nameof(input));");
                w.Line($"{Guard}.HasRows(output, seqLen, ModelDim, nameof(output));");
                w.Line($"{Guard}.AttentionMask(attentionMask, seqLen, nameof(attentionMask));");
                w.Line($"RunBatch(input, output, {MemoryMarshal}.CreateReadOnlySpan(ref seqLen, 1), seqLen, attentionMask);");
            }
        }

        w.Line();
        w.Line("/// <summary>");
        w.Line("/// A packed batch: sequences of <paramref name=\"lengths\"/>[i] tokens concatenated in <paramref name=\"input\"/>, with no padding.");
        w.Line("/// The linear layers run over every token at once; each sequence attends only to itself. <paramref name=\"output\"/> holds");
        w.Line("/// the same rows (and may be the input itself). Allocates nothing.");
        w.Line("/// </summary>");
        using (w.Block($"public void Forward({ReadOnlySpan} input, {Span} output, global::System.ReadOnlySpan<int> lengths)"))
        {
            w.Line($"int tokens = {Guard}.PackedLengths(lengths, MaxSeqLen, nameof(lengths));");
            w.Line($"{Guard}.HasRows(input, tokens, ModelDim, nameof(input));");
            w.Line($"{Guard}.HasRows(output, tokens, ModelDim, nameof(output));");
            w.Line($"RunBatch(input, output, lengths, tokens{(block.PaddingMask ? ", default" : "")});");
        }

        w.Line();
        w.Line(block.PaddingMask
            ? "/// <summary>Runs the block over checked arguments, in groups of whole sequences that fit the scratch; the mask is empty or one per token.</summary>"
            : "/// <summary>Runs the block over checked arguments, in groups of whole sequences that fit the scratch.</summary>");
        var maskParameter = block.PaddingMask ? ", global::System.ReadOnlySpan<int> attentionMask" : "";
        using (w.Block($"private void RunBatch({ReadOnlySpan} input, {Span} output, global::System.ReadOnlySpan<int> lengths, int tokens{maskParameter})"))
        {
            ExclusiveUseEmitter.EmitEnter(w);
            WeightsEmitter.EmitLocal(w);
            w.Line();
            w.Line("// The block works in place on the output; copying first lets the output be the input itself.");
            w.Line("input.Slice(0, tokens * ModelDim).CopyTo(output);");
            w.Line("int row = 0;");
            using (w.Block("while (!lengths.IsEmpty)"))
            {
                w.Line($"int sequences = {PackedBatch}.NextGroup(lengths, MaxBatchTokens, out int groupTokens);");
                var groupMask = block.PaddingMask ? ", attentionMask.IsEmpty ? default : attentionMask.Slice(row, groupTokens)" : "";
                w.Line($"RunBlock({WeightsEmitter.Local}, output.Slice(row * ModelDim, groupTokens * ModelDim), lengths.Slice(0, sequences), groupTokens{groupMask});");
                w.Line("lengths = lengths.Slice(sequences);");
                w.Line("row += groupTokens;");
            }
        }

        w.Line();
        TransformerBlockEmitter.EmitRunBlock(w, block, layered: false);
        w.Line();
        WeightsEmitter.EmitWeightsType(w, body.Block.Weights.ToList(), declaration.Name);
    }

    /// <summary>The plan: one block.</summary>
    internal sealed record Body(TransformerBlockPlan Block) : LayerBody
    {
        public override EquatableArray<string> GeneratedMembers =>
            Block.Members.Concat(new[] { "Forward", "RunBatch", ExclusiveUseEmitter.Field }).Concat(WeightsEmitter.Members).ToEquatableArray();

        public override EquatableArray<BufferPlan> Buffers => Block.Buffers.Concat(Block.Weights.Select(weight => weight.Stored)).ToEquatableArray();
    }
}
