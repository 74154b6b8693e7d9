using System.Buffers.Binary;
using AttentionGen.Tests.Numeric;
using AttentionGen.Tests.Reference;
using SafeTensorsFile = AttentionGen.SafeTensors;

namespace AttentionGen.Tests.Weights;

/// <summary>
/// Matrices held as bfloat16 (<see cref="ParameterSpec.StoresBfloat16"/>, <c>WeightFormat = BFloat16</c>): each float is
/// rounded to nearest even as PyTorch's <c>to(torch.bfloat16)</c> rounds it, NaN stays NaN, and a finite weight that would
/// round to infinity is refused rather than held as ±∞.
/// </summary>
[Trait("Category", "SafeTensors")]
public sealed class Bfloat16WeightTests
{
    private const int Rows = 64, Columns = 64;

    /// <summary>The least float that rounds to bfloat16 infinity: halfway from 0x7F7F (odd) to 0x7F80 (even).</summary>
    private static readonly float FirstOverflow = BitConverter.UInt32BitsToSingle(0x7F7F8000);

    /// <summary>The float just below it, which rounds down to the largest finite bfloat16.</summary>
    private static readonly float LastFinite = BitConverter.UInt32BitsToSingle(0x7F7F7FFF);

    private static ParameterSpec Matrix => new("w", Rows, Columns) { IsPacked = true, StoresBfloat16 = true };

    [Fact]
    public void FloatWeights_RoundToNearestEvenAsPyTorch_NaNStaysNaN_InfinitiesStay()
    {
        var values = new float[Rows * Columns];
        var random = new Random(3);
        for (int i = 0; i < values.Length; i++)
        {
            // Any finite float below the overflow, either sign, many with a tie or near-tie in the low half.
            uint bits = (uint)random.NextInt64(0, 0x7F7F8000) | (random.Next(2) == 0 ? 0 : 0x80000000u);
            values[i] = BitConverter.UInt32BitsToSingle(i % 3 == 0 ? (bits & 0xFFFF0000) | 0x8000 : bits);
        }

        float[] special = [0f, -0f, LastFinite, -LastFinite, float.PositiveInfinity, float.NegativeInfinity, float.Epsilon,
            BitConverter.UInt32BitsToSingle(0x3F808000), BitConverter.UInt32BitsToSingle(0x3F818000)];
        special.CopyTo(values, 100);
        float[] nans = [float.NaN, BitConverter.UInt32BitsToSingle(0x7F800001), BitConverter.UInt32BitsToSingle(0xFF800001),
            BitConverter.UInt32BitsToSingle(0x7FFFFFFF)];
        nans.CopyTo(values, 200);

        var loaded = Load(new SafeTensorsWriter().Add("w", values, [Rows, Columns]).ToArray());
        for (int i = 0; i < values.Length; i++)
        {
            if (float.IsNaN(values[i]))
            {
                Assert.True(float.IsNaN(loaded[i]), $"NaN 0x{BitConverter.SingleToUInt32Bits(values[i]):X8} came back as {loaded[i]}");
                continue;
            }

            // The reference rounds the bits by hand: up past the halfway point, and at it only when that makes the upper half even.
            Assert.Equal(BitConverter.SingleToUInt32Bits(TestData.RoundToBfloat16(values[i])), BitConverter.SingleToUInt32Bits(loaded[i]));
        }

        Assert.Equal(0x7F7F0000u, BitConverter.SingleToUInt32Bits(loaded[102])); // just below the overflow: the largest finite
        Assert.Equal(0x3F800000u, BitConverter.SingleToUInt32Bits(loaded[107])); // a tie, to the even below
        Assert.Equal(0x3F820000u, BitConverter.SingleToUInt32Bits(loaded[108])); // a tie, to the even above
        Assert.Equal(0x80000000u, BitConverter.SingleToUInt32Bits(loaded[101])); // -0 keeps its sign
    }

    [Fact]
    public void ABf16File_LoadsAsBfloat16WithEveryBitPatternKept_SignallingNaNsToo()
    {
        // 256 × 256 = every one of the 65536 bfloat16 patterns, element b holding pattern b.
        var data = new byte[65536 * 2];
        for (int b = 0; b < 65536; b++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(b * 2), (ushort)b);
        }

        var header = "{\"w\": {\"dtype\": \"BF16\", \"shape\": [256, 256], \"data_offsets\": [0, 131072]}}";
        using var file = SafeTensorsFile.Load(SafeTensorsTests.SafeTensorsTestFiles.Build(header, data));
        var tensors = WeightTensors.Load(file, "", [new ParameterSpec("w", 256, 256) { IsPacked = true, StoresBfloat16 = true }], progress: null);
        var loaded = new float[65536];
        tensors.CopyTo(0, loaded);
        for (int b = 0; b < 65536; b++)
        {
            if (BitConverter.SingleToUInt32Bits(loaded[b]) != (uint)b << 16)
            {
                Assert.Fail($"BF16 0x{b:X4} is held as 0x{BitConverter.SingleToUInt32Bits(loaded[b]) >> 16:X4}.");
            }
        }

