namespace AttentionGen.Kernels;

/// <summary>
/// The cos and sin of every position's rotary angles, <c>[positions, rotaryDim / 2]</c> each, computed once. Immutable
/// after construction, so one instance serves every layer instance of a type on any thread.
/// </summary>
public sealed class RopeTables
{
    private readonly AlignedBuffer _cos;
    private readonly AlignedBuffer _sin;

    /// <summary>Computes the tables for positions 0 to <paramref name="positions"/> − 1 (see <see cref="RopeKernels.CreateTables(int, int, double, Span{float}, Span{float})"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A count is out of range, or <paramref name="rotaryDim"/> is odd.</exception>
    public RopeTables(int positions, int rotaryDim, double theta)
        : this(positions, rotaryDim)
    {
        RopeKernels.CreateTables(positions, rotaryDim, theta, _cos.Span, _sin.Span);
    }

    /// <summary>As the constructor above, with Llama 3.1's frequency scaling (see <see cref="Llama3RopeScaling"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A count or a field of <paramref name="scaling"/> is out of range, or <paramref name="rotaryDim"/> is odd.</exception>
    public RopeTables(int positions, int rotaryDim, double theta, Llama3RopeScaling scaling)
        : this(positions, rotaryDim)
    {
        RopeKernels.CreateTables(positions, rotaryDim, theta, scaling, _cos.Span, _sin.Span);
    }

    /// <summary>As the first constructor, with linear scaling (see <see cref="LinearRopeScaling"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A count or the factor is out of range, or <paramref name="rotaryDim"/> is odd.</exception>
    public RopeTables(int positions, int rotaryDim, double theta, LinearRopeScaling scaling)
        : this(positions, rotaryDim)
    {
        RopeKernels.CreateTables(positions, rotaryDim, theta, scaling, _cos.Span, _sin.Span);
    }

    private RopeTables(int positions, int rotaryDim)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(positions, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(rotaryDim, 2);
        int length = checked(positions * (rotaryDim / 2));
        _cos = new AlignedBuffer(length);
        _sin = new AlignedBuffer(length);
    }

    /// <summary><c>cos(p·θᵢ)</c>, row <c>p</c> holding pair <c>i</c> at column <c>i</c>.</summary>
    public ReadOnlySpan<float> Cos => _cos.Span;

    /// <summary><c>sin(p·θᵢ)</c>, laid out like <see cref="Cos"/>.</summary>
    public ReadOnlySpan<float> Sin => _sin.Span;
}
