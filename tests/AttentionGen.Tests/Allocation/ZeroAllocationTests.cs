using AttentionGen.Tests.Numeric;

namespace AttentionGen.Tests.Allocation;

/// <summary>
/// Forward allocates nothing: the managed heap of this thread does not grow over 1,000 calls after a warm-up. In the
/// Numeric category so the SIMD-path child runs check every vector width too.
/// </summary>
[Trait("Category", "Numeric")]
public sealed class ZeroAllocationTests
{
    private const int Calls = 1_000;

    [Fact]
    public void ScaledDotProduct_TiledAndRowPaths_AndMask()
    {
        var layer = new SdpaCausalGqa();
        var q = new float[40 * SdpaCausalGqa.QueryWidth];
        var kv = new float[40 * SdpaCausalGqa.KvWidth];
        var mask = new float[40 * 40];
        var o = new float[q.Length];
        AssertNoAllocation(() =>
        {
            layer.Forward(q, kv, kv, o, 40, 40);                  // tiled
            layer.Forward(q, kv, kv, o, 1, 40);                   // one row
            layer.Forward(q, kv, kv, o, 29, 13);                  // rows that see nothing
            layer.Forward(q, kv, kv, mask, o, 40, 40);            // mask overload
            layer.Forward(q, kv, kv, mask.AsSpan(0, 5 * 7), o, 5, 7);
        });
    }

    [Fact]
    public void ScaledDotProduct_UnrolledAndLoopedHeads()
    {
        var decode = new SdpaDecodeGqa();
        var wide = new SdpaWide(); // past the unroll bound: looped kernels
        var q = new float[8 * SdpaWide.QueryWidth];
        var kv = new float[300 * SdpaDecodeGqa.KvWidth];
        var o = new float[Math.Max(q.Length, SdpaDecodeGqa.QueryWidth)];
        AssertNoAllocation(() =>
        {
            decode.Forward(q.AsSpan(0, SdpaDecodeGqa.QueryWidth), kv, kv, o, 1, 300);
            wide.Forward(q, kv.AsSpan(0, 8 * SdpaWide.KvWidth), kv.AsSpan(0, 8 * SdpaWide.KvWidth), o, 8, 8);
        });
    }

    [Fact]
    public void MultiHead_SelfAndCross()
    {
        var self = TestWeights.NewLayer<MhaSelf>();
        var cross = TestWeights.NewLayer<MhaCross>();
        var both = TestWeights.NewLayer<MhaCrossSameWidth>();
        var input = new float[24 * MhaSelf.ModelDim];
        var output = new float[input.Length];
        var context = new float[30 * MhaCross.KvInputDim];
        AssertNoAllocation(() =>
        {
            self.Forward(input, output, 24);
            cross.Forward(input, context, output, 8, 30);
            both.Forward(input, output, 6);
            both.Forward(input, context, output, 6, 20);
        });
    }

    [Fact]
    public void MultiHead_TwoInstancesOverSharedWeights()
    {
        var weights = MhaSelf.Weights.Load(SafeTensors.Load(WeightsFile(MhaSelf.Parameters)));
        var first = new MhaSelf(weights);
        var second = new MhaSelf(weights);
        var input = new float[24 * MhaSelf.ModelDim];
        var output = new float[input.Length];
        AssertNoAllocation(() =>
        {
            first.Forward(input, output, 24);
            second.Forward(input, output, 24);
        });
    }

    /// <summary>A file with every parameter set to a small constant.</summary>
    private static byte[] WeightsFile(IReadOnlyList<ParameterSpec> parameters)
    {
        var writer = new SafeTensorsWriter();
        foreach (var parameter in parameters)
        {
            writer.Add(parameter.Name, Enumerable.Repeat(0.01f, parameter.ElementCount).ToArray(), parameter.Shape.ToArray());
        }

        return writer.ToArray();
    }

    [Fact]
    public void TransformerBlock_OneSequence_PackedBatch_AndInPlace()
    {
        var block = TestWeights.NewLayer<BlockPreNormCausalGqa>();
        var input = new float[40 * BlockPreNormCausalGqa.ModelDim];
        var output = new float[input.Length];
        int[] lengths = [20, 1, 19]; // more than MaxBatchTokens (20): three groups
        AssertNoAllocation(() =>
        {
            block.Forward(input, output, 20);
            block.Forward(input, output, lengths);
            block.Forward(output, output, 7);
        });
    }

    [Fact]
    public void TransformerEncoder_ForwardEncodeAndEncodeBatch()
    {
        var encoder = TestWeights.NewLayer<EncoderMeanPooled>();
        var ids = new int[80];
        var hidden = new float[24 * EncoderMeanPooled.ModelDim];
        var embeddings = new float[7 * EncoderMeanPooled.ModelDim];
        int[] lengths = [3, 24, 1, 17, 9, 24, 2];
        int[] types = new int[24];
        AssertNoAllocation(() =>
        {
            encoder.Forward(ids.AsSpan(0, 24), hidden);
            encoder.Forward(ids.AsSpan(0, 24), types, hidden);
            encoder.Encode(ids.AsSpan(0, 5), embeddings.AsSpan(0, EncoderMeanPooled.ModelDim));
            encoder.EncodeBatch(ids, lengths, embeddings);
        });
    }

