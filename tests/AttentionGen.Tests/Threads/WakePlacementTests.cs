using AttentionGen.Threading;

namespace AttentionGen.Tests.Threads;

/// <summary>
/// A worker woken from its wait is kept off the waking caller's CPU (Linux): its mask is narrowed before the wake, the
/// wake honours it, and the worker gets its own mask back afterwards. Without it, a two-thread call after an idle gap
/// ran caller and worker in turns on one core for milliseconds (see <see cref="WakePlacement"/>).
/// </summary>
[Collection(ParallelismCollection.Name)]
public sealed unsafe class WakePlacementTests
{
    [Fact]
    public void ExcludeCpu_TakesOneCpuOutOfTheMask_AndRestoreGivesItBack()
    {
        if (!WakePlacement.TryCaptureMask(out var start) || CountCpus(start) < 2)
        {
            return; // off Linux, or a process allowed one CPU: there is no other CPU to move to
        }

        int thread = WakePlacement.CurrentThreadId();
        int cpu = WakePlacement.CurrentCpu();
        Assert.True(start.Contains(cpu), $"the thread runs on CPU {cpu}, outside its own mask");
        try
        {
            Assert.True(WakePlacement.ExcludeCpu(thread, start, cpu), "narrowing a two-CPU mask by one CPU was refused");
            Assert.True(WakePlacement.TryReadMask(thread, out var narrowed));
            Assert.False(narrowed.Contains(cpu), $"CPU {cpu} is still in the narrowed mask");
            Assert.Equal(CountCpus(start) - 1, CountCpus(narrowed));

            // The kernel moves a thread off a CPU its mask no longer holds before the call returns.
            Assert.NotEqual(cpu, WakePlacement.CurrentCpu());
        }
        finally
        {
            WakePlacement.Restore(start);
        }

        Assert.True(WakePlacement.TryReadMask(thread, out var restored));
        Assert.True(restored.SameAs(start), "the restored mask differs from the one the thread started with");
    }

    [Fact]
    public void ExcludeCpu_OfTheOnlyAllowedCpu_IsRefused_AndChangesNothing()
    {
        if (!WakePlacement.TryCaptureMask(out var start))
        {
            return;
        }

        int thread = WakePlacement.CurrentThreadId();
        var single = default(WakePlacement.CpuMask);
        int cpu = WakePlacement.CurrentCpu();
        single.Words[cpu / 64] = 1UL << (cpu % 64);
        Assert.False(WakePlacement.ExcludeCpu(thread, single, cpu));
        Assert.True(WakePlacement.TryReadMask(thread, out var after));
        Assert.True(after.SameAs(start), "a refused narrowing changed the mask");
    }

    [Fact]
    public void SleepingWorker_WokenForAJob_RunsOffTheCallersCpu_AndGetsItsMaskBack()
    {
        if (!WakePlacement.TryCaptureMask(out var callerMask) || CountCpus(callerMask) < 2)
        {
            return;
        }

        int savedThreads = Parallelism.MaxThreads;
        try
        {
            Parallelism.MaxThreads = 2;
            for (int attempt = 0; attempt < 3; attempt++)
            {
                // Wait until the worker has blocked (it spins 100 µs after a job first), then post a job that wakes it.
                var deadline = DateTime.UtcNow.AddSeconds(10);
                while (WorkerPool.Placement(1) is not { Asleep: true } && DateTime.UtcNow < deadline)
                {
                    Thread.Sleep(5);
                }

                var before = WorkerPool.Placement(1);
                Assert.True(before is { Asleep: true }, "the worker never went to sleep");
                long workerChunks = WorkerPool.WorkerChunks;
                int chunks = 64;
                WorkerPool.Run(&SpinAWhile, null, chunks, threads: 2, scratchFloats: 0);

                var after = WorkerPool.Placement(1)!.Value;
                Assert.NotEqual(-1, after.ExcludedCpu);
                if (WorkerPool.WorkerChunks == workerChunks)
                {
                    continue; // the caller took every chunk before the worker woke: nothing was observed this time
                }

                // The worker ran chunks of this job, so it woke (narrowed) before the job ended and recorded where.
                Assert.NotEqual(-1, after.WakeCpu);
                Assert.NotEqual(after.ExcludedCpu, after.WakeCpu);
                Assert.True(WakePlacement.TryReadMask(after.ThreadId, out var workerMask));
                Assert.True(workerMask.SameAs(after.StartMask), "the worker kept the narrowed mask after it woke");
                return;
            }

            Assert.Fail("in three jobs of 64 spinning chunks, the woken worker never took a chunk");
        }
        finally
        {
            Parallelism.MaxThreads = savedThreads;
        }
    }

    private static void SpinAWhile(void* arguments, int chunk, int participant) => Thread.SpinWait(20_000);

    private static int CountCpus(in WakePlacement.CpuMask mask)
    {
        int count = 0;
        for (int cpu = 0; cpu < 1024; cpu++)
        {
            count += mask.Contains(cpu) ? 1 : 0;
        }

        return count;
    }
}
