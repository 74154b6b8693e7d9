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
