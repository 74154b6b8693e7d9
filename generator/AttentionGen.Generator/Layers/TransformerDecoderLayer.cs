using System.Collections.Generic;
using System.Linq;
using AttentionGen.Generator.Components.AttentionCore;
using AttentionGen.Generator.Components.TransformerBlock;
using AttentionGen.Generator.Emit;
using AttentionGen.Generator.Model;
using AttentionGen.Generator.Planning;
using AttentionGen.Generator.Validation;
using static AttentionGen.Generator.Emit.Literals;
using static AttentionGen.Generator.Emit.Names;
using static AttentionGen.Generator.Validation.Rules;

namespace AttentionGen.Generator.Layers;

/// <summary>
/// <c>[TransformerDecoder]</c>: a Llama-family language model. A token embedding, <c>Layers</c> pre-norm blocks with
/// causal, rotary, cached self-attention, a final norm, and the LM head. An instance is one sequence: it owns the
/// key/value cache of every block and the position it has reached.
/// </summary>
internal sealed class TransformerDecoderLayer : LayerDefinition<TransformerDecoderSpec, TransformerDecoderLayer.Body>
{
    private const string Kernels = "global::AttentionGen.Kernels";

    /// <summary>Prefill chunk when MaxBatchTokens is left out: enough rows for the GEMMs' tiles, little scratch.</summary>
    private const int DefaultPrefillChunk = 256;

    public override string AttributeMetadataName => "AttentionGen.TransformerDecoderAttribute";

    public override string AttributeName => "TransformerDecoder";

    protected override void Validate(TransformerDecoderSpec spec, List<ValidationIssue> issues)
    {
        RequirePositive(issues, "Vocab", spec.Vocab);
        RequirePositive(issues, "Layers", spec.Layers);
        RequirePositive(issues, "Heads", spec.Heads);
        RequirePositive(issues, "MaxSeqLen", spec.MaxSeqLen);
        RejectNegative(issues, "KvHeads", spec.KvHeads);
        if (spec.Heads > 0 && spec.KvHeads > 0 && spec.Heads % spec.KvHeads != 0)
        {
            issues.Add(Issue(DiagnosticIds.HeadsNotDivisibleByKvHeads, "KvHeads", Format(spec.Heads), Format(spec.KvHeads)));
        }

        RequireZeroOrPositiveFinite(issues, DiagnosticIds.InvalidScale, "Scale", spec.Scale);
        RequireZeroOrPositiveFinite(issues, DiagnosticIds.InvalidSoftcap, "Softcap", spec.Softcap);
        RequireZeroOrPositiveFinite(issues, DiagnosticIds.InvalidSoftcap, "FinalLogitSoftcap", spec.FinalLogitSoftcap);
        ValidateMultipliers(spec, issues);
        ValidateNormPlacement(spec, issues);
        TransformerRules.Validate(spec, issues);
        TransformerRules.RejectUnreadRopeOptions(spec, issues);
        ValidateLayerPatterns(spec, issues);
        TransformerRules.RequireMember(issues, "WeightFormat", spec.WeightFormat);
        TransformerRules.RequireMember(issues, "Positions", spec.Positions);
        RejectNegative(issues, "MaxPositions", spec.MaxPositions);
        if (spec.Positions == PositionKind.Rope && spec.MaxPositions > 0)
        {
            // Read as a Llama config's max_position_embeddings it would seem to bound the sequence, but nothing reads it.
            issues.Add(Issue(DiagnosticIds.OptionOutOfRange, "MaxPositions", "MaxPositions", Format(spec.MaxPositions),
                "left out with rotary positions: it sizes the learned position table (PositionKind.Learned), and MaxSeqLen bounds the sequence"));
        }
        else if (spec.Positions == PositionKind.Learned && spec.MaxPositions > 0 && spec.MaxPositions < spec.MaxSeqLen)
        {
            issues.Add(Issue(DiagnosticIds.OptionOutOfRange, "MaxPositions", "MaxPositions", Format(spec.MaxPositions),
                $"0 or at least MaxSeqLen ({Format(spec.MaxSeqLen)}): every cached position needs a row of the position table"));
        }

        if (spec.WeightNames == WeightNames.Bert)
        {
            issues.Add(Issue(DiagnosticIds.OptionOutOfRange, "WeightNames", "WeightNames", "Bert", "HfLlama or Gpt2: a decoder has no BERT checkpoint"));
        }

        if (spec.WeightNames == WeightNames.Gpt2 && (spec.Positions != PositionKind.Learned || !spec.TiedEmbeddings))
        {
            issues.Add(Issue(DiagnosticIds.OptionOutOfRange, "WeightNames", "WeightNames", "Gpt2",
                "used with Positions = PositionKind.Learned and TiedEmbeddings = true: GPT-2 checkpoints hold a learned position table (wpe) and no separate LM head"));
        }

        if (spec.WeightNames == WeightNames.HfLlama && spec.Positions == PositionKind.Learned)
        {
            issues.Add(Issue(DiagnosticIds.OptionOutOfRange, "Positions", "Positions", "Learned",
                "PositionKind.Rope with WeightNames.HfLlama: Llama checkpoints have no position table (use WeightNames.Gpt2)"));
        }
        TransformerRules.WarnHeadTooWideForTiles(spec, issues);
    }

