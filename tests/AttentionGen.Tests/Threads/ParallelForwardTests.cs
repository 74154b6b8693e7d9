using AttentionGen.Kernels;
using AttentionGen.Tests.Allocation;
using AttentionGen.Tests.Numeric;
using AttentionGen.Tests.Reference;
using AttentionGen.Threading;

namespace AttentionGen.Tests.Threads;

// Bigger than the numeric layers where a split has more to cut: several panels per projection, GQA heads split in tile
// ranges when they are fewer than the units wanted, and keys past the online-softmax threshold.
[MultiHeadAttention(ModelDim = 256, Heads = 8, KvHeads = 2, MaxSeqLen = 40, Causal = true)]
internal partial class ParallelMhaCausalGqa : ISelfAttention;

[MultiHeadAttention(ModelDim = 192, Heads = 6, MaxSeqLen = 30)]
internal partial class ParallelMhaPlain : ISelfAttention;

[ScaledDotProductAttention(Heads = 4, KvHeads = 1, HeadDim = 32, MaxSeqLen = 20, MaxKvSeqLen = 1300, Causal = true)]
internal partial class ParallelSdpaOnlineMqa : IScaledDotProduct;

// Multi-head decode without groups: one stream of every head, split over ranges of head pairs. Twelve heads of whole
// Vector512s take stacks of four; five heads of 24 (whole Vector256s only) end on a lone head.
[ScaledDotProductAttention(Heads = 12, HeadDim = 64, MaxSeqLen = 4, MaxKvSeqLen = 600)]
internal partial class ParallelSdpaDecodeTwelveHeads : IScaledDotProduct;

[ScaledDotProductAttention(Heads = 5, HeadDim = 24, MaxSeqLen = 4, MaxKvSeqLen = 100, Causal = true)]
internal partial class ParallelSdpaDecodeFiveHeads : IScaledDotProduct;

// Grouped-query decode over eight key/value streams, split into ranges of several streams (4 + 4 on two threads, 3 + 3
// + 2 on three): groups of four score from packed queries, groups of two take the streams in turns on AVX-512.
[ScaledDotProductAttention(Heads = 32, KvHeads = 8, HeadDim = 64, MaxSeqLen = 2, MaxKvSeqLen = 300)]
internal partial class ParallelSdpaDecodeGroupsOfFour : IScaledDotProduct;

[ScaledDotProductAttention(Heads = 16, KvHeads = 8, HeadDim = 32, MaxSeqLen = 2, MaxKvSeqLen = 100, Causal = true)]
internal partial class ParallelSdpaDecodeGroupsOfTwo : IScaledDotProduct;

/// <summary>
/// <see cref="Parallelism.MaxThreads"/> is global, so every test that sets it runs in this collection, never beside
/// another test.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ParallelismCollection
{
    public const string Name = "Parallelism.MaxThreads (global)";
}

/// <summary>
/// A split Forward gives the one-thread result bit for bit (2 threads, and 3 on this 2-core machine), allocates nothing per
/// call, and two instances on two threads sharing the pool still give the one-thread bits. The split threshold is set to
/// zero here so even small shapes are cut into as many units as the partition allows.
/// </summary>
[Collection(ParallelismCollection.Name)]
[Trait("Category", "Numeric")]
public sealed class ParallelForwardTests
{
    public static TheoryData<int> ThreadCounts => [2, 3];

