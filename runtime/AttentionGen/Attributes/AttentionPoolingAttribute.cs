namespace AttentionGen;

/// <summary>
/// Declares attention pooling: <c>αᵢ = softmaxᵢ(xᵢ·w + b)</c>, <c>pooled = Σ αᵢ xᵢ</c>, <c>y = W_o·pooled + b_o</c>.
/// Weights are <c>score.weight [1, InputDim]</c>, <c>score.bias [1]</c>, <c>output.weight [OutputDim, InputDim]</c>
/// and <c>output.bias [OutputDim]</c>. The generator adds <c>Forward(input, output, seqLen)</c> and an overload that
/// also writes the attention weights <c>α</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class AttentionPoolingAttribute : Attribute
{
    /// <summary>Width of each input row. Required.</summary>
    public int InputDim { get; set; }

    /// <summary>Upper bound on the sequence length. Required.</summary>
    public int MaxSeqLen { get; set; }

    /// <summary>Width of the output. Required.</summary>
    public int OutputDim { get; set; }
}
