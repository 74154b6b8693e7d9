using AttentionGen.Generator.Components.AttentionCore;
using AttentionGen.Generator.Components.Linear;
using AttentionGen.Generator.Emit;
using AttentionGen.Generator.Layers;
using AttentionGen.Generator.Planning;
using static AttentionGen.Generator.Emit.Literals;
using static AttentionGen.Generator.Emit.Names;

namespace AttentionGen.Generator.Components.TransformerBlock;

/// <summary>
/// Writes a transformer block's part of a class: its constants, its scratch, and <c>RunBlock</c>, which runs the block
/// in place over a packed group of sequences. A model calls it once per block with that block's index.
/// </summary>
internal static class TransformerBlockEmitter
{
    public static void EmitConstants(SourceWriter w, TransformerBlockPlan block)
    {
        w.Constant("int", "ModelDim", Int(block.ModelDim), "Width of the hidden states: every token's row in and out of a block.");
        w.Constant("int", "FfnDim", Int(block.FfnDim), "Width of the feed-forward network's hidden layer.");
        w.Constant("float", "NormEpsilon", Float(block.NormEpsilon), "Added to the variance in every LayerNorm.");
        w.Constant("int", "MaxBatchTokens", Int(block.MaxBatchTokens), "Most tokens one pass runs at once; a larger packed batch runs in groups of whole sequences.");
        AttentionCoreEmitter.EmitConstants(w, block.Core);
    }

    public static void EmitScratch(SourceWriter w, TransformerBlockPlan block)
    {
        AttentionCoreEmitter.EmitScratch(w, block.Core);
        foreach (var (field, width, _, _) in block.Scratch)
        {
            w.Line($"private readonly {AlignedBuffer} {field} = new(MaxBatchTokens * {width});");
        }
    }

    /// <param name="layered">Whether the block's tensors are per block (a model's), read with the block's index.</param>
    public static void EmitRunBlock(SourceWriter w, TransformerBlockPlan block, bool layered)
    {
        var layer = layered ? "layer" : null;
        w.Line("/// <summary>");
        w.Line($"/// One {(block.PreNorm ? "pre-norm" : "post-norm")} transformer block, in place on <paramref name=\"hidden\"/> [tokens, ModelDim]: a packed group of");
        w.Line("/// sequences, <paramref name=\"lengths\"/> tokens each, that the linear layers take all at once and attention takes one by one.");
        w.Line("/// </summary>");
        var layerParameter = layered ? "int layer, " : "";
        using (w.Block($"private void RunBlock(Weights {WeightsEmitter.Local}, {layerParameter}{Span} hidden, global::System.ReadOnlySpan<int> lengths, int tokens)"))
        {
            w.Line($"{Span} query = _query.Span.Slice(0, tokens * QueryWidth);");
            w.Line($"{Span} key = _key.Span.Slice(0, tokens * KvWidth);");
            w.Line($"{Span} value = _value.Span.Slice(0, tokens * KvWidth);");
            w.Line($"{Span} attended = _attended.Span.Slice(0, tokens * QueryWidth);");
            w.Line($"{Span} sublayerOutput = _sublayerOutput.Span.Slice(0, tokens * ModelDim);");
            w.Line($"{Span} intermediate = _intermediate.Span.Slice(0, tokens * FfnDim);");
            var attentionInput = "hidden";
            if (block.PreNorm)
            {
                w.Line($"{Span} normed = _normed.Span.Slice(0, tokens * ModelDim);");
                attentionInput = "normed";
            }

            w.Line();
            w.Line("// Self-attention: Q, K and V for every token at once; then each sequence attends to itself alone.");
            if (block.PreNorm)
            {
                EmitLayerNorm(w, "hidden", block.AttentionNorm, "normed", layer);
            }

            LinearEmitter.EmitForward(w, block.Query, attentionInput, "query", "tokens", layer);
            LinearEmitter.EmitForward(w, block.Key, attentionInput, "key", "tokens", layer);
            LinearEmitter.EmitForward(w, block.Value, attentionInput, "value", "tokens", layer);
            w.Line("int first = 0;");
            using (w.Block("for (int sequence = 0; sequence < lengths.Length; sequence++)"))
            {
                w.Line("int length = lengths[sequence];");
                AttentionCoreEmitter.EmitAttend(w, block.Core,
                    "query.Slice(first * QueryWidth, length * QueryWidth)", "key.Slice(first * KvWidth, length * KvWidth)",
                    "value.Slice(first * KvWidth, length * KvWidth)", "default", "attended.Slice(first * QueryWidth, length * QueryWidth)", "length", "length");
                w.Line("first += length;");
            }

            w.Line();
            LinearEmitter.EmitForward(w, block.AttentionOutput, "attended", "sublayerOutput", "tokens", layer);
            EmitResidual(w, block, block.AttentionNorm, layer);
            w.Line();
            w.Line($"// Feed-forward: {Describe(block.Activation)} between two linear layers, over every token at once.");
            var ffnInput = "hidden";
            if (block.PreNorm)
            {
                EmitLayerNorm(w, "hidden", block.OutputNorm, "normed", layer);
                ffnInput = "normed";
            }

            LinearEmitter.EmitForward(w, block.Intermediate, ffnInput, "intermediate", "tokens", layer);
            w.Line($"global::AttentionGen.Kernels.ActivationKernels.{Kernel(block.Activation)}(intermediate);");
            LinearEmitter.EmitForward(w, block.Output, "intermediate", "sublayerOutput", "tokens", layer);
            EmitResidual(w, block, block.OutputNorm, layer);
        }
    }

    /// <summary>Post-norm: <c>hidden = Norm(hidden + sublayer)</c>, fused. Pre-norm: <c>hidden += sublayer</c>.</summary>
    private static void EmitResidual(SourceWriter w, TransformerBlockPlan block, (WeightPlan Gain, WeightPlan Bias) norm, string? layer)
    {
        if (block.PreNorm)
        {
            w.Line("global::AttentionGen.Kernels.ElementwiseKernels.Add(hidden, sublayerOutput, hidden);");
        }
        else
        {
            w.Line($"global::AttentionGen.Kernels.NormKernels.AddLayerNorm(hidden, sublayerOutput, {WeightsEmitter.Tensor(norm.Gain, layer)}, " +
                $"{WeightsEmitter.Tensor(norm.Bias, layer)}, hidden, tokens, ModelDim, NormEpsilon);");
        }
    }

    private static void EmitLayerNorm(SourceWriter w, string input, (WeightPlan Gain, WeightPlan Bias) norm, string output, string? layer) =>
        w.Line($"global::AttentionGen.Kernels.NormKernels.LayerNorm({input}, {WeightsEmitter.Tensor(norm.Gain, layer)}, " +
            $"{WeightsEmitter.Tensor(norm.Bias, layer)}, {output}, tokens, ModelDim, NormEpsilon);");

    private static string Kernel(ActivationKind activation) => activation switch
    {
        ActivationKind.GeluTanh => "GeluTanh",
        ActivationKind.Relu => "Relu",
        _ => "GeluErf",
    };

    private static string Describe(ActivationKind activation) => activation switch
    {
        ActivationKind.GeluTanh => "GELU (tanh form)",
        ActivationKind.Relu => "ReLU",
        _ => "GELU (exact, erf)",
    };
}
