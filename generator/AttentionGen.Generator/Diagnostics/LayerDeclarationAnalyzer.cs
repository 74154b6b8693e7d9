using System.Collections.Immutable;
using System.Linq;
using AttentionGen.Generator.Layers;
using AttentionGen.Generator.Parsing;
using AttentionGen.Generator.Validation;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace AttentionGen.Generator.Diagnostics;

/// <summary>
/// Reports the rules <see cref="LayerValidator"/> checks, at the place in the source that has to change. It reads a
/// declaration with the same <see cref="DeclarationParser"/> the generator uses, so the two can never disagree about
/// what a declaration means; the generator simply emits nothing for a declaration with an error.
/// </summary>
/// <remarks>
/// Where each diagnostic goes:
/// <list type="bullet">
/// <item>a rule about one property: the whole named argument, e.g. <c>Heads = 0</c>;</item>
/// <item>a required property that was left out: the attribute's name, e.g. <c>MultiHeadAttention</c>;</item>
/// <item>about the class (not partial, generic, static, file-local, C# version): its identifier, once per class;</item>
/// <item>a member the generated part also declares: that member, or the class identifier when it is the class's name;</item>
/// <item>more than one layer attribute: each attribute after the first, whole (name and arguments).</item>
/// </list>
/// </remarks>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class LayerDeclarationAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => DiagnosticDescriptors.All;

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            // Projects that do not reference AttentionGen pay nothing per type.
            if (LayerDefinitions.All.All(d => start.Compilation.GetTypeByMetadataName(d.AttributeMetadataName) is null))
            {
                return;
            }

            start.RegisterSymbolAction(AnalyzeType, SymbolKind.NamedType);
        });
    }

    private static void AnalyzeType(SymbolAnalysisContext context)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        if (type.TypeKind != TypeKind.Class)
        {
            return;
        }

        var layerAttributes = type.GetAttributes()
            .Select(attribute => (attribute, definition: attribute.AttributeClass is { } c ? LayerDefinitions.Find(c.ToDisplayString()) : null))
            .Where(a => a.definition is not null && a.attribute.ApplicationSyntaxReference is not null)
            .ToArray();

        for (var i = 0; i < layerAttributes.Length; i++)
        {
            var (attribute, definition) = layerAttributes[i];
            if (attribute.ApplicationSyntaxReference!.GetSyntax(context.CancellationToken) is not AttributeSyntax syntax)
            {
                continue;
            }

            if (HasUnboundArguments(attribute, syntax))
            {
                // The compiler reports an argument it cannot bind (an undefined name, a non-constant value); the rules
                // would judge the default it leaves behind and report that as the user's value ("Heads … is 0").
                continue;
            }

            var model = DeclarationParser.Parse(type, attribute, definition!, DeclarationParser.LanguageVersionOf(syntax.SyntaxTree));
            var isFirst = i == 0;
            foreach (var issue in LayerValidator.Validate(model, definition!))
            {
                switch (issue.Id)
                {
                    case DiagnosticIds.GeneratorFailure:
                        // The generator reports its own failures, including those it meets only while emitting.
                        break;

                    case DiagnosticIds.NotPartial or DiagnosticIds.Generic or DiagnosticIds.StaticClass or DiagnosticIds.FileLocalType
                        or DiagnosticIds.LanguageVersionTooLow or DiagnosticIds.UnconstructibleType:
                        // About the class, not the attribute: say it once.
                        if (isFirst)
                        {
                            Report(context, issue, ClassIdentifierLocation(syntax, type));
                        }

                        break;

                    case DiagnosticIds.MemberNameCollision:
                        ReportCollision(context, issue, syntax, type);
                        break;

                    case DiagnosticIds.MultipleLayerAttributes:
                        // The first attribute is the layer; each further one is the mistake.
                        if (!isFirst)
                        {
                            Report(context, issue, syntax.GetLocation());
                        }

                        break;

                    default:
                        ReportOnArgument(context, issue, syntax);
                        break;
                }
            }
        }
    }

    /// <summary>Whether a named argument in the source is missing from the bound attribute, or bound to an error.</summary>
    private static bool HasUnboundArguments(AttributeData attribute, AttributeSyntax syntax)
    {
        int written = syntax.ArgumentList?.Arguments.Count(a => a.NameEquals is not null) ?? 0;
        int bound = attribute.NamedArguments.Count(a => a.Value.Kind != TypedConstantKind.Error);
        return bound < written;
    }

    /// <summary>On each of the user's members of that name, or on the class's identifier when the class has the name.</summary>
    private static void ReportCollision(SymbolAnalysisContext context, ValidationIssue issue, AttributeSyntax syntax, INamedTypeSymbol type)
    {
        var name = issue.MessageArgs[0];
        var members = DeclarationParser.UserMembersNamed(type, name).ToArray();
        if (members.Length == 0)
        {
            Report(context, issue, ClassIdentifierLocation(syntax, type));
            return;
        }

        foreach (var member in members)
        {
            Report(context, issue, member.Locations.FirstOrDefault(l => l.IsInSource) ?? ClassIdentifierLocation(syntax, type));
        }
    }

    private static void ReportOnArgument(SymbolAnalysisContext context, ValidationIssue issue, AttributeSyntax attribute)
    {
        // The validator cannot tell a dimension written as 0 from one left out (both read as 0) and names neither;
        // the syntax can. Written out, point at it and say it is 0; left out, point at the attribute and say it is not set.
        var property = issue.Property;
        var args = issue.MessageArgs.AsSpan().ToArray();
        if (property is null && issue.Id == DiagnosticIds.NonPositiveDimension && args.Length == 2 && args[1] == Rules.NotSet
            && FindArgument(attribute, args[0]) is not null)
        {
            property = args[0];
            args[1] = "0";
        }

        var location = property is not null && FindArgument(attribute, property) is { } argument
            ? argument.GetLocation()
            : attribute.Name.GetLocation();
        context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.For(issue.Id), location, args));
    }

    private static AttributeArgumentSyntax? FindArgument(AttributeSyntax attribute, string property) =>
        attribute.ArgumentList?.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == property);

    /// <summary>The identifier of the class declaration that carries the attribute (a partial class may have several).</summary>
    private static Location ClassIdentifierLocation(AttributeSyntax attribute, INamedTypeSymbol type)
    {
        var declaration = attribute.FirstAncestorOrSelf<TypeDeclarationSyntax>()
            ?? type.DeclaringSyntaxReferences.Select(r => r.GetSyntax()).OfType<TypeDeclarationSyntax>().FirstOrDefault();
        return declaration?.Identifier.GetLocation() ?? attribute.GetLocation();
    }

    private static void Report(SymbolAnalysisContext context, ValidationIssue issue, Location location) =>
        context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.For(issue.Id), location, issue.MessageArgs.AsSpan().ToArray()));
}
