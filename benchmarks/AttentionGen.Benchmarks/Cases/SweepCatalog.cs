using System.Globalization;
using System.Reflection;

namespace AttentionGen.Benchmarks.Cases;

/// <summary>
/// The shape sweep (<c>--sweep</c>): scaled-dot-product layers over the axes where a shape-specialized kernel can fall
/// off its fast path — head widths that are not a multiple of the vector, query groups, lengths that are multiples of
/// nothing, self and cross, causal and not — each paired against ONNX Runtime. Every layer is declared with its
/// attribute in <c>SweepLayers.cs</c>; a row reads the layer's generated constants, so its name, its ORT graph and
/// its FLOP count cannot drift from the declaration.
/// </summary>
internal static class SweepCatalog
{
    private static readonly (string Name, Func<BenchmarkCase> Create)[] Rows =
    [
        // Head widths 8..256, multiples of 16 and not (prefill also at 56, 72, 100, 120): self-attention prefill (H8 S333) and decode (H8 q1 kv1000).
        Row<SweepH8S333D8>(333, 333),
        Row<SweepH8S333D24>(333, 333),
        Row<SweepH8S333D40>(333, 333),
        Row<SweepH8S333D56>(333, 333),
        Row<SweepH8S333D64>(333, 333),
        Row<SweepH8S333D72>(333, 333),
        Row<SweepH8S333D80>(333, 333),
        Row<SweepH8S333D96>(333, 333),
        Row<SweepH8S333D100>(333, 333),
        Row<SweepH8S333D112>(333, 333),
        Row<SweepH8S333D120>(333, 333),
        Row<SweepH8S333D128>(333, 333),
        Row<SweepH8S333D256>(333, 333),
        Row<SweepDecodeH8Kv1000D8>(1, 1000),
        Row<SweepDecodeH8Kv1000D24>(1, 1000),
        Row<SweepDecodeH8Kv1000D40>(1, 1000),
        Row<SweepDecodeH8Kv1000D64>(1, 1000),
        Row<SweepDecodeH8Kv1000D80>(1, 1000),
        Row<SweepDecodeH8Kv1000D96>(1, 1000),
        Row<SweepDecodeH8Kv1000D112>(1, 1000),
        Row<SweepDecodeH8Kv1000D128>(1, 1000),
        Row<SweepDecodeH8Kv1000D256>(1, 1000),

        // Query groups 1, 2, 4, 6, 8, 16 over two KV heads of 128: decode, and a 7-query causal step over a 1000-key cache; MQA decode; a cache bigger than L3.
        Row<SweepDecodeH2Kv2D128>(1, 1000),
        Row<SweepDecodeH4Kv2D128>(1, 1000),
        Row<SweepDecodeH8Kv2D128>(1, 1000),
        Row<SweepDecodeH12Kv2D128>(1, 1000),
        Row<SweepDecodeH16Kv2D128>(1, 1000),
        Row<SweepDecodeH32Kv2D128>(1, 1000),
        Row<SweepStepH2Kv2D128Causal>(7, 1000),
        Row<SweepStepH4Kv2D128Causal>(7, 1000),
        Row<SweepStepH8Kv2D128Causal>(7, 1000),
        Row<SweepStepH12Kv2D128Causal>(7, 1000),
        Row<SweepStepH16Kv2D128Causal>(7, 1000),
        Row<SweepStepH32Kv2D128Causal>(7, 1000),
        Row<SweepDecodeH8Kv1D128Kv2048>(1, 2048),
        Row<SweepDecodeH32Kv8D128Kv4096>(1, 4096),

        // Lengths that are multiples of nothing (H8 D64): self, causal and not; cross both ways.
        Row<SweepH8S7D64>(7, 7),
        Row<SweepH8S33D64>(33, 33),
        Row<SweepH8S100D64>(100, 100),
        Row<SweepH8S1000D64>(1000, 1000),
        Row<SweepH8S7D64Causal>(7, 7),
        Row<SweepH8S33D64Causal>(33, 33),
        Row<SweepH8S100D64Causal>(100, 100),
        Row<SweepH8S333D64Causal>(333, 333),
        Row<SweepH8S1000D64Causal>(1000, 1000),
        Row<SweepH8Q7Kv33D64>(7, 33),
        Row<SweepH8Q33Kv7D64>(33, 7),
        Row<SweepH8Q100Kv333D64>(100, 333),
        Row<SweepH8Q333Kv100D64>(333, 100),
        Row<SweepH8Q1000Kv7D64>(1000, 7),
        Row<SweepH8Q7Kv1000D64>(7, 1000),
        Row<SweepH12Q33Kv100D24>(33, 100),

        // Model-like shapes with widths that are not multiples of 64.
        Row<SweepH8S1000D40>(1000, 1000),
        Row<SweepH32S333D80Causal>(333, 333),
        Row<SweepH12Q100Kv1000D96Causal>(100, 1000),
        Row<SweepH16S100D112>(100, 100),
        Row<SweepH28Kv4S333D128Causal>(333, 333),

        // Heads wider than 128: value rows gathered (the first two) and in place (the short cross-attention).
        Row<SweepH8S333D192>(333, 333),
        Row<SweepH8Q100Kv1000D192Causal>(100, 1000),
        Row<SweepH8Q12Kv1000D256>(12, 1000),

        // Run below the declared maximum (declared for 1024 tokens).
        Row<SweepH8Max1024D64Causal>(333, 333),
        Row<SweepH8Max1024D64Causal>(100, 100),
    ];

