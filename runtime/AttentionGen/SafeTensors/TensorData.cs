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
/// <remarks>
/// A read already under way when the file is disposed finishes, as <see cref="SafeTensors"/> promises: the map is
/// closed by whichever comes last, <see cref="Dispose"/> or the last read in progress. A read that starts after
/// <see cref="Dispose"/> throws <see cref="ObjectDisposedException"/> before writing anything. Without this, a read
/// spanning several windows lost its map between two of them and left its destination partly filled.
/// </remarks>
internal sealed class MappedTensorData(MemoryMappedFile map, long dataStart) : TensorData
{
    /// <summary>Bytes mapped at a time: large enough that mapping costs nothing next to the copy, small next to RAM.</summary>
    internal const int WindowBytes = 16 << 20;

    private int _readers;
    private int _disposeRequested;
    private int _closed;

    public override unsafe void CopyTo(TensorInfo tensor, long firstElement, Span<float> destination)
    {
        // Counted in before the flag is read, and the flag set with a full fence before the count is read (Dispose):
        // either this read sees the request and stops here, or Dispose sees the read and leaves the map to it.
        Interlocked.Increment(ref _readers);
        try
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposeRequested) != 0, typeof(SafeTensors));
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
        finally
        {
            Interlocked.Decrement(ref _readers);
            CloseIfRequestedAndIdle();
        }
    }

    public override void Dispose()
    {
        Interlocked.Exchange(ref _disposeRequested, 1);
        CloseIfRequestedAndIdle();
    }

    private void CloseIfRequestedAndIdle()
    {
        // A read counted in after this check sees the request and touches nothing, so closing under it is safe.
        if (Volatile.Read(ref _disposeRequested) != 0 && Volatile.Read(ref _readers) == 0 && Interlocked.Exchange(ref _closed, 1) == 0)
        {
            map.Dispose();
        }
    }
}
