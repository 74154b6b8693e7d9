namespace AttentionGen.Tests.Numeric;

/// <summary>Bad run-time input is rejected before any work, naming the parameter; the output is left untouched.</summary>
[Trait("Category", "Numeric")]
public sealed class ArgumentTests
{
    private readonly SdpaPlain _sdpa = new();
    private readonly float[] _q = new float[32 * SdpaPlain.QueryWidth];
    private readonly float[] _k = new float[32 * SdpaPlain.KvWidth];
    private readonly float[] _v = new float[32 * SdpaPlain.KvWidth];
    private readonly float[] _o = Enumerable.Repeat(42f, 32 * SdpaPlain.QueryWidth).ToArray();

    [Theory]
    [InlineData(0, 4, "seqLen")]
    [InlineData(33, 4, "seqLen")]
    [InlineData(-1, 4, "seqLen")]
    [InlineData(int.MinValue, 4, "seqLen")]
    [InlineData(4, 0, "kvSeqLen")]
    [InlineData(4, 33, "kvSeqLen")]
    [InlineData(4, int.MaxValue, "kvSeqLen")]
    public void LengthOutOfRange(int seqLen, int kvSeqLen, string parameter)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => _sdpa.Forward(_q, _k, _v, _o, seqLen, kvSeqLen));
        Assert.Equal(parameter, e.ParamName);
        Assert.Contains("32", e.Message); // the bound
        var masked = Assert.Throws<ArgumentOutOfRangeException>(() => _sdpa.Forward(_q, _k, _v, new float[4], _o, seqLen, kvSeqLen));
        Assert.Equal(parameter, masked.ParamName);
        Assert.All(_o, x => Assert.Equal(42f, x));
    }

    [Theory]
    [InlineData("query")]
    [InlineData("key")]
    [InlineData("value")]
    [InlineData("output")]
    public void SpanTooShort(string parameter)
    {
        // One float short of 5 query rows / 5 key rows.
        var q = parameter == "query" ? new float[5 * SdpaPlain.QueryWidth - 1] : _q;
        var k = parameter == "key" ? new float[5 * SdpaPlain.KvWidth - 1] : _k;
        var v = parameter == "value" ? new float[5 * SdpaPlain.KvWidth - 1] : _v;
        var o = parameter == "output" ? new float[5 * SdpaPlain.QueryWidth - 1] : _o;
        var e = Assert.Throws<ArgumentException>(() => _sdpa.Forward(q, k, v, o, 5, 5));
        Assert.Equal(parameter, e.ParamName);
        var masked = Assert.Throws<ArgumentException>(() => _sdpa.Forward(q, k, v, new float[25], o, 5, 5));
        Assert.Equal(parameter, masked.ParamName);
    }

    [Theory]
    [InlineData(4 * 5 + 1)]
    [InlineData(4 * 5 - 1)]
    [InlineData(0)]
    [InlineData(4 * 4)]
    public void MaskOfTheWrongLength(int length)
    {
        var e = Assert.Throws<ArgumentException>(() => _sdpa.Forward(_q, _k, _v, new float[length], _o, 4, 5));
        Assert.Equal("additiveMask", e.ParamName);
        Assert.All(_o, x => Assert.Equal(42f, x));
    }

    [Fact]
    public void OutputOverlappingTheQuery()
    {
        var e = Assert.Throws<ArgumentException>(() => _sdpa.Forward(_q, _k, _v, _q, 4, 4));
        Assert.Equal("output", e.ParamName);
    }

    [Fact]
    public void OutputOverlappingTheMask()
    {
        var maskAndOutput = new float[4 * SdpaPlain.QueryWidth];
        var e = Assert.Throws<ArgumentException>(() => _sdpa.Forward(_q, _k, _v, maskAndOutput.AsSpan(0, 4 * 5), maskAndOutput, 4, 5));
        Assert.Equal("output", e.ParamName);
    }

    [Fact]
    public void Pooling_AttentionWeightsOverlappingTheInputOrTheOutput()
    {
        var pool = TestWeights.NewLayer<PoolNarrow>();
        var input = new float[10];
        Assert.Equal("attentionWeights", Assert.Throws<ArgumentException>(() => pool.Forward(input, new float[1], input.AsSpan(8, 2), 2)).ParamName);
        var shared = new float[2];
        Assert.Equal("output", Assert.Throws<ArgumentException>(() => pool.Forward(input, shared.AsSpan(1, 1), shared, 2)).ParamName);
    }

    [Fact]
    public void WeightNames_Null_IsArgumentNull()
    {
        var weights = TestWeights.NewLayer<MhaSelf>().CurrentWeights;
        Assert.Equal("name", Assert.Throws<ArgumentNullException>(() => weights.ToArray(null!)).ParamName);
        Assert.Equal("name", Assert.Throws<ArgumentNullException>(() => weights.CopyTo(null!, new float[1])).ParamName);
        Assert.Equal("name", Assert.Throws<ArgumentNullException>(() => weights.With(null!, new float[1])).ParamName);
        Assert.Equal("name", Assert.Throws<ArgumentNullException>(() => PoolNarrow.Weights.CreateBuilder().Set(null!, new float[1])).ParamName);
    }

    [Fact]
    public void MultiHead_ChecksLengthsAndSpans()
    {
        var mha = TestWeights.NewLayer<MhaSelf>();
        Assert.Equal("seqLen", Assert.Throws<ArgumentOutOfRangeException>(() => mha.Forward(new float[64], new float[64], 0)).ParamName);
        Assert.Equal("seqLen", Assert.Throws<ArgumentOutOfRangeException>(() => mha.Forward(new float[64 * 25], new float[64 * 25], 25)).ParamName);
        Assert.Equal("input", Assert.Throws<ArgumentException>(() => mha.Forward(new float[63], new float[64], 1)).ParamName);
        Assert.Equal("output", Assert.Throws<ArgumentException>(() => mha.Forward(new float[128], new float[127], 2)).ParamName);

        var cross = TestWeights.NewLayer<MhaCross>();
        Assert.Equal("seqLen", Assert.Throws<ArgumentOutOfRangeException>(() => cross.Forward(new float[32 * 9], new float[24], new float[32 * 9], 9, 1)).ParamName);
        Assert.Equal("contextLen", Assert.Throws<ArgumentOutOfRangeException>(() => cross.Forward(new float[32], new float[24 * 31], new float[32], 1, 31)).ParamName);
        Assert.Equal("contextLen", Assert.Throws<ArgumentOutOfRangeException>(() => cross.Forward(new float[32], new float[24], new float[32], 1, 0)).ParamName);
        Assert.Equal("context", Assert.Throws<ArgumentException>(() => cross.Forward(new float[32], new float[23], new float[32], 1, 1)).ParamName);
        Assert.Equal("input", Assert.Throws<ArgumentException>(() => cross.Forward(new float[31], new float[24], new float[32], 1, 1)).ParamName);
        Assert.Equal("output", Assert.Throws<ArgumentException>(() => cross.Forward(new float[32], new float[24], new float[31], 1, 1)).ParamName);
    }

    [Fact]
    public void Pooling_ChecksLengthsAndSpans()
    {
        var pool = TestWeights.NewLayer<PoolNarrow>();
        Assert.Equal("seqLen", Assert.Throws<ArgumentOutOfRangeException>(() => pool.Forward(new float[5], new float[1], 0)).ParamName);
        Assert.Equal("seqLen", Assert.Throws<ArgumentOutOfRangeException>(() => pool.Forward(new float[40], new float[1], 8)).ParamName);
        Assert.Equal("seqLen", Assert.Throws<ArgumentOutOfRangeException>(() => pool.Forward(new float[40], new float[1], new float[8], 8)).ParamName);
        Assert.Equal("input", Assert.Throws<ArgumentException>(() => pool.Forward(new float[9], new float[1], 2)).ParamName);
        Assert.Equal("attentionWeights", Assert.Throws<ArgumentException>(() => pool.Forward(new float[10], new float[1], new float[1], 2)).ParamName);
        Assert.Equal("output", Assert.Throws<ArgumentException>(() => pool.Forward(new float[10], Span<float>.Empty, 2)).ParamName);
    }
}
