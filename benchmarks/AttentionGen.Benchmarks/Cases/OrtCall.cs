using Microsoft.ML.OnnxRuntime;

namespace AttentionGen.Benchmarks.Cases;

/// <summary>
/// An ONNX Runtime session with its inputs and outputs bound once to our arrays, run single-threaded and sequentially,
/// so a timed call is only ORT's own work on the same data.
/// </summary>
internal sealed class OrtCall : IDisposable
{
    private readonly SessionOptions _options = new()
    {
        IntraOpNumThreads = 1,
        InterOpNumThreads = 1,
        ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
    };

    private readonly RunOptions _runOptions = new();
    private readonly InferenceSession _session;
    private readonly string[] _inputNames;
    private readonly OrtValue[] _inputs;
    private readonly string[] _outputNames = ["Y"];
    private readonly OrtValue[] _outputs;

    public OrtCall(byte[] model, (string Name, float[] Data, long[] Shape)[] inputs, float[] output, long[] outputShape)
    {
        _session = new InferenceSession(model, _options);
        _inputNames = inputs.Select(i => i.Name).ToArray();
        _inputs = inputs.Select(i => OrtValue.CreateTensorValueFromMemory(i.Data, i.Shape)).ToArray();
        _outputs = [OrtValue.CreateTensorValueFromMemory(output, outputShape)];
    }

    public void Run() => _session.Run(_runOptions, _inputNames, _inputs, _outputNames, _outputs);

    public void Dispose()
    {
        foreach (var value in _inputs.Concat(_outputs))
        {
            value.Dispose();
        }

        _session.Dispose();
        _runOptions.Dispose();
        _options.Dispose();
    }
}
