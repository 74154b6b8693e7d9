namespace AttentionGen.Kernels;

/// <summary>
/// Argument checks for generated <c>Forward</c> methods. They run once per call, before any work, and name the
/// parameter and the sizes involved so a caller can see what to fix.
/// </summary>
public static class Guard
{
    /// <summary>
    /// Every check of an attention call on caller-provided Q, K, V and output: the lengths are within their bounds, each
    /// span holds its rows, and the output overlaps no input (the tiles write output rows while later ones still read Q).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A length is outside <c>1..max</c>.</exception>
    /// <exception cref="ArgumentException">A span is too short, or the output overlaps an input.</exception>
    public static void AttentionCall(
        ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, ReadOnlySpan<float> output,
        int seqLen, int kvSeqLen, int maxSeqLen, int maxKvSeqLen, int queryWidth, int kvWidth)
    {
        Length(seqLen, maxSeqLen, nameof(seqLen));
        Length(kvSeqLen, maxKvSeqLen, nameof(kvSeqLen));
        HasRows(query, seqLen, queryWidth, nameof(query));
        HasRows(key, kvSeqLen, kvWidth, nameof(key));
        HasRows(value, kvSeqLen, kvWidth, nameof(value));
        HasRows(output, seqLen, queryWidth, nameof(output));
        DoesNotOverlap(output, query, nameof(output), nameof(query));
        DoesNotOverlap(output, key, nameof(output), nameof(key));
        DoesNotOverlap(output, value, nameof(output), nameof(value));
    }

    /// <summary>Throws unless <c>1 ≤ length ≤ max</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is outside <c>1..max</c>.</exception>
    public static void Length(int length, int max, string paramName)
    {
        if (length < 1 || length > max)
        {
            throw new ArgumentOutOfRangeException(paramName, length,
                $"{paramName} must be between 1 and {max} (the layer's declared maximum), but it is {length}.");
        }
    }

    /// <summary>Throws unless <paramref name="span"/> holds at least <c>rows × rowWidth</c> floats.</summary>
    /// <exception cref="ArgumentException">The span is too short.</exception>
    public static void HasRows(ReadOnlySpan<float> span, int rows, int rowWidth, string paramName)
    {
        var needed = (long)rows * rowWidth;
        if (span.Length < needed)
        {
            throw new ArgumentException(
                $"{paramName} has {span.Length} floats, but {rows} rows of {rowWidth} need {needed}.", paramName);
        }
    }

    /// <summary>Throws unless <paramref name="span"/> holds exactly <c>rows × rowWidth</c> floats.</summary>
    /// <exception cref="ArgumentException">The span has another length.</exception>
    public static void HasExactly(ReadOnlySpan<float> span, int rows, int rowWidth, string paramName)
    {
        var needed = (long)rows * rowWidth;
        if (span.Length != needed)
        {
            throw new ArgumentException(
                $"{paramName} has {span.Length} floats, but it must be [{rows}, {rowWidth}] = {needed}.", paramName);
        }
    }

    /// <summary>Throws when <paramref name="output"/> shares memory with <paramref name="input"/>.</summary>
    /// <exception cref="ArgumentException">The spans overlap: the output would overwrite input still to be read.</exception>
    public static void DoesNotOverlap(ReadOnlySpan<float> output, ReadOnlySpan<float> input, string outputName, string inputName)
    {
        if (output.Overlaps(input))
        {
            throw new ArgumentException(
                $"{outputName} overlaps {inputName}: the layer reads {inputName} while it writes {outputName}, so they must be separate memory.", outputName);
        }
    }

    /// <summary>
    /// Throws unless <paramref name="tokenIds"/> holds 1 to <paramref name="maxTokens"/> ids, each in <c>0..vocab−1</c>.
    /// The message names the first id out of range and where it is.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The count or an id is out of range.</exception>
    public static void TokenIds(ReadOnlySpan<int> tokenIds, int vocab, int maxTokens, string paramName)
    {
        if (tokenIds.Length < 1 || tokenIds.Length > maxTokens)
        {
            throw new ArgumentOutOfRangeException(paramName, tokenIds.Length,
                $"{paramName} must hold between 1 and {maxTokens} tokens (the model's declared maximum), but it holds {tokenIds.Length}.");
        }

        Ids(tokenIds, vocab, paramName, "vocabulary");
    }

    /// <summary>Throws unless <paramref name="token"/> is in <c>0..vocab−1</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">It is not.</exception>
    public static void TokenId(int token, int vocab, string paramName)
    {
        if ((uint)token >= (uint)vocab)
        {
            throw new ArgumentOutOfRangeException(paramName, token, $"{paramName} is {token}, outside the vocabulary (0 to {vocab - 1}).");
        }
    }

