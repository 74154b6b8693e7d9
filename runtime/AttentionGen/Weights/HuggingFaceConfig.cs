using System.ComponentModel;
using System.Globalization;
using System.Text.Json;

namespace AttentionGen;

/// <summary>
/// Checks a Hugging Face <c>config.json</c> against a declaration. Weights alone cannot tell some shapes apart: twelve
/// heads of 32 and six heads of 64 have the same matrices, and a norm epsilon or a rotary base has no tensor at all, so
/// a checkpoint of another configuration loads without complaint and gives wrong outputs. Every generated
/// <c>[TransformerEncoder]</c> and <c>[TransformerDecoder]</c> has a <c>CheckConfig</c> that calls this with the settings
/// it fixes.
/// </summary>
/// <remarks>
/// A setting is compared only when the file states it (a key that is missing or null is left alone: its default
/// depends on the model family; a setting made with <see cref="ConfigSetting.NullMeansNone"/> compares a null as none,
/// and one made with <see cref="ConfigSetting.MissingMeans(double)"/> or <see cref="ConfigSetting.MissingMeansNone"/> a
/// missing key as what transformers reads then, in every family or in the one family the declaration's <c>model_type</c>
/// setting admits (with <see cref="ConfigSetting.MissingMeansIn"/>, as another family the declaration admits reads it, in
/// that family's files; with <see cref="ConfigSetting.IfAlsoMissing"/>, only when the file lacks the key the family reads
/// instead too; with <see cref="ConfigSetting.IgnoredIn"/>, also when it states it, in the files of a family whose model
/// never reads it), and one made with <see cref="ConfigSetting.MissingMeansWindowedFrom"/> or
/// <see cref="ConfigSetting.MissingMeansWindowedUnrotated"/> a missing <c>layer_types</c> as the list that family derives
/// from the file's other keys),
/// under the first of its key names the file has. A key name may be a path into nested
/// objects, <c>rope_parameters.rope_theta</c>, which is where files written by transformers 5 keep the rotary settings.
/// A multimodal model's file (Gemma 3 4B and larger, LLaVA) keeps its language model's settings in a <c>text_config</c>
/// object: a file with one is read there, as those are what a declaration of the language model states.
/// Integers must be equal, reals equal to six significant digits (a float option against the file's decimal), booleans
/// equal, and texts one of those the declared option accepts.
/// </remarks>
public static class HuggingFaceConfig
{
    /// <summary>
    /// Compares the config file at <paramref name="configJsonPath"/> with <paramref name="settings"/> and returns how many
    /// settings the file stated (all of them agreeing).
    /// </summary>
    /// <param name="configJsonPath">Path of the <c>config.json</c>.</param>
    /// <param name="declaration">The declaring type's name, for the message.</param>
    /// <param name="settings">What the declaration fixes, each with its key names.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="configJsonPath"/> is a folder.</exception>
    /// <exception cref="FileNotFoundException">No file at <paramref name="configJsonPath"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a JSON object.</exception>
    /// <exception cref="ModelConfigMismatchException">The file states a setting differently; every one is listed.</exception>
    public static int Check(string configJsonPath, string declaration, params ConfigSetting[] settings)
    {
        ArgumentNullException.ThrowIfNull(configJsonPath);
        if (Directory.Exists(configJsonPath))
        {
            throw new ArgumentException(
                $"'{configJsonPath}' is a folder; pass the path of its config.json ({Path.Combine(configJsonPath, "config.json")}).",
                nameof(configJsonPath));
        }

        using var stream = File.OpenRead(configJsonPath);
        return Check(stream, declaration, settings);
    }

    /// <inheritdoc cref="Check(string, string, ConfigSetting[])"/>
    /// <param name="configJson">The config as UTF-8 JSON; read to its end, not closed.</param>
    /// <param name="declaration">The declaring type's name, for the message.</param>
    /// <param name="settings">What the declaration fixes, each with its key names.</param>
    public static int Check(Stream configJson, string declaration, params ConfigSetting[] settings)
    {
        ArgumentNullException.ThrowIfNull(configJson);
        ArgumentNullException.ThrowIfNull(declaration);
        ArgumentNullException.ThrowIfNull(settings);
        using var document = ParseObject(configJson, "The config");
        var mismatches = new List<ConfigMismatch>();
        var root = document.RootElement;
        if (root.TryGetProperty("text_config", out var textConfig) && textConfig.ValueKind == JsonValueKind.Object)
        {
            root = textConfig;
        }

        int stated = Compare(root, settings, mismatches);
        if (mismatches.Count > 0)
        {
            throw new ModelConfigMismatchException(declaration, mismatches);
        }

        return stated;
    }

