namespace AttentionGen.Tests.SafeTensorsTests;

/// <summary>
/// Writer → reader round trips. F32 must come back bit for bit; F16 and BF16 within half an ulp of the stored format
/// (relative 2^-11 and 2^-8 for normal values — the test values stay inside F16's normal range).
/// </summary>
[Trait("Category", "SafeTensors")]
public sealed class SafeTensorsRoundTripTests
{
    public static TheoryData<int[]> Shapes => new()
    {
        Array.Empty<int>(),
        new[] { 7 },
        new[] { 0, 3 },
        new[] { 3, 0 },
        new[] { 4, 5 },
        new[] { 2, 3, 4 },
        new[] { 1, 1, 1, 1 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void F32RoundTripsExactly(int[] shape)
    {
        var values = RandomValues(ElementCount(shape), seed: shape.Length * 31 + ElementCount(shape));
        var loaded = RoundTrip(values, shape, SafeTensorsDType.F32, out var info);

        Assert.Equal(SafeTensorsDType.F32, info.DType);
        Assert.Equal(shape.Select(d => (long)d), info.Shape);
        Assert.Equal(values.Length, info.ElementCount);
        Assert.Equal(values.Length * 4L, info.ByteLength);
        for (int i = 0; i < values.Length; i++)
        {
            Assert.Equal(BitConverter.SingleToInt32Bits(values[i]), BitConverter.SingleToInt32Bits(loaded[i]));
        }
    }

    [Fact]
    public void F32KeepsSpecialValuesBitForBit()
    {
        float[] values = [0f, -0f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, float.Epsilon, float.MaxValue, float.MinValue, 1e-40f];
        var loaded = RoundTrip(values, [values.Length], SafeTensorsDType.F32, out _);
        Assert.Equal(values.Select(BitConverter.SingleToInt32Bits), loaded.Select(BitConverter.SingleToInt32Bits));
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void F16RoundTripsWithinHalfPrecision(int[] shape) => AssertWithin(shape, SafeTensorsDType.F16, Math.Pow(2, -11));

    [Theory]
    [MemberData(nameof(Shapes))]
    public void BF16RoundTripsWithinBFloat16Precision(int[] shape) => AssertWithin(shape, SafeTensorsDType.BF16, Math.Pow(2, -8));

    [Fact]
    public void ReducedPrecisionKeepsExactlyRepresentableAndSpecialValues()
    {
        // Values exactly representable in both F16 and BF16 must survive unchanged; infinities and NaN keep their kind.
        float[] values = [0f, -0f, 1f, -2f, 0.5f, 3f, 0.375f, 256f, float.PositiveInfinity, float.NegativeInfinity, float.NaN];
        foreach (var dtype in new[] { SafeTensorsDType.F16, SafeTensorsDType.BF16 })
        {
            var loaded = RoundTrip(values, [values.Length], dtype, out var info);
            Assert.Equal(values.Length * 2L, info.ByteLength);
            for (int i = 0; i < values.Length; i++)
            {
                if (float.IsNaN(values[i]))
                {
                    Assert.True(float.IsNaN(loaded[i]), $"{dtype}: NaN came back as {loaded[i]}");
                }
                else
                {
                    Assert.Equal(BitConverter.SingleToInt32Bits(values[i]), BitConverter.SingleToInt32Bits(loaded[i]));
                }
            }
        }
    }

    [Fact]
    public void BF16RoundsToNearestEven()
    {
        // 1 + 2^-8 is halfway between the bfloat16 values 1 and 1 + 2^-7: ties go to the even one, 1.
        // 1 + 3·2^-8 is halfway between 1 + 2^-7 and 1 + 2^-6: ties go to the even one, 1 + 2^-6.
        // Just above a tie rounds up.
        float[] values = [1f + MathF.Pow(2, -8), 1f + 3 * MathF.Pow(2, -8), 1f + MathF.Pow(2, -8) + MathF.Pow(2, -20)];
        var loaded = RoundTrip(values, [3], SafeTensorsDType.BF16, out _);
        Assert.Equal([1f, 1f + MathF.Pow(2, -6), 1f + MathF.Pow(2, -7)], loaded);
    }

    [Fact]
    public void MultipleTensorsComeBackInHeaderOrderWithMetadata()
    {
        var a = RandomValues(6, 1);
        var b = RandomValues(4, 2);
        var c = RandomValues(1, 3);
        var bytes = new SafeTensorsWriter()
            .AddMetadata("format", "pt")
            .AddMetadata("note", "ünïcode \"quoted\" \\ text")
            .Add("z.last.alphabetically", a, [2, 3])
            .Add("a.first.alphabetically", b, [4], SafeTensorsDType.F16)
            .Add("m.middle", c, [], SafeTensorsDType.BF16)
            .Add("empty", [], [0])
            .ToArray();

        using var file = SafeTensors.Load(bytes);

        Assert.Equal(["z.last.alphabetically", "a.first.alphabetically", "m.middle", "empty"], file.Tensors.Select(t => t.Name));
        Assert.Equal(2, file.Metadata.Count);
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal("ünïcode \"quoted\" \\ text", file.Metadata["note"]);

        // Data sections are laid out back to back in the same order.
        long offset = 0;
        foreach (var tensor in file.Tensors)
        {
            Assert.Equal(offset, tensor.DataOffset);
            offset += tensor.ByteLength;
        }

        var loadedA = new float[6];
        file.CopyTo(file.Require("z.last.alphabetically", [2, 3]), loadedA);
        Assert.Equal(a, loadedA);
        Assert.True(file.TryGetTensor("m.middle", out var scalar));
        Assert.Empty(scalar.Shape);
        Assert.Equal(1, scalar.ElementCount);
        Assert.Equal("m.middle BF16 []", scalar.ToString());
        Assert.Equal("z.last.alphabetically F32 [2, 3]", file.Tensors[0].ToString());
        Assert.False(file.TryGetTensor("missing", out _));
    }

    [Fact]
    public void FileWithoutMetadataHasEmptyMetadata()
    {
        using var file = SafeTensors.Load(new SafeTensorsWriter().Add("x", [1f], [1]).ToArray());
        Assert.Empty(file.Metadata);
        Assert.Single(file.Tensors);
    }

    [Fact]
    public void EmptyWriterProducesALoadableEmptyFile()
    {
        var bytes = new SafeTensorsWriter().ToArray();
        using var file = SafeTensors.Load(bytes);
        Assert.Empty(file.Tensors);
        Assert.Empty(file.Metadata);
    }

    [Fact]
    public void HeaderIsPaddedSoDataStaysEightByteAligned()
    {
        foreach (var name in new[] { "a", "ab", "abc", "abcd", "abcde", "abcdef", "abcdefg", "abcdefgh" })
        {
            var bytes = new SafeTensorsWriter().Add(name, [1f, 2f], [2]).ToArray();
            var headerLength = BitConverter.ToUInt64(bytes, 0);
            Assert.Equal(0UL, headerLength % 8);
            Assert.Equal(8 + (long)headerLength + 8, bytes.Length);
        }
    }

    [Fact]
    public void SaveThenOpenFromATempFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"attentiongen-{Guid.NewGuid():N}.safetensors");
        try
        {
            var weight = RandomValues(12, 7);
            var bias = RandomValues(3, 8);
            new SafeTensorsWriter()
                .AddMetadata("format", "pt")
                .Add("enc.q_proj.weight", weight, [3, 4])
                .Add("enc.q_proj.bias", bias, [3], SafeTensorsDType.F16)
                .Save(path);

            using var file = SafeTensors.Open(path);
            Assert.Equal(["enc.q_proj.weight", "enc.q_proj.bias"], file.Tensors.Select(t => t.Name));
            Assert.Equal("pt", file.Metadata["format"]);
            var loaded = new float[12];
            file.CopyTo(file.Require("enc.q_proj.weight", [3, 4]), loaded);
            Assert.Equal(weight, loaded);
            var loadedBias = new float[3];
            file.CopyTo(file.Require("enc.q_proj.bias", [3]), loadedBias);
            for (int i = 0; i < 3; i++)
            {
                Assert.Equal((float)(Half)bias[i], loadedBias[i]);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void OpenOfAMissingFileIsAnIOExceptionNotAFormatException()
    {
        var path = Path.Combine(Path.GetTempPath(), $"attentiongen-missing-{Guid.NewGuid():N}.safetensors");
        var e = Assert.ThrowsAny<IOException>(() => SafeTensors.Open(path));
        Assert.IsNotType<SafeTensorsFormatException>(e);
    }

    [Fact]
    public void WriteToAndToArrayProduceTheSameBytes()
    {
        var writer = new SafeTensorsWriter().AddMetadata("k", "v").Add("x", RandomValues(5, 9), [5], SafeTensorsDType.BF16);
        using var stream = new MemoryStream();
        writer.WriteTo(stream);
        Assert.Equal(writer.ToArray(), stream.ToArray());
    }

    private static void AssertWithin(int[] shape, SafeTensorsDType dtype, double relative)
    {
        var values = RandomValues(ElementCount(shape), seed: 100 + ElementCount(shape));
        var loaded = RoundTrip(values, shape, dtype, out var info);
        Assert.Equal(dtype, info.DType);
        Assert.Equal(shape.Select(d => (long)d), info.Shape);
        Assert.Equal(values.Length * 2L, info.ByteLength);
        for (int i = 0; i < values.Length; i++)
        {
            var error = Math.Abs((double)loaded[i] - values[i]);
            Assert.True(error <= relative * Math.Abs(values[i]), $"{dtype} element {i}: wrote {values[i]:R}, read {loaded[i]:R} (error {error:E3})");
        }

        // The stored values are not simply the float values: narrowing must have happened somewhere.
        if (values.Length >= 4)
        {
            Assert.Contains(Enumerable.Range(0, values.Length), i => loaded[i] != values[i]);
        }
    }

    private static float[] RoundTrip(float[] values, int[] shape, SafeTensorsDType dtype, out TensorInfo info)
    {
        var bytes = new SafeTensorsWriter().Add("t", values, shape, dtype).ToArray();
        using var file = SafeTensors.Load(bytes);
        info = Assert.Single(file.Tensors);
        Assert.Same(info, file.Require("t", shape));
        var loaded = new float[values.Length];
        file.CopyTo(info, loaded);
        return loaded;
    }

    private static int ElementCount(int[] shape) => shape.Aggregate(1, (p, d) => p * d);

    /// Magnitudes in [1e-3, 1e3] with random sign: normal in F16 (which ranges 6.1e-5 .. 65504) and BF16.
    private static float[] RandomValues(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count)
            .Select(_ => (float)(Math.Pow(10, random.NextDouble() * 6 - 3) * (random.Next(2) == 0 ? -1 : 1)))
            .ToArray();
    }
}
