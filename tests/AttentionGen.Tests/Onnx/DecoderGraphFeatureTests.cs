using AttentionGen.Tests.Numeric;
using AttentionGen.Tests.Reference;
using Xunit.Abstractions;
using static AttentionGen.Tests.Onnx.DecoderOnnxModels;

namespace AttentionGen.Tests.Onnx;

/// <summary>
/// Gemma 2's and Gemma 3's parts and sliding windows in the two oracles, on weights chosen so that each part matters:
/// the float64 reference and ONNX Runtime running the <see cref="DecoderOnnxModels"/> graph agree, whole and in chunks
/// over a past, within <see cref="DecoderOracleTests.Tolerance"/>, and each part turned off moves the logits by far
/// more than that, so an oracle that dropped one could not pass. (<see cref="DecoderOracleTests"/> then holds the
/// generated decoders to both on random weights, where the caps, for one, barely bite.) The weights are built by hand
/// under Hugging Face's names (Gemma2/Gemma3/MistralForCausalLM).
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Gemma 2's score cap only acts near ±50, so its Q and K are scaled by 6: the first layer's scores then reach 59
/// (capped to 42). A cap of 50 would also hide a mask applied before the cap (a masked key at −50 gets weight e⁻⁵⁰),
/// so a second case caps the scores at 5 over Q and K scaled by 3: there a masked key capped to −5 instead of staying
/// at −∞ would take a visible share of the weight, so its agreement shows that ORT's Attention caps first and masks
/// after, with a past as well as without; a third adds Gemma 2's window layout at W = 4 (pattern 2), so the same holds
/// for the window's mask.</item>
/// <item>The windows (4 to 6) are shorter than the sequences and than the 9-token first chunk, so they cut inside a
/// chunk as well as across the past.</item>
/// </list>
/// </remarks>
[Trait("Category", "Onnx")]
public sealed class DecoderGraphFeatureTests(ITestOutputHelper output)
{
    /// <summary>What turning one part off must move the logits by at least (relative to the largest): 100 tolerances.</summary>
    private const double FeatureEffect = 100 * DecoderOracleTests.Tolerance;

    /// <summary>Gemma 2 at a tiny size: Gemma's RMSNorm, GeGLU, sandwich norms, embeddings × √ModelDim, its caps, tied.</summary>
    private static readonly DecoderShape Gemma2 = new(Vocab: 40, Layers: 2, ModelDim: 32, Heads: 4, KvHeads: 2, HeadDim: 16, FfnDim: 48,
        RopeDim: 16, RopeTheta: 10000, Epsilon: 1e-6f, MaxPositions: 20, Scale: 0.25f, Norm: NormKind.GemmaRmsNorm,
        Activation: ActivationKind.GeGluTanh, Softcap: 50f, SandwichNorm: true, ScaleEmbeddings: true, FinalLogitSoftcap: 30f);

    /// <summary>
    /// Gemma 3 (text) at a tiny size, pattern 3: layers 0 and 1 windowed (W = 5) on θ 10⁴, layer 2 full on θ 10⁶; per-head
    /// Q/K norms in Gemma's form, no caps.
    /// </summary>
    private static readonly DecoderShape Gemma3 = new(Vocab: 48, Layers: 3, ModelDim: 32, Heads: 4, KvHeads: 1, HeadDim: 16, FfnDim: 48,
        RopeDim: 16, RopeTheta: 1000000, Epsilon: 1e-6f, MaxPositions: 24, Norm: NormKind.GemmaRmsNorm, Activation: ActivationKind.GeGluTanh,
        SandwichNorm: true, ScaleEmbeddings: true, SlidingWindow: 5, SlidingWindowPattern: 3, LocalRopeTheta: 10000);

    /// <summary>Mistral v0.1 at a tiny size: a Llama with every layer windowed (W = 6); untied.</summary>
    private static readonly DecoderShape Mistral = new(Vocab: 48, Layers: 2, ModelDim: 32, Heads: 4, KvHeads: 2, HeadDim: 8, FfnDim: 48,
        RopeDim: 8, RopeTheta: 10000, Epsilon: 1e-5f, MaxPositions: 24, SlidingWindow: 6);

    /// <summary>SmolLM3 at a tiny size: a Llama whose every second layer (here layer 1) does not rotate Q and K.</summary>
    private static readonly DecoderShape SmolLm3 = new(Vocab: 48, Layers: 2, ModelDim: 32, Heads: 4, KvHeads: 2, HeadDim: 8, FfnDim: 48,
        RopeDim: 8, RopeTheta: 5000000, Epsilon: 1e-6f, MaxPositions: 24, NoRopeInterval: 2);

