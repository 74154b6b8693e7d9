using System.Runtime.Intrinsics;

namespace AttentionGen.Tests.Kernels;

/// <summary>
/// Lets the SIMD-path runner prove that its child test run really used a narrower path: the runner sets
/// ATTENTIONGEN_EXPECT_PATH to 512/256/128/scalar and this test checks the JIT's acceleration flags agree.
/// </summary>
[Trait("Category", "Numeric")]
public sealed class HardwarePathTests
{
    public const string ExpectedPathVariable = "ATTENTIONGEN_EXPECT_PATH";

    /// <summary>The widest accelerated vector path of this process: "512", "256", "128" or "scalar".</summary>
    public static string CurrentPath =>
        Vector512.IsHardwareAccelerated ? "512" :
        Vector256.IsHardwareAccelerated ? "256" :
        Vector128.IsHardwareAccelerated ? "128" : "scalar";

    [Fact]
    public void AccelerationFlags_AreConsistentAndMatchTheExpectedPath()
    {
        // A wider accelerated width implies the narrower ones are accelerated too.
        Assert.False(Vector512.IsHardwareAccelerated && !Vector256.IsHardwareAccelerated);
        Assert.False(Vector256.IsHardwareAccelerated && !Vector128.IsHardwareAccelerated);

        string? expected = Environment.GetEnvironmentVariable(ExpectedPathVariable);
        if (!string.IsNullOrEmpty(expected))
        {
            Assert.Equal(expected, CurrentPath);
        }
    }
}
