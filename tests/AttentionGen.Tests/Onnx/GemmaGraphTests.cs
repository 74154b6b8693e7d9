using AttentionGen.Tests.Numeric;
using AttentionGen.Tests.Reference;
using Xunit.Abstractions;
using static AttentionGen.Tests.Onnx.DecoderOnnxModels;

namespace AttentionGen.Tests.Onnx;

/// <summary>
/// Gemma 2's decoder in the two oracles, before any generated decoder has it: the float64 reference and ONNX Runtime
/// running the <see cref="DecoderOnnxModels"/> graph agree on a tiny Gemma 2 (Gemma's RMSNorm with its 1 + γ, the
/// gated GELU-tanh, sandwich norms, embeddings times √ModelDim, attention-score and final-logit softcaps, a tied head),
/// whole and in chunks over a past, within <see cref="DecoderOracleTests.Tolerance"/>. The weights are built by hand
/// under Hugging Face's <c>Gemma2ForCausalLM</c> names, and each Gemma feature, turned off in the reference, moves the
/// logits by far more than that tolerance, so an oracle that dropped one could not pass.
/// </summary>
[Trait("Category", "Onnx")]
public sealed class GemmaGraphTests(ITestOutputHelper output)
{
    /// <summary>What turning one feature off must move the logits by at least (relative to the largest): 100 tolerances.</summary>
    private const double FeatureEffect = 100 * DecoderOracleTests.Tolerance;

    /// <summary>
    /// The shape of <c>[TransformerDecoder(Vocab = 40, Layers = 2, ModelDim = 32, Heads = 4, KvHeads = 2, HeadDim = 16,
    /// FfnDim = 48, MaxSeqLen = 20, Norm = NormKind.GemmaRmsNorm, Activation = ActivationKind.GeGluTanh, Softcap = 50f,
    /// Scale = 0.25f, SandwichNorm = true, ScaleEmbeddings = true, FinalLogitSoftcap = 30f, TiedEmbeddings = true,
    /// NormEpsilon = 1e-6f)]</c>, Gemma 2's caps (50 on the scores, 30 on the logits).
    /// </summary>
    private static readonly DecoderShape Gemma2 = new(Vocab: 40, Layers: 2, ModelDim: 32, Heads: 4, KvHeads: 2, HeadDim: 16, FfnDim: 48,
        RopeDim: 16, RopeTheta: 10000, Epsilon: 1e-6f, MaxPositions: 20, Scale: 0.25f, Norm: NormKind.GemmaRmsNorm,
        Activation: ActivationKind.GeGluTanh, Softcap: 50f, SandwichNorm: true, ScaleEmbeddings: true, FinalLogitSoftcap: 30f);

    /// <summary>
    /// Each case: a shape and how far the Q and K projections are scaled up from the usual ±1/√in. Gemma 2's score cap
    /// only acts near ±50, so its Q and K are scaled by 6: the first layer's scores then reach 59 (capped to 42), with
    /// a tenth of them past 22. A cap of 50 would also hide a mask applied before the cap (a masked key at −50 gets
    /// weight e⁻⁵⁰), so the second case caps the scores at 5 over Q and K scaled by 3 (scores up to 15, a tenth past
    /// 5.6): there a masked key capped to −5 instead of staying at −∞ would take a visible share of the weight, so its
    /// agreement shows that ONNX Runtime's Attention caps first and masks after, with a past as well as without.
    /// </summary>
    public static TheoryData<string> Cases => ["Gemma2", "SmallScoreCap"];

