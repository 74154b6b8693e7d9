using System.Runtime.Intrinsics;
using AttentionGen.Kernels;
using AttentionGen.Kernels.Attention;
using AttentionGen.Tests.Reference;

namespace AttentionGen.Tests.Kernels;

/// <summary>
/// <see cref="AttentionPaths.Choose"/> on the calls issue 11 names, for each vector width's kernels given explicitly (so
/// every machine checks every width), and <see cref="AttentionCore{TShape}"/> following its choice bit for bit.
/// </summary>
[Trait("Category", "Numeric")]
public sealed class AttentionPathTests
{
    public enum Width
    {
        Vector512,
        Vector256,
        Vector128,
    }

    [Theory]
    [InlineData(Width.Vector512)]
    [InlineData(Width.Vector256)]
    [InlineData(Width.Vector128)]
    public void MultiQueryDecode_EightHeads_GoesStacked(Width width)
    {
        // One query row of 8 heads: two 6-row tiles (the second redoing 4 rows) after packing 2,048 keys, against one pass.
        Assert.Equal(AttentionPath.Stacked, Choose(width, heads: 8, kvHeads: 1, headDim: 128, seqLen: 1, kvSeqLen: 2048, onlineChunk: 512));
        Assert.Equal(AttentionPath.Stacked, Choose(width, heads: 8, kvHeads: 1, headDim: 64, seqLen: 1, kvSeqLen: 512));
    }

    [Theory]
    [InlineData(Width.Vector512)]
    [InlineData(Width.Vector256)]
    [InlineData(Width.Vector128)]
    public void GroupedDecode_EightHeadGroups_GoesStacked(Width width) =>
        Assert.Equal(AttentionPath.Stacked, Choose(width, heads: 32, kvHeads: 4, headDim: 128, seqLen: 1, kvSeqLen: 1024));

    [Theory]
    [InlineData(Width.Vector512)]
    [InlineData(Width.Vector256)]
    [InlineData(Width.Vector128)]
    public void ShortCrossAttention_NarrowHeads_GoesStacked(Width width) =>
        // Ten queries over ten keys: each tile's fixed cost and the keys padded to a 64-key panel outweigh the work.
        Assert.Equal(AttentionPath.Stacked, Choose(width, heads: 4, kvHeads: 4, headDim: 16, seqLen: 10, kvSeqLen: 10));

    [Theory]
    [InlineData(Width.Vector512, 32)]
    [InlineData(Width.Vector512, 64)]
    [InlineData(Width.Vector256, 32)]
    [InlineData(Width.Vector256, 64)]
    public void ShortSelfAttention_TwentyRows_GoesStacked(Width width, int headDim) =>
        // Where Vector128 is the widest the row kernels lose their stacks' edge, and such calls tile (as timed).
        Assert.Equal(AttentionPath.Stacked, Choose(width, heads: 8, kvHeads: 8, headDim, seqLen: 20, kvSeqLen: 20));

    [Theory]
    [InlineData(Width.Vector512, false)]
    [InlineData(Width.Vector256, false)]
    [InlineData(Width.Vector128, false)]
    [InlineData(Width.Vector512, true)]
    [InlineData(Width.Vector256, true)]
    [InlineData(Width.Vector128, true)]
    public void Prefill_Tiles(Width width, bool isCausal)
    {
        Assert.Equal(AttentionPath.Tiled, Choose(width, heads: 8, kvHeads: 8, headDim: 64, seqLen: 128, kvSeqLen: 128, isCausal: isCausal));
        Assert.Equal(AttentionPath.Tiled, Choose(width, heads: 12, kvHeads: 12, headDim: 64, seqLen: 512, kvSeqLen: 512, isCausal: isCausal));
        Assert.Equal(AttentionPath.Tiled, Choose(width, heads: 4, kvHeads: 4, headDim: 16, seqLen: 32, kvSeqLen: 32, isCausal: isCausal));
    }

