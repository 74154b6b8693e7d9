using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using static AttentionGen.Tests.Onnx.DecoderOnnxModels;

namespace AttentionGen.Tests.Onnx;

/// <summary>
/// One sequence through the <see cref="DecoderOnnxModels.Llama"/> graph on ONNX Runtime's CPU provider (one thread),
/// holding the key/value cache the way an ONNX decoder loop does: each run's <c>present_key</c>/<c>present_value</c>
/// are fed back as the next run's <c>past_key</c>/<c>past_value</c>. The first run uses the graph without a past. A
/// windowed graph also gets each run's sliding-window mask, built from the cached length and the run's.
/// </summary>
internal sealed class DecoderOrtRunner : IDisposable
{
    private readonly SessionOptions _options = new()
    {
        IntraOpNumThreads = 1,
        InterOpNumThreads = 1,
        ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
    };

    private readonly DecoderShape _shape;
    private readonly InferenceSession _first;
    private readonly InferenceSession _withPast;
    private readonly float[][] _keys;
    private readonly float[][] _values;

    public DecoderOrtRunner(DecoderShape shape, IReadOnlyDictionary<string, float[]> weights)
    {
        _shape = shape;
        _first = new InferenceSession(Llama(shape, weights, withPast: false), _options);
        _withPast = new InferenceSession(Llama(shape, weights, withPast: true), _options);
        _keys = new float[shape.Layers][];
        _values = new float[shape.Layers][];
    }

    /// <summary>Every layer's cached keys and values, [1, KvHeads, Position, HeadDim] each, as the next run's past.</summary>
    public (float[][] Keys, float[][] Values) Cache => (_keys, _values);

    /// <summary>Tokens in the cache, as the generated decoder's <c>Position</c>.</summary>
    public int Position { get; private set; }

    /// <summary>Runs <paramref name="tokens"/> at the next positions and returns their logits, [tokens, Vocab].</summary>
    public float[] Run(ReadOnlySpan<int> tokens)
    {
        if (tokens.IsEmpty || Position + tokens.Length > _shape.MaxPositions)
        {
            throw new ArgumentOutOfRangeException(nameof(tokens), tokens.Length,
                $"{tokens.Length} tokens at position {Position}: between 1 and {_shape.MaxPositions - Position} fit.");
        }

        var ids = new long[tokens.Length];
        var positions = new long[tokens.Length];
        for (int t = 0; t < tokens.Length; t++)
        {
            ids[t] = tokens[t];
            positions[t] = Position + t;
        }

        var inputs = new List<NamedOnnxValue>
        {
            NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(ids, [1, tokens.Length])),
            NamedOnnxValue.CreateFromTensor("position_ids", new DenseTensor<long>(positions, [1, tokens.Length])),
        };
        if (_shape.AnyWindowed)
        {
            inputs.Add(NamedOnnxValue.CreateFromTensor(WindowMaskInput,
                new DenseTensor<float>(WindowMask(Position, tokens.Length, _shape.SlidingWindow), [tokens.Length, Position + tokens.Length])));
        }
        if (Position > 0)
        {
            int[] pastShape = [1, _shape.KvHeads, Position, _shape.HeadDim];
            for (int layer = 0; layer < _shape.Layers; layer++)
            {
                inputs.Add(NamedOnnxValue.CreateFromTensor(PastKey(layer), new DenseTensor<float>(_keys[layer], pastShape)));
                inputs.Add(NamedOnnxValue.CreateFromTensor(PastValue(layer), new DenseTensor<float>(_values[layer], pastShape)));
            }
        }

        using var results = (Position > 0 ? _withPast : _first).Run(inputs);
        var outputs = results.ToDictionary(r => r.Name, r => r.AsEnumerable<float>().ToArray());
        int cached = (Position + tokens.Length) * _shape.KvHeads * _shape.HeadDim;
        for (int layer = 0; layer < _shape.Layers; layer++)
        {
            _keys[layer] = outputs[PresentKey(layer)];
            _values[layer] = outputs[PresentValue(layer)];
            if (_keys[layer].Length != cached || _values[layer].Length != cached)
            {
                throw new InvalidOperationException($"Layer {layer}'s present key/value hold {_keys[layer].Length}/{_values[layer].Length} floats, not {cached}.");
            }
        }

        Position += tokens.Length;
        return outputs["logits"];
    }

    public void Dispose()
    {
        _first.Dispose();
        _withPast.Dispose();
        _options.Dispose();
    }
}
