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
            layer.Forward(q, kv, kv, o, 40, 40);
            layer.Forward(q, kv, kv, o, 1, 40);
            layer.Forward(q, kv, kv, mask, o, 40, 40);
        });
    }

    [Fact]
    public void MultiHead_SelfAndCross()
    {
        var self = new MhaSelf();
        var cross = new MhaCross();
        var input = new float[24 * MhaSelf.ModelDim];
        var output = new float[input.Length];
        var context = new float[30 * MhaCross.KvInputDim];
        AssertNoAllocation(() =>
        {
            self.Forward(input, output, 24);
            cross.Forward(input, context, output, 8, 30);
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
        });
    }

    private static void AssertNoAllocation(Action forward)
    {
        for (int i = 0; i < 20; i++)
        {
            forward(); // warm-up: tiering and first-call work happen here, not in the measurement
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
