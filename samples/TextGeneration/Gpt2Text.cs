using System.Diagnostics;
using AttentionGen;
using AttentionGen.Sampling;
using Microsoft.ML.Tokenizers;

namespace TextGeneration;

/// <summary>
/// GPT-2 small's shape: 12 pre-norm blocks of 12 heads of 64, LayerNorm, tanh GELU with an FFN of 3072, biases, a
/// learned position table of 1,024 rows, and an LM head tied to the 50,257-token embedding table. Its weights load from
/// GPT-2 checkpoints (Q, K and V fused in one Conv1D <c>c_attn</c>).
/// </summary>
[TransformerDecoder(Vocab = 50257, Layers = 12, ModelDim = 768, Heads = 12, FfnDim = 3072, MaxSeqLen = 1024, Norm = NormKind.LayerNorm,
    Activation = ActivationKind.GeluTanh, Bias = true, TiedEmbeddings = true, Positions = PositionKind.Learned, WeightNames = WeightNames.Gpt2)]
public sealed partial class Gpt2Small;

/// <summary>
/// The GPT-2 variant (<c>--gpt2</c>): text in and text out through GPT-2's own byte-pair tokenizer (Microsoft.ML.Tokenizers
/// and its GPT-2 data package), over seeded random weights built in memory. The text it writes is noise; the point is
/// the path from a string to tokens, through the decoder, and back.
/// </summary>
internal static class Gpt2Text
{
    public static int Run()
    {
        const string Prompt = "Once upon a time, in a small village by the sea,";
        var tokenizer = TiktokenTokenizer.CreateForModel("gpt2");
        var prompt = tokenizer.EncodeToIds(Prompt).ToArray();
        Console.WriteLine($"GPT-2 small shape ({Gpt2Small.Layers} layers, dim {Gpt2Small.ModelDim}, vocab {Gpt2Small.Vocab}); THE WEIGHTS ARE RANDOM.");
        Console.WriteLine($"Prompt: \"{Prompt}\" → {prompt.Length} GPT-2 tokens: {string.Join(' ', prompt)}");

        var build = Stopwatch.StartNew();
        var builder = Gpt2Small.Weights.CreateBuilder();
        var random = new Random(124);
        foreach (var parameter in Gpt2Small.Parameters)
        {
            var values = new float[parameter.ElementCount];
            bool gain = parameter.Shape.Count == 1 && parameter.Name.EndsWith(".weight", StringComparison.Ordinal);
            float bound = parameter.Shape.Count == 1 ? 0.02f : 1f / MathF.Sqrt(parameter.Shape[^1]);
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = gain ? 1f : (random.NextSingle() * 2 - 1) * bound;
            }

            builder.Set(parameter.Name, values);
        }

        var decoder = new Gpt2Small(builder.Build());
        Console.WriteLine($"Random weights built and packed in {build.Elapsed.TotalSeconds:F1} s.");

        var logits = new float[Gpt2Small.Vocab];
        var sampler = new TokenSampler(Gpt2Small.Vocab, seed: 7);
        var options = new SamplingOptions(Temperature: 0.9f, TopK: 50, TopP: 0.95f);
        decoder.Prefill(prompt, logits);
        var generated = new List<int>();
        var steps = Stopwatch.StartNew();
        for (int i = 0; i < 32; i++)
        {
            int token = sampler.Next(logits, options);
            generated.Add(token);
            decoder.DecodeStep(token, logits);
        }

        steps.Stop();
        Console.WriteLine($"32 tokens in {steps.Elapsed.TotalMilliseconds:F0} ms ({32 / steps.Elapsed.TotalSeconds:F1} tokens/s), decoded by the tokenizer:");
        Console.WriteLine("  " + tokenizer.Decode(generated).ReplaceLineEndings(" "));
        return 0;
    }
}
