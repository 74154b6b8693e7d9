using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using AttentionGen.Kernels;

namespace AttentionGen.Threading;

/// <summary>
/// The library's worker threads (<see cref="Parallelism.MaxThreads"/> − 1 of them) and the one job they share. A job is a
/// static function pointer, a pointer to the caller's argument struct and a chunk count: the caller takes chunks too and
/// returns only when every chunk is done, so the arguments can live on its stack and nothing is allocated per job.
/// </summary>
/// <remarks>
/// <para>Chunks are claimed one at a time from a single 64-bit word holding (job id, next chunk), so a worker that wakes
/// late can never take a chunk of a later job with an earlier job's function or arguments: its compare-exchange names
/// the job it read them for. A job's fields are written while the word is closed under the new id, so the last job's id
/// can claim nothing while they change (<c>WorkerPoolTests</c> posts jobs back to back to catch exactly that).</para>
/// <para>Who runs which chunk changes from call to call; what a chunk computes never does, which is why a split result
/// is bit-identical to one thread. Each participant has an index (the caller 0, workers 1…) that a job uses only to
/// pick its own scratch.</para>
/// <para>Workers spin for <see cref="SpinMicroseconds"/> after a job before they block, so the next layer's job, posted
/// microseconds later, finds them awake instead of paying a context switch; an idle process costs nothing after that.
/// When <see cref="Parallelism.MaxThreads"/> falls, workers past it take no chunks: they see each job, skip it and wait
/// again (threads are never ended, so a worker index always names one thread and one scratch).</para>
/// <para>On Linux a job that must wake sleeping workers first narrows their CPU masks to every CPU but the caller's, so
/// the scheduler does not wake them onto the caller's core, and each worker restores its own mask once it runs (see
/// <see cref="WakePlacement"/>).</para>
/// </remarks>
internal static unsafe class WorkerPool
{
    /// <summary>How long a worker keeps polling for the next job before it blocks.</summary>
    private const int SpinMicroseconds = 100;

    /// <summary>The claim counter of a job being posted: past any chunk count, so nothing can be claimed yet.</summary>
    private const long Closed = int.MaxValue;

    private static readonly long SpinTicks = Stopwatch.Frequency * SpinMicroseconds / 1_000_000;

    private static delegate*<void*, int, int, void> _job;
    private static void* _arguments;
    private static int _chunkCount;
    private static int _joinLimit;
    private static long _claims;
    private static int _doneChunks;
    private static int _busy;
    private static int _jobId;
    private static int _sleepers;
    private static int _workerCount;
    private static ExceptionDispatchInfo? _failure;

    // Scratch per participant (index 0 unused: the caller brings its own). Grown under the busy flag, read by workers
    // only during a job, so a worker always sees the buffers the job was posted with.
    private static AlignedBuffer?[] _scratch = new AlignedBuffer?[1];

    /// <summary>Jobs posted to the pool (not counting calls that found it busy); for tests.</summary>
    internal static long JobsPosted { get; private set; }

    /// <summary>Chunks run by workers rather than callers; for tests.</summary>
    internal static long WorkerChunks => Volatile.Read(ref _workerChunks);

    private static long _workerChunks;

    // Each worker's state (index 0 unused), grown under Parallelism's lock before a worker starts.
    private static WorkerState?[] _workers = new WorkerState?[1];

    /// <summary>Bytes the workers' threads have allocated since they started, as of their last chunks; for tests.</summary>
    internal static long WorkerAllocatedBytes
    {
        get
        {
            long sum = 0;
            foreach (WorkerState? worker in Volatile.Read(ref _workers))
            {
                sum += worker is null ? 0 : Volatile.Read(ref worker.AllocatedBytes);
            }

            return sum;
        }
    }

    /// <summary>Starts workers until there are <paramref name="count"/>. Called under <see cref="Parallelism"/>'s lock.</summary>
    internal static void EnsureWorkers(int count)
    {
        if (_workers.Length <= count)
        {
            var grown = new WorkerState?[count + 1];
            _workers.CopyTo(grown, 0);
            Volatile.Write(ref _workers, grown);
        }

        while (_workerCount < count)
        {
            int participant = ++_workerCount;
            var worker = new WorkerState(participant);
            _workers[participant] = worker;
            var thread = new Thread(Work) { IsBackground = true, Name = $"AttentionGen worker {participant}" };
            thread.UnsafeStart(worker);
        }
    }

