namespace AttentionGen.Tests.Numeric;

/// <summary>Bad run-time input is rejected before any work, naming the parameter.</summary>
public sealed class ArgumentTests
{
    private readonly SdpaPlain _sdpa = new();
    private readonly float[] _q = new float[32 * SdpaPlain.QueryWidth];
    private readonly float[] _k = new float[32 * SdpaPlain.KvWidth];
    private readonly float[] _v = new float[32 * SdpaPlain.KvWidth];
    private readonly float[] _o = new float[32 * SdpaPlain.QueryWidth];

    [Theory]
    [InlineData(0, 4, "seqLen")]
    [InlineData(33, 4, "seqLen")]
    [InlineData(-1, 4, "seqLen")]
    [InlineData(4, 0, "kvSeqLen")]
    [InlineData(4, 33, "kvSeqLen")]
    public void LengthOutOfRange(int seqLen, int kvSeqLen, string parameter)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => _sdpa.Forward(_q, _k, _v, _o, seqLen, kvSeqLen));
        Assert.Equal(parameter, e.ParamName);
        Assert.Contains("32", e.Message);
    }

    [Theory]
    [InlineData("query")]
    [InlineData("key")]
    [InlineData("value")]
    [InlineData("output")]
    public void SpanTooShort(string parameter)
    {
        var q = parameter == "query" ? _q.AsSpan(0, 5 * SdpaPlain.QueryWidth - 1).ToArray() : _q;
        var k = parameter == "key" ? _k.AsSpan(0, 7).ToArray() : _k;
        var v = parameter == "value" ? _v.AsSpan(0, 7).ToArray() : _v;
        var o = parameter == "output" ? new float[3] : _o;
        var e = Assert.Throws<ArgumentException>(() => _sdpa.Forward(q, k, v, o, 5, 5));
        Assert.Equal(parameter, e.ParamName);
    }

    [Fact]
    public void MaskOfTheWrongLength()
    {
        var e = Assert.Throws<ArgumentException>(() => _sdpa.Forward(_q, _k, _v, new float[4 * 5 + 1], _o, 4, 5));
        Assert.Equal("additiveMask", e.ParamName);
    }

    [Fact]
    public void OutputOverlappingTheQuery()
    {
        var e = Assert.Throws<ArgumentException>(() => _sdpa.Forward(_q, _k, _v, _q, 4, 4));
        Assert.Equal("output", e.ParamName);
    }

    [Fact]
    public void MultiHead_And_Pooling_CheckToo()
    {
        var mha = new MhaSelf();
        Assert.Equal("seqLen", Assert.Throws<ArgumentOutOfRangeException>(() => mha.Forward(new float[64], new float[64], 25)).ParamName);
        Assert.Equal("input", Assert.Throws<ArgumentException>(() => mha.Forward(new float[63], new float[64], 1)).ParamName);

        var cross = new MhaCross();
        Assert.Equal("contextLen", Assert.Throws<ArgumentOutOfRangeException>(() => cross.Forward(new float[32], new float[24 * 31], new float[32], 1, 31)).ParamName);
        Assert.Equal("context", Assert.Throws<ArgumentException>(() => cross.Forward(new float[32], new float[23], new float[32], 1, 1)).ParamName);

        var pool = new PoolNarrow();
        Assert.Equal("attentionWeights", Assert.Throws<ArgumentException>(() => pool.Forward(new float[10], new float[1], new float[1], 2)).ParamName);
        Assert.Equal("output", Assert.Throws<ArgumentException>(() => pool.Forward(new float[10], Span<float>.Empty, 2)).ParamName);
    }
}
