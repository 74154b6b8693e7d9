using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace AttentionGen;

/// <summary>
/// A safetensors file held in memory: an 8-byte little-endian header length, a JSON header describing each tensor, then
/// the data. Everything about the header is checked when the file is opened, so later reads cannot fail or go out of
/// bounds.
/// </summary>
public sealed class SafeTensors : IDisposable
{
    /// <summary>Headers larger than this are refused rather than parsed: no real checkpoint comes close.</summary>
    public const int MaxHeaderLength = 100 * 1024 * 1024;

    private readonly ReadOnlyMemory<byte> _data;
    private readonly Dictionary<string, TensorInfo> _byName;

    private SafeTensors(ReadOnlyMemory<byte> data, List<TensorInfo> tensors, Dictionary<string, string> metadata)
    {
        _data = data;
        Tensors = tensors;
        Metadata = metadata;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>The tensors, in header order.</summary>
    public IReadOnlyList<TensorInfo> Tensors { get; }

    /// <summary>The header's <c>__metadata__</c> entries (empty when there are none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Reads and validates the file at <paramref name="path"/>.</summary>
    /// <exception cref="SafeTensorsFormatException">The file is not a valid safetensors file.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static SafeTensors Open(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Load(File.ReadAllBytes(path));
    }

    /// <summary>Validates a safetensors file already in memory. The bytes are used in place, not copied.</summary>
    /// <exception cref="SafeTensorsFormatException">The bytes are not a valid safetensors file.</exception>
    public static SafeTensors Load(ReadOnlyMemory<byte> bytes)
    {
        var span = bytes.Span;
        if (span.Length < 8)
        {
            throw new SafeTensorsFormatException(
                $"The file is {span.Length} bytes long; a safetensors file starts with an 8-byte header length.");
        }

        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(span);
        if (headerLength > (ulong)(span.Length - 8))
        {
            throw new SafeTensorsFormatException(
                $"The header length is {headerLength} bytes, past the end of the file ({span.Length - 8} bytes follow it): the file is truncated or not safetensors.");
        }

        if (headerLength > MaxHeaderLength)
        {
            throw new SafeTensorsFormatException($"The header length is {headerLength} bytes, over the {MaxHeaderLength}-byte limit.");
        }

        var header = span.Slice(8, (int)headerLength);
        var data = bytes[(8 + (int)headerLength)..];
        var (tensors, metadata) = SafeTensorsHeader.Parse(header, data.Length);
        return new SafeTensors(data, tensors, metadata);
    }

    /// <summary>Finds the tensor called <paramref name="name"/>.</summary>
    public bool TryGetTensor(string name, [NotNullWhen(true)] out TensorInfo? tensor) => _byName.TryGetValue(name, out tensor);

    /// <summary>
    /// The tensor called <paramref name="name"/>, checked to have exactly <paramref name="expectedShape"/> and a dtype that
    /// loads as float (F32, F16, BF16).
    /// </summary>
    /// <exception cref="WeightLoadException">The tensor is missing, has another shape, or has another dtype.</exception>
    public TensorInfo Require(string name, ReadOnlySpan<int> expectedShape)
    {
        ArgumentNullException.ThrowIfNull(name);
        var expected = expectedShape.ToArray();
        if (!_byName.TryGetValue(name, out var tensor))
        {
            throw new WeightLoadException(MissingMessage(name), name, expected, actualShape: null);
        }

        if (!tensor.Shape.SequenceEqual(expected.Select(d => (long)d)))
        {
            throw new WeightLoadException(
                $"Tensor '{name}' has shape [{string.Join(", ", tensor.Shape)}] but the layer expects [{string.Join(", ", expected)}].",
                name, expected, tensor.Shape);
        }

        if (!SafeTensorsDTypes.IsFloatConvertible(tensor.DType))
        {
            throw new WeightLoadException(
                $"Tensor '{name}' has dtype {tensor.DType}; only F32, F16 and BF16 can be loaded as float.", name, expected, tensor.Shape);
        }

        return tensor;
    }

    /// <summary>Converts the tensor's elements to float into <paramref name="destination"/>.</summary>
    /// <exception cref="ArgumentException">The destination length differs from the element count.</exception>
    /// <exception cref="NotSupportedException">The dtype is not F32, F16 or BF16.</exception>
    public void CopyTo(TensorInfo tensor, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (!_byName.TryGetValue(tensor.Name, out var own) || !ReferenceEquals(own, tensor))
        {
            throw new ArgumentException($"Tensor '{tensor.Name}' does not belong to this file.", nameof(tensor));
        }

        if (destination.Length != tensor.ElementCount)
        {
            throw new ArgumentException(
                $"Tensor '{tensor.Name}' has {tensor.ElementCount} elements but the destination holds {destination.Length}.", nameof(destination));
        }

        var source = _data.Span.Slice((int)tensor.DataOffset, (int)tensor.ByteLength);
        switch (tensor.DType)
        {
            case SafeTensorsDType.F32:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BinaryPrimitives.ReadSingleLittleEndian(source.Slice(i * 4));
                }

                break;
            case SafeTensorsDType.F16:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(source.Slice(i * 2));
                }

                break;
            case SafeTensorsDType.BF16:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(source.Slice(i * 2)) << 16);
                }

                break;
            default:
                throw new NotSupportedException($"Tensor '{tensor.Name}' has dtype {tensor.DType}; only F32, F16 and BF16 convert to float.");
        }
    }

    /// <summary>Nothing to release: the file is held in managed memory. Kept so callers can scope a file with <c>using</c>.</summary>
    public void Dispose()
    {
    }

    /// <summary>A missing-tensor message that points at likely prefix mistakes: tensors with the same final name.</summary>
    private string MissingMessage(string name)
    {
        var message = new StringBuilder($"Tensor '{name}' is missing from the file ({Tensors.Count} tensors).");
        var lastDot = name.LastIndexOf('.');
        var leaf = name.LastIndexOf('.', Math.Max(lastDot - 1, 0)) is var start and >= 0 ? name[(start + 1)..] : name;
        var similar = Tensors.Select(t => t.Name).Where(n => n.EndsWith(leaf, StringComparison.Ordinal)).Take(3).ToList();
        if (similar.Count > 0)
        {
            message.Append($" Similar names: {string.Join(", ", similar.Select(n => $"'{n}'"))} — is the prefix right?");
        }

        return message.ToString();
    }
}