    // 1000 outputs are 16 panels of 64 (or 63 of 16), the last one partial: split over panels. 100 and 64 outputs are one
    // or two AVX-512 panels: split over even ranges of rows as well, each ending on its own sliding tile or rows.
    [Theory]
    [InlineData(1, true, 1000)]
    [InlineData(5, false, 1000)]
    [InlineData(13, true, 1000)]
    [InlineData(40, true, 1000)]
    [InlineData(40, true, 100)]
    [InlineData(17, false, 64)]
    [InlineData(9, true, 200)]
    [InlineData(12, true, 64)]
    [InlineData(32, false, 64)]
    [InlineData(23, true, 100)]
    public void PackedLinear_FloatAndBfloat16Panels_SplitGivesOneThreadBits(int rows, bool withBias, int outDim)
    {
        const int InDim = 70;
        var weight = TestData.Uniform(1, outDim * InDim);
        var input = TestData.Uniform(2, rows * InDim);
        float[] bias = withBias ? TestData.Uniform(3, outDim) : [];
        var panels = new float[PackedLinear.PackedLength(outDim, InDim)];
        var pairs = new uint[PackedLinear.PackedLengthBfloat16(outDim, InDim)];
        PackedLinear.Pack(weight, outDim, InDim, panels);
        PackedLinear.PackBfloat16(weight, outDim, InDim, pairs);

        float[] Run(int threads, bool bfloat16) => WithThreads(threads, () =>
        {
            var output = new float[rows * outDim];
            if (bfloat16)
            {
                PackedLinear.ForwardBfloat16(input, pairs, bias, output, rows, InDim, outDim);
            }
            else
            {
                PackedLinear.Forward(input, panels, bias, output, rows, InDim, outDim);
            }

            return output;
        });

        foreach (bool bfloat16 in new[] { false, true })
        {
            var serial = Run(1, bfloat16);
            AssertReferenceClose(input, weight, bias, rows, InDim, outDim, serial, bfloat16);
            foreach (int threads in ThreadCounts)
            {
                AssertBitIdentical(serial, Run(threads, bfloat16), $"{(bfloat16 ? "bfloat16" : "float")} panels, {rows} rows × {outDim} outputs, {threads} threads");
            }
        }
    }

    [Theory]
    [InlineData(nameof(SdpaCausalGqa), 40, 40)]
    [InlineData(nameof(SdpaCausalGqa), 37, 39)]
    [InlineData(nameof(SdpaPlain), 29, 32)]
    [InlineData(nameof(SdpaCausalMqaPrefix), 23, 64)]
    [InlineData(nameof(SdpaLongCausal), 100, 100)]
    [InlineData(nameof(SdpaHeadDim48Gqa), 13, 77)]
    [InlineData(nameof(ParallelSdpaOnlineMqa), 20, 1300)]
    [InlineData(nameof(ParallelSdpaOnlineMqa), 17, 1100)]
    [InlineData(nameof(SdpaCausalGqa), 1, 40)]            // the row path: a grouped decode step split over its streams
    [InlineData(nameof(SdpaCausalGqa), 3, 40)]            // … and over query rows
    [InlineData(nameof(SdpaPlain), 2, 32)]                // one stream for every head: split over rows only
    [InlineData(nameof(SdpaPlain), 1, 32)]                // one stream and one row (multi-head decode): split over heads
    [InlineData(nameof(SdpaDecodeSixHeads), 1, 70)]
    [InlineData(nameof(SdpaDecodeSixHeads), 1, 3)]        // fewer keys than a block: the heads take turns
    [InlineData(nameof(ParallelSdpaDecodeTwelveHeads), 1, 512)]
    [InlineData(nameof(ParallelSdpaDecodeTwelveHeads), 1, 599)]
    [InlineData(nameof(ParallelSdpaDecodeFiveHeads), 1, 77)]
    [InlineData(nameof(ParallelSdpaOnlineMqa), 3, 1300)]
    [InlineData(nameof(ParallelSdpaDecodeGroupsOfFour), 1, 300)] // a grouped decode step split into ranges of streams
    [InlineData(nameof(ParallelSdpaDecodeGroupsOfFour), 1, 7)]
    [InlineData(nameof(ParallelSdpaDecodeGroupsOfTwo), 1, 99)]
    public void ScaledDotProduct_SplitOverHeadsAndTiles_GivesOneThreadBits(string name, int seqLen, int kvSeqLen)
    {
        var type = LayerType(name);
        var layer = (IScaledDotProduct)Activator.CreateInstance(type)!;
        int queryWidth = (int)Declared.Constant(type, "QueryWidth")!, kvWidth = (int)Declared.Constant(type, "KvWidth")!;
        var q = TestData.Uniform(4, seqLen * queryWidth);
        var k = TestData.Uniform(5, kvSeqLen * kvWidth);
        var v = TestData.Uniform(6, kvSeqLen * kvWidth);
        var mask = TestData.Uniform(7, seqLen * kvSeqLen);

        float[] Run(int threads, bool masked) => WithThreads(threads, () =>
        {
            var output = new float[seqLen * queryWidth];
            if (masked)
            {
                layer.Forward(q, k, v, mask, output, seqLen, kvSeqLen);
            }
            else
            {
                layer.Forward(q, k, v, output, seqLen, kvSeqLen);
            }

            return output;
        });

        foreach (bool masked in new[] { false, true })
        {
            var serial = Run(1, masked);
            foreach (int threads in ThreadCounts)
            {
                AssertBitIdentical(serial, Run(threads, masked), $"{name} [{seqLen}×{kvSeqLen}]{(masked ? " masked" : "")}, {threads} threads");
            }
        }
    }

