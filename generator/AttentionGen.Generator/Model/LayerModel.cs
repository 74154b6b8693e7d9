namespace AttentionGen.Generator.Model;

/// <summary>
/// What the user declared, exactly as written: raw attribute values (0 = not set) and the facts about the class that
/// validation needs. It holds no Roslyn symbols, syntax or locations, so the incremental pipeline can compare and cache it.
/// </summary>
internal sealed record LayerModel(
    LayerKind Kind,
    string? Namespace,
    string ClassName,
    string TypeKeyword,
    string Accessibility,
    EquatableArray<ContainingType> ContainingTypes,
    bool IsPartial,
    bool IsGeneric,
    int LayerAttributeCount,
    LayerOptions Options)
{
    /// <summary>The fully qualified name, for hint names and messages, e.g. <c>MyApp.Outer.Encoder</c>.</summary>
    public string FullName
    {
        get
        {
            var prefix = Namespace is null ? "" : Namespace + ".";
            foreach (var type in ContainingTypes)
            {
                prefix += type.Name + ".";
            }

            return prefix + ClassName;
        }
    }
}

/// <summary>A type that encloses the declared class; the generated part must repeat it.</summary>
internal sealed record ContainingType(string Keyword, string Name) : System.IEquatable<ContainingType>;

/// <summary>The attribute's named arguments as written. Properties a layer kind does not have stay at their defaults.</summary>
internal sealed record LayerOptions
{
    public int ModelDim { get; init; }
    public int Heads { get; init; }
    public int KvHeads { get; init; }
    public int HeadDim { get; init; }
    public int MaxSeqLen { get; init; }
    public int MaxKvSeqLen { get; init; }
    public bool Causal { get; init; }
    public float Scale { get; init; }
    public float Softcap { get; init; }
    public bool Bias { get; init; } = true;
    public int KvInputDim { get; init; }
    public int InputDim { get; init; }
    public int OutputDim { get; init; }
}
