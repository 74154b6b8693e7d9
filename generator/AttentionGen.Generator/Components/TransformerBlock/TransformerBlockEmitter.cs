using AttentionGen.Generator.Components.AttentionCore;
using AttentionGen.Generator.Components.Linear;
using AttentionGen.Generator.Emit;
using AttentionGen.Generator.Layers;
using static AttentionGen.Generator.Emit.Literals;
using static AttentionGen.Generator.Emit.Names;

namespace AttentionGen.Generator.Components.TransformerBlock;

/// <summary>
/// Writes a transformer block's part of a class: its constants, its scratch, and <c>RunBlock</c>, which runs the block
/// in place over a packed group of sequences, or (with a cache) over the next tokens of one sequence. A model calls it
/// once per block with that block's index.
/// </summary>
internal static class TransformerBlockEmitter
{
    private const string Kernels = "global::AttentionGen.Kernels";

    public static void EmitConstants(SourceWriter w, TransformerBlockPlan block)
    {
        w.Constant("int", "ModelDim", Int(block.ModelDim), "Width of the hidden states: every token's row in and out of a block.");
        w.Constant("int", "FfnDim", Int(block.FfnDim), "Width of the feed-forward network's hidden layer.");
        w.Constant("float", "NormEpsilon", Float(block.NormEpsilon), $"Added to the {(block.Norm == NormKind.LayerNorm ? "variance" : "mean square")} in every {block.Norm}.");
        w.Constant("int", "MaxBatchTokens", Int(block.MaxBatchTokens), block.UsesCache
            ? "Most tokens one pass runs at once; a longer prompt is prefilled in chunks of this many."
            : "Most tokens one pass runs at once; a larger packed batch runs in groups of whole sequences.");
        if (block.HasRope)
        {
            w.Constant("int", "RopeDim", Int(block.RopeDim), "Floats of each head that rotate with the token's position (rotate-half layout).");
            w.Constant("float", "RopeTheta", Float(block.RopeTheta), block.RopeScaling is not null
                ? "The rotary base θ: pair i turns by position · θ^(−2i/RopeDim), scaled as Llama 3 scales it (below)."
                : block.LinearRopeScaling > 0
                    ? "The rotary base θ: pair i turns by position · θ^(−2i/RopeDim) / RopeScalingFactor (linear scaling)."
                    : "The rotary base θ: pair i turns by position · θ^(−2i/RopeDim).");
        }

        if (block.LinearRopeScaling > 0)
        {
            w.Constant("float", "RopeScalingFactor", Float(block.LinearRopeScaling), block.HasLocalRope
                ? "Linear rotary scaling: the full layers' pairs turn this many times slower (the windowed layers' not)."
                : "Linear rotary scaling: every pair turns this many times slower.");
        }

        if (block.RopeScaling is { } scaling)
        {
            w.Constant("float", "RopeScalingFactor", Float(scaling.Factor), "Llama 3 rotary scaling: how many times slower a pair turns whose wavelength is past RopeOriginalMaxPositions / RopeLowFrequencyFactor.");
            w.Constant("float", "RopeLowFrequencyFactor", Float(scaling.LowFrequencyFactor), "Llama 3 rotary scaling: wavelengths past RopeOriginalMaxPositions / this are scaled whole.");
            w.Constant("float", "RopeHighFrequencyFactor", Float(scaling.HighFrequencyFactor), "Llama 3 rotary scaling: wavelengths under RopeOriginalMaxPositions / this keep their frequency; those between blend.");
            w.Constant("int", "RopeOriginalMaxPositions", Int(scaling.OriginalMaxPositions), "Llama 3 rotary scaling: the context length the model was first trained at.");
        }

        if (block.SlidingWindow > 0)
        {
            w.Constant("int", "SlidingWindow", Int(block.SlidingWindow), block.WindowBites
                ? "A windowed layer's token at position p attends to the keys at positions p − SlidingWindow + 1 … p only."
                : "A windowed layer's token at position p attends to the keys at positions p − SlidingWindow + 1 … p only: never fewer than the cache holds.");
            w.Constant("int", "SlidingWindowPattern", Int(block.SlidingWindowPattern), block.SlidingWindowPattern == 0
                ? "Every layer is windowed."
                : "Layer i is windowed unless (i + 1) % SlidingWindowPattern == 0.");
        }

        if (block.HasLocalRope)
        {
            w.Constant("float", "LocalRopeTheta", Float(block.LocalRopeTheta), "The windowed layers' rotary base θ (RopeTheta is the full layers').");
        }

        if (block.ResidualMultiplier > 0)
        {
            w.Constant("float", "ResidualMultiplier", Float(block.ResidualMultiplier), "Multiplies each sublayer's output before it joins the residual stream.");
        }

        if (block.SkipsRopeInSomeLayers)
        {
            w.Constant("int", "NoRopeInterval", Int(block.NoRopeInterval), "Layer i rotates Q and K unless (i + 1) % NoRopeInterval == 0: those layers attend by content alone.");
        }

        AttentionCoreEmitter.EmitConstants(w, block.Core);
    }

