using AttentionGen.Benchmarks.Baselines;
using AttentionGen.Tests.Onnx;
using Microsoft.ML.OnnxRuntime;
using static AttentionGen.Tests.Onnx.OnnxAttentionModels;

namespace AttentionGen.Benchmarks.Cases;

/// <summary>The benchmark rows, each with seeded inputs shared by every implementation.</summary>
internal static class CaseCatalog
{
    /// <summary>Every row, in table order, built only when asked for (each owns an ORT session and its inputs).</summary>
    private static readonly (string Name, Func<string, BenchmarkCase> Create)[] Rows =
    [
        ("sdpa H4 S32 D16", name => Sdpa(name, new SdpaH4S32D16().Forward, 4, 4, 16, 32, 32, causal: false, SdpaH4S32D16.Scale)),
        ("sdpa H8 S128 D64", name => Sdpa(name, new SdpaH8S128D64().Forward, 8, 8, 64, 128, 128, causal: false, SdpaH8S128D64.Scale)),
        ("sdpa H8 S128 D64 causal", name => Sdpa(name, new SdpaH8S128D64Causal().Forward, 8, 8, 64, 128, 128, causal: true, SdpaH8S128D64Causal.Scale)),
        ("sdpa H12 S512 D64", name => Sdpa(name, new SdpaH12S512D64().Forward, 12, 12, 64, 512, 512, causal: false, SdpaH12S512D64.Scale)),
        ("sdpa H12 S512 D64 causal", name => Sdpa(name, new SdpaH12S512D64Causal().Forward, 12, 12, 64, 512, 512, causal: true, SdpaH12S512D64Causal.Scale)),
        ("decode H12 q1 kv512 D64", name => Sdpa(name, new DecodeH12Kv512().Forward, 12, 12, 64, 1, 512, causal: false, DecodeH12Kv512.Scale)),
        ("decode H32 kv8 q1 kv1024 D64", name => Sdpa(name, new DecodeH32Kv8Kv1024().Forward, 32, 8, 64, 1, 1024, causal: false, DecodeH32Kv8Kv1024.Scale)),
        ("mha S32 dm64 H4", name => MultiHead(name, w => new MhaS32Dm64H4(Build(MhaS32Dm64H4.Weights.CreateBuilder(), w)).Forward, MhaS32Dm64H4.Parameters, 64, 4, 32, causal: false, MhaS32Dm64H4.Scale)),
        ("mha S128 dm256 H4", name => MultiHead(name, w => new MhaS128Dm256H4(Build(MhaS128Dm256H4.Weights.CreateBuilder(), w)).Forward, MhaS128Dm256H4.Parameters, 256, 4, 128, causal: false, MhaS128Dm256H4.Scale)),
        ("mha S128 dm384 H12", name => MultiHead(name, w => new MhaS128Dm384H12(Build(MhaS128Dm384H12.Weights.CreateBuilder(), w)).Forward, MhaS128Dm384H12.Parameters, 384, 12, 128, causal: false, MhaS128Dm384H12.Scale)),
        ("mha S128 dm512 H8 causal", name => MultiHead(name, w => new MhaS128Dm512H8Causal(Build(MhaS128Dm512H8Causal.Weights.CreateBuilder(), w)).Forward, MhaS128Dm512H8Causal.Parameters, 512, 8, 128, causal: true, MhaS128Dm512H8Causal.Scale)),
        ("mha S512 dm768 H12", name => MultiHead(name, w => new MhaS512Dm768H12(Build(MhaS512Dm768H12.Weights.CreateBuilder(), w)).Forward, MhaS512Dm768H12.Parameters, 768, 12, 512, causal: false, MhaS512Dm768H12.Scale)),
        ("pool S5 d64", name => Pooling(name)),
        ("minilm S16", name => MiniLmCases.Sentence(name, 16)),
        ("minilm S128", name => MiniLmCases.Sentence(name, 128)),
        ("minilm batch 32 x 8-64 (ORT padded)", name => MiniLmCases.Batch(name)),
        ("minilm batch 32 x 8-64, both padded with attention mask", name => MiniLmCases.PaddedBatch(name)),
        ("minilm text S14, SentenceTransformers package Encode (its default session)", name => MiniLmCases.PackageEncoder(name)),
        ("decoder L4 dm256 H8 kv2 step at pos 256", name => DecoderCases.SmallStep(name)),
        ("stories110M step at pos 256", name => DecoderCases.StoriesStep(name, bfloat16: false)),
        ("stories110M step at pos 256, bfloat16", name => DecoderCases.StoriesStep(name, bfloat16: true)),
        ("stories110M prefill 128", name => DecoderCases.StoriesPrefill(name)),
    ];

