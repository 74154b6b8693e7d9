using System.Globalization;
using Onnx;
using static Onnx.AttributeProto.Types;

namespace AttentionGen.OnnxImport;

/// <summary>
/// Reads a node's attributes by the type each one declares, the one way the importer reads them. protobuf leaves every
/// field of an <see cref="AttributeProto"/> readable whatever its type says (an INT's <c>f</c> reads 0), so a value is
/// taken only from the field its declared type names: an INT where the operator's schema has a FLOAT is read as its
/// integer value (alpha stored as INT 1 is 1, not 0), and any other mismatch (a FLOAT transB, a STRING alpha, no
/// declared type), like a name given twice, is refused with a message naming the node, the attribute, its stored type
/// and its value.
/// </summary>
internal static class NodeAttributes
{
    /// <summary>The attribute called <paramref name="name"/>, or null when the node has none.</summary>
    /// <exception cref="OnnxImportException">The node has two attributes of that name.</exception>
    public static AttributeProto? Find(NodeProto node, string name, string source)
    {
        AttributeProto? found = null;
        foreach (var attribute in node.Attribute)
        {
            if (attribute.Name != name)
            {
                continue;
            }

            if (found is not null)
            {
                throw Fail(node, source, $"has two attributes named '{name}' ({Show(found)} and {Show(attribute)}); which one a runtime reads is not defined.");
            }

            found = attribute;
        }

        return found;
    }

    /// <summary>A FLOAT attribute, or an INT one as its integer value; <paramref name="otherwise"/> when the node has none.</summary>
    public static float Float(NodeProto node, string name, float otherwise, string source) =>
        Find(node, name, source) is { } attribute ? Float(node, attribute, source) : otherwise;

    /// <summary>The value of <paramref name="attribute"/>, where the schema has a FLOAT: an INT is read as its integer value.</summary>
    public static float Float(NodeProto node, AttributeProto attribute, string source)
    {
        switch (attribute.Type)
        {
            case AttributeType.Float:
                return attribute.F;
            case AttributeType.Int when (long)(float)attribute.I == attribute.I:
                return attribute.I;
            default:
                throw Mismatch(node, attribute, "a FLOAT", source);
        }
    }

    /// <summary>An INT attribute; <paramref name="otherwise"/> when the node has none.</summary>
    public static long Int(NodeProto node, string name, long otherwise, string source) =>
        Find(node, name, source) is { } attribute ? Int(node, attribute, source) : otherwise;

    /// <summary>The value of <paramref name="attribute"/>, where the schema has an INT.</summary>
    public static long Int(NodeProto node, AttributeProto attribute, string source) =>
        attribute.Type == AttributeType.Int ? attribute.I : throw Mismatch(node, attribute, "an INT", source);

    /// <summary>An INTS attribute; null when the node has none.</summary>
    public static long[]? Ints(NodeProto node, string name, string source) =>
        Find(node, name, source) is { } attribute ? Ints(node, attribute, source) : null;

    /// <summary>The value of <paramref name="attribute"/>, where the schema has INTS.</summary>
    public static long[] Ints(NodeProto node, AttributeProto attribute, string source) =>
        attribute.Type == AttributeType.Ints ? attribute.Ints.ToArray() : throw Mismatch(node, attribute, "INTS", source);

    /// <summary>A STRING attribute, as UTF-8; <paramref name="otherwise"/> when the node has none.</summary>
    public static string String(NodeProto node, string name, string otherwise, string source) =>
        Find(node, name, source) is not { } attribute ? otherwise
        : attribute.Type == AttributeType.String ? attribute.S.ToStringUtf8()
        : throw Mismatch(node, attribute, "a STRING", source);

    /// <summary>The value of <paramref name="attribute"/>, where the schema has a TENSOR.</summary>
    public static TensorProto Tensor(NodeProto node, AttributeProto attribute, string source) =>
        attribute.Type == AttributeType.Tensor ? attribute.T : throw Mismatch(node, attribute, "a TENSOR", source);

    /// <summary>The attribute as "INT 2", "FLOAT 0.5", "STRING 'tanh'": its declared type and the value that type names.</summary>
    public static string Show(AttributeProto attribute) => attribute.Type switch
    {
        AttributeType.Float => $"FLOAT {attribute.F.ToString("R", CultureInfo.InvariantCulture)}",
        AttributeType.Int => $"INT {attribute.I.ToString(CultureInfo.InvariantCulture)}",
        AttributeType.String => $"STRING '{attribute.S.ToStringUtf8()}'",
        AttributeType.Ints => $"INTS [{string.Join(", ", attribute.Ints)}]",
        AttributeType.Floats => $"FLOATS [{string.Join(", ", attribute.Floats.Select(f => f.ToString("R", CultureInfo.InvariantCulture)))}]",
        AttributeType.Undefined => "no declared type",
        _ => attribute.Type.ToString().ToUpperInvariant(),
    };

    private static OnnxImportException Mismatch(NodeProto node, AttributeProto attribute, string expected, string source) =>
        Fail(node, source, $"has attribute '{attribute.Name}' stored as {Show(attribute)}; the operator's schema makes it {expected}" +
            (expected == "a FLOAT" && attribute.Type == AttributeType.Int ? ", which cannot hold that integer exactly" : "") + ", so the importer cannot tell what the graph computes.");

    private static OnnxImportException Fail(NodeProto node, string source, string problem) =>
        BertOnnxImporter.Fail(source, $"{BertOnnxImporter.Describe(node)} {problem}");
}
