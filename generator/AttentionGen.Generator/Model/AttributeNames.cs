namespace AttentionGen.Generator.Model;

/// <summary>
/// The attributes' full metadata names. They are strings because the generator does not reference the runtime
/// assembly that defines them.
/// </summary>
internal static class AttributeNames
{
    public const string ScaledDotProductAttention = "AttentionGen.ScaledDotProductAttentionAttribute";
    public const string MultiHeadAttention = "AttentionGen.MultiHeadAttentionAttribute";
    public const string AttentionPooling = "AttentionGen.AttentionPoolingAttribute";

    public static LayerKind? KindOf(string metadataName) => metadataName switch
    {
        ScaledDotProductAttention => LayerKind.ScaledDotProductAttention,
        MultiHeadAttention => LayerKind.MultiHeadAttention,
        AttentionPooling => LayerKind.AttentionPooling,
        _ => null,
    };
}
