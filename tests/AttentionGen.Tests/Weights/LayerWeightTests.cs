using System.Runtime.InteropServices;
using AttentionGen.Tests.Numeric;
using AttentionGen.Tests.Reference;
using SafeTensorsFile = AttentionGen.SafeTensors;

namespace AttentionGen.Tests.Weights;

/// <summary>
/// Weights through generated layers: the parameter list, the nested immutable Weights (builder, With, read-back),
/// save/load round trips, prefixes, progress, and loads that fail naming every problem.
/// </summary>
public sealed class LayerWeightTests
{
    [Fact]
    public void Parameters_FollowPyTorchNamesAndShapes()
    {
        Assert.Equal(
            ["q_proj.weight [64, 64]", "q_proj.bias [64]", "k_proj.weight [64, 64]", "k_proj.bias [64]",
             "v_proj.weight [64, 64]", "v_proj.bias [64]", "o_proj.weight [64, 64]", "o_proj.bias [64]"],
            MhaSelf.Parameters.Select(p => p.ToString()));
        Assert.Equal(["q_proj.weight [48, 48]", "k_proj.weight [16, 48]", "v_proj.weight [16, 48]", "o_proj.weight [48, 48]"],
            MhaCausalGqaNoBias.Parameters.Select(p => p.ToString()));
        Assert.Equal(["q_proj.weight [32, 32]", "q_proj.bias [32]", "k_proj.weight [32, 24]", "k_proj.bias [32]",
             "v_proj.weight [32, 24]", "v_proj.bias [32]", "o_proj.weight [32, 32]", "o_proj.bias [32]"],
            MhaCross.Parameters.Select(p => p.ToString()));
        Assert.Equal(["q_proj.weight [80, 16]", "q_proj.bias [80]", "k_proj.weight [80, 16]", "k_proj.bias [80]",
             "v_proj.weight [80, 16]", "v_proj.bias [80]", "o_proj.weight [16, 80]", "o_proj.bias [16]"],
            MhaWideHeads.Parameters.Select(p => p.ToString()));
        Assert.Equal(["score.weight [1, 5]", "score.bias [1]", "output.weight [1, 5]", "output.bias [1]"],
            PoolNarrow.Parameters.Select(p => p.ToString()));
        Assert.Equal(["score.weight [1, 100]", "score.bias [1]", "output.weight [7, 100]", "output.bias [7]"],
            PoolOdd.Parameters.Select(p => p.ToString()));
    }

    [Fact]
    public void Parameters_PackTheProjectionMatricesOnly()
    {
        Assert.Equal(["q_proj.weight", "k_proj.weight", "v_proj.weight", "o_proj.weight"], MhaSelf.Parameters.Where(p => p.IsPacked).Select(p => p.Name));
        Assert.DoesNotContain(PoolOdd.Parameters, p => p.IsPacked);
        Assert.Throws<ArgumentException>(() => new ParameterSpec("bias", 4) { IsPacked = true });
    }

    [Fact]
    public void Builder_EveryTensorSet_ReadsBackExactly_AndTheLayerComputesWithIt()
    {
        var shape = MhaShape.Of("MhaCross");
        var values = TestWeights.RandomValues(MhaCross.Parameters, seed: 3);
        var builder = MhaCross.Weights.CreateBuilder();
        foreach (var (name, tensor) in values)
        {
            Assert.False(builder.IsSet(name));
            Assert.Same(builder, builder.Set(name, tensor));
            Assert.True(builder.IsSet(name));
        }

        var weights = builder.Build();

        foreach (var parameter in MhaCross.Parameters)
        {
            // Packed matrices come back unpacked, exactly: packing only moves floats.
            Assert.Equal(values[parameter.Name], weights.ToArray(parameter.Name));
            var copy = new float[parameter.ElementCount];
            weights.CopyTo(parameter.Name, copy);
            Assert.Equal(values[parameter.Name], copy);
        }

        var layer = new MhaCross(weights);
        var input = TestData.Uniform(4, 8 * MhaCross.ModelDim);
        var context = TestData.Uniform(5, 30 * MhaCross.KvInputDim);
        var actual = new float[input.Length];
        layer.Forward(input, context, actual, 8, 30);
        TestData.AssertClose(shape.Reference(input, context, 8, 30, values), actual, "MhaCross over built weights");
    }

    [Fact]
    public void Builder_WithTensorsUnset_BuildNamesThem()
    {
        var builder = PoolOdd.Weights.CreateBuilder().Set("score.weight", new float[100]).Set("output.bias", new float[7]);

        var e = Assert.Throws<InvalidOperationException>(builder.Build);

        Assert.Contains("2 of 4", e.Message);
        Assert.Contains("score.bias", e.Message);
        Assert.Contains("output.weight", e.Message);
        Assert.DoesNotContain("score.weight", e.Message);
    }

