using System.Collections.Generic;
using AttentionGen.Generator.Emit;
using AttentionGen.Generator.Model;
using AttentionGen.Generator.Parsing;
using AttentionGen.Generator.Validation;
using Microsoft.CodeAnalysis;

namespace AttentionGen.Generator.Layers;

/// <summary>
/// One layer attribute, end to end: how its arguments are read, which rules they must meet, how they compose into
/// components, and how the layer's public surface (constants, <c>Forward</c> overloads) is written around them.
/// <see cref="LayerDefinitions.All"/> lists every definition; the generator and the analyzer take nothing else.
/// </summary>
internal abstract class LayerDefinition
{
    /// <summary>The attribute's full metadata name, e.g. <c>AttentionGen.MultiHeadAttentionAttribute</c>.</summary>
    public abstract string AttributeMetadataName { get; }

    /// <summary>The attribute as users write it, e.g. <c>MultiHeadAttention</c>; also the pipeline step's tracking name.</summary>
    public abstract string AttributeName { get; }

    /// <summary>Reads the attribute's named arguments onto this kind's spec.</summary>
    public abstract LayerSpec Read(AttributeData attribute);

    /// <summary>Adds every rule the spec breaks to <paramref name="issues"/>.</summary>
    public abstract void Validate(LayerSpec spec, List<ValidationIssue> issues);

    /// <summary>Plans a valid spec: defaults resolved, components chosen and sized.</summary>
    public abstract LayerPlan Plan(TypeDeclaration declaration, LayerSpec spec);

    /// <summary>Writes the members of the generated part for a plan this definition made.</summary>
    public abstract void Emit(SourceWriter writer, LayerPlan plan);

    /// <summary>Interfaces the generated part adds to the class (<c>global::</c>-qualified), or none.</summary>
    public virtual string? BaseList(LayerPlan plan) => null;
}

/// <summary>A <see cref="LayerDefinition"/> over its own spec type, so each kind works with its own record.</summary>
internal abstract class LayerDefinition<TSpec, TBody> : LayerDefinition
    where TSpec : LayerSpec, new()
    where TBody : LayerBody
{
    public sealed override LayerSpec Read(AttributeData attribute) => AttributeReader.Read<TSpec>(attribute, AttributeName);

    public sealed override void Validate(LayerSpec spec, List<ValidationIssue> issues) => Validate((TSpec)spec, issues);

    public sealed override LayerPlan Plan(TypeDeclaration declaration, LayerSpec spec) =>
        new(declaration, AttributeMetadataName, Plan((TSpec)spec));

    public sealed override void Emit(SourceWriter writer, LayerPlan plan) => Emit(writer, plan.Declaration, (TBody)plan.Body);

    public sealed override string? BaseList(LayerPlan plan) => BaseList((TBody)plan.Body);

    protected virtual string? BaseList(TBody body) => null;

    protected abstract void Validate(TSpec spec, List<ValidationIssue> issues);

    protected abstract TBody Plan(TSpec spec);

    protected abstract void Emit(SourceWriter writer, TypeDeclaration declaration, TBody body);
}