    /// <summary>
    /// The options that tell layers apart: the window's mean something only together, and its own rotary base, like the
    /// choice of layers that skip the rotation, only with rotary positions.
    /// </summary>
    private static void ValidateLayerPatterns(TransformerDecoderSpec spec, List<ValidationIssue> issues)
    {
        RejectNegative(issues, "SlidingWindow", spec.SlidingWindow);
        RejectNegative(issues, "SlidingWindowPattern", spec.SlidingWindowPattern);
        if (spec.SlidingWindow == 0 && spec.SlidingWindowPattern != 0)
        {
            issues.Add(Issue(DiagnosticIds.OptionOutOfRange, "SlidingWindowPattern", "SlidingWindowPattern", Format(spec.SlidingWindowPattern),
                "0 without a SlidingWindow: there is no window to apply to some layers"));
        }
        else if (spec.SlidingWindowPattern == 1)
        {
            // (i + 1) % 1 is 0 for every layer, so every layer would be full and the window would apply to none.
            issues.Add(Issue(DiagnosticIds.OptionOutOfRange, "SlidingWindowPattern", "SlidingWindowPattern", "1",
                "0 (every layer windowed) or at least 2: with 1 every layer is full, and the SlidingWindow applies to none"));
        }

        if (spec.LocalRopeTheta != 0 && (spec.SlidingWindow == 0 || spec.Positions != PositionKind.Rope))
        {
            issues.Add(Issue(DiagnosticIds.OptionOutOfRange, "LocalRopeTheta", "LocalRopeTheta", Format(spec.LocalRopeTheta),
                "0 without a SlidingWindow and rotary positions: it is the windowed layers' rotary base"));
        }
        else if (spec.LocalRopeTheta != 0 && (!IsFinite(spec.LocalRopeTheta) || spec.LocalRopeTheta <= 1))
        {
            issues.Add(Issue(DiagnosticIds.OptionOutOfRange, "LocalRopeTheta", "LocalRopeTheta", Format(spec.LocalRopeTheta), "0 or a finite number greater than 1"));
        }

        RejectNegative(issues, "NoRopeInterval", spec.NoRopeInterval);
        if (spec.NoRopeInterval > 0 && spec.Positions != PositionKind.Rope)
        {
            issues.Add(Issue(DiagnosticIds.OptionOutOfRange, "NoRopeInterval", "NoRopeInterval", Format(spec.NoRopeInterval),
                "0 without rotary positions: it names the layers that skip the rotation"));
        }
    }

    /// <summary>OLMo 2's norms: after the sublayers instead of before (not both: that is SandwichNorm), and Q/K norms across heads.</summary>
    private static void ValidateNormPlacement(TransformerDecoderSpec spec, List<ValidationIssue> issues)
    {
        if (spec.PostSublayerNorm && (spec.SandwichNorm || spec.WeightNames != WeightNames.HfLlama))
        {
            issues.Add(Issue(DiagnosticIds.OptionOutOfRange, "PostSublayerNorm", "PostSublayerNorm", "true",
                "false with SandwichNorm (which norms inputs and outputs both) or with GPT-2's names (which have no norm after a sublayer)"));
        }

        if (spec.QueryKeyNormAcrossHeads && !spec.QueryKeyNorm)
        {
            issues.Add(Issue(DiagnosticIds.OptionOutOfRange, "QueryKeyNormAcrossHeads", "QueryKeyNormAcrossHeads", "true",
                "false without QueryKeyNorm: it says how Q and K are normalized"));
        }
    }

    /// <summary>Granite's factors: each 0 (none) or finite and positive, and one embedding factor at most.</summary>
    private static void ValidateMultipliers(TransformerDecoderSpec spec, List<ValidationIssue> issues)
    {
        foreach (var (property, value) in new[] { ("EmbeddingMultiplier", spec.EmbeddingMultiplier), ("ResidualMultiplier", spec.ResidualMultiplier), ("LogitsScaling", spec.LogitsScaling) })
        {
            if (!IsFinite(value) || value < 0)
            {
                issues.Add(Issue(DiagnosticIds.OptionOutOfRange, property, property, Format(value), "0 (none) or a finite positive factor"));
            }
        }

        if (spec.ScaleEmbeddings && spec.EmbeddingMultiplier > 0)
        {
            issues.Add(Issue(DiagnosticIds.OptionOutOfRange, "EmbeddingMultiplier", "EmbeddingMultiplier", Format(spec.EmbeddingMultiplier),
                "0 with ScaleEmbeddings: the embeddings take one factor, √ModelDim or this"));
        }
    }

    protected override Body Plan(TransformerDecoderSpec spec)
    {
        var chunk = spec.MaxBatchTokens > 0 ? System.Math.Min(spec.MaxBatchTokens, spec.MaxSeqLen) : System.Math.Min(spec.MaxSeqLen, DefaultPrefillChunk);
        var block = TransformerRules.Plan(spec, spec.KvHeads, causal: true, spec.Softcap, chunk, spec.MaxSeqLen) with
        {
            UsesCache = true,
            Bfloat16Weights = spec.WeightFormat == WeightFormat.BFloat16,
            SlidingWindow = spec.SlidingWindow,
            SlidingWindowPattern = spec.SlidingWindowPattern,
            LocalRopeTheta = spec.LocalRopeTheta,
            NoRopeInterval = spec.NoRopeInterval,
            ResidualMultiplier = spec.ResidualMultiplier,
            PostSublayerNorm = spec.PostSublayerNorm,
            QueryKeyNormAcrossHeads = spec.QueryKeyNormAcrossHeads,
        };
        var learned = spec.Positions == PositionKind.Learned;
        return new Body(block, spec.Vocab, spec.Layers, spec.TiedEmbeddings, spec.WeightNames,
            learned ? (spec.MaxPositions > 0 ? spec.MaxPositions : spec.MaxSeqLen) : 0)
        {
            // Gemma multiplies by the float32 of √hidden_size, which is what this rounds to; Granite by its own factor.
            EmbeddingScale = spec.ScaleEmbeddings ? (float)System.Math.Sqrt(spec.ModelDim) : spec.EmbeddingMultiplier,
            FinalLogitSoftcap = spec.FinalLogitSoftcap,
            LogitsScaling = spec.LogitsScaling,
            Granite = spec.EmbeddingMultiplier > 0 || spec.ResidualMultiplier > 0 || spec.LogitsScaling > 0,
        };
    }

