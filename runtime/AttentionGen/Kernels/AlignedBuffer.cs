using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace AttentionGen.Kernels;

/// <summary>
/// A zero-initialized float buffer whose first element sits on a 64-byte boundary (one cache line, one
/// <see cref="System.Runtime.Intrinsics.Vector512{T}"/>). It is allocated once on the pinned object heap (see
/// <see cref="PinnedMemory"/>: large ones on huge pages), so the address never changes and the GC never moves it;
/// layers keep their scratch and weights in these. Several buffers may share one array (<see cref="AllocateTogether"/>).
/// </summary>
public sealed class AlignedBuffer
{
    /// <summary>The alignment of the first element, in bytes.</summary>
    public const int Alignment = 64;

    private const int AlignmentInFloats = Alignment / sizeof(float);

    /// <summary>The most floats <see cref="AllocateTogether"/> puts in one array (1 GiB): past it, a new array.</summary>
    private const int MaxSharedFloats = 1 << 28;

    private readonly float[] _array;
    private readonly int _offset;

    /// <summary>Allocates a zeroed buffer of <paramref name="length"/> floats.</summary>
    /// <param name="length">Number of floats; 0 or more.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative or too large to pad.</exception>
    public AlignedBuffer(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, Array.MaxLength - AlignmentInFloats);

        // Pinned arrays start at least 4-byte aligned, so at most 15 floats of padding reach the next 64-byte boundary.
        _array = PinnedMemory.Allocate(length + AlignmentInFloats);
        _offset = FirstAligned(_array);
        Length = length;
    }

    private AlignedBuffer(float[] array, int offset, int length)
    {
        _array = array;
        _offset = offset;
        Length = length;
    }

    /// <summary>The number of usable floats.</summary>
    public int Length { get; }

    /// <summary>The buffer as a span of <see cref="Length"/> floats starting at the aligned address.</summary>
    /// <remarks>
    /// Built from a reference into the array, so a span in use keeps the array alive even when nothing else refers to
    /// this buffer any more; and without the array-span constructor's range checks, which the constructor already
    /// guaranteed: layers take these spans on every call.
    /// </remarks>
    public Span<float> Span => MemoryMarshal.CreateSpan(ref Reference, Length);

    /// <summary>A reference to the first (64-byte aligned) element, for kernels that work on <c>ref float</c>.</summary>
    public ref float Reference => ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_array), _offset);

    /// <summary>
    /// Zeroed buffers of the given lengths, side by side in as few arrays as fit (each buffer 64-byte aligned): a model's
    /// weights in one allocation, so that they fill whole huge pages instead of each matrix its own pages.
    /// </summary>
    internal static AlignedBuffer[] AllocateTogether(ReadOnlySpan<int> lengths)
    {
        var buffers = new AlignedBuffer[lengths.Length];
        for (int first = 0; first < lengths.Length;)
        {
            // As many buffers as fit in one array (at least one), each padded to whole cache lines.
            long floats = AlignmentInFloats;
            int end = first;
            while (end < lengths.Length && (end == first || floats + Padded(lengths[end]) <= MaxSharedFloats))
            {
                floats += Padded(lengths[end]);
                end++;
            }

            if (floats > Array.MaxLength)
            {
                throw new ArgumentOutOfRangeException(nameof(lengths), $"A buffer of {lengths[first]} floats is too large to align.");
            }

            var array = PinnedMemory.Allocate((int)floats);
            int offset = FirstAligned(array);
            for (int i = first; i < end; i++)
            {
                buffers[i] = new AlignedBuffer(array, offset, lengths[i]);
                offset += (int)Padded(lengths[i]);
            }

            first = end;
        }

        return buffers;
    }

    private static long Padded(int length) => ((long)length + AlignmentInFloats - 1) / AlignmentInFloats * AlignmentInFloats;

    private static unsafe int FirstAligned(float[] array)
    {
        nuint address = (nuint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
        return (int)((Alignment - address % Alignment) % Alignment) / sizeof(float);
    }
}
