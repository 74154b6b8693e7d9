using System.Buffers.Binary;
using System.Text;
using AttentionGen.Kernels;
using AttentionGen.Tests.SafeTensorsTests;
using Xunit.Abstractions;

namespace AttentionGen.Tests.Weights;

/// <summary>A Llama-2-7B-sized attention layer: ModelDim 4096, 32 query heads, 8 key/value heads, a 2,048-token window.</summary>
[MultiHeadAttention(ModelDim = 4096, Heads = 32, KvHeads = 8, MaxSeqLen = 2048)]
internal partial class LlamaSizedAttention;

/// <summary>
/// Weights at model scale: loading a Llama-sized layer costs its packed weights and little more (per-thread managed
/// allocations measured exactly, the peak resident set on Linux), and every instance over them adds only its scratch.
/// </summary>
[Trait("Category", "SafeTensors")]
[Collection(nameof(SafeTensorsMemoryTests))]
public sealed class ModelScaleWeightTests(ITestOutputHelper output) : IDisposable
{
    private const double MiB = 1024.0 * 1024;

    private readonly string _path = Path.Combine(Path.GetTempPath(), $"attentiongen-llama-{Guid.NewGuid():N}.safetensors");

    public void Dispose() => File.Delete(_path);

    [Fact]
    public void LlamaSizedLayer_LoadsIntoPackedWeightsOnly_AndInstancesAddOnlyScratch()
    {
        long fileBytes = WriteSparseZeroFile(_path, LlamaSizedAttention.Parameters);
        long packedBytes = LlamaSizedAttention.Parameters.Sum(p => 4L * (p.IsPacked ? PackedLinear.PackedLength(p.Shape[0], p.Shape[1]) : p.ElementCount));

        // Warm the loading path up on a small layer, so the JIT's own allocations are not counted.
        using (var small = SafeTensors.Load(new SafeTensorsWriter().Add("score.weight", new float[5], [1, 5]).Add("score.bias", [0f], [1])
                   .Add("output.weight", new float[5], [1, 5]).Add("output.bias", [0f], [1]).ToArray()))
        {
            Numeric.PoolNarrow.Weights.Load(small);
        }

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var residentPeak = new ResidentPeak();
        long before = GC.GetAllocatedBytesForCurrentThread();
        LlamaSizedAttention.Weights weights;
        using (var file = SafeTensors.Open(_path))
        {
            weights = LlamaSizedAttention.Weights.Load(file);
        }

        long loadAllocated = GC.GetAllocatedBytesForCurrentThread() - before;
        var loadPeak = residentPeak.Growth();

        before = GC.GetAllocatedBytesForCurrentThread();
        var first = new LlamaSizedAttention(weights);
        long firstInstance = GC.GetAllocatedBytesForCurrentThread() - before;
        before = GC.GetAllocatedBytesForCurrentThread();
        var second = new LlamaSizedAttention(weights);
        long secondInstance = GC.GetAllocatedBytesForCurrentThread() - before;

        // The projections' scratch: Q and the attended heads [MaxSeqLen, QueryWidth], K and V [MaxKvSeqLen, KvWidth].
        long projectionScratch = 4L * (2L * LlamaSizedAttention.MaxSeqLen * LlamaSizedAttention.QueryWidth
            + 2L * LlamaSizedAttention.MaxKvSeqLen * LlamaSizedAttention.KvWidth);
        output.WriteLine($"file {fileBytes / MiB:F1} MiB (F32); weights {weights.ByteCount / MiB:F1} MiB packed; " +
                         $"allocated while loading {loadAllocated / MiB:F2} MiB = {(double)loadAllocated / weights.ByteCount:F4} x the weights");
        output.WriteLine(loadPeak is { } peak
            ? $"peak resident set growth while loading {peak / MiB:F1} MiB = {(double)peak / weights.ByteCount:F3} x the weights"
            : "No /proc/self/clear_refs: the resident set was not measured.");
        output.WriteLine($"each instance: {firstInstance / MiB:F2} MiB, then {secondInstance / MiB:F2} MiB (projection scratch alone {projectionScratch / MiB:F2} MiB); " +
                         $"weights + one instance {(weights.ByteCount + firstInstance) / MiB:F1} MiB");

        Assert.Equal(packedBytes, weights.ByteCount);
        Assert.True(loadAllocated < weights.ByteCount + (4L << 20), $"loading allocated {loadAllocated / MiB:F1} MiB for {weights.ByteCount / MiB:F1} MiB of weights");
        Assert.True(loadPeak is not { } growth || growth < weights.ByteCount * 5 / 4, $"the resident set grew by {(loadPeak ?? 0) / MiB:F1} MiB");

        // An instance is scratch only: the projections' buffers plus the attention's (scores, Kᵀ panels: a few MiB).
        Assert.InRange(firstInstance, projectionScratch, projectionScratch + (16L << 20));
        // The same buffers each time. The first instance's count may also hold a few KB the runtime allocates once (8 KB
        // since scratch went through PinnedMemory's uninitialized arrays), so the two agree to within 8 KB of 80 MB.
        Assert.InRange(Math.Abs(firstInstance - secondInstance), 0, 8 << 10);
        Assert.Same(first.CurrentWeights, second.CurrentWeights);
    }

    /// <summary>Every tensor as F32 zeros, written as a sparse file: the header, then a hole as long as the data.</summary>
    private static long WriteSparseZeroFile(string path, IReadOnlyList<ParameterSpec> parameters)
    {
        var header = new StringBuilder("{");
        long offset = 0;
        foreach (var parameter in parameters)
        {
            long bytes = 4L * parameter.ElementCount;
            header.Append($"\"{parameter.Name}\":{{\"dtype\":\"F32\",\"shape\":[{string.Join(",", parameter.Shape)}],\"data_offsets\":[{offset},{offset + bytes}]}},");
            offset += bytes;
        }

        header[^1] = '}';
        var headerBytes = Encoding.UTF8.GetBytes(header.ToString());
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)headerBytes.Length);
        stream.Write(prefix);
        stream.Write(headerBytes);
        stream.SetLength(8 + headerBytes.Length + offset);
        return stream.Length;
    }
}