    protected override void Emit(SourceWriter w, TypeDeclaration declaration, Body body)
    {
        var block = body.Block;
        w.Constant("int", "Vocab", Int(body.Vocab), "Tokens in the vocabulary: every token id is below this, and every logits row this long.");
        w.Constant("int", "Layers", Int(body.Layers), block.SandwichNorm
            ? "Transformer blocks, each normalized before and after its sublayers: x = x + Norm(Attention(Norm(x))), x = x + Norm(Ffn(Norm(x)))."
            : block.PostSublayerNorm
                ? "Transformer blocks, each normalizing its sublayers' outputs: x = x + Norm(Attention(x)), x = x + Norm(Ffn(x))."
            : block.ResidualMultiplier > 0
                ? "Transformer blocks, each pre-norm: x = x + ResidualMultiplier · Attention(Norm(x)), x = x + ResidualMultiplier · Ffn(Norm(x))."
                : "Transformer blocks, each pre-norm: x = x + Attention(Norm(x)), x = x + Ffn(Norm(x)).");
        if (body.LearnedPositions > 0)
        {
            w.Constant("int", "MaxPositions", Int(body.LearnedPositions), "Rows of the learned position table, added to each token's embedding.");
        }

        w.Constant("bool", "TiedEmbeddings", Bool(body.TiedEmbeddings), body.TiedEmbeddings
            ? "The LM head is the token embedding table itself."
            : "The LM head has its own weights (lm_head.weight).");
        if (body.EmbeddingScale > 0)
        {
            w.Constant("float", "EmbeddingScale", Float(body.EmbeddingScale), body.Granite
                ? "Multiplies every token embedding before the first block (Granite's embedding_multiplier)."
                : "Multiplies every token embedding before the first block: √ModelDim, as Gemma scales them.");
        }

        if (body.FinalLogitSoftcap > 0)
        {
            w.Constant("float", "FinalLogitSoftcap", Float(body.FinalLogitSoftcap), "Logits become FinalLogitSoftcap · tanh(logits / FinalLogitSoftcap).");
        }

        if (body.LogitsScaling > 0)
        {
            w.Constant("float", "LogitsScaling", Float(body.LogitsScaling), "Divides every logit, as the last step of a pass.");
        }

        TransformerBlockEmitter.EmitConstants(w, block);
        AttentionCoreEmitter.EmitShape(w, block.Core);
        w.Line();
        w.Line("// Scratch, allocated once per instance so calls allocate nothing: MaxBatchTokens rows of each, shared by every block.");
        w.Line($"private readonly {AlignedBuffer} _hidden = new(MaxBatchTokens * ModelDim);");
        w.Line($"private readonly {AlignedBuffer} _lastNormed = new(ModelDim);");
        TransformerBlockEmitter.EmitScratch(w, block, "MaxSeqLen");
        w.Line();
        w.Line("// The key/value cache: every block's keys and values of every position so far, [Layers, MaxSeqLen, KvWidth] each.");
        w.Line($"private readonly {AlignedBuffer} _keyCache = new(Layers * MaxSeqLen * KvWidth);");
        w.Line($"private readonly {AlignedBuffer} _valueCache = new(Layers * MaxSeqLen * KvWidth);");
        w.Line("private int _position;");
        ExclusiveUseEmitter.EmitField(w);
        w.Line();
        WeightsEmitter.EmitField(w);
        WeightsEmitter.EmitInstanceMembers(w, declaration.Name, cached: true);
        EmitSequenceApi(w);
        EmitRun(w, body);
        w.Line();
        TransformerBlockEmitter.EmitRunBlock(w, block, layered: true);
        ConfigCheckEmitter.Emit(w, declaration.Name, body.ConfigSettings);
        w.Line();
        WeightsEmitter.EmitWeightsType(w, body.WeightSet, declaration.Name);
    }

    private static void EmitSequenceApi(SourceWriter w)
    {
        w.Line("/// <summary>Tokens in the cache: the next token goes to this position.</summary>");
        w.Line("public int Position => _position;");
        w.Line();
        w.Line("/// <summary>Empties the cache, to start a new sequence.</summary>");
        w.Line($"/// <exception cref=\"{InvalidOperationException}\">A call is running on this instance on another thread; nothing is changed.</exception>");
        using (w.Block("public void Reset()"))
        {
            ExclusiveUseEmitter.EmitEnter(w);
            w.Line("_position = 0;");
        }

        w.Line();
        w.Line("/// <summary>");
        w.Line("/// Drops every cached position from <paramref name=\"position\"/> on, so the next token goes there: to edit the end of a");
        w.Line("/// sequence, or to reject a speculative draft. The positions before it stay as they were.");
        w.Line("/// </summary>");
        w.Line($"/// <exception cref=\"{ArgumentOutOfRangeException}\"><paramref name=\"position\"/> is negative or past <see cref=\"Position\"/>; nothing is changed.</exception>");
        w.Line($"/// <exception cref=\"{InvalidOperationException}\">A call is running on this instance on another thread; nothing is changed.</exception>");
        using (w.Block("public void Rewind(int position)"))
        {
            ExclusiveUseEmitter.EmitEnter(w);
            w.Line($"{Guard}.RewindPosition(position, _position, nameof(position));");
            w.Line("_position = position;");
        }

        w.Line();
        w.Line("/// <summary>");
        w.Line("/// Runs <paramref name=\"prompt\"/> from <see cref=\"Position\"/> on, adding it to the cache (in chunks of MaxBatchTokens), and writes");
        w.Line("/// the logits [Vocab] that predict the token after its last one. Allocates nothing. A prefill continues the sequence:");
        w.Line("/// prefilling a then b gives the logits a prefill of a + b gives (to float rounding), as decode steps do.");
        w.Line("/// </summary>");
        w.Line($"/// <exception cref=\"{ArgumentOutOfRangeException}\">The prompt is empty, an id is outside the vocabulary (checked before the first chunk runs), or the cache has no room for it; nothing is changed.</exception>");
        w.Line($"/// <exception cref=\"{ArgumentException}\"><paramref name=\"lastLogits\"/> is shorter than Vocab; nothing is changed.</exception>");
        w.Line($"/// <exception cref=\"{InvalidOperationException}\">A call is running on this instance on another thread; nothing is changed.</exception>");
        using (w.Block($"public void Prefill(global::System.ReadOnlySpan<int> prompt, {Span} lastLogits)"))
        {
            w.Line($"{Guard}.HasRows(lastLogits, 1, Vocab, nameof(lastLogits));");
            ExclusiveUseEmitter.EmitEnter(w);
            w.Line($"{Guard}.CacheRoom(prompt.Length, _position, MaxSeqLen, nameof(prompt));");
            w.Line($"{Guard}.TokenIdsInRange(prompt, Vocab, nameof(prompt));");
            w.Line("Run(prompt, lastLogits);");
        }

        w.Line();
        w.Line("/// <summary>Adds <paramref name=\"token\"/> at <see cref=\"Position\"/> and writes the logits [Vocab] that predict the next one. Allocates nothing.</summary>");
        w.Line($"/// <exception cref=\"{ArgumentOutOfRangeException}\">The token is outside the vocabulary; nothing is changed.</exception>");
        w.Line($"/// <exception cref=\"{ArgumentException}\"><paramref name=\"logits\"/> is shorter than Vocab; nothing is changed.</exception>");
        w.Line($"/// <exception cref=\"{InvalidOperationException}\">The cache is full (<see cref=\"Position\"/> is MaxSeqLen), or a call is running on this instance on another thread; nothing is changed.</exception>");
        using (w.Block($"public void DecodeStep(int token, {Span} logits)"))
        {
            w.Line($"{Guard}.HasRows(logits, 1, Vocab, nameof(logits));");
            w.Line($"{Guard}.TokenId(token, Vocab, nameof(token));");
            ExclusiveUseEmitter.EmitEnter(w);
            w.Line($"{Guard}.CacheNotFull(_position, MaxSeqLen);");
            w.Line($"Run({MemoryMarshal}.CreateReadOnlySpan(ref token, 1), logits);");
        }
    }

