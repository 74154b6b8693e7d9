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

        // With "always", every large mapping gets huge pages unasked, and none carries the advice flag.
        bool adviceNeeded = !File.ReadAllText(Setting).Contains("[always]", StringComparison.Ordinal);

        // Memory the GC hands out again after an earlier object touched it (4 KB pages already behind it) must end up on
        // huge pages too: 64 MB of arrays touched, dropped and collected first make that likely.
        var earlier = new float[64][];
        for (int i = 0; i < earlier.Length; i++)
        {
            earlier[i] = GC.AllocateArray<float>(1 << 20 >> 2, pinned: true);
            earlier[i].AsSpan().Fill(1f);
        }

        earlier = null;
        GC.Collect();
        GC.WaitForPendingFinalizers();

        const int HugePage = 2 << 20;
        var buffer = new AlignedBuffer(16 << 20 >> 2); // 16 MB, zeroed: every page touched
        nuint first = (nuint)Unsafe.AsPointer(ref buffer.Reference);
        nuint adviseStart = (first + HugePage - 1) & ~(nuint)(HugePage - 1);

        // madvise marked the whole huge pages inside the array ("hg" in smaps' VmFlags). That gives them a mapping of
        // their own, which the kernel may merge with a neighbour advised the same way (another large buffer), so the
        // mapping that holds the buffer is found by address; its AnonHugePages then covers this buffer at least.
        long hugeKb = -1;
        bool advised = false, inMapping = false;
        foreach (string line in File.ReadLines("/proc/self/smaps"))
        {
            int dash = line.IndexOf('-', StringComparison.Ordinal);
            int space = line.IndexOf(' ', StringComparison.Ordinal);
            if (dash > 0 && space > dash && Uri.IsHexDigit(line[0]) && Uri.IsHexDigit(line[dash + 1]))
            {
                ulong start = Convert.ToUInt64(line[..dash], 16), end = Convert.ToUInt64(line[(dash + 1)..space], 16);
                inMapping = start <= adviseStart && adviseStart < end;
            }
            else if (inMapping && line.StartsWith("AnonHugePages:", StringComparison.Ordinal))
            {
                hugeKb = long.Parse(line["AnonHugePages:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
            }
            else if (inMapping && line.StartsWith("VmFlags:", StringComparison.Ordinal))
            {
                advised = line.Split(' ').Contains("hg");
                break;
            }
        }

        GC.KeepAlive(buffer);
        Assert.True(advised || !adviceNeeded, $"the mapping at 0x{adviseStart:x} is not advised for huge pages");
        // At least one huge page, not all 7 whole ones inside: the kernel falls back to 4 KB pages where it finds no free
        // 2 MB of physical memory, which a busy machine's fragmentation can cause (a full CI run once got 4 MB of them).
        // Advice given too late, after the pages were touched, gets none.
        Assert.True(hugeKb >= 2 << 10, $"only {hugeKb} kB of the mapping holding the 16 MB buffer is on huge pages");
    }

    [Fact]
    public void NegativeLength_Throws()
    {
        Assert.Equal("length", Assert.Throws<ArgumentOutOfRangeException>(() => new AlignedBuffer(-1)).ParamName);
    }
}
