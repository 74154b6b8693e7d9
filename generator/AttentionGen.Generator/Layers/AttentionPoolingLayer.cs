using System.Collections.Generic;
using System.Linq;
using AttentionGen.Generator.Emit;
using AttentionGen.Generator.Model;
using AttentionGen.Generator.Planning;
using AttentionGen.Generator.Validation;
using static AttentionGen.Generator.Emit.Literals;
using static AttentionGen.Generator.Emit.Names;
using static AttentionGen.Generator.Validation.Rules;

namespace AttentionGen.Generator.Layers;

/// <summary>
/// <c>[AttentionPooling]</c>: <c>αᵢ = softmaxᵢ(xᵢ·w + b)</c>, <c>pooled = Σ αᵢ xᵢ</c>, <c>y = W_o·pooled + b_o</c>.
/// The row kernels are the runtime's, compiled for this input width through a generated row shape.
/// </summary>
internal sealed class AttentionPoolingLayer : LayerDefinition<AttentionPoolingSpec, AttentionPoolingLayer.Body>
{
    public override string AttributeMetadataName => "AttentionGen.AttentionPoolingAttribute";

    public override string AttributeName => "AttentionPooling";

    protected override void Validate(AttentionPoolingSpec spec, List<ValidationIssue> issues)
    {
        RequirePositive(issues, "InputDim", spec.InputDim);
        RequirePositive(issues, "MaxSeqLen", spec.MaxSeqLen);
        RequirePositive(issues, "OutputDim", spec.OutputDim);
    }

    protected override Body Plan(AttentionPoolingSpec spec) => new(spec.InputDim, spec.MaxSeqLen, spec.OutputDim);

