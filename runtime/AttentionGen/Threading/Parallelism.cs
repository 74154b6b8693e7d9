namespace AttentionGen.Threading;

/// <summary>
/// How many threads one <c>Forward</c> may use. The packed GEMMs (projections, feed-forward, logits) split their output
/// panels, and tiled attention its (key/value head × query tile) work, over a worker pool the library owns; every
/// split runs the same arithmetic as one thread, so the results are the same bits whatever the setting.
/// </summary>
/// <remarks>
/// <para>One pool serves the whole process and runs one job at a time. A call that finds it busy (instances used on two
/// threads at once) runs serially on its own thread, with the same result, so instances on many threads never wait for
/// each other and never oversubscribe the cores through the pool.</para>
/// <para>Workers take their own score and Kᵀ panel scratch for attention on the first call that needs it (one
/// allocation per worker and shape size, never again after warm-up); nothing is allocated per call.</para>
/// </remarks>
public static class Parallelism
{
    private static readonly Lock Gate = new();
    private static int _maxThreads = 1;

    /// <summary>
    /// The threads one call may use, its own included: 1 (the default) runs every call on the caller's thread alone.
    /// More than <see cref="Environment.ProcessorCount"/> is allowed but only adds threads that wait for a core.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public static int MaxThreads
    {
        get => Volatile.Read(ref _maxThreads);
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(MaxThreads));
            lock (Gate)
            {
                // Workers are started here rather than on the first call, so a call never pays for a thread start.
                if (value > 1)
                {
                    WorkerPool.EnsureWorkers(value - 1);
                }

                Volatile.Write(ref _maxThreads, value);
            }
        }
    }

    /// <summary>
    /// Multiply-adds below which a compute-bound kernel (a packed GEMM, tiled attention) stays on one thread because
    /// posting a job would cost more than it saves. Internal so tests can set it to 0 and split even their tiny shapes.
    /// </summary>
    internal static long MinimumParallelWork { get; set; } = DefaultMinimumParallelWork;

    /// <summary>
    /// The same for the row attention kernels (decode steps and other short calls), which read their keys and values
    /// once and are bound by that read, so a split pays sooner: each thread reads half of them. One-row GEMMs (a decode
    /// step's projections), bound by reading their weights, take this bound too.
    /// </summary>
    internal static long MinimumParallelRowWork { get; set; } = DefaultMinimumParallelRowWork;

    /// <summary>
    /// The default of <see cref="MinimumParallelWork"/>: about 10 µs of one Zen 5 core's FMA work (18 µs of Zen 4's). A job
    /// costs a few µs to post and join even while the workers spin, so below this two threads were slower than one. Zen 5
    /// (EPYC family 26 model 2), one GEMM call, one thread → two: 32×64×64 (131k multiply-adds, the old default) 1.4 →
    /// 2.4 µs, 32×128×128 (524k) 5.2 → 5.4 µs, 32×256×256 (2.1M) 20.9 → 13.5 µs; the quick table's `mha S32` ran at 0.48×
    /// of one thread on two.
    /// </summary>
    internal const long DefaultMinimumParallelWork = 1L << 20;

    /// <summary>
    /// The default of <see cref="MinimumParallelRowWork"/>, the bound all kernels had before. Zen 5, two threads against
    /// one: `decode H12 q1 kv512 D64` (786k) 44 → 34 µs; the small decoder's step, whose feed-forward GEMMs are 180k each,
    /// 255–266 µs on two threads where a bound of 262k left it at 463–523 (slower than one thread's 339: the worker
    /// spins beside the caller on a host that gave the process under 1.5 cores); `sdpa H4 S32 D16` (131k) 3.1 → 3.3 µs.
    /// </summary>
    internal const long DefaultMinimumParallelRowWork = 1L << 17;
}
