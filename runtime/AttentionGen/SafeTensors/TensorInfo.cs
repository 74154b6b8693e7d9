namespace AttentionGen;

/// <summary>One tensor described by a safetensors header.</summary>
public sealed class TensorInfo
{
    internal TensorInfo(string name, SafeTensorsDType dtype, long[] shape, long elementCount, long dataOffset, long byteLength)
    {
        Name = name;
        DType = dtype;
        Shape = shape;
        ElementCount = elementCount;
        DataOffset = dataOffset;
        ByteLength = byteLength;
    }

    /// <summary>The tensor's name as written in the file.</summary>
    public string Name { get; }

    /// <summary>The element type.</summary>
    public SafeTensorsDType DType { get; }

    /// <summary>The shape; empty for a scalar.</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <summary>The number of elements (1 for a scalar).</summary>
    public long ElementCount { get; }

    /// <summary>Where the tensor's bytes start, counted from the start of its file's data section (64-bit: files may exceed 4 GB).</summary>
    public long DataOffset { get; }

    /// <summary>The number of bytes the tensor occupies.</summary>
    public long ByteLength { get; }

    /// <summary>The name, dtype and shape, e.g. <c>q_proj.weight F32 [64, 32]</c>.</summary>
    public override string ToString() => $"{Name} {DType} [{string.Join(", ", Shape)}]";
}
