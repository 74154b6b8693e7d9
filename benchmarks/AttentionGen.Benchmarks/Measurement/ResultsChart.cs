using ScottPlot;

namespace AttentionGen.Benchmarks.Measurement;

/// <summary>
/// The quick run as a picture: µs per call for AttentionGen and ONNX Runtime, side by side for each case, on a log
/// axis (the cases span five orders of magnitude), with the ORT/AttentionGen ratio printed over each pair.
/// </summary>
internal static class ResultsChart
{
    private static readonly Color AttentionGenColor = Color.FromHex("#2b6cb0");
    private static readonly Color OrtColor = Color.FromHex("#a0aec0");

    /// <summary>Longer case names are cut (the table has them whole): a slanted label must end inside the picture.</summary>
    private const int MaxLabelLength = 56;

    /// <summary>
    /// Writes <c>{basePath}.png</c> and <c>{basePath}.svg</c>, titled with the CPU, the thread count and the run's FMA
    /// peak; returns the two paths.
    /// </summary>
    public static (string Png, string Svg) Write(IReadOnlyList<Row> rows, double peakGflops, CpuIdentity cpu, int threads, string basePath)
    {
        var compared = rows.Where(r => r.OrtMicros is not null).ToList();
        var plot = new Plot();
        var bars = new List<Bar>();
        var ticks = new List<Tick>();
        for (int i = 0; i < compared.Count; i++)
        {
            var row = compared[i];
            double center = i * 3;
            bars.Add(new Bar { Position = center - 0.5, Value = Math.Log10(row.AttentionGenMicros), FillColor = AttentionGenColor });
            bars.Add(new Bar { Position = center + 0.5, Value = Math.Log10(row.OrtMicros!.Value), FillColor = OrtColor });
            ticks.Add(new Tick(center, row.Case.Length <= MaxLabelLength ? row.Case : row.Case[..(MaxLabelLength - 1)] + "…"));

            double top = Math.Log10(Math.Max(row.AttentionGenMicros, row.OrtMicros.Value));
            var ratio = plot.Add.Text($"{row.OrtRatio:0.00}×", center, top + 0.08);
            ratio.LabelFontSize = 11;
            ratio.LabelAlignment = Alignment.LowerCenter;
        }

        foreach (var bar in bars)
        {
            bar.ValueBase = -1; // 0.1 µs: every case's bar starts at the same floor of the log axis
        }

        plot.Add.Bars(bars);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks.ToArray());
        plot.Axes.Bottom.TickLabelStyle.Rotation = 35;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        plot.Axes.Bottom.MinimumSize = 230; // room for the longest slanted labels
        plot.Axes.Right.MinimumSize = 190; // and for the last case's, which runs past the plot

        var logTicks = new ScottPlot.TickGenerators.NumericManual();
        for (int power = -1; power <= 5; power++)
        {
            logTicks.AddMajor(power, power < 0 ? "0.1" : Math.Pow(10, power).ToString("#,0", System.Globalization.CultureInfo.InvariantCulture));
        }

        plot.Axes.Left.TickGenerator = logTicks;
        plot.Axes.Left.Label.Text = "µs per call (log scale, lower is faster)";
        plot.Axes.SetLimitsY(-1, Math.Log10(compared.Max(r => Math.Max(r.AttentionGenMicros, r.OrtMicros!.Value))) + 0.5);
        string threadText = threads == 1 ? "one thread" : $"{threads} threads";
        plot.Title($"AttentionGen vs ONNX Runtime, {threadText} each: {cpu.ModelName} ({cpu.Microarchitecture}), FMA peak {peakGflops:0} GFLOP/s");

        plot.Legend.IsVisible = true;
        plot.Legend.Alignment = Alignment.UpperLeft;
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = "AttentionGen", FillColor = AttentionGenColor });
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = "ONNX Runtime 1.31.1 (label: ORT µs / AttentionGen µs)", FillColor = OrtColor });

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(basePath))!);
        string png = basePath + ".png", svg = basePath + ".svg";
        plot.SavePng(png, 1200, 740);
        plot.SaveSvg(svg, 1200, 740);
        return (png, svg);
    }
}
