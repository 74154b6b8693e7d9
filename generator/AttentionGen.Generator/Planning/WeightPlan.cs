namespace AttentionGen.Generator.Planning;

/// <summary>
/// One learnable tensor: its file name (<c>q_proj.weight</c>), the members the class exposes it by, and its shape as
/// numbers and as the names of the generated constants.
/// </summary>
internal sealed record WeightPlan(string TensorName, string PropertyName, string FieldName, int Rows, int Columns, string RowsName, string ColumnsName)
{
    /// <summary>The shape in the generated class's constants, e.g. <c>QueryWidth, ModelDim</c>.</summary>
    public string ShapeText => IsVector ? RowsName : RowsName + ", " + ColumnsName;

    /// <summary>Biases are vectors (shape <c>[Rows]</c>); weights are <c>[Rows, Columns]</c> matrices.</summary>
    public bool IsVector => Columns == 0;

    public long ElementCount => IsVector ? Rows : (long)Rows * Columns;

    /// <summary>Whether the layer keeps a copy packed into GEMM panels (the projection matrices).</summary>
    public bool IsPacked { get; init; }

    /// <summary>The field holding the packed copy, e.g. <c>_qProjPanels</c>.</summary>
    public string PanelsFieldName => FieldName.Substring(0, FieldName.Length - "Weight".Length) + "Panels";

    /// <summary><c>q_proj.weight</c> becomes property <c>QProjWeight</c> backed by field <c>_qProjWeight</c>.</summary>
    public static WeightPlan Named(string tensorName, int rows, string rowsName, int columns, string columnsName)
    {
        var property = "";
        foreach (var part in tensorName.Split('.', '_'))
        {
            property += char.ToUpperInvariant(part[0]) + part.Substring(1);
        }

        return new WeightPlan(tensorName, property, "_" + char.ToLowerInvariant(property[0]) + property.Substring(1), rows, columns, rowsName, columnsName);
    }
}
