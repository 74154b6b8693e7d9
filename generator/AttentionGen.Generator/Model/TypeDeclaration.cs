namespace AttentionGen.Generator.Model;

/// <summary>
/// Where the generated part goes: the declared type's namespace, its enclosing types and its own name. Names are kept
/// as C# spells them in source (keywords escaped with <c>@</c>) so the emitter can write them as they are.
/// </summary>
internal sealed record TypeDeclaration(string? Namespace, string Name, string Keyword, EquatableArray<ContainingType> ContainingTypes)
{
    /// <summary>The dotted name with containing types, e.g. <c>MyApp.Outer.Encoder</c>, for messages.</summary>
    public string FullName
    {
        get
        {
            var prefix = Namespace is null ? "" : Namespace + ".";
            foreach (var type in ContainingTypes)
            {
                prefix += type.Name + ".";
            }

            return prefix + Name;
        }
    }

    /// <summary>
    /// The generated file's name: the full name without <c>@</c> escapes (<c>class.Layers.Encoder.g.cs</c>). Full names
    /// are unique in a compilation for the types the generator accepts (file-local types are rejected), so hint names are too.
    /// </summary>
    public string HintName => FullName.Replace("@", "") + ".g.cs";
}

/// <summary>A type that encloses the declared class; the generated part must repeat it.</summary>
internal sealed record ContainingType(string Keyword, string Name);
