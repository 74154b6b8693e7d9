using System.Collections.Generic;
using System.Linq;
using AttentionGen.Generator.Components.Linear;
using AttentionGen.Generator.Layers;
using AttentionGen.Generator.Planning;

namespace AttentionGen.Generator.Components.TransformerBlock;

/// <summary>
/// One transformer block, planned: self-attention (one <see cref="AttentionCore.AttentionCorePlan"/>) and a feed-forward
/// network, each with a residual and a norm, post-norm (BERT) or pre-norm. Its tensors carry Hugging Face
/// <c>BertLayer</c> names; its scratch holds <see cref="MaxBatchTokens"/> rows, the most tokens one call runs at once.
/// </summary>
internal sealed record TransformerBlockPlan(
    AttentionCore.AttentionCorePlan Core, int ModelDim, int FfnDim, ActivationKind Activation, NormKind Norm, float NormEpsilon,
    bool PreNorm, bool Bias, int MaxBatchTokens)
{
    private int QueryWidth => (int)Core.QueryWidth;

    private int KvWidth => (int)Core.KvWidth;

    public LinearPlan Query => new("attention.self.query", QueryWidth, "QueryWidth", ModelDim, "ModelDim", Bias) { Accessor = "Query" };

    public LinearPlan Key => new("attention.self.key", KvWidth, "KvWidth", ModelDim, "ModelDim", Bias) { Accessor = "Key" };

    public LinearPlan Value => new("attention.self.value", KvWidth, "KvWidth", ModelDim, "ModelDim", Bias) { Accessor = "Value" };

    public LinearPlan AttentionOutput => new("attention.output.dense", ModelDim, "ModelDim", QueryWidth, "QueryWidth", Bias) { Accessor = "AttentionOutput" };

    public LinearPlan Intermediate => new("intermediate.dense", FfnDim, "FfnDim", ModelDim, "ModelDim", Bias) { Accessor = "Intermediate" };

    public LinearPlan Output => new("output.dense", ModelDim, "ModelDim", FfnDim, "FfnDim", Bias) { Accessor = "Output" };

    /// <summary>The norm after attention (before it, pre-norm): gain and bias.</summary>
    public (WeightPlan Gain, WeightPlan Bias) AttentionNorm => NormWeights("attention.output.LayerNorm", "AttentionNorm");

    /// <summary>The norm after the feed-forward network (before it, pre-norm).</summary>
    public (WeightPlan Gain, WeightPlan Bias) OutputNorm => NormWeights("output.LayerNorm", "OutputNorm");

    /// <summary>The block's tensors in <c>BertLayer</c>'s order, as its state dict lists them.</summary>
    public IEnumerable<WeightPlan> Weights =>
        Query.Weights.Concat(Key.Weights).Concat(Value.Weights).Concat(AttentionOutput.Weights)
            .Concat(new[] { AttentionNorm.Gain, AttentionNorm.Bias })
            .Concat(Intermediate.Weights).Concat(Output.Weights)
            .Concat(new[] { OutputNorm.Gain, OutputNorm.Bias });

    /// <summary>The scratch rows, each [MaxBatchTokens, width]: name, width constant, what it holds.</summary>
    public IEnumerable<(string Field, string Width, long Floats, string Holds)> Scratch
    {
        get
        {
            yield return ("_query", "QueryWidth", (long)MaxBatchTokens * QueryWidth, "queries");
            yield return ("_key", "KvWidth", (long)MaxBatchTokens * KvWidth, "keys");
            yield return ("_value", "KvWidth", (long)MaxBatchTokens * KvWidth, "values");
            yield return ("_attended", "QueryWidth", (long)MaxBatchTokens * QueryWidth, "the attended heads");
            yield return ("_sublayerOutput", "ModelDim", (long)MaxBatchTokens * ModelDim, "a sublayer's output, before the residual");
            yield return ("_intermediate", "FfnDim", (long)MaxBatchTokens * FfnDim, "the feed-forward hidden layer");
            if (PreNorm)
            {
                yield return ("_normed", "ModelDim", (long)MaxBatchTokens * ModelDim, "the normalized rows a sublayer reads");
            }
        }
    }

    /// <summary>The members the block adds to the class.</summary>
    public IEnumerable<string> Members =>
        new[] { "ModelDim", "FfnDim", "NormEpsilon", "MaxBatchTokens", "Heads", "KvHeads", "HeadDim", "QueryWidth", "KvWidth", "MaxSeqLen",
                "MaxKvSeqLen", "Scale", "Softcap", "IsCausal", "RunBlock" }
            .Concat(Scratch.Select(s => s.Field)).Concat(Core.Members);

    /// <summary>The scratch an instance allocates, for the memory ceiling.</summary>
    public IEnumerable<BufferPlan> Buffers =>
        Core.Buffers.Concat(Scratch.Select(s => new BufferPlan(s.Holds, s.Floats, "MaxBatchTokens")));

    private (WeightPlan Gain, WeightPlan Bias) NormWeights(string tensorPrefix, string accessor) =>
        (WeightPlan.Named(tensorPrefix + ".weight", ModelDim, "ModelDim", 0, "") with { PropertyName = accessor + "Gain" },
         WeightPlan.Named(tensorPrefix + ".bias", ModelDim, "ModelDim", 0, "") with { PropertyName = accessor + "Bias" });
}
