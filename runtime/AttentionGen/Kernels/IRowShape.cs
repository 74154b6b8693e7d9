namespace AttentionGen.Kernels;

/// <summary>
/// The compile-time shape of a row kernel: one row of <see cref="Width"/> floats against many rows laid out
/// <see cref="RowStride"/> floats apart. Implemented on a private struct by generated code (attention pooling), so the
/// JIT compiles <see cref="RowKernels{TRow}"/> for that one width.
/// </summary>
public interface IRowShape
{
    /// <summary>Floats per row that take part.</summary>
    static abstract int Width { get; }

    /// <summary>Floats from one row to the next.</summary>
    static abstract int RowStride { get; }
}
