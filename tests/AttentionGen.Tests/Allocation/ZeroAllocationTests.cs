using AttentionGen.Tests.Numeric;

namespace AttentionGen.Tests.Allocation;

/// <summary>Forward allocates nothing: the managed heap of this thread does not grow over 1,000 calls after a warm-up.</summary>
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
        var self = new MhaSelf();
        var cross = new MhaCross();
        var both = new MhaCrossSameWidth();
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
    public void Pooling_WithAndWithoutWeights()
    {
        var layer = new PoolWide();
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

    private static void AssertNoAllocation(Action forward)
    {
        for (int i = 0; i < 50; i++)
        {
            forward(); // warm-up: first-call and tiering work happen here, not in the measurement
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Calls; i++)
        {
            forward();
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated == 0, $"{allocated} bytes allocated over {Calls} calls");
    }
}