    private static void EmitRun(SourceWriter w, Body body)
    {
        w.Line();
        w.Line("/// <summary>The checked tokens through every block, chunk by chunk, then the last one's logits.</summary>");
        using (w.Block($"private void Run(global::System.ReadOnlySpan<int> tokens, {Span} logits)"))
        {
            WeightsEmitter.EmitLocal(w);
            w.Line($"{Span} hidden = default;");
            w.Line("int count = 0;");
            using (w.Block("while (!tokens.IsEmpty)"))
            {
                w.Line("count = global::System.Math.Min(tokens.Length, MaxBatchTokens);");
                w.Line("hidden = _hidden.Span.Slice(0, count * ModelDim);");
                w.Line(!body.TiedEmbeddings ? $"{Kernels}.EmbeddingKernels.Gather(tokens.Slice(0, count), {WeightsEmitter.Local}.TokenEmbeddings, hidden, ModelDim);"
                    : $"{Kernels}.EmbeddingKernels.{(body.Block.Bfloat16Weights ? "GatherBfloat16Panels" : "GatherPanels")}(tokens.Slice(0, count), {WeightsEmitter.Local}.TokenEmbeddings, Vocab, hidden, ModelDim);");
                if (body.LearnedPositions > 0)
                {
                    w.Line("// The positions' rows of the learned table, consecutive like the tokens.");
                    w.Line($"{Kernels}.ElementwiseKernels.Add(hidden, {WeightsEmitter.Local}.PositionEmbeddings.Slice(_position * ModelDim, count * ModelDim), hidden);");
                }

                if (body.EmbeddingScale > 0)
                {
                    w.Line($"{Kernels}.ElementwiseKernels.Multiply(hidden, EmbeddingScale);");
                }

                using (w.Block("for (int layer = 0; layer < Layers; layer++)"))
                {
                    w.Line($"RunBlock({WeightsEmitter.Local}, layer, hidden, count, _position);");
                }

                w.Line();
                w.Line("_position += count;");
                w.Line("tokens = tokens.Slice(count);");
            }

            w.Line();
            w.Line("// Only the last token's logits are needed: the final norm and the LM head run on its row alone.");
            w.Line($"{Span} last = _lastNormed.Span;");
            TransformerBlockEmitter.EmitNorm(w, "hidden.Slice((count - 1) * ModelDim, ModelDim)", body.FinalNorm, "last", layer: null, rows: "1");
            w.Line($"{PackedLinear}.{(body.Block.Bfloat16Weights ? "ForwardBfloat16" : "Forward")}(last, {WeightsEmitter.Local}.{(body.TiedEmbeddings ? "TokenEmbeddings" : "LmHead")}, " +
                $"{ReadOnlySpan}.Empty, logits, 1, ModelDim, Vocab);");
            if (body.FinalLogitSoftcap > 0)
            {
                w.Line($"{Kernels}.SoftmaxKernels.Softcap(logits.Slice(0, Vocab), FinalLogitSoftcap);");
            }

            if (body.LogitsScaling > 0)
            {
                w.Line($"{Kernels}.ElementwiseKernels.Divide(logits.Slice(0, Vocab), LogitsScaling);");
            }
        }
    }

    /// <summary>The plan: the block every layer shares (with a cache), the vocabulary, the positions, the LM head.</summary>
    /// <param name="LearnedPositions">Rows of the learned position table, or 0 for rotary positions.</param>
    internal sealed record Body(TransformerBlockPlan Block, int Vocab, int Layers, bool TiedEmbeddings, WeightNames Names, int LearnedPositions) : LayerBody
    {
        /// <summary>The factor on every token embedding (Gemma's √ModelDim, Granite's embedding_multiplier), or 0 for none.</summary>
        public float EmbeddingScale { get; init; }

        /// <summary>Gemma 2's cap on the logits, or 0 for none.</summary>
        public float FinalLogitSoftcap { get; init; }

        /// <summary>Granite's divisor of the logits, or 0 for none.</summary>
        public float LogitsScaling { get; init; }

        /// <summary>Whether the declaration has any of Granite's factors (on embeddings, residual branches, logits), which its config states.</summary>
        public bool Granite { get; init; }

        private bool Gpt2 => Names == WeightNames.Gpt2;

        /// <summary>The <c>model_type</c> of this declaration's files (<c>llama</c> admitting Mistral's and Phi-3's too; see <see cref="ConfigSettings"/>).</summary>
        private string ModelType =>
            Gpt2 ? "gpt2"
            : GemmaFamily ?? (Block.PostSublayerNorm ? "olmo2"
            : Block.SkipsRopeInSomeLayers ? "smollm3"
            : Granite ? "granite"
            : Block.QueryKeyNorm ? "qwen3"
            : Block.QueryKeyValueBias && !Block.Bias ? "qwen2"
            : "llama");

        /// <summary>The <c>model_type</c>s a file of this declaration may have, its own first.</summary>
        private string[] ModelTypes => ModelType == "llama" ? new[] { "llama", "mistral", "phi3" } : new[] { ModelType };