        // Written back as BF16, the file's bytes are the same.
        var rewritten = new SafeTensorsWriter().Add("w", loaded, [256, 256], SafeTensorsDType.BF16).ToArray();
        Assert.Equal(data, rewritten.AsSpan(rewritten.Length - data.Length).ToArray());
    }

    public static TheoryData<uint> Overflowing => new() { 0x7F7F8000, 0xFF7F8000, 0x7F7FFFFF, 0x7F7FC99E, 0xFF7FFFFF };

    [Theory]
    [MemberData(nameof(Overflowing))]
    public void AFiniteFloatThatRoundsToInfinity_IsRefusedNamingIt(uint bits)
    {
        var values = new float[Rows * Columns];
        float value = BitConverter.UInt32BitsToSingle(bits);
        values[(37 * Columns) + 5] = value; // a row in the second panel, so the row offset of the block counts
        using var file = SafeTensorsFile.Load(new SafeTensorsWriter().Add("w", values, [Rows, Columns]).ToArray());
        var e = Assert.Throws<WeightLoadException>(() => WeightTensors.Load(file, "", [Matrix], progress: null));
        Assert.Equal("w", e.TensorName);
        Assert.Contains(value.ToString("R"), e.Message);
        Assert.Contains("[37, 5]", e.Message);
        Assert.Contains("bfloat16", e.Message);
    }

    [Fact]
    public void AFiniteFloatThatRoundsToInfinity_IsRefusedFromATransposedSlice()
    {
        // GPT-2's layout: the parameter is columns 8..71 of a [Columns, 3 · Rows] Conv1D tensor, read transposed.
        var fused = new float[Columns * 3 * Rows];
        fused[(5 * 3 * Rows) + 8 + 37] = FirstOverflow; // file row 5 (input 5), column 8 + 37 (output 37)
        using var file = SafeTensorsFile.Load(new SafeTensorsWriter().Add("c_attn", fused, [Columns, 3 * Rows]).ToArray());
        var parameter = new ParameterSpec("w", Rows, Columns)
        {
            IsPacked = true,
            StoresBfloat16 = true,
            Source = new TensorSource("c_attn", [Columns, 3 * Rows], Offset: 8, Transposed: true),
        };
        var e = Assert.Throws<WeightLoadException>(() => WeightTensors.Load(file, "", [parameter], progress: null));
        Assert.Equal("c_attn", e.TensorName);
        Assert.Contains("[37, 5]", e.Message);
    }

    [Fact]
    public void AFiniteFloatThatRoundsToInfinity_IsRefusedByTheBuilder_AndTheTensorKeepsItsValue()
    {
        var weights = DecoderLlamaTinyBfloat16.Weights.Load(WriteFile(DecoderLlamaTinyBfloat16.Parameters, seed: 4));
        var name = DecoderLlamaTinyBfloat16.Parameters.First(p => p.StoresBfloat16).Name;
        var before = weights.ToArray(name);
        var values = (float[])before.Clone();
        values[3] = -FirstOverflow;

        var builder = weights.ToBuilder();
        var e = Assert.Throws<ArgumentException>(() => builder.Set(name, values));
        Assert.Contains("[0, 3]", e.Message);
        Assert.Equal(before, builder.Build().ToArray(name));

        values[3] = -LastFinite; // rounds to the largest finite bfloat16, and is kept
        Assert.Equal(-BitConverter.UInt32BitsToSingle(0x7F7F0000), builder.Set(name, values).Build().ToArray(name)[3]);
    }

    [Fact]
    public void AGeneratedDecoderRefusesAnOverflowingWeight_AndLoadsTheLargestThatFits()
    {
        var values = TestWeights.RandomValues(DecoderLlamaTinyBfloat16.Parameters, seed: 6);
        var name = DecoderLlamaTinyBfloat16.Parameters.First(p => p.StoresBfloat16).Name;
        values[name][7] = FirstOverflow;
        var e = Assert.Throws<WeightLoadException>(() => DecoderLlamaTinyBfloat16.Weights.Load(WriteFile(DecoderLlamaTinyBfloat16.Parameters, values)));
        Assert.Equal(name, e.TensorName);

        values[name][7] = LastFinite;
        var loaded = DecoderLlamaTinyBfloat16.Weights.Load(WriteFile(DecoderLlamaTinyBfloat16.Parameters, values));
        Assert.Equal(BitConverter.UInt32BitsToSingle(0x7F7F0000), loaded.ToArray(name)[7]);
    }

    private static float[] Load(byte[] bytes)
    {
        using var file = SafeTensorsFile.Load(bytes);
        var tensors = WeightTensors.Load(file, "", [Matrix], progress: null);
        var values = new float[Rows * Columns];
        tensors.CopyTo(0, values);
        return values;
    }

    private static SafeTensorsFile WriteFile(IReadOnlyList<ParameterSpec> parameters, int seed) =>
        WriteFile(parameters, TestWeights.RandomValues(parameters, seed));

    private static SafeTensorsFile WriteFile(IReadOnlyList<ParameterSpec> parameters, IReadOnlyDictionary<string, float[]> values)
    {
        var writer = new SafeTensorsWriter();
        foreach (var parameter in parameters)
        {
            writer.Add(parameter.Name, values[parameter.Name], [.. parameter.Shape]);
        }

        return SafeTensorsFile.Load(writer.ToArray());
    }
}
