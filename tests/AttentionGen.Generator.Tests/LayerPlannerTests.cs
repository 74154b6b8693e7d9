using AttentionGen.Generator.Model;
using AttentionGen.Generator.Planning;

namespace AttentionGen.Generator.Tests;

/// <summary>The planner is pure data in, data out, so its decisions are checked here without looking at any text.</summary>
public sealed class LayerPlannerTests
{
    [Theory]
    // width, vector width, expected chunks as width@offset, scalar tail
    [InlineData(20, 16, "16@0 4@16", 0)]
    [InlineData(12, 16, "8@0 4@8", 0)]
    [InlineData(12, 8, "8@0 4@8", 0)]
    [InlineData(6, 4, "4@0", 2)]
    [InlineData(16, 16, "16@0", 0)]
    [InlineData(64, 16, "16@0 16@16 16@32 16@48", 0)]
    [InlineData(64, 8, "8@0 8@8 8@16 8@24 8@32 8@40 8@48 8@56", 0)]
    [InlineData(31, 16, "16@0 8@16 4@24", 3)]
    [InlineData(3, 4, "", 3)]
    [InlineData(20, 4, "4@0 4@4 4@8 4@12 4@16", 0)]
    public void SplitIntoChunks_CoversTheRowWidestFirst(int width, int vectorWidth, string expectedChunks, int expectedTail)
    {
        var path = LayerPlanner.SplitIntoChunks(width, vectorWidth);

        Assert.Equal(vectorWidth, path.VectorWidth);
        Assert.Equal(expectedChunks, string.Join(" ", path.Chunks.Select(c => $"{c.Width}@{c.Offset}")));
        Assert.Equal(expectedTail, path.ScalarTail);
        Assert.Equal(width, path.Chunks.Sum(c => c.Width) + path.ScalarTail);
    }

    [Theory]
    [InlineData(20, "16 8 4 1")]
    [InlineData(12, "8 4 1")]
    [InlineData(6, "4 1")]
    [InlineData(3, "1")]
    [InlineData(300, "16 8 4 1")]
    public void RowKernel_OffersOnlyPathsWhoseVectorFitsTheRow(int width, string expectedPaths)
    {
        var kernel = LayerPlanner.RowKernel(RowKernelKind.DotRows, "ScoreKeys", width, "HeadDim", "KvWidth");

        Assert.Equal(expectedPaths, string.Join(" ", kernel.Paths.Select(p => p.VectorWidth)));
        var scalar = kernel.Paths[kernel.Paths.Count - 1];
        Assert.True(scalar.IsScalar);
        Assert.Equal(width, scalar.ScalarTail);
        Assert.Empty(scalar.Chunks);
    }

    [Theory]
    [InlineData(256, true)]
    [InlineData(257, false)]
    [InlineData(300, false)]
    public void RowKernel_UnrollsUpToTheLimit(int width, bool unrolled)
    {
        Assert.Equal(unrolled, LayerPlanner.RowKernel(RowKernelKind.WeightedSum, "WeighValues", width, "HeadDim", "KvWidth").Unrolled);
    }

    [Fact]
    public void ScaledDotProduct_DefaultsResolveFromHeadsAndMaxSeqLen()
    {
        var plan = LayerPlanner.Plan(Model(LayerKind.ScaledDotProductAttention, new LayerOptions { Heads = 4, HeadDim = 16, MaxSeqLen = 32 }));

        var attention = plan.Attention!;
        Assert.Equal(4, attention.KvHeads);
        Assert.Equal(32, attention.MaxKvSeqLen);
        Assert.Equal(0.25f, attention.Scale);
        Assert.Equal(0f, attention.Softcap);
        Assert.Equal(1, attention.GroupSize);
        Assert.Null(plan.Projections);
        Assert.Null(plan.Pooling);
        Assert.Empty(plan.Weights);
        Assert.Equal("Tests.Layer.g.cs", plan.HintName);
        Assert.Equal(["ScoreKeys", "WeighValues"], plan.RowKernels.Select(k => k.MethodName));
        Assert.All(plan.RowKernels, k => Assert.Equal(16, k.Width));
    }

