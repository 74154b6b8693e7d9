using AttentionGen.Kernels;

namespace AttentionGen;

/// <summary>
/// Sets a layer's tensors one by one from any source and makes an immutable weights object of them. Each
/// <see cref="Set"/> stores (packs) its tensor at once, so a builder holds no more than the weights it will make.
/// </summary>
/// <remarks>
/// A builder is for one thread. Built weights never change: after <see cref="Build"/>, a later <see cref="Set"/>
/// writes a new buffer, not the one the built weights hold.
/// </remarks>
/// <typeparam name="TWeights">The layer's own weights type.</typeparam>
public sealed class WeightsBuilder<TWeights>
    where TWeights : LayerWeights
{
    private readonly ParameterSpec[] _parameters;
    private readonly AlignedBuffer?[] _stored;
    private readonly bool[] _ownsBuffer;
    private readonly Func<WeightTensors, TWeights> _create;

    /// <summary>
    /// A builder that starts with nothing set will set every tensor before it can build, so its first <see cref="Set"/>
    /// allocates all of them together, as loading from a file does (see <see cref="AlignedBuffer.AllocateTogether"/>:
    /// whole huge pages). Each buffer is handed out once; one a built object holds is never written again.
    /// </summary>
    private readonly bool _startsEmpty;

    /// <summary>The joint allocation's buffers not yet handed out (null once taken), made at the first <see cref="Set"/>.</summary>
    private AlignedBuffer?[]? _together;

    internal WeightsBuilder(WeightTensors start, Func<WeightTensors, TWeights> create)
    {
        ArgumentNullException.ThrowIfNull(create);
        _parameters = start.Parameters.ToArray();
        _stored = (AlignedBuffer?[])start.Buffers.Clone();
        _ownsBuffer = new bool[_stored.Length];
        _create = create;
        _startsEmpty = Array.TrueForAll(_stored, buffer => buffer is null);
    }

    /// <summary>The tensors to set, in file order, with their names and shapes.</summary>
    public IReadOnlyList<ParameterSpec> Parameters => _parameters;

    /// <summary>Stores <paramref name="values"/> (PyTorch's layout, <c>[out, in]</c> for a matrix) as the tensor called <paramref name="name"/>.</summary>
    /// <returns>This builder, to chain calls.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException">
    /// <paramref name="name"/> is not a parameter, <paramref name="values"/> is not exactly its element count, or a finite
    /// value would round to infinity in a matrix held as bfloat16 (<see cref="ParameterSpec.StoresBfloat16"/>). The tensor
    /// keeps its value.
    /// </exception>
    public WeightsBuilder<TWeights> Set(string name, ReadOnlySpan<float> values)
    {
        int index = WeightTensors.IndexOf(_parameters, name);
        _stored[index] = WeightTensors.Store(_parameters[index], values, _ownsBuffer[index] ? _stored[index] : TakeFresh(index));
        _ownsBuffer[index] = true;
        return this;
    }

    /// <summary>The tensor's slot in the joint allocation, the first time it is set; else null (a buffer of its own).</summary>
    private AlignedBuffer? TakeFresh(int index)
    {
        if (!_startsEmpty)
        {
            return null;
        }

        _together ??= AlignedBuffer.AllocateTogether(_parameters.Select(p => p.StoredLength).ToArray());
        var buffer = _together[index];
        _together[index] = null;
        return buffer;
    }

    /// <summary>Whether the tensor called <paramref name="name"/> has a value yet.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is not a parameter.</exception>
    public bool IsSet(string name) => _stored[WeightTensors.IndexOf(_parameters, name)] is not null;

    /// <summary>The weights as set so far. The builder can go on to make others.</summary>
    /// <exception cref="InvalidOperationException">Some tensors were never set; the message names them.</exception>
    public TWeights Build()
    {
        var unset = _parameters.Where((_, i) => _stored[i] is null).Select(p => p.Name).ToList();
        if (unset.Count > 0)
        {
            throw new InvalidOperationException($"{unset.Count} of {_parameters.Length} tensors were never set: {string.Join(", ", unset)}.");
        }

        var weights = _create(new WeightTensors(_parameters, (AlignedBuffer?[])_stored.Clone()));
        Array.Clear(_ownsBuffer);
        return weights;
    }
}