        /// <summary>
        /// What a file of <paramref name="modelType"/> without <c>sliding_window</c> windows its layers to, as its config
        /// reads it: <c>"null"</c>, none, in LlamaConfig, GraniteConfig and Olmo2Config (which have no such key) and
        /// Phi3Config and SmolLM3Config (None); 4096 in MistralConfig, Gemma2Config, Gemma3TextConfig, and Qwen2Config and
        /// Qwen3Config when <c>use_sliding_window</c> is true (when it is not, the setting is off: see
        /// <see cref="WindowSwitched"/>). Null where not compared (Gemma 1, whose declared window is refused outright).
        /// </summary>
        private static string? WindowWhenMissing(string modelType) => modelType switch
        {
            "mistral" or "gemma2" or "gemma3_text" or "qwen2" or "qwen3" => "4096",
            "llama" or "phi3" or "granite" or "olmo2" or "smollm3" => "null",
            _ => null,
        };

        /// <summary>
        /// Whether <paramref name="modelType"/>'s model never windows attention, whatever its file's <c>sliding_window</c>
        /// says: LlamaModel, GraniteModel and Olmo2Model mask causally only and give their attention no window (Mistral's
        /// window is its "main diff with Llama"). Such a file is read as one without the key, none.
        /// </summary>
        private static bool IgnoresWindow(string modelType) => modelType is "llama" or "granite" or "olmo2";

        /// <summary>
        /// Whether the family windows no layer without <c>"use_sliding_window": true</c> (a missing one meaning false):
        /// Qwen2's, Qwen3's and SmolLM3's configs, the only ones that read the key (MistralConfig, Phi3Config and Gemma's
        /// have none, and their models window whenever <c>sliding_window</c> is set: the key is not compared there).
        /// </summary>
        private bool WindowSwitched => ModelType is "qwen2" or "qwen3" or "smollm3";

        /// <summary><paramref name="setting"/>, compared only in a file that switches the window on where the family reads the switch (<see cref="WindowSwitched"/>).</summary>
        private string UnlessWindowOff(string setting) => WindowSwitched ? ConfigCheckEmitter.UnlessSwitchedOn(setting, "use_sliding_window") : setting;

        /// <summary>
        /// <paramref name="setting"/>, a <c>sliding_window</c> one that reads a null as none, compared also when the file
        /// lacks the key, as the file's family reads it then (<see cref="WindowWhenMissing"/>): the declaration's own
        /// family's default, and where a <c>model_type</c> it admits defaults otherwise (a Llama declaration's Mistral
        /// files), that one's in those files; and read as missing, whatever it states, in the files of the families it
        /// admits whose model ignores the key (<see cref="IgnoresWindow"/>: a Llama declaration's Llama files, not its
        /// Mistral or Phi-3 ones).
        /// </summary>
        private string WindowDefaults(string setting)
        {
            string? own = WindowWhenMissing(ModelType);
            if (own is not null)
            {
                setting = own == "null" ? ConfigCheckEmitter.MissingMeansNone(setting) : ConfigCheckEmitter.MissingMeans(setting, own);
            }

            foreach (var other in ModelTypes.Skip(1))
            {
                if (WindowWhenMissing(other) is { } window && window != own)
                {
                    setting = ConfigCheckEmitter.MissingMeansIn(setting, other, window);
                }
            }

            var ignoring = ModelTypes.Where(IgnoresWindow).ToArray();
            return ignoring.Length > 0 ? ConfigCheckEmitter.IgnoredIn(setting, ignoring) : setting;
        }

        /// <summary>Gemma's families: its RMSNorm; with sandwich norms Gemma 2; with Q and K normalized too, Gemma 3's text model.</summary>
        private string? GemmaFamily =>
            Block.SandwichNorm && Block.QueryKeyNorm ? "gemma3_text" : Block.SandwichNorm ? "gemma2" : Block.Norm == NormKind.GemmaRmsNorm ? "gemma" : null;

        public NormWeights FinalNorm => NormWeights.For(Block.Norm, Gpt2 ? "ln_f" : "model.norm", "FinalNorm", Block.ModelDim);

        /// <summary>The embedding tables, the final norm and the LM head held once; every block's tensors under <c>model.layers.{i}.</c> (<c>h.{i}.</c> for GPT-2).</summary>
        public WeightSetPlan WeightSet
        {
            get
            {
                var shared = new List<WeightPlan>
                {
                    WeightPlan.Named(Gpt2 ? "wte.weight" : "model.embed_tokens.weight", Vocab, "Vocab", Block.ModelDim, "ModelDim") with
                    {
                        PropertyName = "TokenEmbeddings",
                        // A tied model's checkpoint may still carry its head; a different one means the model is not tied.
                        TiedCopy = TiedEmbeddings ? "lm_head.weight" : null,
                        // A tied table is the LM head, often the largest matrix a step reads: it is held as the head reads it
                        // (packed, and bfloat16 with the other matrices), and each token's row is read out of the panels.
                        IsPacked = TiedEmbeddings,
                        IsBfloat16 = TiedEmbeddings && Block.Bfloat16Weights,
                    },
                };
                if (LearnedPositions > 0)
                {
                    shared.Add(WeightPlan.Named(Gpt2 ? "wpe.weight" : "model.embed_positions.weight", LearnedPositions, "MaxPositions", Block.ModelDim, "ModelDim") with
                    {
                        PropertyName = "PositionEmbeddings",
                    });
                }

                shared.AddRange(FinalNorm.All);
                if (!TiedEmbeddings)
                {
                    shared.Add(WeightPlan.Named("lm_head.weight", Vocab, "Vocab", Block.ModelDim, "ModelDim") with
                    {
                        PropertyName = "LmHead",
                        IsPacked = true,
                        IsBfloat16 = Block.Bfloat16Weights,
                    });
                }

                return new WeightSetPlan(shared.ToEquatableArray(), Block.Weights.ToEquatableArray(), Gpt2 ? "h." : "model.layers.", "Layers");
            }
        }

