using System;
using System.Collections.Generic;
using AttentionGen.Generator.Components.AttentionCore;
using AttentionGen.Generator.Components.TransformerBlock;
using AttentionGen.Generator.Model;
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

        if (!IsFinite(options.NormEpsilon) || options.NormEpsilon < 0)
        {
            issues.Add(Issue(DiagnosticIds.OptionOutOfRange, "NormEpsilon", "NormEpsilon", Format(options.NormEpsilon), "0 or a positive finite number"));
        }

        RequireMember(issues, "Activation", options.Activation);
        RequireMember(issues, "Norm", options.Norm);
        RequireMember(issues, "Rope", options.Rope);
        RequireMember(issues, "RopeScaling", options.RopeScaling);
        RequireMember(issues, "WeightNames", options.WeightNames);
        if (options.Activation is ActivationKind.SwiGlu or ActivationKind.GeGluTanh && options.WeightNames != WeightNames.HfLlama)
        {
            issues.Add(Issue(DiagnosticIds.OptionOutOfRange, "Activation", "Activation", options.Activation.ToString(),
                $"a plain activation with WeightNames.{options.WeightNames}: those checkpoints have no gate projection (use WeightNames.HfLlama)"));
        }

        if (options.SandwichNorm && (!options.PreNorm || options.WeightNames != WeightNames.HfLlama))
        {
            issues.Add(Issue(DiagnosticIds.OptionOutOfRange, "SandwichNorm", "SandwichNorm", "true",
                "used with PreNorm = true and WeightNames.HfLlama: it adds a norm after each sublayer of a pre-norm block, under Gemma's names"));
        }

        if (options.QueryKeyValueBias && options.Bias)
        {
            issues.Add(Issue(DiagnosticIds.OptionOutOfRange, "QueryKeyValueBias", "QueryKeyValueBias", "true",
                "false with Bias = true, which already gives every linear layer a bias (QueryKeyValueBias is for Bias = false, as in Qwen2)"));
        }

        if (options.QueryKeyNorm && options.WeightNames != WeightNames.HfLlama)
        {
            issues.Add(Issue(DiagnosticIds.OptionOutOfRange, "QueryKeyNorm", "QueryKeyNorm", "true",
                $"false with WeightNames.{options.WeightNames}: those checkpoints have no q_norm or k_norm (Qwen3's use WeightNames.HfLlama)"));
        }

        if (options.Rope == RopeKind.None && options.RopeDim != 0)
        {
            // Without rotary positions the width would be ignored: the layer would run unrotated while it reads as rotated.
            issues.Add(Issue(DiagnosticIds.OptionOutOfRange, "RopeDim", "RopeDim", Format(options.RopeDim),
                "0 without rotary positions (set Rope, or Positions = Rope in a decoder, for a partial rotary width)"));
        }

        if (options.Rope != RopeKind.None)
        {
            if (!IsFinite(options.RopeTheta) || options.RopeTheta <= 1)
            {
                issues.Add(Issue(DiagnosticIds.OptionOutOfRange, "RopeTheta", "RopeTheta", Format(options.RopeTheta), "a finite number greater than 1"));
            }

            var headDim = HeadDimOf(options);
            if (options.RopeDim < 0 || options.RopeDim % 2 != 0 || (headDim > 0 && options.RopeDim > headDim))
            {
                issues.Add(Issue(DiagnosticIds.OptionOutOfRange, "RopeDim", "RopeDim", Format(options.RopeDim),
                    $"0 (the whole head) or an even number up to HeadDim ({Format(headDim)})"));
            }
            else if (options.RopeDim == 0 && headDim % 2 != 0)
            {
                issues.Add(Issue(DiagnosticIds.OptionOutOfRange, "RopeDim", "RopeDim", "0 (all of HeadDim)", $"even: HeadDim {Format(headDim)} is odd, so set an even RopeDim"));
            }
        }

        if (options.RopeScaling == RopeScalingKind.Llama3)
        {
            ValidateLlama3Scaling(options, issues);
        }
        else if (options.RopeScaling == RopeScalingKind.Linear)
        {
            RequireScalableRope(options, issues);
            RequireScalingFactor(options, issues);
        }
    }

    /// <summary>
    /// A rotary option set where nothing reads it: without rotary positions the layer would run unrotated, and without the
    /// scaling that takes a factor it would run unscaled, while the declaration reads as rotated or scaled.
    /// </summary>
    public static void RejectUnreadRopeOptions(ITransformerBlockOptions options, List<ValidationIssue> issues)
    {
        // Compared as set apart from the default, so NaN (which equals nothing) counts as set.
        if (options.Rope == RopeKind.None && !(options.RopeTheta == RopeDefaults.Theta))
        {
            issues.Add(Issue(DiagnosticIds.OptionOutOfRange, "RopeTheta", "RopeTheta", Format(options.RopeTheta),
                "left out without rotary positions (set Rope, or Positions = Rope in a decoder): nothing rotates by it"));
        }

        if (options.RopeScaling == RopeScalingKind.None && !(options.RopeScalingFactor == RopeDefaults.ScalingFactor))
        {
            issues.Add(Issue(DiagnosticIds.OptionOutOfRange, "RopeScalingFactor", "RopeScalingFactor", Format(options.RopeScalingFactor),
                "left out without RopeScaling (Llama3 or Linear): no frequency is scaled by it"));
        }

        if (options.RopeScaling != RopeScalingKind.Llama3)
        {
            foreach (var (property, value, unset) in new[]
            {
                ("RopeLowFrequencyFactor", options.RopeLowFrequencyFactor, RopeDefaults.LowFrequencyFactor),
                ("RopeHighFrequencyFactor", options.RopeHighFrequencyFactor, RopeDefaults.HighFrequencyFactor),
                ("RopeOriginalMaxPositions", options.RopeOriginalMaxPositions, RopeDefaults.OriginalMaxPositions),
            })
            {
                if (!(value == unset))
                {
                    issues.Add(Issue(DiagnosticIds.OptionOutOfRange, property, property, Format(value),
                        "left out without RopeScaling = RopeScalingKind.Llama3: only Llama 3 scaling reads it"));
                }
            }
        }
    }

    /// <summary>Llama 3's rotary scaling needs rotary positions, and factors as Hugging Face accepts them.</summary>
    private static void ValidateLlama3Scaling(ITransformerBlockOptions options, List<ValidationIssue> issues)
    {
        RequireScalableRope(options, issues);
        RequireScalingFactor(options, issues);

        if (!IsFinite(options.RopeLowFrequencyFactor) || options.RopeLowFrequencyFactor <= 0)
        {
            issues.Add(Issue(DiagnosticIds.OptionOutOfRange, "RopeLowFrequencyFactor", "RopeLowFrequencyFactor", Format(options.RopeLowFrequencyFactor), "a finite positive number"));
        }
        else if (!IsFinite(options.RopeHighFrequencyFactor) || options.RopeHighFrequencyFactor <= options.RopeLowFrequencyFactor)
        {
            issues.Add(Issue(DiagnosticIds.OptionOutOfRange, "RopeHighFrequencyFactor", "RopeHighFrequencyFactor", Format(options.RopeHighFrequencyFactor),
                $"a finite number greater than RopeLowFrequencyFactor ({Format(options.RopeLowFrequencyFactor)})"));
        }

        RequirePositive(issues, "RopeOriginalMaxPositions", options.RopeOriginalMaxPositions);
    }

    private static void RequireScalableRope(ITransformerBlockOptions options, List<ValidationIssue> issues)
    {
        if (options.Rope == RopeKind.None)
        {
            issues.Add(Issue(DiagnosticIds.OptionOutOfRange, "RopeScaling", "RopeScaling", options.RopeScaling.ToString(), "None without rotary positions: there are no rotary frequencies to scale"));
        }
    }

    private static void RequireScalingFactor(ITransformerBlockOptions options, List<ValidationIssue> issues)
    {
        if (!IsFinite(options.RopeScalingFactor) || options.RopeScalingFactor < 1)
        {
            issues.Add(Issue(DiagnosticIds.OptionOutOfRange, "RopeScalingFactor", "RopeScalingFactor", Format(options.RopeScalingFactor), "a finite number of at least 1"));
        }
    }

    /// <summary>AGEN0009 for a model whose heads are wider than the register tiles take (a block gets it from the attention rules).</summary>
    public static void WarnHeadTooWideForTiles(ITransformerBlockOptions options, List<ValidationIssue> issues)
    {
        var headDim = HeadDimOf(options);
        if (headDim > AttentionCorePlanner.MaxTiledHeadDim)
        {
            issues.Add(new ValidationIssue(DiagnosticIds.HeadTooWideForTiles, options.HeadDim > 0 ? "HeadDim" : "ModelDim",
                new[] { Format(headDim), Format(AttentionCorePlanner.MaxTiledHeadDim) }.ToEquatableArray(), IsError: false));
        }
    }

    /// <summary>A packed batch runs whole sequences per pass, so its scratch must hold the longest one.</summary>
    public static void RequireWholeSequencePerPass(ITransformerBlockOptions options, List<ValidationIssue> issues)
    {
        if (options.MaxBatchTokens > 0 && options.MaxSeqLen > 0 && options.MaxBatchTokens < options.MaxSeqLen)
        {
            issues.Add(Issue(DiagnosticIds.OptionOutOfRange, "MaxBatchTokens", "MaxBatchTokens", Format(options.MaxBatchTokens),
                $"0 or at least MaxSeqLen ({Format(options.MaxSeqLen)}), so a whole sequence fits one pass"));
        }
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

    /// <param name="maxBatchTokens">Rows of scratch: the most tokens one pass runs.</param>
    /// <param name="maxKvSeqLen">The attention's key bound: the tokens one pass sees (a packed group) or a cache holds.</param>
    public static TransformerBlockPlan Plan(ITransformerBlockOptions options, int kvHeads, bool causal, float softcap, int maxBatchTokens, int maxKvSeqLen)
    {
        var headDim = HeadDimOf(options);
        var core = AttentionCorePlanner.Plan("Attention", options.Heads, kvHeads, headDim, options.MaxSeqLen, maxKvSeqLen, causal, options.Scale, softcap);
        var ropeDim = options.Rope == RopeKind.None ? 0 : options.RopeDim > 0 ? options.RopeDim : headDim;
        return new TransformerBlockPlan(core, options.ModelDim, options.FfnDim, options.Activation, options.Norm, options.NormEpsilon,
            options.PreNorm, options.Bias, options.Bias || options.QueryKeyValueBias, maxBatchTokens, options.Rope, options.RopeTheta, ropeDim, BlockNaming.For(options.WeightNames))
        {
            QueryKeyNorm = options.QueryKeyNorm,
            SandwichNorm = options.SandwichNorm,
            RopeScaling = options.Rope != RopeKind.None && options.RopeScaling == RopeScalingKind.Llama3
                ? new Llama3RopeScalingPlan(options.RopeScalingFactor, options.RopeLowFrequencyFactor, options.RopeHighFrequencyFactor, options.RopeOriginalMaxPositions)
                : null,
            LinearRopeScaling = options.Rope != RopeKind.None && options.RopeScaling == RopeScalingKind.Linear ? options.RopeScalingFactor : 0f,
        };
    }

    /// <summary>The scratch rows a block over packed sequences takes: MaxBatchTokens, or MaxSeqLen when that is 0.</summary>
    public static int BatchTokens(ITransformerBlockOptions options) => options.MaxBatchTokens > 0 ? options.MaxBatchTokens : options.MaxSeqLen;
}
