using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using AttentionGen.Kernels;

namespace AttentionGen.Benchmarks.Measurement;

/// <summary>
/// One level a row's inputs can stream from: its capacity (per core for L2, shared for L3, none for DRAM), the buffer
/// the read was measured over, and the best read rate measured in this run.
/// </summary>
internal sealed record MemoryLevel(string Name, long? CapacityBytes, long BufferBytes, double GigabytesPerSecond)
{
    /// <summary>
    /// Whether data of this size stays in the level between calls: at most half of it, since scratch, outputs and the
    /// other core's work share it too.
    /// </summary>
    public bool Holds(double bytes) => CapacityBytes is not { } capacity || bytes <= capacity / 2.0;
}

/// <summary>
/// This core's streaming read rate, measured in the same run as the benchmarks (like <see cref="FmaPeak"/>): a
/// vectorized sum over a buffer, best of several timed samples, once per level. The benchmark calls each row over and
/// over on the same inputs, so a row's K and V come from whichever level holds them between calls: a 3 MB decode cache
/// streams from L3, not from DRAM. So the read is measured over three buffers: half of L2, a quarter of L3 (well past
/// L2, well inside L3), and four times L3 (at least 256 MiB, at most 1 GiB), read a quarter at a time in turn, so
/// only DRAM can serve it. The buffer is allocated once and kept, so the run can sample again between its rows.
/// </summary>
internal sealed unsafe class StreamBandwidth
{
    private const long Mebibyte = 1L << 20;

    /// <summary>
    /// A cache level's timed sample re-reads its buffer up to this much: under a millisecond, so the scheduler rarely
    /// cuts it, and far above the timer's resolution.
    /// </summary>
    private const long BytesPerCacheSample = 32 * Mebibyte;

    private readonly (string Name, long Capacity, long Buffer)[] _cacheLevels;
    private readonly long _dramBuffer;

    /// <summary>One DRAM sample reads one chunk: the next chunk each time, so the one read was last touched a whole L3 or more ago.</summary>
    private readonly long _dramChunk;

    private long _nextChunk;

    /// <summary>
    /// One buffer for all levels: each cache level reads a prefix of it, which its first pass brings into the cache. An
    /// <see cref="AlignedBuffer"/>, so it sits on the memory the library keeps weights and caches in (on Linux, huge
    /// pages): on 4 KB pages a one-thread read from DRAM was slower, and a decode step could pass "100% of DRAM".
    /// </summary>
    private readonly AlignedBuffer _storage;

    private readonly float* _buffer;

    /// <summary>Where the next paired read larger than the buffer starts, in floats: those reads walk it in turn.</summary>
    private long _pairedReadCursor;

    /// <summary>The paired reads' sums, kept so no read is dead code.</summary>
    private float _pairedReadSink;

    public StreamBandwidth()
    {
        var (l2, l3) = CacheSizes();
        _dramBuffer = WholePages(Math.Clamp(4 * l3, 256 * Mebibyte, 1024 * Mebibyte));
        _dramChunk = WholePages(_dramBuffer / 4);
        _cacheLevels =
        [
            ("L2", l2, WholePages(l2 / 2)),
            ("L3", l3, WholePages(Math.Min(l3 / 2, Math.Max(l3 / 4, 4 * l2)))),
        ];
        _storage = new AlignedBuffer(checked((int)(_dramBuffer / sizeof(float))));
        _buffer = (float*)Unsafe.AsPointer(ref _storage.Reference); // pinned, and kept alive by the field
        _storage.Span.Fill(1f);
    }

    /// <summary>Each level's best rate over <paramref name="samples"/> timed reads.</summary>
    public IReadOnlyList<MemoryLevel> Measure(int samples)
    {
        var levels = _cacheLevels
            .Select(level => new MemoryLevel(level.Name, level.Capacity, level.Buffer, BestCacheRate(level.Buffer, samples)))
            .ToList();
        levels.Add(new MemoryLevel("DRAM", null, _dramBuffer, BestDramRate(samples)));
        return levels;
    }

