using System.Runtime.InteropServices;

namespace AttentionGen.Benchmarks.Measurement;

/// <summary>
/// CPU time from the kernel's per-thread and per-process clocks (Linux <c>clock_gettime</c>). On a machine shared
/// with other busy processes, the wall clock also counts the slices the scheduler gave them; this thread's CPU time
/// counts only the slices this thread ran. It does not undo their other effects (caches, memory bandwidth).
/// </summary>
internal static partial class CpuClock
{
    private const int ProcessCpuTime = 2; // CLOCK_PROCESS_CPUTIME_ID
    private const int ThreadCpuTime = 3;  // CLOCK_THREAD_CPUTIME_ID

    public static bool IsAvailable => OperatingSystem.IsLinux();

    public static long ThreadNanoseconds() => Read(ThreadCpuTime);

    /// <summary>Every thread of the process: more than the thread's own time means other threads worked for the call.</summary>
    public static long ProcessNanoseconds() => Read(ProcessCpuTime);

    private static long Read(int clock)
    {
        if (clock_gettime(clock, out var time) != 0)
        {
            throw new InvalidOperationException($"clock_gettime({clock}) failed.");
        }

        return time.Seconds * 1_000_000_000 + time.Nanoseconds;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int clock_gettime(int clockId, out TimeSpec time);
}
