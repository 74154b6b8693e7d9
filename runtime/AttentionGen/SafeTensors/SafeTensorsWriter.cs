using System.Buffers.Binary;
using System.Text.Json;

namespace AttentionGen;

/// <summary>Builds a safetensors file from float data, storing each tensor as F32, F16 or BF16.</summary>
public sealed class SafeTensorsWriter
{
    private readonly List<(string Name, SafeTensorsDType DType, int[] Shape, byte[] Bytes)> _tensors = [];
    private readonly Dictionary<string, string> _metadata = new(StringComparer.Ordinal);

    /// <summary>
    /// Throws unless <paramref name="name"/> could be added: not empty, storable as UTF-8, and not taken. A caller adding
    /// several tensors checks every name first, so a clash adds none of them.
    /// </summary>
    /// <exception cref="ArgumentException">The name is empty, has a lone surrogate, or is taken.</exception>
    internal void RequireNewName(string name, string paramName)
    {
        ArgumentException.ThrowIfNullOrEmpty(name, paramName);
        RequireStorableText(name, "Tensor name", paramName);
        if (name == "__metadata__" || _tensors.Exists(t => t.Name == name))
        {
            throw new ArgumentException($"A tensor named '{name}' cannot be added: the name is taken.", paramName);
        }
    }