    /// <summary>Throws unless every id in <paramref name="tokenIds"/> is in <c>0..vocab−1</c> (a packed batch, whose lengths are checked apart).</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is out of range.</exception>
    public static void TokenIdsInRange(ReadOnlySpan<int> tokenIds, int vocab, string paramName) => Ids(tokenIds, vocab, paramName, "vocabulary");

    /// <summary>Throws unless <paramref name="tokenTypeIds"/> is empty (every token type 0) or one id per token, each in <c>0..types−1</c>.</summary>
    /// <exception cref="ArgumentException">The count differs from the tokens'.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An id is out of range.</exception>
    public static void TokenTypeIds(ReadOnlySpan<int> tokenTypeIds, int tokens, int types, string paramName)
    {
        if (tokenTypeIds.IsEmpty)
        {
            return;
        }

        if (tokenTypeIds.Length != tokens)
        {
            throw new ArgumentException($"{paramName} holds {tokenTypeIds.Length} ids for {tokens} tokens; pass one per token, or none for all type 0.", paramName);
        }

        Ids(tokenTypeIds, types, paramName, "token-type table");
    }

    /// <summary>
    /// Checks a packed batch's <paramref name="lengths"/>: at least one sequence, each of 1 to <paramref name="maxSeqLen"/>
    /// tokens. Returns their sum, the batch's tokens.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="lengths"/> is empty, or sums past <see cref="int.MaxValue"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A length is outside <c>1..maxSeqLen</c>.</exception>
    public static int PackedLengths(ReadOnlySpan<int> lengths, int maxSeqLen, string paramName)
    {
        if (lengths.IsEmpty)
        {
            throw new ArgumentException($"{paramName} is empty: a batch needs at least one sequence.", paramName);
        }

        long sum = 0;
        for (int i = 0; i < lengths.Length; i++)
        {
            if (lengths[i] < 1 || lengths[i] > maxSeqLen)
            {
                throw new ArgumentOutOfRangeException(paramName, lengths[i],
                    $"{paramName}[{i}] must be between 1 and {maxSeqLen} (the declared maximum), but it is {lengths[i]}.");
            }

            sum += lengths[i];
        }

        if (sum > int.MaxValue)
        {
            throw new ArgumentException($"{paramName} sum to {sum} tokens, more than one call can take.", paramName);
        }

        return (int)sum;
    }

    /// <summary>Throws unless a packed batch's lengths sum to the tokens its data holds.</summary>
    /// <exception cref="ArgumentException">They differ.</exception>
    public static void SameTokenCount(int lengthsSum, int tokens, string lengthsName, string tokensName)
    {
        if (lengthsSum != tokens)
        {
            throw new ArgumentException($"{lengthsName} sum to {lengthsSum} tokens, but {tokensName} holds {tokens}.", lengthsName);
        }
    }

    /// <summary>
    /// Throws unless <paramref name="attentionMask"/> is a Hugging Face <c>attention_mask</c> for <paramref name="tokens"/>
    /// tokens: exactly one value per token, each 1 (attend) or 0 (padding), and at least one 1, since a sequence of
    /// padding alone has nothing to attend to or average. The message names the first bad value and where it is.
    /// </summary>
    /// <exception cref="ArgumentException">The length differs, a value is not 0 or 1, or every token is masked.</exception>
    public static void AttentionMask(ReadOnlySpan<int> attentionMask, int tokens, string paramName)
    {
        if (attentionMask.Length != tokens)
        {
            throw new ArgumentException($"{paramName} holds {attentionMask.Length} values for {tokens} tokens; it needs exactly one per token (1 = attend, 0 = padding).", paramName);
        }

        MaskValues(attentionMask, 0, tokens, paramName);
    }

