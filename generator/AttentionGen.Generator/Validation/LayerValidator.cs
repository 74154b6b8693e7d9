using System.Collections.Generic;
using System.Globalization;
using AttentionGen.Generator.Model;

namespace AttentionGen.Generator.Validation;

/// <summary>
/// Checks a declaration against the rules every layer must meet. Pure: the analyzer turns the issues into diagnostics
/// at the right argument, and the generator emits nothing for a declaration with any error.
/// </summary>
internal static class LayerValidator
{
    /// <summary>The widest vector dimension the emitter fully unrolls; past it the code would risk the JIT's size limits.</summary>
    public const int MaxUnrolledWidth = 256;

    public static IReadOnlyList<ValidationIssue> Validate(LayerModel model)
    {
        var issues = new List<ValidationIssue>();
        if (!model.IsPartial)
        {
            issues.Add(Issue(DiagnosticIds.NotPartial, null, model.FullName));
        }

        if (model.IsGeneric)
        {
            issues.Add(Issue(DiagnosticIds.Generic, null, model.FullName));
        }

        if (model.LayerAttributeCount > 1)
        {
            issues.Add(Issue(DiagnosticIds.MultipleLayerAttributes, null, model.FullName, Format(model.LayerAttributeCount)));
        }

        var options = model.Options;
        if (model.Kind == LayerKind.AttentionPooling)
        {
            RequirePositive(issues, "InputDim", options.InputDim);
            RequirePositive(issues, "MaxSeqLen", options.MaxSeqLen);
            RequirePositive(issues, "OutputDim", options.OutputDim);
            WarnIfTooWide(issues, "InputDim", options.InputDim);
            return issues;
        }

        var isMultiHead = model.Kind == LayerKind.MultiHeadAttention;
        if (isMultiHead)
        {
            RequirePositive(issues, "ModelDim", options.ModelDim);
            RejectNegative(issues, "HeadDim", options.HeadDim);
            RejectNegative(issues, "KvInputDim", options.KvInputDim);
        }
        else
        {
            RequirePositive(issues, "HeadDim", options.HeadDim);
        }

        RequirePositive(issues, "Heads", options.Heads);
        RequirePositive(issues, "MaxSeqLen", options.MaxSeqLen);
        RejectNegative(issues, "KvHeads", options.KvHeads);
        RejectNegative(issues, "MaxKvSeqLen", options.MaxKvSeqLen);

        if (isMultiHead && options.HeadDim == 0 && options.ModelDim > 0 && options.Heads > 0 && options.ModelDim % options.Heads != 0)
        {
            issues.Add(Issue(DiagnosticIds.ModelDimNotDivisibleByHeads, "ModelDim", Format(options.ModelDim), Format(options.Heads)));
        }

        if (options.Heads > 0 && options.KvHeads > 0 && options.Heads % options.KvHeads != 0)
        {
            issues.Add(Issue(DiagnosticIds.HeadsNotDivisibleByKvHeads, "KvHeads", Format(options.Heads), Format(options.KvHeads)));
        }

        if (!IsFiniteNonNegative(options.Scale))
        {
            issues.Add(Issue(DiagnosticIds.InvalidScale, "Scale", Format(options.Scale)));
        }

        if (!IsFiniteNonNegative(options.Softcap))
        {
            issues.Add(Issue(DiagnosticIds.InvalidSoftcap, "Softcap", Format(options.Softcap)));
        }

        var headDim = options.HeadDim > 0 ? options.HeadDim
            : options.Heads > 0 && options.ModelDim % options.Heads == 0 ? options.ModelDim / options.Heads : 0;
        WarnIfTooWide(issues, options.HeadDim > 0 || !isMultiHead ? "HeadDim" : "ModelDim", headDim);
        return issues;
    }

    public static bool HasErrors(IReadOnlyList<ValidationIssue> issues)
    {
        foreach (var issue in issues)
        {
            if (issue.IsError)
            {
                return true;
            }
        }

        return false;
    }

    private static void RequirePositive(List<ValidationIssue> issues, string property, int value)
    {
        if (value <= 0)
        {
            issues.Add(Issue(DiagnosticIds.NonPositiveDimension, value == 0 ? null : property, property,
                value == 0 ? "not set" : Format(value)));
        }
    }

    private static void RejectNegative(List<ValidationIssue> issues, string property, int value)
    {
        if (value < 0)
        {
            issues.Add(Issue(DiagnosticIds.NonPositiveDimension, property, property, Format(value)));
        }
    }

    private static void WarnIfTooWide(List<ValidationIssue> issues, string property, int width)
    {
        if (width > MaxUnrolledWidth)
        {
            issues.Add(new ValidationIssue(DiagnosticIds.ShapeTooLargeToUnroll, property,
                new[] { Format(width), Format(MaxUnrolledWidth) }.ToEquatableArray(), IsError: false));
        }
    }

    private static bool IsFiniteNonNegative(float value) => !float.IsNaN(value) && !float.IsInfinity(value) && value >= 0;

    private static ValidationIssue Issue(string id, string? property, params string[] args) => new(id, property, args.ToEquatableArray());

    private static string Format(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Format(float value) => value.ToString("R", CultureInfo.InvariantCulture);
}
