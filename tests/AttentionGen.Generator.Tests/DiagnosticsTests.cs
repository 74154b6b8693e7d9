using AttentionGen.Generator.Diagnostics;
using AttentionGen.Generator.Tests.Infrastructure;
using AttentionGen.Testing;
using Microsoft.CodeAnalysis;

namespace AttentionGen.Generator.Tests;

/// <summary>
/// One test per rule: the analyzer reports the right ID on exactly the marked span. Spans follow the convention in
/// <see cref="LayerDeclarationAnalyzer"/>: a bad value → the whole named argument; a missing required value → the
/// attribute's name; not partial / generic → the class identifier; an extra layer attribute → that whole attribute.
/// </summary>
public sealed class DiagnosticsTests
{
    [Fact]
    public async Task AGEN0001_NotPartial_OnClassIdentifier()
    {
        var diagnostics = await AnalyzerRunner.VerifyAsync(
            TestSourceBuilder.MultiHead("ModelDim = 64, Heads = 4, MaxSeqLen = 16").Named("{|AGEN0001:Encoder|}").NotPartial().Build());

        Assert.Equal("'Tests.Encoder' must be declared partial, and so must every type that contains it", diagnostics[0].GetMessage());
        Assert.Equal(DiagnosticSeverity.Error, diagnostics[0].Severity);
    }

    [Fact]
    public async Task AGEN0001_NotPartialOuterType_OnNestedClassIdentifier()
    {
        await AnalyzerRunner.VerifyAsync(
            TestSourceBuilder.ScaledDotProduct("Heads = 2, HeadDim = 8, MaxSeqLen = 4")
                .Named("{|AGEN0001:Inner|}").NestedIn("public static class Outer").Build());
    }

    [Fact]
    public async Task AGEN0002_Generic_OnClassIdentifier()
    {
        var diagnostics = await AnalyzerRunner.VerifyAsync(
            TestSourceBuilder.ScaledDotProduct("Heads = 2, HeadDim = 8, MaxSeqLen = 4").Named("{|AGEN0002:Core|}").Generic("<T>").Build());

        Assert.Equal("'Tests.Core' is generic or nested in a generic type, so the generator cannot specialize it on one shape", diagnostics[0].GetMessage());
    }

    [Fact]
    public async Task AGEN0002_NestedInGenericType_OnClassIdentifier()
    {
        await AnalyzerRunner.VerifyAsync(
            TestSourceBuilder.Pooling("InputDim = 8, MaxSeqLen = 4, OutputDim = 2")
                .Named("{|AGEN0002:Pool|}").NestedIn("public partial class Outer<T>").Build());
    }

    [Fact]
    public async Task AGEN0003_NegativeDimension_OnArgument()
    {
        var diagnostics = await AnalyzerRunner.VerifyAsync(
            TestSourceBuilder.MultiHead("ModelDim = 64, {|AGEN0003:Heads = -4|}, MaxSeqLen = 16").Build());

        Assert.Equal("Heads must be greater than 0, but it is -4", diagnostics[0].GetMessage());
    }

    [Fact]
    public async Task AGEN0003_ExplicitZero_OnArgument_SaysZero()
    {
        var diagnostics = await AnalyzerRunner.VerifyAsync(
            TestSourceBuilder.ScaledDotProduct("Heads = 2, {|AGEN0003:HeadDim = 0|}, MaxSeqLen = 4").Build());

        Assert.Equal("HeadDim must be greater than 0, but it is 0", diagnostics[0].GetMessage());
    }

    [Fact]
    public async Task AGEN0003_NegativeOptionalDimension_OnArgument()
    {
        await AnalyzerRunner.VerifyAsync(
            TestSourceBuilder.MultiHead("ModelDim = 64, Heads = 4, {|AGEN0003:KvHeads = -1|}, MaxSeqLen = 16, {|AGEN0003:MaxKvSeqLen = -8|}, {|AGEN0003:KvInputDim = -2|}").Build());
    }

    [Fact]
    public async Task AGEN0003_MissingRequiredProperty_OnAttributeName()
    {
        var diagnostics = await AnalyzerRunner.VerifyAsync(
            TestSourceBuilder.WithAttribute("{|AGEN0003:MultiHeadAttention|}(Heads = 4, MaxSeqLen = 16)").Build());

        Assert.Equal("ModelDim must be greater than 0, but it is not set", diagnostics[0].GetMessage());
    }