    [Fact]
    public void TransformerBlock_PaddingMask_PlainAndCausal()
    {
        var block = TestWeights.NewLayer<BlockPostNormMasked>();
        var causal = TestWeights.NewLayer<BlockPreNormCausalGqaMasked>();
        var input = new float[24 * BlockPostNormMasked.ModelDim];
        var output = new float[input.Length];
        int[] holes = [1, 0, 1, 1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 0, 0, 1, 1];
        int[] leftPadded = [0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0];
        AssertNoAllocation(() =>
        {
            block.Forward(input, output, 24, holes);
            block.Forward(output, output, 9, holes.AsSpan(0, 9));
            causal.Forward(input, output, 20, leftPadded);  // zero rows, runs, and padding rows one at a time
        });
    }

    [Fact]
    public void TransformerEncoder_PaddingMask_ForwardEncodeAndPaddedBatch()
    {
        var encoder = TestWeights.NewLayer<EncoderMeanPooledMasked>();
        var cls = TestWeights.NewLayer<EncoderClsPooledMasked>();
        var ids = new int[7 * 13];
        var mask = Enumerable.Range(0, ids.Length).Select(i => i % 13 < 9 || i % 5 == 0 ? 1 : 0).ToArray();
        var hidden = new float[13 * EncoderMeanPooledMasked.ModelDim];
        var embeddings = new float[7 * EncoderMeanPooledMasked.ModelDim];
        AssertNoAllocation(() =>
        {
            encoder.Forward(ids.AsSpan(0, 13), default, mask.AsSpan(0, 13), hidden);
            encoder.Encode(ids.AsSpan(0, 13), mask.AsSpan(0, 13), embeddings.AsSpan(0, EncoderMeanPooledMasked.ModelDim));
            encoder.EncodeBatch(ids, mask, 7, embeddings); // packed groups of the rows' tokens
            cls.EncodeBatch(ids.AsSpan(0, 5 * 13), mask.AsSpan(0, 5 * 13), 5, embeddings.AsSpan(0, 5 * EncoderClsPooledMasked.ModelDim)); // every row, masked attention
        });
    }

    [Fact]
    public void TransformerDecoder_DecodeStep_AndChunkedPrefill()
    {
        var decoder = TestWeights.NewLayer<DecoderLlamaTiny>();
        var logits = new float[DecoderLlamaTiny.Vocab];
        var prompt = new int[12]; // one and a half prefill chunks
        decoder.Prefill(prompt, logits);
        AssertNoAllocation(() =>
        {
            decoder.DecodeStep(5, logits);
            decoder.Rewind(decoder.Position - 1);
        });
        AssertNoAllocation(() =>
        {
            decoder.Reset();
            decoder.Prefill(prompt, logits);
        });

        // Tied, float and bfloat16: token rows read out of the LM head's panels; and Gemma 2's (scaled embeddings, sandwich
        // norms, capped scores and logits).
        IDecoder[] tiedDecoders = [TestWeights.NewLayer<DecoderQwen2Tiny>(), TestWeights.NewLayer<DecoderQwen2TinyBfloat16>(), TestWeights.NewLayer<DecoderGemma2Tiny>()];
        var tiedLogits = new float[DecoderQwen2Tiny.Vocab];
        foreach (var tied in tiedDecoders)
        {
            tied.Prefill(prompt, tiedLogits);
            AssertNoAllocation(() =>
            {
                tied.DecodeStep(5, tiedLogits);
                tied.Rewind(tied.Position - 1);
                tied.Reset();
                tied.Prefill(prompt, tiedLogits);
            });
        }
    }

    [Fact]
    public void Pooling_WithAndWithoutWeights()
    {
        var layer = TestWeights.NewLayer<PoolWide>();
        var input = new float[10 * PoolWide.InputDim];
        var output = new float[PoolWide.OutputDim];
        var weights = new float[10];
        AssertNoAllocation(() =>
        {
            layer.Forward(input, output, 10);
            layer.Forward(input, output, weights, 10);
            layer.Forward(input, output, weights, 3);
        });
    }

    [Fact]
    public void TheMeasurementSeesAllocations()
    {
        // Guards the guard: if the counter stopped counting, every test above would pass vacuously.
        object? sink = null;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Calls; i++)
        {
            sink = new float[4];
        }

        Assert.NotNull(sink);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before >= Calls * 16L);
    }

    private static void AssertNoAllocation(Action forward) => AllocationAssert.NothingPerCall(forward, Calls);
}
