using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using AttentionGen.Kernels;

namespace AttentionGen;

/// <summary>
/// The stored tensors behind a <see cref="LayerWeights"/>: one aligned buffer per parameter, each packed or row-major
/// as its <see cref="ParameterSpec"/> says. Generated code only passes it along; everything it does is internal. A
/// buffer is never written after the object holding it is made, so objects share buffers freely.
/// </summary>
public sealed class WeightTensors
{
    private readonly ParameterSpec[] _parameters;
    private readonly AlignedBuffer?[] _stored;

    internal WeightTensors(ParameterSpec[] parameters, AlignedBuffer?[] stored)
    {
        _parameters = parameters;
        _stored = stored;
    }

    internal IReadOnlyList<ParameterSpec> Parameters => _parameters;

    internal long ByteCount => _stored.Sum(buffer => (long)(buffer?.Length ?? 0) * sizeof(float));

    /// <summary>The buffers, for a builder to copy (it never writes into one it did not allocate).</summary>
    internal AlignedBuffer?[] Buffers => _stored;

    internal ReadOnlySpan<float> Stored(int index) => _stored[index]!.Span;

    internal ReadOnlySpan<uint> StoredBfloat16(int index) => MemoryMarshal.Cast<float, uint>(_stored[index]!.Span);

    /// <summary>Every parameter without storage yet (a builder's starting point).</summary>
    internal static WeightTensors Unset(IReadOnlyList<ParameterSpec> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return new WeightTensors(parameters.ToArray(), new AlignedBuffer?[parameters.Count]);
    }

    /// <summary>The position of the parameter called <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException">No parameter has that name; the message lists the names there are.</exception>
    internal int IndexOf(string name, string paramName = "name") => IndexOf(_parameters, name, paramName);

    /// <inheritdoc cref="IndexOf(string, string)"/>
    internal static int IndexOf(ParameterSpec[] parameters, string name, string paramName = "name")
    {
        ArgumentNullException.ThrowIfNull(name, paramName);
        for (int i = 0; i < parameters.Length; i++)
        {
            if (parameters[i].Name == name)
            {
                return i;
            }
        }

        throw new ArgumentException($"'{name}' is not a parameter; the parameters are {string.Join(", ", parameters.Select(p => p.Name))}.", paramName);
    }

    /// <summary>Writes the tensor in PyTorch's layout to <paramref name="destination"/>, which holds exactly its element count.</summary>
    internal void CopyTo(int index, Span<float> destination)
    {
        var parameter = _parameters[index];
        var stored = _stored[index]!.Span;
        if (parameter.StoresBfloat16)
        {
            PackedLinear.UnpackBfloat16(MemoryMarshal.Cast<float, uint>(stored), parameter.Shape[0], parameter.Shape[1], destination);
        }
        else if (parameter.IsPacked)
        {
            PackedLinear.Unpack(stored, parameter.Shape[0], parameter.Shape[1], destination);
        }
        else
        {
            stored.CopyTo(destination);
        }
    }

    /// <summary>These tensors with the one called <paramref name="name"/> replaced by <paramref name="values"/>, stored now.</summary>
    internal WeightTensors With(string name, ReadOnlySpan<float> values)
    {
        int index = IndexOf(name);
        var stored = (AlignedBuffer?[])_stored.Clone();
        stored[index] = Store(_parameters[index], values, existing: null);
        return new WeightTensors(_parameters, stored);
    }