    [Fact]
    public void OnlineSoftmaxSplit_AgreesWithTheReference()
    {
        // The bit-identity tests compare the split with the one-thread path; this one ties the split to the float64
        // reference too, on the shape where a head's tile ranges each run the online softmax over 1,300 keys.
        const int SeqLen = 20, KvSeqLen = 1300;
        var layer = new ParallelSdpaOnlineMqa();
        var q = TestData.Uniform(8, SeqLen * ParallelSdpaOnlineMqa.QueryWidth);
        var k = TestData.Uniform(9, KvSeqLen * ParallelSdpaOnlineMqa.KvWidth);
        var v = TestData.Uniform(10, KvSeqLen * ParallelSdpaOnlineMqa.KvWidth);
        var output = new float[q.Length];
        WithThreads(2, () => layer.Forward(q, k, v, output, SeqLen, KvSeqLen));
        var expected = AttentionReference.Sdpa(q, k, v, SeqLen, KvSeqLen, 4, 1, 32, causal: true, scale: 1 / Math.Sqrt(32));
        TestData.AssertClose(expected, output, "split online attention");
    }

    [Theory]
    [InlineData(nameof(MhaSelf), 24)]
    [InlineData(nameof(MhaCausalGqaNoBias), 16)]
    [InlineData(nameof(ParallelMhaCausalGqa), 40)]
    [InlineData(nameof(ParallelMhaCausalGqa), 31)]
    [InlineData(nameof(ParallelMhaPlain), 30)]
    public void MultiHead_SplitGivesOneThreadBits(string name, int seqLen)
    {
        var type = LayerType(name);
        var layer = TestWeights.CreateRandom<ISelfAttention>(type, seed: 3).Layer;
        int modelDim = (int)Declared.Constant(type, "ModelDim")!;
        var input = TestData.Uniform(11, seqLen * modelDim);
        float[] Run(int threads) => WithThreads(threads, () =>
        {
            var output = new float[input.Length];
            layer.Forward(input, output, seqLen);
            return output;
        });

        var serial = Run(1);
        foreach (int threads in ThreadCounts)
        {
            AssertBitIdentical(serial, Run(threads), $"{name}, {seqLen} rows, {threads} threads");
        }
    }

    [Theory]
    [InlineData(nameof(BlockPostNormGelu))]
    [InlineData(nameof(BlockPreNormCausalGqa))]
    public void TransformerBlock_PackedBatch_SplitGivesOneThreadBits(string name)
    {
        var type = LayerType(name);
        var block = TestWeights.Create<ITransformerBlock>(type, TestWeights.Build(type, TransformerNumericTests.RandomWeights(type, seed: 5)));
        int modelDim = (int)Declared.Constant(type, "ModelDim")!, maxSeqLen = (int)Declared.Constant(type, "MaxSeqLen")!;
        int[] lengths = [maxSeqLen, 3, maxSeqLen - 1];
        var input = TestData.Uniform(12, lengths.Sum() * modelDim);
        float[] Run(int threads) => WithThreads(threads, () =>
        {
            var output = new float[input.Length];
            block.Forward(input, output, lengths);
            return output;
        });

        var serial = Run(1);
        foreach (int threads in ThreadCounts)
        {
            AssertBitIdentical(serial, Run(threads), $"{name}, {threads} threads");
        }
    }

    [Fact]
    public void TransformerEncoder_PackedBatch_SplitGivesOneThreadBits()
    {
        var encoder = TestWeights.NewLayer<EncoderMeanPooled>(seed: 6);
        int[] lengths = [3, 24, 1, 17, 9, 24, 2];
        var ids = TransformerNumericTests.Ids(lengths.Sum(), EncoderMeanPooled.Vocab, seed: 13);
        float[] Run(int threads) => WithThreads(threads, () =>
        {
            var embeddings = new float[lengths.Length * EncoderMeanPooled.ModelDim];
            encoder.EncodeBatch(ids, lengths, embeddings);
            return embeddings;
        });

        var serial = Run(1);
        foreach (int threads in ThreadCounts)
        {
            AssertBitIdentical(serial, Run(threads), $"encoder batch, {threads} threads");
        }
    }

