namespace AttentionGen;

/// <summary>
/// Where a parameter is found in checkpoints that store it another way: a slice of a fused tensor (GPT-2's
/// <c>c_attn</c> holds Q, K and V side by side) and/or PyTorch's <c>Conv1D</c> layout, <c>[in, out]</c> rather than
/// <c>nn.Linear</c>'s <c>[out, in]</c>. A loader takes the parameter under its own name when the file has it (so a file
/// the layer saved loads back), and otherwise from here.
/// </summary>
/// <param name="Name">The tensor in the file (without the caller's prefix).</param>
/// <param name="Shape">Its shape in the file.</param>
/// <param name="Offset">
/// The parameter's first output in it: for a vector, the first element; for a matrix, the first row (or, when
/// <paramref name="Transposed"/>, the first column).
/// </param>
/// <param name="Transposed">Whether the file holds the matrix as <c>[in, out]</c>.</param>
public sealed record TensorSource(string Name, int[] Shape, int Offset, bool Transposed)
{
    /// <summary>
    /// Where the parameter's values start in the file tensor, when they are one contiguous run of it (not
    /// <see cref="Transposed"/>): its first element, or its first row's.
    /// </summary>
    internal long FirstElement(ParameterSpec parameter) => (long)Offset * (parameter.Shape.Count == 2 ? parameter.Shape[1] : 1);

    /// <summary>Copies the parameter's values, <c>[out, in]</c> for a matrix, out of the whole file tensor.</summary>
    internal void Extract(ReadOnlySpan<float> file, ParameterSpec parameter, Span<float> values)
    {
        if (parameter.Shape.Count == 1)
        {
            file.Slice(Offset, parameter.ElementCount).CopyTo(values);
            return;
        }

        int outDim = parameter.Shape[0], inDim = parameter.Shape[1];
        if (!Transposed)
        {
            file.Slice(Offset * inDim, outDim * inDim).CopyTo(values);
            return;
        }

        int fileColumns = Shape[1];
        for (int i = 0; i < inDim; i++)
        {
            var fileRow = file.Slice(i * fileColumns + Offset, outDim);
            for (int o = 0; o < outDim; o++)
            {
                values[o * inDim + i] = fileRow[o];
            }
        }
    }
}
