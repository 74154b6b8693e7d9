using AttentionGen.Tests.Onnx;
using Microsoft.ML.OnnxRuntime;
using static AttentionGen.Tests.Onnx.DecoderOnnxModels;

namespace AttentionGen.Benchmarks.Cases;

/// <summary>A small Llama-style decoder: 4 layers of dm256, 8 query heads sharing 2 key/value heads.</summary>
[TransformerDecoder(Vocab = 8192, Layers = 4, ModelDim = 256, Heads = 8, KvHeads = 2, FfnDim = 704, MaxSeqLen = 512)]
internal sealed partial class DecoderL4Dm256;

/// <summary>llama2.c's stories110M shape (random weights: no pretrained decoder is available offline).</summary>
[TransformerDecoder(Vocab = 32000, Layers = 12, ModelDim = 768, Heads = 12, FfnDim = 2048, MaxSeqLen = 512)]
internal sealed partial class Stories110M;

/// <summary>The same shape with its matrices held as bfloat16.</summary>
[TransformerDecoder(Vocab = 32000, Layers = 12, ModelDim = 768, Heads = 12, FfnDim = 2048, MaxSeqLen = 512, WeightFormat = WeightFormat.BFloat16)]
internal sealed partial class Stories110MBfloat16;

/// <summary>
/// Decoder rows: one decode step at position 256 (the cache rewound after each call, so every call is the same step)
/// against ORT running the same graph with the past keys and values bound, and a 128-token prefill; the stories110M
/// steps are memory-bound, so they are held to the read bandwidth of the weights and the cache.
/// </summary>
internal static class DecoderCases
{
    private const int Position = 256;

    public static BenchmarkCase SmallStep(string name)
    {
        var shape = new DecoderShape(DecoderL4Dm256.Vocab, DecoderL4Dm256.Layers, DecoderL4Dm256.ModelDim, DecoderL4Dm256.Heads, DecoderL4Dm256.KvHeads,
            DecoderL4Dm256.HeadDim, DecoderL4Dm256.FfnDim, DecoderL4Dm256.RopeDim, DecoderL4Dm256.RopeTheta, DecoderL4Dm256.NormEpsilon, DecoderL4Dm256.MaxSeqLen);
        var values = RandomWeights(DecoderL4Dm256.Parameters);
        var decoder = new DecoderL4Dm256(CaseCatalog.Build(DecoderL4Dm256.Weights.CreateBuilder(), values));
        var prompt = Tokens(Position, shape.Vocab);
        var logits = new float[shape.Vocab];
        decoder.Prefill(prompt, logits);
        var (ort, ortLogits) = OrtStep(shape, values, prompt);
        // The embedding table is read one row per step, not streamed: only the rest of the weights and the cache count
        // (the table is 8 MB of the 28 MB here).
        double streamedWeights = decoder.CurrentWeights.ByteCount - 4.0 * shape.Vocab * shape.ModelDim;
        double flops = 2.0 * streamedWeights / sizeof(float) + 4.0 * shape.Heads * shape.HeadDim * (Position + 1) * shape.Layers;
        double bytes = streamedWeights + CacheBytes(shape.Layers, shape.KvHeads * shape.HeadDim);
        void Step()
        {
            decoder.DecodeStep(7, logits);
            decoder.Rewind(Position);
        }

        return new BenchmarkCase(name, flops, bytes, Step, ort.Run, null, null, ort, () =>
        {
            Step();
            ort.Run();
            return OutputDifference.Relative(logits, ortLogits);
        });
    }

    public static BenchmarkCase StoriesStep(string name, bool bfloat16)
    {
        var values = RandomWeights(Stories110M.Parameters);
        var prompt = Tokens(Position, Stories110M.Vocab);
        var logits = new float[Stories110M.Vocab];
        Action step;
        long weightBytes;
        if (bfloat16)
        {
            var decoder = new Stories110MBfloat16(CaseCatalog.Build(Stories110MBfloat16.Weights.CreateBuilder(), values));
            decoder.Prefill(prompt, logits);
            weightBytes = decoder.CurrentWeights.ByteCount;
            step = () =>
            {
                decoder.DecodeStep(7, logits);
                decoder.Rewind(Position);
            };
        }
        else
        {
            var decoder = new Stories110M(CaseCatalog.Build(Stories110M.Weights.CreateBuilder(), values));
            decoder.Prefill(prompt, logits);
            weightBytes = decoder.CurrentWeights.ByteCount;
            step = () =>
            {
                decoder.DecodeStep(7, logits);
                decoder.Rewind(Position);
            };
        }

        // The embedding table is read one row per step, not streamed: only the rest of the weights and the cache count.
        double streamedWeightBytes = weightBytes - 4.0 * Stories110M.Vocab * Stories110M.ModelDim;
        double cacheBytes = CacheBytes(Stories110M.Layers, Stories110M.KvWidth);
        double bytes = streamedWeightBytes + cacheBytes;
        // A multiply-add per weight and per cached float; the weights are 2 or 4 bytes each, the cache always 4.
        return new BenchmarkCase(name, 2.0 * (streamedWeightBytes / (bfloat16 ? 2 : 4) + cacheBytes / 4), bytes, step, null, null, null);
    }

