using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace AttentionGen.Kernels;

/// <summary>
/// The input end of a transformer: token ids to token-major rows <c>[tokens, width]</c>, by looking rows up in
/// embedding tables stored row-major (<c>[vocab, width]</c>, as PyTorch's <c>nn.Embedding.weight</c>).
/// </summary>
/// <remarks>
/// Every id is checked against its table before any row is written, one comparison per token (nothing next to the
/// width's worth of adds per token), so a bad id is an exception naming the token rather than a read outside the table.
/// </remarks>
[SkipLocalsInit]
public static class EmbeddingKernels
{
    /// <summary>
    /// BERT's embedding sum: <c>output[t] = (word[tokenIds[t]] + type[tokenTypes[t]]) + position[firstPosition + t]</c>,
    /// added in the order Hugging Face's <c>BertEmbeddings</c> adds them.
    /// </summary>
    /// <param name="tokenIds">The token ids, each in <c>0 ≤ id &lt; wordTable.Length / width</c>.</param>
    /// <param name="tokenTypes">The segment ids, as many as <paramref name="tokenIds"/>, each a row of <paramref name="typeTable"/>; empty means every token is type 0.</param>
    /// <param name="firstPosition">The position of the first token (0 for a whole sequence; the cache length when decoding).</param>
    /// <param name="wordTable">The token embeddings, <c>[vocab, width]</c>.</param>
    /// <param name="positionTable">The position embeddings, <c>[maxPositions, width]</c>; must hold row <c>firstPosition + tokens − 1</c>.</param>
    /// <param name="typeTable">The token-type embeddings, <c>[types, width]</c>.</param>
    /// <param name="output">The rows, at least <c>tokens × width</c> floats, separate from every table.</param>
    /// <param name="width">The embedding width, at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">An id, type, position or count is out of range.</exception>
    /// <exception cref="ArgumentException">A table is not whole rows, a span is too short, or the output overlaps a table.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void EmbeddingSum(
        ReadOnlySpan<int> tokenIds, ReadOnlySpan<int> tokenTypes, int firstPosition,
        ReadOnlySpan<float> wordTable, ReadOnlySpan<float> positionTable, ReadOnlySpan<float> typeTable, Span<float> output, int width)
    {
        KernelChecks.AtLeast(width, 1, nameof(width));
        KernelChecks.AtLeast(firstPosition, 0, nameof(firstPosition));
        int vocabulary = TableRows(wordTable, width, nameof(wordTable));
        int positions = TableRows(positionTable, width, nameof(positionTable));
        int types = TableRows(typeTable, width, nameof(typeTable));
        int tokens = tokenIds.Length;
        if (!tokenTypes.IsEmpty && tokenTypes.Length != tokens)
        {
            throw new ArgumentException(
                $"tokenTypes has {tokenTypes.Length} entries but tokenIds has {tokens}; pass one type per token, or none for all type 0.", nameof(tokenTypes));
        }
        if ((long)firstPosition + tokens > positions)
        {
            throw new ArgumentOutOfRangeException(nameof(firstPosition), firstPosition,
                $"Positions {firstPosition} to {(long)firstPosition + tokens - 1} are needed, but positionTable has {positions} rows.");
        }
        Guard.HasRows(output, tokens, width, nameof(output));
        Guard.DoesNotOverlap(output, wordTable, nameof(output), nameof(wordTable));
        Guard.DoesNotOverlap(output, positionTable, nameof(output), nameof(positionTable));
        Guard.DoesNotOverlap(output, typeTable, nameof(output), nameof(typeTable));
        CheckIds(tokenIds, vocabulary, nameof(tokenIds), nameof(wordTable));
        CheckIds(tokenTypes, types, nameof(tokenTypes), nameof(typeTable));

        ref int ids = ref MemoryMarshal.GetReference(tokenIds);
        ref int typeIds = ref MemoryMarshal.GetReference(tokenTypes);
        ref float words = ref MemoryMarshal.GetReference(wordTable);
        ref float position = ref Unsafe.Add(ref MemoryMarshal.GetReference(positionTable), (nuint)firstPosition * (nuint)width);
        ref float typeRows = ref MemoryMarshal.GetReference(typeTable);
        ref float y = ref MemoryMarshal.GetReference(output);
        bool hasTypes = !tokenTypes.IsEmpty;
        nuint n = (nuint)width;
        for (nuint t = 0; t < (nuint)tokens; t++)
        {
            ref float word = ref Unsafe.Add(ref words, (nuint)Unsafe.Add(ref ids, t) * n);
            ref float type = ref hasTypes ? ref Unsafe.Add(ref typeRows, (nuint)Unsafe.Add(ref typeIds, t) * n) : ref typeRows;
            SumRow(ref word, ref type, ref Unsafe.Add(ref position, t * n), ref Unsafe.Add(ref y, t * n), n);
        }
    }

    /// <summary><c>output[t] = table[ids[t]]</c>: a plain embedding lookup (a decoder's token embedding).</summary>
    /// <param name="ids">The row ids, each in <c>0 ≤ id &lt; table.Length / width</c>.</param>
    /// <param name="table">The embeddings, <c>[rows, width]</c>.</param>
    /// <param name="output">The rows, at least <c>ids.Length × width</c> floats, separate from <paramref name="table"/>.</param>
    /// <param name="width">The embedding width, at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">An id or the width is out of range.</exception>
    /// <exception cref="ArgumentException">The table is not whole rows, the output is too short, or it overlaps the table.</exception>
    public static void Gather(ReadOnlySpan<int> ids, ReadOnlySpan<float> table, Span<float> output, int width)
    {
        KernelChecks.AtLeast(width, 1, nameof(width));
        int rows = TableRows(table, width, nameof(table));
        Guard.HasRows(output, ids.Length, width, nameof(output));
        Guard.DoesNotOverlap(output, table, nameof(output), nameof(table));
        CheckIds(ids, rows, nameof(ids), nameof(table));
        for (int t = 0; t < ids.Length; t++)
        {
            table.Slice(ids[t] * width, width).CopyTo(output.Slice(t * width, width));
        }
    }

    /// <summary>
    /// <c>output[t] = table[ids[t]]</c> from a table held as the GEMM panels of <see cref="PackedLinear.Pack"/>: a tied
    /// decoder's embedding table, which is its LM head too, so it is held as the head reads it.
    /// </summary>
    /// <param name="ids">The row ids, each in <c>0 ≤ id &lt; rows</c>.</param>
    /// <param name="panels">The table [rows, width], packed by <see cref="PackedLinear.Pack"/>.</param>
    /// <param name="rows">Rows of the table (the vocabulary).</param>
    /// <param name="output">The rows, at least <c>ids.Length × width</c> floats, separate from <paramref name="panels"/>.</param>
    /// <param name="width">The embedding width, at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">An id, the row count or the width is out of range.</exception>
    /// <exception cref="ArgumentException">The panels are shorter than the table needs, or the output is too short or overlaps them.</exception>
    public static void GatherPanels(ReadOnlySpan<int> ids, ReadOnlySpan<float> panels, int rows, Span<float> output, int width)
    {
        CheckPackedTable(ids, panels.Length, PackedLength(rows, width), rows, output, width);
        Guard.DoesNotOverlap(output, panels, nameof(output), nameof(panels));
        ref float table = ref MemoryMarshal.GetReference(panels);
        for (int t = 0; t < ids.Length; t++)
        {
            PackedLinear.ReadRow(ref table, width, ids[t], ref output[t * width]);
        }
    }

    /// <summary>
    /// As <see cref="GatherPanels"/>, from the bfloat16 panels of <see cref="PackedLinear.PackBfloat16"/>: each element is
    /// exactly the bfloat16 value, widened.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An id, the row count or the width is out of range.</exception>
    /// <exception cref="ArgumentException">The panels are shorter than the table needs, or the output too short.</exception>
    public static void GatherBfloat16Panels(ReadOnlySpan<int> ids, ReadOnlySpan<uint> panels, int rows, Span<float> output, int width)
    {
        CheckPackedTable(ids, panels.Length, PackedLength(rows, width) / 2, rows, output, width);
        ref uint table = ref MemoryMarshal.GetReference(panels);
        for (int t = 0; t < ids.Length; t++)
        {
            PackedLinear.ReadRowBfloat16(ref table, width, ids[t], ref output[t * width]);
        }
    }

    /// <summary>The packed length, in floats, of a [rows, width] table, or 0 where a count is out of range (checked after).</summary>
    private static long PackedLength(int rows, int width) => rows > 0 && width > 0 ? PackedLinear.PackedLength(rows, width) : 0;

    private static void CheckPackedTable(ReadOnlySpan<int> ids, int panelsLength, long needed, int rows, Span<float> output, int width)
    {
        KernelChecks.AtLeast(width, 1, nameof(width));
        KernelChecks.AtLeast(rows, 1, nameof(rows));
        if (panelsLength < needed)
        {
            throw new ArgumentException($"panels has {panelsLength} elements, but a packed [{rows}, {width}] table needs {needed}.", "panels");
        }

        Guard.HasRows(output, ids.Length, width, nameof(output));
        CheckIds(ids, rows, nameof(ids), "panels");
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SumRow(ref float word, ref float type, ref float position, ref float output, nuint width)
    {
        nuint i = 0;
        if (Vector512.IsHardwareAccelerated && width >= (nuint)Vector512<float>.Count)
        {
            EmbeddingLoops<Vector512Width, Vector512<float>>.SumRow(ref word, ref type, ref position, ref output, width, ref i);
        }
        if (Vector256.IsHardwareAccelerated && width - i >= (nuint)Vector256<float>.Count)
        {
            EmbeddingLoops<Vector256Width, Vector256<float>>.SumRow(ref word, ref type, ref position, ref output, width, ref i);
        }
        if (Vector128.IsHardwareAccelerated && width - i >= (nuint)Vector128<float>.Count)
        {
            EmbeddingLoops<Vector128Width, Vector128<float>>.SumRow(ref word, ref type, ref position, ref output, width, ref i);
        }
        for (; i < width; i++)
        {
            Unsafe.Add(ref output, i) = Unsafe.Add(ref word, i) + Unsafe.Add(ref type, i) + Unsafe.Add(ref position, i);
        }
    }

    private static int TableRows(ReadOnlySpan<float> table, int width, string paramName)
    {
        if (table.IsEmpty || table.Length % width != 0)
        {
            throw new ArgumentException(
                $"{paramName} has {table.Length} floats, which is not a whole, nonzero number of rows of {width}.", paramName);
        }
        return table.Length / width;
    }

    private static void CheckIds(ReadOnlySpan<int> ids, int rows, string idsName, string tableName)
    {
        for (int t = 0; t < ids.Length; t++)
        {
            if ((uint)ids[t] >= (uint)rows)
            {
                throw new ArgumentOutOfRangeException(idsName, ids[t],
                    $"{idsName}[{t}] is {ids[t]}, but {tableName} has rows 0 to {rows - 1}.");
            }
        }
    }
}

/// <summary>The row loop of <see cref="EmbeddingKernels.EmbeddingSum"/> at one vector width.</summary>
internal static class EmbeddingLoops<TWidth, TVector>
    where TWidth : struct, IVectorWidth<TVector>
    where TVector : struct
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SumRow(ref float word, ref float type, ref float position, ref float output, nuint width, ref nuint i)
    {
        nuint count = (nuint)TWidth.Count;
        for (; i + count <= width; i += count)
        {
            TVector sum = TWidth.Add(TWidth.Add(TWidth.Load(ref word, i), TWidth.Load(ref type, i)), TWidth.Load(ref position, i));
            TWidth.Store(sum, ref output, i);
        }
    }
}