    public static IReadOnlyList<string> Names { get; } = Rows.Select(r => r.Name).ToArray();

    /// <summary>Builds one row by its exact name.</summary>
    public static BenchmarkCase Create(string name) =>
        Rows.FirstOrDefault(r => r.Name == name).Create?.Invoke(name)
        ?? throw new ArgumentException($"No benchmark case is named \"{name}\". Cases: {string.Join(", ", Names)}", nameof(name));

    internal delegate void SdpaForward(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, Span<float> o, int seqLen, int kvSeqLen);

    /// <summary>
    /// A scaled-dot-product row. ORT's is_causal aligns the triangle at the top-left corner, ours (and PyTorch's, for a
    /// cached prefix) at the bottom-right, so a causal row whose lengths differ gives ORT the bottom-right rule as an
    /// additive mask: the same visible keys, and ORT adds the mask on top of its work. The sweep leaves out the
    /// TensorPrimitives and naive baselines (<paramref name="baselines"/> false) to keep its run short. Beside the opset-23
    /// op the row builds ORT's contrib ops where they express it exactly (<see cref="ContribVariants"/>), and the faster
    /// of those that agree with AttentionGen becomes the row's ORT figure.
    /// </summary>
    internal static BenchmarkCase Sdpa(string name, SdpaForward forward, int heads, int kvHeads, int headDim, int seqLen, int kvSeqLen,
        bool causal, float scale, bool baselines = true)
    {
        var q = Uniform(1, seqLen * heads * headDim);
        var k = Uniform(2, kvSeqLen * kvHeads * headDim);
        var v = Uniform(3, kvSeqLen * kvHeads * headDim);
        var output = new float[q.Length];
        var ortOutput = new float[q.Length];

        // What AttentionGen, ORT and TensorPrimitives read: the same values, on huge pages (see HugePageInputs), and room
        // for GroupQueryAttention's cache where it takes one (the same keys and values, laid out per head).
        bool multiHead = heads == kvHeads && (!causal || seqLen == kvSeqLen);
        bool groupQuery = (causal || seqLen == 1) && seqLen <= kvSeqLen;
        int cacheLength = groupQuery && seqLen < kvSeqLen ? k.Length : 0;
        var pages = new HugePageInputs(q.Length, k.Length, v.Length, cacheLength, cacheLength);
        var (query, key, value) = (pages.Take(q), pages.Take(k), pages.Take(v));
        bool ortMask = causal && seqLen != kvSeqLen;
        var inputs = new List<(string, OrtValue)>
        {
            ("Q", query.ToOrtValue([1, seqLen, heads * headDim])),
            ("K", key.ToOrtValue([1, kvSeqLen, kvHeads * headDim])),
            ("V", value.ToOrtValue([1, kvSeqLen, kvHeads * headDim])),
        };
        if (ortMask)
        {
            inputs.Add(("mask", OrtValue.CreateTensorValueFromMemory(BottomRightCausalMask(seqLen, kvSeqLen), [seqLen, kvSeqLen])));
        }

        var ort = new OrtCall(ScaledDotProduct(new AttentionOptions(heads, kvHeads, headDim, causal && !ortMask, scale, 0, Mask: ortMask)),
            [.. inputs], [("Y", OrtValue.CreateTensorValueFromMemory(ortOutput, [1, seqLen, heads * headDim]))]);
        double bytes = sizeof(float) * (2.0 * q.Length + k.Length + v.Length);
        Action? tensorPrimitives = null, naive = null;
        if (baselines)
        {
            var vectorized = new TensorPrimitivesAttention(heads, kvHeads, headDim, kvSeqLen, causal, scale);
            var loops = new NaiveAttention(heads, kvHeads, headDim, kvSeqLen, causal, scale);
            tensorPrimitives = () => vectorized.Forward(query.Span, key.Span, value.Span, output, seqLen, kvSeqLen);
            naive = () => loops.Forward(q, k, v, output, seqLen, kvSeqLen);
        }

        void Generated() => forward(query.Span, key.Span, value.Span, output, seqLen, kvSeqLen);
        var options = new AttentionOptions(heads, kvHeads, headDim, causal, scale, 0);
        var (variants, sessions, note) = ContribVariants(options, seqLen, kvSeqLen, query, key, value,
            multiHead, groupQuery, cacheLength > 0 ? pages.Take(k) : null, cacheLength > 0 ? pages.Take(v) : null, output, Generated);
        return new BenchmarkCase(name, AttentionFlops(heads, headDim, seqLen, kvSeqLen, causal), bytes,
            Generated, ort.Run, tensorPrimitives, naive, new DisposeAll([ort, .. sessions]), () =>
            {
                Generated();
                ort.Run();
                return OutputDifference.Relative(output, ortOutput);
            })
        {
            OrtOp = OrtVariant.OpsetAttention,
            OrtVariants = variants,
            OrtVariantNote = note,
        };
    }

