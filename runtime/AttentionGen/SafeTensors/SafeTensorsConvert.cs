using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace AttentionGen;

/// <summary>
/// Widens stored tensor elements to float. Every conversion is exact (F16 and BF16 are subsets of float), so the vector
/// paths give the same bits as converting one element at a time.
/// </summary>
internal static class SafeTensorsConvert
{
    /// <summary>2^112: moves an F16 exponent (bias 15) placed in a float (bias 127) to its true value.</summary>
    private const float HalfExponentRebias = 5.192296858534828e33f;

    /// <summary>Converts <paramref name="source"/> (little-endian elements of <paramref name="dtype"/>) into <paramref name="destination"/>.</summary>
    public static void ToSingle(ReadOnlySpan<byte> source, SafeTensorsDType dtype, Span<float> destination)
    {
        switch (dtype)
        {
            case SafeTensorsDType.F32:
                FromSingle(source, destination);
                break;
            case SafeTensorsDType.F16:
                FromHalf(source, destination);
                break;
            case SafeTensorsDType.BF16:
                FromBFloat16(source, destination);
                break;
            default:
                throw new NotSupportedException($"Only F32, F16 and BF16 convert to float, not {dtype}.");
        }
    }

    private static void FromSingle(ReadOnlySpan<byte> source, Span<float> destination)
    {
        if (BitConverter.IsLittleEndian)
        {
            // A plain byte copy: no alignment is assumed for the source.
            source[..(destination.Length * 4)].CopyTo(MemoryMarshal.AsBytes(destination));
            return;
        }

        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = BinaryPrimitives.ReadSingleLittleEndian(source.Slice(i * 4));
        }
    }

    private static void FromBFloat16(ReadOnlySpan<byte> source, Span<float> destination)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && BitConverter.IsLittleEndian)
        {
            ref ushort from = ref Unsafe.As<byte, ushort>(ref MemoryMarshal.GetReference(source[..(destination.Length * 2)]));
            ref uint to = ref Unsafe.As<float, uint>(ref MemoryMarshal.GetReference(destination));
            for (; i <= destination.Length - Vector<ushort>.Count; i += Vector<ushort>.Count)
            {
                Vector.Widen(Vector.LoadUnsafe(ref from, (nuint)i), out Vector<uint> low, out Vector<uint> high);
                Vector.ShiftLeft(low, 16).StoreUnsafe(ref to, (nuint)i);
                Vector.ShiftLeft(high, 16).StoreUnsafe(ref to, (nuint)(i + Vector<uint>.Count));
            }
        }

        for (; i < destination.Length; i++)
        {
            destination[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(source.Slice(i * 2)) << 16);
        }
    }

    private static void FromHalf(ReadOnlySpan<byte> source, Span<float> destination)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && BitConverter.IsLittleEndian)
        {
            ref ushort from = ref Unsafe.As<byte, ushort>(ref MemoryMarshal.GetReference(source[..(destination.Length * 2)]));
            ref uint to = ref Unsafe.As<float, uint>(ref MemoryMarshal.GetReference(destination));
            for (; i <= destination.Length - Vector<ushort>.Count; i += Vector<ushort>.Count)
            {
                Vector.Widen(Vector.LoadUnsafe(ref from, (nuint)i), out Vector<uint> low, out Vector<uint> high);
                HalfBitsToSingleBits(low).StoreUnsafe(ref to, (nuint)i);
                HalfBitsToSingleBits(high).StoreUnsafe(ref to, (nuint)(i + Vector<uint>.Count));
            }
        }

        for (; i < destination.Length; i++)
        {
            destination[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(source.Slice(i * 2));
        }
    }

    /// <summary>
    /// F16 bits (one per lane) to float bits. Exponent and mantissa shifted into float position read as a float 2^112
    /// too small, for normal and subnormal halves alike, so one exact multiplication fixes both; infinity and NaN keep
    /// an all-ones exponent instead, NaN made quiet as the scalar <see cref="Half"/> conversion does.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<uint> HalfBitsToSingleBits(Vector<uint> half)
    {
        var sign = Vector.ShiftLeft(half & new Vector<uint>(0x8000), 16);
        var magnitude = Vector.ShiftLeft(half & new Vector<uint>(0x7FFF), 13);
        var finite = Vector.AsVectorUInt32(Vector.AsVectorSingle(magnitude) * new Vector<float>(HalfExponentRebias));
        var exponentAllOnes = Vector.Equals(half & new Vector<uint>(0x7C00), new Vector<uint>(0x7C00));
        var isNaN = Vector.GreaterThan(half & new Vector<uint>(0x7FFF), new Vector<uint>(0x7C00));
        var special = magnitude | new Vector<uint>(0x7F800000) | (isNaN & new Vector<uint>(0x00400000));
        return Vector.ConditionalSelect(exponentAllOnes, special, finite) | sign;
    }
}
