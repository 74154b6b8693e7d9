using System.Runtime.InteropServices;

namespace AttentionGen;

/// <summary>
/// The weights of one generated layer, held as its kernels read them (GEMM matrices packed into panels), and never
/// changed after creation. Every generated layer with weights nests a sealed <c>Weights</c> class deriving from this
/// one, so weights made for one layer type cannot be handed to another.
/// </summary>
/// <remarks>
/// <para>
/// <b>Threads.</b> An instance is immutable, so any number of layer instances on any number of threads may share
/// it. Memory for the weights is held once, however many layer instances use them.
/// </para>
/// <para>
/// <b>Changing weights</b> makes a new object: <c>With(name, values)</c> replaces one tensor (the others are shared,
/// not copied), and <c>ToBuilder()</c> / <c>CreateBuilder()</c> set several. Either packs the new values at once, so
/// nothing handed out can go stale. Give the result to a layer through its constructor or its <c>CurrentWeights</c>.
/// </para>
/// </remarks>
public abstract class LayerWeights
{
    private readonly WeightTensors _tensors;

    // The buffers themselves, one hop from here: Forward reads a tensor through Stored on every call.
    private readonly Kernels.AlignedBuffer?[] _buffers;

    /// <summary>Wraps tensors made by <see cref="LoadTensors"/>, <see cref="WithTensor"/> or a builder.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="tensors"/> is null.</exception>
    protected LayerWeights(WeightTensors tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        _tensors = tensors;
        _buffers = tensors.Buffers;
    }

    /// <summary>The tensors, in file order, with their names and shapes.</summary>
    public IReadOnlyList<ParameterSpec> Parameters => _tensors.Parameters;

    /// <summary>Bytes of memory these weights hold (packed matrices include their panel padding).</summary>
    public long ByteCount => _tensors.ByteCount;

    /// <summary>
    /// Writes the tensor called <paramref name="name"/> to <paramref name="destination"/> in PyTorch's layout
    /// (<c>[out, in]</c> for a matrix), unpacking it if the layer keeps it packed.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is not a parameter, or <paramref name="destination"/> is not exactly its element count.</exception>
    public void CopyTo(string name, Span<float> destination)
    {
        int index = _tensors.IndexOf(name);
        var parameter = _tensors.Parameters[index];
        if (destination.Length != parameter.ElementCount)
        {
            throw new ArgumentException($"'{name}' has {parameter.ElementCount} elements ({parameter}); the destination holds {destination.Length}.", nameof(destination));
        }

        _tensors.CopyTo(index, destination);
    }

    /// <summary>The tensor called <paramref name="name"/> as a new array in PyTorch's layout (see <see cref="CopyTo"/>).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is not a parameter.</exception>
    public float[] ToArray(string name)
    {
        int index = _tensors.IndexOf(name);
        var values = new float[_tensors.Parameters[index].ElementCount];
        _tensors.CopyTo(index, values);
        return values;
    }

    /// <summary>Adds every tensor to <paramref name="writer"/> as F32, named <paramref name="prefix"/> + its name.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="writer"/> or <paramref name="prefix"/> is null.</exception>
    /// <exception cref="ArgumentException">
    /// A name is taken in <paramref name="writer"/> already (or <paramref name="prefix"/> cannot be stored as UTF-8); nothing
    /// was added.
    /// </exception>
    public void Save(SafeTensorsWriter writer, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(prefix);
        var parameters = _tensors.Parameters;
        foreach (var parameter in parameters)
        {
            writer.RequireNewName(prefix + parameter.Name, nameof(writer));
        }

        var values = new float[parameters.Max(p => p.ElementCount)];
        for (int i = 0; i < parameters.Count; i++)
        {
            var tensor = values.AsSpan(0, parameters[i].ElementCount);
            _tensors.CopyTo(i, tensor);
            writer.Add(prefix + parameters[i].Name, tensor, parameters[i].ShapeSpan);
        }
    }

    /// <summary>
    /// The stored tensor at <paramref name="index"/> in <see cref="Parameters"/>, as the kernels read it (packed panels
    /// for a packed matrix). The generated <c>Weights</c> class names each one for its layer's <c>Forward</c>.
    /// </summary>
    protected ReadOnlySpan<float> Stored(int index) => _buffers[index]!.Span;

    /// <summary>A matrix stored as bfloat16 pairs (<see cref="ParameterSpec.StoresBfloat16"/>), as the bfloat16 GEMM reads it.</summary>
    protected ReadOnlySpan<uint> StoredBfloat16(int index) => MemoryMarshal.Cast<float, uint>(_buffers[index]!.Span);

    /// <summary>
    /// Reads every tensor of <paramref name="parameters"/> from <paramref name="file"/>, named <paramref name="prefix"/> +
    /// its name, converting F16/BF16 to float and packing matrices as it goes (a block of rows at a time, never the
    /// whole matrix twice). Every tensor's presence, shape and dtype are checked before any memory is allocated, and the
    /// error names each problem; so is a <see cref="ParameterSpec.TiedCopy"/> the file holds, compared in the file with the
    /// tensor it stands for.
    /// </summary>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="WeightLoadException">
    /// A tensor is missing, has the wrong shape or an unsupported dtype; the file holds more layers than the parameters
    /// (tensors under the prefix that no parameter reads, named as one that does but for another index); or a tied copy
    /// in the file differs from the tensor used in its place; or a finite value of a matrix held as bfloat16
    /// (<see cref="ParameterSpec.StoresBfloat16"/>) would round to infinity.
    /// </exception>
    protected static WeightTensors LoadTensors(SafeTensors file, string prefix, IReadOnlyList<ParameterSpec> parameters, IProgress<WeightLoadProgress>? progress) =>
        WeightTensors.Load(file, prefix, parameters, progress);

    /// <summary>These tensors with <paramref name="name"/> replaced by <paramref name="values"/> (packed now); the others are shared.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException">
    /// <paramref name="name"/> is not a parameter, <paramref name="values"/> is not exactly its element count, or a finite
    /// value would round to infinity in a matrix held as bfloat16.
    /// </exception>
    protected WeightTensors WithTensor(string name, ReadOnlySpan<float> values) => _tensors.With(name, values);

    /// <summary>A builder over <paramref name="parameters"/> that makes weights with <paramref name="create"/>; every tensor starts unset.</summary>
    protected static WeightsBuilder<TWeights> CreateBuilder<TWeights>(IReadOnlyList<ParameterSpec> parameters, Func<WeightTensors, TWeights> create)
        where TWeights : LayerWeights =>
        new(WeightTensors.Unset(parameters), create);

    /// <summary>A builder that starts from these weights' tensors (shared until one is set).</summary>
    protected WeightsBuilder<TWeights> ToBuilder<TWeights>(Func<WeightTensors, TWeights> create)
        where TWeights : LayerWeights =>
        new(_tensors, create);
}
