namespace AttentionGen.Kernels;

/// <summary>
/// The compile-time shape of a row kernel: one row of <see cref="Width"/> floats against many rows laid out
/// <see cref="RowStride"/> floats apart. Implemented on a private struct by generated code (attention pooling), so the
/// JIT compiles <see cref="RowKernels{TRow}"/> for that one width.
/// </summary>
/// <remarks>
/// Return constants. A getter computed from other type parameters' static members (as the attention path's own head
/// shape is) needs <c>[MethodImpl(MethodImplOptions.AggressiveInlining)]</c>: the JIT does not otherwise inline a method
/// that makes static virtual calls, and a getter left as a call is no constant to the kernel.
/// </remarks>
public interface IRowShape
{
    /// <summary>Floats per row that take part.</summary>
    static abstract int Width { get; }

    /// <summary>Floats from one row to the next.</summary>
    static abstract int RowStride { get; }
}
