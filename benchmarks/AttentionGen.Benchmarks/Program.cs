using AttentionGen.Benchmarks.Cases;
using AttentionGen.Benchmarks.Measurement;
using BenchmarkDotNet.Running;

// --quick [--smoke] [--json path] [--case text]: the side-by-side table in about a minute (smoke: one call each, to
// check every row runs and allocates nothing; --case: only the rows whose name contains the text).
// --sweep [--smoke] [--json path] [--case text]: the shape sweep, AttentionGen against ORT only, in a few minutes.
// --thread-time with either: time batches by this thread's CPU time, not the wall clock (for a busy shared machine).
// --threads N with either: Parallelism.MaxThreads = N for AttentionGen and IntraOpNumThreads = N for ORT, on every row
// (default 1 on both sides); timed by the wall clock, so not with --thread-time.
// --cold-start: process start to first MiniLM embedding, AttentionGen and ORT, each in fresh processes.
// Anything else goes to BenchmarkDotNet.
if (args.Contains("--cold-start-child"))
{
    return ColdStart.Measure(args.SkipWhile(a => a != "--cold-start-child").Skip(1).First());
}

if (args.Contains("--cold-start"))
{
    return ColdStart.Compare(runs: 5);
}

bool quick = args.Contains("--quick"), sweep = args.Contains("--sweep");
if (!quick && !sweep)
{
    BenchmarkSwitcher.FromAssembly(typeof(CaseCatalog).Assembly).Run(args);
    return 0;
}

if (quick && sweep)
{
    Console.Error.WriteLine("--quick and --sweep are separate runs; give one.");
    return 2;
}

bool smoke = args.Contains("--smoke"), threadTime = args.Contains("--thread-time");
if (threadTime && !CpuClock.IsAvailable)
{
    Console.Error.WriteLine("--thread-time reads Linux's per-thread CPU clock; this OS has none here.");
    return 2;
}

int threads = 1;
if (args.Contains("--threads"))
{
    string? given = args.SkipWhile(a => a != "--threads").Skip(1).FirstOrDefault();
    if (!int.TryParse(given, out threads) || threads < 1)
    {
        Console.Error.WriteLine($"--threads takes a whole number of threads, 1 or more; got \"{given}\".");
        return 2;
    }

    if (threadTime && threads > 1)
    {
        Console.Error.WriteLine("--thread-time times one thread's CPU time, which leaves out the work of every other thread: with --threads above 1, time by the wall clock (leave --thread-time out).");
        return 2;
    }
}

// Set before any row is built: ORT reads its thread count when a session is made.
AttentionGen.Threading.Parallelism.MaxThreads = threads;
OrtCall.IntraOpThreads = threads;

string? jsonPath = args.SkipWhile(a => a != "--json").Skip(1).FirstOrDefault();
string? caseFilter = args.SkipWhile(a => a != "--case").Skip(1).FirstOrDefault();
var catalog = sweep ? SweepCatalog.Names : CaseCatalog.Names;
Func<string, AttentionGen.Benchmarks.Cases.BenchmarkCase> create = sweep ? SweepCatalog.Create : CaseCatalog.Create;
var names = catalog.Where(n => caseFilter is null || n.Contains(caseFilter, StringComparison.OrdinalIgnoreCase)).ToList();
if (names.Count == 0)
{
    Console.Error.WriteLine($"No case name contains \"{caseFilter}\". Cases: {string.Join(", ", catalog)}");
    return 2;
}

var cpu = CpuIdentity.Current();
Console.WriteLine(smoke ? "Smoke run: one call of every implementation per row." : $"Measuring the FMA peak and read bandwidth of {cpu.Describe()} …");
var sampler = smoke ? null : new RooflineSampler();
sampler?.Sample(attempts: 40);

// Each row is built just before it runs (its ORT session, inputs and layer) and released after it. The process's CPU
// time over the wall time of the timed batches says how much of a core they got: well under 100% on one thread means
// other processes took turns on it, and every timing reads slow by about that much (the paired ratios much less).
var measured = QuickRunner.Run(names.Select(create), rounds: sweep ? 11 : 15, smoke, threadTime, Console.Out, out double coreShare, () => sampler?.Sample(attempts: 8),
    benchmark => sampler?.PairedReadFor(benchmark.Flops, benchmark.Bytes));
sampler?.Sample(attempts: 40);
var roofline = sampler?.Best ?? Roofline.Placeholder;
var rows = smoke ? measured.ToList() : measured.Select(roofline.Judge).ToList();
Console.WriteLine();
Console.WriteLine(QuickRunner.Markdown(rows, roofline, cpu, coreShare, threadTime, threads, smoke));
if (sweep)
{
    Console.WriteLine("Causal rows whose lengths differ give ORT's opset-23 Attention the bottom-right rule as an additive mask (its is_causal aligns top-left); GroupQueryAttention aligns bottom-right itself.");
}

if (!smoke)
{
    Console.WriteLine(QuickRunner.Shortfalls(rows));
}

if (jsonPath is not null)
{
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(jsonPath))!);
    File.WriteAllText(jsonPath, QuickRunner.Json(rows, roofline, cpu, coreShare, threadTime, threads));
    Console.WriteLine($"Wrote {jsonPath}");
}

// A full run's chart goes to benchmarks/results/latest.png and .svg. Smoke runs (CI), --case runs and runs with a
// narrowed SIMD path (DOTNET_EnableAVX512=0 and the like) draw theirs in the temp folder: CI still proves the chart
// renders on a fresh machine, and neither a partial run nor another path's replaces the full one.
// The sweep draws no chart: fifty pairs of bars read worse than its table. Nor does a --case run with no ORT row.
if (quick && rows.Any(r => r.OrtMicros is not null))
{
    bool narrowedPath = new[] { "DOTNET_EnableAVX512", "DOTNET_EnableAVX2", "DOTNET_EnableAVX", "DOTNET_EnableHWIntrinsic" }
        .Any(name => Environment.GetEnvironmentVariable(name) == "0");
    // A run on more threads draws beside the one-thread chart, not over it.
    string chartBase = smoke || caseFilter is not null || narrowedPath
        ? Path.Combine(Path.GetTempPath(), smoke ? "attentiongen-smoke-chart" : "attentiongen-chart")
        : Path.Combine(ResultsFolder(), threads == 1 ? "latest" : $"latest-{threads}-threads");
    var (png, svg) = ResultsChart.Write(rows, roofline.PeakGflops, cpu, threads, chartBase);
    Console.WriteLine($"Chart: {png}, {svg}");
}

var allocating = rows.Where(r => r.AllocatedBytesPerCall != 0).Select(r => r.Case).ToList();
if (allocating.Count > 0)
{
    Console.Error.WriteLine($"AttentionGen allocated on: {string.Join(", ", allocating)}");
    return 1;
}

return 0;

// benchmarks/results of the checkout this runs in (found from the working folder up), so `dotnet run --project` from
// anywhere inside the repository writes to the same place.
static string ResultsFolder()
{
    for (var folder = new DirectoryInfo(Directory.GetCurrentDirectory()); folder is not null; folder = folder.Parent)
    {
        if (File.Exists(Path.Combine(folder.FullName, "AttentionGen.sln")))
        {
            return Path.Combine(folder.FullName, "benchmarks", "results");
        }
    }

    return Path.Combine(Directory.GetCurrentDirectory(), "benchmarks", "results");
}