    [Theory]
    [InlineData(Width.Vector512)]
    [InlineData(Width.Vector256)]
    [InlineData(Width.Vector128)]
    public void LongKeys_TileOnline_WhereTheShapePlannedChunks(Width width)
    {
        Assert.Equal(AttentionPath.Online, Choose(width, heads: 12, kvHeads: 12, headDim: 64, seqLen: 512, kvSeqLen: 4096, onlineChunk: 512));
        Assert.Equal(AttentionPath.Tiled, Choose(width, heads: 12, kvHeads: 12, headDim: 64, seqLen: 512, kvSeqLen: 4096, onlineChunk: 0));

        // A decode step over long keys still goes by rows: the chunks are the tile's, and the tile loses there.
        Assert.Equal(AttentionPath.Stacked, Choose(width, heads: 8, kvHeads: 1, headDim: 128, seqLen: 1, kvSeqLen: 4096, onlineChunk: 512));
    }

    [Theory]
    [InlineData(Width.Vector512)]
    [InlineData(Width.Vector256)]
    public void SingleHead_TilesFromOneWholeTileOfRows(Width width)
    {
        // Five rows cannot fill a 6-row tile whatever the estimate; six over many keys tile at once.
        Assert.Equal(AttentionPath.Rows, Choose(width, heads: 1, kvHeads: 1, headDim: 64, seqLen: 5, kvSeqLen: 512));
        Assert.Equal(AttentionPath.Tiled, Choose(width, heads: 1, kvHeads: 1, headDim: 64, seqLen: 6, kvSeqLen: 512));
    }

    [Theory]
    [InlineData(Width.Vector512)]
    [InlineData(Width.Vector256)]
    public void SevenRowsOverLongKeys_StackRows(Width width)
    {
        // Seven query rows over 1,000 keys (issue 11's sweep): two tiles, the second redoing rows, after packing all of
        // Kᵀ, against rows stacked per head that stream K and V from L3 once per 4 rows (6 on Vector256), not per row.
        Assert.Equal(AttentionPath.Stacked, Choose(width, heads: 2, kvHeads: 2, headDim: 128, seqLen: 7, kvSeqLen: 1000, isCausal: true));
        Assert.Equal(AttentionPath.Stacked, Choose(width, heads: 8, kvHeads: 8, headDim: 64, seqLen: 7, kvSeqLen: 1000));
    }

    [Fact]
    public void EightRowsOverHundredsOfKeys_StackRows_OnVector256()
    {
        // Counting AVX2's six-row stacks moved these from tiles to rows; timed on both builds alternately (Zen 3, medians
        // of 6), rows took 0.93× the tiles' time over 333 keys and 0.98× over 1,000. Past a few stacks the tiles keep it.
        Assert.Equal(AttentionPath.Stacked, Choose(Width.Vector256, heads: 8, kvHeads: 8, headDim: 64, seqLen: 8, kvSeqLen: 333));
        Assert.Equal(AttentionPath.Stacked, Choose(Width.Vector256, heads: 8, kvHeads: 8, headDim: 64, seqLen: 8, kvSeqLen: 1000));
        Assert.Equal(AttentionPath.Tiled, Choose(Width.Vector256, heads: 8, kvHeads: 8, headDim: 64, seqLen: 24, kvSeqLen: 333));
        Assert.Equal(AttentionPath.Tiled, Choose(Width.Vector256, heads: 8, kvHeads: 8, headDim: 64, seqLen: 100, kvSeqLen: 333));
    }

    [Fact]
    public void MultiQuery_TilesOnceRowsAreLongEnough_OnVector512()
    {
        // Eight heads on one key/value head. At 4 query rows (32 pairs) two four-row leading tiles and four six-row ones
        // redo no row, and tiles beat stacked rows: 22.7–25.1 µs against 24.8–32.2 (Zen 5, 8 alternating processes).
        Assert.Equal(AttentionPath.Stacked, Choose(Width.Vector512, heads: 8, kvHeads: 1, headDim: 64, seqLen: 2, kvSeqLen: 512));
        Assert.Equal(AttentionPath.Stacked, Choose(Width.Vector512, heads: 8, kvHeads: 1, headDim: 64, seqLen: 3, kvSeqLen: 512));
        Assert.Equal(AttentionPath.Tiled, Choose(Width.Vector512, heads: 8, kvHeads: 1, headDim: 64, seqLen: 4, kvSeqLen: 512));
        Assert.Equal(AttentionPath.Tiled, Choose(Width.Vector512, heads: 8, kvHeads: 1, headDim: 64, seqLen: 8, kvSeqLen: 512));
        Assert.Equal(AttentionPath.Tiled, Choose(Width.Vector512, heads: 8, kvHeads: 1, headDim: 64, seqLen: 32, kvSeqLen: 512));
    }