    [Fact]
    public void Builder_BadArguments_ChangeNothing()
    {
        var builder = PoolOdd.Weights.CreateBuilder().Set("output.bias", [1, 2, 3, 4, 5, 6, 7]);

        var wrongLength = Assert.Throws<ArgumentException>(() => builder.Set("output.bias", new float[6]));
        Assert.Equal("values", wrongLength.ParamName);
        Assert.Contains("output.bias", wrongLength.Message);
        Assert.Contains("[7]", wrongLength.Message);
        var unknown = Assert.Throws<ArgumentException>(() => builder.Set("output.biases", new float[7]));
        Assert.Equal("name", unknown.ParamName);
        Assert.Contains("score.weight, score.bias, output.weight, output.bias", unknown.Message);

        var weights = builder.Set("score.weight", new float[100]).Set("score.bias", [0]).Set("output.weight", new float[700]).Build();
        Assert.Equal([1f, 2, 3, 4, 5, 6, 7], weights.ToArray("output.bias"));
    }

    [Fact]
    public void BuiltWeights_NeverChange_WhenTheBuilderGoesOn()
    {
        var builder = MhaSelf.Weights.CreateBuilder();
        foreach (var (name, tensor) in TestWeights.RandomValues(MhaSelf.Parameters, seed: 6))
        {
            builder.Set(name, tensor);
        }

        var first = builder.Build();
        var firstQ = first.ToArray("q_proj.weight");
        var second = builder.Set("q_proj.weight", new float[64 * 64]).Build();

        Assert.Equal(firstQ, first.ToArray("q_proj.weight"));
        Assert.All(second.ToArray("q_proj.weight"), x => Assert.Equal(0f, x));
        Assert.Equal(first.ToArray("k_proj.weight"), second.ToArray("k_proj.weight"));
    }

    [Fact]
    public void With_ReplacesOneTensorInANewObject_AndTheOriginalIsUntouched()
    {
        var shape = MhaShape.Of("MhaSelf");
        var values = TestWeights.RandomValues(MhaSelf.Parameters, seed: 1);
        var original = (MhaSelf.Weights)TestWeights.Build(typeof(MhaSelf), values);
        const int SeqLen = 4;
        var input = TestData.Uniform(5, SeqLen * MhaSelf.ModelDim);
        var before = new float[input.Length];
        var layer = new MhaSelf(original);
        layer.Forward(input, before, SeqLen);

        var kWeight = TestData.Uniform(3, 64 * 64, 0.1f);
        var changed = original.With("k_proj.weight", kWeight);

        Assert.NotSame(original, changed);
        Assert.Equal(values["k_proj.weight"], original.ToArray("k_proj.weight"));
        Assert.Equal(kWeight, changed.ToArray("k_proj.weight"));

        // The instance still runs with the original until it is given the new weights, then uses them at once.
        var actual = new float[input.Length];
        layer.Forward(input, actual, SeqLen);
        Assert.Equal(before, actual);
        layer.CurrentWeights = changed;
        Assert.Same(changed, layer.CurrentWeights);
        layer.Forward(input, actual, SeqLen);
        values["k_proj.weight"] = kWeight;
        TestData.AssertClose(shape.Reference(input, input, SeqLen, SeqLen, values), actual, "after With and CurrentWeights");

        Assert.Equal("value", Assert.Throws<ArgumentNullException>(() => layer.CurrentWeights = null!).ParamName);
        Assert.Equal("weights", Assert.Throws<ArgumentNullException>(() => new MhaSelf(null!)).ParamName);
    }

    [Fact]
    public void ToBuilder_StartsFromTheWeights_AndLeavesThemAsTheyAre()
    {
        var values = TestWeights.RandomValues(PoolOdd.Parameters, seed: 2);
        var original = (PoolOdd.Weights)TestWeights.Build(typeof(PoolOdd), values);

        var changed = original.ToBuilder().Set("output.bias", new float[7]).Build();

        Assert.Equal(values["output.bias"], original.ToArray("output.bias"));
        Assert.All(changed.ToArray("output.bias"), x => Assert.Equal(0f, x));
        Assert.Equal(values["output.weight"], changed.ToArray("output.weight"));
    }

