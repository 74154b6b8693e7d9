using System.Text;
using AttentionGen.Tests.Numeric;

namespace AttentionGen.Tests.Weights;

/// <summary>
/// The generated <c>CheckSentenceTransformersModel</c>: a sentence-transformers folder whose config, modules and pooling
/// agree with the declaration passes; one that pools another way, projects after pooling or normalizes differently is
/// refused naming each difference; a folder that is not one is refused as such.
/// </summary>
public sealed class SentenceTransformersConfigTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("attentiongen-st-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    // EncoderMeanPooled: vocab 50, 40 positions, 2 layers, dim 32, 2 heads, FFN 64, LayerNorm 1e-12, exact GELU; mean pooling, normalized.
    private const string BertConfig = """
        { "model_type": "bert", "hidden_size": 32, "num_attention_heads": 2, "num_hidden_layers": 2, "intermediate_size": 64,
          "vocab_size": 50, "max_position_embeddings": 40, "type_vocab_size": 2, "layer_norm_eps": 1e-12, "hidden_act": "gelu" }
        """;

    // As sentence-transformers saves all-MiniLM-L6-v2 (its pooling config, at this width).
    private const string MeanPooling = """
        { "word_embedding_dimension": 32, "pooling_mode_cls_token": false, "pooling_mode_mean_tokens": true,
          "pooling_mode_max_tokens": false, "pooling_mode_mean_sqrt_len_tokens": false, "pooling_mode_weightedmean_tokens": false,
          "pooling_mode_lasttoken": false, "include_prompt": true }
        """;

    private static string Modules(params string[] kinds) =>
        "[" + string.Join(", ", kinds.Select((kind, i) =>
            $$"""{ "idx": {{i}}, "name": "{{i}}", "path": "{{(i == 0 ? "" : $"{i}_{kind}")}}", "type": "sentence_transformers.models.{{kind}}" }""")) + "]";

    private string Folder(string config, string modules, string? pooling, string? sentenceBertConfig = null)
    {
        var folder = Directory.CreateDirectory(Path.Combine(_directory, Guid.NewGuid().ToString("N"))).FullName;
        File.WriteAllText(Path.Combine(folder, "config.json"), config, Encoding.UTF8);
        if (sentenceBertConfig is not null)
        {
            File.WriteAllText(Path.Combine(folder, "sentence_bert_config.json"), sentenceBertConfig, Encoding.UTF8);
        }

        File.WriteAllText(Path.Combine(folder, "modules.json"), modules, Encoding.UTF8);
        if (pooling is not null)
        {
            File.WriteAllText(Path.Combine(Directory.CreateDirectory(Path.Combine(folder, "1_Pooling")).FullName, "config.json"), pooling, Encoding.UTF8);
        }

        return folder;
    }

    [Fact]
    public void AFolderOfTheDeclaredModel_Passes_AndCountsWhatItStated()
    {
        // 10 config options, the module list, and 7 pooling options (include_prompt is not one).
        var folder = Folder(BertConfig, Modules("Transformer", "Pooling", "Normalize"), MeanPooling);
        Assert.Equal(18, EncoderMeanPooled.CheckSentenceTransformersModel(folder));
    }

    [Fact]
    public void TheLengthSentenceTransformersCutsTextsTo_IsComparedWithMaxSeqLen()
    {
        // EncoderMeanPooled declares MaxSeqLen 24. all-MiniLM-L6-v2's folder states 256 though its positions go to 512:
        // declared at 512, the embedder cut long texts later than sentence-transformers does and gave other embeddings.
        var modules = Modules("Transformer", "Pooling", "Normalize");
        Assert.Equal(19, EncoderMeanPooled.CheckSentenceTransformersModel(
            Folder(BertConfig, modules, MeanPooling, """{ "max_seq_length": 24, "do_lower_case": false }""")));

        var longer = Assert.Throws<ModelConfigMismatchException>(() => EncoderMeanPooled.CheckSentenceTransformersModel(
            Folder(BertConfig, modules, MeanPooling, """{ "max_seq_length": 256, "do_lower_case": false }""")));
        Assert.Equal(new ConfigMismatch("MaxSeqLen", "24", "max_seq_length", "256"), Assert.Single(longer.Mismatches));
    }

    [Fact]
    public void AnotherPooling_AProjection_OrNoNormalize_IsRefused_NamingEachDifference()
    {
        // BGE pools the [CLS] row; LaBSE-style models add a Dense projection; some models leave embeddings unscaled.
        var cls = MeanPooling.Replace("\"pooling_mode_cls_token\": false", "\"pooling_mode_cls_token\": true", StringComparison.Ordinal)
            .Replace("\"pooling_mode_mean_tokens\": true", "\"pooling_mode_mean_tokens\": false", StringComparison.Ordinal);
        var e = Assert.Throws<ModelConfigMismatchException>(() =>
            EncoderMeanPooled.CheckSentenceTransformersModel(Folder(BertConfig, Modules("Transformer", "Pooling", "Dense", "Normalize"), cls)));
        Assert.Equal(
            [
                new ConfigMismatch("Modules", "Transformer, Pooling, Normalize", "modules.json", "Transformer, Pooling, Dense, Normalize"),
                new ConfigMismatch("Mean pooling", "true", "pooling_mode_mean_tokens", "false"),
                new ConfigMismatch("CLS pooling", "false", "pooling_mode_cls_token", "true"),
            ],
            e.Mismatches);
        Assert.Contains("Modules = Transformer, Pooling, Normalize, but the config's modules.json is Transformer, Pooling, Dense, Normalize", e.Message);

        var unscaled = Assert.Throws<ModelConfigMismatchException>(() =>
            EncoderMeanPooled.CheckSentenceTransformersModel(Folder(BertConfig, Modules("Transformer", "Pooling"), MeanPooling)));
        Assert.Equal("Modules", Assert.Single(unscaled.Mismatches).Option);
    }

    [Fact]
    public void AClsPooledUnscaledDeclaration_ReadsItsOwnFolder_AndThePoolingModeAsText()
    {
        // EncoderClsPooled: dim 24, [CLS] pooling, no Normalize; newer files may name the mode as text, alone or in a list.
        var config = """{ "model_type": "bert", "hidden_size": 24, "num_attention_heads": 3, "hidden_act": "gelu_new" }""";
        Assert.Equal(4 + 1 + 2, EncoderClsPooled.CheckSentenceTransformersModel(Folder(config, Modules("Transformer", "Pooling"),
            """{ "embedding_dimension": 24, "pooling_mode": "cls" }""")));
        Assert.Equal(7, EncoderClsPooled.CheckSentenceTransformersModel(Folder(config, Modules("Transformer", "Pooling"),
            """{ "embedding_dimension": 24, "pooling_mode": ["cls"] }""")));
        var mean = Assert.Throws<ModelConfigMismatchException>(() => EncoderClsPooled.CheckSentenceTransformersModel(Folder(config, Modules("Transformer", "Pooling"),
            """{ "embedding_dimension": 24, "pooling_mode": "mean" }""")));
        Assert.Equal(new ConfigMismatch("Pooling", "Cls", "pooling_mode", "\"mean\""), Assert.Single(mean.Mismatches));

        // The config.json's differences are listed with the rest.
        var wider = Assert.Throws<ModelConfigMismatchException>(() => EncoderClsPooled.CheckSentenceTransformersModel(Folder(
            config.Replace("24", "48", StringComparison.Ordinal), Modules("Transformer", "Pooling", "Normalize"), """{ "pooling_mode_cls_token": true }""")));
        Assert.Equal(["ModelDim", "Modules"], wider.Mismatches.Select(m => m.Option));
    }

    [Fact]
    public void AFolderThatIsNoSentenceTransformersModel_IsRefusedAsSuch()
    {
        Assert.Throws<DirectoryNotFoundException>(() => EncoderMeanPooled.CheckSentenceTransformersModel(Path.Combine(_directory, "missing")));

        var noModules = Folder(BertConfig, "[]", MeanPooling);
        File.Delete(Path.Combine(noModules, "modules.json"));
        Assert.Contains("modules.json", Assert.Throws<FileNotFoundException>(() => EncoderMeanPooled.CheckSentenceTransformersModel(noModules)).Message);

        // The Pooling module's folder lacks its config; a config that names no pooling mode; modules.json that is no list.
        Assert.Throws<FileNotFoundException>(() => EncoderMeanPooled.CheckSentenceTransformersModel(Folder(BertConfig, Modules("Transformer", "Pooling", "Normalize"), null)));
        var noMode = Assert.Throws<InvalidDataException>(() => EncoderMeanPooled.CheckSentenceTransformersModel(Folder(BertConfig, Modules("Transformer", "Pooling", "Normalize"),
            """{ "word_embedding_dimension": 32 }""")));
        Assert.Contains("states no pooling mode", noMode.Message);
        Assert.Throws<InvalidDataException>(() => EncoderMeanPooled.CheckSentenceTransformersModel(Folder(BertConfig, "{ \"0\": \"Transformer\" }", MeanPooling)));
    }
}