    /// <param name="ropePositions">The constant naming how many positions the rotary tables cover.</param>
    public static void EmitScratch(SourceWriter w, TransformerBlockPlan block, string ropePositions)
    {
        AttentionCoreEmitter.EmitScratch(w, block.Core);
        foreach (var (field, width, _, _) in block.Scratch)
        {
            w.Line($"private readonly {AlignedBuffer} {field} = new(MaxBatchTokens * {width});");
        }

        if (block.HasRope)
        {
            w.Line($"// cos and sin of every position's angles: the same for every instance, so computed once per type.");
            w.Line(block.RopeScaling is not null
                ? $"private static readonly {Kernels}.RopeTables RopeTables = new({ropePositions}, RopeDim, RopeTheta, " +
                  $"new {Kernels}.Llama3RopeScaling(RopeScalingFactor, RopeLowFrequencyFactor, RopeHighFrequencyFactor, RopeOriginalMaxPositions));"
                : block.LinearRopeScaling > 0
                    ? $"private static readonly {Kernels}.RopeTables RopeTables = new({ropePositions}, RopeDim, RopeTheta, new {Kernels}.LinearRopeScaling(RopeScalingFactor));"
                    : $"private static readonly {Kernels}.RopeTables RopeTables = new({ropePositions}, RopeDim, RopeTheta);");
            if (block.HasLocalRope)
            {
                w.Line($"private static readonly {Kernels}.RopeTables LocalRopeTables = new({ropePositions}, RopeDim, LocalRopeTheta);");
            }
        }

        if (block.SlidingWindow > 0)
        {
            w.Line();
            w.Line("/// <summary>Whether layer <paramref name=\"layer\"/> attends within the sliding window (and rotates by its own base).</summary>");
            w.Line(block.SlidingWindowPattern == 0
                ? "private static bool IsWindowed(int layer) => true;"
                : "private static bool IsWindowed(int layer) => (layer + 1) % SlidingWindowPattern != 0;");
        }

        if (block.SkipsRopeInSomeLayers)
        {
            w.Line();
            w.Line("/// <summary>Whether layer <paramref name=\"layer\"/> rotates Q and K by their positions.</summary>");
            w.Line("private static bool RotatesPositions(int layer) => (layer + 1) % NoRopeInterval != 0;");
        }
    }