        /// <summary>
        /// What a Llama-family (<c>LlamaConfig</c>, <c>MistralConfig</c>, …) or GPT-2 <c>config.json</c> states of this
        /// declaration (see <see cref="ConfigCheckEmitter"/>).
        /// </summary>
        public string[] ConfigSettings
        {
            get
            {
                // The family first: Granite, for one, names its tensors as Llama does but scales embeddings, scores, residual
                // branches and logits.
                // Qwen2 is Llama with biases on Q, K and V alone, Qwen3 Llama with Q and K normalized per head; their configs
                // state neither: model_type says it. Mistral and Phi-3 are Llama as far as a declaration goes (Phi-3's fused
                // qkv_proj and gate_up_proj load as their parts; their attention windows are checked below). SmolLM3 is Llama with
                // every fourth layer unrotated.
                var settings = new List<string>
                {
                    ConfigCheckEmitter.Text("Architecture", ModelType, ModelTypes, "model_type"),
                };

                // The scores' scale: Granite's attention_multiplier and Gemma 2 and 3's query_pre_attn_scalar state it (below);
                // every other family fixes it at 1/√head_dim (GPT-2 at that or 1, as scale_attn_weights says) with no key.
                if (!Granite && GemmaFamily is null or "gemma")
                {
                    settings.AddRange(ConfigCheckEmitter.FixedScale(Block.Core, orOne: Gpt2));
                }

                settings.AddRange(GemmaFeatures);
                if (Gpt2)
                {
                    settings.Add(ConfigCheckEmitter.Integer("ModelDim", "n_embd"));
                    settings.Add(ConfigCheckEmitter.Integer("Heads", "n_head"));
                    settings.Add(ConfigCheckEmitter.Integer("Layers", "n_layer"));
                    settings.Add(ConfigCheckEmitter.Integer("FfnDim", "n_inner")); // null in GPT-2's own configs: 4 × n_embd
                    settings.Add(ConfigCheckEmitter.Integer("Vocab", "vocab_size"));
                    settings.Add(ConfigCheckEmitter.Integer("MaxPositions", "n_positions"));
                    settings.Add(ConfigCheckEmitter.Real("NormEpsilon", "layer_norm_epsilon"));
                    settings.Add(ConfigCheckEmitter.Activation(Block.Activation, "activation_function"));

                    // GPT-2's switches for unscaled scores and for scores divided by the layer's number (off in GPT-2 itself).
                    settings.Add(ConfigCheckEmitter.BooleanOf("Scaled scores (Scale != 1)", "Scale != 1f", "scale_attn_weights"));
                    settings.Add(ConfigCheckEmitter.BooleanOf("Scores divided by the layer's number", "false", "scale_attn_by_inverse_layer_idx"));
                }
                else
                {
                    settings.Add(ConfigCheckEmitter.Integer("ModelDim", "hidden_size"));
                    settings.Add(ConfigCheckEmitter.Integer("Heads", "num_attention_heads"));
                    settings.Add(ConfigCheckEmitter.Integer("KvHeads", "num_key_value_heads"));
                    settings.Add(ConfigCheckEmitter.Integer("HeadDim", "head_dim"));
                    settings.Add(ConfigCheckEmitter.Integer("Layers", "num_hidden_layers"));
                    settings.Add(ConfigCheckEmitter.Integer("FfnDim", "intermediate_size"));
                    settings.Add(ConfigCheckEmitter.Integer("Vocab", "vocab_size"));
                    if (LearnedPositions > 0)
                    {
                        settings.Add(ConfigCheckEmitter.Integer("MaxPositions", "max_position_embeddings"));
                    }

                    settings.Add(Block.Norm != NormKind.LayerNorm
                        ? ConfigCheckEmitter.Real("NormEpsilon", "rms_norm_eps")
                        : ConfigCheckEmitter.Real("NormEpsilon", "layer_norm_eps", "layer_norm_epsilon", "norm_epsilon"));
                    if (Block.HasRope)
                    {
                        // transformers 5 writes the rotary settings inside rope_parameters; earlier versions at the top. Gemma
                        // 3's rope_parameters holds one object per layer type: the full layers' here, the windowed ones' below.
                        string[] FullLayers(string name, params string[] keys) =>
                            GemmaFamily == "gemma3_text" ? keys.Concat(new[] { "rope_parameters.full_attention." + name }).ToArray() : keys;
                        settings.Add(ConfigCheckEmitter.Real("RopeTheta", FullLayers("rope_theta", "rope_theta", "rope_parameters.rope_theta")));
                        // Only Phi-3's files state a partial rotation (Phi-4-mini's 0.75); every family reads none as 1.
                        settings.Add(ConfigCheckEmitter.MissingMeans(ConfigCheckEmitter.RealOf("RopeDim / HeadDim", "(float)RopeDim / HeadDim", "partial_rotary_factor", "rope_parameters.partial_rotary_factor"), "1"));

                        // Linear, dynamic or YaRN scaling change the rotary frequencies too: unsupported, so refused. A file
                        // without rope_scaling (or with a null one, as Llama 3.0's and Gemma 3 1B's) scales none.
                        string[] ropeType = FullLayers("rope_type", "rope_parameters.rope_type", "rope_scaling.rope_type", "rope_scaling.type");
                        string RopeScaling(string declared, string accepted) =>
                            ConfigCheckEmitter.MissingMeans(ConfigCheckEmitter.Text("RopeScaling", declared, new[] { accepted }, ropeType), "\"default\"");
                        if (Block.LinearRopeScaling > 0)
                        {
                            settings.Add(RopeScaling("Linear", "linear"));
                            settings.Add(ConfigCheckEmitter.Real("RopeScalingFactor", FullLayers("factor", "rope_scaling.factor", "rope_parameters.factor")));
                        }
                        else if (Block.RopeScaling is null)
                        {
                            settings.Add(RopeScaling("none", "default"));
                        }
                        else
                        {
                            settings.Add(RopeScaling("Llama3", "llama3"));
                            settings.Add(ConfigCheckEmitter.Real("RopeScalingFactor", "rope_scaling.factor", "rope_parameters.factor"));
                            settings.Add(ConfigCheckEmitter.Real("RopeLowFrequencyFactor", "rope_scaling.low_freq_factor", "rope_parameters.low_freq_factor"));
                            settings.Add(ConfigCheckEmitter.Real("RopeHighFrequencyFactor", "rope_scaling.high_freq_factor", "rope_parameters.high_freq_factor"));
                            settings.Add(ConfigCheckEmitter.Integer("RopeOriginalMaxPositions", "rope_scaling.original_max_position_embeddings", "rope_parameters.original_max_position_embeddings"));
                        }
                    }

                    if (GemmaFamily is null)
                    {
                        settings.Add(ConfigCheckEmitter.Activation(Block.Activation, "hidden_act"));
                    }
                    else
                    {
                        // Gemma's MLP reads hidden_activation, a missing or null one as gelu_pytorch_tanh (Gemma 1's files say
                        // "gelu" under hidden_act, and run the tanh form); the scores' scale comes from query_pre_attn_scalar,
                        // and Gemma 2 caps scores and logits (a null cap, as Gemma 3's files hold, caps nothing). Gemma 2 and
                        // 3 read a missing scalar as 256, Gemma 2 missing caps as 50 and 30, Gemma 3 missing caps as none.
                        string Defaulted(string setting, string? value) => value is null ? setting : ConfigCheckEmitter.MissingMeans(setting, value);
                        bool gemma2 = GemmaFamily == "gemma2";
                        string Cap(string setting, string gemma2Default) =>
                            GemmaFamily == "gemma3_text" ? ConfigCheckEmitter.MissingMeansNone(setting) : Defaulted(setting, gemma2 ? gemma2Default : null);
                        settings.Add(ConfigCheckEmitter.MissingMeans(ConfigCheckEmitter.Activation(Block.Activation, "hidden_activation"), "\"gelu_pytorch_tanh\""));
                        settings.Add(Defaulted(ConfigCheckEmitter.RealOf("Scale", "1f / (Scale * Scale)", "query_pre_attn_scalar"), GemmaFamily == "gemma" ? null : "256"));
                        settings.Add(Cap(ConfigCheckEmitter.NullMeansNone(ConfigCheckEmitter.Real("Softcap", "attn_logit_softcapping")), "50"));
                        settings.Add(Cap(ConfigCheckEmitter.NullMeansNone(ConfigCheckEmitter.RealOf("FinalLogitSoftcap", FinalLogitSoftcap > 0 ? "FinalLogitSoftcap" : "0f", "final_logit_softcapping")),
                            "30"));
                        if (GemmaFamily == "gemma3_text")
                        {
                            // EmbeddingGemma's file is Gemma 3's with "use_bidirectional_attention": true, each token
                            // attending to later tokens too.
                            settings.Add(ConfigCheckEmitter.BooleanOf("Bidirectional attention", "false", "use_bidirectional_attention"));
                        }
                    }

                    string bias = Bool(Block.Bias);
                    settings.Add(ConfigCheckEmitter.BooleanOf("Bias", bias, "attention_bias"));
                    settings.Add(ConfigCheckEmitter.BooleanOf("Bias", bias, "mlp_bias"));

                    if (Block.SlidingWindow > 0)
                    {
                        // A null sliding_window (Mistral v0.2 and later) or "use_sliding_window": false (Qwen2's files;
                        // missing in Qwen's and SmolLM3's) windows no layer, and a missing one what the file's family
                        // defaults it to; Llama, Granite and OLMo 2 window none whatever their files state.
                        string window = ConfigCheckEmitter.NullMeansNone(ConfigCheckEmitter.Integer("SlidingWindow", "sliding_window"));
                        settings.Add(WindowDefaults(UnlessWindowOff(window)));

                        // Qwen2, Qwen3 and SmolLM3 window no layer without "use_sliding_window": true, and derive the layer
                        // types a file does not list: Qwen the layers from max_window_layers (28 when missing) on, SmolLM3
                        // the layers no_rope_layers (or its interval, 4 when missing) leaves unrotated. Their declarations
                        // window every layer (SlidingWindowPattern 0, below), which only max_window_layers 0 derives. No
                        // other family reads the switch (Mistral and Phi-3 window by sliding_window alone).
                        if (WindowSwitched)
                        {
                            settings.Add(ConfigCheckEmitter.MissingMeans(ConfigCheckEmitter.BooleanOf("Windowed (SlidingWindow > 0)", "true", "use_sliding_window"), "false"));
                        }

                        // Gemma 3 derives the layers a file does not list from sliding_window_pattern, 6 when missing too.
                        string pattern = ConfigCheckEmitter.Integer("SlidingWindowPattern", "sliding_window_pattern");
                        settings.Add(GemmaFamily == "gemma3_text" ? ConfigCheckEmitter.IfAlsoMissing(ConfigCheckEmitter.MissingMeans(pattern, "6"), "layer_types") : pattern);
                        string layerTypes = ConfigCheckEmitter.LayerTypes("SlidingWindowPattern", "layer_types");
                        settings.Add(ModelType == "smollm3" ? ConfigCheckEmitter.MissingMeansWindowedUnrotated(layerTypes, "no_rope_layers", "no_rope_layer_interval", 4)
                            : WindowSwitched ? ConfigCheckEmitter.MissingMeansWindowedFrom(layerTypes, "max_window_layers", 28)
                            : layerTypes);
                        if (GemmaFamily == "gemma3_text")
                        {
                            // Gemma 3 reads a missing base of the windowed layers as 10000 (Gemma 1 and 2 have no such key: a
                            // base of their own is refused above). Without one of their own (LocalRopeTheta 0 or RopeTheta's,
                            // no LocalRopeTheta constant) they turn by RopeTheta.
                            settings.Add(ConfigCheckEmitter.MissingMeans(ConfigCheckEmitter.RealOf("LocalRopeTheta", Block.HasLocalRope ? "LocalRopeTheta" : "RopeTheta",
                                "rope_local_base_freq", "rope_parameters.sliding_attention.rope_theta"), "10000"));

                            // transformers scales the full layers' frequencies only; without a base of their own the windowed
                            // layers share the full layers' tables here, scaling too.
                            bool scaled = Block.LinearRopeScaling > 0 && !Block.HasLocalRope;
                            settings.Add(ConfigCheckEmitter.MissingMeans(ConfigCheckEmitter.Text("RopeScaling of windowed layers", scaled ? "Linear" : "none",
                                new[] { scaled ? "linear" : "default" }, "rope_parameters.sliding_attention.rope_type"), "\"default\""));
                        }
                    }
                    else
                    {
                        // Mistral v0.1 attends to its last 4096 positions only (stated, or as a file without the key
                        // means), Phi-3-mini-4k to its last 2047; without a declared window, a longer cache would attend
                        // past it. A null window, or one the family has not or ignores (Llama, Granite, OLMo 2), is none;
                        // as is Qwen's and SmolLM3's unless switched on (no other family reads the switch: Mistral's and
                        // Phi-3's models window whenever sliding_window is set).
                        settings.Add(WindowDefaults(ConfigCheckEmitter.NullMeansNone(UnlessWindowOff(ConfigCheckEmitter.AtLeast("MaxSeqLen", "sliding_window")))));
                    }

                    if (Granite)
                    {
                        // Granite's four factors, each compared even when the declaration leaves it at 1 (0), and as 1 when the
                        // file lacks it, as GraniteConfig reads it then.
                        settings.Add(ConfigCheckEmitter.MissingMeans(ConfigCheckEmitter.RealOf("EmbeddingMultiplier", EmbeddingScale > 0 ? "EmbeddingScale" : "1f", "embedding_multiplier"), "1"));
                        settings.Add(ConfigCheckEmitter.MissingMeans(ConfigCheckEmitter.RealOf("ResidualMultiplier", Block.ResidualMultiplier > 0 ? "ResidualMultiplier" : "1f", "residual_multiplier"), "1"));
                        settings.Add(ConfigCheckEmitter.MissingMeans(ConfigCheckEmitter.RealOf("LogitsScaling", LogitsScaling > 0 ? "LogitsScaling" : "1f", "logits_scaling"), "1"));
                        settings.Add(ConfigCheckEmitter.MissingMeans(ConfigCheckEmitter.Real("Scale", "attention_multiplier"), "1"));
                    }

                    if (Block.SkipsRopeInSomeLayers)
                    {
                        // SmolLM3 states the interval and, per layer, a 1 for each layer that rotates; a file with neither
                        // leaves every fourth layer unrotated (SmolLM3Config derives no_rope_layers from an interval of 4).
                        settings.Add(ConfigCheckEmitter.IfAlsoMissing(ConfigCheckEmitter.MissingMeans(ConfigCheckEmitter.Integer("NoRopeInterval", "no_rope_layer_interval"), "4"),
                            "no_rope_layers"));
                        settings.Add(ConfigCheckEmitter.LayerFlags("NoRopeInterval", "RotatesPositions", "no_rope_layers"));
                    }
                }

                settings.Add(ConfigCheckEmitter.Boolean("TiedEmbeddings", "tie_word_embeddings"));
                return settings.ToArray();
            }
        }

