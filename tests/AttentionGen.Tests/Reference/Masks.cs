namespace AttentionGen.Tests.Reference;

/// <summary>Additive [seqLen, kvSeqLen] masks: 0 where a key is visible, -∞ where it is hidden.</summary>
internal static class Masks
{
    /// <summary>The AttentionGen causal rule as an explicit mask: query i sees keys j ≤ i + (kvSeqLen − seqLen).</summary>
    public static float[] BottomRightCausal(int seqLen, int kvSeqLen) => Build(seqLen, kvSeqLen, (i, j) => j <= i + (kvSeqLen - seqLen));

    /// <summary>Causal aligned at the top-left corner: query i sees keys j ≤ i, whatever the lengths.</summary>
    public static float[] TopLeftCausal(int seqLen, int kvSeqLen) => Build(seqLen, kvSeqLen, (i, j) => j <= i);

    /// <summary>
    /// Seeded finite values in [-scale, scale] with some -∞ entries (every <paramref name="hideEvery"/>-th key of row 0,
    /// as padding would) and row <paramref name="fullyMaskedRow"/> hidden entirely (if it exists).
    /// </summary>
    public static float[] Padding(int seed, int seqLen, int kvSeqLen, float scale = 3f, int hideEvery = 3, int fullyMaskedRow = 1)
    {
        var mask = TestData.Uniform(seed, seqLen * kvSeqLen, scale);
        for (int j = 0; j < kvSeqLen; j += hideEvery)
        {
            mask[j] = float.NegativeInfinity;
        }

        if (fullyMaskedRow < seqLen)
        {
            Array.Fill(mask, float.NegativeInfinity, fullyMaskedRow * kvSeqLen, kvSeqLen);
        }

        return mask;
    }

    private static float[] Build(int seqLen, int kvSeqLen, Func<int, int, bool> visible)
    {
        var mask = new float[seqLen * kvSeqLen];
        for (int i = 0; i < seqLen; i++)
        {
            for (int j = 0; j < kvSeqLen; j++)
            {
                mask[i * kvSeqLen + j] = visible(i, j) ? 0 : float.NegativeInfinity;
            }
        }

        return mask;
    }
}
