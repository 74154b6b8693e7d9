namespace AttentionGen;

/// <summary>One learnable tensor of a generated layer: its PyTorch-style name and its shape.</summary>
public sealed class ParameterSpec
{
    private readonly int[] _shape;
    private readonly bool _isPacked;
    private readonly bool _storesBfloat16;

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

    /// <summary>
    /// Whether the layer keeps this [out, in] matrix packed into GEMM panels (<see cref="Kernels.PackedLinear"/>) rather
    /// than row-major. Only the memory layout differs: loading, saving and <see cref="LayerWeights.CopyTo"/> use [out, in].
    /// </summary>
    public bool IsPacked
    {
        get => _isPacked;
        init
        {
            if (value && _shape.Length != 2)
            {
                throw new ArgumentException($"Only a matrix can be packed; '{Name}' has {_shape.Length} dimensions.", nameof(IsPacked));
            }

            _isPacked = value;
        }
    }

    /// <summary>
    /// Whether the packed matrix is held as bfloat16 (<see cref="Kernels.PackedLinear.PackBfloat16"/>): half the memory
    /// and half the bytes a pass streams, at bfloat16's 8 significant bits. Loading rounds each weight to nearest even;
    /// reading back gives the rounded values. A finite weight that would round to infinity (magnitude 3.3961e38 or more)
    /// is refused, not held as ±∞.
    /// </summary>
    public bool StoresBfloat16
    {
        get => _storesBfloat16;
        init
        {
            if (value && !_isPacked)
            {
                throw new ArgumentException($"Only a packed matrix can be held as bfloat16; set IsPacked on '{Name}' first.", nameof(StoresBfloat16));
            }

            _storesBfloat16 = value;
        }
    }

    /// <summary>Where checkpoints of another layout hold this tensor, when they do (see <see cref="TensorSource"/>); else null.</summary>
    public TensorSource? Source { get; init; }

    /// <summary>
    /// The name (without prefix) under which a checkpoint may also hold this tensor, for a layer that uses this one in
    /// that one's place: a decoder whose LM head is tied to its embedding table (<c>lm_head.weight</c>). Loading reads
    /// this tensor only; a copy in the file must be identical, or the load fails, because a different one means the
    /// file's model is not tied and would give wrong outputs. Null for none.
    /// </summary>
    public string? TiedCopy { get; init; }

    /// <summary>Floats the layer stores for this tensor: the element count, or whole panels when packed (half as many in bfloat16).</summary>
    internal int StoredLength => !_isPacked ? ElementCount
        : _storesBfloat16 ? Kernels.PackedLinear.PackedLengthBfloat16(_shape[0], _shape[1])
        : Kernels.PackedLinear.PackedLength(_shape[0], _shape[1]);

    /// <summary>The name and shape, e.g. <c>q_proj.weight [64, 32]</c>.</summary>
    public override string ToString() => $"{Name} [{string.Join(", ", _shape)}]";
}
