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
var cases = CaseCatalog.All().Where(c => caseFilter is null || c.Name.Contains(caseFilter, StringComparison.OrdinalIgnoreCase)).ToList();
if (cases.Count == 0)
{
    Console.Error.WriteLine($"No case name contains \"{caseFilter}\". Cases: {string.Join(", ", CaseCatalog.All().Select(c => c.Name))}");
    return 2;
}

Console.WriteLine(smoke ? "Smoke run: one call of every implementation per row." : "Measuring this core's FMA peak …");
double peak = smoke ? 1 : FmaPeak.GigaflopsPerSecond();
var rows = QuickRunner.Run(cases, rounds: 7, peak, smoke, Console.Out);
Console.WriteLine();
Console.WriteLine(QuickRunner.Markdown(rows, peak, smoke));
if (jsonPath is not null)
{
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(jsonPath))!);
    File.WriteAllText(jsonPath, QuickRunner.Json(rows, peak));
    Console.WriteLine($"Wrote {jsonPath}");
}

var allocating = rows.Where(r => r.BytesPerCall != 0).Select(r => r.Case).ToList();
if (allocating.Count > 0)
{
    Console.Error.WriteLine($"AttentionGen allocated on: {string.Join(", ", allocating)}");
    return 1;
}

return 0;
