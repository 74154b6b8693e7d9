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

    [Fact]
    public void EveryHalfBitPatternIsWhatPyTorchsFloatGives()
    {
        // Computed by hand, not by Half: sign · mantissa · 2^(exponent − 25) (subnormals mantissa · 2^−24), and for
        // infinity and NaN an all-ones float exponent with the mantissa moved up 13 bits, NaN made quiet, as PyTorch's
        // fp16_ieee_to_fp32_value and the F16C instruction give.
        var loaded = LoadAllBitPatterns("F16", 0);
        for (int bits = 0; bits < 65536; bits++)
        {
            uint sign = (uint)(bits & 0x8000) << 16;
            int exponent = (bits >> 10) & 0x1F, mantissa = bits & 0x3FF;
            uint expected = exponent == 31
                ? sign | 0x7F800000u | ((uint)mantissa << 13) | (mantissa != 0 ? 0x400000u : 0)
                : sign | BitConverter.SingleToUInt32Bits((float)(exponent == 0 ? mantissa * Math.Pow(2, -24) : (1024 + mantissa) * Math.Pow(2, exponent - 25)));
            if (BitConverter.SingleToUInt32Bits(loaded[bits]) != expected)
            {
                Assert.Fail($"F16 0x{bits:X4}: expected 0x{expected:X8}, got 0x{BitConverter.SingleToUInt32Bits(loaded[bits]):X8}.");
            }
        }
    }

    [Fact]
    public void WrittenAsF16_EveryHalfwayPointAndRandomFloatsRoundToNearestEven()
    {
        // Every point halfway between two adjacent finite halves (ties: to the even one), each nudged an ulp either way,
        // and random floats over the whole F16 range, against rounding done by hand in units of the half's spacing.
        var values = new List<float>();
        for (int h = 0; h < 0x7BFF; h++)
        {
            float low = (float)BitConverter.UInt16BitsToHalf((ushort)h), high = (float)BitConverter.UInt16BitsToHalf((ushort)(h + 1));
            float middle = (low + high) / 2;
            values.AddRange([middle, -middle, MathF.BitDecrement(middle), MathF.BitIncrement(middle)]);
        }

        var random = new Random(5);
        for (int i = 0; i < 100_000; i++)
        {
            values.Add(BitConverter.UInt32BitsToSingle((uint)random.Next(0x30000000, 0x477FF000) | (random.Next(2) == 0 ? 0 : 0x80000000u)));
        }

        values.AddRange([MathF.Pow(2, -25), 3 * MathF.Pow(2, -25), 1e-8f, -1e-8f, 0f, -0f]);
        var array = values.ToArray();
        using var file = SafeTensors.Load(new SafeTensorsWriter().Add("t", array, [array.Length], SafeTensorsDType.F16).ToArray());
        var loaded = new float[array.Length];
        file.CopyTo(file.Tensors[0], loaded);
        for (int i = 0; i < array.Length; i++)
        {
            double magnitude = Math.Abs((double)array[i]);
            int exponent = magnitude < Math.Pow(2, -14) ? -14 : Math.ILogB(magnitude);
            double spacing = Math.Pow(2, exponent - 10);
            double expected = Math.CopySign(Math.Round(magnitude / spacing, MidpointRounding.ToEven) * spacing, array[i]);
            if (BitConverter.SingleToUInt32Bits(loaded[i]) != BitConverter.SingleToUInt32Bits((float)expected))
            {
                Assert.Fail($"{array[i]:R} was stored as {loaded[i]:R}, not {expected:R}.");
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
