using System.Diagnostics;
using System.Numerics;
using System.Runtime.InteropServices;
using AttentionGen.Kernels;

namespace TextGeneration;

/// <summary>
/// How fast this machine reads memory in order with as many threads as a decode step uses: a vectorized sum over a
/// buffer far larger than any cache (cut in one contiguous part per thread), the best of a few passes. A decode step
/// streams the weights and the cache, so this is the rate it could reach at best. The buffer is made once, so
/// measuring again (the machine may be busier at one time than another) costs no more memory.
/// </summary>
internal sealed class StreamingBandwidth
{
    // An AlignedBuffer, like the decoder's weights and cache: on Linux both then sit on huge pages, which read faster
    // from DRAM than 4 KB pages, so the step is measured against what its own memory can do.
    private readonly AlignedBuffer _buffer;
    private readonly int _threads;

    public StreamingBandwidth(long bytes = 512L << 20, int threads = 1)
    {
        _threads = threads;
        _buffer = new AlignedBuffer(checked((int)(bytes / sizeof(float))));
        _buffer.Span.Fill(1f);
    }

    /// <summary>The buffer's size: the bytes each pass reads.</summary>
    public long Bytes => (long)_buffer.Length * sizeof(float);

    /// <summary>Bytes per second, the best of <paramref name="passes"/> passes.</summary>
    public double Measure(int passes = 4)
    {
        var best = 0.0;
        for (var pass = 0; pass < passes; pass++)
        {
            var start = Stopwatch.GetTimestamp();
            var sum = _threads == 1 ? Sum(_buffer.Span) : SumInParts(_buffer, _threads);
            var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;

            // Every float is 1 and each lane's partial sum stays below 2^24, so the total is exact: a wrong one means
            // the loop did not read what it was timed for.
            if (sum != _buffer.Length)
            {
                throw new InvalidOperationException($"The bandwidth probe summed {sum} instead of {_buffer.Length}.");
            }

            best = Math.Max(best, Bytes / seconds);
        }

        return best;
    }

    /// <summary>One contiguous part per thread, summed at once; the parts' sums are exact, so their total is too.</summary>
    private static float SumInParts(AlignedBuffer values, int parts)
    {
        var partLength = values.Length / parts;
        var sums = new float[parts];
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, part =>
        {
            var length = part == parts - 1 ? values.Length - part * partLength : partLength;
            sums[part] = Sum(values.Span.Slice(part * partLength, length));
        });
        return sums.Sum();
    }

    private static float Sum(ReadOnlySpan<float> values)
    {
        // Four independent accumulators, so the adds' latency never limits how fast loads can be issued.
        var vectors = MemoryMarshal.Cast<float, Vector<float>>(values);
        Vector<float> a = default, b = default, c = default, d = default;
        var i = 0;
        for (; i + 4 <= vectors.Length; i += 4)
        {
            a += vectors[i];
            b += vectors[i + 1];
            c += vectors[i + 2];
            d += vectors[i + 3];
        }

        for (; i < vectors.Length; i++)
        {
            a += vectors[i];
        }

        var sum = Vector.Sum(a + b + c + d);
        for (var j = vectors.Length * Vector<float>.Count; j < values.Length; j++)
        {
            sum += values[j];
        }

        return sum;
    }
}
