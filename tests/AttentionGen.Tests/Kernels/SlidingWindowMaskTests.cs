using AttentionGen.Kernels;

namespace AttentionGen.Tests.Kernels;

public sealed class SlidingWindowMaskTests
{
    [Fact]
    public void EachRow_HidesTheKeysBeforeItsWindow_AndNothingAfter()
    {
        // Rows at positions 10..13 against keys from position 7 (the first row's window of 4: 7, 8, 9, 10).
        var mask = SlidingWindowMask.Fill(new float[4 * 7], rows: 4, firstRow: 10, firstKey: 7, keys: 7, window: 4).ToArray();
        for (int row = 0; row < 4; row++)
        {
            for (int key = 0; key < 7; key++)
            {
                bool inWindow = 7 + key > 10 + row - 4; // p − W < k
                Assert.Equal(inWindow ? 0f : float.NegativeInfinity, mask[row * 7 + key]);
            }
        }
    }

    [Theory]
    [InlineData(1, 100, 97, 4, 4)] // a decode step: its one row sees every key it is given
    [InlineData(3, 0, 0, 3, 8)]   // a prompt shorter than the window
    [InlineData(5, 2, 0, 7, 7)]   // the last row's window starts at the first key
    public void NoRowHidingAKey_GivesNoMask(int rows, int firstRow, int firstKey, int keys, int window) =>
        Assert.True(SlidingWindowMask.Fill(new float[rows * keys], rows, firstRow, firstKey, keys, window).IsEmpty);

    [Fact]
    public void BadArguments_ThrowNamingThem()
    {
        Assert.Equal("window", Assert.Throws<ArgumentOutOfRangeException>(() => SlidingWindowMask.Fill(new float[16], 2, 5, 0, 6, 0)).ParamName);
        Assert.Equal("firstKey", Assert.Throws<ArgumentOutOfRangeException>(() => SlidingWindowMask.Fill(new float[16], 2, 5, 6, 6, 2)).ParamName);
        Assert.Equal("mask", Assert.Throws<ArgumentException>(() => SlidingWindowMask.Fill(new float[5], 2, 5, 0, 6, 2)).ParamName);
    }
}
