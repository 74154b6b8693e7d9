using System.Reflection;
using System.Runtime.Intrinsics;
using AttentionGen.Kernels.Attention;

namespace AttentionGen.Tests.Numeric;

/// <summary>
/// The generated constants and parameter lists agree with the declarations as the contract reads them (defaults
/// applied). The numeric tests take their shapes from the attributes, so this is what ties them to the constants.
/// </summary>
[Trait("Category", "Numeric")]
public sealed class DeclaredConstantsTests
{
    [Fact]
    public void ScaledDotProduct_ConstantsMatchTheDeclarations()
    {
        var types = Declared.All<ScaledDotProductAttentionAttribute>().ToList();
        Assert.True(types.Count >= 20, $"{types.Count} SDPA layers");
        foreach (var shape in types.Select(SdpaShape.Of))
        {
            AssertConstant(shape.Type, "Heads", shape.Heads);
            AssertConstant(shape.Type, "KvHeads", shape.KvHeads);
            AssertConstant(shape.Type, "HeadDim", shape.HeadDim);
            AssertConstant(shape.Type, "QueryWidth", shape.QueryWidth);
            AssertConstant(shape.Type, "KvWidth", shape.KvWidth);
            AssertConstant(shape.Type, "MaxSeqLen", shape.MaxSeqLen);
            AssertConstant(shape.Type, "MaxKvSeqLen", shape.MaxKvSeqLen);
            AssertConstant(shape.Type, "IsCausal", shape.Causal);
            AssertConstant(shape.Type, "Scale", shape.Scale);
            AssertConstant(shape.Type, "Softcap", shape.Softcap);
        }
    }

    [Fact]
    public void MultiHead_ConstantsAndParametersMatchTheDeclarations()
    {
        var types = Declared.All<MultiHeadAttentionAttribute>().ToList();
        Assert.True(types.Count >= 12, $"{types.Count} MHA layers");
        foreach (var shape in types.Select(MhaShape.Of))
        {
            AssertConstant(shape.Type, "ModelDim", shape.ModelDim);
            AssertConstant(shape.Type, "KvInputDim", shape.KvInputDim);
            AssertConstant(shape.Type, "Heads", shape.Heads);
            AssertConstant(shape.Type, "KvHeads", shape.KvHeads);
            AssertConstant(shape.Type, "HeadDim", shape.HeadDim);
            AssertConstant(shape.Type, "MaxSeqLen", shape.MaxSeqLen);
            AssertConstant(shape.Type, "IsCausal", shape.Causal);
            AssertConstant(shape.Type, "Scale", shape.Scale);
            AssertConstant(shape.Type, "Softcap", shape.Softcap);

            // Self-attention keys are the queries, so a self-attention-only layer may raise the key bound to MaxSeqLen.
            bool selfOnly = shape.KvInputDim == shape.ModelDim && shape.Type.GetCustomAttributes(typeof(MultiHeadAttentionAttribute), false)
                .Cast<MultiHeadAttentionAttribute>().Single().KvInputDim == 0;
            int maxKv = (int)Declared.Constant(shape.Type, "MaxKvSeqLen")!;
            Assert.True(maxKv == shape.MaxKvSeqLen || (selfOnly && maxKv == Math.Max(shape.MaxSeqLen, shape.MaxKvSeqLen)),
                $"{shape}: MaxKvSeqLen {maxKv}, declared {shape.MaxKvSeqLen}");

            Assert.Equal(shape.ExpectedParameters().Select(p => $"{p.Name} [{string.Join(", ", p.Shape)}]"), shape.Parameters.Select(p => p.ToString()));
            Assert.All(shape.Parameters, p => Assert.Equal(p.Shape.Aggregate(1, (a, b) => a * b), p.ElementCount));
        }
    }

    [Fact]
    public void Pooling_ConstantsAndParametersMatchTheDeclarations()
    {
        var types = Declared.All<AttentionPoolingAttribute>().ToList();
        Assert.True(types.Count >= 6, $"{types.Count} pooling layers");
        foreach (var shape in types.Select(PoolShape.Of))
        {
            AssertConstant(shape.Type, "InputDim", shape.InputDim);
            AssertConstant(shape.Type, "MaxSeqLen", shape.MaxSeqLen);
            AssertConstant(shape.Type, "OutputDim", shape.OutputDim);
            Assert.Equal(shape.ExpectedParameters().Select(p => $"{p.Name} [{string.Join(", ", p.Shape)}]"), shape.Parameters.Select(p => p.ToString()));
        }
    }

    [Theory]
    [InlineData("SdpaHeadDim40")]
    [InlineData("SdpaHeadDim24Gqa")]
    [InlineData("SdpaHeadDim72Online")]
    [InlineData("SdpaHeadDim100OnlineCausal")]
    [InlineData("SdpaSoftcap")] // 20
    public void HeadsNotWholeVectors_PlanTheFullWidthTiles(string name)
    {
        // The plan is the generated shape struct's: every tile, and on this machine the widest vector's one runs.
        var shape = Declared.Type(name).GetNestedType("AttentionShape", BindingFlags.NonPublic)
            ?? throw new InvalidOperationException($"{name} has no AttentionShape struct.");
        Assert.True(Plan<int>(shape, "PanelKeys512") > 0, $"{name}: no Vector512 tile");
        Assert.True(Plan<bool>(shape, "HasTile256"), $"{name}: no Vector256 tile");
        Assert.True(Plan<bool>(shape, "HasTile128"), $"{name}: no Vector128 tile");

        var tile = (TileKernel)typeof(AttentionPaths).GetMethod(nameof(AttentionPaths.MachineTile))!.MakeGenericMethod(shape).Invoke(null, null)!;
        int lanes = Vector512.IsHardwareAccelerated ? 16 : Vector256.IsHardwareAccelerated ? 8 : Vector128.IsHardwareAccelerated ? 4 : 0;
        Assert.Equal(lanes, tile.Exists ? tile.Lanes : 0);
    }

    private static T Plan<T>(Type shape, string member) =>
        (T)shape.GetProperty(member, BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;

    private static void AssertConstant(Type type, string name, object expected)
    {
        var actual = Declared.Constant(type, name);
        Assert.True(expected.Equals(actual), $"{type.Name}.{name} is {actual ?? "missing"}, the declaration says {expected}");
    }
}
