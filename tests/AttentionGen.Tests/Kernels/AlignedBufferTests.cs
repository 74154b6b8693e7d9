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

    [Theory]
    [InlineData(new[] { 0 })]
    [InlineData(new[] { 1, 0, 17, 16, 3 })]
    [InlineData(new[] { 147456, 384, 589824, 1 })]
    public unsafe void AllocateTogether_GivesAlignedZeroedBuffers_ThatNeverOverlap(int[] lengths)
    {
        var buffers = AlignedBuffer.AllocateTogether(lengths);
        Assert.Equal(lengths.Length, buffers.Length);
        for (int i = 0; i < lengths.Length; i++)
        {
            Assert.Equal(lengths[i], buffers[i].Length);
            Assert.Equal(0u, (nuint)Unsafe.AsPointer(ref buffers[i].Reference) % AlignedBuffer.Alignment);
            Assert.True(buffers[i].Span.IndexOfAnyExcept(0f) < 0, $"buffer {i} is not zeroed");
        }

        // Each buffer filled with its own index: any overlap would leave another's value in it.
        for (int i = 0; i < buffers.Length; i++)
        {
            buffers[i].Span.Fill(i + 1);
        }

        for (int i = 0; i < buffers.Length; i++)
        {
            Assert.True(buffers[i].Span.IndexOfAnyExcept(i + 1f) < 0, $"buffer {i} was overwritten by another");
        }
    }

    [Fact]
    public unsafe void LargeBuffer_OnLinuxWithTransparentHugePages_SitsOnHugePages()
    {
        // The kernel decides: with transparent huge pages off ("never") or absent, or off Linux, there is nothing to check.
        const string Setting = "/sys/kernel/mm/transparent_hugepage/enabled";
        if (!OperatingSystem.IsLinux() || !File.Exists(Setting) || File.ReadAllText(Setting).Contains("[never]", StringComparison.Ordinal))
        {
            return;
        }

        const int HugePage = 2 << 20;
        var buffer = new AlignedBuffer(16 << 20 >> 2); // 16 MB, zeroed: every page touched
        nuint first = (nuint)Unsafe.AsPointer(ref buffer.Reference);
        nuint adviseStart = (first + HugePage - 1) & ~(nuint)(HugePage - 1);

        // madvise gave the whole huge pages inside the array their own mapping; smaps says how much of it is huge.
        long hugeKb = -1;
        bool inMapping = false;
        foreach (string line in File.ReadLines("/proc/self/smaps"))
        {
            int dash = line.IndexOf('-', StringComparison.Ordinal);
            if (dash > 0 && line.Length > dash + 1 && Uri.IsHexDigit(line[0]) && line.Contains(' ', StringComparison.Ordinal))
            {
                inMapping = Convert.ToUInt64(line[..dash], 16) == adviseStart;
            }
            else if (inMapping && line.StartsWith("AnonHugePages:", StringComparison.Ordinal))
            {
                hugeKb = long.Parse(line["AnonHugePages:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
                break;
            }
        }

        Assert.True(hugeKb >= 0, $"no mapping starts at the advised address 0x{adviseStart:x}: the buffer was not advised");
        GC.KeepAlive(buffer);
        Assert.True(hugeKb >= 12 << 10, $"only {hugeKb} kB of the 16 MB buffer is on huge pages");
    }

    [Fact]
    public void NegativeLength_Throws()
    {
        Assert.Equal("length", Assert.Throws<ArgumentOutOfRangeException>(() => new AlignedBuffer(-1)).ParamName);
    }
}
