namespace AttentionGen.Tests.Allocation;

/// <summary>The one way these tests show that a call allocates nothing.</summary>
internal static class AllocationAssert
{
    /// <summary>
    /// Warms <paramref name="call"/> up, then runs rounds of <paramref name="callsPerRound"/> calls until one allocates no
    /// byte on this thread (plus <paramref name="otherThreadsBytes"/>, for work handed to other threads), at most three.
    /// </summary>
    /// <remarks>
    /// On a busy machine the JIT can still finish a tier-up during a round and allocate once on this thread. An allocation
    /// per call would show in every round (a few hundred calls × at least 24 bytes), so one clean round of three proves the
    /// call allocates nothing, and a one-off never fails the test.
    /// </remarks>
    public static void NothingPerCall(Action call, int callsPerRound, Func<long>? otherThreadsBytes = null, int warmUpCalls = 50, string what = "the call")
    {
        for (int i = 0; i < warmUpCalls; i++)
        {
            call(); // first-call and tiering work happen here, not in the measurement
        }

        long Allocated() => GC.GetAllocatedBytesForCurrentThread() + (otherThreadsBytes?.Invoke() ?? 0);
        var rounds = new List<long>();
        for (int round = 0; round < 3; round++)
        {
            long before = Allocated();
            for (int i = 0; i < callsPerRound; i++)
            {
                call();
            }

            rounds.Add(Allocated() - before);
            if (rounds[^1] == 0)
            {
                return;
            }
        }

        Assert.Fail($"{what}: bytes allocated over {callsPerRound} calls, in each of three rounds: {string.Join(", ", rounds)}");
    }
}
