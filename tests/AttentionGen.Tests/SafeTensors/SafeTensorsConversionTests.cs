namespace AttentionGen.Tests.SafeTensorsTests;

/// <summary>
/// The F16 and BF16 widening is exact, so every one of the 65536 bit patterns must come out as the scalar conversion
/// gives it, bit for bit, through the vector loop and its scalar tail, from aligned and unaligned data.
/// </summary>
[Trait("Category", "SafeTensors")]
public sealed class SafeTensorsConversionTests
{
    public static TheoryData<int> Misalignments => new() { 0, 1, 2, 3 };

    [Theory]
    [MemberData(nameof(Misalignments))]
    public void EveryHalfBitPatternConvertsLikeTheScalarCast(int misalignment)
    {
        var loaded = LoadAllBitPatterns("F16", misalignment);
        for (int bits = 0; bits < 65536; bits++)
        {
            var expected = (float)BitConverter.UInt16BitsToHalf((ushort)bits);
            if (BitConverter.SingleToInt32Bits(loaded[bits]) != BitConverter.SingleToInt32Bits(expected))
            {
                Assert.Fail($"F16 0x{bits:X4}: expected 0x{BitConverter.SingleToInt32Bits(expected):X8} ({expected:R}), got 0x{BitConverter.SingleToInt32Bits(loaded[bits]):X8} ({loaded[bits]:R}).");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Misalignments))]
    public void EveryBFloat16BitPatternIsTheUpperHalfOfAFloat(int misalignment)
    {
        var loaded = LoadAllBitPatterns("BF16", misalignment);
        for (int bits = 0; bits < 65536; bits++)
        {
            Assert.Equal(bits << 16, BitConverter.SingleToInt32Bits(loaded[bits]));
        }
    }

    [Theory]
    [InlineData("F16")]
    [InlineData("BF16")]
    [InlineData("F32")]
    public void EveryLengthUpToSeveralVectorsConverts(string dtype)
    {
        // Lengths below, at and between vector widths exercise the vector loop's bounds and the scalar tail.
        for (int length = 0; length <= 70; length++)
        {
            var values = SafeTensorsMappedFileTests.Pattern(length, length);
            using var file = SafeTensors.Load(new SafeTensorsWriter().Add("t", values, [length], Enum.Parse<SafeTensorsDType>(dtype)).ToArray());
            var loaded = new float[length + 1];
            loaded[length] = 42f;
            file.CopyTo(file.Tensors[0], loaded.AsSpan(0, length));
            Assert.Equal(values, loaded[..length]);
            Assert.Equal(42f, loaded[length]); // nothing written past the destination
        }
    }

    /// <summary>A one-tensor file of all 65536 16-bit patterns, its data placed <paramref name="misalignment"/> bytes off an 8-byte boundary.</summary>
    private static float[] LoadAllBitPatterns(string dtype, int misalignment)
    {
        var data = new byte[65536 * 2];
        for (int bits = 0; bits < 65536; bits++)
        {
            data[2 * bits] = (byte)bits;
            data[2 * bits + 1] = (byte)(bits >> 8);
        }

        var file = SafeTensorsTestFiles.Build($"{{\"t\": {{\"dtype\": \"{dtype}\", \"shape\": [65536], \"data_offsets\": [0, {data.Length}]}}}}", data);
        var shifted = new byte[file.Length + misalignment];
        file.CopyTo(shifted, misalignment);
        using var loaded = SafeTensors.Load(shifted.AsMemory(misalignment));
        var values = new float[65536];
        loaded.CopyTo(loaded.Tensors[0], values);
        return values;
    }
}