    /// <summary>
    /// Compares a config object with <paramref name="settings"/>, adding each disagreement to <paramref name="mismatches"/>;
    /// returns how many settings it stated.
    /// </summary>
    internal static int Compare(JsonElement config, ConfigSetting[] settings, List<ConfigMismatch> mismatches)
    {
        int stated = 0;
        foreach (var setting in settings)
        {
            if (setting.IsOff(config))
            {
                continue;
            }

            if (setting.Find(config) is not var (key, value))
            {
                // A key every family (or the declaration's one family) defaults the same way is compared, missing, as that default;
                // one the file's family never reads as if it were missing.
                if (setting.WhenMissing(config) is var (missing, means) && !setting.Agrees(missing))
                {
                    mismatches.Add(setting.Ignored(config) is var (modelType, ignoredKey, ignored)
                        ? new ConfigMismatch(setting.Option, setting.Declared, ignoredKey, $"{ignored.GetRawText()}, which model_type \"{modelType}\" ignores, as if missing: {means}")
                        : new ConfigMismatch(setting.Option, setting.Declared, setting.AnyKey, "missing, which means " + means));
                }

                continue;
            }

            stated++;
            if (!setting.Agrees(value))
            {
                mismatches.Add(new ConfigMismatch(setting.Option, setting.Declared, key, value.GetRawText()));
            }
        }

        return stated;
    }

    /// <summary>Parses UTF-8 JSON that must be an object, naming <paramref name="what"/> when it is not.</summary>
    /// <exception cref="InvalidDataException">The stream is not JSON, or not a JSON object.</exception>
    internal static JsonDocument ParseObject(Stream json, string what)
    {
        var document = Parse(json, what);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            var kind = document.RootElement.ValueKind;
            document.Dispose();
            throw new InvalidDataException($"{what} must be a JSON object; it is a {kind}.");
        }

        return document;
    }

    /// <summary>Parses UTF-8 JSON, naming <paramref name="what"/> when it is not JSON.</summary>
    internal static JsonDocument Parse(Stream json, string what)
    {
        try
        {
            return JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{what} is not valid JSON: {e.Message}", e);
        }
    }
}

/// <summary>One option of a declaration and the config keys that state it (see <see cref="HuggingFaceConfig"/>).</summary>
[EditorBrowsable(EditorBrowsableState.Never)] // made by generated CheckConfig methods
public sealed class ConfigSetting
{
    private readonly string[] _keys;
    private readonly Func<JsonElement, bool> _agrees;

    /// <summary>The key whose <c>true</c> switches a window on (Qwen2's, Qwen3's and SmolLM3's files).</summary>
    private const string WindowSwitch = "use_sliding_window";

    /// <summary>The window's size, whose null windows no layer.</summary>
    private const string WindowSize = "sliding_window";

    /// <summary>The key naming the file's family, whose config class reads it.</summary>
    private const string ModelTypeKey = "model_type";

    /// <summary>A key whose <c>false</c> turns the feature this setting checks off, so the setting is not compared.</summary>
    private string? _offSwitch;

    /// <summary>Whether a file without <see cref="_offSwitch"/> (or with a null one) has the feature off too.</summary>
    private bool _offWhenMissing;

    /// <summary>Whether a null in the file is compared, as none (0 in the declaration), rather than left alone.</summary>
    private bool _nullMeansNone;

    /// <summary>
    /// What a file that states none of the keys (or holds them null) means, read from the rest of the file, and that as
    /// text for the message; none when it is not compared.
    /// </summary>
    private Func<JsonElement, (JsonElement Value, string Means)?>? _whenMissing;

    /// <summary>For a <see cref="LayerTypes"/> setting, how many layers it lists.</summary>
    private int? _layers;

    /// <summary>The <c>model_type</c>s whose models never read this setting's keys, whatever their files state (see <see cref="IgnoredIn"/>).</summary>
    private string[] _ignoredIn = [];

