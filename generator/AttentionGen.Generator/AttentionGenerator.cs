using AttentionGen.Generator.Emit;
using AttentionGen.Generator.Model;
using AttentionGen.Generator.Parsing;
using AttentionGen.Generator.Planning;
using AttentionGen.Generator.Validation;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace AttentionGen.Generator;

/// <summary>
/// The pipeline: find classes with a layer attribute, parse each into an equatable model, keep the valid ones, plan,
/// emit. Diagnostics come from <see cref="Diagnostics.LayerDeclarationAnalyzer"/>, never from here, so an error in
/// one declaration cannot disturb the cached output of another.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class AttentionGenerator : IIncrementalGenerator
{
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var scaledDotProduct = Declarations(context, AttributeNames.ScaledDotProductAttention, LayerKind.ScaledDotProductAttention, TrackingNames.ScaledDotProductAttention);
        var multiHead = Declarations(context, AttributeNames.MultiHeadAttention, LayerKind.MultiHeadAttention, TrackingNames.MultiHeadAttention);
        var pooling = Declarations(context, AttributeNames.AttentionPooling, LayerKind.AttentionPooling, TrackingNames.AttentionPooling);

        foreach (var layers in new[] { scaledDotProduct, multiHead, pooling })
        {
            var plans = layers
                .Where(static model => !LayerValidator.HasErrors(LayerValidator.Validate(model)))
                .Select(static (model, _) => LayerPlanner.Plan(model))
                .WithTrackingName(TrackingNames.Plans);

            context.RegisterSourceOutput(plans, static (output, plan) =>
                output.AddSource(plan.HintName, SourceText.From(LayerEmitter.Emit(plan), System.Text.Encoding.UTF8)));
        }
    }

    private static IncrementalValuesProvider<LayerModel> Declarations(
        IncrementalGeneratorInitializationContext context, string attributeName, LayerKind kind, string trackingName) =>
        context.SyntaxProvider
            .ForAttributeWithMetadataName(
                attributeName,
                static (node, _) => node is ClassDeclarationSyntax or RecordDeclarationSyntax,
                (attributeContext, _) => LayerParser.Parse((INamedTypeSymbol)attributeContext.TargetSymbol, attributeContext.Attributes[0], kind))
            .WithTrackingName(trackingName);
}
