using AttentionGen.Kernels;

namespace AttentionGen.Tests.Kernels;

/// <summary>
/// Transposing rows into column panels, against the index formula, for shapes the 16×16 register transpose takes (AVX-512:
/// panels in multiples of 16; widths of whole blocks of 16 columns, or not, the last block then overlapping: 20, 36, 100,
/// 24, 40, 18), then the 8×8 one for the rows left (panels in multiples of 8; 12, 9), and ones that fall back to copying
/// (narrower than 8, or panels that are not: 15, 3), with every partial last block.
/// </summary>
[Trait("Category", "Numeric")]
public sealed class PanelPackingTests
{
    public static IEnumerable<object[]> Shapes()
    {
        foreach (var (width, panelWidth) in new[] { (16, 64), (64, 64), (8, 16), (64, 16), (8, 8), (12, 8), (16, 4), (3, 64), (20, 16), (9, 8), (36, 64), (100, 16), (20, 4), (24, 32), (40, 32), (18, 32), (64, 32), (15, 32) })
        {
            foreach (int rows in new[] { 0, 1, 7, 8, 9, 15, 63, 64, 65, 130 })
            {
                yield return [rows, width, panelWidth];
            }
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void PackTransposed_PlacesEveryValue_AndZeroesThePadding(int rows, int width, int panelWidth)
    {
        int stride = width * 3 + 5; // rows of a wider matrix, as a head's keys are
        float[] source = KernelReference.Uniform(Math.Max(0, (rows - 1) * stride + width), -1f, 1f, seed: rows * 100 + width);
        int length = PanelPacking.PackedLength(rows, width, panelWidth);
        float[] panels = Enumerable.Repeat(float.NaN, length + 3).ToArray(); // NaN: every packed float must be written

        PanelPacking.PackTransposed(source, stride, rows, width, panelWidth, panels);

        int paddedRows = (rows + panelWidth - 1) / panelWidth * panelWidth;
        for (int j = 0; j < paddedRows; j++)
        {
            for (int c = 0; c < width; c++)
            {
                float expected = j < rows ? source[j * stride + c] : 0f;
                Assert.Equal(expected, panels[j / panelWidth * width * panelWidth + c * panelWidth + j % panelWidth]);
            }
        }

        Assert.All(panels[length..], v => Assert.True(float.IsNaN(v))); // nothing written past the panels
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void PackTransposedUnchecked_ScalesEveryValueOnce_AndLeavesThePaddingZero(int rows, int width, int panelWidth)
    {
        // The tiles fold their score scale into the keys here: each value times the scale, rounded once, on every path.
        const float Scale = 0.1803369f;
        int stride = width * 3 + 5;
        float[] source = KernelReference.Uniform(Math.Max(1, (rows - 1) * stride + width), -1f, 1f, seed: rows * 100 + width + 7);
        int length = PanelPacking.PackedLength(rows, width, panelWidth);
        float[] panels = Enumerable.Repeat(float.NaN, length + 3).ToArray();

        PanelPacking.PackTransposedUnchecked(ref source[0], stride, rows, width, panelWidth, Scale, ref panels[0]);

        int paddedRows = (rows + panelWidth - 1) / panelWidth * panelWidth;
        for (int j = 0; j < paddedRows; j++)
        {
            for (int c = 0; c < width; c++)
            {
                float expected = j < rows ? source[j * stride + c] * Scale : 0f;
                Assert.Equal(expected, panels[j / panelWidth * width * panelWidth + c * panelWidth + j % panelWidth]);
            }
        }

        Assert.All(panels[length..], v => Assert.True(float.IsNaN(v)));
    }

    [Fact]
    public void PackTransposed_RejectsShortSpansAndBadCounts()
    {
        Assert.Throws<ArgumentException>(() => PanelPacking.PackTransposed(new float[10], 8, 2, 8, 8, new float[64]));
        Assert.Throws<ArgumentException>(() => PanelPacking.PackTransposed(new float[16], 8, 2, 8, 8, new float[63]));
        Assert.Throws<ArgumentOutOfRangeException>(() => PanelPacking.PackTransposed(new float[16], 4, 2, 8, 8, new float[64]));
        Assert.Throws<ArgumentOutOfRangeException>(() => PanelPacking.PackTransposed(new float[16], 8, -1, 8, 8, new float[64]));
        Assert.Throws<ArgumentOutOfRangeException>(() => PanelPacking.PackTransposed(new float[16], 8, 2, 8, 0, new float[64]));
    }
}
