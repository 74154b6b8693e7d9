namespace AttentionGen.Kernels;

/// <summary>Dot products of one row with many, and weighted sums of many rows, for one compile-time row shape.</summary>
public static class RowKernels<TRow>
    where TRow : struct, IRowShape
{
    /// <summary><c>scores[j] = scale · (x · rows[j])</c> for <paramref name="count"/> rows; x stays in registers.</summary>
    public static void Dot(ref float x, ref float rows, int count, float scale, ref float scores) =>
        throw new NotImplementedException("TODO(helper-rows)");

    /// <summary><c>output = Σⱼ weights[j] · rows[j]</c> over <paramref name="count"/> rows; the output stays in registers.</summary>
    public static void WeightedSum(ref float weights, ref float rows, int count, ref float output) =>
        throw new NotImplementedException("TODO(helper-rows)");
}