    [Theory]
    [InlineData("q_proj.weights")]
    [InlineData("Q_PROJ.WEIGHT")]
    [InlineData("")]
    [InlineData("q_proj.bias")] // exists on other layers, not on this bias-free one
    public void UnknownNames_Throw_ListingTheParameters(string name)
    {
        var weights = TestWeights.NewLayer<MhaCausalGqaNoBias>().CurrentWeights;
        var e = Assert.Throws<ArgumentException>(() => weights.ToArray(name));
        Assert.Equal("name", e.ParamName);
        Assert.Contains("q_proj.weight", e.Message); // lists what does exist
        Assert.Equal("name", Assert.Throws<ArgumentException>(() => weights.CopyTo(name, new float[48 * 48])).ParamName);
        Assert.Equal("name", Assert.Throws<ArgumentException>(() => weights.With(name, new float[48 * 48])).ParamName);
        Assert.Equal("name", Assert.Throws<ArgumentException>(() => MhaCausalGqaNoBias.Weights.CreateBuilder().Set(name, new float[48 * 48])).ParamName);
        Assert.Equal("destination", Assert.Throws<ArgumentException>(() => weights.CopyTo("q_proj.weight", new float[48 * 48 - 1])).ParamName);
    }

    [Fact]
    public void SaveThenLoad_F32_GivesIdenticalOutputs()
    {
        var source = TestWeights.NewLayer<MhaCross>(seed: 3);
        var writer = new SafeTensorsWriter();
        source.CurrentWeights.Save(writer);

        MhaCross loaded;
        using (var file = SafeTensorsFile.Load(writer.ToArray()))
        {
            Assert.Equal(MhaCross.Parameters.Select(p => p.Name), file.Tensors.Select(t => t.Name));
            Assert.All(file.Tensors, t => Assert.Equal(SafeTensorsDType.F32, t.DType));
            loaded = new MhaCross(MhaCross.Weights.Load(file));
        }

        var input = TestData.Uniform(4, 8 * MhaCross.ModelDim);
        var context = TestData.Uniform(5, 30 * MhaCross.KvInputDim);
        float[] expected = new float[input.Length], actual = new float[input.Length];
        source.Forward(input, context, expected, 8, 30);
        loaded.Forward(input, context, actual, 8, 30);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Save_IntoAWriterThatHasOneOfTheNames_AddsNothing()
    {
        // A clash on the third name used to leave the first two in the writer, so a retry clashed on them.
        var weights = TestWeights.NewLayer<MhaCross>(seed: 3).CurrentWeights;
        var writer = new SafeTensorsWriter();
        string taken = MhaCross.Parameters[2].Name;
        writer.Add(taken, new float[1], [1]);
        var e = Assert.Throws<ArgumentException>(() => weights.Save(writer));
        Assert.Contains($"'{taken}'", e.Message);
        using (var file = SafeTensorsFile.Load(writer.ToArray()))
        {
            Assert.Equal([taken], file.Tensors.Select(t => t.Name));
        }

        weights.Save(writer, "other.");
        using (var file = SafeTensorsFile.Load(writer.ToArray()))
        {
            Assert.Equal(1 + MhaCross.Parameters.Count, file.Tensors.Count);
        }
    }

    [Fact]
    public void SaveThenLoad_ThroughAFileOnDisk_WithProgress()
    {
        var source = TestWeights.NewLayer<PoolWide>(seed: 9);
        var writer = new SafeTensorsWriter();
        source.CurrentWeights.Save(writer, "pool.");
        var path = Path.Combine(Path.GetTempPath(), $"attentiongen-{Guid.NewGuid():N}.safetensors");
        writer.Save(path);
        try
        {
            var reports = new List<WeightLoadProgress>();
            PoolWide loaded;
            using (var file = SafeTensorsFile.Open(path))
            {
                loaded = new PoolWide(PoolWide.Weights.Load(file, "pool.", new SynchronousProgress(reports.Add)));
            }

            var input = TestData.Uniform(1, 10 * PoolWide.InputDim);
            float[] expected = new float[PoolWide.OutputDim], actual = new float[PoolWide.OutputDim];
            source.Forward(input, expected, 10);
            loaded.Forward(input, actual, 10); // the file is closed: the weights were copied
            Assert.Equal(expected, actual);

            // Once before the first tensor, once after each; bytes only grow, and end at the file's tensor bytes.
            Assert.Equal([0, 1, 2, 3, 4], reports.Select(r => r.TensorsLoaded));
            Assert.All(reports, r => Assert.Equal(4, r.TensorCount));
            Assert.Equal(4L * PoolWide.Parameters.Sum(p => p.ElementCount), reports[^1].TotalBytes);
            Assert.Equal(reports[^1].TotalBytes, reports[^1].BytesLoaded);
            Assert.Equal(1.0, reports[^1].Fraction);
            Assert.True(reports.Zip(reports.Skip(1)).All(pair => pair.First.BytesLoaded < pair.Second.BytesLoaded));
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>
    /// F16 and BF16 files: the loaded weights are exactly the dtype-rounded values (rounded here independently of the
    /// writer), the layer computes with them to the usual tolerance, and the outputs differ from the F32 layer's only
    /// by the dtype's precision (F16 keeps 11 significant bits, BF16 8).
    /// </summary>
    [Theory]
    [InlineData(SafeTensorsDType.F32, 0.0)]
    [InlineData(SafeTensorsDType.F16, 2e-3)]
    [InlineData(SafeTensorsDType.BF16, 2e-2)]
    public void RoundTrip_AsF32F16AndBF16_GivesTheSameOutputs_WithinTheDtypesPrecision(SafeTensorsDType dtype, double outputTolerance)
    {
        var shape = MhaShape.Of("MhaScaledSoftcapCausal");
        var source = TestWeights.NewLayer<MhaScaledSoftcapCausal>(seed: 21);
        var saved = new SafeTensorsWriter();
        source.CurrentWeights.Save(saved, "layers.0.attn.");
        var file = Reencode(saved.ToArray(), dtype);

        MhaScaledSoftcapCausal.Weights weights;
        using (var tensors = SafeTensorsFile.Load(file))
        {
            Assert.All(tensors.Tensors, t => Assert.Equal(dtype, t.DType));
            weights = MhaScaledSoftcapCausal.Weights.Load(tensors, "layers.0.attn.");
        }

        var loaded = new MhaScaledSoftcapCausal(weights);
        var rounded = new Dictionary<string, float[]>();
        foreach (var parameter in shape.Parameters)
        {
            rounded[parameter.Name] = source.CurrentWeights.ToArray(parameter.Name).Select(x => RoundTo(dtype, x)).ToArray();
            Assert.Equal(rounded[parameter.Name], weights.ToArray(parameter.Name));
        }

        const int SeqLen = 12;
        var input = TestData.Uniform(22, SeqLen * shape.ModelDim);
        float[] original = new float[input.Length], actual = new float[input.Length];
        source.Forward(input, original, SeqLen);
        loaded.Forward(input, actual, SeqLen);

        TestData.AssertClose(shape.Reference(input, input, SeqLen, SeqLen, rounded), actual, $"{dtype} layer vs reference with {dtype} weights");
        if (dtype == SafeTensorsDType.F32)
        {
            Assert.Equal(original, actual);
        }
        else
        {
            double error = TestData.AssertClose(original, actual, $"{dtype} layer vs F32 layer", outputTolerance);
            Assert.True(error > 0, "rounded weights should change the outputs a little");
        }
    }

    [Fact]
    public void FileWithMoreLayersThanDeclared_IsRefused_NamingAFurtherLayer()
    {
        // DecoderLlamaTiny declares 2 layers; its file gets a third (a copy of layer 1 as "model.layers.2.…"), as when
        // a 12-layer checkpoint meets a 6-layer declaration. Reading only the first two would be silently wrong.
        var declared = (DecoderLlamaTiny.Weights)TestWeights.Build(typeof(DecoderLlamaTiny), TestWeights.RandomValues(DecoderLlamaTiny.Parameters, seed: 5));
        var twoLayers = new SafeTensorsWriter();
        declared.Save(twoLayers);
        var threeLayers = new SafeTensorsWriter();
        declared.Save(threeLayers);
        var layerOne = DecoderLlamaTiny.Parameters.Where(p => p.Name.StartsWith("model.layers.1.", StringComparison.Ordinal)).ToList();
        foreach (var parameter in layerOne)
        {
            threeLayers.Add(parameter.Name.Replace("model.layers.1.", "model.layers.2.", StringComparison.Ordinal), declared.ToArray(parameter.Name), [.. parameter.Shape]);
        }

        using (var file = SafeTensorsFile.Load(threeLayers.ToArray()))
        {
            var e = Assert.Throws<WeightLoadException>(() => DecoderLlamaTiny.Weights.Load(file));
            Assert.StartsWith("model.layers.2.", e.TensorName, StringComparison.Ordinal);
            Assert.Empty(e.ExpectedShape);
            Assert.Contains($"{layerOne.Count} tensors", e.Message);
            Assert.Contains("numbered up to 2", e.Message);
            Assert.Contains("more layers than the declaration", e.Message);
        }

        // Tensors no parameter reads in any layer are not a sign of a larger model: a rotary buffer some Llama
        // checkpoints carry, a pooler, a head under another name. The file loads, and the weights are the declared ones.
        twoLayers.Add("model.layers.0.self_attn.rotary_emb.inv_freq", TestData.Uniform(1, 4), [4]);
        twoLayers.Add("model.layers.1.self_attn.rotary_emb.inv_freq", TestData.Uniform(1, 4), [4]);
        twoLayers.Add("pooler.dense.bias", TestData.Uniform(2, 32), [32]);
        using (var file = SafeTensorsFile.Load(twoLayers.ToArray()))
        {
            var loaded = DecoderLlamaTiny.Weights.Load(file);
            Assert.All(DecoderLlamaTiny.Parameters, p => Assert.Equal(declared.ToArray(p.Name), loaded.ToArray(p.Name)));
        }
    }

    [Fact]
    public void FileWithPartsTheDeclarationLacks_IsRefused_ButBuffersInsideLayersAreNot()
    {
        var declared = (DecoderLlamaTiny.Weights)TestWeights.Build(typeof(DecoderLlamaTiny), TestWeights.RandomValues(DecoderLlamaTiny.Parameters, seed: 8));
        byte[] With(params (string Name, int[] Shape)[] extra)
        {
            var writer = new SafeTensorsWriter();
            declared.Save(writer);
            foreach (var (name, shape) in extra)
            {
                writer.Add(name, TestData.Uniform(3, shape.Aggregate(1, (a, b) => a * b)), shape);
            }

            return writer.ToArray();
        }

        // Qwen3-style per-head norms, and Qwen2-style Q/K/V biases on a declaration without Bias: every tensor the
        // declaration asks for is there, and the model would run without the rest.
        using (var file = SafeTensorsFile.Load(With(
            ("model.layers.0.self_attn.q_norm.weight", [DecoderLlamaTiny.HeadDim]),
            ("model.layers.1.self_attn.q_norm.weight", [DecoderLlamaTiny.HeadDim]),
            ("model.layers.0.self_attn.q_proj.bias", [DecoderLlamaTiny.QueryWidth]))))
        {
            var e = Assert.Throws<WeightLoadException>(() => DecoderLlamaTiny.Weights.Load(file));
            Assert.Equal("model.layers.0.self_attn.q_norm.weight", e.TensorName);
            Assert.Contains("3 tensors the declaration does not read", e.Message);
            Assert.Contains("model.layers.#.self_attn.q_norm.weight, model.layers.#.self_attn.q_proj.bias", e.Message);
        }

        // Buffers some exporters keep inside layers (rotary frequencies, GPT-2's causal mask) and tensors outside the
        // layers (a pooler) are not parts of the model's computation here: the file loads.
        using (var file = SafeTensorsFile.Load(With(
            ("model.layers.0.self_attn.rotary_emb.inv_freq", [DecoderLlamaTiny.HeadDim / 2]),
            ("model.layers.1.attn.bias", [1, 1, 4, 4]),
            ("model.layers.1.attn.masked_bias", [1]),
            ("pooler.dense.weight", [4, 4]))))
        {
            var loaded = DecoderLlamaTiny.Weights.Load(file);
            Assert.All(DecoderLlamaTiny.Parameters, p => Assert.Equal(declared.ToArray(p.Name), loaded.ToArray(p.Name)));
        }
    }

    [Fact]
    public void LoneLayerWithoutBias_RefusesAFileWithBiases_UnderAnyPrefix()
    {
        // Outside numbered layers the surplus shows beside a tensor the declaration reads: q_proj.bias next to
        // q_proj.weight. Only "layers.0.attn." was refused before; under "" or "attn." the biases were dropped unread.
        var declared = TestWeights.NewLayer<MhaCausalGqaNoBias>(seed: 9).CurrentWeights;
        foreach (string prefix in new[] { "", "attn.", "layers.0.attn." })
        {
            var writer = new SafeTensorsWriter();
            declared.Save(writer, prefix);
            writer.Add(prefix + "q_proj.bias", TestData.Uniform(1, MhaCausalGqaNoBias.ModelDim), [MhaCausalGqaNoBias.ModelDim]);
            writer.Add("head.weight", TestData.Uniform(2, 4), [2, 2]); // beside no tensor the layer reads: not its part
            using var file = SafeTensorsFile.Load(writer.ToArray());
            var e = Assert.Throws<WeightLoadException>(() => MhaCausalGqaNoBias.Weights.Load(file, prefix));
            Assert.Equal(prefix + "q_proj.bias", e.TensorName);
            Assert.Contains("1 tensors the declaration does not read", e.Message);
            Assert.Contains("such as Bias", e.Message);
        }

        // The same file without the bias loads.
        var clean = new SafeTensorsWriter();
        declared.Save(clean, "attn.");
        clean.Add("attn.head.weight", TestData.Uniform(2, 4), [2, 2]);
        using (var file = SafeTensorsFile.Load(clean.ToArray()))
        {
            var loaded = MhaCausalGqaNoBias.Weights.Load(file, "attn.");
            Assert.All(MhaCausalGqaNoBias.Parameters, p => Assert.Equal(declared.ToArray(p.Name), loaded.ToArray(p.Name)));
        }
    }

    [Fact]
    public void TiedDecoder_RefusesAFileWhoseHeadIsItsOwn_AndAcceptsAnIdenticalCopy()
    {
        // DecoderLayerNormTied uses its embedding table as its LM head. A checkpoint may carry lm_head.weight anyway: an
        // identical copy is fine; a different one means the file's model is untied, and loading it would be silently wrong.
        var declared = (DecoderLayerNormTied.Weights)TestWeights.Build(typeof(DecoderLayerNormTied), TestWeights.RandomValues(DecoderLayerNormTied.Parameters, seed: 6));
        var table = declared.ToArray("model.embed_tokens.weight");
        int[] shape = [DecoderLayerNormTied.Vocab, DecoderLayerNormTied.ModelDim];

        byte[] WithHead(float[] head, int[] headShape)
        {
            var writer = new SafeTensorsWriter();
            declared.Save(writer, "m.");
            writer.Add("m.lm_head.weight", head, headShape);
            return writer.ToArray();
        }

        using (var file = SafeTensorsFile.Load(WithHead(table, shape)))
        {
            Assert.Equal(table, DecoderLayerNormTied.Weights.Load(file, "m.").ToArray("model.embed_tokens.weight"));
        }

        var untied = (float[])table.Clone();
        untied[123] += 1f / 1024;
        using (var file = SafeTensorsFile.Load(WithHead(untied, shape)))
        {
            var e = Assert.Throws<WeightLoadException>(() => DecoderLayerNormTied.Weights.Load(file, "m."));
            Assert.Equal("m.lm_head.weight", e.TensorName);
            Assert.Contains("element 123", e.Message);
            Assert.Contains("'m.model.embed_tokens.weight'", e.Message);
            Assert.Contains("TiedEmbeddings = false", e.Message);
        }

        using (var file = SafeTensorsFile.Load(WithHead(TestData.Uniform(7, 2 * DecoderLayerNormTied.ModelDim), [2, DecoderLayerNormTied.ModelDim])))
        {
            var e = Assert.Throws<WeightLoadException>(() => DecoderLayerNormTied.Weights.Load(file, "m."));
            Assert.Equal("m.lm_head.weight", e.TensorName);
            Assert.Equal(shape, e.ExpectedShape);
            Assert.Contains("TiedEmbeddings = false", e.Message);
        }
    }

    [Fact]
    public void Qwen2Checkpoint_LoadsItsQueryKeyValueBiases_AndALlamaFileWithoutThem_IsRefusedNamingEach()
    {
        // DecoderQwen2Tiny: Llama's names, plus biases on q_proj, k_proj and v_proj only, and a tied head.
        var declared = (DecoderQwen2Tiny.Weights)TestWeights.Build(typeof(DecoderQwen2Tiny), TestWeights.RandomValues(DecoderQwen2Tiny.Parameters, seed: 9));
        string[] biases = [.. DecoderQwen2Tiny.Parameters.Select(p => p.Name).Where(n => n.EndsWith(".bias", StringComparison.Ordinal))];
        Assert.Equal(
            ["model.layers.0.self_attn.q_proj.bias", "model.layers.0.self_attn.k_proj.bias", "model.layers.0.self_attn.v_proj.bias",
             "model.layers.1.self_attn.q_proj.bias", "model.layers.1.self_attn.k_proj.bias", "model.layers.1.self_attn.v_proj.bias"],
            biases);

        var writer = new SafeTensorsWriter();
        declared.Save(writer);
        using (var file = SafeTensorsFile.Load(writer.ToArray()))
        {
            var loaded = DecoderQwen2Tiny.Weights.Load(file);
            Assert.All(DecoderQwen2Tiny.Parameters, p => Assert.Equal(declared.ToArray(p.Name), loaded.ToArray(p.Name)));
        }

        // A Llama checkpoint of the same shape has no biases: loading it into a Qwen2 declaration names all six missing.
        var llama = new SafeTensorsWriter();
        foreach (var parameter in DecoderQwen2Tiny.Parameters.Where(p => !biases.Contains(p.Name)))
        {
            llama.Add(parameter.Name, declared.ToArray(parameter.Name), [.. parameter.Shape]);
        }

        using (var file = SafeTensorsFile.Load(llama.ToArray()))
        {
            var e = Assert.Throws<WeightLoadException>(() => DecoderQwen2Tiny.Weights.Load(file));
            Assert.Equal(biases, e.Problems.Select(p => p.TensorName));
        }
    }

    [Fact]
    public void TiedBfloat16Table_IsComparedWithItsCopyAsTheFileHoldsThem_NotAsRounded()
    {
        // DecoderQwen2TinyBfloat16 holds its tied table rounded to bfloat16. A float file's lm_head.weight copy is compared
        // with the file's own table, bit for bit, so an exact copy loads and a head of its own is still refused.
        var values = TestWeights.RandomValues(DecoderQwen2TinyBfloat16.Parameters, seed: 10);
        var table = values["model.embed_tokens.weight"];
        int[] shape = [DecoderQwen2TinyBfloat16.Vocab, DecoderQwen2TinyBfloat16.ModelDim];
        byte[] WithHead(float[] head)
        {
            var writer = new SafeTensorsWriter();
            foreach (var parameter in DecoderQwen2TinyBfloat16.Parameters)
            {
                writer.Add(parameter.Name, values[parameter.Name], [.. parameter.Shape]);
            }

            writer.Add("lm_head.weight", head, shape);
            return writer.ToArray();
        }

        using (var file = SafeTensorsFile.Load(WithHead(table)))
        {
            var loaded = DecoderQwen2TinyBfloat16.Weights.Load(file);
            Assert.Equal(Array.ConvertAll(table, TestData.RoundToBfloat16), loaded.ToArray("model.embed_tokens.weight"));
        }

        var untied = (float[])table.Clone();
        untied[5] = BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(untied[5]) ^ 1); // the same once rounded
        using (var file = SafeTensorsFile.Load(WithHead(untied)))
        {
            var e = Assert.Throws<WeightLoadException>(() => DecoderQwen2TinyBfloat16.Weights.Load(file));
            Assert.Equal("lm_head.weight", e.TensorName);
            Assert.Contains("element 5", e.Message);
        }
    }

    [Fact]
    public void Prefixes_SeveralLayersInOneFile()
    {
        var first = TestWeights.NewLayer<MhaSelf>(seed: 30).CurrentWeights;
        var second = TestWeights.NewLayer<MhaSelf>(seed: 40).CurrentWeights;
        var writer = new SafeTensorsWriter();
        first.Save(writer, "encoder.layers.0.self_attn.");
        second.Save(writer, "encoder.layers.1.self_attn.");
        using var file = SafeTensorsFile.Load(writer.ToArray());
        Assert.Contains(file.Tensors, t => t.Name == "encoder.layers.1.self_attn.o_proj.bias");

        var loadedSecond = MhaSelf.Weights.Load(file, "encoder.layers.1.self_attn."); // other layers' tensors are simply ignored
        foreach (var parameter in MhaSelf.Parameters)
        {
            Assert.Equal(second.ToArray(parameter.Name), loadedSecond.ToArray(parameter.Name));
        }

        // Without the prefix every tensor is missing, and the message names all eight.
        var noPrefix = Assert.Throws<WeightLoadException>(() => MhaSelf.Weights.Load(file));
        Assert.Equal("q_proj.weight", noPrefix.TensorName);
        Assert.Equal(MhaSelf.Parameters.Select(p => p.Name), noPrefix.Problems.Select(p => p.TensorName));
        Assert.All(MhaSelf.Parameters, p => Assert.Contains($"'{p.Name}'", noPrefix.Message));
        var wrongPrefix = Assert.Throws<WeightLoadException>(() => MhaSelf.Weights.Load(file, "encoder.layers.2.self_attn."));
        Assert.Equal("encoder.layers.2.self_attn.q_proj.weight", wrongPrefix.TensorName);
        Assert.Contains("encoder.layers.2.self_attn.q_proj.weight", wrongPrefix.Message);
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("wrong shape")]
    [InlineData("transposed")]
    [InlineData("wrong dtype")]
    public void FailedLoad_NamesTheTensor_AndWhatWasExpected(string fault)
    {
        // MhaCross: k_proj.weight is [32, 24], so a transposed [24, 32] tensor has the right element count but not the shape.
        var broken = fault == "transposed" ? MhaCross.Parameters.Single(p => p.Name == "k_proj.weight") : MhaCross.Parameters[^1];
        var order = MhaCross.Parameters.Where(p => p != broken).Append(broken).ToList();
        var writer = new SafeTensorsWriter();
        foreach (var parameter in order.Take(order.Count - 1))
        {
            writer.Add(parameter.Name, TestData.Uniform(99, parameter.ElementCount), [.. parameter.Shape]);
        }

        byte[] bytes;
        int[]? foundShape;
        switch (fault)
        {
            case "wrong shape":
                foundShape = [broken.ElementCount + 1];
                writer.Add(broken.Name, new float[broken.ElementCount + 1], foundShape);
                bytes = writer.ToArray();
                break;
            case "transposed":
                foundShape = [broken.Shape[1], broken.Shape[0]];
                writer.Add(broken.Name, new float[broken.ElementCount], foundShape);
                bytes = writer.ToArray();
                break;
            case "wrong dtype":
                foundShape = [broken.ElementCount];
                bytes = AppendInt64Tensor(writer, broken.Name, broken.ElementCount);
                break;
            default:
                foundShape = null;
                bytes = writer.ToArray();
                break;
        }

        using var file = SafeTensorsFile.Load(bytes);
        var e = Assert.Throws<WeightLoadException>(() => MhaCross.Weights.Load(file));

        Assert.Equal(broken.Name, e.TensorName);
        Assert.Contains(broken.Name, e.Message);
        Assert.Equal(broken.Shape, e.ExpectedShape);
        Assert.Equal(foundShape?.Select(d => (long)d), e.ActualShape);
        Assert.Same(e, Assert.Single(e.Problems));
    }

    [Fact]
    public void FailedLoad_SeveralProblems_AreAllNamed()
    {
        var writer = new SafeTensorsWriter()
            .Add("score.weight", TestData.Uniform(1, 100), [1, 100])
            .Add("output.weight", TestData.Uniform(2, 700), [100, 7]) // transposed
            .Add("output.bias", TestData.Uniform(3, 7), [1, 7]); // [1, 7] instead of [7]; score.bias missing
        using var file = SafeTensorsFile.Load(writer.ToArray());

        var e = Assert.Throws<WeightLoadException>(() => PoolOdd.Weights.Load(file));

        Assert.StartsWith("3 of 4 tensors cannot be loaded", e.Message);
        Assert.Equal(["score.bias", "output.weight", "output.bias"], e.Problems.Select(p => p.TensorName));
        Assert.Contains("[100, 7]", e.Message);
        Assert.Contains("[1, 7]", e.Message);
        Assert.Equal("score.bias", e.TensorName);
    }

    [Fact]
    public void WeightsOfOneLayerType_CannotBeGivenToAnother()
    {
        // Each layer nests its own Weights type, so the mistake is a compile error; here, the runtime's view of it.
        var constructor = Assert.Single(typeof(MhaSelf).GetConstructors());
        Assert.Equal(typeof(MhaSelf.Weights), Assert.Single(constructor.GetParameters()).ParameterType);
        Assert.NotEqual(typeof(MhaSelf.Weights), typeof(MhaCross.Weights));
        Assert.True(typeof(MhaSelf.Weights).IsSealed);
        Assert.Empty(typeof(MhaSelf.Weights).GetConstructors()); // made only by Load, a builder or With
    }

    private static float RoundTo(SafeTensorsDType dtype, float value) => dtype switch
    {
        SafeTensorsDType.F16 => (float)(Half)value,
        SafeTensorsDType.BF16 => TestData.RoundToBfloat16(value),
        _ => value,
    };

    /// <summary>The same tensors and names, stored as <paramref name="dtype"/>.</summary>
    private static byte[] Reencode(byte[] f32File, SafeTensorsDType dtype)
    {
        using var source = SafeTensorsFile.Load(f32File);
        var writer = new SafeTensorsWriter();
        foreach (var tensor in source.Tensors)
        {
            var values = new float[tensor.ElementCount];
            source.CopyTo(tensor, values);
            writer.Add(tensor.Name, values, tensor.Shape.Select(d => (int)d).ToArray(), dtype);
        }

        return writer.ToArray();
    }

    /// <summary>The writer only writes floats; an I64 tensor needs the header written by hand.</summary>
    private static byte[] AppendInt64Tensor(SafeTensorsWriter writer, string name, int count)
    {
        using var existing = SafeTensorsFile.Load(writer.ToArray());
        var header = new System.Text.StringBuilder("{");
        long offset = 0;
        var data = new MemoryStream();
        foreach (var info in existing.Tensors)
        {
            var values = new float[info.ElementCount];
            existing.CopyTo(info, values);
            long length = 4L * info.ElementCount;
            header.Append($"\"{info.Name}\":{{\"dtype\":\"F32\",\"shape\":[{string.Join(",", info.Shape)}],\"data_offsets\":[{offset},{offset + length}]}},");
            data.Write(MemoryMarshal.AsBytes(values.AsSpan()));
            offset += length;
        }

        header.Append($"\"{name}\":{{\"dtype\":\"I64\",\"shape\":[{count}],\"data_offsets\":[{offset},{offset + 8L * count}]}}}}");
        data.Write(new byte[8 * count]);
        var headerBytes = System.Text.Encoding.UTF8.GetBytes(header.ToString());
        var file = new byte[8 + headerBytes.Length + data.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)headerBytes.Length);
        headerBytes.CopyTo(file, 8);
        data.ToArray().CopyTo(file, 8 + headerBytes.Length);
        return file;
    }
}