    [Theory]
    [InlineData(nameof(DecoderLlamaTiny))]
    [InlineData(nameof(DecoderLlamaTinyBfloat16))]
    [InlineData(nameof(DecoderGpt2Tiny))]
    [InlineData(nameof(DecoderGemma2Tiny))]
    [InlineData(nameof(DecoderGemma3Tiny))] // windowed layers: a masked prefill, sliced decode steps
    [InlineData(nameof(DecoderMistralWindowTiny))]
    [InlineData(nameof(DecoderSmolLm3Tiny))] // unrotated layers
    [InlineData(nameof(DecoderGraniteTiny))] // scaled residual branches and logits
    [InlineData(nameof(DecoderOlmo2Tiny))] // norms after the sublayers
    public void Decoder_PrefillAndDecodeSteps_SplitGivesOneThreadBits(string name)
    {
        var type = LayerType(name);
        var weights = TestWeights.Build(type, TransformerNumericTests.RandomWeights(type, seed: 7));
        int vocab = (int)Declared.Constant(type, "Vocab")!;
        var sequence = TransformerNumericTests.Ids(20, vocab, seed: 14);
        float[] Run(int threads) => WithThreads(threads, () =>
        {
            // A fresh decoder per setting: the logits after a 14-token prefill and after each of six steps, end to end.
            var decoder = TestWeights.Create<IDecoder>(type, weights);
            var all = new float[7 * vocab];
            decoder.Prefill(sequence.AsSpan(0, 14), all.AsSpan(0, vocab));
            for (int step = 1; step < 7; step++)
            {
                decoder.DecodeStep(sequence[13 + step], all.AsSpan(step * vocab, vocab));
            }

            return all;
        });

        var serial = Run(1);
        foreach (int threads in ThreadCounts)
        {
            AssertBitIdentical(serial, Run(threads), $"{name}, {threads} threads");
        }
    }

    [Fact]
    public void TwoInstancesOnTwoThreads_SharingThePool_GiveOneThreadBits()
    {
        // One call holds the pool while the other finds it busy and runs serially; which one is which changes from call to
        // call, and neither may change the bits.
        var weights = (ParallelMhaCausalGqa.Weights)TestWeights.Build(typeof(ParallelMhaCausalGqa), TestWeights.RandomValues(ParallelMhaCausalGqa.Parameters, 9));
        var input = TestData.Uniform(15, 40 * ParallelMhaCausalGqa.ModelDim);
        var expected = new float[input.Length];
        new ParallelMhaCausalGqa(weights).Forward(input, expected, 40);

        int wrong = 0, calls = 0;
        long workerChunksBefore = WorkerPool.WorkerChunks;
        WithThreads(2, () =>
        {
            using var start = new Barrier(2);
            void Hammer()
            {
                var layer = new ParallelMhaCausalGqa(weights);
                var output = new float[input.Length];
                start.SignalAndWait();
                for (int call = 0; call < 200; call++)
                {
                    layer.Forward(input, output, 40);
                    Interlocked.Increment(ref calls);
                    if (!output.AsSpan().SequenceEqual(expected))
                    {
                        Interlocked.Increment(ref wrong);
                    }
                }
            }

            var threads = new[] { new Thread(Hammer), new Thread(Hammer) };
            Array.ForEach(threads, t => t.Start());
            Array.ForEach(threads, t => t.Join());
            return 0;
        });

        Assert.Equal(400, calls);
        Assert.Equal(0, wrong);
        Assert.True(WorkerPool.WorkerChunks > workerChunksBefore, "in 400 split calls the pool's worker never ran a chunk");
    }