        /// <summary>
        /// What Gemma's families have and no other, which their code fixes with no key to state it (the caps, which only
        /// Gemma 2 and 3 state, aside): a declaration with any of it outside them, or without it inside, is refused, and so
        /// is a window in Gemma 1, which has none.
        /// </summary>
        private IEnumerable<string> GemmaFeatures
        {
            get
            {
                bool gemma = GemmaFamily is not null, capped = GemmaFamily is "gemma2" or "gemma3_text";
                if (!capped && Block.Core.Softcap > 0)
                {
                    yield return ConfigCheckEmitter.FamilyFixes("Softcap", ConfigCheckEmitter.Number(Block.Core.Softcap) + " (the family caps no score)");
                }

                if (!capped && FinalLogitSoftcap > 0)
                {
                    yield return ConfigCheckEmitter.FamilyFixes("FinalLogitSoftcap", ConfigCheckEmitter.Number(FinalLogitSoftcap) + " (the family caps no logit)");
                }

                if (gemma != (EmbeddingScale > 0 && !Granite))
                {
                    yield return ConfigCheckEmitter.FamilyFixes("ScaleEmbeddings", gemma ? "false (the family's is true)" : "true (the family's is false)");
                }

                if (gemma && Block.Norm != NormKind.GemmaRmsNorm)
                {
                    yield return ConfigCheckEmitter.FamilyFixes("Norm", Block.Norm + " (the family's is GemmaRmsNorm)");
                }

                // Only Gemma 3 gives its windowed layers a base of their own; every other family, Gemma 1 and 2 among them,
                // rotates each layer by rope_theta. A LocalRopeTheta equal to RopeTheta is what 0 means, one base.
                if (GemmaFamily != "gemma3_text" && Block.HasLocalRope)
                {
                    yield return ConfigCheckEmitter.FamilyFixes("LocalRopeTheta", ConfigCheckEmitter.Number(Block.LocalRopeTheta) + " (the family has one rotary base)");
                }

                // Gemma 1 windows no layer (its config has no sliding_window).
                if (GemmaFamily == "gemma" && Block.SlidingWindow > 0)
                {
                    yield return ConfigCheckEmitter.FamilyFixes("SlidingWindow", Block.SlidingWindow + " (the family windows no layer)");
                }

                // Gemma 2 windows every other layer (older files state no pattern); Mistral and Qwen every layer they window.
                if (Block.SlidingWindow > 0 && (gemma ? GemmaFamily == "gemma2" && Block.SlidingWindowPattern != 2 : Block.SlidingWindowPattern > 0))
                {
                    yield return ConfigCheckEmitter.FamilyFixes("SlidingWindowPattern", Block.SlidingWindowPattern
                        + (gemma ? " (the family's is 2)" : " (the family windows every layer, 0)"));
                }
            }
        }

