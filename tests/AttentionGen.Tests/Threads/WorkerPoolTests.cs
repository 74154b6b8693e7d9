using System.Runtime.InteropServices;
using AttentionGen.Threading;

namespace AttentionGen.Tests.Threads;

/// <summary>
/// The pool itself, with jobs that do almost nothing so that posts follow each other as fast as they can: every chunk of
/// every job runs exactly once, with that job's function and arguments, and never after its <c>Run</c> returned. A worker
/// that wakes late for one job while the next is being posted is the case this exists for; a pool that let it run the
/// next job's function (or an earlier job's function on the next job's arguments) once let a split layer read a returned
/// caller's stack.
/// </summary>
[Collection(ParallelismCollection.Name)]
[Trait("Category", "Numeric")]
public sealed unsafe class WorkerPoolTests
{
    private const int MaxChunks = 16;
    private const int Jobs = 200_000;

    [Fact]
    public void BackToBackJobs_OfTwoKinds_RunEachChunkOnce_WithTheirOwnArguments_AndNeverAfterReturning()
    {
        int savedThreads = Parallelism.MaxThreads;
        var records = (JobRecord*)NativeMemory.AllocZeroed((nuint)Jobs, (nuint)sizeof(JobRecord));
        try
        {
            Parallelism.MaxThreads = 2;
            for (int job = 0; job < Jobs; job++)
            {
                // Two functions and chunk counts that alternate between few and many: a late worker holding the last
                // job's function, or a claim counter left below the next job's count, shows up as a wrong kind or count.
                JobRecord* record = records + job;
                bool kindA = job % 2 == 0;
                record->Kind = kindA ? KindA : KindB;
                record->Chunks = kindA ? 2 : 3 + (job / 2 % (MaxChunks - 2));
                WorkerPool.Run(kindA ? &RunA : &RunB, record, record->Chunks, threads: 2, scratchFloats: 0);
                Volatile.Write(ref record->Returned, 1);
            }

            // A chunk that ran late would have run after its caller moved on; give any such stragglers time to land.
            Thread.Sleep(50);
            for (int job = 0; job < Jobs; job++)
            {
                JobRecord* record = records + job;
                Assert.True(record->Violations == 0, $"job {job}: {record->Violations} chunk(s) ran with another job's function, past its chunk count, or after Run returned");
                for (int chunk = 0; chunk < MaxChunks; chunk++)
                {
                    int expected = chunk < record->Chunks ? 1 : 0;
                    Assert.True(record->Runs[chunk] == expected, $"job {job} (of {record->Chunks} chunks): chunk {chunk} ran {record->Runs[chunk]} times");
                }
            }

            // Freed only when every chunk kept to its job: after a failure a stray chunk may still be writing to it.
            NativeMemory.Free(records);
        }
        finally
        {
            Parallelism.MaxThreads = savedThreads;
        }
    }

    [Fact]
    public void WorkersPastALoweredLimit_StayBlocked_ThroughTheJobsTheyMayNotJoin()
    {
        // One gate for all woke every sleeping worker on every job, and a worker that could not join then spun 100 µs for
        // the next: after MaxThreads went from 4 to 2, workers 2 and 3 burned more CPU than the calls themselves.
        int savedThreads = Parallelism.MaxThreads;
        var record = (JobRecord*)NativeMemory.AllocZeroed(1, (nuint)sizeof(JobRecord));
        try
        {
            Parallelism.MaxThreads = 4;
            RunJobs(record, 200, threads: 4);
            Parallelism.MaxThreads = 2;
            RunJobs(record, 20, threads: 2);
            Thread.Sleep(20); // past the spin window: the extra workers are asleep now
            long seen2 = WorkerPool.JobsSeen(2), seen3 = WorkerPool.JobsSeen(3);
            long seen1 = WorkerPool.JobsSeen(1);
            RunJobs(record, 2000, threads: 2);
            // Worker 1 was woken, but on a loaded host it may first run after the caller has taken every chunk of all 2000
            // jobs alone (it failed so, 1 run in 3, with both cores busy); once it runs it meets the newest job. Never
            // woken, it would sleep through the wait.
            bool worker1Woke = SpinWait.SpinUntil(() => WorkerPool.JobsSeen(1) - seen1 > 0, TimeSpan.FromSeconds(10));
            // At most one each: a worker the host kept off its core past the pause may still meet one job on its way to block.
            Assert.InRange(WorkerPool.JobsSeen(2) - seen2, 0, 1);
            Assert.InRange(WorkerPool.JobsSeen(3) - seen3, 0, 1);
            Assert.True(worker1Woke, "worker 1, within the limit, saw none of the jobs");
            NativeMemory.Free(record);
        }
        finally
        {
            Parallelism.MaxThreads = savedThreads;
        }

        static void RunJobs(JobRecord* record, int jobs, int threads)
        {
            for (int job = 0; job < jobs; job++)
            {
                record->Kind = KindA;
                record->Chunks = 4;
                record->Returned = 0;
                new Span<int>(record->Runs, MaxChunks).Clear();
                WorkerPool.Run(&RunA, record, record->Chunks, threads, scratchFloats: 0);
            }
        }
    }

    private const int KindA = 0x0A0A, KindB = 0x0B0B;

    private static void RunA(void* arguments, int chunk, int participant) => Record((JobRecord*)arguments, chunk, KindA);

    private static void RunB(void* arguments, int chunk, int participant) => Record((JobRecord*)arguments, chunk, KindB);

    private static void Record(JobRecord* record, int chunk, int kind)
    {
        if (record->Kind != kind || (uint)chunk >= (uint)record->Chunks || Volatile.Read(ref record->Returned) != 0)
        {
            Interlocked.Increment(ref record->Violations);
            return;
        }

        Interlocked.Increment(ref record->Runs[chunk]);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct JobRecord
    {
        public int Kind;
        public int Chunks;
        public int Returned;
        public int Violations;
        public fixed int Runs[MaxChunks];
    }
}