    protected override void Emit(SourceWriter w, TypeDeclaration declaration, Body body)
    {
        w.Constant("int", "InputDim", Int(body.InputDim), "Width of each input row.");
        w.Constant("int", "MaxSeqLen", Int(body.MaxSeqLen), "Largest sequence length a call may pass.");
        w.Constant("int", "OutputDim", Int(body.OutputDim), "Width of the output.");

        w.Line("/// <summary>Input rows for AttentionGen's row kernels, which the JIT compiles for this width alone.</summary>");
        using (w.Block($"private readonly struct PoolingRow : {RowShape}"))
        {
            w.Line($"public static int Width => {Int(body.InputDim)};");
            w.Line($"public static int RowStride => {Int(body.InputDim)};");
        }

        w.Line();
        w.Line("// Scratch, allocated once per instance so Forward allocates nothing.");
        w.Line($"private readonly {AlignedBuffer} _poolingWeights = new(MaxSeqLen);");
        w.Line($"private readonly {AlignedBuffer} _pooledRow = new(InputDim);");
        ExclusiveUseEmitter.EmitField(w);
        w.Line();
        WeightsEmitter.EmitField(w);
        WeightsEmitter.EmitInstanceMembers(w, declaration.Name);

        w.Line("/// <summary>");
        w.Line("/// Pools <paramref name=\"input\"/> [seqLen, InputDim] into one row and maps it to <paramref name=\"output\"/> [OutputDim].");
        w.Line("/// Allocates nothing.");
        w.Line("/// </summary>");
        // The weights go to scratch as long as MaxSeqLen, which passes the other overload's checks for any valid seqLen.
        w.Line($"public void Forward({ReadOnlySpan} input, {Span} output, int seqLen) => Forward(input, output, _poolingWeights.Span, seqLen);");
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// As <see cref=\"Forward(global::System.ReadOnlySpan{float}, global::System.Span{float}, int)\"/>, and also writes the");
        w.Line("/// attention weight of each position (they sum to 1) to <paramref name=\"attentionWeights\"/>, to show which positions mattered.");
        w.Line("/// </summary>");
        using (w.Block($"public void Forward({ReadOnlySpan} input, {Span} output, {Span} attentionWeights, int seqLen)"))
        {
            w.Line($"{Guard}.Length(seqLen, MaxSeqLen, nameof(seqLen));");
            w.Line($"{Guard}.HasRows(input, seqLen, InputDim, nameof(input));");
            w.Line($"{Guard}.HasRows(output, 1, OutputDim, nameof(output));");
            w.Line($"{Guard}.HasRows(attentionWeights, seqLen, 1, nameof(attentionWeights));");
            w.Line("// The weights are written while the input is still being read, and before the output is.");
            w.Line($"{Guard}.DoesNotOverlap(attentionWeights, input, nameof(attentionWeights), nameof(input));");
            w.Line($"{Guard}.DoesNotOverlap(output, attentionWeights, nameof(output), nameof(attentionWeights));");
            w.Line("PoolSequence(input, output, attentionWeights.Slice(0, seqLen), seqLen);");
        }

        w.Line();
        w.Line("/// <summary>Scores each position, turns the scores into attention weights α, pools, and applies the output layer.</summary>");
        using (w.Block($"private void PoolSequence({ReadOnlySpan} input, {Span} output, {Span} alpha, int seqLen)"))
        {
            ExclusiveUseEmitter.EmitEnter(w);
            WeightsEmitter.EmitLocal(w);
            w.Line("// Scores: one logit per position, xᵢ·w. score.bias is left out on purpose: it shifts every logit equally and");
            w.Line("// softmax ignores shifts, so it cannot change the weights. It is still a parameter so PyTorch checkpoints load.");
            w.Line($"{RowKernels("PoolingRow")}.Dot(ref {MemoryMarshal}.GetReference({WeightsEmitter.Local}.ScoreWeight), ref {MemoryMarshal}.GetReference(input), seqLen, 1f, ref {MemoryMarshal}.GetReference(alpha));");
            w.Line();
            w.Line("// Softmax over positions (max-subtracted), giving the attention weights αᵢ.");
            w.Line($"{SoftmaxKernels}.SoftmaxInPlace(alpha);");
            w.Line();
            w.Line("// Pool: Σ αᵢ·xᵢ.");
            w.Line($"{RowKernels("PoolingRow")}.WeightedSum(ref {MemoryMarshal}.GetReference(alpha), ref {MemoryMarshal}.GetReference(input), seqLen, ref _pooledRow.Reference);");
            w.Line();
            w.Line("// Output layer: y = W_o·pooled + b_o.");
            w.Line($"{LinearKernels}.Forward(_pooledRow.Span, {WeightsEmitter.Local}.OutputWeight, {WeightsEmitter.Local}.OutputBias, output, 1, InputDim, OutputDim);");
        }

        w.Line();
        WeightsEmitter.EmitWeightsType(w, body.Weights, declaration.Name);
    }

    /// <summary>The plan: the pooling's dims and its four tensors.</summary>
    internal sealed record Body(int InputDim, int MaxSeqLen, int OutputDim) : LayerBody
    {
        public IReadOnlyList<WeightPlan> Weights => new[]
        {
            WeightPlan.Named("score.weight", 1, "1", InputDim, "InputDim"),
            WeightPlan.Named("score.bias", 1, "1", 0, ""),
            WeightPlan.Named("output.weight", OutputDim, "OutputDim", InputDim, "InputDim"),
            WeightPlan.Named("output.bias", OutputDim, "OutputDim", 0, ""),
        };

        public override EquatableArray<string> GeneratedMembers =>
            new[] { "InputDim", "MaxSeqLen", "OutputDim", "PoolingRow", "_poolingWeights", "_pooledRow", "Forward", "PoolSequence", ExclusiveUseEmitter.Field }
                .Concat(WeightsEmitter.Members).ToEquatableArray();

        public override EquatableArray<BufferPlan> Buffers => new[]
        {
            new BufferPlan("the attention weights", MaxSeqLen, "MaxSeqLen"),
            new BufferPlan("the output weights", BufferPlan.Product(OutputDim, InputDim), "OutputDim"),
            new BufferPlan("an input block", BufferPlan.Product(MaxSeqLen, InputDim), "MaxSeqLen", IsAllocated: false),
        }.ToEquatableArray();
    }
}
