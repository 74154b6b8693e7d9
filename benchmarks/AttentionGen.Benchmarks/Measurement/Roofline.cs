namespace AttentionGen.Benchmarks.Measurement;

/// <summary>
/// The two ceilings a row can hit, both measured in this run: the FMA peak and the streaming read rate of each memory
/// level. A row is judged against whichever takes longer for its work: its FLOPs at the peak, or its compulsory bytes
/// (inputs, weights and output, each once) at the rate of the level that holds them between calls. That is the
/// arithmetic-intensity rule: memory-bound exactly when FLOPs/byte is below peak/bandwidth of that level.
/// </summary>
internal sealed record Roofline(double PeakGflops, IReadOnlyList<MemoryLevel> Levels)
{
    /// <summary>Smoke runs time nothing; unit ceilings keep the arithmetic defined.</summary>
    public static Roofline Placeholder { get; } = new(1, [new MemoryLevel("DRAM", null, 0, 1)]);

    /// <summary>The higher of two measurements of each ceiling.</summary>
    public Roofline Best(Roofline other) => new(Math.Max(PeakGflops, other.PeakGflops),
        Levels.Select(level => level with
        {
            GigabytesPerSecond = Math.Max(level.GigabytesPerSecond, other.Levels.FirstOrDefault(o => o.Name == level.Name)?.GigabytesPerSecond ?? 0),
        }).ToList());

    /// <summary>The level a row's bytes stream from: the smallest that holds them.</summary>
    public MemoryLevel LevelFor(double bytes) => Levels.FirstOrDefault(level => level.Holds(bytes)) ?? Levels[^1];

    /// <summary>Whether the row's bytes at their level's best read rate take longer than its FLOPs at the peak.</summary>
    public bool IsMemoryBound(double flops, double bytes) => bytes / LevelFor(bytes).GigabytesPerSecond > flops / PeakGflops;

    /// <summary>
    /// Fills in the row's bound and how close it came: the bound's time over the measured time. A memory-bound row timed
    /// beside a plain read of its bytes is held to that read (its paired share), not to the best rate of the run.
    /// </summary>
    public Row Judge(Row row)
    {
        var level = LevelFor(row.StreamedBytes);
        double computeMicros = row.Flops / PeakGflops / 1e3;
        double memoryMicros = row.StreamedBytes / level.GigabytesPerSecond / 1e3;
        bool memoryBound = memoryMicros > computeMicros;
        return row with
        {
            Bound = memoryBound ? $"{level.Name} read" : "FMA",
            PercentOfBound = memoryBound && row.PairedReadShare is { } share ? 100 * share
                : 100 * (memoryBound ? memoryMicros : computeMicros) / row.AttentionGenMicros,
            PercentOfPeak = 100 * computeMicros / row.AttentionGenMicros,
        };
    }

    public string Describe()
    {
        static string Size(long bytes) => bytes >= 1L << 30 ? $"{bytes >> 30} GiB" : bytes >= 1L << 20 ? $"{bytes >> 20} MiB" : $"{bytes >> 10} KiB";
        var reads = Levels.Select(level => $"{level.Name} {level.GigabytesPerSecond:F0} GB/s ({Size(level.BufferBytes)} buffer)");
        return $"FMA peak {PeakGflops:F0} GFLOP/s; streaming read {string.Join(", ", reads)}";
    }
}

/// <summary>
/// Measures the ceilings again and again through a run and keeps the best of each. Other processes share this
/// machine's cores (five 60 ms FMA-peak attempts here read 73 and 117 GFLOP/s in back-to-back runs); a ceiling
/// measured only while one of them ran would read low and put rows timed in a quiet moment above 100%.
/// </summary>
internal sealed class RooflineSampler
{
    private readonly StreamBandwidth _bandwidth = new();
    private Roofline? _best;

    public Roofline Best => _best ?? throw new InvalidOperationException("Nothing sampled yet.");

    /// <summary>
    /// For a row memory-bound by the ceilings so far, a plain read of its bytes from the level that serves them, to time
    /// in the same rounds (see <see cref="StreamBandwidth.PairedRead"/>); null for a compute-bound row.
    /// </summary>
    public Action? PairedReadFor(double flops, double bytes) =>
        Best.IsMemoryBound(flops, bytes) ? _bandwidth.PairedRead(Best.LevelFor(bytes), bytes) : null;

    /// <summary>Before and after the rows a sample takes many short attempts at each ceiling; between rows, a few.</summary>
    public void Sample(int attempts)
    {
        var now = new Roofline(FmaPeak.GigaflopsPerSecond(attempts), _bandwidth.Measure(attempts));
        _best = _best is null ? now : _best.Best(now);
    }
}
