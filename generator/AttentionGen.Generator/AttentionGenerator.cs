using System;
using System.Collections.Generic;
using System.Linq;
using AttentionGen.Generator.Diagnostics;
using AttentionGen.Generator.Emit;
using AttentionGen.Generator.Layers;
using AttentionGen.Generator.Model;
using AttentionGen.Generator.Parsing;
using AttentionGen.Generator.Validation;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace AttentionGen.Generator;

/// <summary>
/// The pipeline, per layer attribute: find the classes that carry it, parse each into an equatable model, keep the
/// valid ones, plan, emit. Rule diagnostics come from <see cref="LayerDeclarationAnalyzer"/>, never from here, so an
/// error in one declaration cannot disturb the cached output of another. The one diagnostic reported here is the
/// generator's own failure on a declaration, which then yields no file while every other declaration still does.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class AttentionGenerator : IIncrementalGenerator
{
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var pipelines = new List<(IncrementalValuesProvider<LayerModel> Models, LayerDefinition Definition)>();
        IncrementalValueProvider<EquatableArray<string>>? allNames = null;
        foreach (var definition in LayerDefinitions.All)
        {
            var models = context.SyntaxProvider
                .ForAttributeWithMetadataName(
                    definition.AttributeMetadataName,
                    static (node, _) => node is ClassDeclarationSyntax or RecordDeclarationSyntax,
                    (attributeContext, _) => Parse(attributeContext, definition))
                .WithTrackingName(definition.AttributeName);
            pipelines.Add((models, definition));

            var names = models.Select(static (model, _) => model.Declaration.HintName).Collect()
                .Select(static (names, _) => names.ToEquatableArray());
            allNames = allNames is null
                ? names
                : allNames.Value.Combine(names).Select(static (pair, _) => pair.Left.Concat(pair.Right).ToEquatableArray());
        }

        // Hint names must be unique ignoring case; the few that are not (Models.Encoder beside models.Encoder) get a suffix.
        var sharedHintNames = allNames!.Value
            .Select(static (names, _) => TypeDeclaration.NamesSharedIgnoringCase(names))
            .WithTrackingName(TrackingNames.SharedHintNames);
        foreach (var (models, definition) in pipelines)
        {
            var outcomes = models
                .Select((model, _) => Plan(model, definition))
                .Where(static outcome => outcome is not null)
                .WithTrackingName(TrackingNames.Plans);

            context.RegisterSourceOutput(outcomes.Combine(sharedHintNames), static (output, pair) => Emit(output, pair.Left!, pair.Right));
        }
    }

    private static LayerModel Parse(GeneratorAttributeSyntaxContext context, LayerDefinition definition)
    {
        var type = (INamedTypeSymbol)context.TargetSymbol;
        try
        {
            return DeclarationParser.Parse(type, context.Attributes[0], definition, DeclarationParser.LanguageVersionOf(context.TargetNode.SyntaxTree));
        }
        catch (Exception error)
        {
            return Failed(type, error);
        }
    }

    /// <summary>A plan for a valid declaration, the failure for one the generator could not handle, null for an invalid one (the analyzer says why).</summary>
    private static Outcome? Plan(LayerModel model, LayerDefinition definition)
    {
        try
        {
            if (model.InternalError is { } error)
            {
                return new Outcome(null, model.Declaration.FullName, error);
            }

            return LayerValidator.HasErrors(LayerValidator.Validate(model, definition))
                ? null
                : new Outcome(definition.Plan(model.Declaration, model.Spec) with { HiddenBaseMembers = model.Facts.HiddenBaseMembers }, model.Declaration.FullName, null);
        }
        catch (Exception error)
        {
            return new Outcome(null, model.Declaration.FullName, error.Message);
        }
    }

    private static void Emit(SourceProductionContext output, Outcome outcome, EquatableArray<string> sharedHintNames)
    {
        if (outcome.Plan is { } plan)
        {
            try
            {
                output.AddSource(plan.Declaration.HintNameAmong(sharedHintNames), SourceText.From(LayerFileEmitter.Emit(plan), System.Text.Encoding.UTF8));
                return;
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                outcome = outcome with { Failure = error.Message };
            }
        }

        output.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.GeneratorFailure, Location.None, outcome.TypeName, outcome.Failure));
    }

    private static LayerModel Failed(INamedTypeSymbol type, Exception error) =>
        new(new TypeDeclaration(null, type.Name, "class", EquatableArray<ContainingType>.Empty),
            new DeclarationFacts(true, false, false, false, 1, DeclarationParser.MinimumLanguageVersion, EquatableArray<string>.Empty, EquatableArray<string>.Empty),
            new ScaledDotProductAttentionSpec(),
            error.GetType().Name + ": " + error.Message);

    /// <summary>What the output step gets: a plan to emit, or why there is none.</summary>
    private sealed record Outcome(LayerPlan? Plan, string TypeName, string? Failure);
}
