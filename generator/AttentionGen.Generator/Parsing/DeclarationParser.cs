using System;
using System.Collections.Generic;
using System.Linq;
using AttentionGen.Generator.Emit;
using AttentionGen.Generator.Layers;
using AttentionGen.Generator.Model;
using AttentionGen.Generator.Validation;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace AttentionGen.Generator.Parsing;

/// <summary>
/// Turns a type symbol and one of its layer attributes into a <see cref="LayerModel"/>. Shared by the generator and
/// the analyzer, so the two read a declaration the same way.
/// </summary>
internal static class DeclarationParser
{
    /// <summary>The oldest C# the generated code compiles with (it uses static abstract interface members and collection expressions).</summary>
    public const int MinimumLanguageVersion = 12;

    public static LayerModel Parse(INamedTypeSymbol type, AttributeData attribute, LayerDefinition definition, LanguageVersion languageVersion)
    {
        var declaration = DeclarationOf(type);
        LayerSpec spec;
        try
        {
            spec = definition.Read(attribute);
        }
        catch (InvalidOperationException error)
        {
            return new LayerModel(declaration, FactsOf(type, languageVersion, EquatableArray<string>.Empty, EquatableArray<string>.Empty), new ScaledDotProductAttentionSpec(), error.Message);
        }

        // Which user members the generated part would declare again needs the plan, and a plan needs a valid spec.
        var specIssues = new List<ValidationIssue>();
        definition.Validate(spec, specIssues);
        var generated = LayerValidator.HasErrors(specIssues) ? EquatableArray<string>.Empty : definition.Plan(declaration, spec).Body.GeneratedMembers;
        return new LayerModel(declaration, FactsOf(type, languageVersion, CollidingMembers(type, generated), HiddenBaseMembers(type, generated)), spec);
    }

    /// <summary>The effective C# version of a tree.</summary>
    public static LanguageVersion LanguageVersionOf(SyntaxTree tree) =>
        tree.Options is CSharpParseOptions options ? options.LanguageVersion.MapSpecifiedToEffectiveVersion() : LanguageVersion.Latest;

    public static int CountLayerAttributes(INamedTypeSymbol type) =>
        type.GetAttributes().Count(a => a.AttributeClass is { } c && LayerDefinitions.Find(c.ToDisplayString()) is not null);

    /// <summary>The user's own members called <paramref name="name"/> (not the generated part's, not compiler-made ones).</summary>
    public static IEnumerable<ISymbol> UserMembersNamed(INamedTypeSymbol type, string name) =>
        type.GetMembers(name).Where(member => !member.IsImplicitlyDeclared && member.DeclaringSyntaxReferences.Any(r => !IsGenerated(r.SyntaxTree)));

    /// <summary>A name as C# must spell it: a reserved keyword needs <c>@</c> (<c>@event</c>).</summary>
    public static string Identifier(string name) =>
        SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;

    /// <summary>Generated names the user already declares; the type's own name counts too (a member cannot share it, CS0542).</summary>
    private static EquatableArray<string> CollidingMembers(INamedTypeSymbol type, EquatableArray<string> generated)
    {
        var colliding = new List<string>();
        foreach (var name in generated)
        {
            if (name == type.Name || UserMembersNamed(type, name).Any())
            {
                colliding.Add(name);
            }
        }

        // The generated argument checks name their parameters with nameof(…), which a member called nameof would take over.
        if (generated.Count > 0 && UserMembersNamed(type, "nameof").Any())
        {
            colliding.Add("nameof");
        }

        return colliding.ToEquatableArray();
    }

    /// <summary>
    /// Generated names that a base class has too, where this class can see them (they would warn CS0108): its own
    /// members, and, when the base is a layer itself, what the generator adds to it (not yet in this compilation).
    /// </summary>
    private static EquatableArray<string> HiddenBaseMembers(INamedTypeSymbol type, EquatableArray<string> generated)
    {
        var inBases = new HashSet<string>();
        for (var baseType = type.BaseType; baseType is not null; baseType = baseType.BaseType)
        {
            inBases.UnionWith(baseType.GetMembers().Where(m => m.DeclaredAccessibility != Accessibility.Private).Select(m => m.Name));
            if (LayerBodyOf(baseType) is { } baseBody)
            {
                inBases.UnionWith(baseBody.GeneratedMembers);
            }
        }

        return generated.Where(inBases.Contains).ToEquatableArray();
    }