    [Fact]
    public async Task AGEN0003_EveryMissingRequiredProperty_ReportedSeparately()
    {
        var diagnostics = await AnalyzerRunner.VerifyAsync(
            TestSourceBuilder.WithAttribute("{|AGEN0003:{|AGEN0003:{|AGEN0003:AttentionPooling|}|}|}").Build());

        Assert.Equal(
            ["InputDim must be greater than 0, but it is not set", "MaxSeqLen must be greater than 0, but it is not set", "OutputDim must be greater than 0, but it is not set"],
            diagnostics.Select(d => d.GetMessage()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task AGEN0003_ExplicitZeroAndMissing_EachAtItsOwnPlace()
    {
        var diagnostics = await AnalyzerRunner.VerifyAsync(
            TestSourceBuilder.WithAttribute("{|AGEN0003:ScaledDotProductAttention|}({|AGEN0003:Heads = 0|}, MaxSeqLen = 4)").Build());

        Assert.Equal(["HeadDim must be greater than 0, but it is not set", "Heads must be greater than 0, but it is 0"],
            diagnostics.Select(d => d.GetMessage()));
    }

    [Fact]
    public async Task AGEN0003_MissingRequiredProperty_QualifiedAttributeName()
    {
        await AnalyzerRunner.VerifyAsync(
            TestSourceBuilder.WithAttribute("{|AGEN0003:AttentionGen.ScaledDotProductAttention|}(Heads = 2, MaxSeqLen = 4)").Build());
    }

    [Fact]
    public async Task AGEN0004_ModelDimNotDivisibleByHeads_OnModelDim()
    {
        var diagnostics = await AnalyzerRunner.VerifyAsync(
            TestSourceBuilder.MultiHead("{|AGEN0004:ModelDim = 65|}, Heads = 4, MaxSeqLen = 16").Build());

        Assert.Equal("ModelDim 65 is not divisible by Heads 4, so the default HeadDim (ModelDim / Heads) is not a whole number", diagnostics[0].GetMessage());
    }

    [Fact]
    public async Task AGEN0004_NotReported_WhenHeadDimIsExplicit()
    {
        await AnalyzerRunner.VerifyAsync(TestSourceBuilder.MultiHead("ModelDim = 65, Heads = 4, HeadDim = 16, MaxSeqLen = 16").Build());
    }

    [Fact]
    public async Task AGEN0005_HeadsNotDivisibleByKvHeads_OnKvHeads()
    {
        var diagnostics = await AnalyzerRunner.VerifyAsync(
            TestSourceBuilder.ScaledDotProduct("Heads = 6, {|AGEN0005:KvHeads = 4|}, HeadDim = 8, MaxSeqLen = 4").Build());

        Assert.Equal("Heads 6 is not divisible by KvHeads 4, so the query heads cannot be split evenly among the key/value heads", diagnostics[0].GetMessage());
    }

    [Fact]
    public async Task AGEN0006_NegativeScale_OnScale()
    {
        var diagnostics = await AnalyzerRunner.VerifyAsync(
            TestSourceBuilder.ScaledDotProduct("Heads = 2, HeadDim = 8, MaxSeqLen = 4, {|AGEN0006:Scale = -0.5f|}").Build());

        Assert.Equal("Scale must be 0 (for the default 1/√HeadDim) or a positive finite number, but it is -0.5", diagnostics[0].GetMessage());
    }

    [Fact]
    public async Task AGEN0006_NaNScale_OnScale()
    {
        var diagnostics = await AnalyzerRunner.VerifyAsync(
            TestSourceBuilder.MultiHead("ModelDim = 16, Heads = 2, MaxSeqLen = 4, {|AGEN0006:Scale = float.NaN|}").Build());

        Assert.EndsWith("but it is NaN", diagnostics[0].GetMessage());
    }

    [Fact]
    public async Task AGEN0007_NegativeSoftcap_OnSoftcap()
    {
        var diagnostics = await AnalyzerRunner.VerifyAsync(
            TestSourceBuilder.MultiHead("ModelDim = 16, Heads = 2, MaxSeqLen = 4, {|AGEN0007:Softcap = -30f|}").Build());

        Assert.Equal("Softcap must be 0 (off) or a positive finite number, but it is -30", diagnostics[0].GetMessage());
    }

    [Fact]
    public async Task AGEN0007_InfiniteSoftcap_OnSoftcap()
    {
        await AnalyzerRunner.VerifyAsync(
            TestSourceBuilder.ScaledDotProduct("Heads = 2, HeadDim = 8, MaxSeqLen = 4, {|AGEN0007:Softcap = float.PositiveInfinity|}").Build());
    }

    [Fact]
    public async Task AGEN0008_SecondLayerAttribute_OnThatAttribute()
    {
        var diagnostics = await AnalyzerRunner.VerifyAsync(
            TestSourceBuilder.MultiHead("ModelDim = 16, Heads = 2, MaxSeqLen = 4")
                .AlsoAttribute("{|AGEN0008:AttentionPooling(InputDim = 16, MaxSeqLen = 4, OutputDim = 1)|}").Build());

        Assert.Equal("'Tests.Layer' has 2 layer attributes, but a class can declare only one layer", diagnostics[0].GetMessage());
    }

    [Fact]
    public async Task AGEN0008_ThreeLayerAttributes_OnEachExtraOne()
    {
        await AnalyzerRunner.VerifyAsync(
            TestSourceBuilder.Pooling("InputDim = 16, MaxSeqLen = 4, OutputDim = 1")
                .AlsoAttribute("{|AGEN0008:MultiHeadAttention(ModelDim = 16, Heads = 2, MaxSeqLen = 4)|}")
                .AlsoAttribute("{|AGEN0008:ScaledDotProductAttention(Heads = 2, HeadDim = 8, MaxSeqLen = 4)|}").Build());
    }

    [Fact]
    public async Task ClassLevelRules_ReportedOnce_WhenClassHasSeveralLayerAttributes()
    {
        // Not partial and two attributes: one AGEN0001 for the class, one AGEN0008 for the extra attribute, and each
        // attribute's own mistakes on its own arguments.
        await AnalyzerRunner.VerifyAsync(
            TestSourceBuilder.MultiHead("ModelDim = 16, {|AGEN0003:Heads = -2|}, MaxSeqLen = 4")
                .AlsoAttribute("{|AGEN0008:ScaledDotProductAttention(Heads = 2, HeadDim = 8, MaxSeqLen = 4, {|AGEN0006:Scale = -1f|})|}")
                .Named("{|AGEN0001:Twice|}").NotPartial().Build());
    }

    [Fact]
    public async Task AGEN0009_WideHeadDim_WarningOnHeadDim()
    {
        var diagnostics = await AnalyzerRunner.VerifyAsync(
            TestSourceBuilder.ScaledDotProduct("Heads = 1, {|AGEN0009:HeadDim = 300|}, MaxSeqLen = 4").Build());

        var warning = Assert.Single(diagnostics);
        Assert.Equal(DiagnosticSeverity.Warning, warning.Severity);
        Assert.Equal(
            "A head of 300 floats is wider than 256, the widest the register tiles take; every call runs row by row, which is slower for long sequences",
            warning.GetMessage());
    }

    [Fact]
    public async Task AGEN0009_WideDerivedHeadDim_WarningOnModelDim()
    {
        await AnalyzerRunner.VerifyAsync(TestSourceBuilder.MultiHead("{|AGEN0009:ModelDim = 1024|}, Heads = 2, MaxSeqLen = 4").Build());
    }

    [Fact]
    public async Task AGEN0009_NotReported_ForWidePooling()
    {
        // Pooling has no register tiles: its row kernels take any width at full speed.
        await AnalyzerRunner.VerifyAsync(TestSourceBuilder.Pooling("InputDim = 512, MaxSeqLen = 4, OutputDim = 1").Build());
    }

    [Fact]
    public async Task AGEN0009_NotReported_AtTheLimit()
    {
        await AnalyzerRunner.VerifyAsync(TestSourceBuilder.ScaledDotProduct("Heads = 1, HeadDim = 256, MaxSeqLen = 4").Build());
    }

    [Theory]
    [MemberData(nameof(Declarations.Names), MemberType = typeof(Declarations))]
    public async Task ValidDeclarations_NoErrors(string declaration)
    {
        var diagnostics = await AnalyzerRunner.GetDiagnosticsAsync(Declarations.All[declaration]);

        // The one deliberately too-wide declaration gets its warning and nothing else.
        var expected = declaration == nameof(Declarations.WideHeadDim300) ? ["AGEN0009"] : Array.Empty<string>();
        Assert.Equal(expected, diagnostics.Select(d => d.Id));
    }

    [Fact]
    public async Task ValidDeclarationsOfEveryKind_WithEveryOption_NoDiagnostics()
    {
        var source = TestSourceBuilder.MultiHead(
                "ModelDim = 64, Heads = 8, KvHeads = 2, HeadDim = 16, MaxSeqLen = 32, MaxKvSeqLen = 64, Causal = true, Scale = 0.25f, Softcap = 30f, Bias = false, KvInputDim = 48")
            .Named("Everything")
            .WithExtraMembers(
                "[ScaledDotProductAttention(Heads = 8, KvHeads = 8, HeadDim = 256, MaxSeqLen = 1, MaxKvSeqLen = 4096, Causal = false, Scale = 0f, Softcap = 0f)]\n" +
                "internal partial class Core;\n" +
                "[AttentionPooling(InputDim = 1, MaxSeqLen = 1, OutputDim = 1)]\n" +
                "public partial class Pool;")
            .Build();

        Assert.Empty(await AnalyzerRunner.GetDiagnosticsAsync(source));
    }

    [Fact]
    public async Task UnrelatedAttributesAndClasses_NoDiagnostics()
    {
        var source = "using System;\n[Obsolete] public class NotALayer { }\npublic class Plain<T> { }\n";

        Assert.Empty(await AnalyzerRunner.GetDiagnosticsAsync(source));
    }

    [Theory]
    [InlineData("MultiHeadAttention(ModelDim = 65, Heads = 4, MaxSeqLen = 16)", "AGEN0004")]
    [InlineData("ScaledDotProductAttention(Heads = 6, KvHeads = 4, HeadDim = 8, MaxSeqLen = 4)", "AGEN0005")]
    [InlineData("ScaledDotProductAttention(Heads = 2, HeadDim = 8, MaxSeqLen = 4, Scale = -1f)", "AGEN0006")]
    [InlineData("AttentionPooling(InputDim = 8, OutputDim = 1)", "AGEN0003")]
    [InlineData("TransformerBlock(ModelDim = 64, Heads = 4, MaxSeqLen = 16)", "AGEN0003")] // FfnDim not set
    [InlineData("TransformerBlock(ModelDim = 64, Heads = 4, FfnDim = 8, MaxSeqLen = 16, NormEpsilon = -1f)", "AGEN0016")]
    [InlineData("TransformerBlock(ModelDim = 64, Heads = 4, FfnDim = 8, MaxSeqLen = 16, MaxBatchTokens = 8)", "AGEN0016")]
    [InlineData("TransformerBlock(ModelDim = 64, Heads = 4, FfnDim = 8, MaxSeqLen = 16, MaxKvSeqLen = 32)", "AGEN0016")]
    [InlineData("TransformerBlock(ModelDim = 64, Heads = 4, FfnDim = 8, MaxSeqLen = 16, Activation = (ActivationKind)7)", "AGEN0016")]
    [InlineData("TransformerEncoder(Vocab = 10, MaxPositions = 8, Layers = 1, ModelDim = 8, Heads = 2, FfnDim = 8, MaxSeqLen = 16)", "AGEN0016")]
    [InlineData("TransformerEncoder(Vocab = 10, MaxPositions = 8, Layers = 1, ModelDim = 9, Heads = 2, FfnDim = 8, MaxSeqLen = 8)", "AGEN0004")]
    [InlineData("TransformerEncoder(Vocab = 10, MaxPositions = 8, ModelDim = 8, Heads = 2, FfnDim = 8, MaxSeqLen = 8)", "AGEN0003")] // Layers not set
    [InlineData("TransformerEncoder(Vocab = 10, MaxPositions = 8, Layers = 1, ModelDim = 8, Heads = 2, FfnDim = 8, MaxSeqLen = 8, Pooling = (PoolingKind)3)", "AGEN0016")]
    [InlineData("TransformerBlock(ModelDim = 64, Heads = 4, FfnDim = 8, MaxSeqLen = 16, Activation = ActivationKind.SwiGlu)", "AGEN0016")] // BERT names have no gate
    [InlineData("TransformerBlock(ModelDim = 64, Heads = 4, FfnDim = 8, MaxSeqLen = 16, Rope = RopeKind.RotateHalf, RopeDim = 7)", "AGEN0016")]
    [InlineData("TransformerBlock(ModelDim = 64, Heads = 4, FfnDim = 8, MaxSeqLen = 16, Rope = RopeKind.RotateHalf, RopeDim = 18)", "AGEN0016")]
    [InlineData("TransformerBlock(ModelDim = 64, Heads = 4, FfnDim = 8, MaxSeqLen = 16, Rope = RopeKind.RotateHalf, RopeTheta = 0f)", "AGEN0016")]
    [InlineData("TransformerDecoder(Vocab = 10, Layers = 1, ModelDim = 8, Heads = 3, FfnDim = 8, MaxSeqLen = 8)", "AGEN0004")]
    [InlineData("TransformerDecoder(Vocab = 10, Layers = 1, ModelDim = 8, Heads = 4, KvHeads = 3, FfnDim = 8, MaxSeqLen = 8)", "AGEN0005")]
    [InlineData("TransformerDecoder(Vocab = 10, ModelDim = 8, Heads = 2, FfnDim = 8, MaxSeqLen = 8)", "AGEN0003")] // Layers not set
    [InlineData("TransformerDecoder(Vocab = 10, Layers = 1, ModelDim = 8, Heads = 2, FfnDim = 8, MaxSeqLen = 8, Activation = ActivationKind.Gelu, WeightNames = WeightNames.Gpt2)", "AGEN0016")]
    [InlineData("TransformerDecoder(Vocab = 10, Layers = 1, ModelDim = 8, Heads = 2, FfnDim = 8, MaxSeqLen = 8, Positions = PositionKind.Learned)", "AGEN0016")]
    [InlineData("TransformerDecoder(Vocab = 10, Layers = 1, ModelDim = 8, Heads = 2, FfnDim = 8, MaxSeqLen = 8, Positions = PositionKind.Learned, MaxPositions = 4, TiedEmbeddings = true, WeightNames = WeightNames.Gpt2, Activation = ActivationKind.Gelu)", "AGEN0016")]
    [InlineData("TransformerDecoder(Vocab = 10, Layers = 1, ModelDim = 8, Heads = 2, FfnDim = 8, MaxSeqLen = 8, Bias = true, QueryKeyValueBias = true)", "AGEN0016")]
    [InlineData("TransformerBlock(ModelDim = 64, Heads = 4, FfnDim = 8, MaxSeqLen = 16, QueryKeyValueBias = true)", "AGEN0016")] // a block's Bias defaults to true
    [InlineData("TransformerBlock(ModelDim = 64, Heads = 4, FfnDim = 8, MaxSeqLen = 16, RopeScaling = RopeScalingKind.Llama3)", "AGEN0016")] // no rotary positions to scale
    [InlineData("TransformerDecoder(Vocab = 10, Layers = 1, ModelDim = 8, Heads = 2, FfnDim = 8, MaxSeqLen = 8, RopeScaling = RopeScalingKind.Llama3, RopeScalingFactor = 0.5f)", "AGEN0016")]
    [InlineData("TransformerDecoder(Vocab = 10, Layers = 1, ModelDim = 8, Heads = 2, FfnDim = 8, MaxSeqLen = 8, RopeScaling = RopeScalingKind.Llama3, RopeHighFrequencyFactor = 1f)", "AGEN0016")]
    [InlineData("TransformerDecoder(Vocab = 10, Layers = 1, ModelDim = 8, Heads = 2, FfnDim = 8, MaxSeqLen = 8, RopeScaling = RopeScalingKind.Llama3, RopeOriginalMaxPositions = 0)", "AGEN0003")]
    [InlineData("TransformerBlock(ModelDim = 64, Heads = 4, FfnDim = 8, MaxSeqLen = 16, QueryKeyNorm = true)", "AGEN0016")] // BERT names have no q_norm
    [InlineData("TransformerBlock(ModelDim = 64, Heads = 4, FfnDim = 8, MaxSeqLen = 16, PreNorm = false, WeightNames = WeightNames.HfLlama, Norm = NormKind.RmsNorm, SandwichNorm = true)", "AGEN0016")] // a post-norm block is normalized after already
    [InlineData("TransformerBlock(ModelDim = 64, Heads = 4, FfnDim = 8, MaxSeqLen = 16, PreNorm = true, SandwichNorm = true)", "AGEN0016")] // BERT names have no pre_feedforward_layernorm
    [InlineData("TransformerBlock(ModelDim = 64, Heads = 4, FfnDim = 8, MaxSeqLen = 16, Activation = ActivationKind.GeGluTanh)", "AGEN0016")] // BERT names have no gate
    [InlineData("TransformerDecoder(Vocab = 8, Layers = 1, ModelDim = 64, Heads = 4, FfnDim = 8, MaxSeqLen = 16, FinalLogitSoftcap = -30f)", "AGEN0007")]
    [InlineData("TransformerDecoder(Vocab = 8, Layers = 1, ModelDim = 64, Heads = 4, FfnDim = 8, MaxSeqLen = 16, Softcap = float.NaN)", "AGEN0007")]
    [InlineData("TransformerDecoder(Vocab = 8, Layers = 1, ModelDim = 64, Heads = 4, FfnDim = 8, MaxSeqLen = 16, SlidingWindow = -4)", "AGEN0003")]
    [InlineData("TransformerBlock(ModelDim = 64, Heads = 4, FfnDim = 8, MaxSeqLen = 16, RopeScaling = RopeScalingKind.Linear)", "AGEN0016")] // no rotary positions to scale
    [InlineData("TransformerDecoder(Vocab = 8, Layers = 1, ModelDim = 64, Heads = 4, FfnDim = 8, MaxSeqLen = 16, RopeScaling = RopeScalingKind.Linear, RopeScalingFactor = 0.5f)", "AGEN0016")]
    [InlineData("TransformerDecoder(Vocab = 8, Layers = 1, ModelDim = 64, Heads = 4, FfnDim = 8, MaxSeqLen = 16, SlidingWindowPattern = 6)", "AGEN0016")] // no window
    [InlineData("TransformerDecoder(Vocab = 8, Layers = 1, ModelDim = 64, Heads = 4, FfnDim = 8, MaxSeqLen = 16, LocalRopeTheta = 10000f)", "AGEN0016")] // no window
    [InlineData("TransformerDecoder(Vocab = 8, Layers = 1, ModelDim = 64, Heads = 4, FfnDim = 8, MaxSeqLen = 16, SlidingWindow = 4, LocalRopeTheta = 0.5f)", "AGEN0016")]
    [InlineData("TransformerDecoder(Vocab = 8, Layers = 1, ModelDim = 64, Heads = 4, FfnDim = 8, MaxSeqLen = 16, NoRopeInterval = -4)", "AGEN0003")]
    [InlineData("TransformerDecoder(Vocab = 8, Layers = 1, ModelDim = 64, Heads = 4, FfnDim = 8, MaxSeqLen = 16, ResidualMultiplier = -0.22f)", "AGEN0016")]
    [InlineData("TransformerDecoder(Vocab = 8, Layers = 1, ModelDim = 64, Heads = 4, FfnDim = 8, MaxSeqLen = 16, PostSublayerNorm = true, SandwichNorm = true)", "AGEN0016")]
    [InlineData("TransformerDecoder(Vocab = 8, Layers = 1, ModelDim = 64, Heads = 4, FfnDim = 8, MaxSeqLen = 16, QueryKeyNormAcrossHeads = true)", "AGEN0016")] // no QueryKeyNorm
    [InlineData("TransformerDecoder(Vocab = 8, Layers = 1, ModelDim = 64, Heads = 4, FfnDim = 8, MaxSeqLen = 16, LogitsScaling = float.PositiveInfinity)", "AGEN0016")]
    [InlineData("TransformerDecoder(Vocab = 8, Layers = 1, ModelDim = 64, Heads = 4, FfnDim = 8, MaxSeqLen = 16, EmbeddingMultiplier = 12f, ScaleEmbeddings = true)", "AGEN0016")] // two embedding factors
    [InlineData("TransformerDecoder(Vocab = 8, Layers = 1, ModelDim = 64, Heads = 4, FfnDim = 8, MaxSeqLen = 16, NoRopeInterval = 4, Positions = PositionKind.Learned, WeightNames = WeightNames.Gpt2, TiedEmbeddings = true, Activation = ActivationKind.GeluTanh, Norm = NormKind.LayerNorm)", "AGEN0016")] // no rotation to skip
    [InlineData("TransformerBlock(ModelDim = 64, Heads = 4, FfnDim = 8, MaxSeqLen = 16, RopeTheta = 500000f)", "AGEN0016")] // no rotary positions: ran unrotated
    [InlineData("TransformerDecoder(Vocab = 8, Layers = 1, ModelDim = 64, Heads = 4, FfnDim = 8, MaxSeqLen = 16, Positions = PositionKind.Learned, WeightNames = WeightNames.Gpt2, TiedEmbeddings = true, Activation = ActivationKind.GeluTanh, Norm = NormKind.LayerNorm, Bias = true, RopeTheta = float.NaN)", "AGEN0016")] // learned positions: nothing rotates
    [InlineData("TransformerDecoder(Vocab = 8, Layers = 1, ModelDim = 64, Heads = 4, FfnDim = 8, MaxSeqLen = 16, RopeScalingFactor = 32f)", "AGEN0016")] // no RopeScaling: ran unscaled
    [InlineData("TransformerBlock(ModelDim = 64, Heads = 4, FfnDim = 8, MaxSeqLen = 16, Rope = RopeKind.RotateHalf, RopeOriginalMaxPositions = 16)", "AGEN0016")] // no RopeScaling
    [InlineData("TransformerDecoder(Vocab = 8, Layers = 1, ModelDim = 64, Heads = 4, FfnDim = 8, MaxSeqLen = 16, RopeScaling = RopeScalingKind.Linear, RopeLowFrequencyFactor = 2f)", "AGEN0016")] // Llama 3's option, read by no linear scaling
    [InlineData("TransformerDecoder(Vocab = 8, Layers = 1, ModelDim = 64, Heads = 4, FfnDim = 8, MaxSeqLen = 16, RopeHighFrequencyFactor = float.NaN)", "AGEN0016")]
    [InlineData("TransformerDecoder(Vocab = 8, Layers = 1, ModelDim = 64, Heads = 4, FfnDim = 8, MaxSeqLen = 16, MaxPositions = 8)", "AGEN0016")] // rotary positions: no table to size, nor a limit
    [InlineData("TransformerDecoder(Vocab = 8, Layers = 2, ModelDim = 64, Heads = 4, FfnDim = 8, MaxSeqLen = 16, SlidingWindow = 4, SlidingWindowPattern = 1)", "AGEN0016")] // every layer full: the window applied to none
    public async Task InvalidDeclaration_GeneratesNothing_AndOnlyTheAnalyzerComplains(string attribute, string id)
    {
        var source = TestSourceBuilder.WithAttribute(attribute).Build();

        var result = GeneratorHarness.Run(source);

        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Empty(result.GeneratedSources);
        Assert.Empty(result.CompilationErrorsAndWarnings);
        var diagnostics = await AnalyzerRunner.GetDiagnosticsAsync(source);
        Assert.True(diagnostics.Select(d => d.Id).SequenceEqual([id]), string.Join(" | ", diagnostics.Select(d => d.GetMessage())));
    }

    [Theory]
    [InlineData("[ScaledDotProductAttention(Heads = 2, HeadDim = 8, MaxSeqLen = 4)]\npublic partial record {|AGEN0017:Core|};", "is a record")]
    [InlineData("[MultiHeadAttention(ModelDim = 16, Heads = 2, MaxSeqLen = 4)]\npublic partial class {|AGEN0017:Mha|}(int x) { public int X => x; }", "has a primary constructor")]
    [InlineData("public class Base { public Base(int x) { } }\n[MultiHeadAttention(ModelDim = 16, Heads = 2, MaxSeqLen = 4)]\npublic partial class {|AGEN0017:Mha|} : Base;", "derives from 'Tests.Base', which has no parameterless constructor")]
    [InlineData("[MultiHeadAttention(ModelDim = 16, Heads = 2, MaxSeqLen = 4)]\npublic partial class Inner;\n[MultiHeadAttention(ModelDim = 32, Heads = 2, MaxSeqLen = 4)]\npublic partial class {|AGEN0017:Outer|} : Inner;", "derives from 'Tests.Inner'")]
    [InlineData("[AttentionPooling(InputDim = 8, MaxSeqLen = 4, OutputDim = 2)]\npublic partial class {|AGEN0017:Pool|} { public Pool(Weights weights) { } }", "declares a constructor taking its Weights")]
    public async Task AGEN0017_ATypeTheGeneratedPartCannotComplete_OnClassIdentifier(string declarations, string reason)
    {
        // Each of these compiled to errors inside the generated file (CS8862, CS7036, CS0111), or, for a record, to copies
        // sharing their original's scratch.
        var diagnostics = await AnalyzerRunner.VerifyAsync("using AttentionGen;\n\nnamespace Tests;\n\n" + declarations + "\n");
        Assert.Contains(reason, Assert.Single(diagnostics).GetMessage());
    }

    [Fact]
    public async Task AGEN0017_NotReported_WhereTheGeneratedPartHasNoConstructor_OrTheBaseHasAParameterlessOne()
    {
        // Scaled dot-product attention has no weights, so no generated constructor: any constructor of the user's is fine.
        const string Source = """
            using AttentionGen;

            namespace Tests;

            [ScaledDotProductAttention(Heads = 2, HeadDim = 8, MaxSeqLen = 4)]
            public partial class Core(int x) { public int X => x; }

            public class Base { public Base(int x) { } protected Base() { } }

            [MultiHeadAttention(ModelDim = 16, Heads = 2, MaxSeqLen = 4)]
            public partial class Mha : Base;
            """;
        Assert.Empty(await AnalyzerRunner.GetDiagnosticsAsync(Source));
        var result = GeneratorHarness.Run(Source);
        Assert.Equal(2, result.GeneratedSources.Count);
        Assert.Empty(result.CompilationErrorsAndWarnings);
    }

    [Theory]
    [InlineData("Heads = Undefined")]
    [InlineData("Heads = Limits.Heads")]
    public async Task AnArgumentTheCompilerCannotBind_GetsNoRuleOnTheDefaultItLeaves(string heads)
    {
        // Beside CS0103 / CS0182 the analyzer reported "Heads must be greater than 0, but it is 0", a value never written.
        var source = "using AttentionGen;\n\nnamespace Tests;\n\npublic static class Limits { public static int Heads = 2; }\n\n" +
            $"[ScaledDotProductAttention({heads}, HeadDim = 8, MaxSeqLen = 4)]\npublic partial class Core;\n";
        Assert.Empty(await AnalyzerRunner.GetDiagnosticsAsync(source));
        Assert.Contains(GeneratorHarness.CreateCompilation(source).GetDiagnostics(), d => d.Severity == DiagnosticSeverity.Error && d.Id is "CS0103" or "CS0182");
    }

    [Fact]
    public async Task AGEN0014_PointsAtTheLargestFactorOfTheBlock()
    {
        // A query block of 1 × 10,000,000 × 256 floats is too large because of the heads, not of MaxSeqLen = 1.
        await AnalyzerRunner.VerifyAsync(
            TestSourceBuilder.ScaledDotProduct("{|AGEN0014:Heads = 10000000|}, HeadDim = 256, MaxSeqLen = 1").Build());
        await AnalyzerRunner.VerifyAsync(TestSourceBuilder
            .WithAttribute("TransformerDecoder(Vocab = 32, {|AGEN0014:Layers = 1000000|}, ModelDim = 64, Heads = 2, FfnDim = 64, MaxSeqLen = 4096)").Build());
    }

    [Fact]
    public async Task OptionOutOfRange_SaysWhatTheValueMustBe()
    {
        var diagnostics = await AnalyzerRunner.GetDiagnosticsAsync(TestSourceBuilder
            .WithAttribute("TransformerEncoder(Vocab = 10, MaxPositions = 8, Layers = 1, ModelDim = 8, Heads = 2, FfnDim = 8, MaxSeqLen = 16)").Build());

        Assert.Equal(
            "MaxSeqLen is 16, but it must be at most MaxPositions (8): a token past the position table has no position embedding",
            Assert.Single(diagnostics).GetMessage());
    }

    [Fact]
    public async Task OptionOutOfRange_AnOptionNothingReads_OnThatArgument()
    {
        // Each was ignored: the block ran unrotated, the decoder unscaled, and the rotary decoder had no position table to size.
        var rope = await AnalyzerRunner.VerifyAsync(TestSourceBuilder
            .WithAttribute("TransformerBlock(ModelDim = 64, Heads = 4, FfnDim = 8, MaxSeqLen = 16, {|AGEN0016:RopeTheta = 500000f|})").Build());
        var scaling = await AnalyzerRunner.VerifyAsync(TestSourceBuilder
            .WithAttribute("TransformerDecoder(Vocab = 8, Layers = 1, ModelDim = 64, Heads = 4, FfnDim = 8, MaxSeqLen = 16, {|AGEN0016:RopeScalingFactor = 32f|}, {|AGEN0016:RopeOriginalMaxPositions = 16|})").Build());
        var positions = await AnalyzerRunner.VerifyAsync(TestSourceBuilder
            .WithAttribute("TransformerDecoder(Vocab = 8, Layers = 1, ModelDim = 64, Heads = 4, FfnDim = 8, MaxSeqLen = 16, {|AGEN0016:MaxPositions = 8|})").Build());

        Assert.Equal("RopeTheta is 500000, but it must be left out without rotary positions (set Rope, or Positions = Rope in a decoder): nothing rotates by it",
            Assert.Single(rope).GetMessage());
        Assert.Equal(
            ["RopeOriginalMaxPositions is 16, but it must be left out without RopeScaling = RopeScalingKind.Llama3: only Llama 3 scaling reads it",
             "RopeScalingFactor is 32, but it must be left out without RopeScaling (Llama3 or Linear): no frequency is scaled by it"],
            scaling.Select(d => d.GetMessage()).Order(StringComparer.Ordinal));
        Assert.Equal("MaxPositions is 8, but it must be left out with rotary positions: it sizes the learned position table (PositionKind.Learned), and MaxSeqLen bounds the sequence",
            Assert.Single(positions).GetMessage());
    }

    [Fact]
    public async Task NotPartial_GeneratesNothing_AndOnlyTheAnalyzerComplains()
    {
        var source = TestSourceBuilder.MultiHead("ModelDim = 64, Heads = 4, MaxSeqLen = 16").NotPartial().Build();

        var result = GeneratorHarness.Run(source);

        Assert.Empty(result.GeneratedSources);
        Assert.Empty(result.CompilationErrorsAndWarnings);
        Assert.Equal(["AGEN0001"], (await AnalyzerRunner.GetDiagnosticsAsync(source)).Select(d => d.Id));
    }

    [Fact]
    public void EveryRule_HasADescriptor_WithHelpText()
    {
        var ids = typeof(Validation.DiagnosticIds)
            .GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Select(f => (string)f.GetRawConstantValue()!)
            .Order(StringComparer.Ordinal);
        var descriptors = new LayerDeclarationAnalyzer().SupportedDiagnostics;

        Assert.Equal(ids, descriptors.Select(d => d.Id).Order(StringComparer.Ordinal));
        Assert.All(descriptors, d =>
        {
            Assert.Equal("AttentionGen", d.Category);
            Assert.False(string.IsNullOrWhiteSpace(d.Description.ToString()));
            Assert.Equal(d.Id == "AGEN0009" ? DiagnosticSeverity.Warning : DiagnosticSeverity.Error, d.DefaultSeverity);
        });
    }

    [Fact]
    public void EveryRule_IsListedInTheReleaseTrackingFile()
    {
        var file = Path.Combine(RepositoryRoot(), "generator", "AttentionGen.Generator", "AnalyzerReleases.Unshipped.md");
        var text = File.ReadAllText(file);

        Assert.All(new LayerDeclarationAnalyzer().SupportedDiagnostics, d =>
            Assert.Contains($"{d.Id} | AttentionGen | {d.DefaultSeverity} |", text));
    }

    private static string RepositoryRoot([System.Runtime.CompilerServices.CallerFilePath] string thisFile = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(thisFile)!, "..", ".."));
}
