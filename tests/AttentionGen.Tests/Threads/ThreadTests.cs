using AttentionGen.Sampling;
using AttentionGen.Tests.Numeric;
using AttentionGen.Tests.Reference;

namespace AttentionGen.Tests.Threads;

/// <summary>
/// The thread model: an instance is for one thread at a time, and a second thread entering a busy instance gets an
/// exception, never a silently wrong answer; separate instances on separate threads give exactly the single-thread result.
/// </summary>
public sealed class ThreadTests
{
    [Fact]
    public void OneInstanceOnTwoThreads_TheSecondCallThrows_AndEveryFinishedCallIsExact()
    {
        // SdpaLongCausal: a call of tens of µs. Two threads calling it in a loop overlap many times on an idle machine, but
        // on a busy one a thread can run its whole loop in one time slice while the other waits for a core, so each keeps
        // calling past its 300 until the two have overlapped (for at most 10 s).
        var layer = new SdpaLongCausal();
        int seqLen = SdpaLongCausal.MaxSeqLen, kvSeqLen = SdpaLongCausal.MaxKvSeqLen;
        var q = TestData.Uniform(1, seqLen * SdpaLongCausal.QueryWidth);
        var k = TestData.Uniform(2, kvSeqLen * SdpaLongCausal.KvWidth);
        var v = TestData.Uniform(3, kvSeqLen * SdpaLongCausal.KvWidth);
        var expected = new float[seqLen * SdpaLongCausal.QueryWidth];
        layer.Forward(q, k, v, expected, seqLen, kvSeqLen);

        // Counted here and asserted on the test's thread: an assertion failing on a thread of its own would take the test
        // host down instead of failing the test.
        int refused = 0, finished = 0, wrong = 0, calls = 0;
        using var start = new Barrier(2);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        void Hammer()
        {
            var output = new float[expected.Length];
            start.SignalAndWait();
            for (int call = 0; call < 300 || (Volatile.Read(ref refused) == 0 && clock.Elapsed < TimeSpan.FromSeconds(10)); call++)
            {
                Interlocked.Increment(ref calls);
                try
                {
                    layer.Forward(q, k, v, output, seqLen, kvSeqLen);
                    Interlocked.Increment(ref output.AsSpan().SequenceEqual(expected) ? ref finished : ref wrong);
                }
                catch (InvalidOperationException e) when (e.Message.Contains("one thread at a time", StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref refused);
                }
            }
        }

        var threads = new[] { new Thread(Hammer), new Thread(Hammer) };
        Array.ForEach(threads, t => t.Start());
        Array.ForEach(threads, t => t.Join());

        Assert.Equal(0, wrong);
        Assert.True(refused > 0, $"two threads calling one instance {calls} times in all never overlapped");
        Assert.True(finished > 0);
        Assert.Equal(calls, refused + finished);
    }

    [Fact]
    public void OneSamplerOnTwoThreads_TheSecondCallThrows_AndNoCallReturnsAForbiddenToken()
    {
        // Each thread's logits allow only its own half of the ids (the other half is −∞). Sharing the sampler's scratch,
        // an unguarded pair of calls returned ids of the other thread's half (900 in 40,000), so an overlap must throw.
        const int Vocab = 4096;
        var sampler = new TokenSampler(Vocab, seed: 1);
        var options = new SamplingOptions(Temperature: 0.8f, TopK: 0, TopP: 0.9f);
        float[] Logits(int allowedParity)
        {
            var random = new Random(allowedParity);
            var logits = new float[Vocab];
            for (int i = 0; i < Vocab; i++)
            {
                logits[i] = i % 2 == allowedParity ? random.NextSingle() : float.NegativeInfinity;
            }
            return logits;
        }

        int refused = 0, finished = 0, forbidden = 0, failed = 0, calls = 0;
        using var start = new Barrier(2);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        void Hammer(float[] logits)
        {
            start.SignalAndWait();
            for (int call = 0; call < 2000 || (Volatile.Read(ref refused) == 0 && clock.Elapsed < TimeSpan.FromSeconds(10)); call++)
            {
                Interlocked.Increment(ref calls);
                try
                {
                    int token = sampler.Next(logits, options);
                    Interlocked.Increment(ref float.IsNegativeInfinity(logits[token]) ? ref forbidden : ref finished);
                }
                catch (InvalidOperationException e) when (e.Message.Contains("one thread at a time", StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref refused);
                }
                catch (Exception)
                {
                    // Counted, not thrown: an exception escaping a thread of its own would take the test host down.
                    Interlocked.Increment(ref failed);
                }
            }
        }

        float[] even = Logits(0), odd = Logits(1);
        var threads = new[] { new Thread(() => Hammer(even)), new Thread(() => Hammer(odd)) };
        Array.ForEach(threads, t => t.Start());
        Array.ForEach(threads, t => t.Join());

        Assert.Equal(0, forbidden);
        Assert.Equal(0, failed);
        Assert.True(refused > 0, $"two threads calling one sampler {calls} times in all never overlapped");
        Assert.True(finished > 0);
        Assert.Equal(calls, refused + finished);
    }

