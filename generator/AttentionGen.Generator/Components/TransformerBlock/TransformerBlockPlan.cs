using System.Collections.Generic;
using System.Linq;
using AttentionGen.Generator.Components.Linear;
using AttentionGen.Generator.Layers;
using AttentionGen.Generator.Planning;

namespace AttentionGen.Generator.Components.TransformerBlock;

/// <summary>
/// One transformer block, planned: self-attention (one <see cref="AttentionCore.AttentionCorePlan"/>, with rotary
/// positions when <see cref="Rope"/> says so) and a feed-forward network (plain or gated), each with a residual and a
/// norm, post-norm (BERT) or pre-norm (GPT, Llama). Its tensors carry the names <see cref="Naming"/> gives; its scratch
/// holds <see cref="MaxBatchTokens"/> rows, the most tokens one pass runs at once.
/// </summary>
/// <param name="Bias">Whether every linear layer has a bias.</param>
/// <param name="QueryKeyValueBias">Whether the query, key and value projections have biases: with <paramref name="Bias"/>, or alone (Qwen2).</param>
/// <param name="RopeDim">Floats of each head that rotate (0 without rotary embedding).</param>
internal sealed record TransformerBlockPlan(
    AttentionCore.AttentionCorePlan Core, int ModelDim, int FfnDim, ActivationKind Activation, NormKind Norm, float NormEpsilon,
    bool PreNorm, bool Bias, bool QueryKeyValueBias, int MaxBatchTokens, RopeKind Rope, float RopeTheta, int RopeDim, BlockNaming Naming)
{
    private int QueryWidth => (int)Core.QueryWidth;

    private int KvWidth => (int)Core.KvWidth;

    public bool IsGated => Activation is ActivationKind.SwiGlu or ActivationKind.GeGluTanh;

    public bool HasRope => Rope != RopeKind.None;

    /// <summary>
    /// Whether keys and values go into a per-block cache (a decoder) instead of scratch: then the class holds the cache,
    /// and <c>RunBlock</c> continues one sequence at a position rather than taking a packed group.
    /// </summary>
    public bool UsesCache { get; init; }

    /// <summary>
    /// Whether <c>RunBlock</c> takes a Hugging Face attention mask (one 0 or 1 per token of the group, or empty for none)
    /// and attends each masked sequence to its unmasked keys only. Never with a cache.
    /// </summary>
    public bool PaddingMask { get; init; }

    /// <summary>Whether the block's matrices are held as bfloat16.</summary>
    public bool Bfloat16Weights { get; init; }

    /// <summary>Whether each head of Q and K is RMS-normalized after its projection, before the rotation (Qwen3).</summary>
    public bool QueryKeyNorm { get; init; }

    /// <summary>Whether each sublayer's output is normalized before its residual add too (Gemma 2 and 3).</summary>
    public bool SandwichNorm { get; init; }

    /// <summary>Whether each sublayer's output is normalized before its residual add instead of its input (OLMo 2).</summary>
    public bool PostSublayerNorm { get; init; }

    /// <summary>Whether Q and K are normalized as whole rows across their heads (OLMo 2) rather than head by head.</summary>
    public bool QueryKeyNormAcrossHeads { get; init; }

    /// <summary>Whether a sublayer reads its input normalized: pre-norm, unless the norms follow the sublayers instead.</summary>
    public bool NormsSublayerInputs => PreNorm && !PostSublayerNorm;

    /// <summary>Whether a sublayer's output is normalized before its residual add: sandwich or post-sublayer norms.</summary>
    public bool NormsSublayerOutputs => SandwichNorm || PostSublayerNorm;

    /// <summary>A cached block's attention window (keys at positions p − SlidingWindow + 1 … p), or 0 for none.</summary>
    public int SlidingWindow { get; init; }

    /// <summary>Which layers the window applies to: layer i unless (i + 1) % SlidingWindowPattern == 0; 0 for every layer.</summary>
    public int SlidingWindowPattern { get; init; }

    /// <summary>The windowed layers' rotary base (Gemma 3), or 0 for RopeTheta.</summary>
    public float LocalRopeTheta { get; init; }

    /// <summary>Which layers skip the rotation: layer i when (i + 1) % NoRopeInterval == 0 (SmolLM3); 0 for none.</summary>
    public int NoRopeInterval { get; init; }

    /// <summary>Granite's factor on each sublayer's output before its residual add, or 0 for none.</summary>
    public float ResidualMultiplier { get; init; }

    /// <summary>Whether some layers rotate and others do not, so RunBlock must ask which one it runs.</summary>
    public bool SkipsRopeInSomeLayers => HasRope && NoRopeInterval > 0;

    /// <summary>
    /// Whether the window can hide a key: only when it is shorter than the cache. A window as long gets no mask and no
    /// scratch (its layers may still rotate by their own base).
    /// </summary>
    public bool WindowBites => SlidingWindow > 0 && SlidingWindow < Core.MaxKvSeqLen;

    /// <summary>Whether windowed layers rotate by a base of their own.</summary>
    public bool HasLocalRope => HasRope && SlidingWindow > 0 && LocalRopeTheta > 0 && LocalRopeTheta != RopeTheta;

    /// <summary>Whether RunBlock must tell windowed layers from full ones.</summary>
    public bool TellsLayersApart => WindowBites || HasLocalRope;

    /// <summary>Llama 3's scaling of the rotary frequencies, or null for none.</summary>
    public Llama3RopeScalingPlan? RopeScaling { get; init; }

    /// <summary>The factor of linear rotary scaling (every frequency divided by it), or 0 for none.</summary>
    public float LinearRopeScaling { get; init; }

    public LinearPlan Query => new(Naming.Query, QueryWidth, "QueryWidth", ModelDim, "ModelDim", QueryKeyValueBias)
    {
        Accessor = "Query",
        Bfloat16 = Bfloat16Weights,
        FusedSource = QueryKeyValueSource("0"),
    };

    public LinearPlan Key => new(Naming.Key, KvWidth, "KvWidth", ModelDim, "ModelDim", QueryKeyValueBias)
    {
        Accessor = "Key",
        Bfloat16 = Bfloat16Weights,
        FusedSource = QueryKeyValueSource("QueryWidth"),
    };

    public LinearPlan Value => new(Naming.Value, KvWidth, "KvWidth", ModelDim, "ModelDim", QueryKeyValueBias)
    {
        Accessor = "Value",
        Bfloat16 = Bfloat16Weights,
        FusedSource = QueryKeyValueSource("QueryWidth + KvWidth"),
    };

    public LinearPlan AttentionOutput => new(Naming.AttentionOutput, ModelDim, "ModelDim", QueryWidth, "QueryWidth", Bias)
    {
        Accessor = "AttentionOutput",
        Bfloat16 = Bfloat16Weights,
        FusedSource = Conv1DSource("attn.c_proj", "ModelDim"),
    };

    /// <summary>The gated network's gate projection (SwiGLU only).</summary>
    public LinearPlan Gate => new(Naming.Gate, FfnDim, "FfnDim", ModelDim, "ModelDim", Bias)
    {
        Accessor = "Gate",
        Bfloat16 = Bfloat16Weights,
        FusedSource = GateUpSource("0"),
    };

    /// <summary>Into the hidden layer: BERT's intermediate, Llama's up projection.</summary>
    public LinearPlan Intermediate => new(Naming.Intermediate, FfnDim, "FfnDim", ModelDim, "ModelDim", Bias)
    {
        Accessor = "Intermediate",
        Bfloat16 = Bfloat16Weights,
        FusedSource = (IsGated ? GateUpSource("FfnDim") : null) ?? Conv1DSource("mlp.c_fc", "FfnDim"),
    };

    /// <summary>Out of the hidden layer: BERT's output dense, Llama's down projection.</summary>
    public LinearPlan Output => new(Naming.Output, ModelDim, "ModelDim", FfnDim, "FfnDim", Bias)
    {
        Accessor = "Output",
        Bfloat16 = Bfloat16Weights,
        FusedSource = Conv1DSource("mlp.c_proj", "ModelDim"),
    };

    /// <summary>The norm around attention (after it post-norm, before it pre-norm): gain, and bias for LayerNorm.</summary>
    public NormWeights AttentionNorm => NormWeightsFor(Naming.AttentionNorm, "AttentionNorm");

    /// <summary>
    /// The norm around the feed-forward network (before it pre-norm). Llama names the pre-FFN norm
    /// <c>post_attention_layernorm</c>; with sandwich norms that name is the post-attention norm, and this one Gemma's
    /// <c>pre_feedforward_layernorm</c>.
    /// </summary>
    public NormWeights OutputNorm => NormWeightsFor(SandwichNorm ? Naming.PreFeedForwardNorm : Naming.OutputNorm, "OutputNorm");

    /// <summary>Sandwich or post-sublayer norms only: the norm of the attention's output, before its residual add (<c>post_attention_layernorm</c>).</summary>
    public NormWeights PostAttentionNorm => NormWeightsFor(Naming.OutputNorm, "PostAttentionNorm");

    /// <summary>Sandwich or post-sublayer norms only: the norm of the feed-forward network's output, before its residual add.</summary>
    public NormWeights PostFeedForwardNorm => NormWeightsFor(Naming.PostFeedForwardNorm, "PostFeedForwardNorm");

    /// <summary>The gain of Q's RMSNorm: [HeadDim] per head (Qwen3), or [QueryWidth] across heads (OLMo 2).</summary>
    public WeightPlan QueryNormGain => QueryKeyNormGain(Naming.QueryNorm, "QueryNormGain", QueryWidth, "QueryWidth");

    /// <summary>The gain of K's RMSNorm: [HeadDim] per head (Qwen3), or [KvWidth] across heads (OLMo 2).</summary>
    public WeightPlan KeyNormGain => QueryKeyNormGain(Naming.KeyNorm, "KeyNormGain", KvWidth, "KvWidth");

    /// <summary>The block's tensors, in the order its checkpoints list them.</summary>
    public IEnumerable<WeightPlan> Weights
    {
        get
        {
            var attention = Query.Weights.Concat(Key.Weights).Concat(Value.Weights).Concat(AttentionOutput.Weights)
                .Concat(QueryKeyNorm ? new[] { QueryNormGain, KeyNormGain } : Enumerable.Empty<WeightPlan>())
                .Concat(NormsSublayerOutputs ? PostAttentionNorm.All : Enumerable.Empty<WeightPlan>());
            var ffn = (IsGated ? Gate.Weights : Enumerable.Empty<WeightPlan>()).Concat(Intermediate.Weights).Concat(Output.Weights)
                .Concat(NormsSublayerOutputs ? PostFeedForwardNorm.All : Enumerable.Empty<WeightPlan>());
            if (PostSublayerNorm)
            {
                // OLMo 2: no norm in front of a sublayer; each sublayer's list ends with the norm of its output.
                return attention.Concat(ffn);
            }

            return PreNorm
                ? AttentionNorm.All.Concat(attention).Concat(OutputNorm.All).Concat(ffn)
                : attention.Concat(AttentionNorm.All).Concat(ffn).Concat(OutputNorm.All);
        }
    }

    /// <summary>The scratch rows, each [MaxBatchTokens, width]: field, width constant, floats, what it holds.</summary>
    public IEnumerable<(string Field, string Width, long Floats, string Holds)> Scratch
    {
        get
        {
            yield return ("_query", "QueryWidth", (long)MaxBatchTokens * QueryWidth, "queries");
            if (!UsesCache)
            {
                yield return ("_key", "KvWidth", (long)MaxBatchTokens * KvWidth, "keys");
                yield return ("_value", "KvWidth", (long)MaxBatchTokens * KvWidth, "values");
            }

            yield return ("_attended", "QueryWidth", (long)MaxBatchTokens * QueryWidth, "the attended heads");
            yield return ("_sublayerOutput", "ModelDim", (long)MaxBatchTokens * ModelDim, "a sublayer's output, before the residual");
            if (WindowBites)
            {
                // A chunk's rows against the keys its first row can see: at most SlidingWindow − 1 before the chunk.
                yield return ("_windowMask", "(MaxBatchTokens + SlidingWindow - 1)", (long)MaxBatchTokens * (MaxBatchTokens + SlidingWindow - 1), "the sliding window's mask over a chunk");
            }

            yield return ("_intermediate", "FfnDim", (long)MaxBatchTokens * FfnDim, "the feed-forward hidden layer");
            if (IsGated)
            {
                yield return ("_gate", "FfnDim", (long)MaxBatchTokens * FfnDim, "the feed-forward gate");
            }

            if (NormsSublayerInputs)
            {
                yield return ("_normed", "ModelDim", (long)MaxBatchTokens * ModelDim, "the normalized rows a sublayer reads");
            }
        }
    }

    /// <summary>The members the block adds to the class.</summary>
    public IEnumerable<string> Members =>
        new[] { "ModelDim", "FfnDim", "NormEpsilon", "MaxBatchTokens", "Heads", "KvHeads", "HeadDim", "QueryWidth", "KvWidth", "MaxSeqLen",
                "MaxKvSeqLen", "Scale", "Softcap", "IsCausal", "RunBlock", "RopeDim", "RopeTheta", "RopeTables",
                "RopeScalingFactor", "RopeLowFrequencyFactor", "RopeHighFrequencyFactor", "RopeOriginalMaxPositions",
                "SlidingWindow", "SlidingWindowPattern", "IsWindowed", "LocalRopeTheta", "LocalRopeTables", "NoRopeInterval", "RotatesPositions", "ResidualMultiplier" }
            .Concat(Scratch.Select(s => s.Field)).Concat(Core.Members);

    /// <summary>The scratch an instance allocates, for the memory ceiling.</summary>
    public IEnumerable<BufferPlan> Buffers =>
        Core.Buffers.Concat(Scratch.Select(s => new BufferPlan(s.Holds, s.Floats, "MaxBatchTokens")));

    /// <summary>
    /// Where Q, K or V (from <paramref name="offset"/>) is in a checkpoint that fuses the three: GPT-2's Conv1D
    /// <c>c_attn</c>, or the family's [out, in] tensor (Phi-3's <c>qkv_proj</c>).
    /// </summary>
    private FusedSourcePlan? QueryKeyValueSource(string offset) =>
        Naming.Conv1DCheckpoints ? new("attn.c_attn", "QueryWidth + 2 * KvWidth", offset, Conv1D: true)
        : Naming.FusedQueryKeyValue is { } fused ? new(fused, "QueryWidth + 2 * KvWidth", offset, Conv1D: false)
        : null;

    /// <summary>Where the gate (offset 0) or the up projection (offset FfnDim) is in a checkpoint that fuses the two (Phi-3's <c>gate_up_proj</c>, gate first).</summary>
    private FusedSourcePlan? GateUpSource(string offset) =>
        Naming.FusedGateUp is { } fused ? new(fused, "2 * FfnDim", offset, Conv1D: false) : null;

    /// <summary>GPT-2's checkpoints hold this layer alone, in Conv1D's [in, out]; others as it is.</summary>
    private FusedSourcePlan? Conv1DSource(string tensorPrefix, string outputs) =>
        Naming.Conv1DCheckpoints ? new(tensorPrefix, outputs, "0", Conv1D: true) : null;

    private WeightPlan QueryKeyNormGain(string tensorPrefix, string accessor, int acrossHeads, string acrossHeadsName)
    {
        var gain = QueryKeyNormAcrossHeads
            ? WeightPlan.Named(tensorPrefix + ".weight", acrossHeads, acrossHeadsName, 0, "")
            : WeightPlan.Named(tensorPrefix + ".weight", Core.HeadDim, "HeadDim", 0, "");
        return gain with { PropertyName = accessor };
    }

    private NormWeights NormWeightsFor(string tensorPrefix, string accessor) => NormWeights.For(Norm, tensorPrefix, accessor, ModelDim);
}

