using AttentionGen.Generator.Model;
using AttentionGen.Generator.Planning;

namespace AttentionGen.Generator.Components.AttentionCore;

/// <summary>
/// One attention core, planned: <c>softmax(Q·Kᵀ·Scale)·V</c> over <see cref="Heads"/> query heads and
/// <see cref="KvHeads"/> key/value heads, with the runtime's kernels chosen and sized for this shape. Its members are
/// emitted under <see cref="Prefix"/> (<c>AttentionShape</c>, <c>_attentionScores</c>), so a class can hold several.
/// </summary>
/// <param name="Scale">The effective scale: the default 1/√HeadDim already applied.</param>
/// <param name="PanelKeys512">Keys per Kᵀ panel of the Vector512 tile, or 0 when that path has no tile.</param>
internal sealed record AttentionCorePlan(
    string Prefix, int Heads, int KvHeads, int HeadDim, int MaxSeqLen, int MaxKvSeqLen, bool Causal, float Scale, float Softcap,
    bool ScaleIsDefault, int PanelKeys512, bool HasTile256, bool HasTile128)
{
    /// <summary>The longest key range a tile still takes in one softmax pass: 6 rows × 1,024 scores stay in L1.</summary>
    public const int OnlineThreshold = 1024;

    /// <summary>Keys per chunk of the online softmax.</summary>
    public const int OnlineChunkKeys = 512;

    public int GroupSize => Heads / KvHeads;

    public long QueryWidth => (long)Heads * HeadDim;

    public long KvWidth => (long)KvHeads * HeadDim;

    public bool HasTiles => PanelKeys512 > 0 || HasTile256 || HasTile128;

    /// <summary>The widest key panel of any tile (at least 16, so a row rounded up to whole Vector512s stays inside it).</summary>
    public int WidestPanel => System.Math.Max(16, PanelKeys512);

    /// <summary>Row stride of the score block: MaxKvSeqLen rounded up to whole key panels of every tile and whole Vector512s.</summary>
    public long ScoreStride => ((long)MaxKvSeqLen + WidestPanel - 1) / WidestPanel * WidestPanel;

    /// <summary>
    /// Score rows the row path fills at once: every head. Without groups, all heads are one stack; with groups, a decode
    /// step takes its key/value streams in turns per block of keys and keeps every head's scores.
    /// </summary>
    public int RowStackedHeads => Heads;

    /// <summary>The tallest tile: six rows on Vector512 and Vector256, four on Vector128.</summary>
    public int TileRows => PanelKeys512 > 0 || HasTile256 ? 6 : HasTile128 ? 4 : 1;

    /// <summary>Rows of the score block: the tallest tile's, and every head the row path stacks.</summary>
    public int ScoreRows => System.Math.Max(TileRows, RowStackedHeads);

    /// <summary>Keys per online-softmax chunk, or 0 for the exact two-pass softmax.</summary>
    public int OnlineChunk => HasTiles && MaxKvSeqLen > OnlineThreshold ? OnlineChunkKeys : 0;

    public string ShapeType => Prefix + "Shape";

    public string ScoresField => "_" + Emit.Names.Camel(Prefix) + "Scores";

    public string KeyPanelsField => "_" + Emit.Names.Camel(Prefix) + "KeyPanels";

    /// <summary>The members this core adds to the class.</summary>
    public EquatableArray<string> Members => (HasTiles
        ? new[] { ShapeType, ScoresField, KeyPanelsField }
        : new[] { ShapeType, ScoresField }).ToEquatableArray();

    /// <summary>The scratch this core allocates per instance.</summary>
    public BufferPlan[] Buffers => new[]
    {
        new BufferPlan("the score block", ScoreRows * ScoreStride, "MaxKvSeqLen"),
        // The runtime doubles it on machines whose tile is narrower than AVX-512's, to gather each head's values too.
        new BufferPlan("the packed keys and values", HasTiles ? BufferPlan.Product(2L * ScoreStride, HeadDim) : 0, "MaxKvSeqLen"),
        new BufferPlan("a query block", BufferPlan.Product(MaxSeqLen, QueryWidth), BufferPlan.LargestFactor((MaxSeqLen, "MaxSeqLen"), (Heads, "Heads"), (HeadDim, "HeadDim")), IsAllocated: false),
        new BufferPlan("a key block", BufferPlan.Product(MaxKvSeqLen, KvWidth), BufferPlan.LargestFactor((MaxKvSeqLen, "MaxKvSeqLen"), (KvHeads, "KvHeads"), (HeadDim, "HeadDim")), IsAllocated: false),
    };
}