    [Fact]
    public void ScaledDotProduct_ExplicitValuesWin()
    {
        var plan = LayerPlanner.Plan(Model(LayerKind.ScaledDotProductAttention,
            new LayerOptions { Heads = 8, KvHeads = 2, HeadDim = 20, MaxSeqLen = 16, MaxKvSeqLen = 128, Causal = true, Scale = 0.1f, Softcap = 30f }));

        // 20 is a multiple of 4 only: just the Vector128 tile fits whole vectors across the head.
        var tiles = new[] { new TilePlan(4, 4, 2, 2) }.ToEquatableArray();
        Assert.Equal(new AttentionShape(8, 2, 20, 16, 128, true, 0.1f, 30f, tiles), plan.Attention);
        Assert.Equal(4, plan.Attention!.GroupSize);
        Assert.Equal(160, plan.Attention.QueryWidth);
        Assert.Equal(40, plan.Attention.KvWidth);
    }

    [Fact]
    public void DefaultScale_IsOneOverRootHeadDim_InFloat()
    {
        var plan = LayerPlanner.Plan(Model(LayerKind.ScaledDotProductAttention, new LayerOptions { Heads = 1, HeadDim = 20, MaxSeqLen = 4 }));

        Assert.Equal((float)(1 / Math.Sqrt(20)), plan.Attention!.Scale);
    }

    [Fact]
    public void MultiHead_HeadDimDefaultsToModelDimOverHeads_AndSelfAttentionOnly()
    {
        var plan = LayerPlanner.Plan(Model(LayerKind.MultiHeadAttention, new LayerOptions { ModelDim = 64, Heads = 4, MaxSeqLen = 16 }));

        Assert.Equal(16, plan.Attention!.HeadDim);
        Assert.Equal(new ProjectionShape(64, 64, true, EmitsSelfAttention: true, EmitsCrossAttention: false), plan.Projections);
        Assert.Equal(
            ["q_proj.weight [64, 64]", "q_proj.bias [64]", "k_proj.weight [64, 64]", "k_proj.bias [64]",
             "v_proj.weight [64, 64]", "v_proj.bias [64]", "o_proj.weight [64, 64]", "o_proj.bias [64]"],
            plan.Weights.Select(Describe));
        Assert.Equal(["QProjWeight", "QProjBias", "KProjWeight", "KProjBias", "VProjWeight", "VProjBias", "OProjWeight", "OProjBias"],
            plan.Weights.Select(w => w.PropertyName));
        Assert.Equal("_qProjWeight", plan.Weights[0].FieldName);
        Assert.Equal("QueryWidth, ModelDim", plan.Weights[0].ShapeText);
        Assert.Equal("QueryWidth", plan.Weights[1].ShapeText);
    }

    [Fact]
    public void MultiHead_CrossAttention_WiderContext_OnlyCrossOverload_AndKvWeightsUseKvInputDim()
    {
        var plan = LayerPlanner.Plan(Model(LayerKind.MultiHeadAttention,
            new LayerOptions { ModelDim = 64, Heads = 4, KvHeads = 2, MaxSeqLen = 16, KvInputDim = 96, Bias = false }));

        Assert.Equal(new ProjectionShape(64, 96, false, EmitsSelfAttention: false, EmitsCrossAttention: true), plan.Projections);
        Assert.Equal(["q_proj.weight [64, 64]", "k_proj.weight [32, 96]", "v_proj.weight [32, 96]", "o_proj.weight [64, 64]"],
            plan.Weights.Select(Describe));
    }

