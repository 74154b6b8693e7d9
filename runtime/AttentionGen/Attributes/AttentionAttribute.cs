namespace AttentionGen;

/// <summary>
/// Options shared by the attention layer attributes. The generator reads these at compile time and emits
/// code specialized on them, so every value must be a constant.
/// </summary>
public abstract class AttentionAttribute : Attribute
{
    /// <summary>Number of query heads. Required.</summary>
    public int Heads { get; set; }

    /// <summary>Number of key/value heads; 0 means <see cref="Heads"/>. <c>Heads % KvHeads</c> must be 0 (1 gives multi-query attention).</summary>
    public int KvHeads { get; set; }

    /// <summary>Width of each head. Required on <see cref="ScaledDotProductAttentionAttribute"/>; on
    /// <see cref="MultiHeadAttentionAttribute"/> 0 means <c>ModelDim / Heads</c>.</summary>
    public int HeadDim { get; set; }

    /// <summary>Upper bound on the query length; the run-time <c>seqLen</c> may be anything from 1 up to it. Required.</summary>
    public int MaxSeqLen { get; set; }

    /// <summary>Upper bound on the key/value length; 0 means <see cref="MaxSeqLen"/>.</summary>
    public int MaxKvSeqLen { get; set; }

    /// <summary>
    /// When true, query <c>i</c> sees only keys <c>j ≤ i + (kvSeqLen − seqLen)</c>: bottom-right aligned, so the mask stays
    /// right when the keys include a cached prefix. A query row that sees no key at all produces zeros.
    /// </summary>
    public bool Causal { get; set; }

    /// <summary>Softmax scale applied to <c>Q·Kᵀ</c>; 0 means <c>1/√HeadDim</c>.</summary>
    public float Scale { get; set; }

    /// <summary>When positive, scores become <c>Softcap · tanh(scores / Softcap)</c> before masking; 0 turns it off.</summary>
    public float Softcap { get; set; }
}
