namespace AttentionGen;

/// <summary>One learnable tensor of a generated layer: its PyTorch-style name and its shape.</summary>
public sealed class ParameterSpec
{
    private readonly int[] _shape;

    /// <summary>Describes the tensor <paramref name="name"/> with the given shape.</summary>
    public ParameterSpec(string name, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(shape);
        Name = name;
        _shape = (int[])shape.Clone();
        ElementCount = _shape.Aggregate(1, (product, dim) => checked(product * dim));
    }

    /// <summary>The tensor's name without any prefix, e.g. <c>q_proj.weight</c>.</summary>
    public string Name { get; }

    /// <summary>The tensor's shape, e.g. <c>[out, in]</c> for a weight matrix.</summary>
    public IReadOnlyList<int> Shape => _shape;

    /// <summary>The shape without a copy, for the loaders in this assembly.</summary>
    internal ReadOnlySpan<int> ShapeSpan => _shape;

    /// <summary>The number of floats in the tensor.</summary>
    public int ElementCount { get; }

    /// <summary>The name and shape, e.g. <c>q_proj.weight [64, 32]</c>.</summary>
    public override string ToString() => $"{Name} [{string.Join(", ", _shape)}]";
}
