using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SemanticSearch;

/// <summary>What the timings ran on.</summary>
internal static class Machine
{
    /// <summary>A note when other processes kept the cores busy (Linux's load average), since the timings then mean little.</summary>
    public static string? LoadWarning()
    {
        if (!File.Exists("/proc/loadavg"))
        {
            return null;
        }

        var oneMinute = double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        return oneMinute > Environment.ProcessorCount
            ? $"(load average {oneMinute:F1} on {Environment.ProcessorCount} cores: other processes shared the CPU, so these times are high)"
            : null;
    }

    /// <summary>The CPU's name (from /proc/cpuinfo where there is one), its cores and the widest SIMD the JIT uses.</summary>
    public static string Describe()
    {
        var name = RuntimeInformation.ProcessArchitecture.ToString();
        if (File.Exists("/proc/cpuinfo"))
        {
            var modelName = File.ReadLines("/proc/cpuinfo").FirstOrDefault(line => line.StartsWith("model name", StringComparison.Ordinal));
            if (modelName is not null)
            {
                name = modelName[(modelName.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
            }
        }

        var simd = Vector512.IsHardwareAccelerated ? "AVX-512" : Vector256.IsHardwareAccelerated ? "256-bit SIMD" : "128-bit SIMD";
        return $"{name}, {Environment.ProcessorCount} cores, {simd}, .NET {Environment.Version}";
    }
}
