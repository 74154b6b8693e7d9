using System.Runtime.CompilerServices;
using AttentionGen.Kernels;

namespace AttentionGen.Tests.Kernels;

public sealed class AlignedBufferTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(1000)]
    [InlineData(123457)]
    public unsafe void NewBuffer_IsAlignedZeroedAndHasTheLength(int length)
    {
        // Several allocations, since one could be aligned by luck.
        for (int attempt = 0; attempt < 8; attempt++)
        {
            var buffer = new AlignedBuffer(length);
            Assert.Equal(length, buffer.Length);
            Assert.Equal(length, buffer.Span.Length);
            Assert.Equal(0u, (nuint)Unsafe.AsPointer(ref buffer.Reference) % AlignedBuffer.Alignment);
            Assert.True(buffer.Span.IndexOfAnyExcept(0f) < 0, "buffer is not zeroed");
        }
    }

    [Fact]
    public void SpanAndReference_ViewTheSameMemory()
    {
        var buffer = new AlignedBuffer(40);
        buffer.Span[0] = 1.5f;
        buffer.Span[39] = 2.5f;
        Assert.Equal(1.5f, buffer.Reference);
        Assert.Equal(2.5f, Unsafe.Add(ref buffer.Reference, 39));
        Assert.True(Unsafe.AreSame(ref buffer.Reference, ref buffer.Span[0]));
    }

    [Fact]
    public void NegativeLength_Throws()
    {
        Assert.Equal("length", Assert.Throws<ArgumentOutOfRangeException>(() => new AlignedBuffer(-1)).ParamName);
    }
}
