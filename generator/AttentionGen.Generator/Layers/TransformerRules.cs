using System;
using System.Collections.Generic;
using AttentionGen.Generator.Components.AttentionCore;
using AttentionGen.Generator.Components.TransformerBlock;
using AttentionGen.Generator.Validation;
using static AttentionGen.Generator.Validation.Rules;

namespace AttentionGen.Generator.Layers;

/// <summary>The rules and the plan of the options every transformer block has, alone or inside a model.</summary>
internal static class TransformerRules
{
    /// <summary>Checks the block options (not Heads/MaxSeqLen/Scale, which the attention rules of each kind check).</summary>
    public static void Validate(ITransformerBlockOptions options, List<ValidationIssue> issues)
    {
        RequirePositive(issues, "ModelDim", options.ModelDim);
        RequirePositive(issues, "FfnDim", options.FfnDim);
        RejectNegative(issues, "HeadDim", options.HeadDim);
        RejectNegative(issues, "MaxBatchTokens", options.MaxBatchTokens);
        if (options.HeadDim == 0 && options.ModelDim > 0 && options.Heads > 0 && options.ModelDim % options.Heads != 0)
        {
            issues.Add(Issue(DiagnosticIds.ModelDimNotDivisibleByHeads, "ModelDim", Format(options.ModelDim), Format(options.Heads)));
        }

        if (float.IsNaN(options.NormEpsilon) || float.IsInfinity(options.NormEpsilon) || options.NormEpsilon < 0)
        {
            issues.Add(Issue(DiagnosticIds.OptionOutOfRange, "NormEpsilon", "NormEpsilon", Format(options.NormEpsilon), "0 or a positive finite number"));
        }

        if (options.MaxBatchTokens > 0 && options.MaxSeqLen > 0 && options.MaxBatchTokens < options.MaxSeqLen)
        {
            issues.Add(Issue(DiagnosticIds.OptionOutOfRange, "MaxBatchTokens", "MaxBatchTokens", Format(options.MaxBatchTokens),
                $"0 or at least MaxSeqLen ({Format(options.MaxSeqLen)}), so a whole sequence fits one pass"));
        }

        RequireMember(issues, "Activation", options.Activation);
        RequireMember(issues, "Norm", options.Norm);
    }

    /// <summary>An enum argument cast from a number that names no member (<c>(ActivationKind)7</c>).</summary>
    public static void RequireMember<TEnum>(List<ValidationIssue> issues, string property, TEnum value)
        where TEnum : struct, Enum
    {
        if (!Enum.IsDefined(typeof(TEnum), value))
        {
            issues.Add(Issue(DiagnosticIds.OptionOutOfRange, property, property, Convert.ToInt32(value).ToString(System.Globalization.CultureInfo.InvariantCulture),
                "one of " + string.Join(", ", Enum.GetNames(typeof(TEnum)))));
        }
    }

    /// <summary>The head width the options give: HeadDim as set, or ModelDim / Heads; 0 while that is not a whole number.</summary>
    public static int HeadDimOf(ITransformerBlockOptions options) =>
        options.HeadDim > 0 ? options.HeadDim
        : options.Heads > 0 && options.ModelDim % options.Heads == 0 ? options.ModelDim / options.Heads : 0;

    public static TransformerBlockPlan Plan(ITransformerBlockOptions options, int kvHeads, bool causal, float softcap)
    {
        var core = AttentionCorePlanner.Plan("Attention", options.Heads, kvHeads, HeadDimOf(options), options.MaxSeqLen, options.MaxSeqLen,
            causal, options.Scale, softcap);
        return new TransformerBlockPlan(core, options.ModelDim, options.FfnDim, options.Activation, options.Norm, options.NormEpsilon,
            options.PreNorm, options.Bias, options.MaxBatchTokens > 0 ? options.MaxBatchTokens : options.MaxSeqLen);
    }
}