    private static (DecoderShape Shape, float QueryKeyScale) Case(string name) => name switch
    {
        "Gemma2" => (Gemma2, 6f),
        "SmallScoreCap" => (Gemma2 with { Softcap = 5f }, 3f),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void OnnxGraph_MatchesTheFloat64Reference_WholeAndInChunksOverAPast(string name)
    {
        var (shape, queryKeyScale) = Case(name);
        var values = Weights(shape, queryKeyScale, seed: 51);
        var sequence = TransformerNumericTests.Ids(shape.MaxPositions, shape.Vocab, seed: 52);
        var expected = TransformerReference.DecoderLogits(sequence, shape.Vocab, shape.Layers, Options(shape), values, tied: true);

        using var whole = new DecoderOrtRunner(shape, values);
        double wholeError = DecoderOracleTests.AssertCloseRows(expected, whole.Run(sequence), 0, shape, $"{name} ORT in one pass");

        using var chunked = new DecoderOrtRunner(shape, values);
        double chunkedError = 0;
        foreach (int length in DecoderOracleTests.Chunks(shape.MaxPositions))
        {
            int first = chunked.Position;
            chunkedError = Math.Max(chunkedError,
                DecoderOracleTests.AssertCloseRows(expected, chunked.Run(sequence.AsSpan(first, length)), first, shape, $"{name} ORT chunk at {first}"));
        }

        output.WriteLine($"{name}: ORT vs float64 reference, one pass {wholeError:E2}, in chunks over a past {chunkedError:E2}; " +
            $"max |logit| {expected.Max(Math.Abs):F1} (cap {shape.FinalLogitSoftcap})");
    }

    /// <summary>
    /// Each Gemma feature matters to these weights: without it the reference's logits move by more than
    /// <see cref="FeatureEffect"/>, so the agreement above could not hold with a feature missing on one side only.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void EachGemmaFeature_MovesTheLogitsFarBeyondTheTolerance(string name)
    {
        var (shape, queryKeyScale) = Case(name);
        var values = Weights(shape, queryKeyScale, seed: 51);
        var sequence = TransformerNumericTests.Ids(shape.MaxPositions, shape.Vocab, seed: 52);
        var options = Options(shape);
        var gemma = TransformerReference.DecoderLogits(sequence, shape.Vocab, shape.Layers, options, values, tied: true);

        (string Feature, BlockOptions Without)[] variants =
        [
            ("sandwich norms", options with { SandwichNorm = false }),
            ("the norm's 1 + γ", options with { Norm = NormKind.RmsNorm }),
            ("embeddings times √ModelDim", options with { ScaleEmbeddings = false }),
            ("attention softcap", options with { Softcap = 0 }),
            ("final logit softcap", options with { FinalLogitSoftcap = 0 }),
            ("GELU-tanh gate (SiLU instead)", options with { Activation = ActivationKind.SwiGlu }),
        ];
        foreach (var (feature, without) in variants)
        {
            var changed = TransformerReference.DecoderLogits(sequence, shape.Vocab, shape.Layers, without, values, tied: true);
            double effect = RelativeDifference(gemma, changed);
            output.WriteLine($"{name}: without {feature}, the logits move by {effect:E2} of the largest");
            Assert.True(effect > FeatureEffect, $"{name}: without {feature} the logits move by only {effect:E2}, not more than {FeatureEffect:E1}.");
        }
    }

    /// <summary>The reference's options for a graph shape: a pre-norm causal decoder under Llama's names.</summary>
    private static BlockOptions Options(DecoderShape shape) =>
        new(shape.ModelDim, shape.Heads, shape.KvHeads, shape.HeadDim, shape.FfnDim, Causal: true, shape.Scale, shape.Softcap, PreNorm: true,
            shape.Activation, shape.Epsilon, shape.Norm, shape.RopeDim, shape.RopeTheta, WeightNames.HfLlama, SandwichNorm: shape.SandwichNorm,
            ScaleEmbeddings: shape.ScaleEmbeddings, FinalLogitSoftcap: shape.FinalLogitSoftcap);

    /// <summary>
    /// A Gemma 2 checkpoint's tensors, tied (no <c>lm_head.weight</c>). Matrices are uniform in ±1/√in, Q and K times
    /// <paramref name="queryKeyScale"/> so the score cap bites. Norm gains are stored less one, as Gemma's are: the block
    /// norms' uniform in ±0.5 around 0, so 1 + γ and γ differ by the whole factor; the final norm's around 1 (a factor
    /// near 2). With the embedding table in ±1 the logits before the cap reach ±42 (a tenth past ±13), so the cap of 30
    /// bends the largest without flattening the rest.
    /// </summary>
    private static Dictionary<string, float[]> Weights(DecoderShape shape, float queryKeyScale, int seed)
    {
        int d = shape.ModelDim, queryWidth = shape.Heads * shape.HeadDim, kvWidth = shape.KvHeads * shape.HeadDim;
        var values = new Dictionary<string, float[]>();
        void Matrix(string name, int outDim, int inDim, float scale = 1f) =>
            values[name + ".weight"] = TestData.Uniform(seed++, outDim * inDim, scale / MathF.Sqrt(inDim));
        void Gain(string name, float center, float spread) =>
            values[name + ".weight"] = Array.ConvertAll(TestData.Uniform(seed++, d, spread), x => center + x);

        values["model.embed_tokens.weight"] = TestData.Uniform(seed++, shape.Vocab * d, 1f);
        for (int layer = 0; layer < shape.Layers; layer++)
        {
            string prefix = $"model.layers.{layer}.";
            Gain(prefix + "input_layernorm", 0, 0.5f);
            Matrix(prefix + "self_attn.q_proj", queryWidth, d, queryKeyScale);
            Matrix(prefix + "self_attn.k_proj", kvWidth, d, queryKeyScale);
            Matrix(prefix + "self_attn.v_proj", kvWidth, d);
            Matrix(prefix + "self_attn.o_proj", d, queryWidth);
            Gain(prefix + "post_attention_layernorm", 0, 0.5f);
            Gain(prefix + "pre_feedforward_layernorm", 0, 0.5f);
            Matrix(prefix + "mlp.gate_proj", shape.FfnDim, d);
            Matrix(prefix + "mlp.up_proj", shape.FfnDim, d);
            Matrix(prefix + "mlp.down_proj", d, shape.FfnDim);
            Gain(prefix + "post_feedforward_layernorm", 0, 0.5f);
        }

        Gain("model.norm", 1, 0.5f);
        return values;
    }

    /// <summary>max |a − b| over max |a|.</summary>
    private static double RelativeDifference(double[] a, double[] b) =>
        a.Zip(b, (x, y) => Math.Abs(x - y)).Max() / a.Max(Math.Abs);
}
