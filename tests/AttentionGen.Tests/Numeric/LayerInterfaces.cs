namespace AttentionGen.Tests.Numeric;

// The generated members satisfy these, so tests can drive any declared layer through one type (and users can put
// their layers behind their own interfaces the same way).

internal interface IScaledDotProduct
{
    void Forward(ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, Span<float> output, int seqLen, int kvSeqLen);

    void Forward(ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, ReadOnlySpan<float> additiveMask, Span<float> output, int seqLen, int kvSeqLen);
}

internal interface ISelfAttention
{
    void Forward(ReadOnlySpan<float> input, Span<float> output, int seqLen);
}

internal interface ICrossAttention
{
    void Forward(ReadOnlySpan<float> input, ReadOnlySpan<float> context, Span<float> output, int seqLen, int contextLen);
}

internal interface IMaskedAttention : ISelfAttention, ICrossAttention
{
    void Forward(ReadOnlySpan<float> input, ReadOnlySpan<float> additiveMask, Span<float> output, int seqLen);

    void Forward(ReadOnlySpan<float> input, ReadOnlySpan<float> context, ReadOnlySpan<float> additiveMask, Span<float> output, int seqLen, int contextLen);
}

internal interface IPooling
{
    void Forward(ReadOnlySpan<float> input, Span<float> output, int seqLen);

    void Forward(ReadOnlySpan<float> input, Span<float> output, Span<float> attentionWeights, int seqLen);
}

internal interface ITransformerBlock
{
    void Forward(ReadOnlySpan<float> input, Span<float> output, int seqLen);

    void Forward(ReadOnlySpan<float> input, Span<float> output, ReadOnlySpan<int> lengths);
}

internal interface IMaskedTransformerBlock : ITransformerBlock
{
    void Forward(ReadOnlySpan<float> input, Span<float> output, int seqLen, ReadOnlySpan<int> attentionMask);
}

internal interface IDecoder
{
    int Position { get; }

    void Prefill(ReadOnlySpan<int> prompt, Span<float> lastLogits);

    void DecodeStep(int token, Span<float> logits);

    void Rewind(int position);

    void Reset();
}
