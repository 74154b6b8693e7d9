using System.Globalization;
using System.Runtime.Intrinsics;

namespace AttentionGen.Benchmarks.Measurement;

/// <summary>
/// Which processor a run measured: the model name alone is not enough (a cloud VM may report only "AMD EPYC"), so the
/// family/model/stepping numbers and the microarchitecture they identify go with it, plus the ISA flags that change
/// which kernels can run fast.
/// </summary>
internal sealed record CpuIdentity(
    string ModelName,
    string Vendor,
    int? Family,
    int? Model,
    int? Stepping,
    string Microarchitecture,
    bool Avx512F,
    bool Avx512Fp16,
    bool Avx512Bf16,
    bool Amx,
    string VectorPath,
    int LogicalCores)
{
    /// <summary>One line for the table's header: "AMD EPYC (AuthenticAMD family 25 model 17 stepping 1: Zen 4; …)".</summary>
    public string Describe()
    {
        string numbers = Family is null ? "family unknown" : $"{Vendor} family {Family} model {Model} stepping {Stepping}";
        static string YesNo(bool value) => value ? "yes" : "no";
        return $"{ModelName} ({numbers}: {Microarchitecture}; avx512f {YesNo(Avx512F)}, avx512_fp16 {YesNo(Avx512Fp16)}, " +
               $"avx512_bf16 {YesNo(Avx512Bf16)}, amx {YesNo(Amx)}; {LogicalCores} logical cores; .NET vectors: {VectorPath})";
    }

    public static CpuIdentity Current()
    {
        var fields = ReadFirstProcessor("/proc/cpuinfo");
        string modelName = fields.GetValueOrDefault("model name") ?? System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString();
        string vendor = fields.GetValueOrDefault("vendor_id") ?? "unknown vendor";
        int? family = Number(fields.GetValueOrDefault("cpu family"));
        int? model = Number(fields.GetValueOrDefault("model"));
        int? stepping = Number(fields.GetValueOrDefault("stepping"));
        var flags = (fields.GetValueOrDefault("flags") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        return new CpuIdentity(modelName, vendor, family, model, stepping, Identify(vendor, family, model),
            flags.Contains("avx512f"), flags.Contains("avx512_fp16"), flags.Contains("avx512_bf16"),
            flags.Any(f => f.StartsWith("amx_", StringComparison.Ordinal)),
            Vector512.IsHardwareAccelerated ? "512-bit" : Vector256.IsHardwareAccelerated ? "256-bit" : Vector128.IsHardwareAccelerated ? "128-bit" : "scalar",
            Environment.ProcessorCount);
    }

    /// <summary>
    /// The few microarchitectures this project has met or is likely to; anything else says "unidentified" so the
    /// numbers above are what a reader goes by. AMD family 25 (19h) holds both Zen 3 and Zen 4, split by model range.
    /// </summary>
    internal static string Identify(string vendor, int? family, int? model) => (vendor, family, model) switch
    {
        ("AuthenticAMD", 26, _) => "Zen 5",
        ("AuthenticAMD", 25, >= 0x10 and <= 0x1F or >= 0x60 and <= 0x7F or >= 0xA0 and <= 0xAF) => "Zen 4",
        ("AuthenticAMD", 25, _) => "Zen 3",
        ("AuthenticAMD", 23, _) => "Zen / Zen 2",
        ("GenuineIntel", 6, 207) => "Emerald Rapids",
        ("GenuineIntel", 6, 143) => "Sapphire Rapids",
        ("GenuineIntel", 6, 173) => "Granite Rapids",
        ("GenuineIntel", 6, 106 or 108) => "Ice Lake SP",
        ("GenuineIntel", 6, 85) => "Skylake SP / Cascade Lake",
        _ => "unidentified microarchitecture",
    };

    /// <summary>The "key : value" lines of the first processor block (they are the same for every core here).</summary>
    private static Dictionary<string, string> ReadFirstProcessor(string path)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!File.Exists(path))
        {
            return fields;
        }

        foreach (var line in File.ReadLines(path))
        {
            if (line.Length == 0 && fields.Count > 0)
            {
                break;
            }

            int colon = line.IndexOf(':');
            if (colon > 0)
            {
                fields.TryAdd(line[..colon].Trim(), line[(colon + 1)..].Trim());
            }
        }

        return fields;
    }

    private static int? Number(string? text) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) ? value : null;
}
