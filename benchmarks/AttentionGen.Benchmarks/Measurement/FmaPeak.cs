using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace AttentionGen.Benchmarks.Measurement;

/// <summary>
/// This core's multiply-add peak, measured in the same run as the benchmarks: 12 independent multiply-add chains of the
/// widest accelerated vector (scalar floats when none is), enough to cover the FMA latency on two pipes, in a method
/// with no calls or memory traffic. <c>MultiplyAddEstimate</c>, like the kernels: one FMA where the machine has it, a
/// multiply and an add where the runtime was told not to use it (DOTNET_EnableAVX2=0), so the peak is the one the
/// kernels on that path can reach.
/// </summary>
internal static class FmaPeak
{
    /// <summary>
    /// The best of <paramref name="attempts"/> timed runs of about 3 ms each (at Zen 4's peak). Short runs, because on a
    /// shared machine a longer one is almost always cut by the scheduler somewhere; the best of many short ones is not.
    /// </summary>
    public static double GigaflopsPerSecond(int attempts)
    {
        const long Iterations = 1_000_000;
        var best = 0.0;
        for (int attempt = 0; attempt < attempts; attempt++)
        {
            long start = Stopwatch.GetTimestamp();
            var (flops, sink) = Vector512.IsHardwareAccelerated ? Chains512(Iterations)
                : Vector256.IsHardwareAccelerated ? Chains256(Iterations)
                : Vector128.IsHardwareAccelerated ? Chains128(Iterations)
                : ChainsScalar(Iterations);
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            GC.KeepAlive(sink);
            best = Math.Max(best, flops / seconds / 1e9);
        }

        return best;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static (double Flops, float Sink) Chains512(long iterations)
    {
        var m = Vector512.Create(0.999999f);
        var a = Vector512.Create(1e-3f);
        Vector512<float> c0 = a, c1 = a, c2 = a, c3 = a, c4 = a, c5 = a, c6 = a, c7 = a, c8 = a, c9 = a, c10 = a, c11 = a;
        for (long i = 0; i < iterations; i++)
        {
            c0 = Vector512.MultiplyAddEstimate(c0, m, a); c1 = Vector512.MultiplyAddEstimate(c1, m, a);
            c2 = Vector512.MultiplyAddEstimate(c2, m, a); c3 = Vector512.MultiplyAddEstimate(c3, m, a);
            c4 = Vector512.MultiplyAddEstimate(c4, m, a); c5 = Vector512.MultiplyAddEstimate(c5, m, a);
            c6 = Vector512.MultiplyAddEstimate(c6, m, a); c7 = Vector512.MultiplyAddEstimate(c7, m, a);
            c8 = Vector512.MultiplyAddEstimate(c8, m, a); c9 = Vector512.MultiplyAddEstimate(c9, m, a);
            c10 = Vector512.MultiplyAddEstimate(c10, m, a); c11 = Vector512.MultiplyAddEstimate(c11, m, a);
        }

        var sum = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11;
        return (iterations * 12.0 * Vector512<float>.Count * 2, Vector512.Sum(sum));
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static (double Flops, float Sink) Chains256(long iterations)
    {
        var m = Vector256.Create(0.999999f);
        var a = Vector256.Create(1e-3f);
        Vector256<float> c0 = a, c1 = a, c2 = a, c3 = a, c4 = a, c5 = a, c6 = a, c7 = a, c8 = a, c9 = a, c10 = a, c11 = a;
        for (long i = 0; i < iterations; i++)
        {
            c0 = Vector256.MultiplyAddEstimate(c0, m, a); c1 = Vector256.MultiplyAddEstimate(c1, m, a);
            c2 = Vector256.MultiplyAddEstimate(c2, m, a); c3 = Vector256.MultiplyAddEstimate(c3, m, a);
            c4 = Vector256.MultiplyAddEstimate(c4, m, a); c5 = Vector256.MultiplyAddEstimate(c5, m, a);
            c6 = Vector256.MultiplyAddEstimate(c6, m, a); c7 = Vector256.MultiplyAddEstimate(c7, m, a);
            c8 = Vector256.MultiplyAddEstimate(c8, m, a); c9 = Vector256.MultiplyAddEstimate(c9, m, a);
            c10 = Vector256.MultiplyAddEstimate(c10, m, a); c11 = Vector256.MultiplyAddEstimate(c11, m, a);
        }

        var sum = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11;
        return (iterations * 12.0 * Vector256<float>.Count * 2, Vector256.Sum(sum));
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static (double Flops, float Sink) Chains128(long iterations)
    {
        var m = Vector128.Create(0.999999f);
        var a = Vector128.Create(1e-3f);
        Vector128<float> c0 = a, c1 = a, c2 = a, c3 = a, c4 = a, c5 = a, c6 = a, c7 = a, c8 = a, c9 = a, c10 = a, c11 = a;
        for (long i = 0; i < iterations; i++)
        {
            c0 = Vector128.MultiplyAddEstimate(c0, m, a); c1 = Vector128.MultiplyAddEstimate(c1, m, a);
            c2 = Vector128.MultiplyAddEstimate(c2, m, a); c3 = Vector128.MultiplyAddEstimate(c3, m, a);
            c4 = Vector128.MultiplyAddEstimate(c4, m, a); c5 = Vector128.MultiplyAddEstimate(c5, m, a);
            c6 = Vector128.MultiplyAddEstimate(c6, m, a); c7 = Vector128.MultiplyAddEstimate(c7, m, a);
            c8 = Vector128.MultiplyAddEstimate(c8, m, a); c9 = Vector128.MultiplyAddEstimate(c9, m, a);
            c10 = Vector128.MultiplyAddEstimate(c10, m, a); c11 = Vector128.MultiplyAddEstimate(c11, m, a);
        }

        var sum = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11;
        return (iterations * 12.0 * Vector128<float>.Count * 2, Vector128.Sum(sum));
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static (double Flops, float Sink) ChainsScalar(long iterations)
    {
        const float m = 0.999999f, a = 1e-3f;
        float c0 = a, c1 = a, c2 = a, c3 = a, c4 = a, c5 = a, c6 = a, c7 = a, c8 = a, c9 = a, c10 = a, c11 = a;
        for (long i = 0; i < iterations; i++)
        {
            c0 = c0 * m + a; c1 = c1 * m + a; c2 = c2 * m + a; c3 = c3 * m + a; c4 = c4 * m + a; c5 = c5 * m + a;
            c6 = c6 * m + a; c7 = c7 * m + a; c8 = c8 * m + a; c9 = c9 * m + a; c10 = c10 * m + a; c11 = c11 * m + a;
        }

        return (iterations * 12.0 * 2, c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }
}