    /// <summary>
    /// ORT's contrib ops for a scaled-dot-product row, each on the row's own Q, K and V (bound in place, as the opset-23
    /// session's): <c>com.microsoft.MultiHeadAttention</c> where Heads == KvHeads and the row is not causal or its
    /// lengths are equal (its <c>unidirectional</c> triangle is aligned top-left), and <c>com.microsoft.GroupQueryAttention</c>
    /// where the row is causal or has one query (GQA is always causal, aligned bottom-right, so one query sees every
    /// key). GQA takes only the newest S keys as K and V; for S &lt; T the whole cache is copied once, here at set-up
    /// and untimed, into <paramref name="cacheKey"/> and <paramref name="cacheValue"/> laid out per head ([1, KvHeads, T, HeadDim]), and its present outputs
    /// are bound to that same cache, so ORT appends the newest S in place (rewriting the values already there) as a
    /// decoder's step would, instead of copying the whole cache into a new present on every call. A session that fails
    /// to load leaves a note instead of failing the run; whether one agrees with AttentionGen is checked before timing.
    /// </summary>
    private static (List<OrtVariant> Variants, List<OrtCall> Sessions, string? Note) ContribVariants(AttentionOptions options,
        int seqLen, int kvSeqLen, HugePageInputs.Tensor query, HugePageInputs.Tensor key, HugePageInputs.Tensor value,
        bool multiHead, bool groupQuery, HugePageInputs.Tensor? cacheKey, HugePageInputs.Tensor? cacheValue, float[] output, Action generated)
    {
        int width = options.Heads * options.HeadDim, kvWidth = options.KvHeads * options.HeadDim;
        var variants = new List<OrtVariant>();
        var sessions = new List<OrtCall>();
        var notes = new List<string>();
        void Add(string op, Func<float[], OrtCall> create)
        {
            var variantOutput = new float[output.Length];
            try
            {
                var call = create(variantOutput);
                sessions.Add(call);
                variants.Add(new OrtVariant(op, call.Run, () =>
                {
                    generated();
                    call.Run();
                    return OutputDifference.Relative(output, variantOutput);
                }));
            }
            catch (OnnxRuntimeException e)
            {
                notes.Add($"{OrtVariant.Short(op)} n/a: {e.Message}");
            }
        }

        if (multiHead)
        {
            Add(OrtVariant.MultiHeadAttention, y => new OrtCall(ContribMultiHeadAttention(options),
                [
                    ("Q", query.ToOrtValue([1, seqLen, width])),
                    ("K", key.ToOrtValue([1, kvSeqLen, kvWidth])),
                    ("V", value.ToOrtValue([1, kvSeqLen, kvWidth])),
                ],
                [("Y", OrtValue.CreateTensorValueFromMemory(y, [1, seqLen, width]))]));
        }

        if (groupQuery)
        {
            Add(OrtVariant.GroupQueryAttention, y =>
            {
                // The newest seqLen keys and values (all of them for a prefill), read in place.
                int newest = (kvSeqLen - seqLen) * kvWidth;
                var inputs = new List<(string, OrtValue)>
                {
                    ("Q", query.ToOrtValue([1, seqLen, width])),
                    ("K", key.Slice(newest).ToOrtValue([1, seqLen, kvWidth])),
                    ("V", value.Slice(newest).ToOrtValue([1, seqLen, kvWidth])),
                    ("seqlens_k", OrtValue.CreateTensorValueFromMemory(new[] { kvSeqLen - 1 }, [1])),
                    ("total_sequence_length", OrtValue.CreateTensorValueFromMemory(new[] { kvSeqLen }, [])),
                };
                var outputs = new List<(string, OrtValue)> { ("Y", OrtValue.CreateTensorValueFromMemory(y, [1, seqLen, width])) };
                long[] cacheShape = [1, options.KvHeads, kvSeqLen, options.HeadDim];
                if (cacheKey is { } pastKey && cacheValue is { } pastValue)
                {
                    PerHead(key.Span, pastKey.Span, kvSeqLen, options.KvHeads, options.HeadDim);
                    PerHead(value.Span, pastValue.Span, kvSeqLen, options.KvHeads, options.HeadDim);
                    OrtValue presentKey = pastKey.ToOrtValue(cacheShape), presentValue = pastValue.ToOrtValue(cacheShape);
                    inputs.AddRange([("past_key", presentKey), ("past_value", presentValue)]);
                    outputs.AddRange([("present_key", presentKey), ("present_value", presentValue)]);
                }
                else
                {
                    outputs.AddRange([
                        ("present_key", OrtValue.CreateTensorValueFromMemory(new float[key.Span.Length], cacheShape)),
                        ("present_value", OrtValue.CreateTensorValueFromMemory(new float[value.Span.Length], cacheShape)),
                    ]);
                }

                return new OrtCall(ContribGroupQueryAttention(options, past: cacheKey is not null), [.. inputs], [.. outputs]);
            });
        }

        return (variants, sessions, notes.Count == 0 ? null : string.Join("; ", notes));
    }

