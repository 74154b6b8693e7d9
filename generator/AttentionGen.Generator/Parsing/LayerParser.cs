using System.Collections.Generic;
using System.Linq;
using AttentionGen.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace AttentionGen.Generator.Parsing;

/// <summary>
/// Turns a class symbol and one of its layer attributes into a <see cref="LayerModel"/>. Shared by the generator and
/// the analyzer so both read a declaration the same way.
/// </summary>
internal static class LayerParser
{
    public static LayerModel Parse(INamedTypeSymbol type, AttributeData attribute, LayerKind kind)
    {
        var containing = new List<ContainingType>();
        var isPartial = IsPartial(type);
        var isGeneric = type.IsGenericType;
        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            containing.Insert(0, new ContainingType(KeywordOf(outer), outer.Name));
            isPartial &= IsPartial(outer);
            isGeneric |= outer.IsGenericType;
        }

        return new LayerModel(
            kind,
            type.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() : null,
            type.Name,
            KeywordOf(type),
            AccessibilityKeyword(type.DeclaredAccessibility),
            containing.ToEquatableArray(),
            isPartial,
            isGeneric,
            CountLayerAttributes(type),
            ReadOptions(attribute));
    }

    public static int CountLayerAttributes(INamedTypeSymbol type) =>
        type.GetAttributes().Count(a => a.AttributeClass is { } c && AttributeNames.KindOf(c.ToDisplayString()) is not null);

    private static LayerOptions ReadOptions(AttributeData attribute)
    {
        var options = new LayerOptions();
        foreach (var argument in attribute.NamedArguments)
        {
            var value = argument.Value.Value;
            options = (argument.Key, value) switch
            {
                ("ModelDim", int v) => options with { ModelDim = v },
                ("Heads", int v) => options with { Heads = v },
                ("KvHeads", int v) => options with { KvHeads = v },
                ("HeadDim", int v) => options with { HeadDim = v },
                ("MaxSeqLen", int v) => options with { MaxSeqLen = v },
                ("MaxKvSeqLen", int v) => options with { MaxKvSeqLen = v },
                ("Causal", bool v) => options with { Causal = v },
                ("Scale", float v) => options with { Scale = v },
                ("Softcap", float v) => options with { Softcap = v },
                ("Bias", bool v) => options with { Bias = v },
                ("KvInputDim", int v) => options with { KvInputDim = v },
                ("InputDim", int v) => options with { InputDim = v },
                ("OutputDim", int v) => options with { OutputDim = v },
                _ => options,
            };
        }

        return options;
    }

    private static bool IsPartial(INamedTypeSymbol type) =>
        type.DeclaringSyntaxReferences.Any(r =>
            r.GetSyntax() is TypeDeclarationSyntax declaration && declaration.Modifiers.Any(SyntaxKind.PartialKeyword));

    private static string KeywordOf(INamedTypeSymbol type) => type switch
    {
        { IsRecord: true, TypeKind: TypeKind.Struct } => "record struct",
        { IsRecord: true } => "record",
        { TypeKind: TypeKind.Struct } => "struct",
        { TypeKind: TypeKind.Interface } => "interface",
        _ => "class",
    };

    private static string AccessibilityKeyword(Accessibility accessibility) => accessibility switch
    {
        Accessibility.Public => "public",
        Accessibility.Internal => "internal",
        Accessibility.Private => "private",
        Accessibility.Protected => "protected",
        Accessibility.ProtectedOrInternal => "protected internal",
        Accessibility.ProtectedAndInternal => "private protected",
        _ => "internal",
    };
}
