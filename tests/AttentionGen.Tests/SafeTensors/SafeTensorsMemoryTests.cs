using System.Buffers.Binary;
using System.Text;
using Xunit.Abstractions;

namespace AttentionGen.Tests.SafeTensorsTests;

/// <summary>The process-wide memory measurement must not overlap other tests' allocations.</summary>
[CollectionDefinition(nameof(SafeTensorsMemoryTests), DisableParallelization = true)]
public sealed class SafeTensorsMemoryCollection;

/// <summary>
/// Loading a checkpoint of a few hundred megabytes costs the destination arrays and little else: no managed copy of the
/// file (measured exactly, per thread) and, on Linux, a peak resident set that grows by about the destination size,
/// not twice it (the mapped file pages are released window by window).
/// </summary>
[Trait("Category", "SafeTensors")]
[Collection(nameof(SafeTensorsMemoryTests))]
public sealed class SafeTensorsMemoryTests(ITestOutputHelper output) : IDisposable
{
    private const int TensorElements = 16 << 20; // 64 MB as F32

    private static readonly (string Name, SafeTensorsDType DType)[] Layout =
    [
        ("warmup.f32", SafeTensorsDType.F32),
        ("warmup.bf16", SafeTensorsDType.BF16),
        ("a", SafeTensorsDType.F32),
        ("b", SafeTensorsDType.F32),
        ("c", SafeTensorsDType.F32),
        ("d", SafeTensorsDType.BF16),
        ("e", SafeTensorsDType.F16),
    ];

    private readonly string _path = Path.Combine(Path.GetTempPath(), $"attentiongen-memory-{Guid.NewGuid():N}.safetensors");

    public void Dispose() => File.Delete(_path);

    [Fact]
    public void LoadingCostsTheDestinationArraysAndLittleMore()
    {
        var fileBytes = WriteFile(_path);

        // Run every code path once first, so the JIT's own allocations are not counted.
        using (var warmup = SafeTensors.Open(_path))
        {
            foreach (var tensor in warmup.Tensors.Take(2))
            {
                warmup.CopyTo(tensor, new float[tensor.ElementCount]);
            }
        }

        long destinationBytes = 0;
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var residentPeak = new ResidentPeak();

        // Opening is measured too: that is where a reader that copies the file would do it.
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        using var file = SafeTensors.Open(_path);
        var big = file.Tensors.Skip(2).ToArray();
        var destinations = new float[big.Length][];
        for (int i = 0; i < big.Length; i++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            destinations[i] = new float[big[i].ElementCount];
            destinationBytes += GC.GetAllocatedBytesForCurrentThread() - before;
            file.CopyTo(big[i], destinations[i]);
        }

        long readAllocations = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore - destinationBytes;
        var peakGrowth = residentPeak.Growth();

        for (int i = 0; i < big.Length; i++)
        {
            Assert.True(destinations[i].AsSpan().SequenceEqual(Values(big[i].ElementCount)), $"Tensor '{big[i].Name}' read back wrong.");
        }

        output.WriteLine($"file {Mb(fileBytes)}, destination arrays {Mb(destinationBytes)}, managed allocations while opening and reading {readAllocations} bytes");
        output.WriteLine(peakGrowth is { } measured
            ? $"peak resident set growth {Mb(measured)} = {(double)measured / destinationBytes:F3} x the destination arrays"
            : "No /proc/self/clear_refs: the resident set was not measured.");

        Assert.True(readAllocations < 256 * 1024, $"Reading {Mb(fileBytes)} allocated {readAllocations} managed bytes: the file is being copied.");

        // A copy of the file (or keeping the whole map resident) would add its 256 MB to the 320 MB of arrays.
        Assert.True(peakGrowth is not { } growth || growth < destinationBytes * 5 / 4, $"The resident set grew by {Mb(peakGrowth ?? 0)} for {Mb(destinationBytes)} of destination arrays.");
        GC.KeepAlive(destinations);
    }

    private static string Mb(long bytes) => $"{bytes / (1024.0 * 1024):F1} MB";

    /// <summary>Values exact in every dtype, so each read can be checked for equality.</summary>
    private static float[] Values(long count) => SafeTensorsMappedFileTests.Pattern((int)count, 5);

    /// <summary>Writes the file a few megabytes at a time, so writing it leaves no large managed garbage behind.</summary>
    private static long WriteFile(string path)
    {
        var header = new StringBuilder("{");
        long offset = 0;
        var counts = Layout.Select(t => t.Name.StartsWith("warmup", StringComparison.Ordinal) ? 64 : TensorElements).ToArray();
        for (int i = 0; i < Layout.Length; i++)
        {
            long bytes = (long)counts[i] * (Layout[i].DType == SafeTensorsDType.F32 ? 4 : 2);
            header.Append($"\"{Layout[i].Name}\":{{\"dtype\":\"{Layout[i].DType}\",\"shape\":[{counts[i]}],\"data_offsets\":[{offset},{offset + bytes}]}},");
            offset += bytes;
        }

        header[^1] = '}';
        var headerBytes = Encoding.UTF8.GetBytes(header.ToString());
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)headerBytes.Length);
        stream.Write(prefix);
        stream.Write(headerBytes);

        // The pattern repeats every 509 elements; 509 * 1024 elements per chunk keep it aligned from chunk to chunk.
        const int ChunkElements = 509 * 1024;
        var pattern = Values(ChunkElements);
        for (int i = 0; i < Layout.Length; i++)
        {
            var chunk = new SafeTensorsWriter().Add("chunk", pattern, [ChunkElements], Layout[i].DType).ToArray();
            var chunkData = chunk.AsSpan(8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(chunk));
            int elementSize = chunkData.Length / ChunkElements;
            for (int done = 0; done < counts[i]; done += ChunkElements)
            {
                stream.Write(chunkData[..(Math.Min(ChunkElements, counts[i] - done) * elementSize)]);
            }
        }

        return stream.Length;
    }
}