    [Fact]
    public void ShortCalls_TileOnceTheyOutgrowTheFixedCosts_OnVector512()
    {
        Assert.Equal(AttentionPath.Stacked, Choose(Width.Vector512, heads: 8, kvHeads: 8, headDim: 64, seqLen: 20, kvSeqLen: 20));
        Assert.Equal(AttentionPath.Tiled, Choose(Width.Vector512, heads: 8, kvHeads: 8, headDim: 64, seqLen: 24, kvSeqLen: 48));
        Assert.Equal(AttentionPath.Tiled, Choose(Width.Vector512, heads: 8, kvHeads: 8, headDim: 64, seqLen: 64, kvSeqLen: 64));
    }

    [Fact]
    public void NoTile_GoesByRows()
    {
        var rows = new RowKernel(16, AttentionPaths.Row512Costs);
        Assert.Equal(AttentionPath.Stacked, AttentionPaths.Choose(8, 8, 64, false, 0, 512, 512, tile: default, rows));
        Assert.Equal(AttentionPath.Rows, AttentionPaths.Choose(1, 1, 64, false, 0, 512, 512, tile: default, rows));
    }

    [Theory]
    [InlineData(Width.Vector512)]
    [InlineData(Width.Vector256)]
    [InlineData(Width.Vector128)]
    public void Prefill_HeadsNotWholeVectors_Tile(Width width)
    {
        foreach (int headDim in new[] { 20, 24, 40, 56, 72, 100, 120 })
        {
            Assert.Equal(AttentionPath.Tiled, Choose(width, heads: 8, kvHeads: 8, headDim, seqLen: 333, kvSeqLen: 333));
            Assert.Equal(AttentionPath.Tiled, Choose(width, heads: 8, kvHeads: 8, headDim, seqLen: 333, kvSeqLen: 333, isCausal: true));
        }
    }

    [Fact]
    public void Estimates_CountAnOverlappingVectorAsAWholeOne()
    {
        var tile = Tile(Width.Vector512, panelKeys: 64);

        // P·V covers a 40-wide head with three vectors, as a 48-wide one: the two differ only in QKᵀ's trip count
        // (8 more FMAs per score vector and tile row) and in the 8 more columns each transposed key block writes.
        const int seqLen = 12, kvSeqLen = 128;
        long tileRows = 2 * tile.Rows, scoreVectors = kvSeqLen / 16;
        Assert.Equal(
            (tile.Costs.PerFma * tileRows * scoreVectors * 8) + (tile.Costs.PerTransposedKey * kvSeqLen * 8),
            AttentionPaths.TileCost(1, 1, 48, false, seqLen, kvSeqLen, tile) - AttentionPaths.TileCost(1, 1, 40, false, seqLen, kvSeqLen, tile));

        // The Kᵀ packing of a 20-wide head transposes three blocks of 8 columns, the last overlapping: as a 24-wide one.
        Assert.Equal(
            tile.Costs.PerFma * tileRows * scoreVectors * 4,
            AttentionPaths.TileCost(1, 1, 24, false, seqLen, kvSeqLen, tile) - AttentionPaths.TileCost(1, 1, 20, false, seqLen, kvSeqLen, tile));
    }

