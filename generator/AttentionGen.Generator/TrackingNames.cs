namespace AttentionGen.Generator;

/// <summary>Names of the incremental pipeline's steps, so caching tests can assert on each one.</summary>
public static class TrackingNames
{
    /// <summary>Each layer attribute's declarations are tracked under the attribute's name (<c>MultiHeadAttention</c>).</summary>
    public const string ScaledDotProductAttention = nameof(ScaledDotProductAttention);
    public const string MultiHeadAttention = nameof(MultiHeadAttention);
    public const string AttentionPooling = nameof(AttentionPooling);

    /// <summary>Valid declarations, planned; or the reason the generator could not plan one.</summary>
    public const string Plans = nameof(Plans);

    /// <summary>The hint names that more than one declaration shares ignoring case, which get a suffix.</summary>
    public const string SharedHintNames = nameof(SharedHintNames);
}
