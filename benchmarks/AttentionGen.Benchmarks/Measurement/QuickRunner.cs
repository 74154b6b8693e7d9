using System.Diagnostics;
using System.Text.Json;
using AttentionGen.Benchmarks.Cases;
using AttentionGen.Threading;
using Microsoft.ML.OnnxRuntime;

namespace AttentionGen.Benchmarks.Measurement;

/// <summary>
/// One measured row: medians in µs per call (null where an implementation was not run), the work the math needs
/// (FLOPs, and the compulsory bytes: inputs, weights and output once each) and, once <see cref="Roofline.Judge"/> has
/// seen it, the bound that applies and how close the generated layer came to it.
/// </summary>
/// <param name="PairedReadShare">
/// For a memory-bound row, a plain read of its bytes from the same level, timed in the same rounds: the median over
/// rounds of the read's time over the row's (1 = the row streams its bytes as fast as a bare read did beside it).
/// </param>
internal sealed record Row(string Case, double Flops, double StreamedBytes, double AttentionGenMicros, double? OrtMicros,
    double? TensorPrimitivesMicros, double? NaiveMicros, double? OrtRatio, long AllocatedBytesPerCall, double? PairedReadShare)
{
    public double Gflops => Flops / AttentionGenMicros / 1e3;

    public double GigabytesPerSecond => StreamedBytes / AttentionGenMicros / 1e3;

    /// <summary>"FMA" for compute-bound rows, else the memory level the bytes stream from ("L3 read").</summary>
    public string Bound { get; init; } = "";

    public double PercentOfBound { get; init; }

    public double PercentOfPeak { get; init; }

    /// <summary>The largest |AttentionGen − ORT| over ORT's largest magnitude, for rows that compare outputs (else null).</summary>
    public double? DifferenceFromOrt { get; init; }

    /// <summary>
    /// The op <see cref="OrtMicros"/> timed, for rows that name theirs (the scaled-dot-product rows): the fastest of the
    /// opset-23 <c>Attention</c> and the contrib ops that agreed with AttentionGen.
    /// </summary>
    public string? OrtOp { get; init; }

    /// <summary>The opset-23 <c>Attention</c> op's median, for rows that also time a contrib op or tried to.</summary>
    public double? OrtOpsetAttentionMicros { get; init; }

    /// <summary>The fastest contrib op that agreed with AttentionGen (<see cref="OrtContribOp"/>): its median.</summary>
    public double? OrtContribMicros { get; init; }

    public string? OrtContribOp { get; init; }

    /// <summary><see cref="DifferenceFromOrt"/> against <see cref="OrtContribOp"/>'s output.</summary>
    public double? DifferenceFromOrtContrib { get; init; }

    /// <summary>Every ORT op the row timed, with its median (the opset-23 op and each contrib op that agreed).</summary>
    public IReadOnlyDictionary<string, double>? OrtMicrosByOp { get; init; }

    /// <summary>Contrib ops left out of the row: failed to load or run, or disagreed with AttentionGen ("MHA n/a: …").</summary>
    public string? OrtContribNote { get; init; }
}

/// <summary>
/// The quick comparison: every implementation of a row runs in the same process on the same inputs, interleaved round
/// by round (so a noisy neighbour hits them all alike), after a warm-up; each reports the median of its rounds.
/// </summary>
internal static class QuickRunner
{
    /// <summary>The plain read a memory-bound row is timed beside, among its implementations.</summary>
    private const string PairedReadName = "Read";

    /// <summary>Each timed batch runs at least this long, so timer resolution does not matter.</summary>
    private static readonly TimeSpan BatchTarget = TimeSpan.FromMilliseconds(20);

    /// <summary>The naive loops are timed only while one call stays under this; past it they are too slow to matter.</summary>
    private static readonly TimeSpan NaiveBudget = TimeSpan.FromMilliseconds(300);

    /// <summary>
    /// With more than one thread, a pause before each batch, so the previous batch's idle threads have stopped spinning
    /// for work (ORT's pool spins after a run; AttentionGen's workers 100 µs) instead of holding a core the next
    /// implementation needs: interleaved without it, ORT's spinners made AttentionGen's two-thread all-MiniLM S16 slower
    /// than its one-thread run.
    /// </summary>
    private const int SettleMilliseconds = 50;

