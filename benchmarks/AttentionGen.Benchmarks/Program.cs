using AttentionGen.Benchmarks.Cases;
using AttentionGen.Benchmarks.Measurement;
using BenchmarkDotNet.Running;

// --quick [--smoke] [--json path] [--case text]: the side-by-side table in about a minute (smoke: one call each, to
// check every row runs and allocates nothing; --case: only the rows whose name contains the text). Anything else goes
// to BenchmarkDotNet.
if (!args.Contains("--quick"))
{
    BenchmarkSwitcher.FromAssembly(typeof(CaseCatalog).Assembly).Run(args);
    return 0;
}

bool smoke = args.Contains("--smoke");
string? jsonPath = args.SkipWhile(a => a != "--json").Skip(1).FirstOrDefault();
string? caseFilter = args.SkipWhile(a => a != "--case").Skip(1).FirstOrDefault();
var names = CaseCatalog.Names.Where(n => caseFilter is null || n.Contains(caseFilter, StringComparison.OrdinalIgnoreCase)).ToList();
if (names.Count == 0)
{
    Console.Error.WriteLine($"No case name contains \"{caseFilter}\". Cases: {string.Join(", ", CaseCatalog.Names)}");
    return 2;
}

var cases = names.Select(CaseCatalog.Create).ToList();

Console.WriteLine(smoke ? "Smoke run: one call of every implementation per row." : "Measuring this core's FMA peak …");
double peak = smoke ? 1 : FmaPeak.GigaflopsPerSecond();
var rows = QuickRunner.Run(cases, rounds: 15, peak, smoke, Console.Out);
Console.WriteLine();
Console.WriteLine(QuickRunner.Markdown(rows, peak, smoke));
if (jsonPath is not null)
{
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(jsonPath))!);
    File.WriteAllText(jsonPath, QuickRunner.Json(rows, peak));
    Console.WriteLine($"Wrote {jsonPath}");
}

// A full run's chart goes to benchmarks/results/latest.png and .svg. Smoke runs (CI) and --case runs draw theirs in
// the temp folder: CI still proves the chart renders on a fresh machine, and a partial run never replaces the full one.
string chartBase = smoke || caseFilter is not null
    ? Path.Combine(Path.GetTempPath(), smoke ? "attentiongen-smoke-chart" : "attentiongen-chart")
    : Path.Combine(ResultsFolder(), "latest");
var (png, svg) = ResultsChart.Write(rows, peak, chartBase);
Console.WriteLine($"Chart: {png}, {svg}");

var allocating = rows.Where(r => r.BytesPerCall != 0).Select(r => r.Case).ToList();
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