    [Fact]
    public void Estimates_CountPaddingAndRedoneRows()
    {
        var tile = Tile(Width.Vector512, panelKeys: 64);

        // 11 pairs take two six-row tiles, as 12 do; 7 take one and the four-row leading tile, a third of a tile less. 8
        // take two four-row tiles and no six-row one, and 10 the four-row tile and a six-row one: as many tiles, two rows
        // fewer, as 14 pairs (two four-row tiles, a six-row one) against 16 (a four-row tile, two six-row ones). A 65th key
        // takes a second panel and a fifth key vector.
        Assert.Equal(
            AttentionPaths.TileCost(1, 1, 64, false, 12, 64, tile),
            AttentionPaths.TileCost(1, 1, 64, false, 11, 64, tile));
        Assert.True(AttentionPaths.TileCost(1, 1, 64, false, 7, 64, tile) < AttentionPaths.TileCost(1, 1, 64, false, 12, 64, tile));
        long twoRows = AttentionPaths.TileCost(1, 1, 64, false, 10, 64, tile) - AttentionPaths.TileCost(1, 1, 64, false, 8, 64, tile);
        Assert.True(twoRows > 0);
        Assert.Equal(twoRows, AttentionPaths.TileCost(1, 1, 64, false, 16, 64, tile) - AttentionPaths.TileCost(1, 1, 64, false, 14, 64, tile));
        Assert.True(AttentionPaths.TileCost(1, 1, 64, false, 7, 65, tile) > AttentionPaths.TileCost(1, 1, 64, false, 7, 64, tile));

        // A causal call does less work than the same call seeing every key, on both paths.
        var rows = Rows(Width.Vector512);
        Assert.True(AttentionPaths.TileCost(4, 4, 64, true, 256, 256, tile) < AttentionPaths.TileCost(4, 4, 64, false, 256, 256, tile));
        Assert.True(AttentionPaths.RowCost(4, 4, 64, true, 256, 256, rows) < AttentionPaths.RowCost(4, 4, 64, false, 256, 256, rows));
    }

    [Fact]
    public void Estimates_DoNotOverflow_AtTheLargestLengths()
    {
        // 64 heads of 256 over 2¹⁷ rows and keys: about 10¹⁴ vector FMAs, picoseconds past 2⁶³ if a product were int.
        var tile = Tile(Width.Vector512, panelKeys: 64);
        var rows = Rows(Width.Vector512);
        long tileCost = AttentionPaths.TileCost(64, 64, 256, false, 1 << 17, 1 << 17, tile);
        long rowCost = AttentionPaths.RowCost(64, 64, 256, false, 1 << 17, 1 << 17, rows);
        Assert.InRange(tileCost, AttentionPaths.TileCost(64, 64, 256, false, 1 << 16, 1 << 16, tile) * 3, long.MaxValue);
        Assert.InRange(rowCost, AttentionPaths.RowCost(64, 64, 256, false, 1 << 16, 1 << 16, rows) * 3, long.MaxValue);
        Assert.Equal(AttentionPath.Tiled, AttentionPaths.Choose(64, 64, 256, false, 0, 1 << 17, 1 << 17, tile, rows));
    }

    [Theory]
    [InlineData(1, 512)] // decode: stacked rows on every accelerated machine
    [InlineData(2, 300)]
    [InlineData(16, 512)] // 128 pairs: the tile where the machine has one
    [InlineData(40, 77)]
    public void Dispatch_RunsTheChosenPath(int seqLen, int kvSeqLen)
    {
        const int Width = MultiQueryShape.Heads * MultiQueryShape.HeadDim;
        const int KvWidth = MultiQueryShape.KvHeads * MultiQueryShape.HeadDim;
        float[] query = TestData.Uniform(seqLen, seqLen * Width);
        float[] key = TestData.Uniform(seqLen + 1, kvSeqLen * KvWidth);
        float[] value = TestData.Uniform(seqLen + 2, kvSeqLen * KvWidth);
        var scores = new AlignedBuffer(AttentionCore<MultiQueryShape>.ScoreScratchLength);
        var panels = new AlignedBuffer(AttentionCore<MultiQueryShape>.KeyPanelScratchLength);
        float[] dispatched = new float[seqLen * Width];
        AttentionCore<MultiQueryShape>.Attend(query, key, value, [], dispatched, seqLen, kvSeqLen, scores.Span, panels.Span);

        TileKernel tile = AttentionPaths.MachineTile<MultiQueryShape>();
        AttentionPath path = AttentionPaths.Choose(
            MultiQueryShape.Heads, MultiQueryShape.KvHeads, MultiQueryShape.HeadDim, MultiQueryShape.IsCausal, MultiQueryShape.OnlineChunk,
            seqLen, kvSeqLen, tile, AttentionPaths.MachineRowKernel);
        float[] direct = new float[seqLen * Width];
        if (path == AttentionPath.Tiled)
        {
            switch (tile.Lanes)
            {
                case 16: TiledAttention<MultiQueryShape>.Attend512(query, key, value, [], direct, seqLen, kvSeqLen, scores.Span, panels.Span); break;
                case 8: TiledAttention<MultiQueryShape>.Attend256(query, key, value, [], direct, seqLen, kvSeqLen, scores.Span, panels.Span); break;
                default: TiledAttention<MultiQueryShape>.Attend128(query, key, value, [], direct, seqLen, kvSeqLen, scores.Span, panels.Span); break;
            }
        }
        else
        {
            Assert.Equal(AttentionPath.Stacked, path);
            RowAttention<MultiQueryShape>.Attend(query, key, value, [], direct, seqLen, kvSeqLen, scores.Span);
        }

        Assert.True(direct.AsSpan().SequenceEqual(dispatched), $"seqLen {seqLen}, kvSeqLen {kvSeqLen}: the dispatch did not run the {path} path it chose.");
        double[] expected = AttentionReference.Sdpa(
            query, key, value, seqLen, kvSeqLen, MultiQueryShape.Heads, MultiQueryShape.KvHeads, MultiQueryShape.HeadDim, false, MultiQueryShape.Scale, 0, null);
        TestData.AssertClose(expected, dispatched, $"{path}, seqLen {seqLen}, kvSeqLen {kvSeqLen}");
    }

