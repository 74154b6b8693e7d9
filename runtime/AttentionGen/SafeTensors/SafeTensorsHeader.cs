using System.Text.Json;

namespace AttentionGen;

/// <summary>
/// Parses and checks a safetensors JSON header in one forward pass. Every way a header can be wrong becomes a
/// <see cref="SafeTensorsFormatException"/> that says what was wrong and where.
/// </summary>
internal static class SafeTensorsHeader
{
    private const string MetadataKey = "__metadata__";

    public static (List<TensorInfo> Tensors, Dictionary<string, string> Metadata) Parse(ReadOnlySpan<byte> header, long dataLength)
    {
        var tensors = new List<TensorInfo>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);
        if (!System.Text.Unicode.Utf8.IsValid(header))
        {
            throw new SafeTensorsFormatException("The header is not valid UTF-8 text.");
        }

        try
        {
            var reader = new Utf8JsonReader(header, new JsonReaderOptions { MaxDepth = 8 });
            Expect(ref reader, JsonTokenType.StartObject, "The header must be a JSON object");
            while (Read(ref reader) && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString()!;
                if (!names.Add(name))
                {
                    throw new SafeTensorsFormatException($"The header names '{name}' twice.");
                }

                if (name == MetadataKey)
                {
                    ReadMetadata(ref reader, metadata);
                }
                else
                {
                    tensors.Add(ReadTensor(ref reader, name, dataLength));
                }
            }

            if (reader.TokenType != JsonTokenType.EndObject)
            {
                throw new SafeTensorsFormatException("The header is not a well-formed JSON object.");
            }

            // Anything after the object other than the padding spaces is not a header we understand.
            if (reader.Read())
            {
                throw new SafeTensorsFormatException("The header has data after its closing brace.");
            }
        }
        catch (JsonException e)
        {
            throw new SafeTensorsFormatException($"The header is not valid JSON: {e.Message}", e);
        }
        catch (InvalidOperationException e)
        {
            // The reader checks structure, not text: GetString throws this for invalid UTF-8 or a lone surrogate escape.
            throw new SafeTensorsFormatException($"The header has a string that is not valid UTF-8 JSON text: {e.Message}", e);
        }

