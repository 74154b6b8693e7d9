using AttentionGen.Threading;

namespace AttentionGen.Models.Tests;

/// <summary>
/// The real model split over threads gives the one-thread bits: hidden states of one long sentence and the embeddings
/// of a packed batch, with <see cref="Parallelism.MaxThreads"/> 2 and 3 against 1, at the library's own split threshold
/// (every MiniLM GEMM and attention call is above it). In the MiniLM collection, whose tests run one at a time, so the
/// global setting is never changed under another test; it is restored in <c>finally</c>.
/// </summary>
[Collection(MiniLmCollection.Name)]
public class GeneratedParallelForwardTests(MiniLmFixture model)
{
    [Fact]
    public void Forward_and_EncodeBatch_on_two_and_three_threads_give_the_one_thread_bits()
    {
        var encoder = new MiniLm(model.Weights);
        var sentence = MiniLmTexts.OfLength(model.Tokenizer, 200);
        int[][] batch = [.. MiniLmTexts.Lengths.Select(n => MiniLmTexts.OfLength(model.Tokenizer, n))];
        int[] ids = [.. batch.SelectMany(s => s)];
        int[] lengths = [.. batch.Select(s => s.Length)];

        float[] Run(int threads)
        {
            int saved = Parallelism.MaxThreads;
            try
            {
                Parallelism.MaxThreads = threads;
                var hidden = new float[sentence.Length * MiniLm.ModelDim];
                var embeddings = new float[batch.Length * MiniLm.ModelDim];
                encoder.Forward(sentence, hidden);
                encoder.EncodeBatch(ids, lengths, embeddings);
                return [.. hidden, .. embeddings];
            }
            finally
            {
                Parallelism.MaxThreads = saved;
            }
        }

        var serial = Run(1);
        foreach (int threads in new[] { 2, 3 })
        {
            var split = Run(threads);
            int first = Enumerable.Range(0, serial.Length).FirstOrDefault(i => BitConverter.SingleToInt32Bits(serial[i]) != BitConverter.SingleToInt32Bits(split[i]), -1);
            Assert.True(first < 0, $"{threads} threads: element {first} differs from one thread's");
        }
    }
}
