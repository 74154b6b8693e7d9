namespace AttentionGen.Kernels;

/// <summary>
/// A small count as a type, so a kernel generic over it is compiled once per count with every guard on it folded: how
/// a kernel holds a number of accumulators that depends on the shape without becoming an inlined helper, which would
/// draw on its caller's inlining budget (once spent, the JIT stops inlining even the shape's constant getters).
/// </summary>
internal interface IStaticCount
{
    static abstract int Value { get; }
}

internal struct Count0 : IStaticCount { public static int Value => 0; }

internal struct Count1 : IStaticCount { public static int Value => 1; }

internal struct Count2 : IStaticCount { public static int Value => 2; }

internal struct Count3 : IStaticCount { public static int Value => 3; }

internal struct Count4 : IStaticCount { public static int Value => 4; }

internal struct Count5 : IStaticCount { public static int Value => 5; }

internal struct Count6 : IStaticCount { public static int Value => 6; }

internal struct Count7 : IStaticCount { public static int Value => 7; }

internal struct Count8 : IStaticCount { public static int Value => 8; }
