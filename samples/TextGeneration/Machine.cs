using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace TextGeneration;

/// <summary>What the timings ran on.</summary>
internal static class Machine
{
    /// <summary>
    /// The CPU as /proc/cpuinfo names it, with its family and model (a cloud CPU's name alone, "AMD EPYC", does not say
    /// which generation it is), the cores and the widest SIMD the JIT uses.
    /// </summary>
    public static string Describe()
    {
        var name = RuntimeInformation.ProcessArchitecture.ToString();
        if (File.Exists("/proc/cpuinfo"))
        {
            var fields = File.ReadLines("/proc/cpuinfo")
                .TakeWhile(line => line.Length > 0) // the first processor's block
                .Select(line => line.Split(':', 2))
                .Where(parts => parts.Length == 2)
                .GroupBy(parts => parts[0].Trim())
                .ToDictionary(group => group.Key, group => group.First()[1].Trim());
            if (fields.TryGetValue("model name", out var modelName))
            {
                name = modelName;
            }

            if (fields.TryGetValue("cpu family", out var family) && fields.TryGetValue("model", out var model))
            {
                name += $", family {family} model {model}";
            }
        }

        var simd = Vector512.IsHardwareAccelerated ? "AVX-512" : Vector256.IsHardwareAccelerated ? "256-bit SIMD" : "128-bit SIMD";
        return $"{name}, {Environment.ProcessorCount} cores, {simd}, .NET {Environment.Version}";
    }

    /// <summary>A note when other processes kept the cores busy (Linux's load average), since the timings then mean less.</summary>
    public static string? LoadWarning()
    {
        if (!File.Exists("/proc/loadavg"))
        {
            return null;
        }

        var oneMinute = double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);
        return oneMinute >= Environment.ProcessorCount * 0.75
            ? $"load average {oneMinute:F1} on {Environment.ProcessorCount} cores: other processes shared the CPU and its memory bus, so these figures are low"
            : null;
    }
}
