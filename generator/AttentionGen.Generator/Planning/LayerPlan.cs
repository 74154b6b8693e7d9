using AttentionGen.Generator.Model;

namespace AttentionGen.Generator.Planning;

/// <summary>
/// Everything the emitter needs, resolved: defaults applied, derived widths computed, vector paths chosen. Pure data,
/// so plans can be tested without looking at emitted text.
/// </summary>
internal sealed record LayerPlan(
    LayerKind Kind,
    string HintName,
    string? Namespace,
    string ClassName,
    string TypeKeyword,
    EquatableArray<ContainingType> ContainingTypes,
    AttentionShape? Attention,
    ProjectionShape? Projections,
    PoolingShape? Pooling,
    EquatableArray<WeightPlan> Weights,
    EquatableArray<RowKernelPlan> RowKernels);

/// <summary>
/// The attention core's shape. <see cref="Scale"/> is the effective scale (the default already applied).
/// <see cref="Tiles"/> lists the tiled kernels, widest first; an empty list means every call goes row by row.
/// </summary>
internal sealed record AttentionShape(
    int Heads, int KvHeads, int HeadDim, int MaxSeqLen, int MaxKvSeqLen, bool Causal, float Scale, float Softcap,
    EquatableArray<TilePlan> Tiles)
{
    /// <summary>Row stride of the score block: MaxKvSeqLen rounded up to whole key panels of every tile and whole Vector512s.</summary>
    public int ScoreStride
    {
        get
        {
            // At least 16, so a row rounded up to whole Vector512s never runs past its end.
            var panel = 16;
            foreach (var tile in Tiles)
            {
                panel = System.Math.Max(panel, tile.PanelKeys);
            }

            return (MaxKvSeqLen + panel - 1) / panel * panel;
        }
    }

    /// <summary>Rows of the score block: enough for the tallest tile and for every head the row kernels take at once.</summary>
    public int ScoreRows => System.Math.Max(MaxTileRows, RowStackedHeads);

    /// <summary>
    /// Heads the row path handles together: a grouped-query group, or without groups every head, so one query row's
    /// keys and values stream from memory once for all of them.
    /// </summary>
    public int RowStackedHeads => GroupSize > 1 ? GroupSize : Heads;

    /// <summary>The most query rows any tile handles at once.</summary>
    public int MaxTileRows
    {
        get
        {
            var rows = 1;
            foreach (var tile in Tiles)
            {
                rows = System.Math.Max(rows, tile.Rows);
            }

            return rows;
        }
    }

    /// <summary>
    /// Keys per chunk of the tiles' online softmax, or 0 for the exact two-pass softmax. Two passes need a tile's
    /// whole rows of scores at once, which stop fitting in L1 past about a thousand keys (6 rows × 1,024 × 4 bytes).
    /// </summary>
    public int OnlineChunk => Tiles.Count > 0 && MaxKvSeqLen > OnlineThreshold ? 512 : 0;

    /// <summary>The longest key range the tiles still take in one pass.</summary>
    public const int OnlineThreshold = 1024;

    public int GroupSize => Heads / KvHeads;
    public int QueryWidth => Heads * HeadDim;
    public int KvWidth => KvHeads * HeadDim;
}

/// <summary>
/// A register-blocked attention tile for one vector width: <see cref="Rows"/> query rows against
/// <see cref="KeyVectors"/> vectors of keys (QKᵀ), then the same rows against <see cref="OutputVectors"/> vectors of
/// head columns at a time (P·V). The sizes keep every accumulator in a register.
/// </summary>
internal sealed record TilePlan(int VectorWidth, int Rows, int KeyVectors, int OutputVectors)
{
    /// <summary>Keys per packed Kᵀ panel: one vector load per head dimension feeds this many dot products.</summary>
    public int PanelKeys => VectorWidth * KeyVectors;
}

/// <summary>The Q/K/V/O projections around the core. <see cref="KvInputDim"/> is the width K and V project from.</summary>
internal sealed record ProjectionShape(int ModelDim, int KvInputDim, bool Bias, bool EmitsSelfAttention, bool EmitsCrossAttention);

internal sealed record PoolingShape(int InputDim, int MaxSeqLen, int OutputDim);

/// <summary>One learnable tensor: its file name (<c>q_proj.weight</c>), the member names the class exposes, its shape
/// as numbers and as the names of the generated constants.</summary>
internal sealed record WeightPlan(string TensorName, string PropertyName, string FieldName, int Rows, int Columns, string RowsName, string ColumnsName)
{
    /// <summary>The shape in the generated class's constants, e.g. <c>QueryWidth, ModelDim</c>.</summary>
    public string ShapeText => IsVector ? RowsName : RowsName + ", " + ColumnsName;


    /// <summary>Biases are vectors (shape <c>[Rows]</c>); weights are <c>[Rows, Columns]</c> matrices.</summary>
    public bool IsVector => Columns == 0;

    public int ElementCount => IsVector ? Rows : Rows * Columns;

    /// <summary>Whether the layer keeps a copy packed into GEMM panels (the projection matrices of multi-head attention).</summary>
    public bool IsPacked { get; init; }

    /// <summary>The field holding the packed copy, e.g. <c>_qProjPanels</c>.</summary>
    public string PanelsFieldName => FieldName.Substring(0, FieldName.Length - "Weight".Length) + "Panels";
}

/// <summary>
/// A kernel that works on one row of <see cref="Width"/> floats against many rows of the same width, laid out
/// <see cref="RowStrideName"/> floats apart: either a dot product per row (scores) or a weighted sum of rows (P·V). <see cref="Paths"/> holds one entry per vector width,
/// widest first, ending with the scalar fallback.
/// </summary>
internal sealed record RowKernelPlan(RowKernelKind Kind, string MethodName, int Width, string WidthName, string RowStrideName, bool Unrolled, EquatableArray<VectorPath> Paths)
{
    /// <summary>
    /// Query heads the kernel takes at once (named <see cref="StackedHeadsName"/> in the generated class); above 1 the
    /// heads take turns on each small block of rows while it is in L1, or on AVX-512 are stacked against each row, so the
    /// rows are read from memory once for all of them. With <see cref="SharedRows"/> the heads share one key/value head
    /// (a grouped-query group); otherwise head h reads its own slice of each row, h·HeadDim floats in, and the rows
    /// stream past in memory order for all heads at once (decoding without groups).
    /// </summary>
    public int StackedHeads { get; init; } = 1;

    public string StackedHeadsName { get; init; } = "1";

    public bool SharedRows { get; init; } = true;
}

internal enum RowKernelKind
{
    /// <summary><c>scores[j] = scale · (x · rows[j])</c>: x stays in registers while the rows stream past.</summary>
    DotRows,

    /// <summary><c>output = Σⱼ weights[j] · rows[j]</c>: the output row stays in registers.</summary>
    WeightedSum,
}

/// <summary>
/// One hardware path: the guard that selects it and how the row splits into vector chunks. A 20-wide row on the
/// Vector512 path is one 16-wide chunk and one 4-wide chunk; <see cref="ScalarTail"/> counts the floats left over.
/// </summary>
internal sealed record VectorPath(int VectorWidth, EquatableArray<VectorChunk> Chunks, int ScalarTail)
{
    public bool IsScalar => VectorWidth == 1;
}

/// <summary>A vector load at <see cref="Offset"/> floats into the row, <see cref="Width"/> floats wide.</summary>
internal sealed record VectorChunk(int Width, int Offset);
