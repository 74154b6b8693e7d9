namespace AttentionGen.Tests.SafeTensors;

public sealed class SafeTensorsRoundTripTests
{
    [Theory]
    [InlineData(SafeTensorsDType.F32, 0)]
    [InlineData(SafeTensorsDType.F16, 1.0 / 2048)]
    [InlineData(SafeTensorsDType.BF16, 1.0 / 256)]
    public void FloatDTypes_RoundTripWithinTheirPrecision(SafeTensorsDType dtype, double relative)
    {
        var values = Reference.TestData.Uniform(1, 60, scale: 100f);
        var bytes = new SafeTensorsWriter().Add("x", values, [3, 4, 5], dtype).ToArray();

        using var file = global::AttentionGen.SafeTensors.Load(bytes);
        var tensor = Assert.Single(file.Tensors);
        Assert.Equal(dtype, tensor.DType);
        Assert.Equal([3L, 4L, 5L], tensor.Shape);
        var read = new float[60];
        file.CopyTo(tensor, read);
        for (int i = 0; i < values.Length; i++)
        {
            Assert.True(Math.Abs(read[i] - values[i]) <= relative * Math.Abs(values[i]), $"{dtype} [{i}]: {values[i]} read back as {read[i]}");
        }
    }

    [Fact]
    public void Shapes_ScalarAndZeroSize_AndMetadata_AndOrder()
    {
        var bytes = new SafeTensorsWriter()
            .Add("scalar", [42f], [])
            .Add("empty", [], [0, 3])
            .Add("vector", [1f, 2f], [2])
            .AddMetadata("model", "test")
            .ToArray();

        using var file = global::AttentionGen.SafeTensors.Load(bytes);
        Assert.Equal(["scalar", "empty", "vector"], file.Tensors.Select(t => t.Name));
        Assert.Empty(file.Tensors[0].Shape);
        Assert.Equal(1, file.Tensors[0].ElementCount);
        Assert.Equal(0, file.Tensors[1].ElementCount);
        Assert.Equal("test", file.Metadata["model"]);
        var scalar = new float[1];
        file.CopyTo(file.Tensors[0], scalar);
        Assert.Equal(42f, scalar[0]);
    }

    [Fact]
    public void OpenFromDisk()
    {
        var path = Path.GetTempFileName();
        try
        {
            new SafeTensorsWriter().Add("w", [1f, 2f, 3f], [3]).Save(path);
            using var file = global::AttentionGen.SafeTensors.Open(path);
            Assert.True(file.TryGetTensor("w", out var tensor));
            Assert.Equal(3, tensor.ElementCount);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Writer_RejectsBadInput()
    {
        var writer = new SafeTensorsWriter().Add("x", [1f], [1]);
        Assert.Equal("name", Assert.Throws<ArgumentException>(() => writer.Add("x", [1f], [1])).ParamName);
        Assert.Equal("values", Assert.Throws<ArgumentException>(() => writer.Add("y", [1f, 2f], [3])).ParamName);
        Assert.Equal("dtype", Assert.Throws<ArgumentException>(() => writer.Add("z", [1f], [1], SafeTensorsDType.I64)).ParamName);
    }

    [Fact]
    public void Require_ReportsMissingWrongShapeAndUnsupportedDType()
    {
        var bytes = SafeTensorsFiles.Raw(
            """{"enc.q_proj.weight":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"ids":{"dtype":"I64","shape":[1],"data_offsets":[16,24]}}""", 24);
        using var file = global::AttentionGen.SafeTensors.Load(bytes);

        var missing = Assert.Throws<WeightLoadException>(() => file.Require("q_proj.weight", [2, 2]));
        Assert.Equal("q_proj.weight", missing.TensorName);
        Assert.Null(missing.ActualShape);
        Assert.Contains("'enc.q_proj.weight'", missing.Message); // points at the prefix mistake

        var shape = Assert.Throws<WeightLoadException>(() => file.Require("enc.q_proj.weight", [4]));
        Assert.Equal([2L, 2L], shape.ActualShape);
        Assert.Equal([4], shape.ExpectedShape);
        Assert.Contains("[2, 2]", shape.Message);
        Assert.Contains("[4]", shape.Message);

        var dtype = Assert.Throws<WeightLoadException>(() => file.Require("ids", [1]));
        Assert.Contains("I64", dtype.Message);

        Assert.Equal("destination", Assert.Throws<ArgumentException>(() => file.CopyTo(file.Tensors[0], new float[3])).ParamName);
    }
}
