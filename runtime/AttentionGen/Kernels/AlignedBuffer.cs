using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace AttentionGen.Kernels;

/// <summary>
/// A zero-initialized float buffer whose first element sits on a 64-byte boundary (one cache line, one
/// <see cref="System.Runtime.Intrinsics.Vector512{T}"/>). It is allocated once on the pinned object heap, so the
/// address never changes and the GC never moves it; layers keep their scratch and weights in these.
/// </summary>
public sealed class AlignedBuffer
{
    /// <summary>The alignment of the first element, in bytes.</summary>
    public const int Alignment = 64;

    private const int AlignmentInFloats = Alignment / sizeof(float);

    private readonly float[] _array;
    private readonly int _offset;

    // The aligned first element's address. The array lives on the pinned object heap and never moves, and this object
    // keeps it alive, so the address stays valid; reading it is cheaper than re-deriving it from the array each call.
    private readonly unsafe float* _first;

    /// <summary>Allocates a zeroed buffer of <paramref name="length"/> floats.</summary>
    /// <param name="length">Number of floats; 0 or more.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative or too large to pad.</exception>
    public unsafe AlignedBuffer(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, Array.MaxLength - AlignmentInFloats);

        // Pinned arrays start at least 4-byte aligned, so at most 15 floats of padding reach the next 64-byte boundary.
        _array = GC.AllocateArray<float>(length + AlignmentInFloats, pinned: true);
        nuint address = (nuint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_array));
        int misalignment = (int)(address % Alignment);
        _offset = ((Alignment - misalignment) % Alignment) / sizeof(float);
        _first = (float*)Unsafe.AsPointer(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_array), _offset));
        Length = length;
    }

    /// <summary>The number of usable floats.</summary>
    public int Length { get; }

    /// <summary>The buffer as a span of <see cref="Length"/> floats starting at the aligned address.</summary>
    /// <remarks>Built from the aligned address without the array-span constructor's range checks, which the constructor
    /// already guaranteed: layers take these spans on every call.</remarks>
    public unsafe Span<float> Span => new(_first, Length);

    /// <summary>A reference to the first (64-byte aligned) element, for kernels that work on <c>ref float</c>.</summary>
    public unsafe ref float Reference => ref *_first;
}
