using AttentionGen.Models.Tests.Ort;
using Xunit.Abstractions;

namespace AttentionGen.Models.Tests;

/// <summary>
/// <see cref="MiniLmPadded"/> against ONNX Runtime on the same padded batches: right padding as a tokenizer pads
/// (ORT's own <see cref="OrtBert.Run"/>), and left padding and holes laid out by hand. Only the rows the mask keeps are
/// compared (a padding row's values mean nothing), and the sentence embeddings of the whole batch.
/// </summary>
[Collection(MiniLmCollection.Name)]
public class GeneratedPaddingMaskTests(MiniLmFixture model, ITestOutputHelper output)
{
    private static MiniLmPadded.Weights? _weights;

    private MiniLmPadded.Weights Weights => LazyInitializer.EnsureInitialized(ref _weights, () => MiniLmPadded.Weights.Load(model.Checkpoint));

    /// <summary>Every sentence, and passages of 64 and 128 tokens: 28 rows padded to 128 (over 3,500 tokens, four passes).</summary>
    private int[][] Sequences() =>
    [
        .. MiniLmTexts.Sentences.Select(s => MiniLmTexts.Tokenize(model.Tokenizer, s)),
        MiniLmTexts.OfLength(model.Tokenizer, 64),
        MiniLmTexts.OfLength(model.Tokenizer, 128),
    ];

    [Fact]
    public void Right_padded_batch_matches_ORT_row_by_row_and_embedding_by_embedding()
    {
        var sequences = Sequences();
        var expected = model.Ort.Run(sequences);
        var ids = new int[expected.Batch * expected.Length];
        for (int b = 0; b < sequences.Length; b++)
        {
            sequences[b].CopyTo(ids, b * expected.Length);
        }

        Compare(ids, expected, "right padding");
    }

    [Fact]
    public void Left_padding_and_holes_match_ORT()
    {
        // Left padding shifts the real tokens' positions (BertModel numbers rows, padding included), and holes mask keys
        // inside the sentence: the generated encoder must follow ORT's graph on both.
        var sequences = Sequences().Take(12).Append(MiniLmTexts.OfLength(model.Tokenizer, 40)).ToArray();
        int length = sequences.Max(s => s.Length) + 3, batch = sequences.Length;
        var ids = new int[batch * length];
        var mask = new int[batch * length];
        for (int b = 0; b < batch; b++)
        {
            var sequence = sequences[b];
            if (b % 2 == 0)
            {
                int offset = length - sequence.Length; // left padding
                sequence.CopyTo(ids, b * length + offset);
                Array.Fill(mask, 1, b * length + offset, sequence.Length);
            }
            else
            {
                // Holes: the sentence spread over the row with a padding slot after every third token, the rest at the end.
                int at = 0;
                for (int t = 0; t < sequence.Length; t++)
                {
                    if (t > 0 && t % 3 == 0 && sequence.Length + at - t < length)
                    {
                        at++;
                    }

                    ids[b * length + at] = sequence[t];
                    mask[b * length + at] = 1;
                    at++;
                }
            }
        }

        Compare(ids, model.Ort.RunPadded(ids, mask, batch), "left padding and holes");
    }

    private void Compare(int[] ids, OrtBatchOutput expected, string what)
    {
        var encoder = new MiniLmPadded(Weights);
        int length = expected.Length, hiddenWidth = MiniLmPadded.ModelDim;
        var hidden = new float[length * hiddenWidth];
        double worstHidden = 0;
        for (int b = 0; b < expected.Batch; b++)
        {
            var mask = expected.Mask(b);
            encoder.Forward(ids.AsSpan(b * length, length), default, mask, hidden);
            var kept = KeptRows(hidden, mask, hiddenWidth);
            var reference = KeptRows(expected.Sequence(b).ToArray(), mask, hiddenWidth);
            double error = GeneratedHiddenStateTests.RelativeError(kept, reference);
            worstHidden = Math.Max(worstHidden, error);
            Assert.True(error <= GeneratedTolerance.RelativeToMax, $"{what}, row {b}: hidden states {error:E2}");
        }

        // The control: row 0 is padded, and without its mask the same rows are far from ORT's.
        encoder.Forward(ids.AsSpan(0, length), hidden);
        double unmasked = GeneratedHiddenStateTests.RelativeError(KeptRows(hidden, expected.Mask(0), hiddenWidth), KeptRows(expected.Sequence(0).ToArray(), expected.Mask(0), hiddenWidth));
        Assert.True(unmasked > 100 * GeneratedTolerance.RelativeToMax, $"{what}: row 0 without its mask is {unmasked:E2} from ORT, so the mask changed nothing");

        var embeddings = new float[expected.Batch * hiddenWidth];
        encoder.EncodeBatch(ids, expected.AttentionMask, expected.Batch, embeddings);
        double worstEmbedding = 0, leastCosine = 1;
        for (int b = 0; b < expected.Batch; b++)
        {
            var actual = embeddings.AsSpan(b * hiddenWidth, hiddenWidth);
            var reference = expected.SentenceEmbedding(b);
            worstEmbedding = Math.Max(worstEmbedding, GeneratedHiddenStateTests.RelativeError(actual, reference));
            leastCosine = Math.Min(leastCosine, TensorComparison.Cosine(actual, reference));
        }

        output.WriteLine($"{what}: {expected.Batch} rows padded to {length}; hidden states on unmasked rows max {worstHidden:E2} of max |ORT|; " +
            $"embeddings max {worstEmbedding:E2}, least cosine {leastCosine:F9}; row 0 unmasked {unmasked:E2}");
        Assert.True(worstEmbedding <= GeneratedTolerance.RelativeToMax, $"{what}: embeddings {worstEmbedding:E2}");
        Assert.True(leastCosine >= GeneratedTolerance.Cosine, $"{what}: cosine {leastCosine}");
    }

    private static float[] KeptRows(float[] rows, ReadOnlySpan<int> mask, int width)
    {
        var kept = new List<float>();
        for (int t = 0; t < mask.Length; t++)
        {
            if (mask[t] == 1)
            {
                kept.AddRange(rows.AsSpan(t * width, width));
            }
        }

        return [.. kept];
    }
}
