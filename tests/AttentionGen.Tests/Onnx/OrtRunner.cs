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

    /// <summary>
    /// One opset-23 Attention call on 3-D inputs with batch 1: q [seqLen, Heads·HeadDim], k and v [kvSeqLen, KvHeads·HeadDim],
    /// mask [seqLen, kvSeqLen] (only when the options say so). Returns Y [seqLen, Heads·HeadDim].
    /// </summary>
    public static float[] ScaledDotProduct(OnnxAttentionModels.AttentionOptions options, float[] q, float[] k, float[] v, float[]? mask, int seqLen, int kvSeqLen)
    {
        if ((mask is not null) != options.Mask)
        {
            throw new ArgumentException("Pass a mask exactly when the options declare one.", nameof(mask));
        }

        using var runner = new OrtRunner(OnnxAttentionModels.ScaledDotProduct(options));
        int queryWidth = options.Heads * options.HeadDim, kvWidth = options.KvHeads * options.HeadDim;
        var inputs = new List<(string, float[], int[])>
        {
            ("Q", q, [1, seqLen, queryWidth]),
            ("K", k, [1, kvSeqLen, kvWidth]),
            ("V", v, [1, kvSeqLen, kvWidth]),
        };
        if (mask is not null)
        {
            inputs.Add(("mask", mask, [seqLen, kvSeqLen]));
        }

        return runner.Run([.. inputs]);
    }

    public void Dispose()
    {
        _session.Dispose();
        _options.Dispose();
    }
}