    /// <summary>
    /// Stores <paramref name="values"/> ([out, in] for a matrix) as <paramref name="parameter"/> says, into
    /// <paramref name="existing"/> when given (a buffer only its caller holds) or a new buffer.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// <paramref name="values"/> is not exactly the parameter's element count, or has a finite value that would round to
    /// infinity in a matrix held as bfloat16. Nothing is written.
    /// </exception>
    internal static AlignedBuffer Store(ParameterSpec parameter, ReadOnlySpan<float> values, AlignedBuffer? existing)
    {
        if (values.Length != parameter.ElementCount)
        {
            throw new ArgumentException($"'{parameter.Name}' has {parameter.ElementCount} elements ({parameter}); {values.Length} were given.", nameof(values));
        }

        if (parameter.StoresBfloat16 && Bfloat16.IndexOfOverflow(values) is var overflow and >= 0)
        {
            throw new ArgumentException(OverflowMessage($"'{parameter.Name}'", parameter, overflow, values[overflow]), nameof(values));
        }

        var buffer = existing ?? new AlignedBuffer(parameter.StoredLength);
        if (parameter.StoresBfloat16)
        {
            PackedLinear.PackBfloat16(values, parameter.Shape[0], parameter.Shape[1], MemoryMarshal.Cast<float, uint>(buffer.Span));
        }
        else if (parameter.IsPacked)
        {
            PackedLinear.Pack(values, parameter.Shape[0], parameter.Shape[1], buffer.Span);
        }
        else
        {
            values.CopyTo(buffer.Span);
        }

        return buffer;
    }

    /// <summary>See <see cref="LayerWeights.LoadTensors"/>.</summary>
    internal static WeightTensors Load(SafeTensors file, string prefix, IReadOnlyList<ParameterSpec> parameters, IProgress<WeightLoadProgress>? progress)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(parameters);
        var specs = parameters.ToArray();
        var (found, sourced, tiedCopies) = FindAll(file, prefix, specs);

        // A tied copy is compared in the file, with the tensor its parameter is read from, before anything is allocated.
        foreach (var (index, copy) in tiedCopies)
        {
            Debug.Assert(!sourced[index], "A tied table is read under its own name, never sliced out of another tensor.");
            RequireIdenticalCopy(file, prefix, specs[index], found[index], copy);
        }

        // A parameter sliced out of a fused tensor counts its share of that tensor's bytes, so the fused tensor counts once.
        long BytesOf(int t) => sourced[t] ? found[t].ByteLength / found[t].ElementCount * specs[t].ElementCount : found[t].ByteLength;
        long totalBytes = Enumerable.Range(0, specs.Length).Sum(BytesOf);
        long bytesDone = 0;
        progress?.Report(new WeightLoadProgress(0, specs.Length, 0, totalBytes));

        // One block of a matrix's rows, as float: the only copy besides the stored weights and the mapped file.
        int panelWidth = PackedLinear.PanelWidth;
        var rows = new float[specs.Where(p => p.IsPacked).Select(p => panelWidth * p.Shape[1]).DefaultIfEmpty(0).Max()];
        var floatPanel = specs.Any(p => p.StoresBfloat16) ? new float[rows.Length] : [];
        // Every tensor in one allocation: a model's weights then fill whole huge pages (see PinnedMemory), where one
        // allocation each left a matrix smaller than a few MB on 4 KB pages.
        var stored = AlignedBuffer.AllocateTogether(specs.Select(p => p.StoredLength).ToArray());
        (TensorInfo? Tensor, float[] Values) source = (null, []);
        for (int t = 0; t < specs.Length; t++)
        {
            var parameter = specs[t];
            var buffer = stored[t];
            if (sourced[t] && parameter.Source!.Transposed)
            {
                // A slice of a Conv1D-layout tensor: read it whole once (GPT-2's Q, K and V share one), then store ours.
                if (!ReferenceEquals(source.Tensor, found[t]))
                {
                    source = (found[t], new float[found[t].ElementCount]);
                    file.CopyTo(found[t], source.Values);
                }

                var values = new float[parameter.ElementCount];
                parameter.Source.Extract(source.Values, parameter, values);
                RequireBfloat16Range(found[t], prefix, parameter, values, firstElement: 0);
                Store(parameter, values, buffer);
            }
            else
            {
                // Under its own name, or a slice of a fused [out, in] tensor (Phi-3's qkv_proj): its rows (or elements)
                // are one contiguous run of the file tensor, read straight into the stored weights.
                long firstElement = sourced[t] ? parameter.Source!.FirstElement(parameter) : 0;
                LoadContiguous(file, found[t], prefix, firstElement, parameter, buffer, rows, floatPanel);
            }

            bytesDone += BytesOf(t);
            progress?.Report(new WeightLoadProgress(t + 1, specs.Length, bytesDone, totalBytes));
        }

