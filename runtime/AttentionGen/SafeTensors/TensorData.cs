using System.IO.MemoryMappedFiles;

namespace AttentionGen;

/// <summary>The data section of one safetensors file, which a validated <see cref="TensorInfo"/> is read from.</summary>
internal abstract class TensorData : IDisposable
{
    /// <summary>
    /// Converts <paramref name="destination"/>.Length of <paramref name="tensor"/>'s elements, from element
    /// <paramref name="firstElement"/> on, into <paramref name="destination"/>; the range lies inside the tensor, which
    /// was validated against this data section and has a float-convertible dtype.
    /// </summary>
    public abstract void CopyTo(TensorInfo tensor, long firstElement, Span<float> destination);

    public abstract void Dispose();
}

/// <summary>A data section the caller already holds in memory (<see cref="SafeTensors.Load"/>).</summary>
internal sealed class MemoryTensorData(ReadOnlyMemory<byte> data) : TensorData
{
    public override void CopyTo(TensorInfo tensor, long firstElement, Span<float> destination)
    {
        int elementSize = SafeTensorsDTypes.SizeOf(tensor.DType);
        var bytes = data.Span.Slice((int)(tensor.DataOffset + firstElement * elementSize), destination.Length * elementSize);
        SafeTensorsConvert.ToSingle(bytes, tensor.DType, destination);
    }

    public override void Dispose()
    {
    }
}

/// <summary>
/// A data section read through a read-only memory map. Each read maps a window of the file, converts it and unmaps it
/// again, so the mapped pages never pile up in the process's working set beside the destination arrays, and reads on
/// several threads share no state but the map itself.
/// </summary>
internal sealed class MappedTensorData(MemoryMappedFile map, long dataStart) : TensorData
{
    /// <summary>Bytes mapped at a time: large enough that mapping costs nothing next to the copy, small next to RAM.</summary>
    internal const int WindowBytes = 16 << 20;

    public override unsafe void CopyTo(TensorInfo tensor, long firstElement, Span<float> destination)
    {
        int elementSize = SafeTensorsDTypes.SizeOf(tensor.DType);
        int windowElements = WindowBytes / elementSize;
        for (int done = 0, count; done < destination.Length; done += count)
        {
            count = Math.Min(windowElements, destination.Length - done);
            using var view = map.CreateViewAccessor(dataStart + tensor.DataOffset + (firstElement + done) * elementSize, (long)count * elementSize, MemoryMappedFileAccess.Read);
            var handle = view.SafeMemoryMappedViewHandle;
            byte* pointer = null;
            handle.AcquirePointer(ref pointer);
            try
            {
                var window = new ReadOnlySpan<byte>(pointer + view.PointerOffset, count * elementSize);
                SafeTensorsConvert.ToSingle(window, tensor.DType, destination.Slice(done, count));
            }
            finally
            {
                handle.ReleasePointer();
            }
        }
    }

    public override void Dispose() => map.Dispose();
}
