using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace AttentionGen.Tests.Onnx;

/// <summary>Runs an in-memory ONNX model on ONNX Runtime's CPU provider with one thread, sequentially.</summary>
internal sealed class OrtRunner : IDisposable
{
    private readonly SessionOptions _options = new()
    {
        IntraOpNumThreads = 1,
        InterOpNumThreads = 1,
        ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
    };

    private readonly InferenceSession _session;

    public OrtRunner(byte[] model) => _session = new InferenceSession(model, _options);

    /// <summary>Each input is (name, values, shape); returns the single output's values.</summary>
    public float[] Run(params (string Name, float[] Values, int[] Shape)[] inputs)
    {
        var values = inputs.Select(i => NamedOnnxValue.CreateFromTensor(i.Name, new DenseTensor<float>(i.Values, i.Shape))).ToList();
        using var results = _session.Run(values);
        return results.Single().AsEnumerable<float>().ToArray();
    }

    public void Dispose()
    {
        _session.Dispose();
        _options.Dispose();
    }
}
