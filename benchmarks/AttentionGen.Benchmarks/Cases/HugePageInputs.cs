using System.Runtime.CompilerServices;
using AttentionGen.Kernels;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace AttentionGen.Benchmarks.Cases;

/// <summary>
/// A row's input tensors on huge pages (on Linux): one <see cref="AlignedBuffer"/> whose floats are handed out from its
/// first 2 MB boundary on, so every one of them lies inside a whole advised huge page. Both implementations read the
/// same floats.
/// </summary>
/// <remarks>
/// The library keeps its own weights and its decoders' key/value caches on huge pages, the README tells users holding a
/// cache themselves to do the same, and the memory-bound rows are held to a read of the bandwidth probe's buffer, which
/// is on huge pages too. A layer row whose key/value cache was a plain <c>float[]</c> (4 KB pages) was measured against
/// a read that had the advantage of the larger pages: `decode H12 q1 kv512 D64` took 41.5–42.2 µs from a
/// <c>float[]</c> and 38.0–38.1 µs from this (Zen 4, alone in a process, three runs each); ORT, reading the same
/// floats, gained as much.
/// </remarks>
internal sealed unsafe class HugePageInputs
{
    private const int HugePageFloats = (2 << 20) / sizeof(float);

    private readonly AlignedBuffer _buffer;
    private readonly float* _start;
    private readonly int _capacity;
    private int _used;

    /// <summary>Room for tensors of <paramref name="lengths"/> floats (each rounded up to whole cache lines).</summary>
    public HugePageInputs(params ReadOnlySpan<int> lengths)
    {
        long floats = 0;
        foreach (int length in lengths)
        {
            floats += RoundUp(length, AlignedBuffer.Alignment / sizeof(float));
        }

        // Whole huge pages for the tensors, and one more page of slack to reach the first 2 MB boundary: the buffer is
        // then at least two pages, the size from which the library advises huge pages.
        _capacity = checked((int)RoundUp(floats, HugePageFloats));
        _buffer = new AlignedBuffer(_capacity + HugePageFloats);
        float* first = (float*)Unsafe.AsPointer(ref _buffer.Reference);
        nuint misalignment = (nuint)first % (2u << 20);
        _start = misalignment == 0 ? first : first + (((2u << 20) - misalignment) / sizeof(float));
    }

    /// <summary>The next tensor, as long as <paramref name="values"/> and holding a copy of them.</summary>
    public Tensor Take(float[] values)
    {
        int stride = (int)RoundUp(values.Length, AlignedBuffer.Alignment / sizeof(float));
        if (_used + stride > _capacity)
        {
            throw new InvalidOperationException($"No room left for a tensor of {values.Length} floats.");
        }

        var tensor = new Tensor(_buffer, _start + _used, values.Length);
        values.CopyTo(tensor.Span);
        _used += stride;
        return tensor;
    }

    private static long RoundUp(long value, int multiple) => (value + multiple - 1) / multiple * multiple;

    /// <summary>A tensor's floats in the pinned buffer (which it keeps alive).</summary>
    public readonly struct Tensor(AlignedBuffer owner, float* data, int length)
    {
        // The buffer is pinned for its lifetime: holding it keeps the pointer valid.
        private readonly AlignedBuffer _owner = owner;

        public Span<float> Span => new(data, length);

        /// <summary>The floats from <paramref name="start"/> on, in place.</summary>
        public Tensor Slice(int start) => (uint)start <= (uint)length
            ? new(_owner, data + start, length - start)
            : throw new ArgumentOutOfRangeException(nameof(start));

        /// <summary>
        /// The floats as an ORT tensor of <paramref name="shape"/>, reading them in place by address: the caller keeps
        /// this tensor (and so the buffer) for as long as the value is used (a row's AttentionGen call holds its tensors).
        /// </summary>
        public OrtValue ToOrtValue(long[] shape) =>
            OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, TensorElementType.Float, shape, (nint)data, (long)length * sizeof(float));
    }
}
