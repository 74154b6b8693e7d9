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
}