    /// <summary>The analyzer sees the generated trees too; their members are ours, not the user's.</summary>
    private static bool IsGenerated(SyntaxTree tree) =>
        tree.FilePath.IndexOf(typeof(AttentionGenerator).FullName, StringComparison.Ordinal) >= 0;

    private static TypeDeclaration DeclarationOf(INamedTypeSymbol type)
    {
        var containing = new List<ContainingType>();
        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            containing.Insert(0, new ContainingType(KeywordOf(outer), Identifier(outer.Name)));
        }

        var ns = type.ContainingNamespace is { IsGlobalNamespace: false } n
            ? string.Join(".", NamespaceParts(n).Select(Identifier))
            : null;
        return new TypeDeclaration(ns, Identifier(type.Name), KeywordOf(type), containing.ToEquatableArray());
    }

    private static DeclarationFacts FactsOf(INamedTypeSymbol type, LanguageVersion languageVersion, EquatableArray<string> colliding, EquatableArray<string> hidden)
    {
        var isPartial = IsPartial(type);
        var isGeneric = type.IsGenericType;
        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            isPartial &= IsPartial(outer);
            isGeneric |= outer.IsGenericType;
        }

        return new DeclarationFacts(isPartial, isGeneric, type.IsStatic, IsFileLocal(type), CountLayerAttributes(type),
            (int)languageVersion / 100, colliding, hidden,
            IsRecord: type.IsRecord,
            HasPrimaryConstructor: type.DeclaringSyntaxReferences.Any(r => r.GetSyntax() is TypeDeclarationSyntax { ParameterList: not null }),
            BaseWithoutParameterlessConstructor: BaseWithoutParameterlessConstructor(type),
            DeclaresWeightsConstructor: type.InstanceConstructors.Any(c => !c.IsImplicitlyDeclared
                && c.DeclaringSyntaxReferences.Any(r => !IsGenerated(r.SyntaxTree))
                && c.Parameters.Length == 1 && c.Parameters[0].Type.Name == "Weights"));
    }

    /// <summary>See <see cref="DeclarationFacts.BaseWithoutParameterlessConstructor"/>.</summary>
    private static string? BaseWithoutParameterlessConstructor(INamedTypeSymbol type)
    {
        var baseType = type.BaseType;
        if (baseType is null || baseType.SpecialType == SpecialType.System_Object)
        {
            return null;
        }

        // The generator's own constructor on a base layer is not in this compilation yet (it is when the analyzer runs,
        // which is why generated constructors are left out here and counted through the base's plan instead).
        var declared = baseType.InstanceConstructors
            .Where(c => !c.IsImplicitlyDeclared && !c.DeclaringSyntaxReferences.Any(r => IsGenerated(r.SyntaxTree)))
            .ToList();
        if (declared.Count == 0 && !(LayerBodyOf(baseType) is { } baseBody && WeightsEmitter.ConstructsFromWeights(baseBody)))
        {
            return null;
        }

        return declared.Any(c => c.DeclaredAccessibility != Accessibility.Private && c.Parameters.All(p => p.IsOptional || p.IsParams))
            ? null
            : baseType.ToDisplayString();
    }

    /// <summary>
    /// What the generator adds to <paramref name="type"/> when it is a valid layer (the plan's body), for a class deriving
    /// from it: that part is not in this compilation yet. Null when the type carries no layer attribute or an invalid one.
    /// </summary>
    private static LayerBody? LayerBodyOf(INamedTypeSymbol type)
    {
        foreach (var attribute in type.GetAttributes())
        {
            if (attribute.AttributeClass is { } c && LayerDefinitions.Find(c.ToDisplayString()) is { } definition)
            {
                var issues = new List<ValidationIssue>();
                var spec = definition.Read(attribute);
                definition.Validate(spec, issues);
                return LayerValidator.HasErrors(issues) ? null : definition.Plan(DeclarationOf(type), spec).Body;
            }
        }

        return null;
    }

    private static IEnumerable<string> NamespaceParts(INamespaceSymbol ns)
    {
        var parts = new Stack<string>();
        for (var current = ns; current is { IsGlobalNamespace: false }; current = current.ContainingNamespace)
        {
            parts.Push(current.Name);
        }

        return parts;
    }

    private static bool IsFileLocal(INamedTypeSymbol type)
    {
        for (var current = type; current is not null; current = current.ContainingType)
        {
            if (current.DeclaringSyntaxReferences.Any(r =>
                    r.GetSyntax() is TypeDeclarationSyntax declaration && declaration.Modifiers.Any(SyntaxKind.FileKeyword)))
            {
                return true;
            }
        }

        return false;
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
}