    /// <summary>Granite at a tiny size: embeddings × 12, each residual branch × 0.22, logits ÷ 8, scores scaled by 1/HeadDim.</summary>
    private static readonly DecoderShape Granite = new(Vocab: 48, Layers: 2, ModelDim: 32, Heads: 4, KvHeads: 2, HeadDim: 8, FfnDim: 48,
        RopeDim: 8, RopeTheta: 10000000, Epsilon: 1e-5f, MaxPositions: 24, Scale: 0.125f, EmbeddingMultiplier: 12f, ResidualMultiplier: 0.22f,
        LogitsScaling: 8f);

    /// <summary>OLMo 2 at a tiny size: norms after each sublayer instead of before, Q and K each normalized across all heads.</summary>
    private static readonly DecoderShape Olmo2 = new(Vocab: 48, Layers: 2, ModelDim: 32, Heads: 4, KvHeads: 4, HeadDim: 8, FfnDim: 48,
        RopeDim: 8, RopeTheta: 500000, Epsilon: 1e-6f, MaxPositions: 24, PostSublayerNorm: true, QueryKeyNormAcrossHeads: true);

    public static TheoryData<string> Cases => ["Gemma2", "Gemma2SmallScoreCap", "Gemma2WindowSmallScoreCap", "Gemma3", "Mistral", "SmolLm3", "Granite", "Olmo2"];

