using AttentionGen.Kernels;
using AttentionGen.Tests.Reference;

namespace AttentionGen.Tests.Kernels;

/// <summary>
/// The embedding lookups (exact: the same float additions in the same order as BERT's; out of a tied table's GEMM panels,
/// the rows as packed), mean pooling and L2 normalization against float64, at widths that are not multiples of any
/// vector and at BERT's 384.
/// </summary>
[Trait("Category", "Numeric")]
public sealed class EmbeddingAndPoolingKernelsTests
{
    public static TheoryData<int> Widths() => [1, 3, 4, 7, 16, 17, 33, 64, 384, 1000];

    [Theory]
    [MemberData(nameof(Widths))]
    public void EmbeddingSum_IsWordPlusTypePlusPosition_PerToken(int width)
    {
        const int vocabulary = 50, positions = 20, types = 2, firstPosition = 5;
        float[] words = KernelReference.Uniform(vocabulary * width, -1f, 1f, seed: width);
        float[] positionTable = KernelReference.Uniform(positions * width, -1f, 1f, seed: width + 1);
        float[] typeTable = KernelReference.Uniform(types * width, -1f, 1f, seed: width + 2);
        int[] ids = [7, 0, 49, 7, 13, 2];
        int[] typeIds = [0, 0, 1, 1, 0, 1];

        float[] output = new float[ids.Length * width];
        EmbeddingKernels.EmbeddingSum(ids, typeIds, firstPosition, words, positionTable, typeTable, output, width);
        float[] noTypes = new float[ids.Length * width];
        EmbeddingKernels.EmbeddingSum(ids, [], firstPosition, words, positionTable, typeTable, noTypes, width);

        for (int t = 0; t < ids.Length; t++)
        {
            for (int j = 0; j < width; j++)
            {
                float position = positionTable[(firstPosition + t) * width + j];
                Assert.Equal(words[ids[t] * width + j] + typeTable[typeIds[t] * width + j] + position, output[t * width + j]);
                Assert.Equal(words[ids[t] * width + j] + typeTable[j] + position, noTypes[t * width + j]);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Gather_CopiesTheRows(int width)
    {
        float[] table = KernelReference.Uniform(10 * width, -1f, 1f, seed: width);
        int[] ids = [9, 0, 3, 3];
        float[] output = new float[ids.Length * width];
        EmbeddingKernels.Gather(ids, table, output, width);
        for (int t = 0; t < ids.Length; t++)
        {
            Assert.Equal(table.AsSpan(ids[t] * width, width).ToArray(), output.AsSpan(t * width, width).ToArray());
        }
    }

    [Fact]
    public void Embeddings_BadIdsAndTables_ThrowNamingThem_BeforeWritingAnything()
    {
        float[] words = new float[10 * 4], positions = new float[8 * 4], types = new float[2 * 4];
        float[] output = Enumerable.Repeat(7f, 3 * 4).ToArray();
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => EmbeddingKernels.EmbeddingSum([1, 10, 2], [], 0, words, positions, types, output, 4));
        Assert.Equal("tokenIds", error.ParamName);
        Assert.Contains("tokenIds[1] is 10", error.Message);
        Assert.All(output, v => Assert.Equal(7f, v));
        Assert.Equal("tokenIds", Assert.Throws<ArgumentOutOfRangeException>(() => EmbeddingKernels.EmbeddingSum([-1], [], 0, words, positions, types, output, 4)).ParamName);
        Assert.Equal("tokenTypes", Assert.Throws<ArgumentOutOfRangeException>(() => EmbeddingKernels.EmbeddingSum([1, 2], [0, 2], 0, words, positions, types, output, 4)).ParamName);
        Assert.Equal("tokenTypes", Assert.Throws<ArgumentException>(() => EmbeddingKernels.EmbeddingSum([1, 2], [0], 0, words, positions, types, output, 4)).ParamName);
        Assert.Equal("firstPosition", Assert.Throws<ArgumentOutOfRangeException>(() => EmbeddingKernels.EmbeddingSum([1, 2, 3], [], 6, words, positions, types, output, 4)).ParamName);
        Assert.Equal("wordTable", Assert.Throws<ArgumentException>(() => EmbeddingKernels.EmbeddingSum([1], [], 0, new float[41], positions, types, output, 4)).ParamName);
        Assert.Equal("output", Assert.Throws<ArgumentException>(() => EmbeddingKernels.EmbeddingSum([1, 2, 3, 4], [], 0, words, positions, types, output, 4)).ParamName);
        Assert.Equal("ids", Assert.Throws<ArgumentOutOfRangeException>(() => EmbeddingKernels.Gather([3, 10], words, output, 4)).ParamName);
        Assert.Equal("output", Assert.Throws<ArgumentException>(() => EmbeddingKernels.Gather([1], words, words.AsSpan(4, 4), 4)).ParamName);
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void MeanPool_MatchesFloat64(int width)
    {
        foreach (int tokens in new[] { 1, 2, 5, 128 })
        {
            float[] rows = KernelReference.Uniform(tokens * width + width, -3f, 3f, seed: width * 1000 + tokens);
            // The row past the pooled ones is padding: it must not be read.
            rows.AsSpan(tokens * width).Fill(float.NaN);
            double[] expected = Enumerable.Range(0, width).Select(j => Enumerable.Range(0, tokens).Sum(t => (double)rows[t * width + j]) / tokens).ToArray();
            float[] output = new float[width];
            PoolingKernels.MeanPool(rows, tokens, width, output);
            KernelReference.AssertClose(expected, output, 1e-5, floor: 1);
        }
    }

    [Fact]
    public void MeanPool_BadArguments_ThrowNamingThem()
    {
        float[] rows = new float[12];
        Assert.Equal("tokens", Assert.Throws<ArgumentOutOfRangeException>(() => PoolingKernels.MeanPool(rows, 0, 4, new float[4])).ParamName);
        Assert.Equal("rows", Assert.Throws<ArgumentException>(() => PoolingKernels.MeanPool(rows, 4, 4, new float[4])).ParamName);
        Assert.Equal("output", Assert.Throws<ArgumentException>(() => PoolingKernels.MeanPool(rows, 3, 4, new float[5])).ParamName);
        Assert.Equal("output", Assert.Throws<ArgumentException>(() => PoolingKernels.MeanPool(rows, 2, 4, rows.AsSpan(8, 4))).ParamName);
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void L2Normalize_GivesAUnitVector_MatchingFloat64(int width)
    {
        float[] vector = KernelReference.Uniform(width, -2f, 2f, seed: width);
        double norm = Math.Sqrt(vector.Sum(v => (double)v * v));
        double[] expected = vector.Select(v => v / norm).ToArray();
        PoolingKernels.L2Normalize(vector);
        KernelReference.AssertClose(expected, vector, 1e-6, floor: 1);
        Assert.Equal(1, Math.Sqrt(vector.Sum(v => (double)v * v)), 1e-6);
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void L2Normalize_ZeroVectorStaysZero_TinyVectorDividesByTheFloor_NaNSpreads(int width)
    {
        float[] zero = new float[width];
        PoolingKernels.L2Normalize(zero);
        Assert.All(zero, v => Assert.Equal(0f, v));

        float[] tiny = Enumerable.Repeat(1e-20f, width).ToArray();
        PoolingKernels.L2Normalize(tiny);
        Assert.All(tiny, v => Assert.Equal(1e-20 / 1e-12, v, 1e-14));

        float[] withNaN = KernelReference.Uniform(width, -1f, 1f, seed: width);
        withNaN[width / 2] = float.NaN;
        PoolingKernels.L2Normalize(withNaN);
        Assert.All(withNaN, v => Assert.True(float.IsNaN(v)));

        PoolingKernels.L2Normalize([]);
    }

    [Theory]
    [InlineData(7, 17)]
    [InlineData(64, 64)]
    [InlineData(130, 33)]
    [InlineData(200, 1)]
    public void GatherPanels_ReadEachRowOfThePackedTable_FloatAndBfloat16(int rows, int width)
    {
        // A tied decoder's table held as the LM head's panels: every row, wherever it falls in its panel and chunk.
        var table = TestData.Uniform(4, rows * width);
        var panels = new float[PackedLinear.PackedLength(rows, width)];
        PackedLinear.Pack(table, rows, width, panels);
        var pairs = new uint[PackedLinear.PackedLengthBfloat16(rows, width)];
        PackedLinear.PackBfloat16(table, rows, width, pairs);
        int[] ids = [.. Enumerable.Range(0, rows).Reverse(), 0, rows - 1, rows / 2];
        var output = new float[ids.Length * width];
        var widened = new float[ids.Length * width];

        EmbeddingKernels.GatherPanels(ids, panels, rows, output, width);
        EmbeddingKernels.GatherBfloat16Panels(ids, pairs, rows, widened, width);

        for (int t = 0; t < ids.Length; t++)
        {
            var row = table[(ids[t] * width)..((ids[t] + 1) * width)];
            Assert.Equal(row, output[(t * width)..((t + 1) * width)]);
            Assert.Equal(Array.ConvertAll(row, TestData.RoundToBfloat16), widened[(t * width)..((t + 1) * width)]);
        }
    }

    [Fact]
    public void GatherPanels_RefuseBadIdsAndShortSpans_BeforeWritingAnything()
    {
        const int Rows = 10, Width = 8;
        var pairs = new uint[PackedLinear.PackedLengthBfloat16(Rows, Width)];
        var output = new float[3 * Width];
        Array.Fill(output, 7f);

        var id = Assert.Throws<ArgumentOutOfRangeException>(() => EmbeddingKernels.GatherBfloat16Panels([1, 2, Rows], pairs, Rows, output, Width));
        Assert.Contains("ids[2] is 10", id.Message);
        var floats = new float[PackedLinear.PackedLength(Rows, Width)];
        Assert.Equal("ids", Assert.Throws<ArgumentOutOfRangeException>(() => EmbeddingKernels.GatherPanels([-1], floats, Rows, output, Width)).ParamName);
        Assert.Equal("panels", Assert.Throws<ArgumentException>(() => EmbeddingKernels.GatherPanels([1], floats.AsSpan(1), Rows, output, Width)).ParamName);
        Assert.Equal("rows", Assert.Throws<ArgumentOutOfRangeException>(() => EmbeddingKernels.GatherPanels([1], floats, 0, output, Width)).ParamName);
        Assert.Equal("panels", Assert.Throws<ArgumentException>(() => EmbeddingKernels.GatherBfloat16Panels([1], pairs.AsSpan(1), Rows, output, Width)).ParamName);
        Assert.Equal("output", Assert.Throws<ArgumentException>(() => EmbeddingKernels.GatherBfloat16Panels([1, 2, 3, 4], pairs, Rows, output, Width)).ParamName);
        Assert.All(output, x => Assert.Equal(7f, x));
    }
}