    [Fact]
    public void MachineTile_IsTheWidestAcceleratedTileTheShapeHas()
    {
        TileKernel tile = AttentionPaths.MachineTile<MultiQueryShape>();
        int expectedLanes = Vector512.IsHardwareAccelerated ? 16 : Vector256.IsHardwareAccelerated ? 8 : Vector128.IsHardwareAccelerated ? 4 : 0;
        Assert.Equal(expectedLanes, tile.Exists ? tile.Lanes : 0);
    }

    private static AttentionPath Choose(
        Width width, int heads, int kvHeads, int headDim, int seqLen, int kvSeqLen, bool isCausal = false, int onlineChunk = 0) =>
        AttentionPaths.Choose(heads, kvHeads, headDim, isCausal, onlineChunk, seqLen, kvSeqLen, Tile(width, panelKeys: 64), Rows(width));

    // The generator's panels: 64 keys on Vector512 once a call can have that many, 16 and 8 on the narrower tiles.
    private static TileKernel Tile(Width width, int panelKeys) => width switch
    {
        Width.Vector512 => new TileKernel(16, TiledAttention<MultiQueryShape>.Rows512, panelKeys, AttentionPaths.Tile512Costs, TiledAttention<MultiQueryShape>.LeadingRows512),
        Width.Vector256 => new TileKernel(8, TiledAttention<MultiQueryShape>.Rows256, 16, AttentionPaths.Tile256Costs, TiledAttention<MultiQueryShape>.Rows256),
        _ => new TileKernel(4, TiledAttention<MultiQueryShape>.Rows128, 8, AttentionPaths.Tile128Costs, TiledAttention<MultiQueryShape>.Rows128),
    };

    private static RowKernel Rows(Width width) => width switch
    {
        Width.Vector512 => new RowKernel(16, AttentionPaths.Row512Costs),
        Width.Vector256 => new RowKernel(8, AttentionPaths.Row256Costs),
        _ => new RowKernel(4, AttentionPaths.Row128Costs),
    };

    /// <summary>Multi-query attention: 8 heads of 64 on one key/value head, as the generator plans MaxKvSeqLen 512.</summary>
    private struct MultiQueryShape : IAttentionShape
    {
        public const int Heads = 8;
        public const int KvHeads = 1;
        public const int HeadDim = 64;
        public const float Scale = 0.125f;
        public const bool IsCausal = false;
        public const int OnlineChunk = 0;

        static int IAttentionShape.Heads => Heads;
        static int IAttentionShape.KvHeads => KvHeads;
        static int IAttentionShape.HeadDim => HeadDim;
        static float IAttentionShape.Scale => Scale;
        static float IAttentionShape.Softcap => 0;
        static bool IAttentionShape.IsCausal => IsCausal;
        static int IAttentionShape.ScoreStride => 512;
        static int IAttentionShape.ScoreRows => 8;
        static int IAttentionShape.PanelKeys512 => 64;
        static bool IAttentionShape.HasTile256 => true;
        static bool IAttentionShape.HasTile128 => true;
        static int IAttentionShape.OnlineChunk => OnlineChunk;
    }
}