    /// <param name="layered">Whether the block's tensors are per block (a model's), read with the block's index.</param>
    public static void EmitRunBlock(SourceWriter w, TransformerBlockPlan block, bool layered)
    {
        var layer = layered ? "layer" : null;
        w.Line("/// <summary>");
        var kind = block.PostSublayerNorm ? "output-normalized" : block.PreNorm ? "pre-norm" : "post-norm";
        if (block.UsesCache)
        {
            w.Line($"/// One {kind} transformer block, in place on <paramref name=\"hidden\"/> [tokens, ModelDim]: the next tokens of the sequence, at");
            w.Line(block.WindowBites
                ? "/// <paramref name=\"position\"/>. Their keys and values join the block's cache, and they attend to everything cached so far (a windowed layer, to its window)."
                : "/// <paramref name=\"position\"/>. Their keys and values join the block's cache, and they attend to everything cached so far.");
        }
        else
        {
            w.Line($"/// One {kind} transformer block, in place on <paramref name=\"hidden\"/> [tokens, ModelDim]: a packed group of");
            w.Line("/// sequences, <paramref name=\"lengths\"/> tokens each, that the linear layers take all at once and attention takes one by one.");
            if (block.PaddingMask)
            {
                w.Line("/// <paramref name=\"attentionMask\"/> is empty, or one checked 0 or 1 per token of the group: each sequence then attends to its");
                w.Line("/// unmasked keys only.");
            }
        }

        w.Line("/// </summary>");
        var layerParameter = layered ? "int layer, " : "";
        var tail = block.UsesCache ? "int tokens, int position"
            : block.PaddingMask ? "global::System.ReadOnlySpan<int> lengths, int tokens, global::System.ReadOnlySpan<int> attentionMask"
            : "global::System.ReadOnlySpan<int> lengths, int tokens";
        using (w.Block($"private void RunBlock(Weights {WeightsEmitter.Local}, {layerParameter}{Span} hidden, {tail})"))
        {
            w.Line($"{Span} query = _query.Span.Slice(0, tokens * QueryWidth);");
            if (block.UsesCache)
            {
                w.Line("// This block's cache; the new tokens' keys and values are projected straight into their rows.");
                w.Line($"{Span} keyCache = _keyCache.Span.Slice({layer ?? "0"} * MaxSeqLen * KvWidth, MaxSeqLen * KvWidth);");
                w.Line($"{Span} valueCache = _valueCache.Span.Slice({layer ?? "0"} * MaxSeqLen * KvWidth, MaxSeqLen * KvWidth);");
                w.Line($"{Span} key = keyCache.Slice(position * KvWidth, tokens * KvWidth);");
                w.Line($"{Span} value = valueCache.Slice(position * KvWidth, tokens * KvWidth);");
            }
            else
            {
                w.Line($"{Span} key = _key.Span.Slice(0, tokens * KvWidth);");
                w.Line($"{Span} value = _value.Span.Slice(0, tokens * KvWidth);");
            }

            w.Line($"{Span} attended = _attended.Span.Slice(0, tokens * QueryWidth);");
            w.Line($"{Span} sublayerOutput = _sublayerOutput.Span.Slice(0, tokens * ModelDim);");
            w.Line($"{Span} intermediate = _intermediate.Span.Slice(0, tokens * FfnDim);");
            if (block.IsGated)
            {
                w.Line($"{Span} gate = _gate.Span.Slice(0, tokens * FfnDim);");
            }

            var attentionInput = "hidden";
            if (block.NormsSublayerInputs)
            {
                w.Line($"{Span} normed = _normed.Span.Slice(0, tokens * ModelDim);");
                attentionInput = "normed";
            }

            w.Line();
            w.Line(block.UsesCache
                ? "// Self-attention: Q, K and V for every new token at once; then they attend, causally, to the whole cache."
                : "// Self-attention: Q, K and V for every token at once; then each sequence attends to itself alone.");
            if (block.NormsSublayerInputs)
            {
                EmitNorm(w, "hidden", block.AttentionNorm, "normed", layer);
            }

            LinearEmitter.EmitForward(w, block.Query, attentionInput, "query", "tokens", layer);
            LinearEmitter.EmitForward(w, block.Key, attentionInput, "key", "tokens", layer);
            LinearEmitter.EmitForward(w, block.Value, attentionInput, "value", "tokens", layer);
            if (block.QueryKeyNorm)
            {
                // The block's RMSNorm (Gemma's (1 + gain) form for a Gemma block, as Gemma 3's q_norm and k_norm are).
                var headNorm = RmsNormKernel(block.Norm);
                if (block.QueryKeyNormAcrossHeads)
                {
                    w.Line("// Q and K RMS-normalized before the rotation, each token's row across all heads at once.");
                    w.Line($"{Kernels}.NormKernels.{headNorm}(query, {WeightsEmitter.Tensor(block.QueryNormGain, layer)}, query, tokens, QueryWidth, NormEpsilon);");
                    w.Line($"{Kernels}.NormKernels.{headNorm}(key, {WeightsEmitter.Tensor(block.KeyNormGain, layer)}, key, tokens, KvWidth, NormEpsilon);");
                }
                else
                {
                    w.Line("// Each head of Q and of K RMS-normalized, before the rotation: a head's HeadDim floats are one row.");
                    w.Line($"{Kernels}.NormKernels.{headNorm}(query, {WeightsEmitter.Tensor(block.QueryNormGain, layer)}, query, tokens * Heads, HeadDim, NormEpsilon);");
                    w.Line($"{Kernels}.NormKernels.{headNorm}(key, {WeightsEmitter.Tensor(block.KeyNormGain, layer)}, key, tokens * KvHeads, HeadDim, NormEpsilon);");
                }
            }

            if (block.UsesCache)
            {
                if (block.TellsLayersApart)
                {
                    w.Line("bool windowed = IsWindowed(layer);");
                }

                if (block.HasRope)
                {
                    var tables = "RopeTables";
                    if (block.HasLocalRope)
                    {
                        w.Line($"{Kernels}.RopeTables ropeTables = windowed ? LocalRopeTables : RopeTables;");
                        tables = "ropeTables";
                    }

                    // A layer that skips the rotation (SmolLM3's every fourth) caches its keys unrotated.
                    using (block.SkipsRopeInSomeLayers ? w.Block("if (RotatesPositions(layer))") : null)
                    {
                        EmitRope(w, "query", "tokens", "QueryWidth", "Heads", "position", tables);
                        EmitRope(w, "key", "tokens", "KvWidth", "KvHeads", "position", tables);
                    }
                }

                if (block.WindowBites)
                {
                    w.Line("// A windowed layer reads only the keys its first new token can see; later tokens of a chunk mask the ones before their own window.");
                    w.Line("int firstKey = windowed ? global::System.Math.Max(0, position + 1 - SlidingWindow) : 0;");
                    w.Line("int keys = position + tokens - firstKey;");
                    w.Line($"{ReadOnlySpan} windowMask = windowed ? {Kernels}.SlidingWindowMask.Fill(_windowMask.Span, tokens, position, firstKey, keys, SlidingWindow) : default;");
                    AttentionCoreEmitter.EmitAttend(w, block.Core, "query", "keyCache.Slice(firstKey * KvWidth, keys * KvWidth)",
                        "valueCache.Slice(firstKey * KvWidth, keys * KvWidth)", "windowMask", "attended", "tokens", "keys");
                }
                else
                {
                    AttentionCoreEmitter.EmitAttend(w, block.Core, "query", "keyCache.Slice(0, (position + tokens) * KvWidth)",
                        "valueCache.Slice(0, (position + tokens) * KvWidth)", "default", "attended", "tokens", "position + tokens");
                }
            }
            else
            {
                w.Line("int first = 0;");
                using (w.Block("for (int sequence = 0; sequence < lengths.Length; sequence++)"))
                {
                    w.Line("int length = lengths[sequence];");
                    var sequenceQuery = "query.Slice(first * QueryWidth, length * QueryWidth)";
                    var sequenceKey = "key.Slice(first * KvWidth, length * KvWidth)";
                    if (block.HasRope)
                    {
                        w.Line($"{Span} sequenceQuery = {sequenceQuery};");
                        w.Line($"{Span} sequenceKey = {sequenceKey};");
                        w.Line("// Every sequence of the batch starts at position 0.");
                        EmitRope(w, "sequenceQuery", "length", "QueryWidth", "Heads", "0");
                        EmitRope(w, "sequenceKey", "length", "KvWidth", "KvHeads", "0");
                        (sequenceQuery, sequenceKey) = ("sequenceQuery", "sequenceKey");
                    }

                    var sequenceValue = "value.Slice(first * KvWidth, length * KvWidth)";
                    var sequenceAttended = "attended.Slice(first * QueryWidth, length * QueryWidth)";
                    if (block.PaddingMask)
                    {
                        using (w.Block("if (!attentionMask.IsEmpty)"))
                        {
                            w.Line("// Padding is masked on keys only: the padded keys and values are dropped, every query row still attends.");
                            var keyPanels = block.Core.HasTiles ? block.Core.KeyPanelsField + ".Span" : "default";
                            w.Line($"{Kernels}.PaddedAttention<{block.Core.ShapeType}>.Attend({sequenceQuery}, {sequenceKey}, {sequenceValue}, " +
                                $"attentionMask.Slice(first, length), {sequenceAttended}, length, {block.Core.ScoresField}.Span, {keyPanels});");
                            w.Line("first += length;");
                            w.Line("continue;");
                        }

                        w.Line();
                    }

                    AttentionCoreEmitter.EmitAttend(w, block.Core, sequenceQuery, sequenceKey, sequenceValue, "default", sequenceAttended, "length", "length");
                    w.Line("first += length;");
                }

                w.Line();
            }

            LinearEmitter.EmitForward(w, block.AttentionOutput, "attended", "sublayerOutput", "tokens", layer);
            if (block.NormsSublayerOutputs)
            {
                EmitNorm(w, "sublayerOutput", block.PostAttentionNorm, "sublayerOutput", layer);
            }

            EmitResidual(w, block, block.AttentionNorm, layer);
            w.Line();
            w.Line($"// Feed-forward: {Describe(block.Activation)}, over every token at once.");
            var ffnInput = "hidden";
            if (block.NormsSublayerInputs)
            {
                EmitNorm(w, "hidden", block.OutputNorm, "normed", layer);
                ffnInput = "normed";
            }

            if (block.IsGated)
            {
                LinearEmitter.EmitForward(w, block.Gate, ffnInput, "gate", "tokens", layer);
                LinearEmitter.EmitForward(w, block.Intermediate, ffnInput, "intermediate", "tokens", layer);
                w.Line($"{Kernels}.ActivationKernels.{(block.Activation == ActivationKind.GeGluTanh ? "GeGluTanh" : "SwiGlu")}(gate, intermediate, intermediate);");
            }
            else
            {
                LinearEmitter.EmitForward(w, block.Intermediate, ffnInput, "intermediate", "tokens", layer);
                w.Line($"{Kernels}.ActivationKernels.{Kernel(block.Activation)}(intermediate);");
            }

            LinearEmitter.EmitForward(w, block.Output, "intermediate", "sublayerOutput", "tokens", layer);
            if (block.NormsSublayerOutputs)
            {
                EmitNorm(w, "sublayerOutput", block.PostFeedForwardNorm, "sublayerOutput", layer);
            }

            EmitResidual(w, block, block.OutputNorm, layer);
        }
    }

