namespace TextGeneration;

/// <summary>
/// One progress line, redrawn in place on a terminal; when the output is redirected, one line per quarter only. It is
/// an <see cref="IProgress{T}"/> that reports on the calling thread as it happens (Progress&lt;T&gt; posts to the thread pool).
/// </summary>
internal sealed class ProgressLine<T>(string label, Func<T, (long Done, long Total)> amount) : IProgress<T>
{
    private const int Width = 30;
    private int _lastQuarter = -1;

    public void Report(T value)
    {
        var (done, total) = amount(value);
        var fraction = total == 0 ? 1 : (double)done / total;
        var line = $"{label} [{new string('#', (int)(fraction * Width)).PadRight(Width, '.')}] {fraction,4:P0} {done / 1_000_000}/{total / 1_000_000} MB";
        if (!Console.IsOutputRedirected)
        {
            Console.Write("\r" + line);
            if (done == total)
            {
                Console.WriteLine();
            }

            return;
        }

        var quarter = (int)(fraction * 4);
        if (quarter != _lastQuarter)
        {
            _lastQuarter = quarter;
            Console.WriteLine(line);
        }
    }
}
