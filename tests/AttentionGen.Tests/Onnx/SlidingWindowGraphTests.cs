using AttentionGen.Tests.Numeric;
using AttentionGen.Tests.Reference;
using Xunit.Abstractions;
using static AttentionGen.Tests.Onnx.DecoderOnnxModels;

namespace AttentionGen.Tests.Onnx;

/// <summary>
/// Sliding-window attention in the two oracles, before any generated decoder has it: the float64 reference and ONNX
/// Runtime running the <see cref="DecoderOnnxModels"/> graph agree on a tiny Gemma 3 (every third layer full, the
/// windowed ones on their own rotary base), a tiny Mistral v0.1 (every layer windowed) and a tiny Gemma 2 with a small
/// score cap (windowed and full layers alternating), whole and in chunks over a past, within
/// <see cref="DecoderOracleTests.Tolerance"/>. The windows (4 to 6) are shorter than the sequences and than the 9-token
/// first chunk, so they bite inside a chunk as well as across the past. The weights are built by hand under Hugging
/// Face's names, and the window, the pattern and the local rotary base each move the logits by far more than the
/// tolerance, in the reference and (for the window) in ORT, so an oracle that dropped one could not pass.
/// </summary>
[Trait("Category", "Onnx")]
public sealed class SlidingWindowGraphTests(ITestOutputHelper output)
{
    /// <summary>What turning one feature off must move the logits by at least (relative to the largest): 100 tolerances.</summary>
    private const double FeatureEffect = 100 * DecoderOracleTests.Tolerance;

    /// <summary>
    /// The shape of <c>[TransformerDecoder(Vocab = 48, Layers = 3, ModelDim = 32, Heads = 4, KvHeads = 1, HeadDim = 16,
    /// FfnDim = 48, MaxSeqLen = 24, NormEpsilon = 1e-6f, Norm = NormKind.GemmaRmsNorm, Activation = ActivationKind.GeGluTanh,
    /// QueryKeyNorm = true, SandwichNorm = true, ScaleEmbeddings = true, RopeTheta = 1000000f, LocalRopeTheta = 10000f,
    /// SlidingWindow = 5, SlidingWindowPattern = 3, TiedEmbeddings = true)]</c>: Gemma 3's layout at a pattern of 3 (layers 0
    /// and 1 windowed on θ 10⁴, layer 2 full on θ 10⁶), its per-head Q/K norms, no caps.
    /// </summary>
    private static readonly DecoderShape Gemma3 = new(Vocab: 48, Layers: 3, ModelDim: 32, Heads: 4, KvHeads: 1, HeadDim: 16, FfnDim: 48,
        RopeDim: 16, RopeTheta: 1000000, Epsilon: 1e-6f, MaxPositions: 24, Norm: NormKind.GemmaRmsNorm, Activation: ActivationKind.GeGluTanh,
        SandwichNorm: true, ScaleEmbeddings: true, SlidingWindow: 5, SlidingWindowPattern: 3, LocalRopeTheta: 10000);

    /// <summary>
    /// The shape of <c>[TransformerDecoder(Vocab = 48, Layers = 2, ModelDim = 32, Heads = 4, KvHeads = 2, FfnDim = 48,
    /// MaxSeqLen = 24, SlidingWindow = 6)]</c>: Mistral v0.1, a Llama with every layer windowed; untied.
    /// </summary>
    private static readonly DecoderShape Mistral = new(Vocab: 48, Layers: 2, ModelDim: 32, Heads: 4, KvHeads: 2, HeadDim: 8, FfnDim: 48,
        RopeDim: 8, RopeTheta: 10000, Epsilon: 1e-5f, MaxPositions: 24, SlidingWindow: 6);

    /// <summary>
    /// GemmaGraphTests' tiny Gemma 2 with its small score cap (5) and Gemma 2's window layout at W = 4 (pattern 2: layer 0
    /// windowed, layer 1 full). A window mask added before the cap would be capped to −5 and leak visibly, as the causal
    /// mask would there, so its agreement shows that ONNX Runtime adds the attn_mask after the cap over a past too.
    /// </summary>
    private static readonly DecoderShape Gemma2 = new(Vocab: 40, Layers: 2, ModelDim: 32, Heads: 4, KvHeads: 2, HeadDim: 16, FfnDim: 48,
        RopeDim: 16, RopeTheta: 10000, Epsilon: 1e-6f, MaxPositions: 20, Scale: 0.25f, Norm: NormKind.GemmaRmsNorm,
        Activation: ActivationKind.GeGluTanh, Softcap: 5f, SandwichNorm: true, ScaleEmbeddings: true, FinalLogitSoftcap: 30f,
        SlidingWindow: 4, SlidingWindowPattern: 2);

    public static TheoryData<string> Cases => ["Gemma3", "Mistral", "Gemma2SmallScoreCap"];

