using Microsoft.ML.OnnxRuntime;

namespace AttentionGen.Benchmarks.Cases;

/// <summary>
/// An ONNX Runtime session with its inputs and outputs bound once to our arrays through an <see cref="OrtIoBinding"/>,
/// run sequentially on <see cref="IntraOpThreads"/> threads (one unless <c>--threads</c> says otherwise), so a timed
/// call is only ORT's own work on the same data: no name lookups or handle arrays per call, which the plain
/// <c>Run(names, values)</c> pays (under a microsecond, but a few percent of the rows ORT runs in 7–25 µs).
/// </summary>
internal sealed class OrtCall : IDisposable
{
    private readonly SessionOptions _options = new()
    {
        IntraOpNumThreads = IntraOpThreads,
        InterOpNumThreads = 1,
        ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
    };

    private readonly RunOptions _runOptions = new();

    /// <summary>ORT's intra-op threads for every session made after it is set: the benchmark's <c>--threads</c>, 1 by default.</summary>
    public static int IntraOpThreads { get; set; } = 1;
    private readonly InferenceSession _session;
    private readonly OrtValue[] _values;
    private readonly OrtIoBinding _binding;

    /// <summary>A float graph with one output, <c>Y</c>.</summary>
    public OrtCall(byte[] model, (string Name, float[] Data, long[] Shape)[] inputs, float[] output, long[] outputShape)
        : this(model, [.. inputs.Select(i => (i.Name, OrtValue.CreateTensorValueFromMemory(i.Data, i.Shape)))],
            [("Y", OrtValue.CreateTensorValueFromMemory(output, outputShape))])
    {
    }

    /// <summary>Any graph (its bytes, or the path of its file), with every input and output bound to the values given.</summary>
    public OrtCall(object model, (string Name, OrtValue Value)[] inputs, (string Name, OrtValue Value)[] outputs)
    {
        _session = model switch
        {
            byte[] bytes => new InferenceSession(bytes, _options),
            string path => new InferenceSession(path, _options),
            _ => throw new ArgumentException("The model is its bytes or the path of its file.", nameof(model)),
        };
        // Distinct: an output may be bound to an input's value (GroupQueryAttention's present to its past, appended in place).
        _values = [.. inputs.Select(i => i.Value).Concat(outputs.Select(o => o.Value)).Distinct()];
        _binding = _session.CreateIoBinding();
        foreach (var (name, value) in inputs)
        {
            _binding.BindInput(name, value);
        }

        foreach (var (name, value) in outputs)
        {
            _binding.BindOutput(name, value);
        }
    }

    public void Run() => _session.RunWithBinding(_runOptions, _binding);

    public void Dispose()
    {
        _binding.Dispose();
        foreach (var value in _values)
        {
            value.Dispose();
        }

        _session.Dispose();
        _runOptions.Dispose();
        _options.Dispose();
    }
}