    /// <param name="threadTime">
    /// Time each batch by this thread's CPU time instead of the wall clock (see <see cref="CpuClock"/>). That would miss
    /// work an implementation hands to other threads, so a batch in which the process's CPU time outgrew the thread's by
    /// more than 5% is counted; the runtime's own background threads (JIT, finalizer) do that now and then, so the row's
    /// log line names an implementation only when it happened in most of its batches.
    /// </param>
    /// <param name="betweenRows">Runs after each row, outside its timing (the roofline samples its ceilings there).</param>
    /// <param name="pairedRead">
    /// For a memory-bound row, a plain read of its bytes, timed in each round beside the implementations; its share of the
    /// row's time is what the row is held to (<see cref="Row.PairedReadShare"/>). The best read rate of a whole run is no
    /// fair yardstick for one row on this machine: other tenants move one core's read from DRAM between 29 and 36 GB/s.
    /// </param>
    /// <param name="coreShare">
    /// The process's CPU time over the wall time of the timed batches only (not the rows' set-up or the pauses between
    /// batches): under 1 on one thread means other processes took turns on the core; with more threads, how many cores'
    /// worth the batches got.
    /// </param>
    public static IReadOnlyList<Row> Run(IEnumerable<BenchmarkCase> cases, int rounds, bool smoke, bool threadTime, TextWriter log, out double coreShare, Action? betweenRows = null, Func<BenchmarkCase, Action?>? pairedRead = null)
    {
        var rows = new List<Row>();
        long batchCpuNanoseconds = 0, batchWallTicks = 0;
        foreach (var benchmark in cases)
        {
            log.Write($"  {benchmark.Name} …");
            var implementations = new List<(string Name, Action Call)> { ("AttentionGen", benchmark.AttentionGen) };
            if (benchmark.OnnxRuntime is { } ort) implementations.Add(("ORT", ort));
            if (benchmark.TensorPrimitives is { } tp) implementations.Add(("TensorPrimitives", tp));
            if (benchmark.Naive is { } naive && (smoke || TimeOne(naive) < NaiveBudget)) implementations.Add(("Naive", naive));
            if (!smoke && pairedRead?.Invoke(benchmark) is { } read) implementations.Add((PairedReadName, read));

            // Before any timing: a row whose outputs disagree with ORT's measures nothing worth reporting.
            double? difference = benchmark.DifferenceFromOrt?.Invoke();
            if (difference is { } d && !(d <= OutputDifference.Bound))
            {
                throw new InvalidOperationException(
                    $"{benchmark.Name}: AttentionGen's output differs from ORT's by {d:G3} of ORT's largest magnitude (the bound is {OutputDifference.Bound:G1}).");
            }

            // ORT's contrib ops for the same math, each timed beside the opset-23 op only if it runs and agrees.
            var ortOps = new Dictionary<string, string>();
            var contribDifferences = new Dictionary<string, double>();
            var contribNotes = new List<string>();
            if (benchmark.OrtOp is { } baseOp && benchmark.OnnxRuntime is not null)
            {
                ortOps["ORT"] = baseOp;
            }

            if (benchmark.OrtVariantNote is { } setupNote)
            {
                contribNotes.Add(setupNote);
            }

            foreach (var variant in benchmark.OrtVariants)
            {
                try
                {
                    double contribDifference = variant.DifferenceFromGenerated();
                    if (!(contribDifference <= OutputDifference.Bound))
                    {
                        contribNotes.Add($"{OrtVariant.Short(variant.Op)} n/a: its output differs from AttentionGen's by {contribDifference:G3}");
                        continue;
                    }

                    string implementation = "ORT " + variant.Op;
                    implementations.Insert(implementations.FindIndex(i => i.Name == "ORT") + 1, (implementation, variant.Run));
                    ortOps[implementation] = variant.Op;
                    contribDifferences[variant.Op] = contribDifference;
                }
                catch (OnnxRuntimeException e)
                {
                    contribNotes.Add($"{OrtVariant.Short(variant.Op)} n/a: {e.Message}");
                }
            }

            // Warm-up: tiering, caches, ORT's first-run allocations.
            var callsPerBatch = implementations.ToDictionary(i => i.Name, i => smoke ? WarmOnce(i.Call) : CallsFor(i.Call));
            var samples = implementations.ToDictionary(i => i.Name, _ => new List<double>());
            long allocated = 0, generatedCalls = 0;
            var helpedBatches = implementations.ToDictionary(i => i.Name, _ => 0);
            for (int round = 0; round < (smoke ? 1 : rounds); round++)
            {
                foreach (var (name, call) in implementations)
                {
                    if (Parallelism.MaxThreads > 1 || benchmark.BaselineHasOwnThreads)
                    {
                        Thread.Sleep(SettleMilliseconds);
                    }

                    int calls = callsPerBatch[name];
                    long processStart = ProcessCpuNanoseconds();
                    long wallStart = Stopwatch.GetTimestamp();
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    long start = threadTime ? CpuClock.ThreadNanoseconds() : Stopwatch.GetTimestamp();
                    for (int i = 0; i < calls; i++)
                    {
                        call();
                    }

                    double micros = threadTime ? (CpuClock.ThreadNanoseconds() - start) / 1e3 : Stopwatch.GetElapsedTime(start).TotalMicroseconds;
                    long after = GC.GetAllocatedBytesForCurrentThread(); // read before anything here allocates
                    long processNanoseconds = ProcessCpuNanoseconds() - processStart;
                    batchWallTicks += Stopwatch.GetTimestamp() - wallStart;
                    batchCpuNanoseconds += processNanoseconds;
                    if (threadTime && processNanoseconds / 1e3 > 1.05 * micros)
                    {
                        helpedBatches[name]++;
                    }

                    samples[name].Add(micros / calls);
                    if (name == "AttentionGen")
                    {
                        allocated += after - before;
                        generatedCalls += calls;
                    }
                }
            }

            double? Median(string name) => samples.TryGetValue(name, out var s) ? s.Order().ElementAt(s.Count / 2) : null;
            var ours = Median("AttentionGen")!.Value;

            // A row with contrib ops reports the fastest ORT op (by median) as its ORT figure and ratio.
            string ortName = ortOps.Count == 0 ? "ORT" : ortOps.Keys.MinBy(n => Median(n))!;
            string? contribName = ortOps.Keys.Where(n => n != "ORT").MinBy(n => Median(n));

            // The ratio pairs the two timings of each round (taken back to back) and takes the median over rounds, so a
            // burst of load on this shared machine moves both sides of a pair instead of one side of the medians.
            double? ratio = samples.TryGetValue(ortName, out var ortSamples)
                ? ortSamples.Zip(samples["AttentionGen"], (o, a) => o / a).Order().ElementAt(ortSamples.Count / 2)
                : null;
            double? readShare = samples.TryGetValue(PairedReadName, out var readSamples)
                ? readSamples.Zip(samples["AttentionGen"], (read, a) => read / a).Order().ElementAt(readSamples.Count / 2)
                : null;
            bool hasContrib = ortOps.Count > 0 && (benchmark.OrtVariants.Count > 0 || contribNotes.Count > 0);
            rows.Add(new Row(benchmark.Name, benchmark.Flops, benchmark.Bytes, ours, Median(ortName), Median("TensorPrimitives"),
                Median("Naive"), ratio, allocated / generatedCalls, readShare)
            {
                DifferenceFromOrt = difference,
                OrtOp = ortOps.GetValueOrDefault(ortName),
                OrtOpsetAttentionMicros = hasContrib ? Median("ORT") : null,
                OrtContribMicros = contribName is null ? null : Median(contribName),
                OrtContribOp = contribName is null ? null : ortOps[contribName],
                DifferenceFromOrtContrib = contribName is null ? null : contribDifferences[ortOps[contribName]],
                OrtMicrosByOp = hasContrib ? ortOps.ToDictionary(o => o.Value, o => Median(o.Key)!.Value) : null,
                OrtContribNote = contribNotes.Count == 0 ? null : string.Join("; ", contribNotes),
            });
            var helped = helpedBatches.Where(h => h.Value > samples[h.Key].Count / 2).Select(h => h.Key).ToList();
            string ortLine = ortOps.Count < 2 && contribNotes.Count == 0 ? "" : "; ORT " + string.Join(", ",
                ortOps.Select(o => $"{OrtVariant.Short(o.Value)} {Median(o.Key):F2} µs" + (contribDifferences.TryGetValue(o.Value, out var c) ? $" (within {c:G2})" : "")))
                + (contribNotes.Count == 0 ? "" : $"; {string.Join("; ", contribNotes)}");
            log.WriteLine($" {ours:F2} µs" + (difference is { } agreed ? $", output within {agreed:G2} of ORT's" : "") + ortLine + (helped.Count == 0 ? "" :
                $" (other threads added over 5% to this thread's CPU time in most batches of {string.Join(", ", helped)}: its time reads low)"));
            benchmark.Resources?.Dispose();
            betweenRows?.Invoke();
        }

        coreShare = batchWallTicks == 0 ? 0 : batchCpuNanoseconds / 1e9 / ((double)batchWallTicks / Stopwatch.Frequency);
        return rows;
    }