    /// <summary>
    /// Runs <c>job(arguments, chunk, participant)</c> for every chunk in [0, <paramref name="chunks"/>) on this thread and
    /// up to <paramref name="threads"/> − 1 workers, and returns when all are done. If another call holds the pool, every
    /// chunk runs here, in order, as participant 0. Workers joining get <see cref="Scratch"/> of at least
    /// <paramref name="scratchFloats"/> floats each (allocated the first time a size is needed).
    /// </summary>
    internal static void Run(delegate*<void*, int, int, void> job, void* arguments, int chunks, int threads, int scratchFloats)
    {
        if (chunks <= 1 || threads <= 1 || Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            for (int chunk = 0; chunk < chunks; chunk++)
            {
                job(arguments, chunk, 0);
            }

            return;
        }

        try
        {
            int workers = Math.Min(threads - 1, Volatile.Read(ref _workerCount));
            EnsureScratch(workers, scratchFloats);
            int id = _jobId + 1;

            // Closed under the new id before any field changes: a worker that woke late for the last job and still holds
            // its id could otherwise claim from that job's spent counter against this job's larger chunk count, running
            // this job's chunks twice (or the last job's function on these arguments) and counting them done.
            Interlocked.Exchange(ref _claims, ((long)id << 32) | Closed);
            _job = job;
            _arguments = arguments;
            _chunkCount = chunks;
            _doneChunks = 0;
            _failure = null;
            _joinLimit = workers;
            Volatile.Write(ref _claims, (long)id << 32);
            JobsPosted++;

            // Publishing the id is what workers watch; the full fence orders it before reading the sleeper count, which
            // pairs with the fence in a worker's increment before it checks the id (see WaitForJob).
            Interlocked.Exchange(ref _jobId, id);
            if (Volatile.Read(ref _sleepers) > 0)
            {
                KeepSleepersOffThisCpu(workers);
                WakeSleepers(workers);
            }

            int done = 0;
            try
            {
                while (TryClaim(id, out int chunk))
                {
                    job(arguments, chunk, 0);
                    done++;
                }
            }
            catch
            {
                // Chunks nobody has claimed yet are given up, so the wait below still ends; the exception goes on after it.
                while (TryClaim(id, out _))
                {
                    done++;
                }

                done++;
                WaitForWorkers(done, chunks);
                throw;
            }

            WaitForWorkers(done, chunks);
            _failure?.Throw();
        }
        finally
        {
            _job = null;
            _arguments = null;
            Volatile.Write(ref _busy, 0);
        }
    }

    /// <summary>Participant <paramref name="participant"/>'s scratch (64-byte aligned) during a job; workers only.</summary>
    internal static float* Scratch(int participant) => (float*)Unsafe.AsPointer(ref _scratch[participant]!.Reference);

    private static void EnsureScratch(int workers, int floats)
    {
        if (floats <= 0)
        {
            return;
        }

        if (_scratch.Length <= workers)
        {
            Array.Resize(ref _scratch, workers + 1);
        }

        for (int participant = 1; participant <= workers; participant++)
        {
            if (_scratch[participant] is not { } buffer || buffer.Length < floats)
            {
                _scratch[participant] = new AlignedBuffer(floats);
            }
        }
    }

