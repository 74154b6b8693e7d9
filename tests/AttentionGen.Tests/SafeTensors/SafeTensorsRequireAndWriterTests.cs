using static AttentionGen.Tests.SafeTensorsTests.SafeTensorsTestFiles;

namespace AttentionGen.Tests.SafeTensorsTests;

/// <summary>
/// What a layer's LoadWeights relies on (<see cref="SafeTensors.Require"/>, <see cref="SafeTensors.CopyTo"/>) and the
/// writer's argument checks: each failure names the tensor or parameter and what was expected versus found.
/// </summary>
[Trait("Category", "SafeTensors")]
public sealed class SafeTensorsRequireAndWriterTests
{
    private static SafeTensors LayerFile() => SafeTensors.Load(new SafeTensorsWriter()
        .Add("encoder.layers.0.self_attn.q_proj.weight", new float[6], [2, 3])
        .Add("encoder.layers.0.self_attn.q_proj.bias", new float[2], [2], SafeTensorsDType.F16)
        .Add("encoder.layers.0.self_attn.k_proj.weight", new float[6], [2, 3], SafeTensorsDType.BF16)
        .ToArray());

    [Fact]
    public void RequireReturnsTheTensorWhenNameShapeAndDtypeFit()
    {
        using var file = LayerFile();
        var tensor = file.Require("encoder.layers.0.self_attn.q_proj.weight", [2, 3]);
        Assert.Same(file.Tensors[0], tensor);
        Assert.Same(file.Tensors[1], file.Require("encoder.layers.0.self_attn.q_proj.bias", [2]));
        Assert.Same(file.Tensors[2], file.Require("encoder.layers.0.self_attn.k_proj.weight", [2, 3]));
    }

    [Fact]
    public void MissingTensorIsNamed()
    {
        using var file = LayerFile();
        var e = Assert.Throws<WeightLoadException>(() => file.Require("encoder.layers.0.self_attn.o_proj.weight", [3, 2]));
        Assert.Contains("'encoder.layers.0.self_attn.o_proj.weight'", e.Message);
        Assert.Contains("missing", e.Message);
        Assert.Equal("encoder.layers.0.self_attn.o_proj.weight", e.TensorName);
        Assert.Equal([3, 2], e.ExpectedShape);
        Assert.Null(e.ActualShape);
        Assert.DoesNotContain("Similar names", e.Message);
    }

    [Theory]
    [InlineData("q_proj.weight")]                               // no prefix given
    [InlineData("decoder.layers.0.self_attn.q_proj.weight")]    // wrong prefix
    [InlineData("encoder.layers.0.attn.q_proj.weight")]
    public void MissingTensorWithAWrongPrefixSuggestsTheSimilarName(string name)
    {
        using var file = LayerFile();
        var e = Assert.Throws<WeightLoadException>(() => file.Require(name, [2, 3]));
        Assert.Contains($"'{name}'", e.Message);
        Assert.Contains("Similar names", e.Message);
        Assert.Contains("'encoder.layers.0.self_attn.q_proj.weight'", e.Message);
        Assert.DoesNotContain("k_proj", e.Message);
        Assert.Contains("prefix", e.Message);
    }

    [Fact]
    public void MissingTensorInAnEmptyFile()
    {
        using var file = SafeTensors.Load(new SafeTensorsWriter().ToArray());
        var e = Assert.Throws<WeightLoadException>(() => file.Require("weight", [1]));
        Assert.Contains("'weight'", e.Message);
        Assert.Contains("0 tensors", e.Message);
    }

    [Theory]
    [InlineData(new[] { 3, 2 })]
    [InlineData(new[] { 6 })]
    [InlineData(new[] { 2, 3, 1 })]
    [InlineData(new int[0])]
    public void WrongShapeNamesBothShapes(int[] expected)
    {
        using var file = LayerFile();
        var e = Assert.Throws<WeightLoadException>(() => file.Require("encoder.layers.0.self_attn.q_proj.weight", expected));
        Assert.Contains("'encoder.layers.0.self_attn.q_proj.weight'", e.Message);
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains($"[{string.Join(", ", expected)}]", e.Message);
        Assert.Equal("encoder.layers.0.self_attn.q_proj.weight", e.TensorName);
        Assert.Equal(expected, e.ExpectedShape);
        Assert.Equal([2L, 3L], e.ActualShape);
    }

