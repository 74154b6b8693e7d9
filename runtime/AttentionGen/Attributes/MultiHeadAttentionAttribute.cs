namespace AttentionGen;

/// <summary>
/// Declares multi-head attention with Q, K, V and output projections (PyTorch <c>nn.Linear</c> weights named
/// <c>q_proj</c>, <c>k_proj</c>, <c>v_proj</c>, <c>o_proj</c>). The generator adds
/// <c>Forward(input, output, seqLen)</c> for self-attention (when <see cref="KvInputDim"/> is 0 or equals
/// <see cref="ModelDim"/>) and, when <see cref="KvInputDim"/> is set, <c>Forward(input, context, output, seqLen, contextLen)</c>
/// for cross-attention; with <see cref="AdditiveMask"/>, an overload of each that also takes a mask.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class MultiHeadAttentionAttribute : AttentionAttribute
{
    /// <summary>Width of the input and output rows. Required.</summary>
    public int ModelDim { get; set; }

    /// <summary>Whether the projections have biases. Defaults to true.</summary>
    public bool Bias { get; set; } = true;

    /// <summary>Width of the context rows for cross-attention; 0 means self-attention only.</summary>
    public int KvInputDim { get; set; }

    /// <summary>
    /// Whether to add <c>Forward</c> overloads taking an additive mask, <c>[seqLen, kvSeqLen]</c>, added to every head's
    /// scores before the softmax: −∞ hides a key (padding in a batch of sentences, say), 0 leaves it. Defaults to false.
    /// </summary>
    public bool AdditiveMask { get; set; }
}
