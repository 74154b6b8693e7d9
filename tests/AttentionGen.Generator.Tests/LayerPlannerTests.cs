using AttentionGen.Generator.Components.AttentionCore;
using AttentionGen.Generator.Layers;
using AttentionGen.Generator.Model;
using AttentionGen.Generator.Planning;

namespace AttentionGen.Generator.Tests;

/// <summary>The planners are pure data in, data out, so their decisions are checked here without looking at any text.</summary>
public sealed class LayerPlannerTests
{
    [Fact]
    public void ScaledDotProduct_DefaultsResolveFromHeadsAndMaxSeqLen()
    {
        var core = Core(new ScaledDotProductAttentionSpec { Heads = 4, HeadDim = 16, MaxSeqLen = 32 });

        Assert.Equal(4, core.KvHeads);
        Assert.Equal(32, core.MaxKvSeqLen);
        Assert.Equal(0.25f, core.Scale);
        Assert.True(core.ScaleIsDefault);
        Assert.Equal(1, core.GroupSize);
    }

    [Fact]
    public void ScaledDotProduct_ExplicitOptionsAreKept()
    {
        var core = Core(new ScaledDotProductAttentionSpec
        {
            Heads = 8,
            KvHeads = 2,
            HeadDim = 20,
            MaxSeqLen = 16,
            MaxKvSeqLen = 128,
            Causal = true,
            Scale = 0.1f,
            Softcap = 30f,
        });

        Assert.Equal((8, 2, 20, 16, 128, true, 0.1f, 30f), (core.Heads, core.KvHeads, core.HeadDim, core.MaxSeqLen, core.MaxKvSeqLen, core.Causal, core.Scale, core.Softcap));
        Assert.False(core.ScaleIsDefault);
        Assert.Equal(4, core.GroupSize);
        Assert.Equal(8, core.RowStackedHeads); // a score row for every head: a decode step takes the 2 streams in turns
    }

    [Fact]
    public void MultiHead_HeadDimDefaultsToModelDimOverHeads_AndProjectsWithNamedWidths()
    {
        var body = MultiHead(new MultiHeadAttentionSpec { ModelDim = 64, Heads = 4, MaxSeqLen = 16 });

        Assert.Equal(16, body.Core.HeadDim);
        Assert.Equal(64, body.KvInputDim);
        Assert.True(body.EmitsSelf);
        Assert.False(body.EmitsCross);
        Assert.Equal(
            ["q_proj.weight [64, 64]", "q_proj.bias [64]", "k_proj.weight [64, 64]", "k_proj.bias [64]", "v_proj.weight [64, 64]", "v_proj.bias [64]", "o_proj.weight [64, 64]", "o_proj.bias [64]"],
            body.Weights.Select(Describe));
        Assert.Equal(["QueryWidth, ModelDim", "KvWidth, KvInputDim", "KvWidth, KvInputDim", "ModelDim, QueryWidth"], body.Projections.Select(p => p.Weight.ShapeText));
    }

    [Fact]
    public void MultiHead_WithoutBias_HasNoBiasTensors()
    {
        var body = MultiHead(new MultiHeadAttentionSpec { ModelDim = 32, Heads = 2, MaxSeqLen = 16, Bias = false });

        Assert.Equal(["q_proj.weight", "k_proj.weight", "v_proj.weight", "o_proj.weight"], body.Weights.Select(w => w.TensorName));
    }

    [Fact]
    public void MultiHead_CrossAttention_OnlyWhenKvInputDimIsSet_AndSelfOnlyWhenWidthsMatch()
    {
        var wider = MultiHead(new MultiHeadAttentionSpec { ModelDim = 32, Heads = 4, MaxSeqLen = 8, KvInputDim = 48 });
        var same = MultiHead(new MultiHeadAttentionSpec { ModelDim = 32, Heads = 4, MaxSeqLen = 8, KvInputDim = 32 });

        Assert.Equal((false, true), (wider.EmitsSelf, wider.EmitsCross));
        Assert.Equal((true, true), (same.EmitsSelf, same.EmitsCross));
    }

