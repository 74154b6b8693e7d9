namespace AttentionGen.Generator.Model;

internal enum LayerKind
{
    ScaledDotProductAttention,
    MultiHeadAttention,
    AttentionPooling,
}
