namespace AttentionGen;

/// <summary>The feed-forward network's activation in a transformer block.</summary>
public enum ActivationKind
{
    /// <summary>GELU in its exact form, <c>0.5·x·(1 + erf(x/√2))</c> (BERT, PyTorch's default <c>nn.GELU()</c>).</summary>
    Gelu = 0,

    /// <summary>GELU's tanh approximation, <c>0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))</c> (GPT-2, <c>approximate="tanh"</c>).</summary>
    GeluTanh = 1,

    /// <summary><c>max(0, x)</c>.</summary>
    Relu = 2,
}

/// <summary>The normalization in a transformer block.</summary>
public enum NormKind
{
    /// <summary>LayerNorm: <c>(x − mean) / √(var + ε) · γ + β</c> over each row, with the biased variance (PyTorch, BERT).</summary>
    LayerNorm = 0,
}

/// <summary>How an encoder turns its last hidden state into one sentence embedding.</summary>
public enum PoolingKind
{
    /// <summary>The mean over the sentence's tokens (sentence-transformers' default).</summary>
    Mean = 0,

    /// <summary>The first token's hidden state ([CLS]).</summary>
    Cls = 1,

    /// <summary>No embedding: the encoder gives hidden states only.</summary>
    None = 2,
}