    [Fact]
    public void MultiHead_CrossAttention_SameWidth_EmitsBothOverloads()
    {
        var plan = LayerPlanner.Plan(Model(LayerKind.MultiHeadAttention, new LayerOptions { ModelDim = 32, Heads = 4, MaxSeqLen = 8, KvInputDim = 32 }));

        Assert.True(plan.Projections!.EmitsSelfAttention);
        Assert.True(plan.Projections.EmitsCrossAttention);
    }

    [Fact]
    public void MultiHead_ExplicitHeadDim_ShapesTheProjections()
    {
        var plan = LayerPlanner.Plan(Model(LayerKind.MultiHeadAttention, new LayerOptions { ModelDim = 48, Heads = 4, HeadDim = 8, MaxSeqLen = 16 }));

        Assert.Equal(8, plan.Attention!.HeadDim);
        Assert.Equal("q_proj.weight [32, 48]", Describe(plan.Weights[0]));
        Assert.Equal("o_proj.weight [48, 32]", Describe(plan.Weights[6]));
    }

    [Fact]
    public void Pooling_HasScoreAndOutputLayers_AndKernelsOverInputDim()
    {
        var plan = LayerPlanner.Plan(Model(LayerKind.AttentionPooling, new LayerOptions { InputDim = 24, MaxSeqLen = 64, OutputDim = 3 }));

        Assert.Null(plan.Attention);
        Assert.Equal(new PoolingShape(24, 64, 3), plan.Pooling);
        Assert.Equal(["score.weight [1, 24]", "score.bias [1]", "output.weight [3, 24]", "output.bias [3]"], plan.Weights.Select(Describe));
        Assert.Equal(["ScoreWeight", "ScoreBias", "OutputWeight", "OutputBias"], plan.Weights.Select(w => w.PropertyName));
        Assert.Equal(["ScorePositions", "PoolPositions"], plan.RowKernels.Select(k => k.MethodName));
        Assert.Equal([RowKernelKind.DotRows, RowKernelKind.WeightedSum], plan.RowKernels.Select(k => k.Kind));
        Assert.All(plan.RowKernels, k => Assert.Equal(24, k.Width));
    }

    [Fact]
    public void HintName_IncludesNamespaceAndContainingTypes()
    {
        var model = Model(LayerKind.ScaledDotProductAttention, new LayerOptions { Heads = 1, HeadDim = 4, MaxSeqLen = 1 }) with
        {
            ContainingTypes = new[] { new ContainingType("class", "Outer"), new ContainingType("record", "Middle") }.ToEquatableArray(),
        };

        Assert.Equal("Tests.Outer.Middle.Layer.g.cs", LayerPlanner.Plan(model).HintName);
        Assert.Equal("Layer.g.cs", LayerPlanner.Plan(model with { Namespace = null, ContainingTypes = EquatableArray<ContainingType>.Empty }).HintName);
    }

    [Fact]
    public void Plans_AreEqualByValue()
    {
        var options = new LayerOptions { ModelDim = 64, Heads = 4, MaxSeqLen = 16, Causal = true };

        var first = LayerPlanner.Plan(Model(LayerKind.MultiHeadAttention, options));
        var second = LayerPlanner.Plan(Model(LayerKind.MultiHeadAttention, options with { }));

        Assert.Equal(first, second);
        Assert.Equal(first.GetHashCode(), second.GetHashCode());
        Assert.NotEqual(first, LayerPlanner.Plan(Model(LayerKind.MultiHeadAttention, options with { Heads = 8 })));
    }

    [Fact]
    public void SelfAttention_KeyBoundCoversTheQueries()
    {
        var options = new LayerOptions { ModelDim = 16, Heads = 2, MaxSeqLen = 8, MaxKvSeqLen = 4 };

        var plan = LayerPlanner.Plan(Model(LayerKind.MultiHeadAttention, options));

        Assert.Equal(8, plan.Attention!.MaxKvSeqLen);
    }

