using System.Text;
using System.Text.Json;
using static AttentionGen.Tests.SafeTensorsTests.SafeTensorsMappedFileTests;

namespace AttentionGen.Tests.SafeTensorsTests;

/// <summary>
/// Sharded checkpoints: <c>model.safetensors.index.json</c> and its shard files open as one <see cref="SafeTensors"/>,
/// and every way the index and the shards can disagree is refused with a message naming the file.
/// </summary>
[Trait("Category", "SafeTensors")]
public sealed class SafeTensorsShardedTests : IDisposable
{
    private const string Shard1 = "model-00001-of-00002.safetensors";
    private const string Shard2 = "model-00002-of-00002.safetensors";

    private const string JsonCharacters = "{}[]\",:0123456789 \\u/.-";

    private readonly string _folder = Directory.CreateTempSubdirectory("attentiongen-sharded-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string IndexPath => Path.Combine(_folder, "model.safetensors.index.json");

    [Fact]
    public void ShardsLoadAsOneCheckpoint()
    {
        var q = Pattern(12, 1);
        var k = Pattern(12, 2);
        var v = Pattern(6, 3);
        var o = Pattern(9, 4);
        new SafeTensorsWriter().AddMetadata("format", "pt")
            .Add("layers.0.q_proj.weight", q, [3, 4]).Add("layers.0.k_proj.weight", k, [3, 4], SafeTensorsDType.BF16)
            .Save(Path.Combine(_folder, Shard1));
        new SafeTensorsWriter().Add("layers.0.v_proj.weight", v, [2, 3], SafeTensorsDType.F16).Add("layers.0.o_proj.weight", o, [3, 3])
            .Save(Path.Combine(_folder, Shard2));
        WriteIndex(
            ("layers.0.q_proj.weight", Shard1), ("layers.0.v_proj.weight", Shard2), ("layers.0.k_proj.weight", Shard1), ("layers.0.o_proj.weight", Shard2));

        using var file = SafeTensors.Open(IndexPath);
        Assert.Equal(
            ["layers.0.q_proj.weight", "layers.0.k_proj.weight", "layers.0.v_proj.weight", "layers.0.o_proj.weight"],
            file.Tensors.Select(t => t.Name));
        Assert.Equal("1234", file.Metadata["total_size"]);
        Assert.Equal("index", file.Metadata["note"]);

        var loaded = new float[6];
        file.CopyTo(file.Require("layers.0.v_proj.weight", [2, 3]), loaded);
        Assert.Equal(v, loaded);
        Assert.Equal(q, Read(file, "layers.0.q_proj.weight"));
        Assert.Equal(k, Read(file, "layers.0.k_proj.weight"));
        Assert.Equal(o, Read(file, "layers.0.o_proj.weight"));

        // A tensor object from one shard is not accepted for the same name from a different checkpoint.
        using var single = SafeTensors.Open(Path.Combine(_folder, Shard2));
        Assert.Throws<ArgumentException>(() => file.CopyTo(single.Tensors[0], new float[6]));

        var missing = Assert.Throws<WeightLoadException>(() => file.Require("q_proj.weight", [3, 4]));
        Assert.Contains("'layers.0.q_proj.weight'", missing.Message);
    }

    [Fact]
    public void ADisposedShardedCheckpointRefusesReads()
    {
        new SafeTensorsWriter().Add("a", [1f], [1]).Save(Path.Combine(_folder, Shard1));
        new SafeTensorsWriter().Add("b", [2f], [1]).Save(Path.Combine(_folder, Shard2));
        WriteIndex(("a", Shard1), ("b", Shard2));
        var file = SafeTensors.Open(IndexPath);
        Assert.Equal([2f], Read(file, "b"));
        file.Dispose();
        Assert.Throws<ObjectDisposedException>(() => file.CopyTo(file.Tensors[1], new float[1]));
    }

    [Fact]
    public void ATensorTheIndexDoesNotListStillLoads()
    {
        // Hugging Face loaders take every tensor of each shard the index names; so does this one.
        new SafeTensorsWriter().Add("a", [1f], [1]).Add("unlisted", [3f], [1]).Save(Path.Combine(_folder, Shard1));
        WriteIndex(("a", Shard1));
        using var file = SafeTensors.Open(IndexPath);
        Assert.Equal([3f], Read(file, "unlisted"));
        Assert.DoesNotContain("format", file.Metadata.Keys); // shard metadata is not the checkpoint's
    }

    [Fact]
    public void AMissingShardIsAFileNotFoundExceptionNamingIt()
    {
        new SafeTensorsWriter().Add("a", [1f], [1]).Save(Path.Combine(_folder, Shard1));
        WriteIndex(("a", Shard1), ("b", Shard2));
        var e = Assert.Throws<FileNotFoundException>(() => SafeTensors.Open(IndexPath));
        Assert.Contains(Shard2, e.Message);
        Assert.Contains(IndexPath, e.Message);
        Assert.Equal(Path.Combine(_folder, Shard2), e.FileName);
    }

    [Fact]
    public void AMissingIndexIsAFileNotFoundException()
    {
        var e = Assert.Throws<FileNotFoundException>(() => SafeTensors.Open(IndexPath));
        Assert.IsNotType<SafeTensorsFormatException>(e);
    }

    [Fact]
    public void ATensorInTwoShardsIsRefused()
    {
        new SafeTensorsWriter().Add("a", [1f], [1]).Add("shared", [1f], [1]).Save(Path.Combine(_folder, Shard1));
        new SafeTensorsWriter().Add("b", [2f], [1]).Add("shared", [2f], [1]).Save(Path.Combine(_folder, Shard2));
        WriteIndex(("a", Shard1), ("b", Shard2), ("shared", Shard2));
        var e = Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Open(IndexPath));
        Assert.Contains("'shared'", e.Message);
        Assert.Contains(Shard1, e.Message);
        Assert.Contains(Shard2, e.Message);
        Assert.Contains("two shards", e.Message);
    }

