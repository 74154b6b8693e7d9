using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using AttentionGen.Tests.Numeric;
using AttentionGen.Tests.Reference;
using SafeTensorsFile = AttentionGen.SafeTensors;

namespace AttentionGen.Tests.Weights;

/// <summary>Weights through generated layers: the parameter list, the span views, save/load round trips, prefixes, and loads that fail cleanly.</summary>
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
    public void SpanProperties_AreTheSameMemoryAsGetParameter()
    {
        var mha = new MhaSelf();
        AssertSame(mha, "q_proj.weight", mha.QProjWeight);
        AssertSame(mha, "q_proj.bias", mha.QProjBias);
        AssertSame(mha, "k_proj.weight", mha.KProjWeight);
        AssertSame(mha, "k_proj.bias", mha.KProjBias);
        AssertSame(mha, "v_proj.weight", mha.VProjWeight);
        AssertSame(mha, "v_proj.bias", mha.VProjBias);
        AssertSame(mha, "o_proj.weight", mha.OProjWeight);
        AssertSame(mha, "o_proj.bias", mha.OProjBias);

        var pool = new PoolOdd();
        AssertSame(pool, "score.weight", pool.ScoreWeight);
        AssertSame(pool, "score.bias", pool.ScoreBias);
        AssertSame(pool, "output.weight", pool.OutputWeight);
        AssertSame(pool, "output.bias", pool.OutputBias);

        // Writing through a property is what the layer computes with.
        pool.ScoreWeight.Clear();
        pool.ScoreBias.Clear();
        pool.OutputWeight.Clear();
        pool.OutputBias.Fill(2.5f);
        var output = new float[PoolOdd.OutputDim];
        var alpha = new float[4];
        pool.Forward(TestData.Uniform(1, 4 * PoolOdd.InputDim), output, alpha, 4);
        Assert.All(output, x => Assert.Equal(2.5f, x));
        Assert.All(alpha, x => Assert.Equal(0.25f, x, 6)); // equal logits, equal weights

        static void AssertSame(IWeighted layer, string name, Span<float> property)
        {
            var parameter = layer.GetParameter(name);
            Assert.True(Unsafe.AreSame(ref MemoryMarshal.GetReference(parameter), ref MemoryMarshal.GetReference(property)), name);
            Assert.Equal(parameter.Length, property.Length);
        }
    }

    [Fact]
    public void EveryParameter_HasItsSpecsLength()
    {
        foreach (var (layer, parameters) in new (IWeighted, IReadOnlyList<ParameterSpec>)[]
                 { (new MhaSelf(), MhaSelf.Parameters), (new MhaCross(), MhaCross.Parameters), (new MhaCausalGqaNoBias(), MhaCausalGqaNoBias.Parameters), (new PoolLong(), PoolLong.Parameters) })
        {
            Assert.All(parameters, p => Assert.Equal(p.ElementCount, layer.GetParameter(p.Name).Length));
        }
    }

    [Theory]
    [InlineData("q_proj.weights")]
    [InlineData("Q_PROJ.WEIGHT")]
    [InlineData("")]
    [InlineData("q_proj.bias")] // exists on other layers, not on this bias-free one
    public void GetParameter_UnknownName_Throws(string name)
    {
        var e = Assert.Throws<ArgumentException>(() => new MhaCausalGqaNoBias().GetParameter(name));
        Assert.Equal("name", e.ParamName);
        Assert.Contains("q_proj.weight", e.Message); // lists what does exist
        Assert.Equal("name", Assert.Throws<ArgumentException>(() => new PoolWide().GetParameter(name)).ParamName);
    }

    [Fact]
    public void SaveThenLoad_F32_GivesIdenticalOutputs()
    {
        var source = new MhaCross();
        LayerWeights.Randomize(source, MhaCross.Parameters, seed: 3);
        var writer = new SafeTensorsWriter();
        source.SaveWeights(writer);

        var loaded = new MhaCross();
        using (var file = SafeTensorsFile.Load(writer.ToArray()))
        {
            Assert.Equal(MhaCross.Parameters.Select(p => p.Name), file.Tensors.Select(t => t.Name));
            Assert.All(file.Tensors, t => Assert.Equal(SafeTensorsDType.F32, t.DType));
            loaded.LoadWeights(file);
        }

        var input = TestData.Uniform(4, 8 * MhaCross.ModelDim);
        var context = TestData.Uniform(5, 30 * MhaCross.KvInputDim);
        float[] expected = new float[input.Length], actual = new float[input.Length];
        source.Forward(input, context, expected, 8, 30);
        loaded.Forward(input, context, actual, 8, 30);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void SaveThenLoad_ThroughAFileOnDisk()
    {
        var source = new PoolWide();
        LayerWeights.Randomize(source, PoolWide.Parameters, seed: 9);
        var writer = new SafeTensorsWriter();
        source.SaveWeights(writer, "pool.");
        var path = Path.Combine(Path.GetTempPath(), $"attentiongen-{Guid.NewGuid():N}.safetensors");
        writer.Save(path);
        try
        {
            var loaded = new PoolWide();
            using (var file = SafeTensorsFile.Open(path))
            {
                loaded.LoadWeights(file, "pool.");
            }

            var input = TestData.Uniform(1, 10 * PoolWide.InputDim);
            float[] expected = new float[PoolWide.OutputDim], actual = new float[PoolWide.OutputDim];
            source.Forward(input, expected, 10);
            loaded.Forward(input, actual, 10); // the file is closed: the weights were copied
            Assert.Equal(expected, actual);
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
        var source = new MhaScaledSoftcapCausal();
        LayerWeights.Randomize(source, shape.Parameters, seed: 21);
        var saved = new SafeTensorsWriter();
        source.SaveWeights(saved, "layers.0.attn.");
        var file = Reencode(saved.ToArray(), dtype);

        var loaded = new MhaScaledSoftcapCausal();
        using (var tensors = SafeTensorsFile.Load(file))
        {
            Assert.All(tensors.Tensors, t => Assert.Equal(dtype, t.DType));
            loaded.LoadWeights(tensors, "layers.0.attn.");
        }

        var rounded = new Dictionary<string, float[]>();
        foreach (var parameter in shape.Parameters)
        {
            rounded[parameter.Name] = source.GetParameter(parameter.Name).ToArray().Select(x => RoundTo(dtype, x)).ToArray();
            Assert.Equal(rounded[parameter.Name], loaded.GetParameter(parameter.Name).ToArray());
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
    public void Prefixes_SeveralLayersInOneFile()
    {
        var first = new MhaSelf();
        var second = new MhaSelf();
        LayerWeights.Randomize(first, MhaSelf.Parameters, seed: 30);
        LayerWeights.Randomize(second, MhaSelf.Parameters, seed: 40);
        var writer = new SafeTensorsWriter();
        first.SaveWeights(writer, "encoder.layers.0.self_attn.");
        second.SaveWeights(writer, "encoder.layers.1.self_attn.");
        using var file = SafeTensorsFile.Load(writer.ToArray());
        Assert.Contains(file.Tensors, t => t.Name == "encoder.layers.1.self_attn.o_proj.bias");

        var loadedSecond = new MhaSelf();
        loadedSecond.LoadWeights(file, "encoder.layers.1.self_attn."); // other layers' tensors are simply ignored
        foreach (var parameter in MhaSelf.Parameters)
        {
            Assert.Equal(second.GetParameter(parameter.Name).ToArray(), loadedSecond.GetParameter(parameter.Name).ToArray());
        }

        var noPrefix = Assert.Throws<WeightLoadException>(() => new MhaSelf().LoadWeights(file));
        Assert.Equal("q_proj.weight", noPrefix.TensorName);
        var wrongPrefix = Assert.Throws<WeightLoadException>(() => new MhaSelf().LoadWeights(file, "encoder.layers.2.self_attn."));
        Assert.Equal("encoder.layers.2.self_attn.q_proj.weight", wrongPrefix.TensorName);
        Assert.Contains("encoder.layers.2.self_attn.q_proj.weight", wrongPrefix.Message);
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("wrong shape")]
    [InlineData("transposed")]
    [InlineData("wrong dtype")]
    public void FailedLoad_LeavesEveryWeightAsItWas(string fault)
    {
        // MhaCross: k_proj.weight is [32, 24], so a transposed [24, 32] tensor has the right element count but not the shape.
        var layer = new MhaCross();
        LayerWeights.Randomize(layer, MhaCross.Parameters, seed: 11);
        var before = MhaCross.Parameters.ToDictionary(p => p.Name, p => layer.GetParameter(p.Name).ToArray());

        // A file with new values for every tensor whose LAST tensor is broken: a loader that copied as it went would
        // already have overwritten the others by the time it noticed.
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
        if (fault != "missing")
        {
            Assert.Equal(broken.Name, file.Tensors[^1].Name); // last in the file, after every good tensor
        }

        var e = Assert.Throws<WeightLoadException>(() => layer.LoadWeights(file));

        Assert.Equal(broken.Name, e.TensorName);
        Assert.Contains(broken.Name, e.Message);
        Assert.Equal(broken.Shape, e.ExpectedShape);
        Assert.Equal(foundShape?.Select(d => (long)d), e.ActualShape);
        foreach (var parameter in MhaCross.Parameters)
        {
            Assert.Equal(before[parameter.Name], layer.GetParameter(parameter.Name).ToArray());
        }
    }

    [Fact]
    public void FailedLoad_Pooling_LeavesEveryWeightAsItWas()
    {
        var layer = new PoolOdd();
        LayerWeights.Randomize(layer, PoolOdd.Parameters, seed: 12);
        var before = PoolOdd.Parameters.ToDictionary(p => p.Name, p => layer.GetParameter(p.Name).ToArray());
        var writer = new SafeTensorsWriter()
            .Add("score.weight", TestData.Uniform(1, 100), [1, 100])
            .Add("score.bias", [3f], [1])
            .Add("output.weight", TestData.Uniform(2, 700), [7, 100])
            .Add("output.bias", TestData.Uniform(3, 7), [1, 7]); // [1, 7] instead of [7]
        using var file = SafeTensorsFile.Load(writer.ToArray());

        var e = Assert.Throws<WeightLoadException>(() => layer.LoadWeights(file));

        Assert.Equal("output.bias", e.TensorName);
        Assert.All(PoolOdd.Parameters, p => Assert.Equal(before[p.Name], layer.GetParameter(p.Name).ToArray()));
    }

    [Fact]
    public void WeightsChangedAfterAForward_AreUsedByTheNextForward()
    {
        // Multi-head layers keep a packed copy of their projection matrices; every way of changing the weights
        // (LoadWeights, GetParameter, a span property) must make the next Forward use the new values, not the old copy.
        var shape = MhaShape.Of("MhaSelf");
        var layer = new MhaSelf();
        const int SeqLen = 4;
        var input = TestData.Uniform(5, SeqLen * MhaSelf.ModelDim);
        var actual = new float[input.Length];
        LayerWeights.Randomize(layer, MhaSelf.Parameters, seed: 1);
        layer.Forward(input, actual, SeqLen);

        var other = new MhaSelf();
        var otherWeights = LayerWeights.Randomize(other, MhaSelf.Parameters, seed: 2);
        var writer = new SafeTensorsWriter();
        other.SaveWeights(writer);
        using (var file = SafeTensorsFile.Load(writer.ToArray()))
        {
            layer.LoadWeights(file);
        }

        layer.Forward(input, actual, SeqLen);
        TestData.AssertClose(shape.Reference(input, input, SeqLen, SeqLen, otherWeights), actual, "after LoadWeights");

        var kWeight = TestData.Uniform(3, MhaSelf.Parameters[2].ElementCount, 0.1f);
        kWeight.CopyTo(layer.GetParameter("k_proj.weight"));
        otherWeights["k_proj.weight"] = kWeight;
        layer.Forward(input, actual, SeqLen);
        TestData.AssertClose(shape.Reference(input, input, SeqLen, SeqLen, otherWeights), actual, "after GetParameter");

        layer.OProjWeight.Clear();
        layer.Forward(input, actual, SeqLen);
        var bias = layer.OProjBias.ToArray();
        for (int i = 0; i < actual.Length; i++)
        {
            Assert.Equal(bias[i % MhaSelf.ModelDim], actual[i], 6); // a zero output matrix leaves only its bias
        }
    }

    private static float RoundTo(SafeTensorsDType dtype, float value) => dtype switch
    {
        SafeTensorsDType.F16 => (float)(Half)value,
        SafeTensorsDType.BF16 => RoundToBFloat16(value),
        _ => value,
    };

    /// <summary>Round to nearest, ties to even, on the upper 16 bits (the values here are finite).</summary>
    private static float RoundToBFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        uint lower = bits & 0xFFFF, upper = bits & 0xFFFF0000;
        if (lower > 0x8000 || (lower == 0x8000 && (upper & 0x10000) != 0))
        {
            upper += 0x10000;
        }

        return BitConverter.UInt32BitsToSingle(upper);
    }

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