    /// <summary>The whole process's CPU time: Linux's clock where there is one (no allocation), else the runtime's.</summary>
    private static long ProcessCpuNanoseconds() =>
        CpuClock.IsAvailable ? CpuClock.ProcessNanoseconds() : Process.GetCurrentProcess().TotalProcessorTime.Ticks * 100;

    /// <summary>
    /// The table, headed by the CPU and the ceilings. Columns whose implementation ran on no row (the sweep runs only
    /// AttentionGen and ORT) are left out.
    /// </summary>
    public static string Markdown(IReadOnlyList<Row> rows, Roofline roofline, CpuIdentity cpu, double coreShare, bool threadTime, int threads = 1, bool smoke = false)
    {
        static string Micros(double? value) => value is { } v ? v.ToString(v < 100 ? "F2" : "F0") : "—";
        bool tensorPrimitives = rows.Any(r => r.TensorPrimitivesMicros is not null), naive = rows.Any(r => r.NaiveMicros is not null);
        var text = new System.Text.StringBuilder();
        text.AppendLine(smoke
            ? "Smoke run: one warm call per implementation; it checks that every row runs and allocates nothing, and its timings mean nothing."
            : threads == 1
                ? $"Single thread on {cpu.Describe()}."
                : $"{threads} threads on {cpu.Describe()} (AttentionGen's Parallelism.MaxThreads and ORT's IntraOpNumThreads both {threads}), " +
                  "timed by the wall clock; the FMA peak and read rates below are one core's, so % of bound can pass 100%.");
        if (!smoke)
        {
            text.AppendLine();
            text.AppendLine($"Measured in this run (best of samples before, between and after the rows): {roofline.Describe()}. Each row is held to " +
                "the bound that takes longer for its work: its FLOPs at the FMA peak, or its compulsory bytes (inputs, weights, output, " +
                "once each) at the read rate of the smallest level holding them in half its capacity. A memory-bound row's % of bound " +
                "is against a plain read of its bytes from that level, timed in the same rounds (the median of the pairs), because " +
                "other tenants move the read rates between rows.");
            text.AppendLine();
            text.AppendLine($"This process got {100 * coreShare:F0}% of a core during its timed batches" + (threads > 1
                ? $" (all its threads together, out of at most {threads} cores' worth)."
                : threadTime
                ? "; timed by this thread's CPU time (--thread-time), which leaves the other processes' turns on the core out, though not their use of the caches and memory."
                : coreShare < 0.9
                    ? ": other processes took turns on it, so every timing reads slow by about that much and % of bound with it; the paired ratios much less (--thread-time leaves their turns out)."
                    : "."));
        }

        text.AppendLine();
        text.AppendLine("| case | AttentionGen µs | ORT µs |" + (tensorPrimitives ? " TensorPrimitives µs |" : "") + (naive ? " naive µs |" : "") +
            " GFLOP/s | GB/s | bound | % of bound | ORT / AttentionGen | allocated bytes/call |");
        text.AppendLine("|---|---:|---:|" + (tensorPrimitives ? "---:|" : "") + (naive ? "---:|" : "") + "---:|---:|---|---:|---:|---:|");
        foreach (var row in rows)
        {
            // A row that names its ORT op marks the cell with it: the fastest of those that agreed (see the legend below).
            string ortOp = row.OrtOp is { } op ? $" {OrtVariant.Short(op)}" + (row.OrtContribNote is null ? "" : "†") : "";
            text.AppendLine($"| {row.Case} | {Micros(row.AttentionGenMicros)} | {Micros(row.OrtMicros)}{ortOp} |" +
                (tensorPrimitives ? $" {Micros(row.TensorPrimitivesMicros)} |" : "") + (naive ? $" {Micros(row.NaiveMicros)} |" : "") +
                $" {row.Gflops:F1} | {row.GigabytesPerSecond:F1} | {(smoke ? "—" : row.Bound)} | {(smoke ? "—" : $"{row.PercentOfBound:F0}%")} | " +
                $"{(row.OrtRatio is { } r ? r.ToString("F2") : "—")} | {row.AllocatedBytesPerCall} |");
        }

        if (rows.Any(r => r.OrtOp is not null))
        {
            text.AppendLine();
            text.AppendLine("ORT op, where the cell names it: the fastest of ORT's ops for the same math that agreed with AttentionGen's output, " +
                "timed in the same rounds — Attention (the opset-23 op), MHA (com.microsoft.MultiHeadAttention) or GQA " +
                "(com.microsoft.GroupQueryAttention); † a contrib op the row could use did not run or did not agree (the log and the JSON's OrtContribNote say why).");
        }

        return text.ToString();
    }

