using System.Text;
using static AttentionGen.Tests.SafeTensorsTests.SafeTensorsTestFiles;

namespace AttentionGen.Tests.SafeTensorsTests;

/// <summary>
/// One hand-built malformed file per way a file can be wrong. Each must be refused with
/// <see cref="SafeTensorsFormatException"/> whose message names the problem and, when there is one, the tensor.
/// </summary>
[Trait("Category", "SafeTensors")]
public sealed class SafeTensorsMalformedTests
{
    private static readonly byte[] EightBytes = F32Bytes(1f, 2f);

    private static string Tensor(string name, string dtype = "\"F32\"", string shape = "[2]", string offsets = "[0, 8]") =>
        $"\"{name}\": {{\"dtype\": {dtype}, \"shape\": {shape}, \"data_offsets\": {offsets}}}";

    [Fact]
    public void TheHandBuiltBaselineIsValid()
    {
        // Every case below is a small edit of this file, so it has to load.
        using var file = Load(Build($"{{{Tensor("x")}}}", EightBytes));
        var values = new float[2];
        file.CopyTo(file.Require("x", [2]), values);
        Assert.Equal([1f, 2f], values);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    public void FileShorterThanTheLengthPrefix(int length)
    {
        var e = Assert.Throws<SafeTensorsFormatException>(() => Load(new byte[length]));
        Assert.Contains($"{length} bytes long", e.Message);
        Assert.Contains("8-byte header length", e.Message);
    }

    [Fact]
    public void HeaderLengthPastTheEndOfTheFile()
    {
        var header = Encoding.UTF8.GetBytes($"{{{Tensor("x")}}}");
        var file = WithLengthPrefix((ulong)header.Length + 9, [.. header, .. EightBytes]);
        var e = Assert.Throws<SafeTensorsFormatException>(() => Load(file));
        Assert.Contains("past the end of the file", e.Message);
        Assert.Contains($"{header.Length + 9}", e.Message);
    }

    [Fact]
    public void HeaderLengthThatDoesNotFitAnyInteger()
    {
        var e = Assert.Throws<SafeTensorsFormatException>(() => Load(WithLengthPrefix(ulong.MaxValue, EightBytes)));
        Assert.Contains("past the end of the file", e.Message);
        Assert.Contains(ulong.MaxValue.ToString(), e.Message);
    }

    [Fact]
    public void HeaderLengthOverTheLimit()
    {
        // The file really is that long, so only the limit can refuse it.
        var file = new byte[8 + SafeTensors.MaxHeaderLength + 8];
        BitConverter.TryWriteBytes(file, (ulong)SafeTensors.MaxHeaderLength + 1);
        var e = Assert.Throws<SafeTensorsFormatException>(() => Load(file));
        Assert.Contains("limit", e.Message);
        Assert.Contains($"{SafeTensors.MaxHeaderLength + 1}", e.Message);
    }

    [Fact]
    public void EmptyHeader()
    {
        var e = Rejects("", []);
        Assert.Contains("JSON", e.Message);
    }

    [Theory]
    [InlineData("{\"x\": {\"dtype\": \"F32\"")]
    [InlineData("{\"x\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}")]
    [InlineData("{\"x\": {\"dtype\": \"F3")]
    [InlineData("{")]
    public void TruncatedJson(string header)
    {
        var e = Rejects(header, EightBytes);
        Assert.Contains("JSON", e.Message);
    }

    [Theory]
    [InlineData("{\"x\": {\"dtype\": \"F32\", \"dtype\": \"I32\", \"shape\": [2], \"data_offsets\": [0, 8]}}", "dtype")]
    [InlineData("{\"x\": {\"dtype\": \"F32\", \"shape\": [4], \"shape\": [2], \"data_offsets\": [0, 8]}}", "shape")]
    [InlineData("{\"x\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 4], \"data_offsets\": [0, 8]}}", "data_offsets")]
    public void TensorFieldGivenTwice(string header, string field)
    {
        // The last one used to win silently: an F32 entry re-typed as I32 opened as I32.
        Assert.Contains($"Tensor 'x' gives {field} twice", Rejects(header, EightBytes).Message);
    }

    [Theory]
    [InlineData("[1, 2]", "StartArray")]
    [InlineData("\"x\"", "String")]
    [InlineData("42", "Number")]
    [InlineData("null", "Null")]
    public void HeaderThatIsNotAnObject(string header, string found)
    {
        var e = Rejects(header, EightBytes);
        Assert.Contains("must be a JSON object", e.Message);
        Assert.Contains(found, e.Message);
    }

    [Theory]
    [InlineData(" garbage")]
    [InlineData("{}")]
    [InlineData("]")]
    [InlineData("\0")]
    public void TrailingGarbageAfterTheObject(string trailer)
    {
        var e = Rejects($"{{{Tensor("x")}}}{trailer}", EightBytes);
        Assert.Contains("JSON", e.Message);
    }

    [Fact]
    public void TrailingSpacesAreAllowedPadding()
    {
        using var file = Load(Build($"{{{Tensor("x")}}}       ", EightBytes));
        Assert.Single(file.Tensors);
    }

    [Fact]
    public void ShapeThatIsNotAnArray()
    {
        var e = Rejects($"{{{Tensor("w", shape: "\"2\"")}}}", EightBytes);
        Assert.Contains("'w'", e.Message);
        Assert.Contains("shape must be an array", e.Message);
    }

    [Theory]
    [InlineData("[\"0\", \"8\"]")]
    [InlineData("[0, 8.5]")]
    [InlineData("[0, null]")]
    [InlineData("{\"begin\": 0}")]
    public void OffsetsThatAreNotIntegers(string offsets)
    {
        var e = Rejects($"{{{Tensor("w", offsets: offsets)}}}", EightBytes);
        Assert.Contains("'w'", e.Message);
        Assert.Contains("data_offsets must be an array of integers", e.Message);
    }

    [Theory]
    [InlineData("[2.0]")]
    [InlineData("[[2]]")]
    [InlineData("[true]")]
    [InlineData("[99999999999999999999]")]
    public void ShapeEntriesThatAreNotIntegers(string shape)
    {
        var e = Rejects($"{{{Tensor("w", shape: shape)}}}", EightBytes);
        Assert.Contains("'w'", e.Message);
        Assert.Contains("shape must be an array of integers", e.Message);
    }

    [Fact]
    public void DtypeThatIsNotAString()
    {
        var e = Rejects($"{{{Tensor("w", dtype: "11")}}}", EightBytes);
        Assert.Contains("'w'", e.Message);
        Assert.Contains("dtype must be a string", e.Message);
    }

    [Fact]
    public void TensorDescribedByANonObject()
    {
        var e = Rejects("{\"w\": [0, 8]}", EightBytes);
        Assert.Contains("'w'", e.Message);
        Assert.Contains("must be described by an object", e.Message);
    }

    [Theory]
    [InlineData("{\"w\": {\"shape\": [2], \"data_offsets\": [0, 8]}}")]
    [InlineData("{\"w\": {\"dtype\": \"F32\", \"data_offsets\": [0, 8]}}")]
    [InlineData("{\"w\": {\"dtype\": \"F32\", \"shape\": [2]}}")]
    [InlineData("{\"w\": {}}")]
    public void MissingField(string header)
    {
        var e = Rejects(header, EightBytes);
        Assert.Contains("'w'", e.Message);
        Assert.Contains("needs dtype, shape and data_offsets", e.Message);
    }

    [Fact]
    public void UnknownFieldsAreSkipped()
    {
        using var file = Load(Build("{\"w\": {\"extra\": {\"a\": [1, {\"b\": null}]}, \"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}}", EightBytes));
        Assert.Equal(SafeTensorsDType.F32, Assert.Single(file.Tensors).DType);
    }

    [Theory]
    [InlineData("F33")]
    [InlineData("f32")]
    [InlineData("")]
    [InlineData("11")]
    [InlineData(" F32")]
    [InlineData("F32 ")]
    [InlineData("BOOL, F32")]
    [InlineData("F16,U8")]
    public void UnknownDtype(string dtype)
    {
        var e = Rejects($"{{{Tensor("w", dtype: $"\"{dtype}\"")}}}", EightBytes);
        Assert.Contains("'w'", e.Message);
        Assert.Contains($"unknown dtype '{dtype}'", e.Message);
    }

    [Fact]
    public void NegativeDimension()
    {
        var e = Rejects($"{{{Tensor("w", shape: "[-2]")}}}", EightBytes);
        Assert.Contains("'w'", e.Message);
        Assert.Contains("negative dimension", e.Message);
        Assert.Contains("[-2]", e.Message);
    }

    [Theory]
    [InlineData("[0, 8, 8]", 3)]
    [InlineData("[0]", 1)]
    [InlineData("[]", 0)]
    public void OffsetsWithoutExactlyTwoEntries(string offsets, int count)
    {
        var e = Rejects($"{{{Tensor("w", offsets: offsets)}}}", EightBytes);
        Assert.Contains("'w'", e.Message);
        Assert.Contains("[begin, end]", e.Message);
        Assert.Contains($"{count} entries", e.Message);
    }

    [Fact]
    public void OffsetsEndBeforeBegin()
    {
        var e = Rejects($"{{{Tensor("w", offsets: "[8, 0]")}}}", EightBytes);
        Assert.Contains("'w'", e.Message);
        Assert.Contains("data_offsets [8, 0]", e.Message);
    }

    [Fact]
    public void NegativeOffset()
    {
        var e = Rejects($"{{{Tensor("w", offsets: "[-8, 0]")}}}", EightBytes);
        Assert.Contains("'w'", e.Message);
        Assert.Contains("data_offsets [-8, 0]", e.Message);
    }

    [Fact]
    public void OffsetsPastTheDataSection()
    {
        var e = Rejects($"{{{Tensor("w", shape: "[4]", offsets: "[0, 16]")}}}", EightBytes);
        Assert.Contains("'w'", e.Message);
        Assert.Contains("data_offsets [0, 16]", e.Message);
        Assert.Contains("8-byte data section", e.Message);
    }

    [Theory]
    [InlineData("\"F32\"", "[3]", 12)]
    [InlineData("\"F16\"", "[2]", 4)]
    [InlineData("\"F64\"", "[2]", 16)]
    [InlineData("\"F32\"", "[]", 4)]
    public void ByteLengthDiffersFromElementsTimesSize(string dtype, string shape, int needed)
    {
        var e = Rejects($"{{{Tensor("w", dtype: dtype, shape: shape)}}}", EightBytes);
        Assert.Contains("'w'", e.Message);
        Assert.Contains($"needs {needed} bytes", e.Message);
        Assert.Contains("give 8", e.Message);
    }

    [Fact]
    public void OverlappingTensors()
    {
        var data = F32Bytes(1, 2, 3);
        var e = Rejects($"{{{Tensor("a")}, {Tensor("b", offsets: "[4, 12]")}}}", data);
        Assert.Contains("overlaps", e.Message);
        Assert.Contains("'a'", e.Message);
        Assert.Contains("'b'", e.Message);
    }

    [Fact]
    public void TwoTensorsOnTheSameBytes()
    {
        var e = Rejects($"{{{Tensor("a")}, {Tensor("b")}}}", EightBytes);
        Assert.Contains("overlaps", e.Message);
    }

    [Fact]
    public void HoleBetweenTensors()
    {
        var data = F32Bytes(1, 2, 3, 4, 5);
        var e = Rejects($"{{{Tensor("a")}, {Tensor("b", offsets: "[12, 20]")}}}", data);
        Assert.Contains("hole", e.Message);
        Assert.Contains("8..12", e.Message);
        Assert.Contains("'b'", e.Message);
    }

    [Fact]
    public void HoleAtTheStart()
    {
        var e = Rejects($"{{{Tensor("a", shape: "[1]", offsets: "[4, 8]")}}}", EightBytes);
        Assert.Contains("hole", e.Message);
        Assert.Contains("0..4", e.Message);
    }

    [Fact]
    public void TrailingBytesAfterTheLastTensor()
    {
        var data = F32Bytes(1, 2, 3);
        var e = Rejects($"{{{Tensor("a")}}}", data);
        Assert.Contains("12 bytes", e.Message);
        Assert.Contains("cover 8", e.Message);
        Assert.Contains("4 bytes belong to no tensor", e.Message);
    }

    [Fact]
    public void DataWithNoTensorsAtAll()
    {
        var e = Rejects("{}", EightBytes);
        Assert.Contains("8 bytes belong to no tensor", e.Message);
    }

    [Fact]
    public void TensorsOutOfOrderInTheDataAreFine()
    {
        // The layout check is about coverage, not about the header listing tensors in data order.
        var data = F32Bytes(1, 2, 3, 4);
        using var file = Load(Build($"{{{Tensor("b", offsets: "[8, 16]")}, {Tensor("a")}}}", data));
        Assert.Equal(["b", "a"], file.Tensors.Select(t => t.Name));
        var b = new float[2];
        file.CopyTo(file.Tensors[0], b);
        Assert.Equal([3f, 4f], b);
    }

    [Fact]
    public void DuplicateTensorNames()
    {
        var data = F32Bytes(1, 2, 3, 4);
        var e = Rejects($"{{{Tensor("w")}, {Tensor("w", offsets: "[8, 16]")}}}", data);
        Assert.Contains("'w' twice", e.Message);
    }

    [Fact]
    public void DuplicateMetadataSections()
    {
        var e = Rejects($"{{\"__metadata__\": {{}}, {Tensor("w")}, \"__metadata__\": {{}}}}", EightBytes);
        Assert.Contains("'__metadata__' twice", e.Message);
    }

    [Fact]
    public void DuplicateMetadataKeys()
    {
        var e = Rejects($"{{\"__metadata__\": {{\"k\": \"1\", \"k\": \"2\"}}, {Tensor("w")}}}", EightBytes);
        Assert.Contains("'k' twice", e.Message);
    }

    [Theory]
    [InlineData("{\"k\": 1}", "'k' must be a string")]
    [InlineData("{\"k\": {\"nested\": \"x\"}}", "'k' must be a string")]
    [InlineData("[\"k\"]", "__metadata__ must be an object")]
    [InlineData("\"k\"", "__metadata__ must be an object")]
    public void MetadataThatIsNotAnObjectOfStrings(string metadata, string expected)
    {
        var e = Rejects($"{{\"__metadata__\": {metadata}, {Tensor("w")}}}", EightBytes);
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("[4294967296, 4294967296, 4294967296]")]
    [InlineData("[9223372036854775807, 2]")]
    [InlineData("[2, 9223372036854775807]")]
    [InlineData("[3037000500, 3037000500]")]
    [InlineData("[65536, 65536, 65536, 65536, 1]")]
    public void ShapeWhoseElementCountOverflows(string shape)
    {
        var e = Rejects($"{{{Tensor("w", shape: shape)}}}", EightBytes);
        Assert.Contains("'w'", e.Message);
        Assert.Contains("needs more bytes", e.Message);
    }

    [Fact]
    public void HugeDimensionsTimesZeroAreAnEmptyTensor()
    {
        using var file = Load(Build($"{{{Tensor("w", shape: "[9223372036854775807, 9223372036854775807, 0]", offsets: "[0, 0]")}}}", []));
        var tensor = Assert.Single(file.Tensors);
        Assert.Equal(0, tensor.ElementCount);
        file.CopyTo(tensor, Span<float>.Empty);
    }

    [Fact]
    public void NestingDeeperThanAHeaderNeeds()
    {
        var deep = string.Concat(Enumerable.Repeat("[", 64)) + string.Concat(Enumerable.Repeat("]", 64));
        var e = Rejects($"{{\"w\": {{\"extra\": {deep}, \"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}}}}", EightBytes);
        Assert.Contains("JSON", e.Message);
    }

    [Fact]
    public void InvalidUtf8InATensorName()
    {
        var header = Encoding.UTF8.GetBytes($"{{{Tensor("w?")}}}");
        header[Array.IndexOf(header, (byte)'?')] = 0xFF;
        var e = Assert.Throws<SafeTensorsFormatException>(() => Load(Build(header, EightBytes)));
        Assert.Contains("UTF-8", e.Message);
    }

    [Fact]
    public void LoneSurrogateEscapeInATensorName()
    {
        var e = Rejects($"{{{Tensor("w\\ud800")}}}", EightBytes);
        Assert.Contains("JSON", e.Message);
    }

    [Fact]
    public void CommentsAreNotJson()
    {
        var e = Rejects($"{{/* c */ {Tensor("w")}}}", EightBytes);
        Assert.Contains("JSON", e.Message);
    }
}