/// <summary>Llama 3.1's rotary frequency scaling, as the runtime's <c>Llama3RopeScaling</c> takes it.</summary>
internal sealed record Llama3RopeScalingPlan(float Factor, float LowFrequencyFactor, float HighFrequencyFactor, int OriginalMaxPositions);

/// <summary>A norm's tensors: the gain, and (LayerNorm only) the bias; <paramref name="Kind"/> says which runtime kernel applies them.</summary>
internal sealed record NormWeights(NormKind Kind, WeightPlan Gain, WeightPlan? Bias)
{
    public IEnumerable<WeightPlan> All => Bias is null ? new[] { Gain } : new[] { Gain, Bias };

    /// <summary>The tensors <c>{tensorPrefix}.weight</c> (and <c>.bias</c> for LayerNorm), [ModelDim], as properties <c>{accessor}Gain</c>/<c>Bias</c>.</summary>
    public static NormWeights For(NormKind kind, string tensorPrefix, string accessor, int modelDim) => new(
        kind,
        WeightPlan.Named(tensorPrefix + ".weight", modelDim, "ModelDim", 0, "") with { PropertyName = accessor + "Gain" },
        kind == NormKind.LayerNorm ? WeightPlan.Named(tensorPrefix + ".bias", modelDim, "ModelDim", 0, "") with { PropertyName = accessor + "Bias" } : null);
}