    [Fact]
    public void CrossAttentionOnly_KeepsTheDeclaredKeyBound()
    {
        var options = new LayerOptions { ModelDim = 16, Heads = 2, MaxSeqLen = 8, MaxKvSeqLen = 4, KvInputDim = 24 };

        var plan = LayerPlanner.Plan(Model(LayerKind.MultiHeadAttention, options));

        Assert.Equal(4, plan.Attention!.MaxKvSeqLen);
    }

    [Theory]
    [InlineData(64, new[] { 16, 8, 4 })]
    [InlineData(8, new[] { 8, 4 })]
    [InlineData(12, new[] { 4 })]
    [InlineData(3, new int[0])]
    public void Tiles_OnlyForWidthsThatCoverTheHeadInWholeVectors(int headDim, int[] widths)
    {
        Assert.Equal(widths, LayerPlanner.TilesFor(headDim, maxKvSeqLen: 128).Select(t => t.VectorWidth));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(16, 1)]
    [InlineData(17, 2)]
    [InlineData(32, 2)]
    [InlineData(48, 3)]
    [InlineData(64, 4)]
    [InlineData(4096, 4)]
    public void Avx512Tile_NarrowsItsKeyPanel_ToTheKeysACallCanHave(int maxKvSeqLen, int keyVectors)
    {
        var tile = LayerPlanner.TilesFor(64, maxKvSeqLen).Single(t => t.VectorWidth == 16);

        Assert.Equal(keyVectors, tile.KeyVectors);
        Assert.Equal(6, tile.Rows);
    }

    [Fact]
    public void SelfAttentionTiles_AreSizedForTheRaisedKeyBound()
    {
        // MaxKvSeqLen 16 is raised to MaxSeqLen 64 for the self-attention Forward; the tile must follow.
        var options = new LayerOptions { ModelDim = 64, Heads = 1, MaxSeqLen = 64, MaxKvSeqLen = 16 };

        var attention = LayerPlanner.Plan(Model(LayerKind.MultiHeadAttention, options)).Attention!;

        Assert.Equal(64, attention.MaxKvSeqLen);
        Assert.Equal(4, attention.Tiles.Single(t => t.VectorWidth == 16).KeyVectors);
    }

    [Theory]
    [InlineData(64, 1024, 0)]     // a tile's score rows still fit in L1: exact two-pass softmax
    [InlineData(64, 1025, 512)]   // past it: online softmax over 512-key chunks
    [InlineData(64, 8192, 512)]
    [InlineData(300, 8192, 0)]    // no tiles at all (looped rows), so nothing to chunk
    public void OnlineSoftmax_OnlyForTiledLayersPastTheThreshold(int headDim, int maxKvSeqLen, int chunk)
    {
        var plan = LayerPlanner.Plan(Model(LayerKind.ScaledDotProductAttention, new LayerOptions { Heads = 2, HeadDim = headDim, MaxSeqLen = 16, MaxKvSeqLen = maxKvSeqLen }));

        Assert.Equal(chunk, plan.Attention!.OnlineChunk);
    }

    [Fact]
    public void ScoreStride_RoundsKeysUpToWholePanels()
    {
        var plan = LayerPlanner.Plan(Model(LayerKind.ScaledDotProductAttention, new LayerOptions { Heads = 2, HeadDim = 64, MaxSeqLen = 100 }));

        Assert.Equal(128, plan.Attention!.ScoreStride);
        Assert.Equal(6, plan.Attention.MaxTileRows);
    }

    private static LayerModel Model(LayerKind kind, LayerOptions options) =>
        new(kind, "Tests", "Layer", "class", "public", EquatableArray<ContainingType>.Empty, IsPartial: true, IsGeneric: false, LayerAttributeCount: 1, options);

    private static string Describe(WeightPlan weight) =>
        weight.IsVector ? $"{weight.TensorName} [{weight.Rows}]" : $"{weight.TensorName} [{weight.Rows}, {weight.Columns}]";
}