    [Theory]
    [InlineData("I64", 8)]
    [InlineData("F64", 8)]
    [InlineData("I32", 4)]
    [InlineData("U8", 1)]
    [InlineData("BOOL", 1)]
    [InlineData("F8_E4M3", 1)]
    public void UnsupportedDtypeIsAWeightLoadException(string dtype, int size)
    {
        var header = $"{{\"ids\": {{\"dtype\": \"{dtype}\", \"shape\": [2, 2], \"data_offsets\": [0, {4 * size}]}}}}";
        using var file = Load(Build(header, new byte[4 * size]));
        var tensor = Assert.Single(file.Tensors);
        Assert.Equal(Enum.Parse<SafeTensorsDType>(dtype), tensor.DType);

        var e = Assert.Throws<WeightLoadException>(() => file.Require("ids", [2, 2]));
        Assert.Contains("'ids'", e.Message);
        Assert.Contains(dtype, e.Message);
        Assert.Contains("F32, F16 and BF16", e.Message);
        Assert.Equal([2, 2], e.ExpectedShape);
        Assert.Equal([2L, 2L], e.ActualShape);

        // Reading it anyway is refused rather than reinterpreting the bytes.
        Assert.Throws<NotSupportedException>(() => file.CopyTo(tensor, new float[4]));
    }

    [Theory]
    [InlineData(5)]
    [InlineData(7)]
    [InlineData(0)]
    public void CopyToWithTheWrongDestinationLength(int length)
    {
        using var file = LayerFile();
        var tensor = file.Tensors[0];
        var e = Assert.Throws<ArgumentException>(() => file.CopyTo(tensor, new float[length]));
        Assert.Equal("destination", e.ParamName);
        Assert.Contains("6 elements", e.Message);
        Assert.Contains($"holds {length}", e.Message);
    }

    [Fact]
    public void CopyToWithATensorOfAnotherFile()
    {
        using var file = LayerFile();
        using var other = LayerFile();
        var e = Assert.Throws<ArgumentException>(() => file.CopyTo(other.Tensors[0], new float[6]));
        Assert.Equal("tensor", e.ParamName);
        Assert.Throws<ArgumentNullException>(() => file.CopyTo(null!, new float[6]));
    }

    [Fact]
    public void CopyToConvertsEachDtype()
    {
        float[] values = [1.5f, -2.25f, 0.125f, 1024f, -0.5f, 3f];
        using var file = SafeTensors.Load(new SafeTensorsWriter()
            .Add("f32", values, [6])
            .Add("f16", values, [2, 3], SafeTensorsDType.F16)
            .Add("bf16", values, [3, 2], SafeTensorsDType.BF16)
            .ToArray());
        foreach (var tensor in file.Tensors)
        {
            var loaded = new float[6];
            file.CopyTo(tensor, loaded);
            Assert.Equal(values, loaded); // all exactly representable in each dtype
        }
    }

    [Fact]
    public unsafe void WriterRefusesATensorPastOneArray_NamingIt()
    {
        // 600M floats are 2.4 GB as F32: the byte count overflowed an int (OverflowException). The memory is reserved but
        // never touched (the check comes before any value is read), so the test takes no real memory.
        const int Count = 600_000_000;
        void* values = System.Runtime.InteropServices.NativeMemory.Alloc((nuint)Count * sizeof(float));
        try
        {
            var writer = new SafeTensorsWriter();
            nint address = (nint)values;
            var e = Assert.Throws<ArgumentException>(() => writer.Add("big", new ReadOnlySpan<float>((void*)address, Count), [Count]));
            Assert.Equal("values", e.ParamName);
            Assert.Contains("Tensor 'big' would take 2400000000 bytes as F32", e.Message);
        }
        finally
        {
            System.Runtime.InteropServices.NativeMemory.Free(values);
        }
    }

    [Fact]
    public void WriterRefusesADuplicateName()
    {
        var writer = new SafeTensorsWriter().Add("w", [1f], [1]);
        var e = Assert.Throws<ArgumentException>(() => writer.Add("w", [2f], [1]));
        Assert.Equal("name", e.ParamName);
        Assert.Contains("'w'", e.Message);
        var meta = Assert.Throws<ArgumentException>(() => writer.Add("__metadata__", [2f], [1]));
        Assert.Equal("name", meta.ParamName);
        Assert.Throws<ArgumentException>(() => writer.Add("", [2f], [1]));
    }

    [Theory]
    [InlineData(new[] { 2, 3 }, 5)]
    [InlineData(new[] { 2 }, 3)]
    [InlineData(new int[0], 0)]
    [InlineData(new int[0], 2)]
    [InlineData(new[] { 0, 3 }, 3)]
    public void WriterRefusesValuesThatDoNotFillTheShape(int[] shape, int count)
    {
        var e = Assert.Throws<ArgumentException>(() => new SafeTensorsWriter().Add("w", new float[count], shape));
        Assert.Equal("values", e.ParamName);
        Assert.Contains($"[{string.Join(", ", shape)}]", e.Message);
        Assert.Contains($"{count} were given", e.Message);
    }

