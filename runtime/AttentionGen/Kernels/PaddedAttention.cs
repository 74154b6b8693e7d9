using AttentionGen.Kernels.Attention;

namespace AttentionGen.Kernels;

/// <summary>
/// Self-attention of one padded sequence under a Hugging Face <c>attention_mask</c> (1 = attend, 0 = padding), masked
/// on keys only. Rather than add a <c>[seqLen, seqLen]</c> mask of 0 and −∞, it drops the padded keys and values and
/// attends over the rest: the same softmax (a −∞ score contributes exactly 0), no mask scratch, and no work on padding
/// keys.
/// </summary>
/// <typeparam name="TShape">The generated shape of the block's attention core.</typeparam>
public static class PaddedAttention<TShape>
    where TShape : struct, IAttentionShape
{
    /// <summary>
    /// Attends <paramref name="seqLen"/> query rows to the keys <paramref name="attentionMask"/> keeps. Every query row is
    /// computed, padding included. Causal: row i sees the kept keys j ≤ i, and a row that sees none comes out zeros.
    /// </summary>
    /// <param name="query">[seqLen, Heads·HeadDim].</param>
    /// <param name="key">[seqLen, KvHeads·HeadDim]; overwritten: the kept rows end up first, in order.</param>
    /// <param name="value">As <paramref name="key"/>.</param>
    /// <param name="attentionMask">One 0 or 1 per token, at least one 1 (the caller has checked it with <see cref="Guard.AttentionMask"/>).</param>
    /// <param name="output">[seqLen, Heads·HeadDim], separate from every input.</param>
    /// <param name="seqLen">Tokens, padding included.</param>
    /// <param name="scores">The core's score scratch, as <see cref="AttentionCore{TShape}.Attend"/> takes it.</param>
    /// <param name="keyPanels">The core's Kᵀ panel scratch, as <see cref="AttentionCore{TShape}.Attend"/> takes it.</param>
    public static void Attend(
        ReadOnlySpan<float> query, Span<float> key, Span<float> value, ReadOnlySpan<int> attentionMask, Span<float> output, int seqLen,
        Span<float> scores, Span<float> keyPanels)
    {
        int queryWidth = TShape.Heads * TShape.HeadDim, kvWidth = TShape.KvHeads * TShape.HeadDim;
        int kept = PaddingRows.Compact(key, attentionMask, kvWidth);
        PaddingRows.Compact(value, attentionMask, kvWidth);

        // One call per run of tokens or of padding, so the real rows of a right-padded sequence make exactly the call the
        // shorter sequence makes (bit-identical results). Causal: row r of a run of m sees the core's bottom-right-aligned
        // r + (kvSeqLen − m) + 1 keys, which is exactly the kept keys up to it when kvSeqLen counts the kept keys up to
        // the run's end; a padding row sees every kept key before it, so it goes alone (a lone causal row sees all keys).
        int seen = 0;
        int token = 0;
        while (token < seqLen)
        {
            int start = token;
            bool isToken = attentionMask[token] != 0;
            while (token < seqLen && (attentionMask[token] != 0) == isToken)
            {
                token++;
            }

            int rows = token - start;
            if (isToken)
            {
                seen += rows;
            }

            int visible = TShape.IsCausal ? seen : kept;
            Span<float> runOutput = output.Slice(start * queryWidth, rows * queryWidth);
            if (visible == 0)
            {
                // Causal padding before the first token: it sees no key, and attention of nothing is zeros.
                runOutput.Clear();
                continue;
            }

            if (isToken || !TShape.IsCausal)
            {
                AttentionCore<TShape>.Attend(query.Slice(start * queryWidth, rows * queryWidth), key.Slice(0, visible * kvWidth), value.Slice(0, visible * kvWidth),
                    default, runOutput, rows, visible, scores, keyPanels);
                continue;
            }

            for (int row = start; row < token; row++)
            {
                AttentionCore<TShape>.Attend(query.Slice(row * queryWidth, queryWidth), key.Slice(0, visible * kvWidth), value.Slice(0, visible * kvWidth),
                    default, output.Slice(row * queryWidth, queryWidth), 1, visible, scores, keyPanels);
            }
        }
    }
}

/// <summary>Rows of a padded sequence, reduced to its tokens.</summary>
internal static class PaddingRows
{
    /// <summary>
    /// Moves the rows <paramref name="attentionMask"/> keeps (its nonzero entries) to the front of
    /// <paramref name="rows"/>, in order, and returns how many there are; the rows past them are left as they were.
    /// </summary>
    /// <param name="rows">[attentionMask.Length, width], token-major.</param>
    /// <param name="attentionMask">One int per row: nonzero keeps it.</param>
    /// <param name="width">Floats per row.</param>
    public static int Compact(Span<float> rows, ReadOnlySpan<int> attentionMask, int width)
    {
        Guard.HasRows(rows, attentionMask.Length, width, nameof(rows));
        int kept = 0;
        for (int row = 0; row < attentionMask.Length; row++)
        {
            if (attentionMask[row] != 0)
            {
                if (kept != row)
                {
                    rows.Slice(row * width, width).CopyTo(rows.Slice(kept * width, width));
                }

                kept++;
            }
        }

        return kept;
    }
}
