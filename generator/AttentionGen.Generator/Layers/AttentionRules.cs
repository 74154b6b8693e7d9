using System.Collections.Generic;
using AttentionGen.Generator.Components.AttentionCore;
using AttentionGen.Generator.Model;
using AttentionGen.Generator.Validation;
using static AttentionGen.Generator.Validation.Rules;

namespace AttentionGen.Generator.Layers;

/// <summary>The rules of the properties every attention attribute shares.</summary>
internal static class AttentionRules
{
    /// <summary>Checks the shared properties; <paramref name="headDim"/> is the effective head width (0 when unknown).</summary>
    public static void Validate(AttentionSpec spec, int headDim, string headDimProperty, List<ValidationIssue> issues)
    {
        RequirePositive(issues, "Heads", spec.Heads);
        RequirePositive(issues, "MaxSeqLen", spec.MaxSeqLen);
        RejectNegative(issues, "KvHeads", spec.KvHeads);
        RejectNegative(issues, "MaxKvSeqLen", spec.MaxKvSeqLen);
        if (spec.Heads > 0 && spec.KvHeads > 0 && spec.Heads % spec.KvHeads != 0)
        {
            issues.Add(Issue(DiagnosticIds.HeadsNotDivisibleByKvHeads, "KvHeads", Format(spec.Heads), Format(spec.KvHeads)));
        }

        RequireZeroOrPositiveFinite(issues, DiagnosticIds.InvalidScale, "Scale", spec.Scale);
        RequireZeroOrPositiveFinite(issues, DiagnosticIds.InvalidSoftcap, "Softcap", spec.Softcap);
        if (headDim > AttentionCorePlanner.MaxTiledHeadDim)
        {
            issues.Add(new ValidationIssue(DiagnosticIds.HeadTooWideForTiles, headDimProperty,
                new[] { Format(headDim), Format(AttentionCorePlanner.MaxTiledHeadDim) }.ToEquatableArray(), IsError: false));
        }
    }

    /// <summary>The core of an attention spec whose effective head width and key bound are known.</summary>
    public static AttentionCorePlan Core(AttentionSpec spec, int headDim, int maxKvSeqLen) =>
        AttentionCorePlanner.Plan("Attention", spec.Heads, spec.KvHeads, headDim, spec.MaxSeqLen, maxKvSeqLen, spec.Causal, spec.Scale, spec.Softcap);
}
