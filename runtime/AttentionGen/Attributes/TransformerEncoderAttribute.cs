namespace AttentionGen;

/// <summary>
/// Declares a whole BERT-family encoder: token, position and token-type embeddings, a LayerNorm, <see cref="Layers"/>
/// post-norm transformer blocks, and optionally a pooled, L2-normalized sentence embedding (a sentence-transformers model such as
/// all-MiniLM-L6-v2). Weights carry Hugging Face <c>BertModel</c> names (<c>embeddings.word_embeddings.weight</c>,
/// <c>encoder.layer.0.attention.self.query.weight</c>, …); a checkpoint with a prefix such as <c>bert.</c> loads with it.
/// </summary>
/// <remarks>
/// The generator adds <c>Forward(tokenIds, hiddenStates)</c> (with an overload taking token-type ids),
/// <c>Encode(tokenIds, embedding)</c>, and <c>EncodeBatch(tokenIds, lengths, embeddings)</c> over a packed batch:
/// sentences concatenated with no padding, the linear layers run over every token at once, attention within each
/// sentence. With <see cref="PaddingMask"/> it also takes padded input with a Hugging Face <c>attention_mask</c>.
/// </remarks>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class TransformerEncoderAttribute : Attribute
{
    /// <summary>Tokens in the vocabulary. Required.</summary>
    public int Vocab { get; set; }

    /// <summary>Rows of the position embedding table (BERT's max_position_embeddings). Required.</summary>
    public int MaxPositions { get; set; }

    /// <summary>Rows of the token-type embedding table (BERT's type_vocab_size). Defaults to 2.</summary>
    public int TypeVocab { get; set; } = 2;

    /// <summary>Transformer blocks. Required.</summary>
    public int Layers { get; set; }

    /// <summary>Width of the hidden states. Required.</summary>
    public int ModelDim { get; set; }

    /// <summary>Attention heads. Required.</summary>
    public int Heads { get; set; }

    /// <summary>Width of each head; 0 means <c>ModelDim / Heads</c>.</summary>
    public int HeadDim { get; set; }

    /// <summary>Softmax scale applied to <c>Q·Kᵀ</c>; 0 means <c>1/√HeadDim</c>.</summary>
    public float Scale { get; set; }

    /// <summary>Width of the feed-forward network's hidden layer. Required.</summary>
    public int FfnDim { get; set; }

    /// <summary>The feed-forward activation. Defaults to <see cref="ActivationKind.Gelu"/> (exact).</summary>
    public ActivationKind Activation { get; set; }

    /// <summary>The norm. Defaults to <see cref="NormKind.LayerNorm"/>.</summary>
    public NormKind Norm { get; set; }

    /// <summary>The norms' ε. Defaults to 1e-12, BERT's.</summary>
    public float NormEpsilon { get; set; } = 1e-12f;

    /// <summary>Whether the linear layers have biases. Defaults to true.</summary>
    public bool Bias { get; set; } = true;

    /// <summary>Longest sentence, in tokens ([CLS] and [SEP] included), a call may pass; at most <see cref="MaxPositions"/>. Required.</summary>
    public int MaxSeqLen { get; set; }

    /// <summary>
    /// Most tokens one call runs at once; a batch with more is run in groups of whole sentences. Sizes the scratch; 0
    /// means <see cref="MaxSeqLen"/>. Raise it to batch short sentences.
    /// </summary>
    public int MaxBatchTokens { get; set; }

    /// <summary>How hidden states become a sentence embedding. Defaults to <see cref="PoolingKind.Mean"/>.</summary>
    public PoolingKind Pooling { get; set; }

    /// <summary>Whether the embedding is scaled to unit length (cosine similarity becomes a dot product). Defaults to true.</summary>
    public bool Normalize { get; set; } = true;

    /// <summary>
    /// Adds the padded overloads for input laid out as ONNX Runtime or Hugging Face take it, with an
    /// <c>attention_mask</c> of one int per token (1 = a token, 0 = padding): <c>Forward(tokenIds, tokenTypeIds,
    /// attentionMask, hiddenStates)</c>, <c>Encode(tokenIds, attentionMask, embedding)</c>, and
    /// <c>EncodeBatch(tokenIds, attentionMask, batchSize, embeddings)</c> over <c>[batchSize, maxLen]</c>. Padding is
    /// masked on keys only (a padding row is still computed), positions are the row indices as in <c>BertModel</c>, and
    /// mean pooling averages the unmasked rows. Defaults to false.
    /// </summary>
    /// <remarks>
    /// It costs no scratch beyond one int per <see cref="MaxBatchTokens"/>. With <see cref="PoolingKind.Mean"/>, no token
    /// attends to padding and the mean skips it, so <c>Encode</c> and <c>EncodeBatch</c> run only the tokens, packed at
    /// their own positions: padding costs a scan of the mask, and a right-padded batch gives exactly (bit for bit) the
    /// packed batch's embeddings. <c>Forward</c> (every row's hidden state) and <see cref="PoolingKind.Cls"/> pooling (row
    /// 0, whatever the mask) run every row, with the padded keys dropped before attention.
    /// </remarks>
    public bool PaddingMask { get; set; }
}