    private static bool TryClaim(int id, out int chunk)
    {
        while (true)
        {
            long claims = Volatile.Read(ref _claims);
            chunk = (int)claims;
            if ((int)(claims >> 32) != id || chunk >= _chunkCount)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _claims, claims + 1, claims) == claims)
            {
                return true;
            }
        }
    }

    private static void WaitForWorkers(int doneHere, int chunks)
    {
        // Spin without yielding first: the last chunks usually end within microseconds, and a yield on a busy machine
        // hands the core to another process for a whole time slice (measured: split calls then ran up to 6× slower than
        // one thread). Only a worker that has lost its core for longer than the spin makes this thread yield.
        int others = chunks - doneHere;
        long deadline = Stopwatch.GetTimestamp() + SpinTicks;
        while (Volatile.Read(ref _doneChunks) < others && Stopwatch.GetTimestamp() < deadline)
        {
            Thread.SpinWait(20);
        }

        var spinner = default(SpinWait);
        while (Volatile.Read(ref _doneChunks) < others)
        {
            spinner.SpinOnce(sleep1Threshold: -1);
        }
    }

    /// <summary>
    /// Narrows each joining worker that is asleep to every CPU but this thread's, so the wake below does not put it on
    /// this core (see <see cref="WakePlacement"/>); the worker widens its mask again once it runs.
    /// </summary>
    private static void KeepSleepersOffThisCpu(int workers)
    {
        if (!WakePlacement.IsSupported)
        {
            return;
        }

        int cpu = WakePlacement.CurrentCpu();
        WorkerState?[] states = Volatile.Read(ref _workers);
        for (int participant = 1; participant <= workers && participant < states.Length; participant++)
        {
            if (states[participant] is { } worker && Volatile.Read(ref worker.ThreadId) != 0 && Volatile.Read(ref worker.Asleep) != 0 &&
                WakePlacement.ExcludeCpu(worker.ThreadId, worker.StartMask, cpu))
            {
                worker.ExcludedCpu = cpu;
                Volatile.Write(ref worker.Narrowed, 1);
            }
        }
    }

    /// <summary>
    /// Wakes the sleeping workers that may join (participants 1 to <paramref name="workers"/>), each on its own gate:
    /// workers past a lowered <see cref="Parallelism.MaxThreads"/> stay blocked, where one gate for all woke every one of
    /// them on every job (and each then spun for the next).
    /// </summary>
    private static void WakeSleepers(int workers)
    {
        WorkerState?[] states = Volatile.Read(ref _workers);
        for (int participant = 1; participant <= workers && participant < states.Length; participant++)
        {
            // A worker reads the job id under its gate after marking itself asleep (with a full fence), and the id was
            // published with one before this read: either it sees the new id and does not wait, or it is waiting here.
            if (states[participant] is { } worker && Volatile.Read(ref worker.Asleep) != 0)
            {
                lock (worker.Gate)
                {
                    Monitor.Pulse(worker.Gate);
                }
            }
        }
    }

    private static void Work(object? state)
    {
        var worker = (WorkerState)state!;
        int participant = worker.Participant;
        worker.CaptureThread();
        int seen = Volatile.Read(ref _jobId);
        bool joinedLast = true;
        while (true)
        {
            seen = WaitForJob(seen, worker, spin: joinedLast);
            Interlocked.Increment(ref worker.JobsSeen);
            RestoreIfNarrowed(worker);

            if (participant > Volatile.Read(ref _joinLimit))
            {
                // Past the limit (MaxThreads was lowered): the next jobs are likely not this worker's either, so it blocks
                // at once rather than spin through each job the others run (which cost more CPU than the calls).
                joinedLast = false;
                continue;
            }

            joinedLast = true;

            // The fields were written while the claims were closed under this id. A claim naming the id succeeds only if
            // the claims still name it, and its compare-exchange (a full fence) comes after these reads, so they saw this
            // job's fields, not the next one's.
            delegate*<void*, int, int, void> job = _job;
            void* arguments = _arguments;
            while (TryClaim(seen, out int chunk))
            {
                try
                {
                    job(arguments, chunk, participant);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref _failure, ExceptionDispatchInfo.Capture(e), null);
                }

                Interlocked.Increment(ref _workerChunks);
                Volatile.Write(ref worker.AllocatedBytes, GC.GetAllocatedBytesForCurrentThread());
                Interlocked.Increment(ref _doneChunks);
            }
        }
    }

    /// <summary>
    /// Narrowed while asleep (or while about to sleep) so the wake placed it off the caller's core: it runs there now, so
    /// the full mask can come back without moving it. Checked again before the worker waits: a caller narrows the mask
    /// before it sets the flag, so a worker that took the job in between saw no flag when it woke.
    /// </summary>
    private static void RestoreIfNarrowed(WorkerState worker)
    {
        if (Volatile.Read(ref worker.Narrowed) != 0 && Interlocked.Exchange(ref worker.Narrowed, 0) != 0)
        {
            worker.LastWakeCpu = WakePlacement.CurrentCpu();
            WakePlacement.Restore(worker.StartMask);
        }
    }

    /// <summary>
    /// Spins (when <paramref name="spin"/>), then blocks, until a job newer than <paramref name="seen"/> is posted;
    /// returns its id.
    /// </summary>
    private static int WaitForJob(int seen, WorkerState worker, bool spin)
    {
        RestoreIfNarrowed(worker);
        long deadline = Stopwatch.GetTimestamp() + (spin ? SpinTicks : 0);
        while (Volatile.Read(ref _jobId) == seen)
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                RestoreIfNarrowed(worker);
                Volatile.Write(ref worker.Asleep, 1);
                Interlocked.Increment(ref _sleepers);
                lock (worker.Gate)
                {
                    while (Volatile.Read(ref _jobId) == seen)
                    {
                        Monitor.Wait(worker.Gate);
                    }
                }

                Interlocked.Decrement(ref _sleepers);
                Volatile.Write(ref worker.Asleep, 0);
                break;
            }

            Thread.SpinWait(20);
        }

        return Volatile.Read(ref _jobId);
    }

    /// <summary>What the pool knows of one worker's thread: what it allocated, and its state for <see cref="WakePlacement"/>.</summary>
    private sealed class WorkerState(int participant)
    {
        public readonly int Participant = participant;

        /// <summary>What the worker blocks on, and the caller pulses when a job may use it.</summary>
        public readonly object Gate = new();

        /// <summary>The mask the thread started with, given back after a narrowed wake.</summary>
        public WakePlacement.CpuMask StartMask;

        /// <summary>
        /// The OS thread id, written after <see cref="StartMask"/>: 0 until both were read (and for good where placement
        /// is unsupported), so a caller that sees an id sees the mask whole.
        /// </summary>
        public int ThreadId;

        /// <summary>
        /// What the thread has allocated in all, as of its last chunk: <c>GC.GetAllocatedBytesForCurrentThread</c> counts
        /// only the thread that asks, so the tests read the workers' share here.
        /// </summary>
        public long AllocatedBytes;

        /// <summary>1 from just before the worker blocks until it is awake again.</summary>
        public int Asleep;

        /// <summary>How many jobs the worker has woken or spun into, joined or not; for tests.</summary>
        public long JobsSeen;

        /// <summary>1 while the caller has narrowed the worker's mask and the worker has not yet restored it.</summary>
        public int Narrowed;

        /// <summary>The CPU the caller last narrowed the worker's mask away from; for tests.</summary>
        public int ExcludedCpu = -1;

        /// <summary>The CPU the worker found itself on after its last narrowed wake, before restoring; for tests.</summary>
        public int LastWakeCpu = -1;

        /// <summary>Reads the running thread's mask, then publishes its id.</summary>
        public void CaptureThread()
        {
            if (WakePlacement.TryCaptureMask(out StartMask))
            {
                Volatile.Write(ref ThreadId, WakePlacement.CurrentThreadId());
            }
        }
    }

    /// <summary>How many jobs worker <paramref name="participant"/> has woken or spun into (0 for none started); for tests.</summary>
    internal static long JobsSeen(int participant) =>
        Volatile.Read(ref _workers) is { } states && participant < states.Length && states[participant] is { } worker ? Volatile.Read(ref worker.JobsSeen) : 0;

    /// <summary>
    /// Worker <paramref name="participant"/>'s placement as tests see it: whether it is asleep, its OS thread id, the CPU
    /// its mask was last narrowed away from and the CPU it woke on then (−1: never), and its mask as it started.
    /// </summary>
    internal static (bool Asleep, int ThreadId, int ExcludedCpu, int WakeCpu, WakePlacement.CpuMask StartMask)? Placement(int participant) =>
        Volatile.Read(ref _workers) is { } states && participant < states.Length && states[participant] is { } worker && Volatile.Read(ref worker.ThreadId) != 0
            ? (Volatile.Read(ref worker.Asleep) != 0, worker.ThreadId, Volatile.Read(ref worker.ExcludedCpu), Volatile.Read(ref worker.LastWakeCpu), worker.StartMask)
            : null;
}
