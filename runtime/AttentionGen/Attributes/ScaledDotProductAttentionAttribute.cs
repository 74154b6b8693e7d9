namespace AttentionGen;

/// <summary>
/// Declares a weightless attention core, <c>softmax(Q·Kᵀ·scale + mask)·V</c>, over already projected heads.
/// The generator adds <c>Forward(query, key, value, output, seqLen, kvSeqLen)</c> and an overload taking an additive
/// mask shaped <c>[seqLen, kvSeqLen]</c>. Query and output are <c>[seqLen, Heads·HeadDim]</c>; key and value are
/// <c>[kvSeqLen, KvHeads·HeadDim]</c>, row-major.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class ScaledDotProductAttentionAttribute : AttentionAttribute
{
}