    [Fact]
    public void WriterRefusesANegativeDimension()
    {
        var e = Assert.Throws<ArgumentException>(() => new SafeTensorsWriter().Add("w", new float[2], [-1, -2]));
        Assert.Equal("shape", e.ParamName);
        Assert.Contains("negative", e.Message);
    }

    [Fact]
    public void WriterRefusesAShapeWhoseSizeOverflows()
    {
        // 65536^4 = 2^64 wraps to 0 in a long: it must not pass as a shape for zero values.
        var e = Assert.Throws<ArgumentException>(() => new SafeTensorsWriter().Add("w", [], [65536, 65536, 65536, 65536]));
        Assert.Equal("shape", e.ParamName);
        Assert.Contains("[65536, 65536, 65536, 65536]", e.Message);

        // A zero anywhere makes it an empty tensor, which the reader accepts too.
        using var file = SafeTensors.Load(new SafeTensorsWriter().Add("w", [], [65536, 65536, 65536, 65536, 0]).ToArray());
        Assert.Equal(0, Assert.Single(file.Tensors).ElementCount);
    }

    [Theory]
    [InlineData(SafeTensorsDType.I64)]
    [InlineData(SafeTensorsDType.F64)]
    [InlineData(SafeTensorsDType.U8)]
    [InlineData(SafeTensorsDType.BOOL)]
    public void WriterRefusesNonFloatDtypes(SafeTensorsDType dtype)
    {
        var e = Assert.Throws<ArgumentException>(() => new SafeTensorsWriter().Add("w", [1f], [1], dtype));
        Assert.Equal("dtype", e.ParamName);
        Assert.Contains(dtype.ToString(), e.Message);
    }

    public static TheoryData<SafeTensorsDType, uint> OverflowingValues => new()
    {
        { SafeTensorsDType.F16, 0x477FF000 },  // 65520: halfway from 65504 (odd) to infinity (even), so infinity
        { SafeTensorsDType.F16, 0xC77FF000 },  // -65520
        { SafeTensorsDType.F16, 0x49742400 },  // 1e6
        { SafeTensorsDType.F16, 0x7F7FFFFF },  // float.MaxValue
        { SafeTensorsDType.BF16, 0x7F7F8000 }, // halfway from bfloat16's largest (odd) to infinity
        { SafeTensorsDType.BF16, 0xFF7FFFFF }, // float.MinValue
    };

    [Theory]
    [MemberData(nameof(OverflowingValues))]
    public void WriterRefusesAFiniteValueThatWouldBeStoredAsInfinity_AndAddsNothing(SafeTensorsDType dtype, uint bits)
    {
        float value = BitConverter.UInt32BitsToSingle(bits);
        var writer = new SafeTensorsWriter();
        var e = Assert.Throws<ArgumentException>(() => writer.Add("w", [0f, 1f, value, 2f], [4], dtype));
        Assert.Equal("values", e.ParamName);
        Assert.Contains("'w'", e.Message);
        Assert.Contains($"{value:R} at element 2", e.Message);
        Assert.Contains(dtype.ToString(), e.Message);

        // Nothing was added: the name is free and F32 stores the value exactly.
        using var file = Load(writer.Add("w", [value], [1]).ToArray());
        var back = new float[1];
        file.CopyTo(Assert.Single(file.Tensors), back);
        Assert.Equal(value, back[0]);
    }

    [Fact]
    public void WriterKeepsTheLargestFiniteValuesAndTheInfinities()
    {
        // Just below each halfway point rounds down to the largest finite value; an infinity written is an infinity read.
        float[] f16 = [BitConverter.UInt32BitsToSingle(0x477FEFFF), -65504f, float.PositiveInfinity, float.NegativeInfinity];
        float[] bf16 = [BitConverter.UInt32BitsToSingle(0x7F7F7FFF), -BitConverter.UInt32BitsToSingle(0x7F7F0000), float.PositiveInfinity, float.NegativeInfinity];
        using var file = Load(new SafeTensorsWriter().Add("h", f16, [4], SafeTensorsDType.F16).Add("b", bf16, [4], SafeTensorsDType.BF16).ToArray());
        var back = new float[4];
        file.CopyTo(file.Tensors[0], back);
        Assert.Equal([65504f, -65504f, float.PositiveInfinity, float.NegativeInfinity], back);
        file.CopyTo(file.Tensors[1], back);
        Assert.Equal([BitConverter.UInt32BitsToSingle(0x7F7F0000), -BitConverter.UInt32BitsToSingle(0x7F7F0000), float.PositiveInfinity, float.NegativeInfinity], back);
    }