    public static BenchmarkCase StoriesPrefill(string name)
    {
        var values = RandomWeights(Stories110M.Parameters);
        var decoder = new Stories110M(CaseCatalog.Build(Stories110M.Weights.CreateBuilder(), values));
        var shape = new DecoderShape(Stories110M.Vocab, Stories110M.Layers, Stories110M.ModelDim, Stories110M.Heads, Stories110M.KvHeads,
            Stories110M.HeadDim, Stories110M.FfnDim, Stories110M.RopeDim, Stories110M.RopeTheta, Stories110M.NormEpsilon, Stories110M.MaxSeqLen);
        const int Tokens128 = 128;
        var prompt = Tokens(Tokens128, shape.Vocab);
        var logits = new float[shape.Vocab];
        var (ort, ortLogits) = OrtPrefill(shape, values, prompt);
        double linear = 2.0 * Tokens128 * (Stories110M.Layers * (4.0 * 768 * 768 + 3.0 * 768 * 2048));
        double attention = 2.0 * Stories110M.Layers * Stories110M.Heads * Stories110M.HeadDim * Tokens128 * (Tokens128 + 1);
        void Prefill()
        {
            decoder.Reset();
            decoder.Prefill(prompt, logits);
        }

        return new BenchmarkCase(name, linear + attention, 4.0 * values.Values.Sum(v => (double)v.Length), Prefill, ort.Run, null, null, ort, () =>
        {
            Prefill();
            ort.Run();
            return OutputDifference.Relative(logits, ortLogits);
        });
    }

    private static double CacheBytes(int layers, int kvWidth) => 2.0 * sizeof(float) * layers * (Position + 1) * kvWidth;

    /// <summary>nn.Linear-style weights (±1/√fan-in), norm gains 1: logits stay finite and the softmax is not degenerate.</summary>
    private static Dictionary<string, float[]> RandomWeights(IReadOnlyList<ParameterSpec> parameters)
    {
        var random = new Random(110);
        var values = new Dictionary<string, float[]>();
        foreach (var parameter in parameters)
        {
            var data = new float[parameter.ElementCount];
            float bound = 1f / MathF.Sqrt(parameter.Shape[^1]);
            bool gain = parameter.Shape.Count == 1;
            for (int i = 0; i < data.Length; i++)
            {
                data[i] = gain ? 1f : (random.NextSingle() * 2 - 1) * bound;
            }

            values[parameter.Name] = data;
        }

        return values;
    }

    private static int[] Tokens(int count, int vocab)
    {
        var random = new Random(count);
        return Enumerable.Range(0, count).Select(_ => random.Next(vocab)).ToArray();
    }

    /// <summary>
    /// ORT on the same graph: the past keys and values of ORT's own prefill bound once, then one token per call; with the
    /// array its logits land in.
    /// </summary>
    private static (OrtCall Call, float[] Logits) OrtStep(DecoderShape shape, Dictionary<string, float[]> weights, int[] prompt)
    {
        using var prefill = new DecoderOrtRunner(shape, weights);
        prefill.Run(prompt);
        var (keys, values) = prefill.Cache;
        long[] token = [1, 1], past = [1, shape.KvHeads, prompt.Length, shape.HeadDim], present = [1, shape.KvHeads, prompt.Length + 1, shape.HeadDim];
        var inputs = new List<(string, OrtValue)>
        {
            ("input_ids", OrtValue.CreateTensorValueFromMemory(new long[] { 7 }, token)),
            ("position_ids", OrtValue.CreateTensorValueFromMemory(new long[] { prompt.Length }, token)),
        };
        var logits = new float[shape.Vocab];
        var outputs = new List<(string, OrtValue)> { ("logits", OrtValue.CreateTensorValueFromMemory(logits, [1, 1, shape.Vocab])) };
        for (int layer = 0; layer < shape.Layers; layer++)
        {
            inputs.Add((PastKey(layer), OrtValue.CreateTensorValueFromMemory(keys[layer], past)));
            inputs.Add((PastValue(layer), OrtValue.CreateTensorValueFromMemory(values[layer], past)));
            outputs.Add((PresentKey(layer), Floats(present)));
            outputs.Add((PresentValue(layer), Floats(present)));
        }

        return (new OrtCall(Llama(shape, weights, withPast: true), [.. inputs], [.. outputs]), logits);
    }

    /// <summary>
    /// ORT on the same graph without a past: a whole prompt per call, with the final norm and the LM head on the last
    /// position alone, as <c>Prefill</c> computes them (on every position ORT did 28% more work than the row counts);
    /// with the array its logits land in.
    /// </summary>
    private static (OrtCall Call, float[] Logits) OrtPrefill(DecoderShape shape, Dictionary<string, float[]> weights, int[] prompt)
    {
        long[] tokens = [1, prompt.Length], present = [1, shape.KvHeads, prompt.Length, shape.HeadDim];
        var logits = new float[shape.Vocab];
        var outputs = new List<(string, OrtValue)> { ("logits", OrtValue.CreateTensorValueFromMemory(logits, [1, 1, shape.Vocab])) };
        for (int layer = 0; layer < shape.Layers; layer++)
        {
            outputs.Add((PresentKey(layer), Floats(present)));
            outputs.Add((PresentValue(layer), Floats(present)));
        }

        var call = new OrtCall(Llama(shape, weights, withPast: false, lastLogitsOnly: true),
            [
                ("input_ids", OrtValue.CreateTensorValueFromMemory(prompt.Select(t => (long)t).ToArray(), tokens)),
                ("position_ids", OrtValue.CreateTensorValueFromMemory(Enumerable.Range(0, prompt.Length).Select(p => (long)p).ToArray(), tokens)),
            ],
            [.. outputs]);
        return (call, logits);
    }

    private static OrtValue Floats(long[] shape) => OrtValue.CreateTensorValueFromMemory(new float[shape.Aggregate(1L, (a, b) => a * b)], shape);
}