    /// <summary>
    /// Checks a padded batch: <paramref name="tokens"/> ids laid out <c>[batchSize, maxLen]</c>, with an
    /// <paramref name="attentionMask"/> of the same layout, each row a valid mask (0s and 1s, at least one 1). Returns
    /// <c>maxLen</c>, which must be 1 to <paramref name="maxSeqLen"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is below 1, or <c>maxLen</c> is out of range.</exception>
    /// <exception cref="ArgumentException">The tokens are not whole rows, the mask's length differs, a value is not 0 or 1, or a row is all padding.</exception>
    public static int PaddedBatch(int tokens, ReadOnlySpan<int> attentionMask, int batchSize, int maxSeqLen, string tokensName, string maskName, string batchSizeName)
    {
        if (batchSize < 1)
        {
            throw new ArgumentOutOfRangeException(batchSizeName, batchSize, $"{batchSizeName} must be at least 1, but it is {batchSize}.");
        }

        if (tokens % batchSize != 0)
        {
            throw new ArgumentException($"{tokensName} holds {tokens} ids, which is not {batchSizeName} ({batchSize}) rows of equal length.", tokensName);
        }

        int maxLen = tokens / batchSize;
        if (maxLen < 1 || maxLen > maxSeqLen)
        {
            throw new ArgumentOutOfRangeException(tokensName, maxLen,
                $"{tokensName} has rows of {maxLen} tokens ({tokens} ids / {batchSize} rows), but a row must hold between 1 and {maxSeqLen} (the declared maximum).");
        }

        if (attentionMask.Length != tokens)
        {
            throw new ArgumentException($"{maskName} holds {attentionMask.Length} values for {tokens} tokens; it needs exactly one per token, [{batchSizeName}, maxLen].", maskName);
        }

        for (int row = 0; row < batchSize; row++)
        {
            MaskValues(attentionMask, row * maxLen, maxLen, maskName);
        }

        return maxLen;
    }

    private static void MaskValues(ReadOnlySpan<int> attentionMask, int start, int count, string paramName)
    {
        bool anyToken = false;
        for (int i = start; i < start + count; i++)
        {
            int value = attentionMask[i];
            if (value is not (0 or 1))
            {
                throw new ArgumentException($"{paramName}[{i}] is {value}; a mask holds only 1 (attend) and 0 (padding).", paramName);
            }

            anyToken |= value == 1;
        }

        if (!anyToken)
        {
            throw new ArgumentException(count == attentionMask.Length
                ? $"{paramName} masks every token: at least one must be 1, or there is nothing to attend to."
                : $"{paramName} masks every token of row {start / count} ({paramName}[{start}..{start + count - 1}]): each row needs at least one 1.", paramName);
        }
    }

    private static void Ids(ReadOnlySpan<int> ids, int count, string paramName, string table)
    {
        for (int i = 0; i < ids.Length; i++)
        {
            if ((uint)ids[i] >= (uint)count)
            {
                throw new ArgumentOutOfRangeException(paramName, ids[i],
                    $"{paramName}[{i}] is {ids[i]}, outside the {table} (0 to {count - 1}).");
            }
        }
    }

    /// <summary>
    /// Throws unless <paramref name="count"/> new tokens (at least one) fit a cache of <paramref name="capacity"/>
    /// positions that already holds <paramref name="position"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">No tokens, or more than the cache has room for.</exception>
    public static void CacheRoom(int count, int position, int capacity, string paramName)
    {
        if (count < 1)
        {
            throw new ArgumentOutOfRangeException(paramName, count, $"{paramName} is empty: give at least one token.");
        }

        if (count > capacity - position)
        {
            throw new ArgumentOutOfRangeException(paramName, count,
                $"{paramName} has {count} tokens, but the cache holds {capacity} positions and {position} are used, so {capacity - position} fit. " +
                "Call Reset or Rewind first; nothing was changed.");
        }
    }

    /// <summary>
    /// Throws unless a cache of <paramref name="capacity"/> positions that holds <paramref name="position"/> has room for one
    /// more token: a decode step on a full cache is a call the instance's state does not allow, not a bad argument.
    /// </summary>
    /// <exception cref="InvalidOperationException">The cache is full.</exception>
    public static void CacheNotFull(int position, int capacity)
    {
        if (position >= capacity)
        {
            throw new InvalidOperationException(
                $"The cache is full: all {capacity} positions (MaxSeqLen) are used. Call Reset, or Rewind to an earlier position, " +
                "before the next DecodeStep; nothing was changed.");
        }
    }

    /// <summary>
    /// Throws unless a decoder's cache is empty (<paramref name="position"/> is 0) when its weights are swapped: the cached
    /// keys and values were computed with the old weights, and the steps after would attend to them as the new weights' own.
    /// </summary>
    /// <exception cref="InvalidOperationException">The cache holds positions.</exception>
    public static void CacheEmptyForNewWeights(int position)
    {
        if (position != 0)
        {
            throw new InvalidOperationException(
                $"The cache holds {position} positions computed with the current weights; with new weights the next call would attend to them " +
                "as the new weights' own, matching neither model. Call Reset first (and Prefill again); nothing was changed.");
        }
    }

    /// <summary>Throws unless <c>0 ≤ position ≤ current</c>: a rewind can only go back.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="position"/> is negative or past <paramref name="current"/>.</exception>
    public static void RewindPosition(int position, int current, string paramName)
    {
        if (position < 0 || position > current)
        {
            throw new ArgumentOutOfRangeException(paramName, position, $"{paramName} must be between 0 and the current position {current}, but it is {position}.");
        }
    }
}
