using System.Runtime.InteropServices;

namespace AttentionGen.Threading;

/// <summary>
/// Keeps a worker that is woken from its wait off the core of the thread that woke it (Linux only; elsewhere every
/// member does nothing). The caller narrows a sleeping worker's CPU mask to "every allowed CPU but mine" just before it
/// wakes it, so the scheduler places it on another core; the worker widens its mask back as soon as it runs.
/// </summary>
/// <remarks>
/// <para>Why: Linux may place a woken thread on its waker's CPU (wake-affine). The worker then shares the caller's core,
/// in slices, until the load balancer moves one of them milliseconds later. Traced on the 2-core Zen 5 VM (Linux 6.18,
/// which describes no caches to the guest, so the scheduler likely sees no cache shared between the two CPUs and does
/// not look for the idle one beside the waker; and likely more so the longer the waker slept, as its load average
/// decays) with <c>perf sched</c>: after 50 ms idle a
/// two-thread <c>mha S512 dm768</c> call took 13.8 ms against 8.9 ms back to back (16.3 ms on one thread), caller and
/// worker alternating on one CPU for 5–7 ms; after 10 ms idle it did not happen. Pinning the two threads to different
/// CPUs by hand made the first call after an idle gap as fast as the rest, and so does this: 9.0 ms after 50 ms idle, and
/// all-MiniLM at 16 tokens 2.2 ms where it took 2.8–3.7 ms (slower than one thread's 2.7 after the same gap).</para>
/// <para>A mask is narrowed only for a worker asleep when a job is posted (so at most once per job, after 100 µs or more
/// without one), never for a spinning one, and the narrowing leaves at least one allowed CPU, else it is skipped. A worker
/// restores the mask it started with, so a process affinity set before <see cref="Parallelism.MaxThreads"/> started the
/// workers is kept.</para>
/// </remarks>
internal static unsafe partial class WakePlacement
{
    /// <summary>CPUs a mask here covers (1,024, glibc's <c>cpu_set_t</c>); on a machine with more the placement is off.</summary>
    private const int MaskWords = 16;

    private const int MaskBytes = MaskWords * sizeof(ulong);

    /// <summary>
    /// Whether the calls are there: Linux, with a C library that exports all four (glibc 2.30 or later, musl 1.2.2 or
    /// later for <c>gettid</c>). Probed once, so a missing export turns the placement off instead of failing a worker.
    /// </summary>
    public static bool IsSupported { get; } = Probe();

    /// <summary>The calling thread's OS id (0 where unsupported), for <see cref="ExcludeCpu"/>.</summary>
    public static int CurrentThreadId() => IsSupported ? GetTid() : 0;

    /// <summary>The CPU the calling thread runs on, or −1 where unsupported.</summary>
    public static int CurrentCpu() => IsSupported ? SchedGetCpu() : -1;

    /// <summary>The calling thread's CPU mask, to give back to <see cref="Restore"/>; false where it cannot be read.</summary>
    public static bool TryCaptureMask(out CpuMask mask) => TryReadMask(0, out mask);

    /// <summary>
    /// Narrows thread <paramref name="threadId"/>'s mask to <paramref name="allowed"/> without <paramref name="cpu"/>.
    /// Returns false, changing nothing, when that would leave no CPU or the call fails.
    /// </summary>
    public static bool ExcludeCpu(int threadId, in CpuMask allowed, int cpu)
    {
        if (!IsSupported || threadId == 0 || (uint)cpu >= MaskWords * 64)
        {
            return false;
        }

        CpuMask narrowed = allowed;
        narrowed.Words[cpu / 64] &= ~(1UL << (cpu % 64));
        bool anyLeft = false;
        for (int word = 0; word < MaskWords; word++)
        {
            anyLeft |= narrowed.Words[word] != 0;
        }

        return anyLeft && SchedSetAffinity(threadId, MaskBytes, narrowed.Words) == 0;
    }

    /// <summary>Gives the calling thread <paramref name="mask"/> again.</summary>
    public static void Restore(in CpuMask mask)
    {
        if (IsSupported)
        {
            CpuMask copy = mask;
            _ = SchedSetAffinity(0, MaskBytes, copy.Words);
        }
    }

    /// <summary>Thread <paramref name="threadId"/>'s mask (0: the calling thread's); false where it cannot be read.</summary>
    internal static bool TryReadMask(int threadId, out CpuMask mask)
    {
        CpuMask read = default;
        bool ok = IsSupported && SchedGetAffinity(threadId, MaskBytes, read.Words) == 0;
        mask = read;
        return ok;
    }

    /// <summary>A <c>cpu_set_t</c> of 1,024 CPUs, by value.</summary>
    internal struct CpuMask
    {
        public fixed ulong Words[MaskWords];

        /// <summary>Whether CPU <paramref name="cpu"/> is in the mask.</summary>
        public readonly bool Contains(int cpu) => (uint)cpu < MaskWords * 64 && (Words[cpu / 64] & (1UL << (cpu % 64))) != 0;

        /// <summary>Whether both masks hold the same CPUs.</summary>
        public readonly bool SameAs(in CpuMask other)
        {
            for (int word = 0; word < MaskWords; word++)
            {
                if (Words[word] != other.Words[word])
                {
                    return false;
                }
            }

            return true;
        }
    }

    private static bool Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            CpuMask mask = default;
            return GetTid() > 0 && SchedGetCpu() >= 0 && SchedGetAffinity(0, MaskBytes, mask.Words) == 0;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return false;
        }
    }

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetTid();

    [LibraryImport("libc", EntryPoint = "sched_getcpu")]
    private static partial int SchedGetCpu();

    [LibraryImport("libc", EntryPoint = "sched_getaffinity")]
    private static partial int SchedGetAffinity(int threadId, nuint maskBytes, ulong* mask);

    [LibraryImport("libc", EntryPoint = "sched_setaffinity")]
    private static partial int SchedSetAffinity(int threadId, nuint maskBytes, ulong* mask);
}
