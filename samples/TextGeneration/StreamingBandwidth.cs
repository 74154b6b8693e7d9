using System.Diagnostics;
using System.Numerics;
using System.Runtime.InteropServices;

namespace TextGeneration;

/// <summary>
/// How fast this machine reads memory in order with as many threads as a decode step uses: a vectorized sum over a
/// buffer far larger than any cache (cut in one contiguous part per thread), the best of a few passes. A decode step
/// streams the weights and the cache, so this is the rate it could reach at best. The buffer is made once, so
/// measuring again (the machine may be busier at one time than another) costs no more memory.
/// </summary>
internal sealed class StreamingBandwidth
{
    private readonly float[] _buffer;
    private readonly int _threads;

    public StreamingBandwidth(long bytes = 512L << 20, int threads = 1)
    {
        _threads = threads;
        _buffer = GC.AllocateUninitializedArray<float>(checked((int)(bytes / sizeof(float))));
        // The first touch of each page costs a fault and zeroing by the OS; writing it once keeps that out of the passes.
        _buffer.AsSpan().Fill(1f);
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
            var sum = _threads == 1 ? Sum(_buffer) : SumInParts(_buffer, _threads);
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
    private static float SumInParts(float[] values, int parts)
    {
        var partLength = values.Length / parts;
        var sums = new float[parts];
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, part =>
        {
            var length = part == parts - 1 ? values.Length - part * partLength : partLength;
            sums[part] = Sum(new ArraySegment<float>(values, part * partLength, length));
        });
        return sums.Sum();
    }

    private static float Sum(ArraySegment<float> values)
    {
        // Four independent accumulators, so the adds' latency never limits how fast loads can be issued.
        var vectors = MemoryMarshal.Cast<float, Vector<float>>(values.AsSpan());
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
        for (var j = vectors.Length * Vector<float>.Count; j < values.Count; j++)
        {
            sum += values[j];
        }

        return sum;
    }
}
