using AttentionGen.Tests.Numeric;
using AttentionGen.Tests.Reference;

namespace AttentionGen.Tests.Weights;

/// <summary>Weights through generated layers: the parameter list, save/load round trips, and loads that fail cleanly.</summary>
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
        Assert.Equal(["k_proj.weight [32, 24]"], MhaCross.Parameters.Where(p => p.Name == "k_proj.weight").Select(p => p.ToString()));
        Assert.Equal(["score.weight [1, 5]", "score.bias [1]", "output.weight [1, 5]", "output.bias [1]"],
            PoolNarrow.Parameters.Select(p => p.ToString()));
    }

    [Fact]
    public void GetParameter_UnknownName_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => new MhaSelf().GetParameter("q_proj.weights"));
        Assert.Equal("name", e.ParamName);
        Assert.Contains("q_proj.weight", e.Message);
    }

    [Theory]
    [InlineData(SafeTensorsDType.F32, 1e-7)]
    [InlineData(SafeTensorsDType.F16, 1e-3)]
    [InlineData(SafeTensorsDType.BF16, 8e-3)]
    public void RoundTrip_ThroughAFile_GivesTheSameLayer(SafeTensorsDType dtype, double weightTolerance)
    {
        var source = new MhaSelf();
        LayerWeights.Randomize(source, MhaSelf.Parameters, seed: 3);
        var writer = new SafeTensorsWriter();
        foreach (var parameter in MhaSelf.Parameters)
        {
            writer.Add("layers.0." + parameter.Name, source.GetParameter(parameter.Name), [.. parameter.Shape], dtype);
        }

        var loaded = new MhaSelf();
        using (var file = global::AttentionGen.SafeTensors.Load(writer.ToArray()))
        {
            loaded.LoadWeights(file, prefix: "layers.0.");
        }

        foreach (var parameter in MhaSelf.Parameters)
        {
            var expected = source.GetParameter(parameter.Name).ToArray();
            var actual = loaded.GetParameter(parameter.Name).ToArray();
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.True(Math.Abs(expected[i] - actual[i]) <= weightTolerance * Math.Max(1, Math.Abs(expected[i])),
                    $"{parameter.Name}[{i}]: {expected[i]} vs {actual[i]} as {dtype}");
            }
        }
    }

    [Fact]
    public void SaveWeights_ThenLoadWeights_GivesIdenticalOutputs()
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
            using (var file = global::AttentionGen.SafeTensors.Open(path))
            {
                loaded.LoadWeights(file, "pool.");
            }

            var input = TestData.Uniform(1, 10 * PoolWide.InputDim);
            float[] expected = new float[PoolWide.OutputDim], actual = new float[PoolWide.OutputDim];
            source.Forward(input, expected, 10);
            loaded.Forward(input, actual, 10);
            Assert.Equal(expected, actual);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("wrong shape")]
    [InlineData("wrong dtype")]
    public void FailedLoad_LeavesEveryWeightAsItWas(string fault)
    {
        var layer = new MhaSelf();
        LayerWeights.Randomize(layer, MhaSelf.Parameters, seed: 11);
        var before = MhaSelf.Parameters.ToDictionary(p => p.Name, p => layer.GetParameter(p.Name).ToArray());

        // A file with new values for every tensor, whose LAST tensor is broken: a loader that copied as it went would
        // already have overwritten the others by the time it noticed.
        var writer = new SafeTensorsWriter();
        var last = MhaSelf.Parameters[^1];
        foreach (var parameter in MhaSelf.Parameters.Take(MhaSelf.Parameters.Count - 1))
        {
            writer.Add(parameter.Name, TestData.Uniform(99, parameter.ElementCount), [.. parameter.Shape]);
        }

        switch (fault)
        {
            case "wrong shape":
                writer.Add(last.Name, new float[last.ElementCount + 1], [last.ElementCount + 1]);
                break;
            case "wrong dtype":
                writer.AddMetadata("note", "the last tensor is I64, added below by hand");
                break;
        }

        var bytes = fault == "wrong dtype" ? AppendInt64Tensor(writer, last) : writer.ToArray();
        using var file = global::AttentionGen.SafeTensors.Load(bytes);
        var e = Assert.Throws<WeightLoadException>(() => layer.LoadWeights(file));

        Assert.Equal(last.Name, e.TensorName);
        Assert.Contains(last.Name, e.Message);
        foreach (var parameter in MhaSelf.Parameters)
        {
            Assert.Equal(before[parameter.Name], layer.GetParameter(parameter.Name).ToArray());
        }
    }

    [Fact]
    public void WeightsChangedAfterAForward_AreUsedByTheNextForward()
    {
        // Multi-head layers keep a packed copy of their projection matrices; every way of changing the weights must
        // make the next Forward use the new values, not the copy packed for the old ones.
        var layer = new MhaSelf();
        var input = TestData.Uniform(5, 4 * MhaSelf.ModelDim);
        var first = new float[input.Length];
        var afterLoad = new float[input.Length];
        var afterWrite = new float[input.Length];
        LayerWeights.Randomize(layer, MhaSelf.Parameters, seed: 1);
        layer.Forward(input, first, 4);

        var writer = new SafeTensorsWriter();
        var other = new MhaSelf();
        var otherWeights = LayerWeights.Randomize(other, MhaSelf.Parameters, seed: 2);
        other.SaveWeights(writer);
        using (var file = global::AttentionGen.SafeTensors.Load(writer.ToArray()))
        {
            layer.LoadWeights(file);
        }

        layer.Forward(input, afterLoad, 4);
        var expected = AttentionReference.MultiHead(input, input, 4, 4, MhaSelf.ModelDim, MhaSelf.ModelDim, MhaSelf.Heads, MhaSelf.KvHeads,
            MhaSelf.HeadDim, MhaSelf.IsCausal, MhaSelf.Scale, MhaSelf.Softcap, otherWeights);
        TestData.AssertClose(expected, afterLoad, "after LoadWeights");

        layer.OProjWeight.Clear();
        layer.Forward(input, afterWrite, 4);
        var bias = layer.OProjBias.ToArray();
        for (int i = 0; i < afterWrite.Length; i++)
        {
            Assert.Equal(bias[i % MhaSelf.ModelDim], afterWrite[i], 6); // a zero output matrix leaves only its bias
        }
    }

    /// <summary>The writer only writes floats; an I64 tensor needs the header edited by hand.</summary>
    private static byte[] AppendInt64Tensor(SafeTensorsWriter writer, ParameterSpec tensor)
    {
        using var existing = global::AttentionGen.SafeTensors.Load(writer.ToArray());
        var header = new System.Text.StringBuilder("{");
        long offset = 0;
        var data = new MemoryStream();
        foreach (var info in existing.Tensors)
        {
            var values = new float[info.ElementCount];
            existing.CopyTo(info, values);
            header.Append($"\"{info.Name}\":{{\"dtype\":\"F32\",\"shape\":[{string.Join(",", info.Shape)}],\"data_offsets\":[{offset},{offset + info.ByteLength}]}},");
            data.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
            offset += info.ByteLength;
        }

        header.Append($"\"{tensor.Name}\":{{\"dtype\":\"I64\",\"shape\":[{tensor.ElementCount}],\"data_offsets\":[{offset},{offset + 8L * tensor.ElementCount}]}}}}");
        data.Write(new byte[8 * tensor.ElementCount]);
        var headerBytes = System.Text.Encoding.UTF8.GetBytes(header.ToString());
        var file = new byte[8 + headerBytes.Length + data.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)headerBytes.Length);
        headerBytes.CopyTo(file, 8);
        data.ToArray().CopyTo(file, 8 + headerBytes.Length);
        return file;
    }
}
