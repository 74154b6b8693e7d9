namespace AttentionGen.Generator.Layers;

/// <summary>
/// What one layer attribute said, read by <see cref="Parsing.AttributeReader"/>: one record per attribute, one
/// property per attribute property with the same name and type, initialized to the attribute's default. Records, so
/// the incremental pipeline compares them by value.
/// </summary>
internal abstract record LayerSpec;

/// <summary>The properties every attention attribute shares (<c>AttentionAttribute</c> in the runtime).</summary>
internal abstract record AttentionSpec : LayerSpec
{
    public int Heads { get; init; }

    public int KvHeads { get; init; }

    public int HeadDim { get; init; }

    public int MaxSeqLen { get; init; }

    public int MaxKvSeqLen { get; init; }

    public bool Causal { get; init; }

    public float Scale { get; init; }

    public float Softcap { get; init; }
}

/// <summary><c>[ScaledDotProductAttention]</c>: the attention core alone.</summary>
internal sealed record ScaledDotProductAttentionSpec : AttentionSpec;

/// <summary><c>[MultiHeadAttention]</c>: Q/K/V projections, the core, the output projection.</summary>
internal sealed record MultiHeadAttentionSpec : AttentionSpec
{
    public int ModelDim { get; init; }

    public bool Bias { get; init; } = true;

    public int KvInputDim { get; init; }

    public bool AdditiveMask { get; init; }
}

/// <summary><c>[AttentionPooling]</c>: a score per position, a softmax over positions, a weighted sum, an output layer.</summary>
internal sealed record AttentionPoolingSpec : LayerSpec
{
    public int InputDim { get; init; }

    public int MaxSeqLen { get; init; }

    public int OutputDim { get; init; }
}