    [Fact]
    public void WriterEscapesNamesAndMetadataThatJsonMustEscape()
    {
        // Quotes, backslashes, control characters (NUL among them), characters an HTML-safe encoder escapes, non-ASCII,
        // a surrogate pair and the line separators JavaScript once refused: each comes back as written.
        string[] names = ["a\"b", "c\\d", "e\nf\tg", "<h>&'+`", "\u0000i", "é", "\U0001F600", "\u2028\u2029", "\u007F", "__metadata__x"];
        var writer = new SafeTensorsWriter();
        foreach (var name in names)
        {
            writer.Add(name, [1f], [1]);
        }

        writer.AddMetadata("k\"\\\n\u0001", "v\"\\\n\u0001<>é").AddMetadata("", "");
        using var file = Load(writer.ToArray());
        Assert.Equal(names, file.Tensors.Select(t => t.Name));
        Assert.Equal("v\"\\\n\u0001<>é", file.Metadata["k\"\\\n\u0001"]);
        Assert.Equal("", file.Metadata[""]);
    }

    [Fact]
    public void WriterRefusesADuplicateMetadataKey()
    {
        var writer = new SafeTensorsWriter().AddMetadata("k", "v");
        var e = Assert.Throws<ArgumentException>(() => writer.AddMetadata("k", "w"));
        Assert.Equal("key", e.ParamName);
        Assert.Contains("'k'", e.Message);
    }

    // Attribute arguments are stored as UTF-8 and would lose the lone surrogates, so the cases are listed here.
    [Theory]
    [InlineData(0)] // high surrogate at the end
    [InlineData(1)] // low surrogate alone
    [InlineData(2)] // a pair in the wrong order
    [InlineData(3)] // a lone one after a valid pair
    public void WriterRefusesANameWithALoneSurrogate(int example)
    {
        var (name, index) = example switch
        {
            0 => ("w\ud800", 1),
            1 => ("\udc00w", 0),
            2 => ("a\udc00\ud800b", 1),
            _ => ("x\ud83d\ude00\ud83d", 3),
        };
        var writer = new SafeTensorsWriter();
        var e = Assert.Throws<ArgumentException>(() => writer.Add(name, [1f], [1]));
        Assert.Equal("name", e.ParamName);
        Assert.Contains("lone surrogate", e.Message);
        Assert.Contains($"at index {index}", e.Message);
        Assert.Contains($"U+{(int)name[index]:X4}", e.Message);

        // The name is shown with the surrogate escaped, so the message itself is valid text.
        Assert.Contains($"\\u{(int)name[index]:X4}", e.Message);
        Assert.Empty(SafeTensors.Load(writer.ToArray()).Tensors);

        var key = Assert.Throws<ArgumentException>(() => writer.AddMetadata(name, "v"));
        Assert.Equal("key", key.ParamName);
        var value = Assert.Throws<ArgumentException>(() => writer.AddMetadata("k", name));
        Assert.Equal("value", value.ParamName);
    }

    [Fact]
    public void WriterKeepsAValidSurrogatePairThroughARoundTrip()
    {
        const string Name = "emoji.\ud83d\ude00.weight";
        using var file = SafeTensors.Load(new SafeTensorsWriter().AddMetadata("note", "\ud83d\ude00").Add(Name, [1f], [1]).ToArray());
        Assert.Equal(Name, Assert.Single(file.Tensors).Name);
        Assert.Equal("\ud83d\ude00", file.Metadata["note"]);
    }

    [Fact]
    public void ParameterSpecDescribesNameShapeAndCount()
    {
        var spec = new ParameterSpec("q_proj.weight", 64, 32);
        Assert.Equal("q_proj.weight", spec.Name);
        Assert.Equal([64, 32], spec.Shape);
        Assert.Equal(2048, spec.ElementCount);
        Assert.Equal("q_proj.weight [64, 32]", spec.ToString());

        // The spec keeps its own copy of the shape.
        var shape = new[] { 4 };
        var bias = new ParameterSpec("score.bias", shape);
        shape[0] = 9;
        Assert.Equal([4], bias.Shape);
        Assert.Equal(1, new ParameterSpec("scalar").ElementCount);
    }
}
