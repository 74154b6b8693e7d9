namespace AttentionGen.Generator.Planning;

/// <summary>
/// One learnable tensor: its file name (<c>q_proj.weight</c>), the property of the generated <c>Weights</c> class that
/// hands it to <c>Forward</c>, and its shape as numbers and as the names of the generated constants.
/// </summary>
internal sealed record WeightPlan(string TensorName, string PropertyName, int Rows, int Columns, string RowsName, string ColumnsName)
{
    /// <summary>The shape in the generated class's constants, e.g. <c>QueryWidth, ModelDim</c>.</summary>
    public string ShapeText => IsVector ? RowsName : RowsName + ", " + ColumnsName;

    /// <summary>Biases are vectors (shape <c>[Rows]</c>); weights are <c>[Rows, Columns]</c> matrices.</summary>
    public bool IsVector => Columns == 0;

    public long ElementCount => IsVector ? Rows : (long)Rows * Columns;

    /// <summary>Whether the weights keep it packed into GEMM panels (the projection matrices) rather than row-major.</summary>
    public bool IsPacked { get; init; }

    /// <summary>Whether the packed matrix is held as bfloat16 pairs (read by <c>PackedLinear.ForwardBfloat16</c>).</summary>
    public bool IsBfloat16 { get; init; }

    /// <summary>
    /// Where other checkpoints hold it: the C# arguments of a runtime <c>TensorSource</c> after its name (shape, offset,
    /// transposed), and the file tensor's name relative to the block; null when checkpoints hold it as it is.
    /// </summary>
    public (string Name, string Arguments)? Source { get; init; }

    /// <summary>
    /// The name under which a checkpoint may hold a copy of this tensor that the layer uses it in place of (an LM head
    /// tied to the embedding table), checked equal when loaded; null for none.
    /// </summary>
    public string? TiedCopy { get; init; }

    /// <summary>
    /// The tensor as stored, for the size check: each must fit one array (a packed matrix padded to whole 64-output
    /// panels), blamed on its larger dimension. Weights are shared between instances, so they do not count towards the
    /// per-instance ceiling.
    /// </summary>
    public BufferPlan Stored => new(
        "the tensor " + TensorName,
        IsVector ? Rows : BufferPlan.Product(IsPacked ? (Rows + 63L) / 64 * 64 : Rows, Columns),
        IsVector || Rows >= Columns ? RowsName : ColumnsName,
        IsAllocated: false);

    /// <summary><c>q_proj.weight</c> becomes property <c>QProjWeight</c>.</summary>
    public static WeightPlan Named(string tensorName, int rows, string rowsName, int columns, string columnsName)
    {
        var property = "";
        foreach (var part in tensorName.Split('.', '_'))
        {
            property += char.ToUpperInvariant(part[0]) + part.Substring(1);
        }

        return new WeightPlan(tensorName, property, rows, columns, rowsName, columnsName);
    }
}
