using System.Collections.Generic;
using System.Globalization;
using AttentionGen.Generator.Model;

namespace AttentionGen.Generator.Validation;

/// <summary>The small checks the layer definitions share, each adding its issue with the arguments its message takes.</summary>
internal static class Rules
{
    /// <summary>The message argument for a required dimension that reads as 0.</summary>
    public const string NotSet = "not set";

    public static void RequirePositive(List<ValidationIssue> issues, string property, int value)
    {
        if (value <= 0)
        {
            issues.Add(Issue(DiagnosticIds.NonPositiveDimension, value == 0 ? null : property, property, value == 0 ? NotSet : Format(value)));
        }
    }

    public static void RejectNegative(List<ValidationIssue> issues, string property, int value)
    {
        if (value < 0)
        {
            issues.Add(Issue(DiagnosticIds.NonPositiveDimension, property, property, Format(value)));
        }
    }

    public static void RequireZeroOrPositiveFinite(List<ValidationIssue> issues, string id, string property, float value)
    {
        if (!IsFinite(value) || value < 0)
        {
            issues.Add(Issue(id, property, Format(value)));
        }
    }

    /// <summary>Neither NaN nor infinite (netstandard2.0 has no <c>float.IsFinite</c>).</summary>
    public static bool IsFinite(float value) => !float.IsNaN(value) && !float.IsInfinity(value);

    public static ValidationIssue Issue(string id, string? property, params string[] args) => new(id, property, args.ToEquatableArray());

    public static string Format(int value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Format(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Format(float value) => value.ToString("R", CultureInfo.InvariantCulture);
}
