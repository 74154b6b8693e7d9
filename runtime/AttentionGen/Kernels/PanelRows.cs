using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace AttentionGen.Kernels;

/// <summary>
/// How the GEMM's kernels read one panel row (one input index, <see cref="PackedLinear.PanelWidth"/> outputs) as vectors of
/// float outputs: from floats, or from bfloat16 pairs widened in registers. The kernels are written once over it.
/// </summary>
internal interface IPanelRow<TElement, TVector>
    where TElement : unmanaged
{
    /// <summary>Elements a panel row occupies.</summary>
    static abstract int ElementsPerRow { get; }

    /// <summary>
    /// Vector <paramref name="index"/> (a constant at each call) of the row <paramref name="offset"/> elements into
    /// <paramref name="panel"/>: the kernels keep one offset and let the JIT fold it into every load's address.
    /// </summary>
    static abstract TVector Vector(ref TElement panel, nuint offset, int index);
}

/// <summary>A float panel row: its vectors side by side (four of Vector512's, two of the narrower widths').</summary>
internal readonly struct FloatPanelRow<TWidth, TVector> : IPanelRow<float, TVector>
    where TWidth : struct, IVectorWidth<TVector>
    where TVector : struct
{
    public static int ElementsPerRow
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (TWidth.Count == 16 ? 4 : 2) * TWidth.Count;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVector Vector(ref float panel, nuint offset, int index) => TWidth.Load(ref panel, offset + (nuint)(index * TWidth.Count));
}

/// <summary>
/// A bfloat16 panel row on Vector512: two vectors of 16 pairs, uint k of chunk c holding output 32c + k in its upper half
/// and 32c + 16 + k in its lower half (<see cref="PackedLinear.NarrowPanel"/>), so each vector of outputs is one AND or one
/// shift, no shuffles.
/// </summary>
internal readonly struct Bfloat16PanelRow512 : IPanelRow<uint, Vector512<float>>
{
    public static int ElementsPerRow
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => 32;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Vector(ref uint panel, nuint offset, int index)
    {
        var pairs = Vector512.LoadUnsafe(ref panel, offset + (nuint)(index / 2 * 16));
        return (index % 2 == 0 ? pairs & Vector512.Create(0xFFFF0000u) : pairs << 16).AsSingle();
    }
}

/// <summary>As <see cref="Bfloat16PanelRow512"/> for AVX2: one vector of 8 pairs, outputs k and 8 + k.</summary>
internal readonly struct Bfloat16PanelRow256 : IPanelRow<uint, Vector256<float>>
{
    public static int ElementsPerRow
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => 8;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Vector(ref uint panel, nuint offset, int index)
    {
        var pairs = Vector256.LoadUnsafe(ref panel, offset);
        return (index == 0 ? pairs & Vector256.Create(0xFFFF0000u) : pairs << 16).AsSingle();
    }
}

/// <summary>As <see cref="Bfloat16PanelRow512"/> for Vector128: 4 pairs, outputs k and 4 + k.</summary>
internal readonly struct Bfloat16PanelRow128 : IPanelRow<uint, Vector128<float>>
{
    public static int ElementsPerRow
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => 4;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Vector(ref uint panel, nuint offset, int index)
    {
        var pairs = Vector128.LoadUnsafe(ref panel, offset);
        return (index == 0 ? pairs & Vector128.Create(0xFFFF0000u) : pairs << 16).AsSingle();
    }
}
