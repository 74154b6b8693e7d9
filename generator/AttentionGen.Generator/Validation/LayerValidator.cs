using System;
using System.Collections.Generic;
using AttentionGen.Generator.Emit;
using AttentionGen.Generator.Layers;
using AttentionGen.Generator.Model;
using AttentionGen.Generator.Parsing;
using AttentionGen.Generator.Planning;
using static AttentionGen.Generator.Validation.Rules;

namespace AttentionGen.Generator.Validation;

/// <summary>
/// Checks a declaration: the type (everything the generated part needs of it), the attribute (its definition's rules)
/// and the memory an instance would take. Pure: the analyzer turns the issues into diagnostics at the right place, and
/// the generator emits nothing for a declaration with any error.
/// </summary>
internal static class LayerValidator
{
    /// <summary>Past this much scratch and weights per instance a declaration is almost surely a typo; see <see cref="DiagnosticIds.ShapeTooLarge"/>.</summary>
    public const long MemoryCeilingBytes = 4L << 30;

    /// <summary>The most floats one buffer can hold (<c>Array.MaxLength</c> less the padding that aligns it).</summary>
    public const long MaxBufferFloats = 0x7FFFFFC7 - 16;

    public static List<ValidationIssue> Validate(LayerModel model, LayerDefinition definition)
    {
        var issues = new List<ValidationIssue>();
        var facts = model.Facts;
        var name = model.Declaration.FullName;
        if (model.InternalError is { } error)
        {
            issues.Add(Issue(DiagnosticIds.GeneratorFailure, null, name, error));
            return issues;
        }

        if (!facts.IsPartial)
        {
            issues.Add(Issue(DiagnosticIds.NotPartial, null, name));
        }

        if (facts.IsGeneric)
        {
            issues.Add(Issue(DiagnosticIds.Generic, null, name));
        }

        if (facts.IsStatic)
        {
            issues.Add(Issue(DiagnosticIds.StaticClass, null, name));
        }

        if (facts.IsFileLocal)
        {
            issues.Add(Issue(DiagnosticIds.FileLocalType, null, name));
        }

        if (facts.LayerAttributeCount > 1)
        {
            issues.Add(Issue(DiagnosticIds.MultipleLayerAttributes, null, name, Format(facts.LayerAttributeCount)));
        }

        if (facts.LanguageVersion < DeclarationParser.MinimumLanguageVersion)
        {
            issues.Add(Issue(DiagnosticIds.LanguageVersionTooLow, null, name, Format(facts.LanguageVersion), Format(DeclarationParser.MinimumLanguageVersion)));
        }

        foreach (var member in facts.CollidingMembers)
        {
            issues.Add(Issue(DiagnosticIds.MemberNameCollision, null, member, name));
        }

        if (facts.IsRecord)
        {
            issues.Add(Issue(DiagnosticIds.UnconstructibleType, null, name,
                "is a record, but its copies ('with', the copy constructor) would share the original's scratch, so two of them running at once would silently corrupt each other's results: declare a class"));
        }

        definition.Validate(model.Spec, issues);
        if (!HasErrors(issues))
        {
            var body = definition.Plan(model.Declaration, model.Spec).Body;
            if (WeightsEmitter.ConstructsFromWeights(body))
            {
                CheckConstructible(facts, name, issues);
            }

            CheckMemory(body, issues);
        }

        return issues;
    }

    /// <summary>What would stop the generated constructor, <c>L(Weights weights)</c>, from compiling.</summary>
    private static void CheckConstructible(DeclarationFacts facts, string name, List<ValidationIssue> issues)
    {
        if (facts.HasPrimaryConstructor)
        {
            issues.Add(Issue(DiagnosticIds.UnconstructibleType, null, name,
                "has a primary constructor, which the generated constructor taking its Weights would have to call: remove the parameter list"));
        }

        if (facts.BaseWithoutParameterlessConstructor is { } baseType)
        {
            issues.Add(Issue(DiagnosticIds.UnconstructibleType, null, name,
                $"derives from '{baseType}', which has no parameterless constructor for the generated constructor taking its Weights to call " +
                "(a layer with weights has none): give the base one, or derive from another class"));
        }

        if (facts.DeclaresWeightsConstructor)
        {
            issues.Add(Issue(DiagnosticIds.UnconstructibleType, null, name,
                "declares a constructor taking its Weights, which the generated part declares: remove it"));
        }
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

    /// <summary>
    /// Every buffer must fit one .NET array, and all of them the per-instance ceiling; otherwise the constants would
    /// overflow <c>int</c> in generated code, or <c>new</c> would fail at run time far from the cause.
    /// </summary>
    private static void CheckMemory(LayerBody body, List<ValidationIssue> issues)
    {
        long totalFloats = 0;
        BufferPlan? largest = null;
        foreach (var buffer in body.Buffers)
        {
            // Saturating: a shape far past every limit must still report a size, not a wrapped negative one.
            totalFloats = buffer.IsAllocated ? Math.Min(totalFloats + buffer.Floats, long.MaxValue / sizeof(float)) : totalFloats;
            if (largest is null || buffer.Floats > largest.Floats)
            {
                largest = buffer;
            }
        }

        if (largest is null)
        {
            return;
        }

        if (largest.Floats > MaxBufferFloats || totalFloats * sizeof(float) > MemoryCeilingBytes)
        {
            issues.Add(Issue(DiagnosticIds.ShapeTooLarge, largest.BlamedProperty,
                Format(totalFloats * sizeof(float) / (1L << 20)), largest.Description, Format(largest.Floats), Format(MemoryCeilingBytes >> 30)));
        }
    }
}