    /// <summary>[T, heads, headDim] (one row per position) into [heads, T, headDim] (one block per head).</summary>
    private static void PerHead(ReadOnlySpan<float> source, Span<float> target, int length, int heads, int headDim)
    {
        for (int t = 0; t < length; t++)
        {
            for (int h = 0; h < heads; h++)
            {
                source.Slice((t * heads + h) * headDim, headDim).CopyTo(target.Slice((h * length + t) * headDim, headDim));
            }
        }
    }

    /// <summary>0 where query i may see key j (j ≤ i + kvSeqLen − seqLen), −∞ elsewhere; [seqLen, kvSeqLen].</summary>
    private static float[] BottomRightCausalMask(int seqLen, int kvSeqLen)
    {
        var mask = new float[seqLen * kvSeqLen];
        for (int i = 0; i < seqLen; i++)
        {
            for (int j = 0; j < kvSeqLen; j++)
            {
                mask[i * kvSeqLen + j] = j <= i + kvSeqLen - seqLen ? 0 : float.NegativeInfinity;
            }
        }

        return mask;
    }

    private static BenchmarkCase MultiHead(string name, Func<Dictionary<string, float[]>, SelfForward> create, IReadOnlyList<ParameterSpec> parameters, int modelDim, int heads, int seqLen, bool causal, float scale)
    {
        var weights = new Dictionary<string, float[]>();
        int seed = 10;
        foreach (var parameter in parameters)
        {
            weights[parameter.Name] = Uniform(seed++, parameter.ElementCount, 1f / MathF.Sqrt(parameter.Shape[^1]));
        }

        var generated = create(weights);
        int headDim = modelDim / heads;
        var input = Uniform(4, seqLen * modelDim);
        var output = new float[input.Length];
        var ortOutput = new float[input.Length];
        var ort = new OrtCall(OnnxAttentionModels.MultiHead(new AttentionOptions(heads, heads, headDim, causal, scale, 0), modelDim, modelDim, cross: false, weights),
            [("X", input, [1, seqLen, modelDim])], ortOutput, [1, seqLen, modelDim]);

        var tensorPrimitives = new TensorPrimitivesAttention(heads, heads, headDim, seqLen, causal, scale);
        var naive = new NaiveAttention(heads, heads, headDim, seqLen, causal, scale);
        float[] q = new float[input.Length], k = new float[input.Length], v = new float[input.Length], attended = new float[input.Length];
        void Baseline(bool vectorized)
        {
            foreach (var (proj, target) in new[] { ("q_proj", q), ("k_proj", k), ("v_proj", v) })
            {
                if (vectorized) TensorPrimitivesAttention.Linear(input, weights[proj + ".weight"], weights[proj + ".bias"], target, seqLen, modelDim, modelDim);
                else NaiveAttention.Linear(input, weights[proj + ".weight"], weights[proj + ".bias"], target, seqLen, modelDim, modelDim);
            }

            if (vectorized) tensorPrimitives.Forward(q, k, v, attended, seqLen, seqLen);
            else naive.Forward(q, k, v, attended, seqLen, seqLen);
            if (vectorized) TensorPrimitivesAttention.Linear(attended, weights["o_proj.weight"], weights["o_proj.bias"], output, seqLen, modelDim, modelDim);
            else NaiveAttention.Linear(attended, weights["o_proj.weight"], weights["o_proj.bias"], output, seqLen, modelDim, modelDim);
        }

        double projections = 4.0 * 2 * seqLen * modelDim * modelDim;
        double bytes = sizeof(float) * (2.0 * input.Length + weights.Values.Sum(w => (double)w.Length));
        return new BenchmarkCase(name, projections + AttentionFlops(heads, headDim, seqLen, seqLen, causal), bytes,
            () => generated(input, output, seqLen), ort.Run, () => Baseline(true), () => Baseline(false), ort, () =>
            {
                generated(input, output, seqLen);
                ort.Run();
                return OutputDifference.Relative(output, ortOutput);
            });
    }