    /// <summary>
    /// A plain read of <paramref name="bytes"/> served by <paramref name="level"/>, to time in the same rounds as a row
    /// whose bytes stream from that level (see <see cref="QuickRunner"/>). It re-reads the same prefix of the buffer every
    /// call, as the row re-reads its own bytes, so whatever share of them a cache keeps between calls (with the other
    /// implementations' batches in between) it keeps for the read too. Only a read larger than the buffer walks it in
    /// turn, so every byte it reads was last read a whole buffer (at least 256 MiB) before.
    /// </summary>
    /// <remarks>
    /// A DRAM-level read used to walk the buffer whatever its size. The small decoder's step (20 MB, past half of a 32 MB
    /// L3 but not past L3) then read partly from L3 while its paired read came wholly from DRAM, and the row showed
    /// 210–231% of its bound. Zen 5, one thread: the step's GEMVs alone ran at 74–85 GB/s, a re-read of one 20 MB buffer
    /// at 73 GB/s, a 12 MB one at 98 GB/s and a 28 MB one at 61 GB/s: the level such a row streams from is neither L3 nor
    /// DRAM, and only the row's own size read the row's way says what it should get.
    /// </remarks>
    public Action PairedRead(MemoryLevel level, double bytes)
    {
        long floats = Math.Max(1024, (long)(bytes / sizeof(float)) / 1024 * 1024); // whole pages, as Read needs
        long bufferFloats = _dramBuffer / sizeof(float);
        if (level.CapacityBytes is not null || floats <= bufferFloats)
        {
            return () => _pairedReadSink += Read(ref *_buffer, (nuint)floats, 1);
        }

        return () =>
        {
            for (long left = floats; left > 0;)
            {
                long part = Math.Min(left, bufferFloats - _pairedReadCursor);
                _pairedReadSink += Read(ref _buffer[_pairedReadCursor], (nuint)part, 1);
                _pairedReadCursor = (_pairedReadCursor + part) % bufferFloats;
                left -= part;
            }
        };
    }

    /// <summary>Whole 4 KiB pages, so every read width's stride divides the buffer.</summary>
    private static long WholePages(long bytes) => Math.Max(4096, bytes / 4096 * 4096);

    private double BestCacheRate(long bufferBytes, int samples)
    {
        nuint floats = (nuint)(bufferBytes / sizeof(float));
        int passes = (int)Math.Max(1, BytesPerCacheSample / bufferBytes);
        float sink = Read(ref *_buffer, floats, 1);
        var best = 0.0;
        for (int sample = 0; sample < samples; sample++)
        {
            long begin = Stopwatch.GetTimestamp();
            sink += Read(ref *_buffer, floats, passes);
            double seconds = Stopwatch.GetElapsedTime(begin).TotalSeconds;
            best = Math.Max(best, (double)bufferBytes * passes / seconds / 1e9);
        }

        GC.KeepAlive(sink);
        return best;
    }

    private double BestDramRate(int samples)
    {
        nuint floats = (nuint)(_dramChunk / sizeof(float));
        long chunks = _dramBuffer / _dramChunk;
        float sink = 0;
        var best = 0.0;
        for (int sample = 0; sample < samples; sample++)
        {
            ref float start = ref _buffer[_nextChunk * (_dramChunk / sizeof(float))];
            _nextChunk = (_nextChunk + 1) % chunks;
            long begin = Stopwatch.GetTimestamp();
            sink += Read(ref start, floats, 1);
            double seconds = Stopwatch.GetElapsedTime(begin).TotalSeconds;
            best = Math.Max(best, _dramChunk / seconds / 1e9);
        }

        GC.KeepAlive(sink);
        return best;
    }

    private static float Read(ref float start, nuint floats, int passes) =>
        Vector512.IsHardwareAccelerated ? Read512(ref start, floats, passes)
        : Vector256.IsHardwareAccelerated ? Read256(ref start, floats, passes)
        : Vector128.IsHardwareAccelerated ? Read128(ref start, floats, passes)
        : ReadScalar(ref start, floats, passes);