        CheckDataLayout(tensors, dataLength);
        return (tensors, metadata);
    }

    private static void ReadMetadata(ref Utf8JsonReader reader, Dictionary<string, string> metadata)
    {
        Expect(ref reader, JsonTokenType.StartObject, "__metadata__ must be an object of strings");
        while (Read(ref reader) && reader.TokenType == JsonTokenType.PropertyName)
        {
            var key = reader.GetString()!;
            Expect(ref reader, JsonTokenType.String, $"__metadata__ entry '{key}' must be a string");
            if (!metadata.TryAdd(key, reader.GetString()!))
            {
                throw new SafeTensorsFormatException($"__metadata__ names '{key}' twice.");
            }
        }
    }

    private static TensorInfo ReadTensor(ref Utf8JsonReader reader, string name, long dataLength)
    {
        Expect(ref reader, JsonTokenType.StartObject, $"Tensor '{name}' must be described by an object");
        string? dtypeText = null;
        List<long>? shape = null;
        List<long>? offsets = null;
        while (Read(ref reader) && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = reader.GetString();
            switch (field)
            {
                // A field given twice is refused, as the reference reader refuses it: which one counts is not defined.
                case "dtype":
                    RequireFirst(dtypeText is null, name, "dtype");
                    Expect(ref reader, JsonTokenType.String, $"Tensor '{name}': dtype must be a string");
                    dtypeText = reader.GetString();
                    break;
                case "shape":
                    RequireFirst(shape is null, name, "shape");
                    shape = ReadIntegers(ref reader, name, "shape");
                    break;
                case "data_offsets":
                    RequireFirst(offsets is null, name, "data_offsets");
                    offsets = ReadIntegers(ref reader, name, "data_offsets");
                    break;
                default:
                    // Unknown fields are tolerated, as other readers do; skip their value whole.
                    Read(ref reader);
                    reader.Skip();
                    break;
            }
        }

        if (dtypeText is null || shape is null || offsets is null)
        {
            throw new SafeTensorsFormatException($"Tensor '{name}' needs dtype, shape and data_offsets.");
        }

        if (!SafeTensorsDTypes.TryParse(dtypeText, out var dtype))
        {
            throw new SafeTensorsFormatException($"Tensor '{name}' has unknown dtype '{dtypeText}'.");
        }

        if (offsets.Count != 2)
        {
            throw new SafeTensorsFormatException($"Tensor '{name}': data_offsets must be [begin, end], but it has {offsets.Count} entries.");
        }

        long elements = 1;
        foreach (var dim in shape)
        {
            if (dim < 0)
            {
                throw new SafeTensorsFormatException($"Tensor '{name}' has a negative dimension in shape [{string.Join(", ", shape)}].");
            }

            // A shape whose size overflows can only be corrupt: the data could never hold it.
            if (dim != 0 && elements > dataLength / dim)
            {
                elements = long.MaxValue;
                continue;
            }

            elements *= dim;
        }

        var (begin, end) = (offsets[0], offsets[1]);
        if (begin < 0 || end < begin || end > dataLength)
        {
            throw new SafeTensorsFormatException(
                $"Tensor '{name}' has data_offsets [{begin}, {end}] outside the {dataLength}-byte data section.");
        }

        // Compared by division: elements * size can overflow a long for a data section past 2^60 bytes.
        var size = SafeTensorsDTypes.SizeOf(dtype);
        if (elements == long.MaxValue || (end - begin) % size != 0 || elements != (end - begin) / size)
        {
            throw new SafeTensorsFormatException(
                $"Tensor '{name}' is {dtype} [{string.Join(", ", shape)}], which needs {(elements == long.MaxValue ? "more" : ((Int128)elements * size).ToString())} bytes, but data_offsets [{begin}, {end}] give {end - begin}.");
        }

        return new TensorInfo(name, dtype, shape.ToArray(), elements, begin, end - begin);
    }

    private static void RequireFirst(bool first, string name, string field)
    {
        if (!first)
        {
            throw new SafeTensorsFormatException($"Tensor '{name}' gives {field} twice.");
        }
    }

    private static List<long> ReadIntegers(ref Utf8JsonReader reader, string name, string field)
    {
        Expect(ref reader, JsonTokenType.StartArray, $"Tensor '{name}': {field} must be an array of integers");
        var values = new List<long>();
        while (Read(ref reader) && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var value))
            {
                throw new SafeTensorsFormatException($"Tensor '{name}': {field} must be an array of integers.");
            }

            values.Add(value);
        }

        return values;
    }

    /// <summary>The tensors must tile the data section exactly: no overlaps, no holes, nothing left over.</summary>
    private static void CheckDataLayout(List<TensorInfo> tensors, long dataLength)
    {
        long expected = 0;
        TensorInfo? previous = null;
        foreach (var tensor in tensors.OrderBy(t => t.DataOffset).ThenBy(t => t.ByteLength))
        {
            if (tensor.DataOffset < expected)
            {
                throw new SafeTensorsFormatException(
                    $"Tensor '{tensor.Name}' (bytes {tensor.DataOffset}..{tensor.DataOffset + tensor.ByteLength}) overlaps tensor '{previous!.Name}'.");
            }

            if (tensor.DataOffset > expected)
            {
                throw new SafeTensorsFormatException(
                    $"The data section has a hole: bytes {expected}..{tensor.DataOffset} before tensor '{tensor.Name}' belong to no tensor.");
            }

            expected = tensor.DataOffset + tensor.ByteLength;
            previous = tensor;
        }

        if (expected != dataLength)
        {
            throw new SafeTensorsFormatException(
                $"The data section is {dataLength} bytes but the tensors cover {expected}: {dataLength - expected} bytes belong to no tensor.");
        }
    }

    private static bool Read(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
        {
            throw new SafeTensorsFormatException("The header ends in the middle of its JSON.");
        }

        return true;
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type, string what)
    {
        Read(ref reader);
        if (reader.TokenType != type)
        {
            throw new SafeTensorsFormatException($"{what}, but found {reader.TokenType}.");
        }
    }
}
