using System.Reflection;
using AttentionGen.Tests.Reference;
using AttentionGen.Tests.Weights;
using Xunit.Abstractions;

namespace AttentionGen.Tests.Numeric;

/// <summary>
/// Generated decoders against the float64 reference, and the cache against recomputation: a prefill plus decode steps
/// gives the logits a prefill of the whole sequence gives, chunked or not, and a rewind then re-decode repeats them
/// exactly. Tolerance as for the blocks (1e-5 relative); the decoders here come in under 6e-7.
/// </summary>
[Trait("Category", "Numeric")]
public sealed class DecoderNumericTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-5;

    public static TheoryData<string> Decoders =>
        [nameof(DecoderLlamaTiny), nameof(DecoderSiluPartialRope), nameof(DecoderLayerNormTied), nameof(DecoderQwen2Tiny), nameof(DecoderLlama3Tiny), nameof(DecoderQwen3Tiny), nameof(DecoderGemma2Tiny), nameof(DecoderGemma3Tiny), nameof(DecoderMistralWindowTiny), nameof(DecoderSmolLm3Tiny), nameof(DecoderGraniteTiny), nameof(DecoderOlmo2Tiny), nameof(DecoderGpt2Tiny)];

    /// <summary>The float decoders, and the bfloat16 ones, whose cache must agree with recomputation just the same.</summary>
    public static TheoryData<string> AllDecoders => [.. Decoders, nameof(DecoderLlamaTinyBfloat16), nameof(DecoderQwen2TinyBfloat16)];

    /// <summary>Each bfloat16 decoder beside its float twin: one with its own LM head, one whose tied table is the head.</summary>
    public static TheoryData<string, string> Bfloat16Twins => new()
    {
        { nameof(DecoderLlamaTinyBfloat16), nameof(DecoderLlamaTiny) },
        { nameof(DecoderQwen2TinyBfloat16), nameof(DecoderQwen2Tiny) },
    };

    [Theory]
    [MemberData(nameof(Decoders))]
    public void Prefill_ThenDecodeSteps_MatchTheReferenceAtEveryPosition(string name)
    {
        var (type, options, vocab, layers, tied, capacity) = Decoder(name);
        var values = TransformerNumericTests.RandomWeights(type, seed: 11);
        var decoder = TestWeights.Create<IDecoder>(type, TestWeights.Build(type, values));
        var sequence = TransformerNumericTests.Ids(capacity, vocab, seed: 12);
        var expected = TransformerReference.DecoderLogits(sequence, vocab, layers, options, values, tied);
        var logits = new float[vocab];
        int prompt = Math.Min(11, capacity - 4); // longer than DecoderLlamaTiny's prefill chunk of 8

        decoder.Prefill(sequence.AsSpan(0, prompt), logits);
        Assert.Equal(prompt, decoder.Position);
        double worst = TestData.AssertClose(expected.AsSpan((prompt - 1) * vocab, vocab).ToArray(), logits, $"{name} prefill of {prompt}", Tolerance);
        for (int position = prompt; position < capacity; position++)
        {
            decoder.DecodeStep(sequence[position], logits);
            worst = Math.Max(worst, TestData.AssertClose(expected.AsSpan(position * vocab, vocab).ToArray(), logits, $"{name} step at {position}", Tolerance));
        }

        Assert.Equal(capacity, decoder.Position);
        output.WriteLine($"{name}: {capacity - prompt} steps after a {prompt}-token prefill, max error {worst:E2}");
    }

    [Theory]
    [MemberData(nameof(AllDecoders))]
    public void DecodeEqualsRecompute_AndRewindThenRedecodeRepeatsItExactly(string name)
    {
        var (type, _, vocab, _, _, capacity) = Decoder(name);
        var weights = TestWeights.Build(type, TransformerNumericTests.RandomWeights(type, seed: 21));
        var decoder = TestWeights.Create<IDecoder>(type, weights);
        var recompute = TestWeights.Create<IDecoder>(type, weights);
        var sequence = TransformerNumericTests.Ids(capacity, vocab, seed: 22);
        var stepLogits = new float[capacity][];
        var logits = new float[vocab];

        decoder.Prefill(sequence.AsSpan(0, 3), logits);
        for (int position = 3; position < capacity; position++)
        {
            decoder.DecodeStep(sequence[position], logits);
            stepLogits[position] = (float[])logits.Clone();

            recompute.Reset();
            recompute.Prefill(sequence.AsSpan(0, position + 1), logits);
            TestData.AssertClose(stepLogits[position], logits, $"{name}: step {position} vs a prefill of {position + 1}", Tolerance);
        }

        int back = capacity / 2;
        decoder.Rewind(back);
        Assert.Equal(back, decoder.Position);
        for (int position = back; position < capacity; position++)
        {
            decoder.DecodeStep(sequence[position], logits);
            Assert.Equal(stepLogits[position], logits);
        }
    }

    [Theory]
    [MemberData(nameof(Bfloat16Twins))]
    public void Bfloat16Weights_AreTheReferenceOverRoundedMatrices_AndCloseToFloat32(string name, string floatName)
    {
        var (type, options, vocab, layers, tied, capacity) = Decoder(name);
        var floatType = Decoder(floatName).Type;
        var values = TransformerNumericTests.RandomWeights(floatType, seed: 31);
        var weights = TestWeights.Build(type, values);
        var bf16 = TestWeights.Create<IDecoder>(type, weights);
        var f32 = TestWeights.Create<IDecoder>(floatType, TestWeights.Build(floatType, values));

        // Exactly the matrices are rounded (a tied table among them: it is the LM head); a separate table and the norms stay float.
        var rounded = new Dictionary<string, float[]>(values);
        foreach (var parameter in Declared.Parameters(type))
        {
            Assert.Equal(parameter.IsPacked, parameter.StoresBfloat16);
            Assert.Equal(parameter.IsPacked, parameter.Shape.Count == 2 && (parameter.Name != "model.embed_tokens.weight" || tied));
            if (parameter.StoresBfloat16)
            {
                rounded[parameter.Name] = Array.ConvertAll(values[parameter.Name], TestData.RoundToBfloat16);
                Assert.Equal(rounded[parameter.Name], weights.ToArray(parameter.Name));
            }
        }

        var sequence = TransformerNumericTests.Ids(capacity, vocab, seed: 32);
        var expected = TransformerReference.DecoderLogits(sequence, vocab, layers, options, rounded, tied);
        var floatReference = TransformerReference.DecoderLogits(sequence, vocab, layers, options, values, tied);
        float[] logits = new float[vocab], floatLogits = new float[vocab];
        bf16.Prefill(sequence.AsSpan(0, 5), logits);
        f32.Prefill(sequence.AsSpan(0, 5), floatLogits);
        double worst = 0, againstFloat = 0;
        for (int position = 5; position < capacity; position++)
        {
            bf16.DecodeStep(sequence[position], logits);
            f32.DecodeStep(sequence[position], floatLogits);
            worst = Math.Max(worst, TestData.AssertClose(expected.AsSpan(position * vocab, vocab).ToArray(), logits, $"{name} step at {position}", Tolerance));
            againstFloat = Math.Max(againstFloat, TestData.MaxError(floatReference.AsSpan(position * vocab, vocab).ToArray(), logits));
        }

        Assert.True(bf16.Position == capacity && f32.Position == capacity);
        Assert.InRange(againstFloat, 1e-5, 5e-2); // bfloat16 keeps 8 significant bits: visibly different, still close
        output.WriteLine($"{name}: max error {worst:E2} against the reference over rounded matrices; {againstFloat:E2} against the float32 reference");
    }

    [Fact]
    public void Gpt2Checkpoint_FusedConv1DAttention_LoadsSplitAndTransposed_AndMatchesTheReference()
    {
        var (_, options, vocab, layers, tied, capacity) = Decoder(nameof(DecoderGpt2Tiny));
        var ours = TransformerNumericTests.RandomWeights(typeof(DecoderGpt2Tiny), seed: 41);
        foreach (var gain in ours.Keys.Where(n => n.EndsWith("ln_1.weight", StringComparison.Ordinal) || n.EndsWith("ln_2.weight", StringComparison.Ordinal) || n == "ln_f.weight").ToList())
        {
            ours[gain] = Array.ConvertAll(TestData.Uniform(gain.Length, ours[gain].Length, 0.2f), x => 1 + x);
        }

        // Written the way GPT-2 checkpoints hold it: every linear layer [in, out], Q, K and V side by side in c_attn.
        var writer = new SafeTensorsWriter();
        const int D = 32, F = 128;
        foreach (var (name, values) in ours.Where(p => !p.Key.Contains("_proj", StringComparison.Ordinal)))
        {
            writer.Add(name, values, [.. DecoderGpt2Tiny.Parameters.Single(p => p.Name == name).Shape]);
        }

        for (int layer = 0; layer < layers; layer++)
        {
            string h = $"h.{layer}.";
            writer.Add(h + "attn.c_attn.weight", Conv1D([ours[h + "attn.q_proj.weight"], ours[h + "attn.k_proj.weight"], ours[h + "attn.v_proj.weight"]], D, D), [D, 3 * D]);
            writer.Add(h + "attn.c_attn.bias", [.. ours[h + "attn.q_proj.bias"], .. ours[h + "attn.k_proj.bias"], .. ours[h + "attn.v_proj.bias"]], [3 * D]);
            writer.Add(h + "attn.c_proj.weight", Conv1D([ours[h + "attn.o_proj.weight"]], D, D), [D, D]);
            writer.Add(h + "attn.c_proj.bias", ours[h + "attn.o_proj.bias"], [D]);
            writer.Add(h + "mlp.c_fc.weight", Conv1D([ours[h + "mlp.up_proj.weight"]], F, D), [D, F]);
            writer.Add(h + "mlp.c_fc.bias", ours[h + "mlp.up_proj.bias"], [F]);
            writer.Add(h + "mlp.c_proj.weight", Conv1D([ours[h + "mlp.down_proj.weight"]], D, F), [F, D]);
            writer.Add(h + "mlp.c_proj.bias", ours[h + "mlp.down_proj.bias"], [D]);
        }

        DecoderGpt2Tiny.Weights weights;
        using (var file = SafeTensors.Load(writer.ToArray()))
        {
            Assert.DoesNotContain(file.Tensors, t => t.Name.Contains("q_proj", StringComparison.Ordinal));
            weights = DecoderGpt2Tiny.Weights.Load(file);
        }

        foreach (var parameter in DecoderGpt2Tiny.Parameters)
        {
            Assert.Equal(ours[parameter.Name], weights.ToArray(parameter.Name)); // split and transposed exactly
        }

        var decoder = new DecoderGpt2Tiny(weights);
        var sequence = TransformerNumericTests.Ids(capacity, vocab, seed: 42);
        var expected = TransformerReference.DecoderLogits(sequence, vocab, layers, options, ours, tied);
        var logits = new float[vocab];
        decoder.Prefill(sequence.AsSpan(0, 10), logits);
        double worst = TestData.AssertClose(expected.AsSpan(9 * vocab, vocab).ToArray(), logits, "GPT-2 prefill of 10", Tolerance);
        for (int position = 10; position < capacity; position++)
        {
            decoder.DecodeStep(sequence[position], logits);
            worst = Math.Max(worst, TestData.AssertClose(expected.AsSpan(position * vocab, vocab).ToArray(), logits, $"GPT-2 step at {position}", Tolerance));
        }

        // What the layer saves (under its own names) loads back the same.
        var saved = new SafeTensorsWriter();
        weights.Save(saved, "transformer.");
        using var reloaded = SafeTensors.Load(saved.ToArray());
        var again = DecoderGpt2Tiny.Weights.Load(reloaded, "transformer.");
        Assert.All(DecoderGpt2Tiny.Parameters, p => Assert.Equal(ours[p.Name], again.ToArray(p.Name)));
        output.WriteLine($"GPT-2 layout: max error {worst:E2} over a prefill and {capacity - 10} steps");
    }

    [Fact]
    public void Phi3Checkpoint_FusedQkvAndGateUp_LoadAsTheirParts_FloatAndBfloat16()
    {
        var (type, _, vocab, _, _, capacity) = Decoder(nameof(DecoderLlamaTiny));
        var ours = TransformerNumericTests.RandomWeights(type, seed: 43);
        var file = Phi3Layout(ours, layers: 2);
        var reports = new List<WeightLoadProgress>();
        DecoderLlamaTiny.Weights weights;
        DecoderLlamaTinyBfloat16.Weights bfloat16Weights;
        using (var fused = SafeTensors.Load(file))
        {
            Assert.DoesNotContain(fused.Tensors, t => t.Name.EndsWith(".q_proj.weight", StringComparison.Ordinal) || t.Name.EndsWith(".gate_proj.weight", StringComparison.Ordinal));
            weights = DecoderLlamaTiny.Weights.Load(fused, "", new SynchronousProgress(reports.Add));
            bfloat16Weights = DecoderLlamaTinyBfloat16.Weights.Load(fused);

            // Progress counts each fused tensor once: its parts' shares add up to it.
            long fileBytes = fused.Tensors.Sum(t => t.ByteLength);
            Assert.All(reports, r => Assert.Equal(fileBytes, r.TotalBytes));
            Assert.Equal(fileBytes, reports[^1].BytesLoaded);
            Assert.Equal(DecoderLlamaTiny.Parameters.Count, reports[^1].TensorsLoaded);
        }

        foreach (var parameter in DecoderLlamaTiny.Parameters)
        {
            Assert.Equal(ours[parameter.Name], weights.ToArray(parameter.Name)); // each part sliced out exactly
        }

        // Loaded from the fused file or from the parts, the same weights: the same bits out, float and bfloat16.
        var fromParts = TestWeights.Build(typeof(DecoderLlamaTinyBfloat16), ours);
        Assert.All(DecoderLlamaTinyBfloat16.Parameters, p => Assert.Equal(fromParts.ToArray(p.Name), bfloat16Weights.ToArray(p.Name)));
        var decoder = new DecoderLlamaTiny(weights);
        var reference = TestWeights.Create<IDecoder>(type, TestWeights.Build(type, ours));
        var sequence = TransformerNumericTests.Ids(capacity, vocab, seed: 44);
        float[] logits = new float[vocab], expected = new float[vocab];
        decoder.Prefill(sequence.AsSpan(0, 9), logits);
        reference.Prefill(sequence.AsSpan(0, 9), expected);
        Assert.Equal(expected, logits);
        for (int position = 9; position < 14; position++)
        {
            decoder.DecodeStep(sequence[position], logits);
            reference.DecodeStep(sequence[position], expected);
            Assert.Equal(expected, logits);
        }
    }

    [Fact]
    public void Phi3Checkpoint_MisshapedOrMissingFusedTensor_IsNamedWithTheShapeItMustHave()
    {
        var ours = TransformerNumericTests.RandomWeights(typeof(DecoderLlamaTiny), seed: 45);
        var file = Phi3Layout(ours, layers: 2, gateUpRows: 95);
        using var fused = SafeTensors.Load(file);
        var e = Assert.Throws<WeightLoadException>(() => DecoderLlamaTiny.Weights.Load(fused));

        // Both layers' gate and up projections look for it; each layer's tensor is named, with the shape [2 * FfnDim, ModelDim].
        Assert.Contains("model.layers.0.mlp.gate_up_proj.weight", e.Message, StringComparison.Ordinal);
        Assert.Contains("model.layers.1.mlp.gate_up_proj.weight", e.Message, StringComparison.Ordinal);
        Assert.Contains("[96, 32]", e.Message, StringComparison.Ordinal);
        Assert.Contains("[95, 32]", e.Message, StringComparison.Ordinal);

        // With neither the parts nor the fused tensor, the part is named, and where a fused checkpoint would hold it.
        var writer = new SafeTensorsWriter();
        foreach (var tensor in fused.Tensors.Where(t => t.Name != "model.layers.1.self_attn.qkv_proj.weight"))
        {
            var values = new float[tensor.ElementCount];
            fused.CopyTo(tensor, values);
            writer.Add(tensor.Name, values, [.. tensor.Shape.Select(d => (int)d)]);
        }

        using var withoutOne = SafeTensors.Load(writer.ToArray());
        var missing = Assert.Throws<WeightLoadException>(() => DecoderLlamaTiny.Weights.Load(withoutOne)).Problems
            .Where(p => p.TensorName.StartsWith("model.layers.1.self_attn.", StringComparison.Ordinal)).ToList();
        Assert.Equal(["model.layers.1.self_attn.q_proj.weight", "model.layers.1.self_attn.k_proj.weight", "model.layers.1.self_attn.v_proj.weight"], missing.Select(p => p.TensorName));
        Assert.All(missing, p => Assert.Contains("Nor is 'model.layers.1.self_attn.qkv_proj.weight' [64, 32]", p.Message, StringComparison.Ordinal));
    }

    /// <summary>
    /// A Llama decoder's weights as Phi-3 checkpoints hold them: Q, K and V one after another in <c>self_attn.qkv_proj</c>,
    /// the gate then the up projection in <c>mlp.gate_up_proj</c>, both [out, in]; the rest under their own names.
    /// </summary>
    private static byte[] Phi3Layout(Dictionary<string, float[]> ours, int layers, int? gateUpRows = null)
    {
        const int ModelDim = 32, QueryWidth = 32, KvWidth = 16, FfnDim = 48;
        var writer = new SafeTensorsWriter();
        foreach (var parameter in DecoderLlamaTiny.Parameters.Where(p => !p.Name.Contains("_proj.", StringComparison.Ordinal) || p.Name.Contains("o_proj", StringComparison.Ordinal) || p.Name.Contains("down_proj", StringComparison.Ordinal)))
        {
            writer.Add(parameter.Name, ours[parameter.Name], [.. parameter.Shape]);
        }

        for (int layer = 0; layer < layers; layer++)
        {
            string l = $"model.layers.{layer}.";
            writer.Add(l + "self_attn.qkv_proj.weight", [.. ours[l + "self_attn.q_proj.weight"], .. ours[l + "self_attn.k_proj.weight"], .. ours[l + "self_attn.v_proj.weight"]],
                [QueryWidth + 2 * KvWidth, ModelDim]);
            float[] gateUp = [.. ours[l + "mlp.gate_proj.weight"], .. ours[l + "mlp.up_proj.weight"]];
            int rows = gateUpRows ?? 2 * FfnDim;
            writer.Add(l + "mlp.gate_up_proj.weight", gateUp.AsSpan(0, rows * ModelDim).ToArray(), [rows, ModelDim]);
        }

        return writer.ToArray();
    }

    /// <summary>[out, in] matrices side by side as Conv1D holds them: [in, Σ out].</summary>
    private static float[] Conv1D(float[][] matrices, int outDim, int inDim)
    {
        int total = outDim * matrices.Length;
        var fused = new float[inDim * total];
        for (int m = 0; m < matrices.Length; m++)
        {
            for (int o = 0; o < outDim; o++)
            {
                for (int i = 0; i < inDim; i++)
                {
                    fused[i * total + m * outDim + o] = matrices[m][o * inDim + i];
                }
            }
        }

        return fused;
    }

    [Fact]
    public void BadInput_IsRejected_AndTheCacheIsUntouched()
    {
        var decoder = TestWeights.NewLayer<DecoderLlamaTiny>();
        var logits = new float[DecoderLlamaTiny.Vocab];
        decoder.Prefill([1, 2, 3], logits);
        var before = (float[])logits.Clone();

        Assert.Equal("token", Assert.Throws<ArgumentOutOfRangeException>(() => decoder.DecodeStep(64, logits)).ParamName);
        Assert.Equal("token", Assert.Throws<ArgumentOutOfRangeException>(() => decoder.DecodeStep(-1, logits)).ParamName);
        Assert.Equal("prompt", Assert.Throws<ArgumentOutOfRangeException>(() => decoder.Prefill([], logits)).ParamName);
        Assert.Equal("prompt", Assert.Throws<ArgumentOutOfRangeException>(() => decoder.Prefill([1, 99], logits)).ParamName);
        var full = Assert.Throws<ArgumentOutOfRangeException>(() => decoder.Prefill(new int[38], logits));
        Assert.Contains("37 fit", full.Message);
        Assert.Equal("logits", Assert.Throws<ArgumentException>(() => decoder.DecodeStep(1, new float[63])).ParamName);
        Assert.Equal("position", Assert.Throws<ArgumentOutOfRangeException>(() => decoder.Rewind(4)).ParamName);
        Assert.Equal("position", Assert.Throws<ArgumentOutOfRangeException>(() => decoder.Rewind(-1)).ParamName);
        Assert.Equal(3, decoder.Position);

        // Nothing above touched the cache: rewinding one step and re-decoding the last token gives the same logits.
        decoder.Rewind(2);
        decoder.DecodeStep(3, logits);
        TestData.AssertClose(before, logits, "the last logits after refused calls", Tolerance);

        decoder.Prefill(new int[37], logits); // exactly full
        Assert.Equal(40, decoder.Position);
        var noRoom = Assert.Throws<InvalidOperationException>(() => decoder.DecodeStep(1, logits));
        Assert.Contains("The cache is full: all 40 positions", noRoom.Message);
        Assert.Equal("token", Assert.Throws<ArgumentOutOfRangeException>(() => decoder.DecodeStep(-1, logits)).ParamName);
        Assert.Equal(40, decoder.Position);
        decoder.Reset();
        Assert.Equal(0, decoder.Position);
    }

    [Theory]
    [InlineData(nameof(DecoderLlamaTiny))]         // chunks of 8
    [InlineData(nameof(DecoderMistralWindowTiny))] // a window of 6 inside chunks of 8
    [InlineData(nameof(DecoderGemma3Tiny))]        // a window of 5 on two layers of three, one chunk of 24
    [InlineData(nameof(DecoderGpt2Tiny))]          // learned positions, chunks of 8
    [InlineData(nameof(DecoderSmolLm3Tiny))]       // an unrotated layer, chunks of 8
    public void PrefillInTwo_AtEverySplit_IsOnePrefill_AndSoAreSteps(string name)
    {
        // A prefill continues from Position. Lengths around a chunk (MaxBatchTokens ± 1) and the whole cache, split
        // everywhere, so chunk and window boundaries fall at every offset of the second call.
        var (type, _, vocab, _, _, capacity) = Decoder(name);
        var weights = TestWeights.Build(type, TransformerNumericTests.RandomWeights(type, seed: 51));
        var pieces = TestWeights.Create<IDecoder>(type, weights);
        var whole = TestWeights.Create<IDecoder>(type, weights);
        int chunk = (int)Declared.Constant(type, "MaxBatchTokens")!;
        var sequence = TransformerNumericTests.Ids(capacity, vocab, seed: 52);
        var expected = new float[vocab];
        var logits = new float[vocab];
        double worst = 0;
        foreach (int total in new[] { chunk - 1, chunk, chunk + 1, 2 * chunk + 3, capacity - 1, capacity }.Where(t => t >= 2 && t <= capacity).Distinct())
        {
            whole.Reset();
            whole.Prefill(sequence.AsSpan(0, total), expected);
            for (int split = 1; split < total; split++)
            {
                pieces.Reset();
                pieces.Prefill(sequence.AsSpan(0, split), logits);
                pieces.Prefill(sequence.AsSpan(split, total - split), logits);
                Assert.Equal(total, pieces.Position);
                worst = Math.Max(worst, TestData.AssertClose(expected, logits, $"{name}: {split} + {total - split} vs {total}", Tolerance));
            }

            pieces.Rewind(1);
            for (int position = 1; position < total; position++)
            {
                pieces.DecodeStep(sequence[position], logits);
            }

            worst = Math.Max(worst, TestData.AssertClose(expected, logits, $"{name}: 1 then {total - 1} steps vs {total}", Tolerance));
        }

        output.WriteLine($"{name}: max difference from one prefill {worst:E2}");
    }

    [Fact]
    public void OutOfVocabularyId_PastTheFirstChunk_IsRefusedBeforeAnyChunkRuns()
    {
        var weights = TestWeights.Build(typeof(DecoderLlamaTiny), TransformerNumericTests.RandomWeights(typeof(DecoderLlamaTiny), seed: 53));
        var decoder = new DecoderLlamaTiny((DecoderLlamaTiny.Weights)weights);
        var sequence = TransformerNumericTests.Ids(DecoderLlamaTiny.MaxSeqLen, DecoderLlamaTiny.Vocab, seed: 54);
        var logits = new float[DecoderLlamaTiny.Vocab];
        var expected = new float[DecoderLlamaTiny.Vocab];
        decoder.Prefill(sequence.AsSpan(0, 2), logits);

        foreach (int bad in new[] { DecoderLlamaTiny.Vocab, -1 })
        {
            var prompt = sequence[2..30];
            prompt[20] = bad; // position 22: the third chunk of 8 of this prompt
            var refused = Assert.Throws<ArgumentOutOfRangeException>(() => decoder.Prefill(prompt, logits));
            Assert.Equal("prompt", refused.ParamName);
            Assert.Contains($"prompt[20] is {bad}", refused.Message);
            Assert.Equal(2, decoder.Position);
        }

        // The cache is a fresh instance's fed the same calls, bit for bit: no chunk of the refused prompts reached it.
        decoder.Prefill(sequence.AsSpan(2, 20), logits);
        var fresh = new DecoderLlamaTiny((DecoderLlamaTiny.Weights)weights);
        fresh.Prefill(sequence.AsSpan(0, 2), expected);
        fresh.Prefill(sequence.AsSpan(2, 20), expected);
        Assert.Equal(expected, logits);
    }

    [Fact]
    public void SwappingWeights_WithPositionsCached_IsRefused_AndAfterResetRunsOnTheNewWeightsAlone()
    {
        // The cache's keys and values were computed with the weights they replace: steps after a swap would attend to them
        // as if the new weights had made them, matching neither model.
        var type = typeof(DecoderLlamaTiny);
        var original = (DecoderLlamaTiny.Weights)TestWeights.Build(type, TransformerNumericTests.RandomWeights(type, seed: 41));
        var other = (DecoderLlamaTiny.Weights)TestWeights.Build(type, TransformerNumericTests.RandomWeights(type, seed: 42));
        var decoder = new DecoderLlamaTiny(original);
        var sequence = TransformerNumericTests.Ids(12, DecoderLlamaTiny.Vocab, seed: 43);
        var logits = new float[DecoderLlamaTiny.Vocab];
        var expected = new float[DecoderLlamaTiny.Vocab];
        decoder.Prefill(sequence.AsSpan(0, 10), logits);

        var refused = Assert.Throws<InvalidOperationException>(() => decoder.CurrentWeights = other);
        Assert.Contains("10 positions", refused.Message);
        Assert.Same(original, decoder.CurrentWeights);
        Assert.Equal(10, decoder.Position);
        decoder.DecodeStep(sequence[10], logits);
        new DecoderLlamaTiny(original).Prefill(sequence.AsSpan(0, 11), expected);
        TestData.AssertClose(expected, logits, "a step on the weights the cache was made with", Tolerance);

        decoder.Reset();
        decoder.CurrentWeights = other;
        decoder.Prefill(sequence.AsSpan(0, 11), logits);
        new DecoderLlamaTiny(other).Prefill(sequence.AsSpan(0, 11), expected);
        Assert.Equal(expected, logits);
    }

    private static (Type Type, BlockOptions Options, int Vocab, int Layers, bool Tied, int Capacity) Decoder(string name)
    {
        var type = Declared.Type(name);
        var a = type.GetCustomAttribute<TransformerDecoderAttribute>()!;
        int headDim = a.HeadDim > 0 ? a.HeadDim : a.ModelDim / a.Heads;
        int ropeDim = a.Positions == PositionKind.Learned ? 0 : a.RopeDim > 0 ? a.RopeDim : headDim;
        var options = new BlockOptions(a.ModelDim, a.Heads, a.KvHeads > 0 ? a.KvHeads : a.Heads, headDim, a.FfnDim, Causal: true,
            Declared.ScaleFor(a.Scale, headDim), a.Softcap, PreNorm: true, a.Activation, a.NormEpsilon, a.Norm, ropeDim, a.RopeTheta, a.WeightNames,
            RopeScalingReference.Of(a.RopeScaling, a.RopeScalingFactor, a.RopeLowFrequencyFactor, a.RopeHighFrequencyFactor, a.RopeOriginalMaxPositions),
            a.SandwichNorm, a.ScaleEmbeddings, a.FinalLogitSoftcap, a.SlidingWindow, a.SlidingWindowPattern, a.LocalRopeTheta, a.NoRopeInterval,
            a.EmbeddingMultiplier, a.ResidualMultiplier, a.LogitsScaling, a.PostSublayerNorm, a.QueryKeyNormAcrossHeads);
        return (type, options, a.Vocab, a.Layers, a.TiedEmbeddings, a.MaxSeqLen);
    }
}
