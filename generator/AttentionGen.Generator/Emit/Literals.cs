using System.Globalization;

namespace AttentionGen.Generator.Emit;

/// <summary>C# literals for values, independent of the machine's culture.</summary>
internal static class Literals
{
    public static string Float(float value) => value.ToString("R", CultureInfo.InvariantCulture) + "f";

    public static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Long(long value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Bool(bool value) => value ? "true" : "false";
}
