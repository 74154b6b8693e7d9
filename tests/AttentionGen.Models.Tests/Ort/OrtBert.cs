using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace AttentionGen.Models.Tests.Ort;

/// <summary>The last hidden state of a padded batch: [batch, length, hidden] row-major, and the mask that padded it.</summary>
/// <param name="LastHiddenState">One row per position, padded positions included (their queries still attend to the real tokens).</param>
/// <param name="AttentionMask">[batch, length]: 1 for a token, 0 for padding.</param>
public sealed record OrtBatchOutput(float[] LastHiddenState, int[] AttentionMask, int Batch, int Length, int Hidden)
{
    /// <summary>Sequence <paramref name="index"/>'s rows, padding included: [length, hidden].</summary>
    public ReadOnlySpan<float> Sequence(int index) => LastHiddenState.AsSpan(index * Length * Hidden, Length * Hidden);

    /// <summary>Sequence <paramref name="index"/>'s mask row.</summary>
    public ReadOnlySpan<int> Mask(int index) => AttentionMask.AsSpan(index * Length, Length);

    /// <summary>Sequence <paramref name="index"/>'s sentence embedding: the mean of its unpadded rows, L2-normalized.</summary>
    public float[] SentenceEmbedding(int index) => OrtBert.SentenceEmbedding(Sequence(index), Hidden, Mask(index));
}

/// <summary>
/// Runs a BERT ONNX export (inputs <c>input_ids</c>, <c>attention_mask</c>, <c>token_type_ids</c>, int64 [batch,
/// sequence]; output <c>last_hidden_state</c>) on ONNX Runtime's CPU provider, with every graph optimization on and one
/// thread: the independent implementation the float64 reference and the generated encoders are checked against.
/// </summary>
public sealed class OrtBert : IDisposable
{
    private const string LastHiddenStateOutput = "last_hidden_state";

    private readonly SessionOptions _options = new()
    {
        GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        IntraOpNumThreads = 1,
        InterOpNumThreads = 1,
        ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
    };

    private readonly InferenceSession _session;

    /// <summary>Loads the model at <paramref name="onnxPath"/>.</summary>
    public OrtBert(string onnxPath) => _session = new InferenceSession(onnxPath, _options);

    /// <summary>Loads a model held in memory.</summary>
    public OrtBert(byte[] model) => _session = new InferenceSession(model, _options);

    /// <summary>The last hidden state of one unpadded sequence, [tokens, hidden]. Token types default to 0.</summary>
    public float[] LastHiddenState(ReadOnlySpan<int> tokenIds, ReadOnlySpan<int> tokenTypes = default)
    {
        var output = Run([tokenIds.ToArray()], tokenTypes.IsEmpty ? null : [tokenTypes.ToArray()]);
        return output.LastHiddenState;
    }

    /// <summary>
    /// Runs the sequences as one batch, each padded at the end with token id 0 (type 0, mask 0) to the longest.
    /// </summary>
    public OrtBatchOutput Run(IReadOnlyList<int[]> sequences, IReadOnlyList<int[]>? tokenTypes = null)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        if (sequences.Count == 0 || sequences.Any(s => s.Length == 0))
        {
            throw new ArgumentException("A batch needs at least one sequence, and every sequence at least one token.", nameof(sequences));
        }

        if (tokenTypes is not null && (tokenTypes.Count != sequences.Count || tokenTypes.Where((t, i) => t.Length != sequences[i].Length).Any()))
        {
            throw new ArgumentException("Token types must match the sequences one for one, token for token.", nameof(tokenTypes));
        }

        int batch = sequences.Count, length = sequences.Max(s => s.Length);
        var ids = new DenseTensor<long>([batch, length]);
        var mask = new DenseTensor<long>([batch, length]);
        var types = new DenseTensor<long>([batch, length]);
        var maskValues = new int[batch * length];
        for (int b = 0; b < batch; b++)
        {
            for (int t = 0; t < sequences[b].Length; t++)
            {
                ids[b, t] = sequences[b][t];
                mask[b, t] = 1;
                types[b, t] = tokenTypes?[b][t] ?? 0;
                maskValues[b * length + t] = 1;
            }
        }

        var inputs = new List<NamedOnnxValue>
        {
            NamedOnnxValue.CreateFromTensor("input_ids", ids),
            NamedOnnxValue.CreateFromTensor("attention_mask", mask),
            NamedOnnxValue.CreateFromTensor("token_type_ids", types),
        };
        using var results = _session.Run(inputs, [LastHiddenStateOutput]);
        var tensor = results.Single().AsTensor<float>();
        int hidden = tensor.Dimensions[2];
        return new OrtBatchOutput(tensor.ToArray(), maskValues, batch, length, hidden);
    }

    /// <summary>
    /// Runs a batch laid out by the caller: <paramref name="tokenIds"/> and <paramref name="attentionMask"/> both
    /// [batch, length], padding anywhere (left, right, holes), every token type 0.
    /// </summary>
    public OrtBatchOutput RunPadded(int[] tokenIds, int[] attentionMask, int batch)
    {
        ArgumentNullException.ThrowIfNull(tokenIds);
        ArgumentNullException.ThrowIfNull(attentionMask);
        if (batch < 1 || tokenIds.Length % batch != 0 || attentionMask.Length != tokenIds.Length)
        {
            throw new ArgumentException("The ids and the mask must both be [batch, length].", nameof(tokenIds));
        }

        int length = tokenIds.Length / batch;
        var ids = new DenseTensor<long>(Array.ConvertAll(tokenIds, id => (long)id), [batch, length]);
        var mask = new DenseTensor<long>(Array.ConvertAll(attentionMask, m => (long)m), [batch, length]);
        var types = new DenseTensor<long>([batch, length]);
        var inputs = new List<NamedOnnxValue>
        {
            NamedOnnxValue.CreateFromTensor("input_ids", ids),
            NamedOnnxValue.CreateFromTensor("attention_mask", mask),
            NamedOnnxValue.CreateFromTensor("token_type_ids", types),
        };
        using var results = _session.Run(inputs, [LastHiddenStateOutput]);
        var tensor = results.Single().AsTensor<float>();
        return new OrtBatchOutput(tensor.ToArray(), (int[])attentionMask.Clone(), batch, length, tensor.Dimensions[2]);
    }

    /// <summary>The mean of the unmasked rows, L2-normalized (computed in float64): the sentence embedding.</summary>
    public static float[] SentenceEmbedding(ReadOnlySpan<float> lastHiddenState, int hidden, ReadOnlySpan<int> attentionMask = default)
    {
        var widened = new double[lastHiddenState.Length];
        for (int i = 0; i < widened.Length; i++)
        {
            widened[i] = lastHiddenState[i];
        }

        return Array.ConvertAll(Reference.BertReference.SentenceEmbedding(widened, hidden, attentionMask), v => (float)v);
    }

    public void Dispose()
    {
        _session.Dispose();
        _options.Dispose();
    }
}
