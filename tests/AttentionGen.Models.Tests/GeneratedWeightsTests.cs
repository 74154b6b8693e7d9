using System.Runtime.InteropServices;
using AttentionGen.OnnxImport;

namespace AttentionGen.Models.Tests;

/// <summary>The generated <see cref="MiniLm.Weights"/> on the converted checkpoint: names, values, refusals, prefixes.</summary>
[Collection(MiniLmCollection.Name)]
public class GeneratedWeightsTests(MiniLmFixture model)
{
    [Fact]
    public void Parameters_are_Hugging_Face_BertModel_names_and_shapes_without_the_pooler()
    {
        var expected = BertNames.Expected(model.Config, hasPooler: false);
        Assert.Equal(101, expected.Count);
        Assert.Equal(expected.Keys, MiniLm.Parameters.Select(p => p.Name));
        Assert.Equal(expected.Values.Select(s => string.Join('×', s)), MiniLm.Parameters.Select(p => string.Join('×', p.Shape)));
        Assert.Equal(expected.Keys, model.Weights.Parameters.Select(p => p.Name));
    }

    [Fact]
    public void Every_tensor_loaded_from_the_converted_file_reads_back_bit_identical()
    {
        foreach (var parameter in model.Weights.Parameters)
        {
            var tensor = model.Checkpoint.Tensors.Single(t => t.Name == parameter.Name);
            var stored = new float[tensor.ElementCount];
            model.Checkpoint.CopyTo(tensor, stored);
            var loaded = new float[parameter.ElementCount];
            model.Weights.CopyTo(parameter.Name, loaded);
            Assert.True(
                MemoryMarshal.Cast<float, int>(loaded).SequenceEqual(MemoryMarshal.Cast<float, int>(stored)),
                $"{parameter.Name} ({(parameter.IsPacked ? "packed" : "row-major")}) reads back other bits than the file holds.");
        }
    }

    [Fact]
    public void A_missing_tensor_is_named_in_the_error()
    {
        const string Missing = "encoder.layer.3.intermediate.dense.weight";
        using var file = Copy(name => name == Missing ? null : name);
        var exception = Assert.Throws<WeightLoadException>(() => MiniLm.Weights.Load(file));
        Assert.Equal(Missing, exception.TensorName);
        Assert.Contains(Missing, exception.Message, StringComparison.Ordinal);
        Assert.Single(exception.Problems);
    }

    [Fact]
    public void Every_missing_or_misshaped_tensor_is_named_in_one_error()
    {
        const string Missing = "encoder.layer.0.attention.output.LayerNorm.bias";
        const string Misshaped = "encoder.layer.5.attention.self.key.bias";
        using var file = Copy(name => name == Missing ? null : name, truncate: Misshaped);
        var exception = Assert.Throws<WeightLoadException>(() => MiniLm.Weights.Load(file));
        Assert.Equal([Missing, Misshaped], exception.Problems.Select(p => p.TensorName).Order());
        Assert.Contains(Missing, exception.Message, StringComparison.Ordinal);
        Assert.Contains(Misshaped, exception.Message, StringComparison.Ordinal);
        Assert.Contains("383", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bert_prefixed_checkpoint_loads_with_the_prefix_and_runs_identically()
    {
        using var file = Copy(name => "bert." + name);
        var missing = Assert.Throws<WeightLoadException>(() => MiniLm.Weights.Load(file));
        Assert.Contains("embeddings.word_embeddings.weight", missing.Message, StringComparison.Ordinal);
        Assert.Equal(101, missing.Problems.Count);

        var prefixed = MiniLm.Weights.Load(file, prefix: "bert.");
        var ids = MiniLmTexts.Tokenize(model.Tokenizer, MiniLmTexts.Sentences[10]);
        var expected = new float[MiniLm.ModelDim];
        var actual = new float[MiniLm.ModelDim];
        new MiniLm(model.Weights).Encode(ids, expected);
        new MiniLm(prefixed).Encode(ids, actual);
        Assert.Equal(expected, actual);
    }

    /// <summary>
    /// The converted checkpoint rewritten in memory: each tensor under <paramref name="rename"/>'s name (left out when
    /// it gives null), and the one called <paramref name="truncate"/> one element short.
    /// </summary>
    [Fact]
    public void The_importers_config_agrees_with_the_declaration_and_another_heads_count_is_refused()
    {
        // The converted checkpoint's model.config.json states ten of the options MiniLm fixes (all but the position
        // embedding type), and all agree.
        Assert.Equal(10, MiniLm.CheckConfig(MiniLmPackage.ConfigPath));

        // Six heads of 64 have exactly the matrices of twelve heads of 32: the weights would load, the outputs be wrong.
        var sixHeads = Path.Combine(Path.GetTempPath(), $"attentiongen-{Guid.NewGuid():N}.json");
        File.WriteAllText(sixHeads, File.ReadAllText(MiniLmPackage.ConfigPath).Replace("\"num_attention_heads\": 12", "\"num_attention_heads\": 6", StringComparison.Ordinal));
        try
        {
            var exception = Assert.Throws<ModelConfigMismatchException>(() => MiniLm.CheckConfig(sixHeads));
            Assert.Equal(new ConfigMismatch("Heads", "12", "num_attention_heads", "6"), Assert.Single(exception.Mismatches));
        }
        finally
        {
            File.Delete(sixHeads);
        }
    }

    [Fact]
    public void A_checkpoint_with_more_layers_than_declared_is_refused()
    {
        // all-MiniLM-L12-v2 is this model with twelve layers: here, layers 0-5 again as 6-11.
        using var twelveLayers = Copy(name => name, extraLayers: 6);
        var exception = Assert.Throws<WeightLoadException>(() => MiniLm.Weights.Load(twelveLayers));
        Assert.StartsWith("encoder.layer.6.", exception.TensorName, StringComparison.Ordinal);
        Assert.Contains("96 tensors", exception.Message, StringComparison.Ordinal);
        Assert.Contains("numbered up to 11", exception.Message, StringComparison.Ordinal);
    }

    private SafeTensors Copy(Func<string, string?> rename, string? truncate = null, int extraLayers = 0)
    {
        var writer = new SafeTensorsWriter();
        foreach (var tensor in model.Checkpoint.Tensors)
        {
            if (rename(tensor.Name) is not { } name)
            {
                continue;
            }

            var values = new float[tensor.ElementCount];
            model.Checkpoint.CopyTo(tensor, values);
            int[] shape = [.. tensor.Shape.Select(d => checked((int)d))];
            if (tensor.Name == truncate)
            {
                Assert.Single(shape);
                shape[0]--;
                values = values[..^1];
            }

            writer.Add(name, values, shape);
            if (extraLayers > 0 && name.StartsWith("encoder.layer.", StringComparison.Ordinal))
            {
                int layer = int.Parse(name.Split('.')[2], System.Globalization.CultureInfo.InvariantCulture);
                writer.Add(name.Replace($"encoder.layer.{layer}.", $"encoder.layer.{layer + extraLayers}.", StringComparison.Ordinal), values, shape);
            }
        }

        return SafeTensors.Load(writer.ToArray());
    }
}