    private static BenchmarkCase Pooling(string name)
    {
        var builder = PoolS5D64.Weights.CreateBuilder();
        foreach (var parameter in PoolS5D64.Parameters)
        {
            builder.Set(parameter.Name, Uniform(20, parameter.ElementCount, 0.1f));
        }

        var layer = new PoolS5D64(builder.Build());
        var input = Uniform(21, 5 * PoolS5D64.InputDim);
        var output = new float[PoolS5D64.OutputDim];
        double bytes = sizeof(float) * (input.Length + output.Length + PoolS5D64.Parameters.Sum(p => (double)p.ElementCount));
        return new BenchmarkCase(name, 2.0 * 5 * 64 * 2 + 2.0 * 64, bytes, () => layer.Forward(input, output, 5), null, null, null);
    }

    /// <summary>QKᵀ and P·V: two multiply-adds per (head, query, visible key, head dimension).</summary>
    internal static double AttentionFlops(int heads, int headDim, int seqLen, int kvSeqLen, bool causal)
    {
        double pairs = 0;
        for (int i = 0; i < seqLen; i++)
        {
            // A causal row before the first visible key (more queries than keys) sees none.
            pairs += causal ? Math.Clamp(i + kvSeqLen - seqLen + 1, 0, kvSeqLen) : kvSeqLen;
        }

        return 4.0 * heads * headDim * pairs;
    }

    internal static float[] Uniform(int seed, int count, float scale = 1f)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (random.NextSingle() * 2 - 1) * scale;
        }

        return values;
    }

    /// <summary>A generated layer's self-attention Forward, bound once so the timed path makes one delegate call.</summary>
    private delegate void SelfForward(ReadOnlySpan<float> input, Span<float> output, int seqLen);

    /// <summary>Weights of a generated layer type from tensors by name.</summary>
    internal static TWeights Build<TWeights>(WeightsBuilder<TWeights> builder, Dictionary<string, float[]> weights)
        where TWeights : LayerWeights
    {
        foreach (var (name, values) in weights)
        {
            builder.Set(name, values);
        }

        return builder.Build();
    }
}
