namespace SemanticSearch;

/// <summary>One line redrawn in place on a terminal; when the output is redirected, one line per quarter only.</summary>
internal static class ProgressBar
{
    private const int Width = 30;
    private static int _lastQuarter = -1;

    public static void Draw(string label, long done, long total, long unit = 1, string unitName = "")
    {
        var fraction = total == 0 ? 1 : (double)done / total;
        var amount = unit == 1 ? $"{done}/{total}" : $"{done / unit}/{total / unit} {unitName}";
        var line = $"{label} [{new string('#', (int)(fraction * Width)).PadRight(Width, '.')}] {fraction,4:P0} {amount}";
        if (!Console.IsOutputRedirected)
        {
            Console.Write("\r" + line);
            return;
        }

        var quarter = (int)(fraction * 4);
        if (quarter != _lastQuarter)
        {
            _lastQuarter = quarter;
            Console.WriteLine(line);
        }
    }

    public static void Finish()
    {
        if (!Console.IsOutputRedirected)
        {
            Console.WriteLine();
        }

        _lastQuarter = -1;
    }
}