    /// <summary>The norm of <paramref name="input"/>'s <c>tokens</c> rows into <paramref name="output"/> (which may be the input).</summary>
    public static void EmitNorm(SourceWriter w, string input, NormWeights norm, string output, string? layer, string rows = "tokens")
    {
        var gain = WeightsEmitter.Tensor(norm.Gain, layer);
        w.Line(norm.Bias is { } bias
            ? $"{Kernels}.NormKernels.LayerNorm({input}, {gain}, {WeightsEmitter.Tensor(bias, layer)}, {output}, {rows}, ModelDim, NormEpsilon);"
            : $"{Kernels}.NormKernels.{RmsNormKernel(norm.Kind)}({input}, {gain}, {output}, {rows}, ModelDim, NormEpsilon);");
    }

    /// <summary>The <c>NormKernels</c> method of an RMSNorm kind: Gemma's (1 + gain) form or the plain one.</summary>
    private static string RmsNormKernel(NormKind kind) => kind == NormKind.GemmaRmsNorm ? "GemmaRmsNorm" : "RmsNorm";

    /// <summary>
    /// Post-norm: <c>hidden = Norm(hidden + sublayer)</c> (fused for LayerNorm). Pre-norm: <c>hidden += sublayer</c>, the
    /// sublayer first scaled by a residual multiplier (Granite; decoders only, which are pre-norm).
    /// </summary>
    private static void EmitResidual(SourceWriter w, TransformerBlockPlan block, NormWeights norm, string? layer)
    {
        if (!block.PreNorm && norm.Bias is { } bias)
        {
            w.Line($"{Kernels}.NormKernels.AddLayerNorm(hidden, sublayerOutput, {WeightsEmitter.Tensor(norm.Gain, layer)}, " +
                $"{WeightsEmitter.Tensor(bias, layer)}, hidden, tokens, ModelDim, NormEpsilon);");
            return;
        }

        if (block.ResidualMultiplier > 0)
        {
            w.Line($"{Kernels}.ElementwiseKernels.Multiply(sublayerOutput, ResidualMultiplier);");
        }

        w.Line($"{Kernels}.ElementwiseKernels.Add(hidden, sublayerOutput, hidden);");
        if (!block.PreNorm)
        {
            EmitNorm(w, "hidden", norm, "hidden", layer);
        }
    }

    private static void EmitRope(SourceWriter w, string rows, string tokens, string rowWidth, string heads, string firstPosition, string tables = "RopeTables") =>
        w.Line($"{Kernels}.RopeKernels.RotateHalf({rows}, {tokens}, {rowWidth}, {heads}, HeadDim, RopeDim, {tables}.Cos, {tables}.Sin, {firstPosition});");

    private static string Kernel(ActivationKind activation) => activation switch
    {
        ActivationKind.GeluTanh => "GeluTanh",
        ActivationKind.Relu => "Relu",
        ActivationKind.Silu => "Silu",
        _ => "GeluErf",
    };

    private static string Describe(ActivationKind activation) => activation switch
    {
        ActivationKind.GeluTanh => "GELU (tanh form) between two linear layers",
        ActivationKind.Relu => "ReLU between two linear layers",
        ActivationKind.Silu => "SiLU between two linear layers",
        ActivationKind.SwiGlu => "SwiGLU, down(silu(gate(x)) ⊙ up(x))",
        ActivationKind.GeGluTanh => "GeGLU, down(gelu_tanh(gate(x)) ⊙ up(x))",
        _ => "GELU (exact, erf) between two linear layers",
    };
}