    /// <summary>
    /// The rows that miss the issue's targets, named so a reader need not scan the table: behind ORT, or memory-bound
    /// and under 85% of their level's read rate.
    /// </summary>
    public static string Shortfalls(IReadOnlyList<Row> rows)
    {
        var behind = rows.Where(r => r.OrtRatio < 1).Select(r => $"{r.Case} ({r.OrtRatio:F2})").ToList();
        var underRead = rows.Where(r => r.Bound.EndsWith(" read", StringComparison.Ordinal) && r.PercentOfBound < 85)
            .Select(r => $"{r.Case} ({r.PercentOfBound:F0}% of {r.Bound})").ToList();
        return $"Behind ORT: {(behind.Count == 0 ? "none" : string.Join("; ", behind))}.{Environment.NewLine}" +
               $"Memory-bound under 85% of the read rate: {(underRead.Count == 0 ? "none" : string.Join("; ", underRead))}.";
    }

    public static string Json(IReadOnlyList<Row> rows, Roofline roofline, CpuIdentity cpu, double coreShare, bool threadTime, int threads = 1) =>
        JsonSerializer.Serialize(new
        {
            machine = cpu.Describe(),
            cpu,
            threads,
            coreShare,
            timing = threadTime ? "thread CPU time" : "wall clock",
            peakGflops = roofline.PeakGflops,
            bandwidth = roofline.Levels,
            rows,
        }, new JsonSerializerOptions { WriteIndented = true });

    /// <summary>One call to compile and warm it up, so the measured call (and its allocation count) is a warm one.</summary>
    private static int WarmOnce(Action call)
    {
        call();
        return 1;
    }

    private static TimeSpan TimeOne(Action call)
    {
        long start = Stopwatch.GetTimestamp();
        call();
        return Stopwatch.GetElapsedTime(start);
    }

    /// <summary>Warms the call up and picks how many calls make a batch of about <see cref="BatchTarget"/>.</summary>
    private static int CallsFor(Action call)
    {
        for (int i = 0; i < 3; i++)
        {
            call();
        }

        int calls = 1;
        while (true)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < calls; i++)
            {
                call();
            }

            var elapsed = Stopwatch.GetElapsedTime(start);
            if (elapsed >= BatchTarget || calls >= 1 << 20)
            {
                return calls;
            }

            calls = elapsed.Ticks == 0 ? calls * 16 : Math.Max(calls + 1, (int)(calls * BatchTarget.Ticks / (double)elapsed.Ticks));
        }
    }
}