        public override EquatableArray<string> GeneratedMembers =>
            Block.Members
                .Concat(ConfigCheckEmitter.Members)
                .Concat(new[] { "Vocab", "Layers", "TiedEmbeddings", "EmbeddingScale", "FinalLogitSoftcap", "LogitsScaling", "MaxPositions", "Position", "Reset", "Rewind", "Prefill", "DecodeStep", "Run", "_hidden", "_lastNormed",
                    "_keyCache", "_valueCache", "_position", ExclusiveUseEmitter.Field })
                .Concat(WeightsEmitter.Members).ToEquatableArray();

        private string CacheBlame => BufferPlan.LargestFactor((Block.Core.MaxKvSeqLen, "MaxSeqLen"), (Layers, "Layers"), (Block.Core.KvWidth, "ModelDim"));

        public override EquatableArray<BufferPlan> Buffers => Block.Buffers
            .Concat(new[]
            {
                new BufferPlan("the hidden states", BufferPlan.Product(Block.MaxBatchTokens, Block.ModelDim), "MaxBatchTokens"),
                new BufferPlan("the key cache", BufferPlan.Product(BufferPlan.Product(Layers, Block.Core.MaxKvSeqLen), Block.Core.KvWidth), CacheBlame),
                new BufferPlan("the value cache", BufferPlan.Product(BufferPlan.Product(Layers, Block.Core.MaxKvSeqLen), Block.Core.KvWidth), CacheBlame),
            })
            .Concat(WeightSet.StoredTensors)
            .ToEquatableArray();
    }
}