    [Fact]
    public void ATensorMissingFromItsShardIsRefused()
    {
        new SafeTensorsWriter().Add("a", [1f], [1]).Save(Path.Combine(_folder, Shard1));
        new SafeTensorsWriter().Add("b", [2f], [1]).Save(Path.Combine(_folder, Shard2));

        WriteIndex(("a", Shard1), ("b", Shard2), ("c", Shard2));
        var e = Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Open(IndexPath));
        Assert.Contains("'c'", e.Message);
        Assert.Contains(Shard2, e.Message);

        // Present, but in another shard than the index says.
        WriteIndex(("a", Shard2), ("b", Shard1));
        var moved = Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Open(IndexPath));
        Assert.Contains("'a'", moved.Message);
        Assert.Contains($"it is in '{Shard1}'", moved.Message);
    }

    [Fact]
    public void AMalformedShardIsAFormatExceptionNamingIt()
    {
        new SafeTensorsWriter().Add("a", [1f], [1]).Save(Path.Combine(_folder, Shard1));
        File.WriteAllBytes(Path.Combine(_folder, Shard2), SafeTensorsTestFiles.Build("{\"b\": {\"dtype\": \"F99\", \"shape\": [1], \"data_offsets\": [0, 4]}}", new byte[4]));
        WriteIndex(("a", Shard1), ("b", Shard2));
        var e = Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Open(IndexPath));
        Assert.Contains(Shard2, e.Message);
        Assert.Contains("F99", e.Message);
    }

    [Theory]
    [InlineData("not json", "JSON")]
    [InlineData("[1, 2]", "object")]
    [InlineData("{\"metadata\": {}}", "weight_map")]
    [InlineData("{\"weight_map\": [\"a\"]}", "weight_map")]
    [InlineData("{\"weight_map\": {\"a\": 3}}", "'a'")]
    [InlineData("{\"weight_map\": {\"a\": \"x.safetensors\", \"a\": \"x.safetensors\"}}", "twice")]
    [InlineData("{\"weight_map\": {\"a\": \"../x.safetensors\"}}", "../x.safetensors")]
    [InlineData("{\"weight_map\": {\"a\": \"/etc/x.safetensors\"}}", "/etc/x.safetensors")]
    [InlineData("{\"weight_map\": {\"a\": \"sub/x.safetensors\"}}", "sub/x.safetensors")]
    [InlineData("{\"weight_map\": {\"a\": \"\"}}", "not a file name")]
    [InlineData("{\"weight_map\": {\"a\": \"..\"}}", "not a file name")]
    [InlineData("{\"weight_map\": {\"a\": \"x\\u0000.safetensors\"}}", "not a file name")]
    [InlineData("{\"weight_map\": {\"a\": \"sub\\\\x.safetensors\"}}", "not a file name")]
    [InlineData("{\"weight_map\": {\"\\ud800\": \"x.safetensors\"}}", "not valid JSON text")]
    [InlineData("{\"metadata\": 5, \"weight_map\": {}}", "metadata")]
    [InlineData("{\"weight_map\": {\"a\": \"x.safetensors\"}, \"weight_map\": {}}", "'weight_map' twice")]
    [InlineData("{\"metadata\": {\"total_size\": 1}, \"weight_map\": {}, \"metadata\": {}}", "'metadata' twice")]
    public void AMalformedIndexIsAFormatExceptionNamingIt(string json, string expected)
    {
        File.WriteAllText(IndexPath, json);
        var e = Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Open(IndexPath));
        Assert.Contains(IndexPath, e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void AnEmptyWeightMapIsAnEmptyCheckpoint()
    {
        File.WriteAllText(IndexPath, "{\"metadata\": null, \"weight_map\": {}}");
        using var file = SafeTensors.Open(IndexPath);
        Assert.Empty(file.Tensors);
        Assert.Empty(file.Metadata);
    }

    [Fact]
    public void MutatedIndexesOpenOrAreRefusedWithAnIOException()
    {
        // Like the header fuzz test, for the index: whatever the bytes, the only failures are IOExceptions.
        new SafeTensorsWriter().Add("a", [1f], [1]).Add("b", [2f], [1]).Save(Path.Combine(_folder, Shard1));
        new SafeTensorsWriter().Add("c", [3f], [1]).Save(Path.Combine(_folder, Shard2));
        WriteIndex(("a", Shard1), ("b", Shard1), ("c", Shard2));
        var original = File.ReadAllBytes(IndexPath);
        int opened = 0, refused = 0;
        for (int seed = 0; seed < 1000; seed++)
        {
            var random = new Random(seed);
            var mutated = original.ToList();
            for (int edits = random.Next(1, 4); edits > 0; edits--)
            {
                int at = random.Next(mutated.Count);
                switch (random.Next(3))
                {
                    case 0: mutated.RemoveAt(at); break;
                    case 1: mutated[at] = (byte)JsonCharacters[random.Next(JsonCharacters.Length)]; break;
                    default: mutated.Insert(at, (byte)random.Next(256)); break;
                }
            }

            File.WriteAllBytes(IndexPath, [.. mutated]);
            try
            {
                using var file = SafeTensors.Open(IndexPath);
                opened++;
                foreach (var tensor in file.Tensors)
                {
                    file.CopyTo(tensor, new float[tensor.ElementCount]);
                }
            }
            catch (IOException)
            {
                refused++;
            }
            catch (Exception e)
            {
                Assert.Fail($"Seed {seed}: {e.GetType().Name}: {e.Message}\n{Encoding.UTF8.GetString([.. mutated])}");
            }
        }

        // Both outcomes must occur, or the mutations tested nothing.
        Assert.True(opened > 0 && refused > 0, $"opened {opened}, refused {refused}");
    }

    private void WriteIndex(params (string Tensor, string Shard)[] weightMap)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("metadata");
            writer.WriteNumber("total_size", 1234);
            writer.WriteString("note", "index");
            writer.WriteEndObject();
            writer.WriteStartObject("weight_map");
            foreach (var (tensor, shard) in weightMap)
            {
                writer.WriteString(tensor, shard);
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        File.WriteAllText(IndexPath, Encoding.UTF8.GetString(stream.ToArray()));
    }
}