    private ConfigSetting(string option, string declared, string[] keys, Func<JsonElement, bool> agrees)
    {
        ArgumentNullException.ThrowIfNull(option);
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentOutOfRangeException.ThrowIfZero(keys.Length);
        Option = option;
        Declared = declared;
        _keys = keys;
        _agrees = agrees;
    }

    /// <summary>The declaration's option, e.g. <c>Heads</c>.</summary>
    public string Option { get; }

    /// <summary>Its declared value as text.</summary>
    public string Declared { get; }

    /// <summary>
    /// What <paramref name="config"/>, stating none of the keys (or holding them null), means, when the families it may be
    /// default it alike or derive it from its other keys; else none.
    /// </summary>
    internal (JsonElement Value, string Means)? WhenMissing(JsonElement config) => _whenMissing?.Invoke(config);

    /// <summary>The keys, named as one when the file states none.</summary>
    internal string AnyKey => string.Join(" or ", _keys);

    /// <summary>An integer option, stated under any of <paramref name="keys"/> (a null, where compared, agrees with 0).</summary>
    public static ConfigSetting Integer(string option, int declared, params string[] keys) =>
        new(option, declared.ToString(CultureInfo.InvariantCulture), keys,
            value => value.ValueKind == JsonValueKind.Null ? declared == 0
                : value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long stated) && stated == declared);

    /// <summary>A real option (a float in the declaration), equal to six significant digits (a null, where compared, agrees with 0).</summary>
    public static ConfigSetting Real(string option, float declared, params string[] keys) =>
        new(option, declared.ToString("R", CultureInfo.InvariantCulture), keys,
            value => value.ValueKind == JsonValueKind.Null ? declared == 0
                : value.ValueKind == JsonValueKind.Number && Math.Abs(value.GetDouble() - declared) <= 1e-6 * Math.Abs(declared));

    /// <summary>A boolean option.</summary>
    public static ConfigSetting Boolean(string option, bool declared, params string[] keys) =>
        new(option, declared ? "true" : "false", keys,
            value => value.ValueKind is JsonValueKind.True or JsonValueKind.False && value.GetBoolean() == declared);

    /// <summary>
    /// An option the file states as text: any of <paramref name="accepted"/> agrees (an activation's names), alone or as
    /// the one element of an array (sentence-transformers writes a pooling mode either way).
    /// </summary>
    public static ConfigSetting Text(string option, string declared, string[] accepted, params string[] keys)
    {
        ArgumentNullException.ThrowIfNull(accepted);
        return new(option, declared, keys, value =>
        {
            var text = value.ValueKind == JsonValueKind.Array && value.GetArrayLength() == 1 ? value[0] : value;
            return text.ValueKind == JsonValueKind.String && accepted.Contains(text.GetString(), StringComparer.Ordinal);
        });
    }

    /// <summary>
    /// An integer option the file's value must not be below: a declared cache of <paramref name="declared"/> positions
    /// against an attention window (<c>sliding_window</c>), which past its length would ignore what the declaration
    /// attends to. A null, where compared, is no window, and agrees.
    /// </summary>
    public static ConfigSetting AtLeast(string option, int declared, params string[] keys) =>
        new(option, declared.ToString(CultureInfo.InvariantCulture) + ", which needs at least that", keys,
            value => value.ValueKind == JsonValueKind.Null
                || (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long stated) && stated >= declared));

    /// <summary>
    /// Which of <paramref name="layers"/> layers attend within a sliding window, as transformers lists them in newer
    /// files (<c>layer_types</c>: <c>"sliding_attention"</c> or <c>"full_attention"</c> per layer, beside or instead of
    /// <c>sliding_window_pattern</c>): the list must name each layer as <paramref name="windowed"/> treats it.
    /// </summary>
    public static ConfigSetting LayerTypes(string option, int layers, Func<int, bool> windowed, params string[] keys)
    {
        ArgumentNullException.ThrowIfNull(windowed);
        var setting = PerLayer(option, layers, layer => windowed(layer) ? LayerType(windowed: true) : LayerType(windowed: false),
            value => value.ValueKind == JsonValueKind.String ? value.GetString() : null, keys);
        setting._layers = layers;
        return setting;
    }

    private static string LayerType(bool windowed) => windowed ? "sliding_attention" : "full_attention";

    /// <summary>
    /// A per-layer list of 1 and 0 (SmolLM3's <c>no_rope_layers</c>: 1 where the layer rotates Q and K), which must hold
    /// 1 exactly where <paramref name="set"/> says so.
    /// </summary>
    public static ConfigSetting LayerFlags(string option, int layers, Func<int, bool> set, params string[] keys)
    {
        ArgumentNullException.ThrowIfNull(set);
        return PerLayer(option, layers, layer => set(layer) ? "1" : "0",
            value => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long flag) ? flag.ToString(CultureInfo.InvariantCulture) : null, keys);
    }

    /// <summary>A list with one entry per layer, each read by <paramref name="read"/> and equal to <paramref name="declared"/>'s.</summary>
    private static ConfigSetting PerLayer(string option, int layers, Func<int, string> declared, Func<JsonElement, string?> read, string[] keys)
    {
        var expected = Enumerable.Range(0, layers).Select(declared).ToArray();
        return new(option, $"[{string.Join(", ", expected)}]", keys, value =>
            value.ValueKind == JsonValueKind.Array && value.GetArrayLength() == layers
            && value.EnumerateArray().Select(read).SequenceEqual(expected, StringComparer.Ordinal));
    }

    /// <summary>
    /// This setting, left alone when the file holds <c>false</c> under <paramref name="key"/>: Qwen2 files state a
    /// <c>sliding_window</c> with <c>"use_sliding_window": false</c>. Only for the families whose configs read the key
    /// (Mistral's and Phi-3's models window by <c>sliding_window</c> whatever <c>use_sliding_window</c> says).
    /// </summary>
    public ConfigSetting UnlessOff(string key) => UnlessOff(key, missingMeans: true);

    /// <summary>
    /// This setting, left alone when the file holds <c>false</c> under <paramref name="key"/>, or, where
    /// <paramref name="missingMeans"/> is false, lacks the key (or holds it null): Qwen2's, Qwen3's and SmolLM3's configs
    /// read a missing <c>use_sliding_window</c> as false, and their <c>sliding_window</c>, stated or defaulted, then
    /// windows no layer.
    /// </summary>
    public ConfigSetting UnlessOff(string key, bool missingMeans)
    {
        ArgumentNullException.ThrowIfNull(key);
        var copy = Copy();
        copy._offSwitch = key;
        copy._offWhenMissing = !missingMeans;
        return copy;
    }

    /// <summary>
    /// This integer or real setting, compared also when the file holds null, which transformers reads as none: a null
    /// <c>attn_logit_softcapping</c> caps no score, a null <c>sliding_window</c> windows no layer. Only a declared 0 agrees.
    /// </summary>
    public ConfigSetting NullMeansNone()
    {
        var copy = Copy();
        copy._nullMeansNone = true;
        return copy;
    }

    /// <summary>
    /// This number setting, compared also when the file states none of its keys, as <paramref name="value"/>: what every
    /// family's code reads then (<c>partial_rotary_factor</c>: 1, every float of a head rotates), or the one family's
    /// that a <c>model_type</c> setting beside it admits (Granite's <c>embedding_multiplier</c>: 1).
    /// </summary>
    public ConfigSetting MissingMeans(double value) => MissingMeansJson(value.ToString("R", CultureInfo.InvariantCulture));

    /// <summary>
    /// This text setting, compared also when the file states none of its keys, as <paramref name="value"/>: a file
    /// without <c>rope_scaling</c> (or with a null one) scales no rotary frequency, <c>"default"</c>.
    /// </summary>
    public ConfigSetting MissingMeans(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return MissingMeansJson("\"" + JsonEncodedText.Encode(value) + "\"");
    }

    /// <summary>
    /// This integer or real setting (made <see cref="NullMeansNone"/>), compared also when the file states none of its keys,
    /// as a null, none: the one family a <c>model_type</c> setting beside it admits defaults the key to none (Gemma 3's
    /// <c>attn_logit_softcapping</c> and <c>final_logit_softcapping</c>, where Gemma 2's mean 50 and 30). Only a declared 0
    /// agrees.
    /// </summary>
    public ConfigSetting MissingMeansNone() => MissingMeansJson("null");

    /// <summary>
    /// This number setting, compared also when a file whose <c>model_type</c> is <paramref name="modelType"/> states none
    /// of its keys, as <paramref name="value"/> (null: none, for a setting made <see cref="NullMeansNone"/>), whatever
    /// the setting reads a missing key as in other files: where a declaration admits files of several families that
    /// default the key differently (a Llama declaration's Mistral files, whose <c>sliding_window</c> MistralConfig
    /// defaults to 4096, where LlamaConfig has none).
    /// </summary>
    public ConfigSetting MissingMeansIn(string modelType, double? value)
    {
        ArgumentNullException.ThrowIfNull(modelType);
        var otherwise = _whenMissing;
        var missing = Json(value is double number ? number.ToString("R", CultureInfo.InvariantCulture) : "null");
        var copy = Copy();
        copy._whenMissing = config =>
            Lookup(config, ModelTypeKey) is { ValueKind: JsonValueKind.String } type && type.GetString() == modelType
                ? (missing, $"{missing.GetRawText()} for model_type \"{modelType}\"")
                : otherwise?.Invoke(config);
        return copy;
    }

    /// <summary>
    /// This setting, read in a file whose <c>model_type</c> is one of <paramref name="modelTypes"/> as if the file lacked
    /// its keys, whatever it states there: those families' models never read them (LlamaModel, GraniteModel and
    /// Olmo2Model window no layer, a stated <c>sliding_window</c> or not), so what the setting reads a missing key as in
    /// those files (set before or after, with <see cref="MissingMeansNone"/> or <see cref="MissingMeansIn"/>) is what
    /// their model does. A stated key is then not counted, and a mismatch names it and the family that ignores it. For a
    /// declaration admitting families of which some read the key and some do not (a Llama declaration's Mistral and
    /// Phi-3 files window by <c>sliding_window</c>, its Llama files not).
    /// </summary>
    public ConfigSetting IgnoredIn(params string[] modelTypes)
    {
        ArgumentNullException.ThrowIfNull(modelTypes);
        var copy = Copy();
        copy._ignoredIn = [.. _ignoredIn, .. modelTypes];
        return copy;
    }

    /// <summary>
    /// This setting, with what a missing key means (set before) read only when the file lacks <paramref name="key"/> too
    /// (or holds it null), from which the family reads what the setting checks otherwise: Gemma 3's configs derive the
    /// layers' kinds from <c>sliding_window_pattern</c> (6 when missing) only when <c>layer_types</c> does not list them,
    /// SmolLM3's the unrotated layers from <c>no_rope_layer_interval</c> (4 when missing) only without
    /// <c>no_rope_layers</c>.
    /// </summary>
    public ConfigSetting IfAlsoMissing(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var whenMissing = _whenMissing;
        var copy = Copy();
        copy._whenMissing = config =>
            Lookup(config, key) is { ValueKind: not JsonValueKind.Null } || whenMissing?.Invoke(config) is not var (value, means)
                ? null
                : (value, $"{means} (with {key} missing too)");
        return copy;
    }

    /// <summary>
    /// This boolean setting, compared also when the file states none of its keys, as <paramref name="value"/>: Qwen2's,
    /// Qwen3's and SmolLM3's configs read a missing <c>use_sliding_window</c> as false, windowing no layer.
    /// </summary>
    public ConfigSetting MissingMeans(bool value) => MissingMeansJson(value ? "true" : "false");

    /// <summary>
    /// This <see cref="LayerTypes"/> setting, compared also when the file lists no layers but windows some (holds
    /// <c>"use_sliding_window": true</c> and a <c>sliding_window</c> that is not null, or none, which these configs
    /// default to 4096), with the list Qwen2's and Qwen3's
    /// configs derive then: the layers from the file's <paramref name="key"/> (<c>max_window_layers</c>;
    /// <paramref name="whenMissing"/>, 28, when the file has none) on windowed, those before it not. For a family whose
    /// declarations window every layer or none: a list of both kinds is said to be one no declaration states.
    /// </summary>
    /// <exception cref="InvalidOperationException">This is not a <see cref="LayerTypes"/> setting.</exception>
    public ConfigSetting MissingMeansWindowedFrom(string key, int whenMissing)
    {
        ArgumentNullException.ThrowIfNull(key);
        return MissingMeansWindowed(windowWhenMissing: true, config =>
        {
            int? stated = Lookup(config, key) is { ValueKind: JsonValueKind.Number } value && value.TryGetInt32(out int first) ? first : null;
            int from = stated ?? whenMissing;
            return (layer => layer >= from, $"the layers from {key}, {(stated is null ? "missing and so " : "")}{from.ToString(CultureInfo.InvariantCulture)}, windowed");
        });
    }

    /// <summary>
    /// This <see cref="LayerTypes"/> setting, compared also when the file lists no layers but windows some (as
    /// <see cref="MissingMeansWindowedFrom"/> says, but a missing <c>sliding_window</c>, which SmolLM3's config defaults
    /// to None, windows nothing), with the list SmolLM3's config derives then: the layers that do not
    /// rotate windowed, those that do not, as the file's <paramref name="flagsKey"/> (<c>no_rope_layers</c>, 0 for a layer
    /// that does not) says or, without it, its <paramref name="intervalKey"/> (<c>no_rope_layer_interval</c>;
    /// <paramref name="intervalWhenMissing"/>, 4, when the file has none: every such layer unrotated). For a family whose
    /// declarations window every layer or none, as there.
    /// </summary>
    /// <exception cref="InvalidOperationException">This is not a <see cref="LayerTypes"/> setting.</exception>
    public ConfigSetting MissingMeansWindowedUnrotated(string flagsKey, string intervalKey, int intervalWhenMissing)
    {
        ArgumentNullException.ThrowIfNull(flagsKey);
        ArgumentNullException.ThrowIfNull(intervalKey);
        return MissingMeansWindowed(windowWhenMissing: false, config =>
        {
            if (Lookup(config, flagsKey) is { ValueKind: JsonValueKind.Array } flags)
            {
                // A 0 marks a layer that does not rotate; any other flag one that does.
                var unrotated = flags.EnumerateArray().Select(flag => flag.ValueKind == JsonValueKind.Number && flag.TryGetDouble(out double f) && f == 0).ToArray();
                return (layer => layer < unrotated.Length && unrotated[layer], $"the layers {flagsKey} leaves unrotated windowed");
            }

            int? stated = Lookup(config, intervalKey) is { ValueKind: JsonValueKind.Number } value && value.TryGetInt32(out int n) && n > 0 ? n : null;
            int interval = stated ?? intervalWhenMissing;
            return (layer => (layer + 1) % interval == 0,
                $"the layers {intervalKey}, {(stated is null ? "missing and so " : "")}{interval.ToString(CultureInfo.InvariantCulture)}, leaves unrotated windowed");
        });
    }

    /// <summary>
    /// This <see cref="LayerTypes"/> setting, with a missing list compared as <paramref name="derive"/> gives it from the
    /// file (which layers are windowed, and how the file says so) when the file windows, and not compared when it does not
    /// (the window's switch and size are compared on their own): a file without a window size windows when the family
    /// defaults it to one (<paramref name="windowWhenMissing"/>).
    /// </summary>
    private ConfigSetting MissingMeansWindowed(bool windowWhenMissing, Func<JsonElement, (Func<int, bool> Windowed, string How)> derive)
    {
        if (_layers is not int layers)
        {
            throw new InvalidOperationException($"Only a {nameof(LayerTypes)} setting lists layers to derive; {Option} is not one.");
        }

        var copy = Copy();
        copy._whenMissing = config =>
        {
            if (Lookup(config, WindowSwitch) is not { ValueKind: JsonValueKind.True }
                || Lookup(config, WindowSize) is { ValueKind: JsonValueKind.Null } || (!windowWhenMissing && Lookup(config, WindowSize) is null))
            {
                return null;
            }

            var (windowed, how) = derive(config);
            var types = Enumerable.Range(0, layers).Select(layer => LayerType(windowed(layer))).ToArray();
            using var list = JsonDocument.Parse("[" + string.Join(", ", types.Select(type => "\"" + type + "\"")) + "]");
            string mix = types.Distinct(StringComparer.Ordinal).Count() > 1 ? ": some layers and not others, which no declaration of the family states" : "";
            return (list.RootElement.Clone(), $"{list.RootElement.GetRawText()} ({how}{mix})");
        };
        return copy;
    }

    private ConfigSetting MissingMeansJson(string json)
    {
        var copy = Copy();
        copy._whenMissing = Means(json);
        return copy;
    }

    /// <summary>A missing key read as <paramref name="json"/>, whatever else the file states.</summary>
    private static Func<JsonElement, (JsonElement Value, string Means)?> Means(string json)
    {
        var value = Json(json);
        return _ => (value, value.GetRawText());
    }

    /// <summary><paramref name="json"/> as a value that outlives its document.</summary>
    private static JsonElement Json(string json)
    {
        using var parsed = JsonDocument.Parse(json);
        return parsed.RootElement.Clone();
    }

    /// <summary>This setting as it is, to change one thing of the copy.</summary>
    private ConfigSetting Copy() => (ConfigSetting)MemberwiseClone();

    /// <summary>Whether the file switches the feature this setting checks off, so that it is not compared, stated or missing.</summary>
    internal bool IsOff(JsonElement config) =>
        _offSwitch is not null && Lookup(config, _offSwitch) switch
        {
            { ValueKind: JsonValueKind.False } => true,
            null or { ValueKind: JsonValueKind.Null } => _offWhenMissing,
            _ => false,
        };

    /// <summary>
    /// The first key the file states (not null), and its value; none when the file switches the feature off, or its family
    /// ignores the keys (<see cref="IgnoredIn"/>).
    /// </summary>
    internal (string Key, JsonElement Value)? Find(JsonElement config) => IsOff(config) || IgnoringModelType(config) is not null ? null : Stated(config);

    /// <summary>
    /// The file's <c>model_type</c> when its family ignores this setting's keys (<see cref="IgnoredIn"/>), and the first
    /// of them the file states all the same, with its value; none when the file states none or its family reads them.
    /// </summary>
    internal (string ModelType, string Key, JsonElement Value)? Ignored(JsonElement config) =>
        !IsOff(config) && IgnoringModelType(config) is { } modelType && Stated(config) is var (key, value) ? (modelType, key, value) : null;

    /// <summary>The file's <c>model_type</c>, when it is one whose models ignore this setting's keys.</summary>
    private string? IgnoringModelType(JsonElement config) =>
        _ignoredIn.Length > 0 && Lookup(config, ModelTypeKey) is { ValueKind: JsonValueKind.String } type && _ignoredIn.Contains(type.GetString(), StringComparer.Ordinal)
            ? type.GetString()
            : null;

    /// <summary>The first key the file states (not null, unless a null is compared), and its value.</summary>
    private (string Key, JsonElement Value)? Stated(JsonElement config)
    {
        foreach (var key in _keys)
        {
            if (Lookup(config, key) is { } value && (value.ValueKind != JsonValueKind.Null || _nullMeansNone))
            {
                return (key, value);
            }
        }

        return null;
    }

    /// <summary>The value at <paramref name="key"/>, a name or a dotted path through nested objects.</summary>
    private static JsonElement? Lookup(JsonElement config, string key)
    {
        var value = config;
        foreach (var name in key.Split('.'))
        {
            if (value.ValueKind != JsonValueKind.Object || !value.TryGetProperty(name, out value))
            {
                return null;
            }
        }

        return value;
    }

    internal bool Agrees(JsonElement value) => _agrees(value);
}

