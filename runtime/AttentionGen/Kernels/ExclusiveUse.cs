using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace AttentionGen.Kernels;

/// <summary>
/// Detects a second thread entering an instance that is already busy. A layer instance owns scratch buffers that a
/// call overwrites from start to end, so two concurrent calls on one instance would silently corrupt each other's
/// output; with this check the second call throws instead. One interlocked exchange per call, and never a lock: a busy
/// instance is a bug in the caller, not something to wait for.
/// </summary>
/// <remarks>
/// Generated layers hold one in a (non-readonly) field and start the work of a call with
/// <c>using var busy = _exclusiveUse.Enter(this);</c>, so the instance is free again however the call ends.
/// </remarks>
public struct ExclusiveUse
{
    private int _busy;

    /// <summary>Marks the instance busy until the returned scope is disposed.</summary>
    /// <param name="owner">The instance, for the message.</param>
    /// <exception cref="InvalidOperationException">Another call on the same instance is still running.</exception>
    [UnscopedRef]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Scope Enter(object owner)
    {
        if (Interlocked.Exchange(ref _busy, 1) != 0)
        {
            ThrowBusy(owner);
        }

        return new Scope(ref _busy);
    }

    private static void ThrowBusy(object owner) => throw new InvalidOperationException(
        $"This {owner.GetType().Name} is already running a call on another thread. An instance owns its scratch and is for one " +
        "thread at a time: give each thread its own instance.");

    /// <summary>The span of one call; disposing it marks the instance free.</summary>
    public readonly ref struct Scope
    {
        private readonly ref int _busy;

        internal Scope(ref int busy) => _busy = ref busy;

        /// <summary>Marks the instance free.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Dispose() => Volatile.Write(ref _busy, 0);
    }
}
