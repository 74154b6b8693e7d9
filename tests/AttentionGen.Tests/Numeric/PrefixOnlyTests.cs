using AttentionGen.Tests.Reference;
using Xunit.Abstractions;

namespace AttentionGen.Tests.Numeric;

/// <summary>
/// Every SDPA test layer, called with buffers sized for its maximum: only the call's prefix of each input is real and
/// the rest is NaN, so a kernel that reads one float too far (a sliding block, a rounded-up vector, a packed panel)
/// poisons its result; the rest of the output holds a sentinel that must survive, so one that writes too far is caught.
/// </summary>
[Trait("Category", "Numeric")]
public sealed class PrefixOnlyTests(ITestOutputHelper output)
{
    private const float Sentinel = 12345.5f;

    public static IEnumerable<object[]> Layers() =>
        Declared.All<ScaledDotProductAttentionAttribute>().Select(t => new object[] { t.Name });

    [Theory]
    [MemberData(nameof(Layers))]
    public void ReadsOnlyThePrefix_WritesOnlyThePrefix(string name)
    {
        var shape = SdpaShape.Of(name);
        var random = new Random(name.Length * 7919 + shape.HeadDim);
        var lengths = new[]
        {
            (shape.MaxSeqLen, shape.MaxKvSeqLen),
            (1, shape.MaxKvSeqLen),
            (random.Next(1, shape.MaxSeqLen + 1), random.Next(1, shape.MaxKvSeqLen + 1)),
            (random.Next(1, shape.MaxSeqLen + 1), random.Next(1, shape.MaxKvSeqLen + 1)),
        }.Distinct();

        var layer = shape.Create();
        foreach (var (seqLen, kvSeqLen) in lengths)
        {
            var q = Poisoned(seqLen * shape.QueryWidth, shape.MaxSeqLen * shape.QueryWidth, seed: seqLen);
            var k = Poisoned(kvSeqLen * shape.KvWidth, shape.MaxKvSeqLen * shape.KvWidth, seed: kvSeqLen + 1);
            var v = Poisoned(kvSeqLen * shape.KvWidth, shape.MaxKvSeqLen * shape.KvWidth, seed: kvSeqLen + 2);
            var result = new float[shape.MaxSeqLen * shape.QueryWidth + 5];
            Array.Fill(result, Sentinel);

            layer.Forward(q, k, v, result, seqLen, kvSeqLen);

            int used = seqLen * shape.QueryWidth;
            var expected = shape.Reference(q[..used], k[..(kvSeqLen * shape.KvWidth)], v[..(kvSeqLen * shape.KvWidth)], null, seqLen, kvSeqLen);
            double error = TestData.AssertClose(expected, result.AsSpan(0, used), $"{name} {seqLen}×{kvSeqLen}");
            for (int i = used; i < result.Length; i++)
            {
                Assert.True(result[i] == Sentinel, $"{name} {seqLen}×{kvSeqLen}: output[{i}], past the {used} it should write, became {result[i]}.");
            }

            output.WriteLine($"{name} {seqLen}×{kvSeqLen}: max error {error:E2}");
        }
    }

    private static float[] Poisoned(int used, int capacity, int seed)
    {
        var values = new float[capacity];
        TestData.Uniform(seed, used).CopyTo(values, 0);
        values.AsSpan(used).Fill(float.NaN);
        return values;
    }
}