    [Fact]
    public void SelfAttention_KeyBoundCoversTheQueries()
    {
        var body = MultiHead(new MultiHeadAttentionSpec { ModelDim = 16, Heads = 2, MaxSeqLen = 8, MaxKvSeqLen = 4 });

        Assert.Equal(8, body.Core.MaxKvSeqLen);
    }

    [Fact]
    public void CrossAttentionOnly_KeepsTheDeclaredKeyBound()
    {
        var body = MultiHead(new MultiHeadAttentionSpec { ModelDim = 16, Heads = 2, MaxSeqLen = 8, MaxKvSeqLen = 4, KvInputDim = 24 });

        Assert.Equal(4, body.Core.MaxKvSeqLen);
    }

    [Fact]
    public void SelfAttentionTiles_AreSizedForTheRaisedKeyBound()
    {
        // MaxKvSeqLen 16 is raised to MaxSeqLen 64 for the self-attention Forward; the Vector512 panel must follow.
        var body = MultiHead(new MultiHeadAttentionSpec { ModelDim = 64, Heads = 1, MaxSeqLen = 64, MaxKvSeqLen = 16 });

        Assert.Equal(64, body.Core.PanelKeys512);
    }

    [Fact]
    public void Pooling_HasItsFourTensors()
    {
        var plan = Plan(new AttentionPoolingSpec { InputDim = 24, MaxSeqLen = 64, OutputDim = 3 });
        var body = Assert.IsType<AttentionPoolingLayer.Body>(plan.Body);

        Assert.Equal(["score.weight [1, 24]", "score.bias [1]", "output.weight [3, 24]", "output.bias [3]"], body.Weights.Select(Describe));
        Assert.Equal(["ScoreWeight", "ScoreBias", "OutputWeight", "OutputBias"], body.Weights.Select(w => w.PropertyName));
    }

    [Theory]
    [InlineData(64, 32, true, true)]
    [InlineData(16, 32, true, true)]
    [InlineData(20, 32, true, true)] // not whole vectors of any width: the last one overlaps the one before it
    [InlineData(24, 32, true, true)]
    [InlineData(40, 32, true, true)]
    [InlineData(100, 32, true, true)]
    [InlineData(256, 32, true, true)]
    [InlineData(15, 0, true, true)] // narrower than a Vector512
    [InlineData(8, 32, true, true)]  // half a Vector512: its P·V weighs two keys per vector
    [InlineData(12, 0, true, true)]
    [InlineData(7, 0, false, true)]
    [InlineData(4, 0, false, true)]
    [InlineData(3, 0, false, false)]
    [InlineData(300, 0, false, false)] // too wide for tiles
    public void Tiles_ForEveryWidthAtLeastOneVectorWide_AndHalfAVector512(int headDim, int panelKeys512, bool tile256, bool tile128)
    {
        var core = AttentionCorePlanner.Plan("Attention", 2, 0, headDim, 16, 32, false, 0, 0);

        Assert.Equal((panelKeys512, tile256, tile128), (core.PanelKeys512, core.HasTile256, core.HasTile128));
    }

    [Theory]
    [InlineData(1, 16)]
    [InlineData(16, 16)]
    [InlineData(17, 32)]
    [InlineData(32, 32)]
    [InlineData(48, 48)]
    [InlineData(64, 64)]
    [InlineData(4096, 64)]
    [InlineData(int.MaxValue, 64)]
    public void Avx512Tile_NarrowsItsKeyPanel_ToTheKeysACallCanHave(int maxKvSeqLen, int panelKeys)
    {
        Assert.Equal(panelKeys, AttentionCorePlanner.PanelKeys512(maxKvSeqLen));
    }

