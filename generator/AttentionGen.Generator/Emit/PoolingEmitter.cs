using AttentionGen.Generator.Planning;
using static AttentionGen.Generator.Emit.Literals;

namespace AttentionGen.Generator.Emit;

/// <summary>Emits the body of an <c>[AttentionPooling]</c> layer: score each position, softmax, pool, output layer.</summary>
internal static class PoolingEmitter
{
    public static void EmitBody(SourceWriter w, LayerPlan plan)
    {
        var pooling = plan.Pooling!;
        LayerEmitter.Constant(w, "int", "InputDim", Int(pooling.InputDim), "Width of each input row.");
        LayerEmitter.Constant(w, "int", "MaxSeqLen", Int(pooling.MaxSeqLen), "Largest sequence length a call may pass.");
        LayerEmitter.Constant(w, "int", "OutputDim", Int(pooling.OutputDim), "Width of the output.");

        w.Line("// Scratch, allocated once per instance so Forward allocates nothing.");
        w.Line("private readonly AlignedBuffer _attentionWeights = new(MaxSeqLen);");
        w.Line("private readonly AlignedBuffer _pooled = new(InputDim);");
        w.Line();
        WeightsEmitter.EmitFields(w, plan);

        w.Line("/// <summary>");
        w.Line("/// Pools <paramref name=\"input\"/> [seqLen, InputDim] into one row and maps it to <paramref name=\"output\"/> [OutputDim].");
        w.Line("/// Allocates nothing.");
        w.Line("/// </summary>");
        using (w.Block("public void Forward(ReadOnlySpan<float> input, Span<float> output, int seqLen)"))
        {
            EmitChecks(w);
            w.Line("PoolSequence(input, output, _attentionWeights.Span.Slice(0, seqLen), seqLen);");
        }

        w.Line();
        w.Line("/// <summary>");
        w.Line("/// As <see cref=\"Forward(ReadOnlySpan{float}, Span{float}, int)\"/>, and also writes the attention weight of each");
        w.Line("/// position (they sum to 1) to <paramref name=\"attentionWeights\"/>, to show which positions mattered.");
        w.Line("/// </summary>");
        using (w.Block("public void Forward(ReadOnlySpan<float> input, Span<float> output, Span<float> attentionWeights, int seqLen)"))
        {
            EmitChecks(w);
            w.Line("Guard.HasRows(attentionWeights, seqLen, 1, nameof(attentionWeights));");
            w.Line("PoolSequence(input, output, attentionWeights.Slice(0, seqLen), seqLen);");
        }

        w.Line();
        WeightsEmitter.EmitApi(w, plan);
        w.Line();
        w.Line("/// <summary>Scores each position, turns the scores into weights, pools, and applies the output layer.</summary>");
        w.Line("[MethodImpl(MethodImplOptions.AggressiveOptimization)]");
        using (w.Block("private void PoolSequence(ReadOnlySpan<float> input, Span<float> output, Span<float> weights, int seqLen)"))
        {
            w.Line("ref float inputStart = ref MemoryMarshal.GetReference(input);");
            w.Line("ref float weightsStart = ref MemoryMarshal.GetReference(weights);");
            w.Line();
            w.Line("// Scores: one logit per position, xᵢ·w. score.bias is left out on purpose: it shifts every logit equally and");
            w.Line("// softmax ignores shifts, so it cannot change the weights. It is still a parameter so PyTorch checkpoints load.");
            w.Line("ScorePositions(ref MemoryMarshal.GetArrayDataReference(_scoreWeight), ref inputStart, seqLen, 1f, ref weightsStart);");
            w.Line();
            w.Line("// Softmax over positions (max-subtracted), giving the attention weights αᵢ.");
            w.Line("SoftmaxKernels.SoftmaxInPlace(weights);");
            w.Line();
            w.Line("// Pool: Σ αᵢ·xᵢ.");
            w.Line("PoolPositions(ref weightsStart, ref inputStart, seqLen, ref _pooled.Reference);");
            w.Line();
            w.Line("// Output layer: y = W_o·pooled + b_o.");
            w.Line("LinearKernels.Forward(_pooled.Span, _outputWeight, _outputBias, output, 1, InputDim, OutputDim);");
        }
    }

    private static void EmitChecks(SourceWriter w)
    {
        w.Line("Guard.Length(seqLen, MaxSeqLen, nameof(seqLen));");
        w.Line("Guard.HasRows(input, seqLen, InputDim, nameof(input));");
        w.Line("Guard.HasRows(output, 1, OutputDim, nameof(output));");
    }
}
