using AttentionGen.Generator.Model;

namespace AttentionGen.Generator.Layers;

/// <summary>A planned layer: where it goes, which definition made it, and its components. Pure data, equatable.</summary>
internal sealed record LayerPlan(TypeDeclaration Declaration, string AttributeMetadataName, LayerBody Body)
{
    /// <summary>Generated names that hide a base class's members (the base is a layer too).</summary>
    public EquatableArray<string> HiddenBaseMembers { get; init; } = EquatableArray<string>.Empty;
}

/// <summary>
/// A layer kind's plan: its components (each planned, with the member-name prefix it is emitted under) and whatever
/// the kind's own surface needs. <see cref="GeneratedMembers"/> lists every member name the generated part declares,
/// so a user member of the same name is a diagnostic rather than a compile error inside generated code.
/// </summary>
internal abstract record LayerBody
{
    public abstract EquatableArray<string> GeneratedMembers { get; }

    /// <summary>Every buffer an instance allocates, for the memory ceiling.</summary>
    public abstract EquatableArray<Planning.BufferPlan> Buffers { get; }
}