        return new WeightTensors(specs, stored);
    }

    /// <summary>
    /// Stores <paramref name="parameter"/> from the run of <paramref name="tensor"/> that starts at
    /// <paramref name="firstElement"/>: a packed matrix a panel of rows at a time through <paramref name="rows"/> (and
    /// <paramref name="floatPanel"/> when it is held as bfloat16), anything else copied as it is.
    /// </summary>
    private static void LoadContiguous(SafeTensors file, TensorInfo tensor, string prefix, long firstElement, ParameterSpec parameter, AlignedBuffer buffer, float[] rows, float[] floatPanel)
    {
        if (!parameter.IsPacked)
        {
            file.CopyRange(tensor, firstElement, buffer.Span.Slice(0, (int)parameter.ElementCount));
            return;
        }

        int panelWidth = PackedLinear.PanelWidth;
        int outDim = parameter.Shape[0], inDim = parameter.Shape[1];
        for (int first = 0; first < outDim; first += panelWidth)
        {
            int count = Math.Min(panelWidth, outDim - first);
            var block = rows.AsSpan(0, count * inDim);
            file.CopyRange(tensor, firstElement + ((long)first * inDim), block);
            if (parameter.StoresBfloat16)
            {
                RequireBfloat16Range(tensor, prefix, parameter, block, (long)first * inDim);

                // Packed as floats, then rounded into the half-size panel: one panel of floats is the only extra.
                var panel = floatPanel.AsSpan(0, panelWidth * inDim);
                PackedLinear.PackPanel(block, count, inDim, panel);
                PackedLinear.NarrowPanel(panel, inDim, MemoryMarshal.Cast<float, uint>(buffer.Span).Slice(first * inDim / 2, panelWidth * inDim / 2));
            }
            else
            {
                PackedLinear.PackPanel(block, count, inDim, buffer.Span.Slice(first * inDim, panelWidth * inDim));
            }
        }
    }

    /// <summary>
    /// Fails if a finite value of <paramref name="values"/> (the parameter's elements from <paramref name="firstElement"/>
    /// on, [out, in] order) would round to infinity as bfloat16: the file's weight is finite, and held as ±∞ it would
    /// turn every output it touches into ±∞ or NaN with nothing to say why. (PyTorch's <c>to(torch.bfloat16)</c> gives the
    /// infinity; no trained weight comes near 3.39e38, so such a value means a corrupt or mislabelled file.)
    /// </summary>
    private static void RequireBfloat16Range(TensorInfo tensor, string prefix, ParameterSpec parameter, ReadOnlySpan<float> values, long firstElement)
    {
        if (Bfloat16.IndexOfOverflow(values) is var at and >= 0)
        {
            throw new WeightLoadException(
                OverflowMessage(
                    tensor.Name == prefix + parameter.Name ? $"Tensor '{tensor.Name}'" : $"Tensor '{tensor.Name}', read as '{prefix}{parameter.Name}',",
                    parameter, firstElement + at, values[at]),
                tensor.Name, parameter.Shape, tensor.Shape);
        }
    }

    /// <summary>Says which element of <paramref name="parameter"/> (<paramref name="what"/>) cannot be held as bfloat16.</summary>
    private static string OverflowMessage(string what, ParameterSpec parameter, long element, float value)
    {
        int inDim = parameter.Shape[1];
        return $"{what} holds {value:R} at [{element / inDim}, {element % inDim}], past bfloat16's largest finite value " +
            $"±{Bfloat16.MaxValue:R}: held as bfloat16 (WeightFormat = BFloat16) it would be {(value > 0 ? "+" : "-")}∞. " +
            "Load it as Float32, or fix the weight.";
    }

    /// <summary>
    /// Fails unless <paramref name="copy"/> (a tensor the file also holds, under the parameter's
    /// <see cref="ParameterSpec.TiedCopy"/> name) has the same bits in the file as the parameter's own
    /// <paramref name="tensor"/>, however the parameter is stored (packed, or rounded to bfloat16). Read a block at a time,
    /// so no copy of a large table is made.
    /// </summary>
    private static void RequireIdenticalCopy(SafeTensors file, string prefix, ParameterSpec parameter, TensorInfo tensor, TensorInfo copy)
    {
        long count = parameter.ElementCount;
        var ours = new float[(int)Math.Min(count, 1 << 16)];
        var theirs = new float[ours.Length];
        for (long first = 0; first < count; first += ours.Length)
        {
            int length = (int)Math.Min(ours.Length, count - first);
            file.CopyRange(tensor, first, ours.AsSpan(0, length));
            file.CopyRange(copy, first, theirs.AsSpan(0, length));
            var ourBits = MemoryMarshal.Cast<float, uint>(ours.AsSpan(0, length));
            int at = MemoryMarshal.Cast<float, uint>(theirs.AsSpan(0, length)).CommonPrefixLength(ourBits);
            if (at < length)
            {
                throw new WeightLoadException(
                    $"'{copy.Name}' differs from '{prefix}{parameter.Name}' (first at element {first + at}: {theirs[at]} against " +
                    $"{ours[at]}), which this declaration uses in its place (TiedEmbeddings = true): the file's model has " +
                    "a head of its own. Declare it with TiedEmbeddings = false.",
                    copy.Name, parameter.Shape, copy.Shape);
            }
        }
    }

    /// <summary>
    /// Finds and checks every tensor before anything is allocated, and names every problem at once. A parameter the file
    /// lacks under its own name is taken from its <see cref="ParameterSpec.Source"/>, when it has one (marked in the
    /// second array).
    /// </summary>
    private static (TensorInfo[] Found, bool[] Sourced, List<(int Index, TensorInfo Copy)> TiedCopies) FindAll(SafeTensors file, string prefix, ParameterSpec[] specs)
    {
        var found = new TensorInfo[specs.Length];
        var sourced = new bool[specs.Length];
        var tiedCopies = new List<(int, TensorInfo)>();
        var problems = new List<WeightLoadException>();
        for (int i = 0; i < specs.Length; i++)
        {
            try
            {
                if (specs[i].Source is not { } source || file.TryGetTensor(prefix + specs[i].Name, out _))
                {
                    found[i] = file.Require(prefix + specs[i].Name, specs[i].ShapeSpan);
                }
                else if (file.TryGetTensor(prefix + source.Name, out _))
                {
                    found[i] = file.Require(prefix + source.Name, source.Shape);
                    sourced[i] = true;
                }
                else
                {
                    // Neither is there: name the parameter, and where the checkpoints that fuse it would hold it.
                    string name = prefix + specs[i].Name;
                    throw new WeightLoadException(
                        $"{file.MissingMessage(name)} Nor is '{prefix}{source.Name}' [{string.Join(", ", source.Shape)}], where checkpoints that fuse it hold it.",
                        name, specs[i].Shape, actualShape: null);
                }
            }
            catch (WeightLoadException problem)
            {
                problems.Add(problem);
            }

            if (specs[i].TiedCopy is { } tiedName && file.TryGetTensor(prefix + tiedName, out var copy))
            {
                // Its values are compared with this tensor's before the load; its shape and dtype now.
                try
                {
                    tiedCopies.Add((i, file.Require(copy.Name, specs[i].ShapeSpan)));
                }
                catch (WeightLoadException problem)
                {
                    problems.Add(new WeightLoadException(
                        $"{problem.Message} This declaration uses '{prefix}{specs[i].Name}' in its place (TiedEmbeddings = true), so " +
                        "the file's model has a head of its own. Declare it with TiedEmbeddings = false.",
                        problem.TensorName, problem.ExpectedShape, problem.ActualShape));
                }
            }
        }

        problems.AddRange(UnreadTensors.Problems(file, prefix, specs));

        if (problems.Count == 1)
        {
            throw problems[0];
        }

        if (problems.Count > 1)
        {
            var message = new StringBuilder($"{problems.Count} of {specs.Length} tensors cannot be loaded:");
            foreach (var problem in problems)
            {
                message.Append("\n  - ").Append(problem.Message);
            }

            var first = problems[0];
            throw new WeightLoadException(message.ToString(), first.TensorName, first.ExpectedShape, first.ActualShape, problems);
        }

        return (found, sourced, tiedCopies);
    }
}