    [Fact]
    public void SplitForward_AllocatesNothingPerCall_OnAnyThread()
    {
        var attention = TestWeights.NewLayer<ParallelMhaCausalGqa>(seed: 2);
        var decoder = TestWeights.Create<IDecoder>(typeof(DecoderLlamaTiny), TestWeights.Build(typeof(DecoderLlamaTiny), TransformerNumericTests.RandomWeights(typeof(DecoderLlamaTiny), seed: 8)));
        var input = new float[40 * ParallelMhaCausalGqa.ModelDim];
        var output = new float[input.Length];
        var logits = new float[DecoderLlamaTiny.Vocab];
        int[] prompt = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
        void Calls()
        {
            attention.Forward(input, output, 40);
            decoder.Reset();
            decoder.Prefill(prompt, logits);
            decoder.DecodeStep(11, logits);
            decoder.DecodeStep(12, logits);
        }

        WithThreads(2, () =>
        {
            long postedBefore = WorkerPool.JobsPosted;
            for (int i = 0; i < 50; i++)
            {
                Calls(); // warm-up: tiering, and the workers' first scratch
            }

            Assert.True(WorkerPool.JobsPosted > postedBefore, "nothing was split");

            // The caller's thread and the workers' count.
            AllocationAssert.NothingPerCall(Calls, callsPerRound: 500, otherThreadsBytes: () => WorkerPool.WorkerAllocatedBytes, warmUpCalls: 0);
            return 0;
        });
    }

    [Fact]
    public void ChangingMaxThreadsBetweenCalls_GrowsAndShrinksThePool_AndKeepsTheBits()
    {
        // Workers past a lowered setting stay blocked and must not join; raising it again wakes them with their own
        // scratch. Every setting gives the one-thread bits.
        var layer = TestWeights.NewLayer<ParallelMhaCausalGqa>(seed: 4);
        var input = TestData.Uniform(16, 37 * ParallelMhaCausalGqa.ModelDim);
        float[] Run(int threads) => WithThreads(threads, () =>
        {
            var output = new float[input.Length];
            layer.Forward(input, output, 37);
            return output;
        });

        var serial = Run(1);
        foreach (int threads in new[] { 4, 2, 3, 1, 4 })
        {
            AssertBitIdentical(serial, Run(threads), $"after setting {threads} threads");
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void MaxThreadsBelowOne_Throws_AndKeepsTheSetting(int value)
    {
        int before = Parallelism.MaxThreads;
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Parallelism.MaxThreads = value);
        Assert.Equal("MaxThreads", e.ParamName);
        Assert.Equal(before, Parallelism.MaxThreads);
    }

    [Fact]
    public void MaxThreads_DefaultsToOne()
    {
        // Every test here restores it, so the process still holds the default.
        Assert.Equal(1, Parallelism.MaxThreads);
    }

    /// <summary>A layer declared here or among the numeric tests' layers.</summary>
    private static Type LayerType(string name) =>
        typeof(ParallelForwardTests).Assembly.GetType("AttentionGen.Tests.Threads." + name) ?? Declared.Type(name);

    private static T WithThreads<T>(int threads, Func<T> run)
    {
        int savedThreads = Parallelism.MaxThreads;
        long savedMinimum = Parallelism.MinimumParallelWork, savedRowMinimum = Parallelism.MinimumParallelRowWork;
        try
        {
            Parallelism.MaxThreads = threads;
            Parallelism.MinimumParallelWork = 0;
            Parallelism.MinimumParallelRowWork = 0;
            return run();
        }
        finally
        {
            Parallelism.MaxThreads = savedThreads;
            Parallelism.MinimumParallelWork = savedMinimum;
            Parallelism.MinimumParallelRowWork = savedRowMinimum;
        }
    }

    private static void WithThreads(int threads, Action run) => WithThreads(threads, () =>
    {
        run();
        return 0;
    });

    private static void AssertBitIdentical(float[] expected, float[] actual, string what)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                Assert.Fail($"{what}: element {i} is {actual[i]:R}, one thread gave {expected[i]:R}");
            }
        }
    }

    private static void AssertReferenceClose(float[] input, float[] weight, float[] bias, int rows, int inDim, int outDim, float[] actual, bool bfloat16)
    {
        var w = bfloat16 ? weight.Select(TestData.RoundToBfloat16).ToArray() : weight;
        var expected = AttentionReference.Linear(input.Select(x => (double)x).ToArray(), rows, inDim, w, bias.Length == 0 ? null : bias, outDim);
        TestData.AssertClose(expected, actual, $"{(bfloat16 ? "bfloat16" : "float")} GEMM, {rows} rows");
    }
}