/// <summary>A setting a config file states differently from the declaration.</summary>
/// <param name="Option">The declaration's option, e.g. <c>Heads</c>.</param>
/// <param name="Declared">Its declared value.</param>
/// <param name="Key">The config key that states it, e.g. <c>num_attention_heads</c>.</param>
/// <param name="InFile">The file's value, as written in the file.</param>
public sealed record ConfigMismatch(string Option, string Declared, string Key, string InFile);

/// <summary>
/// A model's config file disagrees with the declaration the weights are for: loading them would give wrong outputs.
/// <see cref="Mismatches"/> lists every disagreement.
/// </summary>
public sealed class ModelConfigMismatchException : Exception
{
    /// <summary>Creates the exception for <paramref name="declaration"/>'s <paramref name="mismatches"/>.</summary>
    public ModelConfigMismatchException(string declaration, IReadOnlyList<ConfigMismatch> mismatches)
        : base(Describe(declaration, mismatches))
    {
        Declaration = declaration;
        Mismatches = mismatches;
    }

    /// <summary>The declaring type's name.</summary>
    public string Declaration { get; }

    /// <summary>Every setting the file states differently.</summary>
    public IReadOnlyList<ConfigMismatch> Mismatches { get; }

    private static string Describe(string declaration, IReadOnlyList<ConfigMismatch> mismatches)
    {
        ArgumentNullException.ThrowIfNull(declaration);
        ArgumentNullException.ThrowIfNull(mismatches);
        return $"The config describes another model than {declaration} declares:" +
            string.Concat(mismatches.Select(m => $"\n  - {m.Option} = {m.Declared}, but the config's {m.Key} is {m.InFile}"));
    }
}
