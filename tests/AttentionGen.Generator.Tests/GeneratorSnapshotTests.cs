using AttentionGen.Generator.Tests.Infrastructure;
using AttentionGen.Testing;

namespace AttentionGen.Generator.Tests;

/// <summary>
/// The generated source for each declaration in <see cref="Declarations"/>, compared with the reviewed copy in
/// <c>_snapshots/</c>. Run with <c>ATTENTIONGEN_ACCEPT=1</c> to accept a deliberate change, then review the git diff.
/// </summary>
public sealed class GeneratorSnapshotTests
{
    [Fact] public void ScaledDotProductPlain() => Verify(Declarations.ScaledDotProductPlain, "Tests.Core.g.cs");

    [Fact] public void ScaledDotProductCausalGqaScale() => Verify(Declarations.ScaledDotProductCausalGqaScale, "Tests.CausalCore.g.cs");

    [Fact] public void ScaledDotProductSoftcapHeadDim20() => Verify(Declarations.ScaledDotProductSoftcapHeadDim20, "Tests.SoftcapCore.g.cs");

    [Fact] public void ScaledDotProductMultiQuery() => Verify(Declarations.ScaledDotProductMultiQuery, "Tests.MultiQueryCore.g.cs");

    [Fact] public void MultiHeadSelfAttention() => Verify(Declarations.MultiHeadSelfAttention, "Tests.Encoder.g.cs");

    [Fact] public void MultiHeadCausalNoBias() => Verify(Declarations.MultiHeadCausalNoBias, "Tests.Decoder.g.cs");

    [Fact] public void MultiHeadCrossAttention() => Verify(Declarations.MultiHeadCrossAttention, "Tests.CrossAttention.g.cs");

    [Fact] public void MultiHeadExplicitHeadDim() => Verify(Declarations.MultiHeadExplicitHeadDim, "Tests.NarrowHeads.g.cs");

    [Fact] public void MultiHeadCrossSameWidth() => Verify(Declarations.MultiHeadCrossSameWidth, "Tests.SameWidthCross.g.cs");

    [Fact] public void Pooling() => Verify(Declarations.Pooling, "Tests.Pool.g.cs");

    [Fact] public void NestedInPartialOuter() => Verify(Declarations.NestedInPartialOuter, "Tests.Layers.Inner.g.cs");

    [Fact] public void GlobalNamespace() => Verify(Declarations.GlobalNamespace, "GlobalEncoder.g.cs");

    [Fact] public void WideHeadDim300() => Verify(Declarations.WideHeadDim300, "Tests.WideCore.g.cs");

    [Fact] public void LongKeysOnline() => Verify(Declarations.LongKeysOnline, "Tests.LongContextCore.g.cs");

    [Fact] public void MultiHeadAdditiveMask() => Verify(Declarations.MultiHeadAdditiveMask, "Tests.MaskedEncoder.g.cs");

    [Fact] public void TransformerBlockPostNorm() => Verify(Declarations.TransformerBlockPostNorm, "Tests.BertLayer.g.cs");

    [Fact] public void TransformerBlockPreNorm() => Verify(Declarations.TransformerBlockPreNorm, "Tests.GptLayer.g.cs");

    [Fact] public void TransformerEncoderMiniLm() => Verify(Declarations.TransformerEncoderMiniLm, "Tests.MiniLm.g.cs");

    [Fact] public void TransformerEncoderNoPooling() => Verify(Declarations.TransformerEncoderNoPooling, "Tests.TinyEncoder.g.cs");

    [Fact] public void TransformerBlockLlama() => Verify(Declarations.TransformerBlockLlama, "Tests.LlamaLayer.g.cs");

    [Fact] public void TransformerDecoderStories() => Verify(Declarations.TransformerDecoderStories, "Tests.Stories110M.g.cs");

    [Fact] public void TransformerDecoderTied() => Verify(Declarations.TransformerDecoderTied, "Tests.TinyGpt.g.cs");

    [Fact] public void TransformerDecoderGpt2() => Verify(Declarations.TransformerDecoderGpt2, "Tests.Gpt2Small.g.cs");

    [Fact] public void TransformerDecoderQwen2() => Verify(Declarations.TransformerDecoderQwen2, "Tests.Qwen25Half.g.cs");

    [Fact] public void TransformerDecoderLlama32() => Verify(Declarations.TransformerDecoderLlama32, "Tests.Llama32OneB.g.cs");

    [Fact] public void TransformerDecoderQwen3() => Verify(Declarations.TransformerDecoderQwen3, "Tests.Qwen3Small.g.cs");

    [Fact] public void TransformerDecoderPhi3() => Verify(Declarations.TransformerDecoderPhi3, "Tests.Phi3Mini.g.cs");

    [Fact] public void TransformerDecoderGemma2() => Verify(Declarations.TransformerDecoderGemma2, "Tests.Gemma2TwoB.g.cs");

    [Fact] public void TransformerDecoderGemma3() => Verify(Declarations.TransformerDecoderGemma3, "Tests.Gemma3OneB.g.cs");

    [Fact] public void TransformerDecoderGemma3Scaled() => Verify(Declarations.TransformerDecoderGemma3Scaled, "Tests.Gemma3FourB.g.cs");

    [Fact] public void TransformerDecoderSmolLm3() => Verify(Declarations.TransformerDecoderSmolLm3, "Tests.SmolLm3ThreeB.g.cs");

    [Fact] public void TransformerDecoderGranite() => Verify(Declarations.TransformerDecoderGranite, "Tests.GraniteTwoB.g.cs");

    [Fact] public void TransformerDecoderOlmo2() => Verify(Declarations.TransformerDecoderOlmo2, "Tests.Olmo2OneB.g.cs");

    [Fact] public void TransformerBlockPaddingMask() => Verify(Declarations.TransformerBlockPaddingMask, "Tests.PaddedGptLayer.g.cs");

    [Fact] public void TransformerEncoderPaddingMask() => Verify(Declarations.TransformerEncoderPaddingMask, "Tests.PaddedMiniLm.g.cs");

    /// <summary>Every declaration yields exactly one file, under the expected hint name, matching its snapshot.</summary>
    private static void Verify(string source, string expectedHintName, [System.Runtime.CompilerServices.CallerMemberName] string test = "")
    {
        var result = GeneratorHarness.Run(source);
        Assert.Empty(result.GeneratorDiagnostics);
        var generated = Assert.Single(result.GeneratedSources);
        Assert.Equal(expectedHintName, generated.HintName);
        Snapshot.Match(generated.Text, generated.HintName, callerMethod: test);
    }
}