    /// <summary>
    /// Each case: a shape, how far the Q and K projections are scaled up from the usual ±1/√in (so the scores are large
    /// enough that which keys are seen matters; Gemma 3's Q/K norms undo any scale, so it has none), whether it has Q/K
    /// norms and whether its head is tied.
    /// </summary>
    private static (DecoderShape Shape, float QueryKeyScale, bool QueryKeyNorm, bool Tied) Case(string name) => name switch
    {
        "Gemma3" => (Gemma3, 1f, true, true),
        "Mistral" => (Mistral, 3f, false, false),
        "Gemma2SmallScoreCap" => (Gemma2, 3f, false, true),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void OnnxGraph_MatchesTheFloat64Reference_WholeAndInChunksOverAPast(string name)
    {
        var (shape, queryKeyScale, queryKeyNorm, tied) = Case(name);
        var values = Weights(shape, queryKeyScale, queryKeyNorm, tied, seed: 61);
        var sequence = TransformerNumericTests.Ids(shape.MaxPositions, shape.Vocab, seed: 62);
        var expected = TransformerReference.DecoderLogits(sequence, shape.Vocab, shape.Layers, Options(shape), values, tied);

        using var whole = new DecoderOrtRunner(shape, values);
        double wholeError = DecoderOracleTests.AssertCloseRows(expected, whole.Run(sequence), 0, shape, $"{name} ORT in one pass");

        // 9, 4, 3, then single tokens: the window spans chunk boundaries, so the mask's columns over the past count.
        using var chunked = new DecoderOrtRunner(shape, values);
        double chunkedError = 0;
        foreach (int length in DecoderOracleTests.Chunks(shape.MaxPositions))
        {
            int first = chunked.Position;
            chunkedError = Math.Max(chunkedError,
                DecoderOracleTests.AssertCloseRows(expected, chunked.Run(sequence.AsSpan(first, length)), first, shape, $"{name} ORT chunk at {first}"));
        }

        output.WriteLine($"{name}: ORT vs float64 reference, one pass {wholeError:E2}, in chunks over a past {chunkedError:E2}; " +
            $"max |logit| {expected.Max(Math.Abs):F1}, window {shape.SlidingWindow} over {shape.MaxPositions} positions");
    }

    /// <summary>
    /// The window, its pattern and the local rotary base each matter to these weights: without one the reference's
    /// logits move by more than <see cref="FeatureEffect"/>, and ORT's move as far without the window, so the agreement
    /// above could not hold with a feature missing on one side only (nor with ORT ignoring its attn_mask).
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void EachWindowFeature_MovesTheLogitsFarBeyondTheTolerance(string name)
    {
        var (shape, queryKeyScale, queryKeyNorm, tied) = Case(name);
        var values = Weights(shape, queryKeyScale, queryKeyNorm, tied, seed: 61);
        var sequence = TransformerNumericTests.Ids(shape.MaxPositions, shape.Vocab, seed: 62);
        var options = Options(shape);
        var windowed = TransformerReference.DecoderLogits(sequence, shape.Vocab, shape.Layers, options, values, tied);

        var variants = new List<(string Feature, BlockOptions Without)> { ("the sliding window", options with { SlidingWindow = 0 }) };
        if (shape.SlidingWindowPattern > 0)
        {
            variants.Add(("the pattern (every layer windowed)", options with { SlidingWindowPattern = 0 }));
        }

        if (shape.LocalRopeTheta > 0)
        {
            variants.Add(("the local rotary base (RopeTheta everywhere)", options with { LocalRopeTheta = 0 }));
        }

        foreach (var (feature, without) in variants)
        {
            var changed = TransformerReference.DecoderLogits(sequence, shape.Vocab, shape.Layers, without, values, tied);
            double effect = RelativeDifference(windowed, changed);
            output.WriteLine($"{name}: without {feature}, the reference's logits move by {effect:E2} of the largest");
            Assert.True(effect > FeatureEffect, $"{name}: without {feature} the logits move by only {effect:E2}, not more than {FeatureEffect:E1}.");
        }

        using var withWindow = new DecoderOrtRunner(shape, values);
        using var withoutWindow = new DecoderOrtRunner(shape with { SlidingWindow = 0 }, values);
        double ortEffect = RelativeDifference(Array.ConvertAll(withWindow.Run(sequence), x => (double)x), Array.ConvertAll(withoutWindow.Run(sequence), x => (double)x));
        output.WriteLine($"{name}: without the sliding window, ORT's logits move by {ortEffect:E2} of the largest");
        Assert.True(ortEffect > FeatureEffect, $"{name}: ORT's logits move by only {ortEffect:E2} without the window, not more than {FeatureEffect:E1}.");
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
            SlidingWindow: shape.SlidingWindow, SlidingWindowPattern: shape.SlidingWindowPattern, LocalRopeTheta: shape.LocalRopeTheta);

    /// <summary>
    /// A checkpoint's tensors under Hugging Face's names (Gemma2/Gemma3/MistralForCausalLM): matrices uniform in ±1/√in, Q
    /// and K times <paramref name="queryKeyScale"/>; with <paramref name="queryKeyNorm"/> Gemma 3's
    /// <c>self_attn.q_norm</c>/<c>k_norm</c> ([HeadDim]); with sandwich norms all four block norms; <c>lm_head.weight</c>
    /// unless <paramref name="tied"/>. Gemma's gains are stored less one, so the block's (Q/K norms' too) are uniform in
    /// ±0.5 around 0 and the final norm's around 1; plain RMSNorm gains are around 1.
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
                Gain(prefix + "self_attn.q_norm", blockCenter, shape.HeadDim);
                Gain(prefix + "self_attn.k_norm", blockCenter, shape.HeadDim);
            }

            Gain(prefix + "post_attention_layernorm", blockCenter, d);
            if (shape.SandwichNorm)
            {
                Gain(prefix + "pre_feedforward_layernorm", blockCenter, d);
                Gain(prefix + "post_feedforward_layernorm", blockCenter, d);
            }

            Matrix(prefix + "mlp.gate_proj", shape.FfnDim, d);
            Matrix(prefix + "mlp.up_proj", shape.FfnDim, d);
            Matrix(prefix + "mlp.down_proj", d, shape.FfnDim);
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