    [Theory]
    [InlineData(64, 1024, 0)]     // a tile's score rows still fit in L1: exact two-pass softmax
    [InlineData(64, 1025, 512)]   // past it: online softmax over 512-key chunks
    [InlineData(64, 8192, 512)]
    [InlineData(300, 8192, 0)]    // no tiles at all (rows only), so nothing to chunk
    public void OnlineSoftmax_OnlyForTiledLayersPastTheThreshold(int headDim, int maxKvSeqLen, int chunk)
    {
        var core = Core(new ScaledDotProductAttentionSpec { Heads = 2, HeadDim = headDim, MaxSeqLen = 16, MaxKvSeqLen = maxKvSeqLen });

        Assert.Equal(chunk, core.OnlineChunk);
    }

    [Fact]
    public void ScoreBlock_RoundsKeysUpToWholePanels_AndHoldsATileOrTheStackedHeads()
    {
        var tiled = Core(new ScaledDotProductAttentionSpec { Heads = 2, HeadDim = 64, MaxSeqLen = 100 });
        var wideGroup = Core(new ScaledDotProductAttentionSpec { Heads = 8, KvHeads = 1, HeadDim = 64, MaxSeqLen = 8 });
        var groups = Core(new ScaledDotProductAttentionSpec { Heads = 12, KvHeads = 3, HeadDim = 64, MaxSeqLen = 8 });
        var rowsOnly = Core(new ScaledDotProductAttentionSpec { Heads = 3, HeadDim = 3, MaxSeqLen = 5 });

        Assert.Equal((128L, 6), (tiled.ScoreStride, tiled.ScoreRows));
        Assert.Equal(8, wideGroup.ScoreRows);
        Assert.Equal(12, groups.ScoreRows); // every head, not one group of 4: the streams take turns per block of keys
        Assert.Equal((16L, 3), (rowsOnly.ScoreStride, rowsOnly.ScoreRows));
    }

    [Fact]
    public void HintName_IncludesNamespaceAndContainingTypes_WithoutEscapes()
    {
        var nested = new TypeDeclaration("Tests", "Layer", "class", new[] { new ContainingType("class", "Outer"), new ContainingType("record", "Middle") }.ToEquatableArray());
        var escaped = new TypeDeclaration("@class.Layers", "@event", "class", EquatableArray<ContainingType>.Empty);

        Assert.Equal("Tests.Outer.Middle.Layer.g.cs", nested.HintName);
        Assert.Equal("Layer.g.cs", (nested with { Namespace = null, ContainingTypes = EquatableArray<ContainingType>.Empty }).HintName);
        Assert.Equal("class.Layers.event.g.cs", escaped.HintName);
    }

    [Fact]
    public void Plans_AreEqualByValue()
    {
        var spec = new MultiHeadAttentionSpec { ModelDim = 64, Heads = 4, MaxSeqLen = 16, Causal = true };

        var first = Plan(spec);
        var second = Plan(spec with { });

        Assert.Equal(first, second);
        Assert.Equal(first.GetHashCode(), second.GetHashCode());
        Assert.NotEqual(first, Plan(spec with { Heads = 8 }));
        Assert.NotEqual(first, Plan(spec with { AdditiveMask = true }));
    }

    private static readonly TypeDeclaration Declaration = new("Tests", "Layer", "class", EquatableArray<ContainingType>.Empty);

    private static LayerPlan Plan(LayerSpec spec)
    {
        var definition = LayerDefinitions.All.Single(d => d.AttributeName + "Spec" == spec.GetType().Name);
        return definition.Plan(Declaration, spec);
    }

    private static AttentionCorePlan Core(ScaledDotProductAttentionSpec spec) =>
        Assert.IsType<ScaledDotProductAttentionLayer.Body>(Plan(spec).Body).Core;

    private static MultiHeadAttentionLayer.Body MultiHead(MultiHeadAttentionSpec spec) =>
        Assert.IsType<MultiHeadAttentionLayer.Body>(Plan(spec).Body);

    private static string Describe(WeightPlan weight) =>
        weight.IsVector ? $"{weight.TensorName} [{weight.Rows}]" : $"{weight.TensorName} [{weight.Rows}, {weight.Columns}]";
}
