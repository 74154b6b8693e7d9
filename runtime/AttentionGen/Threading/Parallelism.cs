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
    /// Multiply-adds (or comparable units) below which a kernel stays on one thread because posting a job would cost more
    /// than it saves. Internal so tests can set it to 0 and split even their tiny shapes.
    /// </summary>
    internal static long MinimumParallelWork { get; set; } = DefaultMinimumParallelWork;

    /// <summary>
    /// The default of <see cref="MinimumParallelWork"/>: about 20 µs of one core's FMA work. A job costs about 1–3 µs to
    /// post and join while the workers spin (measured on the 2-core Zen 4 machine), so below this the split saves too little.
    /// </summary>
    internal const long DefaultMinimumParallelWork = 1L << 17;
}
