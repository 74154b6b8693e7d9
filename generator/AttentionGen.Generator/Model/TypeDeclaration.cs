using System;
using System.Globalization;
using System.Linq;

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
    /// are unique in a compilation for the types the generator accepts (file-local types are rejected), but Roslyn
    /// compares hint names ignoring case, so two types differing only in case (<c>Models.Encoder</c>,
    /// <c>models.Encoder</c>) need <see cref="HintNameAmong"/>.
    /// </summary>
    public string HintName => FullName.Replace("@", "") + ".g.cs";

    /// <summary>
    /// <see cref="HintName"/>, or, when it is among <paramref name="sharedIgnoringCase"/>, that name with a hash of its
    /// exact spelling before <c>.g.cs</c>. A repeated hint name made Roslyn drop every generated file of the compilation.
    /// </summary>
    public string HintNameAmong(EquatableArray<string> sharedIgnoringCase)
    {
        var name = HintName;
        foreach (var shared in sharedIgnoringCase)
        {
            if (string.Equals(shared, name, StringComparison.OrdinalIgnoreCase))
            {
                return name.Substring(0, name.Length - ".g.cs".Length) + "." + StableHash(name).ToString("x8", CultureInfo.InvariantCulture) + ".g.cs";
            }
        }

        return name;
    }

    /// <summary>The hint names (lower-cased) that two or more different spellings share ignoring case.</summary>
    public static EquatableArray<string> NamesSharedIgnoringCase(EquatableArray<string> hintNames) =>
        hintNames.Distinct(StringComparer.Ordinal)
            .GroupBy(name => name.ToLowerInvariant(), StringComparer.Ordinal)
            .Where(group => group.Count() > 1)
            .Select(group => group.Key)
            .OrderBy(name => name, StringComparer.Ordinal)
            .ToEquatableArray();

    /// <summary>FNV-1a over the name's UTF-16 code units: the same on every run and machine, unlike <c>string.GetHashCode</c>.</summary>
    private static uint StableHash(string text)
    {
        uint hash = 2166136261;
        foreach (char c in text)
        {
            hash = (hash ^ c) * 16777619;
        }

        return hash;
    }
}

/// <summary>A type that encloses the declared class; the generated part must repeat it.</summary>
internal sealed record ContainingType(string Keyword, string Name);