    public static IReadOnlyList<string> Names { get; } = Rows.Select(r => r.Name).ToArray();

    public static BenchmarkCase Create(string name) =>
        Rows.FirstOrDefault(r => r.Name == name).Create?.Invoke()
        ?? throw new ArgumentException($"No sweep row is named \"{name}\".", nameof(name));

    /// <summary>A row of <typeparamref name="TLayer"/> run at the given lengths (at most the declared ones).</summary>
    private static (string, Func<BenchmarkCase>) Row<TLayer>(int seqLen, int kvSeqLen)
        where TLayer : new()
    {
        int heads = Constant<TLayer, int>("Heads"), kvHeads = Constant<TLayer, int>("KvHeads"), headDim = Constant<TLayer, int>("HeadDim");
        int maxSeqLen = Constant<TLayer, int>("MaxSeqLen"), maxKvSeqLen = Constant<TLayer, int>("MaxKvSeqLen");
        bool causal = Constant<TLayer, bool>("IsCausal");
        float scale = Constant<TLayer, float>("Scale");
        if (seqLen > maxSeqLen || kvSeqLen > maxKvSeqLen)
        {
            throw new ArgumentException($"{typeof(TLayer).Name} is declared for at most {maxSeqLen}×{maxKvSeqLen}, not {seqLen}×{kvSeqLen}.");
        }

        string name = string.Create(CultureInfo.InvariantCulture,
            $"{(seqLen == 1 ? "decode" : "sdpa")} H{heads}{(kvHeads == heads ? "" : $" kv{kvHeads}")} " +
            $"{(seqLen == kvSeqLen ? $"S{seqLen}" : $"q{seqLen} kv{kvSeqLen}")} D{headDim}{(causal ? " causal" : "")}" +
            $"{(maxSeqLen > seqLen && maxSeqLen == maxKvSeqLen ? $" (of {maxSeqLen})" : "")}");
        return (name, Create);

        BenchmarkCase Create()
        {
            var forward = (CaseCatalog.SdpaForward)typeof(TLayer)
                .GetMethod("Forward", [typeof(ReadOnlySpan<float>), typeof(ReadOnlySpan<float>), typeof(ReadOnlySpan<float>), typeof(Span<float>), typeof(int), typeof(int)])!
                .CreateDelegate(typeof(CaseCatalog.SdpaForward), new TLayer());
            return CaseCatalog.Sdpa(name, forward, heads, kvHeads, headDim, seqLen, kvSeqLen, causal, scale, baselines: false);
        }
    }

    private static TValue Constant<TLayer, TValue>(string name) =>
        (TValue)(typeof(TLayer).GetField(name, BindingFlags.Public | BindingFlags.Static)?.GetRawConstantValue()
            ?? throw new InvalidOperationException($"{typeof(TLayer).Name} has no constant {name}."));
}