    // Eight independent sums per width, so the adds' latency never limits the loads.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Read512(ref float start, nuint floats, int passes)
    {
        Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
        for (int pass = 0; pass < passes; pass++)
        {
            for (nuint i = 0; i < floats; i += 128)
            {
                s0 += Vector512.LoadUnsafe(ref start, i);
                s1 += Vector512.LoadUnsafe(ref start, i + 16);
                s2 += Vector512.LoadUnsafe(ref start, i + 32);
                s3 += Vector512.LoadUnsafe(ref start, i + 48);
                s4 += Vector512.LoadUnsafe(ref start, i + 64);
                s5 += Vector512.LoadUnsafe(ref start, i + 80);
                s6 += Vector512.LoadUnsafe(ref start, i + 96);
                s7 += Vector512.LoadUnsafe(ref start, i + 112);
            }
        }

        return Vector512.Sum(s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Read256(ref float start, nuint floats, int passes)
    {
        Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
        for (int pass = 0; pass < passes; pass++)
        {
            for (nuint i = 0; i < floats; i += 64)
            {
                s0 += Vector256.LoadUnsafe(ref start, i);
                s1 += Vector256.LoadUnsafe(ref start, i + 8);
                s2 += Vector256.LoadUnsafe(ref start, i + 16);
                s3 += Vector256.LoadUnsafe(ref start, i + 24);
                s4 += Vector256.LoadUnsafe(ref start, i + 32);
                s5 += Vector256.LoadUnsafe(ref start, i + 40);
                s6 += Vector256.LoadUnsafe(ref start, i + 48);
                s7 += Vector256.LoadUnsafe(ref start, i + 56);
            }
        }

        return Vector256.Sum(s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Read128(ref float start, nuint floats, int passes)
    {
        Vector128<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
        for (int pass = 0; pass < passes; pass++)
        {
            for (nuint i = 0; i < floats; i += 32)
            {
                s0 += Vector128.LoadUnsafe(ref start, i);
                s1 += Vector128.LoadUnsafe(ref start, i + 4);
                s2 += Vector128.LoadUnsafe(ref start, i + 8);
                s3 += Vector128.LoadUnsafe(ref start, i + 12);
                s4 += Vector128.LoadUnsafe(ref start, i + 16);
                s5 += Vector128.LoadUnsafe(ref start, i + 20);
                s6 += Vector128.LoadUnsafe(ref start, i + 24);
                s7 += Vector128.LoadUnsafe(ref start, i + 28);
            }
        }

        return Vector128.Sum(s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7);
    }

    /// <summary>
    /// With no SIMD at all the widest load is 8 bytes, so the scalar kernels cannot read faster than this; summed as
    /// integers because only the loads matter.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float ReadScalar(ref float start, nuint floats, int passes)
    {
        ref ulong words = ref Unsafe.As<float, ulong>(ref start);
        nuint count = floats / 2;
        ulong s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        for (int pass = 0; pass < passes; pass++)
        {
            for (nuint i = 0; i < count; i += 8)
            {
                s0 += Unsafe.Add(ref words, i);
                s1 += Unsafe.Add(ref words, i + 1);
                s2 += Unsafe.Add(ref words, i + 2);
                s3 += Unsafe.Add(ref words, i + 3);
                s4 += Unsafe.Add(ref words, i + 4);
                s5 += Unsafe.Add(ref words, i + 5);
                s6 += Unsafe.Add(ref words, i + 6);
                s7 += Unsafe.Add(ref words, i + 7);
            }
        }

        return s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7;
    }

    /// <summary>
    /// L2 (per core) and L3 from sysfs for cpu0; where sysfs is missing, the Zen 4 figures this project was first
    /// measured on (1 MiB, 32 MiB), so the levels still make sense.
    /// </summary>
    private static (long L2, long L3) CacheSizes()
    {
        long l2 = 1 * Mebibyte, l3 = 32 * Mebibyte;
        const string Root = "/sys/devices/system/cpu/cpu0/cache";
        if (!Directory.Exists(Root))
        {
            return (l2, l3);
        }

        foreach (var index in Directory.EnumerateDirectories(Root, "index*"))
        {
            string? level = ReadText(Path.Combine(index, "level")), type = ReadText(Path.Combine(index, "type"));
            long? size = ParseSize(ReadText(Path.Combine(index, "size")));
            if (type == "Instruction" || size is null)
            {
                continue;
            }

            if (level == "2") l2 = size.Value;
            if (level == "3") l3 = size.Value;
        }

        return (l2, l3);
    }

    private static string? ReadText(string path) => File.Exists(path) ? File.ReadAllText(path).Trim() : null;

    /// <summary>sysfs writes sizes as "1024K" or "32M".</summary>
    private static long? ParseSize(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        long unit = char.ToUpperInvariant(text[^1]) switch { 'K' => 1L << 10, 'M' => 1L << 20, 'G' => 1L << 30, _ => 1 };
        string digits = unit == 1 ? text : text[..^1];
        return long.TryParse(digits, NumberStyles.Integer, CultureInfo.InvariantCulture, out long value) ? value * unit : null;
    }
}
