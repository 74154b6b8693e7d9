namespace AttentionGen.Kernels.Attention;

/// <summary>
/// The compile-time shape and plan of one attention core. A generated layer implements it on a private struct, and the
/// runtime's attention kernels are generic over that struct. A struct type argument gets its own compiled code, so to
/// the JIT every member here is a constant: loops over <see cref="HeadDim"/> have constant bounds and every branch on
/// the plan folds away, exactly as if the kernel had been written out for this one shape.
/// </summary>
public interface IAttentionShape
{
    /// <summary>Query heads.</summary>
    static abstract int Heads { get; }

    /// <summary>Key/value heads; <see cref="Heads"/> is a multiple of it (grouped-query attention when smaller).</summary>
    static abstract int KvHeads { get; }

    /// <summary>Width of each head.</summary>
    static abstract int HeadDim { get; }

    /// <summary>Multiplies Q·Kᵀ before the softmax.</summary>
    static abstract float Scale { get; }

    /// <summary>Scores become <c>Softcap·tanh(score/Softcap)</c> before the mask; 0 turns it off.</summary>
    static abstract float Softcap { get; }

    /// <summary>Query <c>i</c> sees keys <c>j ≤ i + (kvSeqLen − seqLen)</c> (bottom-right aligned).</summary>
    static abstract bool IsCausal { get; }

    /// <summary>Row stride of the score scratch: a multiple of 16 and of every tile's panel, at least MaxKvSeqLen.</summary>
    static abstract int ScoreStride { get; }

    /// <summary>Rows of the score scratch: the tallest tile's rows, and at least the heads the row path stacks.</summary>
    static abstract int ScoreRows { get; }

    /// <summary>
    /// Keys per Kᵀ panel of the Vector512 tile (16, 32, 48 or 64: narrower when no call can have 64 keys), or 0 when
    /// the Vector512 path has no tile (the head is narrower than a Vector512 but not 8 wide, or too wide for tiles) and
    /// goes to the next tile or row by row. A tile needs <see cref="HeadDim"/> at least its vector's lanes (a head that
    /// is not whole vectors ends on a vector that overlaps the one before it), except a head of 8 on Vector512, whose
    /// P·V weighs two keys per vector (<see cref="KeyPairValues"/>).
    /// </summary>
    static abstract int PanelKeys512 { get; }

    /// <summary>Whether the Vector256 path has a tile (the head is at least one Vector256 wide).</summary>
    static abstract bool HasTile256 { get; }

    /// <summary>Whether the Vector128 path has a tile (the head is at least one Vector128 wide).</summary>
    static abstract bool HasTile128 { get; }

    /// <summary>Keys per chunk of the tiles' online softmax, or 0 for the exact two-pass softmax.</summary>
    static abstract int OnlineChunk { get; }
}