    [Fact]
    public void SwappingWeights_WhileACallRuns_Throws_AndEveryCallRunsOnOneSet()
    {
        // The weights field is read once per call, under the busy flag, so a swap can never mix two sets: every output
        // is exactly one set's result. Swapping during a call is refused like any other second use of a busy instance.
        var shape = MhaShape.Of(nameof(MhaHeadDim64));
        var (layer, _) = shape.CreateRandom<MhaHeadDim64>(seed: 3);
        var original = layer.CurrentWeights;
        var other = TestWeights.NewLayer<MhaHeadDim64>(seed: 4).CurrentWeights;
        const int SeqLen = 20;
        var input = TestData.Uniform(5, SeqLen * shape.ModelDim);
        var withOriginal = new float[input.Length];
        var withOther = new float[input.Length];
        new MhaHeadDim64(original).Forward(input, withOriginal, SeqLen);
        new MhaHeadDim64(other).Forward(input, withOther, SeqLen);

        int refused = 0, swapped = 0, calls = 0, wrong = 0;
        bool stop = false;
        using var start = new Barrier(2);
        var caller = new Thread(() =>
        {
            var output = new float[input.Length];
            start.SignalAndWait();
            while (!Volatile.Read(ref stop))
            {
                try
                {
                    layer.Forward(input, output, SeqLen);
                    calls++;
                    if (!output.AsSpan().SequenceEqual(withOriginal) && !output.AsSpan().SequenceEqual(withOther))
                    {
                        wrong++;
                    }
                }
                catch (InvalidOperationException)
                {
                    // the swapping thread held the instance
                }
            }
        });
        caller.Start();
        start.SignalAndWait();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while ((refused == 0 || swapped < 100) && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            try
            {
                layer.CurrentWeights = swapped % 2 == 0 ? other : original;
                swapped++;
            }
            catch (InvalidOperationException e) when (e.Message.Contains("one thread at a time", StringComparison.Ordinal))
            {
                refused++;
            }
        }

        Volatile.Write(ref stop, true);
        caller.Join();
        Assert.Equal(0, wrong);
        Assert.True(refused > 0, $"no swap met a running call in {clock.Elapsed.TotalSeconds:F1} s ({swapped} swaps, {calls} calls)");
        Assert.True(swapped >= 100 && calls > 0, $"{swapped} swaps, {calls} calls");
    }

    [Fact]
    public void EightThreads_InstancesOverOneSharedWeights_1000CallsEach_BitIdenticalToOneThread()
    {
        var shape = MhaShape.Of(nameof(MhaCausalGqaNoBias));
        var weights = TestWeights.Build(shape.Type, TestWeights.RandomValues(shape.Parameters, seed: 11));
        var source = shape.Create<ISelfAttention>(weights);
        const int SeqLen = 13;
        var input = TestData.Uniform(12, SeqLen * shape.ModelDim);
        var expected = new float[SeqLen * shape.ModelDim];
        source.Forward(input, expected, SeqLen);

        var results = new float[8][];
        var threads = Enumerable.Range(0, 8).Select(t => new Thread(() =>
        {
            var layer = shape.Create<ISelfAttention>(weights);

            var output = new float[expected.Length];
            for (int call = 0; call < 1000; call++)
            {
                layer.Forward(input, output, SeqLen);
                if (!output.AsSpan().SequenceEqual(expected))
                {
                    results[t] = output;
                    return;
                }
            }

            results[t] = output;
        })).ToArray();
        Array.ForEach(threads, t => t.Start());
        Array.ForEach(threads, t => t.Join());

        Assert.All(results, r => Assert.Equal(expected, r));
    }

    [Fact]
    public void ACallRejectedByItsArgumentChecks_LeavesTheInstanceFree()
    {
        var layer = new SdpaPlain();
        var q = new float[4 * SdpaPlain.QueryWidth];
        var kv = new float[4 * SdpaPlain.KvWidth];

        Assert.Throws<ArgumentOutOfRangeException>(() => layer.Forward(q, kv, kv, new float[q.Length], 0, 4));
        Assert.Throws<ArgumentException>(() => layer.Forward(q, kv, kv, q, 4, 4));

        layer.Forward(q, kv, kv, new float[q.Length], 4, 4);
    }
}
