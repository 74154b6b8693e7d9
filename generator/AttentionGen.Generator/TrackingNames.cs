namespace AttentionGen.Generator;

/// <summary>Names of the incremental pipeline's steps, so caching tests can assert on each one.</summary>
public static class TrackingNames
{
    public const string ScaledDotProductAttention = nameof(ScaledDotProductAttention);
    public const string MultiHeadAttention = nameof(MultiHeadAttention);
    public const string AttentionPooling = nameof(AttentionPooling);
    public const string Plans = nameof(Plans);
}