/// <summary>The tensor-name prefix of each part of a block, in one checkpoint family's convention.</summary>
/// <param name="Conv1DCheckpoints">
/// Whether checkpoints hold the linear layers as GPT-2 does (Conv1D layout, Q/K/V fused); the names here are then this
/// layer's own, different from the file's, so a square Conv1D matrix can never be read as [out, in] by mistake.
/// </param>
/// <param name="FusedQueryKeyValue">
/// The tensor some of the family's checkpoints hold Q, K and V in, one after another as [out, in] (Phi-3's
/// <c>self_attn.qkv_proj</c>), read when a file lacks the three; null for none.
/// </param>
/// <param name="FusedGateUp">Likewise for the gate and up projections, gate first (Phi-3's <c>mlp.gate_up_proj</c>).</param>
/// <param name="PreFeedForwardNorm">With sandwich norms, the norm before the feed-forward network (Gemma's name).</param>
/// <param name="PostFeedForwardNorm">With sandwich norms, the norm of the feed-forward network's output (Gemma's name).</param>
internal sealed record BlockNaming(
    string Query, string Key, string Value, string AttentionOutput, string AttentionNorm, string Gate, string Intermediate, string Output, string OutputNorm,
    bool Conv1DCheckpoints = false, string QueryNorm = "self_attn.q_norm", string KeyNorm = "self_attn.k_norm",
    string? FusedQueryKeyValue = null, string? FusedGateUp = null,
    string PreFeedForwardNorm = "pre_feedforward_layernorm", string PostFeedForwardNorm = "post_feedforward_layernorm")
{
    /// <summary>Hugging Face <c>BertLayer</c>. BERT has no gated network, so <see cref="Gate"/> is never used with it.</summary>
    public static BlockNaming Bert { get; } = new(
        "attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense", "attention.output.LayerNorm",
        "intermediate.gate", "intermediate.dense", "output.dense", "output.LayerNorm");

    /// <summary>Hugging Face <c>LlamaDecoderLayer</c>, and <c>Phi3DecoderLayer</c>'s fused projections.</summary>
    public static BlockNaming HfLlama { get; } = new(
        "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "input_layernorm",
        "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj", "post_attention_layernorm",
        FusedQueryKeyValue: "self_attn.qkv_proj", FusedGateUp: "mlp.gate_up_proj");

    /// <summary>Hugging Face <c>GPT2Block</c>: norms as named there; the linear layers under names of their own, loaded from <c>c_attn</c>, <c>c_proj</c>, <c>c_fc</c>.</summary>
    public static BlockNaming Gpt2 { get; } = new(
        "attn.q_proj", "attn.k_proj", "attn.v_proj", "attn.o_proj", "ln_1", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj", "ln_2",
        Conv1DCheckpoints: true);

    public static BlockNaming For(WeightNames names) => names switch
    {
        WeightNames.HfLlama => HfLlama,
        WeightNames.Gpt2 => Gpt2,
        _ => Bert,
    };
}