    /// <summary>
    /// Adds a tensor; its values are converted to <paramref name="dtype"/>, rounded to nearest even as PyTorch's
    /// <c>half()</c> and <c>to(torch.bfloat16)</c> round them (NaN and ±∞ stay NaN and ±∞).
    /// </summary>
    /// <exception cref="ArgumentException">
    /// The name is taken, empty or has a lone surrogate (it could not be stored as UTF-8), the shape does not match the
    /// values, the dtype is not F32, F16 or BF16, or a finite value is too large for the dtype and would be stored as an
    /// infinity (F16: 65520 or more in magnitude; BF16: 3.3961e38 or more). Nothing is added.
    /// </exception>
    public SafeTensorsWriter Add(string name, ReadOnlySpan<float> values, ReadOnlySpan<int> shape, SafeTensorsDType dtype = SafeTensorsDType.F32)
    {
        RequireNewName(name, nameof(name));

        long count = 1;
        foreach (var dim in shape)
        {
            if (dim < 0)
            {
                throw new ArgumentException($"Shape [{string.Join(", ", shape.ToArray())}] has a negative dimension.", nameof(shape));
            }

            // Saturate just past int.MaxValue: no span is that long, and the product can then never wrap around to match.
            count = Math.Min(count * dim, (long)int.MaxValue + 1);
        }

        if (count > int.MaxValue)
        {
            throw new ArgumentException(
                $"Shape [{string.Join(", ", shape.ToArray())}] holds more than {int.MaxValue} values, more than a span can hold.", nameof(shape));
        }

        if (count != values.Length)
        {
            throw new ArgumentException(
                $"Shape [{string.Join(", ", shape.ToArray())}] holds {count} values but {values.Length} were given.", nameof(values));
        }

        if (!SafeTensorsDTypes.IsFloatConvertible(dtype))
        {
            throw new ArgumentException($"Float data can be written as F32, F16 or BF16, not {dtype}.", nameof(dtype));
        }

        if (IndexOfOverflow(values, dtype) is var overflow and >= 0)
        {
            var (largest, instead) = dtype == SafeTensorsDType.F16 ? ("65504", "F32 or BF16") : ($"{Kernels.Bfloat16.MaxValue:R}", "F32");
            throw new ArgumentException(
                $"Tensor '{name}' holds {values[overflow]:R} at element {overflow}, past {dtype}'s largest finite value ±{largest}: " +
                $"stored as {dtype} it would read back as {(values[overflow] > 0 ? "+" : "-")}∞. Store it as {instead}.", nameof(values));
        }

        long byteCount = (long)values.Length * SafeTensorsDTypes.SizeOf(dtype);
        if (byteCount > Array.MaxLength)
        {
            // The writer holds each tensor's bytes in one array: 2 GB at most (537M floats as F32, twice that as F16/BF16).
            throw new ArgumentException(
                $"Tensor '{name}' would take {byteCount} bytes as {dtype}, more than the {Array.MaxLength} one array of the writer holds. " +
                "Store it as F16 or BF16, or split the model over several files.", nameof(values));
        }

        var bytes = new byte[byteCount];
        for (int i = 0; i < values.Length; i++)
        {
            switch (dtype)
            {
                case SafeTensorsDType.F32:
                    BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
                    break;
                case SafeTensorsDType.F16:
                    BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(i * 2), (Half)values[i]);
                    break;
                default:
                    BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(i * 2), (ushort)Kernels.Bfloat16.Round(values[i]));
                    break;
            }
        }

        _tensors.Add((name, dtype, shape.ToArray(), bytes));
        return this;
    }

    /// <summary>Adds a <c>__metadata__</c> entry.</summary>
    /// <exception cref="ArgumentException">The key is already set, or the key or value has a lone surrogate.</exception>
    public SafeTensorsWriter AddMetadata(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        RequireStorableText(key, "Metadata key", nameof(key));
        RequireStorableText(value, "Metadata value", nameof(value));
        if (!_metadata.TryAdd(key, value))
        {
            throw new ArgumentException($"Metadata key '{key}' is already set.", nameof(key));
        }

        return this;
    }

    /// <summary>Writes the file to <paramref name="path"/>, replacing any file there.</summary>
    public void Save(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = File.Create(path);
        WriteTo(stream);
    }

    /// <summary>Writes the file to <paramref name="stream"/>.</summary>
    public void WriteTo(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var header = Header();
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        stream.Write(header);
        foreach (var tensor in _tensors)
        {
            stream.Write(tensor.Bytes);
        }
    }

    /// <summary>The file's bytes.</summary>
    public byte[] ToArray()
    {
        using var stream = new MemoryStream();
        WriteTo(stream);
        return stream.ToArray();
    }

    /// <summary>The JSON header, padded with spaces to a multiple of 8 bytes so the data that follows stays aligned.</summary>
    private byte[] Header()
    {
        using var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            if (_metadata.Count > 0)
            {
                writer.WriteStartObject("__metadata__");
                foreach (var (key, value) in _metadata)
                {
                    writer.WriteString(key, value);
                }

                writer.WriteEndObject();
            }

            long offset = 0;
            foreach (var tensor in _tensors)
            {
                writer.WriteStartObject(tensor.Name);
                writer.WriteString("dtype", tensor.DType.ToString());
                writer.WriteStartArray("shape");
                foreach (var dim in tensor.Shape)
                {
                    writer.WriteNumberValue(dim);
                }

                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(offset);
                writer.WriteNumberValue(offset + tensor.Bytes.Length);
                writer.WriteEndArray();
                writer.WriteEndObject();
                offset += tensor.Bytes.Length;
            }

            writer.WriteEndObject();
        }

        var padding = (8 - (int)(json.Length % 8)) % 8;
        for (int i = 0; i < padding; i++)
        {
            json.WriteByte((byte)' ');
        }

        return json.ToArray();
    }

    /// <summary>
    /// The header is UTF-8, which has no encoding for a lone surrogate: the JSON writer would silently store U+FFFD in
    /// its place and the file would read back with another name, so such text is refused up front.
    /// </summary>
    private static void RequireStorableText(string text, string what, string parameterName)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                var escaped = string.Concat(text.Select(c => char.IsSurrogate(c) ? $"\\u{(int)c:X4}" : c.ToString()));
                throw new ArgumentException(
                    $"{what} '{escaped}' has a lone surrogate (U+{(int)text[i]:X4} at index {i}), which UTF-8 cannot store: it would be written as another name.",
                    parameterName);
            }
        }
    }

    /// <summary>
    /// The first finite value that rounding to <paramref name="dtype"/> would make an infinity, or -1. PyTorch's
    /// <c>half()</c> and <c>to(torch.bfloat16)</c> give the infinity; a file that reads back ±∞ where a finite value was
    /// written is a silently wrong file, so the writer refuses it instead.
    /// </summary>
    private static int IndexOfOverflow(ReadOnlySpan<float> values, SafeTensorsDType dtype)
    {
        if (dtype == SafeTensorsDType.BF16)
        {
            return Kernels.Bfloat16.IndexOfOverflow(values);
        }

        if (dtype == SafeTensorsDType.F16)
        {
            // 65520 is halfway from F16's largest finite value, 65504 (odd), to infinity (even): ties round to infinity.
            for (int i = 0; i < values.Length; i++)
            {
                if (float.IsFinite(values[i]) && MathF.Abs(values[i]) >= 65520f)
                {
                    return i;
                }
            }
        }

        return -1;
    }
}
