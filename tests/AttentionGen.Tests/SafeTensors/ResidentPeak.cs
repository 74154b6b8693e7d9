namespace AttentionGen.Tests.SafeTensorsTests;

/// <summary>The growth of the process's peak resident set (VmHWM) from now, reset through /proc/self/clear_refs.</summary>
internal sealed class ResidentPeak
{
    private readonly long? _start;

    public ResidentPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5"); // resets VmHWM to the current resident set
            _start = Status("VmRSS");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _start = null;
        }
    }

    public long? Growth() => _start is { } start ? Status("VmHWM") - start : null;

    private static long Status(string field)
    {
        var line = File.ReadLines("/proc/self/status").Single(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0]) * 1024;
    }
}
