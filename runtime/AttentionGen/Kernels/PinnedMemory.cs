using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace AttentionGen.Kernels;

/// <summary>
/// Zeroed, pinned float arrays for weights, caches and scratch; on Linux, the large ones backed by transparent huge
/// pages.
/// </summary>
/// <remarks>
/// A kernel that streams tens of megabytes of weights (a decode step, a short sequence through all-MiniLM) crosses a
/// 4 KB page every 64 panel rows: each crossing can miss the TLB, and the hardware prefetchers stop at page boundaries
/// and must find the stream again. With 2 MB pages there is one crossing where there were 512. Measured on a Zen 4
/// core: all-MiniLM's 42 MB of matrices went through a one-row GEMM in 1.26 ms instead of 2.0–2.5 ms, and at 16 rows
/// in 3.25 ms instead of 4.0 ms. Linux's default (<c>transparent_hugepage</c> set to <c>madvise</c>) gives huge pages
/// only to memory that asks for them before it is touched, so the array is allocated uninitialized, its whole 2 MB pages
/// are advised (<c>madvise(MADV_HUGEPAGE)</c>) and any pages already behind them dropped (<c>MADV_DONTNEED</c>: the
/// GC may reuse memory), and only then is it zeroed. Elsewhere, or if the kernel refuses, the array is an ordinary
/// pinned array.
/// </remarks>
internal static partial class PinnedMemory
{
    /// <summary>A transparent huge page on x64 and arm64 Linux.</summary>
    private const int HugePageBytes = 2 << 20;

    /// <summary>Arrays from this size up are advised: two huge pages, so at least one whole page lies inside.</summary>
    private const long AdviseFromBytes = 2L * HugePageBytes;

    private const int MadviseHugePage = 14;

    private const int MadviseDontNeed = 4;

    /// <summary>A zeroed array of <paramref name="length"/> floats on the pinned object heap.</summary>
    public static float[] Allocate(int length)
    {
        if ((long)length * sizeof(float) < AdviseFromBytes || !OperatingSystem.IsLinux())
        {
            return GC.AllocateArray<float>(length, pinned: true);
        }

        var array = GC.AllocateUninitializedArray<float>(length, pinned: true);
        AdviseHugePages(array);
        array.AsSpan().Clear();
        return array;
    }

    private static unsafe void AdviseHugePages(float[] array)
    {
        nuint first = (nuint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
        nuint end = first + (nuint)array.Length * sizeof(float);
        nuint pagesStart = (first + HugePageBytes - 1) & ~(nuint)(HugePageBytes - 1);
        nuint pagesEnd = end & ~(nuint)(HugePageBytes - 1);
        if (pagesEnd > pagesStart)
        {
            // Advice only: a kernel without transparent huge pages (or with them set to "never") refuses or ignores it,
            // and the array works the same on 4 KB pages. The GC may hand out memory an earlier object already touched,
            // whose 4 KB pages the advice would not change: dropping them (the array's contents are not yet defined)
            // makes the zeroing below fault the range in afresh, as huge pages.
            if (Madvise((void*)pagesStart, pagesEnd - pagesStart, MadviseHugePage) == 0)
            {
                _ = Madvise((void*)pagesStart, pagesEnd - pagesStart, MadviseDontNeed);
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static unsafe partial int Madvise(void* address, nuint length, int advice);
}
