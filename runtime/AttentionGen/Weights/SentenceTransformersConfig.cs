using System.Text.Json;

namespace AttentionGen;

/// <summary>
/// Checks a sentence-transformers model folder against a pooled <c>[TransformerEncoder]</c> declaration: what comes after
/// the transformer is no tensor either. A model that pools the [CLS] row (BGE, for one) or adds a <c>Dense</c> projection
/// after pooling loads into a mean-pooling declaration without complaint and gives other embeddings. Every generated
/// pooled encoder has a <c>CheckSentenceTransformersModel</c> that calls this.
/// </summary>
/// <remarks>
/// The folder is the one sentence-transformers saves and the Hugging Face hub serves: <c>config.json</c> (checked as
/// <see cref="HuggingFaceConfig"/> checks it), <c>modules.json</c> (the modules in order: the declaration computes
/// Transformer, Pooling and, with <c>Normalize</c>, Normalize; anything else, such as Dense, is another model), the
/// Pooling module's <c>config.json</c>, which must name its pooling mode, and, where the Transformer module has one, its
/// <c>sentence_bert_config.json</c>, whose <c>max_seq_length</c> is where sentence-transformers cuts a text: the
/// declaration's <c>MaxSeqLen</c> is where <c>SentenceEmbedder</c> cuts it, so a text longer than either would get
/// another embedding.
/// </remarks>
public static class SentenceTransformersConfig
{
    /// <summary>
    /// Compares the folder at <paramref name="modelDirectory"/> with the declaration and returns how many settings its
    /// files stated (all agreeing), the module list counting as one.
    /// </summary>
    /// <param name="modelDirectory">The model's folder, holding config.json and modules.json.</param>
    /// <param name="declaration">The declaring type's name, for the message.</param>
    /// <param name="normalize">Whether the declaration scales embeddings to unit length.</param>
    /// <param name="maxSeqLen">The declaration's <c>MaxSeqLen</c>: the most tokens of a text it embeds.</param>
    /// <param name="configSettings">What the declaration fixes in config.json.</param>
    /// <param name="poolingSettings">What it fixes in the Pooling module's config.json.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="DirectoryNotFoundException">No folder at <paramref name="modelDirectory"/>.</exception>
    /// <exception cref="FileNotFoundException">The folder lacks config.json, modules.json or the Pooling module's config.</exception>
    /// <exception cref="InvalidDataException">A file is not what sentence-transformers writes; the message says which and why.</exception>
    /// <exception cref="ModelConfigMismatchException">The folder describes another model; every difference is listed.</exception>
    public static int Check(string modelDirectory, string declaration, bool normalize, int maxSeqLen, ConfigSetting[] configSettings, params ConfigSetting[] poolingSettings)
    {
        ArgumentNullException.ThrowIfNull(modelDirectory);
        ArgumentNullException.ThrowIfNull(declaration);
        ArgumentNullException.ThrowIfNull(configSettings);
        ArgumentNullException.ThrowIfNull(poolingSettings);
        if (!Directory.Exists(modelDirectory))
        {
            throw new DirectoryNotFoundException($"No model folder at '{modelDirectory}'.");
        }

        var mismatches = new List<ConfigMismatch>();
        int stated = CompareFile(Path.Combine(modelDirectory, "config.json"), "the model's Hugging Face config", configSettings, mismatches);

        var modules = ReadModules(Path.Combine(modelDirectory, "modules.json"));
        string[] expected = normalize ? ["Transformer", "Pooling", "Normalize"] : ["Transformer", "Pooling"];
        var kinds = modules.Select(m => m.Kind).ToArray();
        stated++;
        if (!kinds.SequenceEqual(expected, StringComparer.Ordinal))
        {
            mismatches.Add(new ConfigMismatch("Modules", string.Join(", ", expected), "modules.json", string.Join(", ", kinds)));
        }

        // sentence-transformers writes it beside every Transformer module it saves; a folder without it is not compared.
        if (modules.FirstOrDefault(m => m.Kind == "Transformer") is { } transformer
            && Path.Combine(modelDirectory, transformer.Path, "sentence_bert_config.json") is var sentenceBertConfig
            && File.Exists(sentenceBertConfig))
        {
            stated += CompareFile(sentenceBertConfig, "the Transformer module's settings", [ConfigSetting.Integer("MaxSeqLen", maxSeqLen, "max_seq_length")], mismatches);
        }

        if (modules.FirstOrDefault(m => m.Kind == "Pooling") is { } pooling)
        {
            var poolingConfig = Path.Combine(modelDirectory, pooling.Path, "config.json");
            stated += CompareFile(poolingConfig, "modules.json places the Pooling module's config there", poolingSettings, mismatches, isPoolingConfig: true);
        }

        if (mismatches.Count > 0)
        {
            throw new ModelConfigMismatchException(declaration, mismatches);
        }

        return stated;
    }

    /// <summary>
    /// One file's settings compared. A pooling config must name its mode: one in a format these keys miss would otherwise
    /// pass having compared nothing.
    /// </summary>
    private static int CompareFile(string path, string why, ConfigSetting[] settings, List<ConfigMismatch> mismatches, bool isPoolingConfig = false)
    {
        using var stream = OpenExisting(path, why);
        using var document = HuggingFaceConfig.ParseObject(stream, $"'{path}'");
        if (isPoolingConfig && !document.RootElement.EnumerateObject().Any(p => p.Name.StartsWith("pooling_mode", StringComparison.Ordinal)))
        {
            throw new InvalidDataException(
                $"The pooling config '{path}' states no pooling mode (pooling_mode_mean_tokens, pooling_mode_cls_token, … or pooling_mode).");
        }

        return HuggingFaceConfig.Compare(document.RootElement, settings, mismatches);
    }

    /// <summary>The file at <paramref name="path"/>, or a <see cref="FileNotFoundException"/> naming it and <paramref name="why"/> it is needed.</summary>
    private static FileStream OpenExisting(string path, string why) =>
        File.Exists(path) ? File.OpenRead(path) : throw new FileNotFoundException($"No file at '{path}': {why}.", path);

    /// <summary>
    /// modules.json's modules in order, each by the last part of its type name (<c>sentence_transformers.models.Pooling</c>
    /// is Pooling, as in later versions' module paths) and its folder.
    /// </summary>
    private static List<(string Kind, string Path)> ReadModules(string path)
    {
        using var stream = OpenExisting(path, "it lists a sentence-transformers model's modules");
        using var document = HuggingFaceConfig.Parse(stream, $"'{path}'");
        if (document.RootElement.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidDataException($"'{path}' must be a JSON array of modules; it is a {document.RootElement.ValueKind}.");
        }

        var modules = new List<(string, string)>();
        foreach (var module in document.RootElement.EnumerateArray())
        {
            if (module.ValueKind != JsonValueKind.Object
                || !module.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String
                || !module.TryGetProperty("path", out var folder) || folder.ValueKind != JsonValueKind.String)
            {
                throw new InvalidDataException($"'{path}' has a module without a type and a path: {module.GetRawText()}");
            }

            if (Path.IsPathRooted(folder.GetString()))
            {
                throw new InvalidDataException($"'{path}' places a module outside the model folder: {module.GetRawText()}");
            }

            var typeName = type.GetString()!;
            modules.Add((typeName[(typeName.LastIndexOf('.') + 1)..], folder.GetString()!));
        }

        return modules;
    }
}