    /// <summary>
    /// Each case: a shape; how far the Q and K projections are scaled up from the usual ±1/√in (so the scores are large
    /// enough for a cap or a window to matter; Gemma 3's Q/K norms undo any scale, so it has none); whether it has Q/K
    /// norms; whether its head is tied; the weights' seed.
    /// </summary>
    private static (DecoderShape Shape, float QueryKeyScale, bool QueryKeyNorm, bool Tied, int Seed) Case(string name) => name switch
    {
        "Gemma2" => (Gemma2, 6f, false, true, 51),
        "Gemma2SmallScoreCap" => (Gemma2 with { Softcap = 5f }, 3f, false, true, 51),
        "Gemma2WindowSmallScoreCap" => (Gemma2 with { Softcap = 5f, SlidingWindow = 4, SlidingWindowPattern = 2 }, 3f, false, true, 61),
        "Gemma3" => (Gemma3, 1f, true, true, 61),
        "Mistral" => (Mistral, 3f, false, false, 61),
        "SmolLm3" => (SmolLm3, 3f, false, true, 71),
        "Granite" => (Granite, 1f, false, true, 81),
        "Olmo2" => (Olmo2, 1f, true, false, 91),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    /// <summary>A case's shape, its seeded weights, a sequence of MaxPositions ids to run, and whether its head is tied.</summary>
    private static (DecoderShape Shape, Dictionary<string, float[]> Values, int[] Sequence, bool Tied) Prepare(string name)
    {
        var (shape, queryKeyScale, queryKeyNorm, tied, seed) = Case(name);
        return (shape, Weights(shape, queryKeyScale, queryKeyNorm, tied, seed), TransformerNumericTests.Ids(shape.MaxPositions, shape.Vocab, seed: seed + 1), tied);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void OnnxGraph_MatchesTheFloat64Reference_WholeAndInChunksOverAPast(string name)
    {
        var (shape, values, sequence, tied) = Prepare(name);
        var expected = TransformerReference.DecoderLogits(sequence, shape.Vocab, shape.Layers, Options(shape), values, tied);
        var (wholeError, chunkedError) = DecoderOracleTests.AssertGraphMatches(expected, shape, values, sequence, name);
        output.WriteLine($"{name}: ORT vs float64 reference, one pass {wholeError:E2}, in chunks over a past {chunkedError:E2}; max |logit| {expected.Max(Math.Abs):F1}");
    }

    /// <summary>
    /// Each part the case has matters to its weights: without it the reference's logits move by more than
    /// <see cref="FeatureEffect"/>, and ORT's move as far without the window or the unrotated layers, so the agreement above could not hold with a
    /// part missing on one side only (nor with ORT ignoring its attn_mask, nor with the graph rotating every layer).
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void EachPart_MovesTheLogitsFarBeyondTheTolerance(string name)
    {
        var (shape, values, sequence, tied) = Prepare(name);
        var options = Options(shape);
        var logits = TransformerReference.DecoderLogits(sequence, shape.Vocab, shape.Layers, options, values, tied);

        var variants = new List<(string Part, BlockOptions Without)>();
        void Add(bool has, string part, BlockOptions without)
        {
            if (has)
            {
                variants.Add((part, without));
            }
        }

        Add(shape.SandwichNorm, "sandwich norms", options with { SandwichNorm = false });
        Add(shape.Norm == NormKind.GemmaRmsNorm, "the norm's 1 + γ", options with { Norm = NormKind.RmsNorm });
        Add(shape.ScaleEmbeddings, "embeddings times √ModelDim", options with { ScaleEmbeddings = false });
        Add(shape.Softcap > 0, "the attention softcap", options with { Softcap = 0 });
        Add(shape.FinalLogitSoftcap > 0, "the final logit softcap", options with { FinalLogitSoftcap = 0 });
        Add(shape.Activation == ActivationKind.GeGluTanh, "the GELU-tanh gate (SiLU instead)", options with { Activation = ActivationKind.SwiGlu });
        Add(shape.SlidingWindow > 0, "the sliding window", options with { SlidingWindow = 0 });
        Add(shape.SlidingWindowPattern > 0, "the pattern (every layer windowed)", options with { SlidingWindowPattern = 0 });
        Add(shape.LocalRopeTheta > 0, "the local rotary base (RopeTheta everywhere)", options with { LocalRopeTheta = 0 });
        Add(shape.NoRopeInterval > 0, "the unrotated layers (every layer rotated)", options with { NoRopeInterval = 0 });
        Add(shape.EmbeddingMultiplier > 0, "the embedding multiplier", options with { EmbeddingMultiplier = 0 });
        Add(shape.ResidualMultiplier > 0, "the residual multiplier", options with { ResidualMultiplier = 0 });
        Add(shape.LogitsScaling > 0, "the logits' divisor", options with { LogitsScaling = 0 });
        Add(shape.PostSublayerNorm, "the norms after the sublayers (before them instead)", options with { PostSublayerNorm = false });
        foreach (var (part, without) in variants)
        {
            var changed = TransformerReference.DecoderLogits(sequence, shape.Vocab, shape.Layers, without, values, tied);
            double effect = RelativeDifference(logits, changed);
            output.WriteLine($"{name}: without {part}, the reference's logits move by {effect:E2} of the largest");
            Assert.True(effect > FeatureEffect, $"{name}: without {part} the logits move by only {effect:E2}, not more than {FeatureEffect:E1}.");
        }

        // The parts the graph builds from its shape rather than from the weights: ORT must feel them too.
        var graphVariants = new List<(string Part, DecoderShape Without)>();
        if (shape.SlidingWindow > 0)
        {
            graphVariants.Add(("the sliding window", shape with { SlidingWindow = 0, SlidingWindowPattern = 0 }));
        }

        if (shape.NoRopeInterval > 0)
        {
            graphVariants.Add(("the unrotated layers", shape with { NoRopeInterval = 0 }));
        }

        if (graphVariants.Count > 0)
        {
            using var whole = new DecoderOrtRunner(shape, values);
            var wholeLogits = Array.ConvertAll(whole.Run(sequence), x => (double)x);
            foreach (var (part, without) in graphVariants)
            {
                using var runner = new DecoderOrtRunner(without, values);
                double ortEffect = RelativeDifference(wholeLogits, Array.ConvertAll(runner.Run(sequence), x => (double)x));
                output.WriteLine($"{name}: without {part}, ORT's logits move by {ortEffect:E2} of the largest");
                Assert.True(ortEffect > FeatureEffect, $"{name}: ORT's logits move by only {ortEffect:E2} without {part}, not more than {FeatureEffect:E1}.");
            }
        }
    }

    /// <summary>
    /// The mask the runner feeds: over a past of 3, two tokens at positions 3 and 4 with a window of 2 see keys 2–3 and
    /// 3–4; the mask blanks only what lies before the window and leaves the future to is_causal.
    /// </summary>
    [Fact]
    public void WindowMask_BlanksTheKeysBeforeTheWindowOnly()
    {
        float n = float.NegativeInfinity;
        Assert.Equal([n, n, 0, 0, 0, n, n, n, 0, 0], WindowMask(past: 3, length: 2, window: 2));
        Assert.All(WindowMask(past: 0, length: 4, window: 4), x => Assert.Equal(0f, x));
    }

    /// <summary>The reference's options for a graph shape: a pre-norm causal decoder under Llama's names, the scale ONNX's default when the shape leaves it 0.</summary>
    private static BlockOptions Options(DecoderShape shape) =>
        new(shape.ModelDim, shape.Heads, shape.KvHeads, shape.HeadDim, shape.FfnDim, Causal: true, shape.Scale > 0 ? shape.Scale : 1 / Math.Sqrt(shape.HeadDim),
            shape.Softcap, PreNorm: true, shape.Activation, shape.Epsilon, shape.Norm, shape.RopeDim, shape.RopeTheta, WeightNames.HfLlama,
            SandwichNorm: shape.SandwichNorm, ScaleEmbeddings: shape.ScaleEmbeddings, FinalLogitSoftcap: shape.FinalLogitSoftcap,
            SlidingWindow: shape.SlidingWindow, SlidingWindowPattern: shape.SlidingWindowPattern, LocalRopeTheta: shape.LocalRopeTheta,
            NoRopeInterval: shape.NoRopeInterval, EmbeddingMultiplier: shape.EmbeddingMultiplier, ResidualMultiplier: shape.ResidualMultiplier,
            LogitsScaling: shape.LogitsScaling, PostSublayerNorm: shape.PostSublayerNorm, QueryKeyNormAcrossHeads: shape.QueryKeyNormAcrossHeads);

    /// <summary>
    /// A checkpoint's tensors under Hugging Face's names: matrices uniform in ±1/√in, Q and K times
    /// <paramref name="queryKeyScale"/>; with <paramref name="queryKeyNorm"/> Gemma 3's <c>self_attn.q_norm</c>/<c>k_norm</c>
    /// ([HeadDim]); with sandwich norms all four block norms; <c>lm_head.weight</c> unless <paramref name="tied"/>. Gemma's
    /// gains are stored less one, so the block's (Q/K norms' too) are uniform in ±0.5 around 0, 1 + γ and γ differing by
    /// the whole factor; plain RMSNorm gains, and the final norm's, are around 1. With the embedding table in ±1, Gemma
    /// 2's logits before its cap reach ±42, so the cap of 30 bends the largest without flattening the rest.
    /// </summary>
    private static Dictionary<string, float[]> Weights(DecoderShape shape, float queryKeyScale, bool queryKeyNorm, bool tied, int seed)
    {
        int d = shape.ModelDim, queryWidth = shape.Heads * shape.HeadDim, kvWidth = shape.KvHeads * shape.HeadDim;
        float blockCenter = shape.Norm == NormKind.GemmaRmsNorm ? 0 : 1;
        var values = new Dictionary<string, float[]>();
        void Matrix(string name, int outDim, int inDim, float scale = 1f) =>
            values[name + ".weight"] = TestData.Uniform(seed++, outDim * inDim, scale / MathF.Sqrt(inDim));
        void Gain(string name, float center, int width) =>
            values[name + ".weight"] = Array.ConvertAll(TestData.Uniform(seed++, width, 0.5f), x => center + x);

        values["model.embed_tokens.weight"] = TestData.Uniform(seed++, shape.Vocab * d, 1f);
        for (int layer = 0; layer < shape.Layers; layer++)
        {
            string prefix = $"model.layers.{layer}.";
            Gain(prefix + "input_layernorm", blockCenter, d);
            Matrix(prefix + "self_attn.q_proj", queryWidth, d, queryKeyScale);
            Matrix(prefix + "self_attn.k_proj", kvWidth, d, queryKeyScale);
            Matrix(prefix + "self_attn.v_proj", kvWidth, d);
            Matrix(prefix + "self_attn.o_proj", d, queryWidth);
            if (queryKeyNorm)
            {
                Gain(prefix + "self_attn.q_norm", blockCenter, shape.QueryKeyNormAcrossHeads ? queryWidth : shape.HeadDim);
                Gain(prefix + "self_attn.k_norm", blockCenter, shape.QueryKeyNormAcrossHeads ? kvWidth : shape.HeadDim);
            }

            Gain(prefix + "post_attention_layernorm", blockCenter, d);
            if (shape.SandwichNorm)
            {
                Gain(prefix + "pre_feedforward_layernorm", blockCenter, d);
            }

            Matrix(prefix + "mlp.gate_proj", shape.FfnDim, d);
            Matrix(prefix + "mlp.up_proj", shape.FfnDim, d);
            Matrix(prefix + "mlp.down_proj", d, shape.FfnDim);
            if (shape.SandwichNorm || shape.PostSublayerNorm)
            {
                Gain(prefix + "post_feedforward_layernorm", blockCenter, d);
            }
        }

        Gain("model.norm", 1, d);
        if (!tied)
        {
            Matrix("lm_head", shape.Vocab, d);
        }

        return values;
    }

    /// <summary>max |a − b| over max |a|.</summary>
    private static double RelativeDifference(double[] a, double[] b) =>
        a.Zip(b, (x, y) => Math.Abs(x - y)).Max() / a.Max(Math.Abs);
}
