using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using AttentionGen.Generator.Components.AttentionCore;
using AttentionGen.Generator.Layers;
using static AttentionGen.Generator.Emit.Names;

namespace AttentionGen.Generator.Emit;

/// <summary>
/// <c>CheckConfig</c>: a model's Hugging Face <c>config.json</c> compared with the options its declaration fixes, through
/// the runtime's <c>HuggingFaceConfig</c>. The layers say which options and under which keys; each option is passed as
/// the generated constant of its name where there is one.
/// </summary>
internal static class ConfigCheckEmitter
{
    public static readonly string[] Members = { "CheckConfig", "CreateConfigSettings" };

    /// <summary>The members a pooled encoder has besides <see cref="Members"/>.</summary>
    public static readonly string[] SentenceTransformersMembers = { "CheckSentenceTransformersModel" };

    /// <summary>An integer option held in the constant of its name.</summary>
    public static string Integer(string option, params string[] keys) => $"{ConfigSetting}.Integer(\"{option}\", {option}, {Keys(keys)})";

    /// <summary>A float option held in the constant of its name.</summary>
    public static string Real(string option, params string[] keys) => RealOf(option, option, keys);

    /// <summary>A float option given as an expression of the constants (<paramref name="value"/>).</summary>
    public static string RealOf(string option, string value, params string[] keys) => $"{ConfigSetting}.Real(\"{option}\", {value}, {Keys(keys)})";

    /// <summary>A boolean option held in the constant of its name.</summary>
    public static string Boolean(string option, params string[] keys) => BooleanOf(option, option, keys);

    /// <summary>A boolean option given as an expression of the constants, or a literal (<paramref name="value"/>).</summary>
    public static string BooleanOf(string option, string value, params string[] keys) => $"{ConfigSetting}.Boolean(\"{option}\", {value}, {Keys(keys)})";

    /// <summary>
    /// An integer option held in the constant of its name, which the config's value must not be below (see the runtime's
    /// <c>ConfigSetting.AtLeast</c>).
    /// </summary>
    public static string AtLeast(string option, params string[] keys) => $"{ConfigSetting}.AtLeast(\"{option}\", {option}, {Keys(keys)})";

    /// <summary>
    /// <paramref name="setting"/>, compared only when the config holds <c>true</c> under <paramref name="key"/> (false,
    /// missing or null switch it off; see the runtime's <c>ConfigSetting.UnlessOff</c>): only for a family whose config
    /// reads the key.
    /// </summary>
    public static string UnlessSwitchedOn(string setting, string key) => $"{setting}.UnlessOff(\"{key}\", missingMeans: false)";

    /// <summary>
    /// <paramref name="setting"/> (an integer or real option), compared also when the config holds null there, which
    /// transformers reads as none (see the runtime's <c>ConfigSetting.NullMeansNone</c>).
    /// </summary>
    public static string NullMeansNone(string setting) => setting + ".NullMeansNone()";

    /// <summary>
    /// <paramref name="setting"/>, compared as <paramref name="value"/> (a C# literal: a number, a string for a text
    /// option, or a boolean) when the config states none of its keys, every family reading it so, or the one family the declaration's
    /// <c>model_type</c> setting admits (see the runtime's <c>ConfigSetting.MissingMeans</c>).
    /// </summary>
    public static string MissingMeans(string setting, string value) => $"{setting}.MissingMeans({value})";

    /// <summary>
    /// <paramref name="setting"/> (an integer or real option compared as none when null), compared as none also when the
    /// config states none of its keys, as the one family the declaration's <c>model_type</c> setting admits reads it (see
    /// the runtime's <c>ConfigSetting.MissingMeansNone</c>).
    /// </summary>
    public static string MissingMeansNone(string setting) => setting + ".MissingMeansNone()";

    /// <summary>
    /// <paramref name="setting"/> (a number option), compared as <paramref name="value"/> (a C# literal, <c>null</c> for none)
    /// when a config whose <c>model_type</c> is <paramref name="modelType"/> states none of its keys, whatever a missing
    /// key means in other files: for a declaration admitting several families (see the runtime's
    /// <c>ConfigSetting.MissingMeansIn</c>).
    /// </summary>
    public static string MissingMeansIn(string setting, string modelType, string value) => $"{setting}.MissingMeansIn(\"{modelType}\", {value})";

    /// <summary>
    /// <paramref name="setting"/>, read in configs whose <c>model_type</c> is one of <paramref name="modelTypes"/> as if they
    /// lacked its keys, whatever they state: those families' models never read them (see the runtime's
    /// <c>ConfigSetting.IgnoredIn</c>).
    /// </summary>
    public static string IgnoredIn(string setting, IEnumerable<string> modelTypes) => $"{setting}.IgnoredIn({Keys(modelTypes)})";

    /// <summary>
    /// <paramref name="setting"/>, with what a missing key means read only when the config lacks <paramref name="key"/>
    /// too, which its family reads instead (see the runtime's <c>ConfigSetting.IfAlsoMissing</c>).
    /// </summary>
    public static string IfAlsoMissing(string setting, string key) => $"{setting}.IfAlsoMissing(\"{key}\")";

    /// <summary>Which layers are windowed (the generated <c>IsWindowed</c>), against a config's per-layer list <paramref name="key"/>.</summary>
    public static string LayerTypes(string option, string key) => $"{ConfigSetting}.LayerTypes(\"{option}\", Layers, IsWindowed, {Keys(new[] { key })})";

    /// <summary>
    /// A <see cref="LayerTypes"/> <paramref name="setting"/> compared also when the config lists no layers but windows, with
    /// the list Qwen2 and Qwen3 derive: the layers from <paramref name="key"/> (<c>max_window_layers</c>; <paramref name="whenMissing"/>
    /// when the config has none) on windowed (see the runtime's <c>ConfigSetting.MissingMeansWindowedFrom</c>).
    /// </summary>
    public static string MissingMeansWindowedFrom(string setting, string key, int whenMissing) =>
        $"{setting}.MissingMeansWindowedFrom(\"{key}\", {whenMissing.ToString(CultureInfo.InvariantCulture)})";

    /// <summary>
    /// A <see cref="LayerTypes"/> <paramref name="setting"/> compared also when the config lists no layers but windows, with
    /// the list SmolLM3 derives: the layers that do not rotate windowed, as <paramref name="flagsKey"/> or else
    /// <paramref name="intervalKey"/> (<paramref name="intervalWhenMissing"/> when the config has none) says (see the
    /// runtime's <c>ConfigSetting.MissingMeansWindowedUnrotated</c>).
    /// </summary>
    public static string MissingMeansWindowedUnrotated(string setting, string flagsKey, string intervalKey, int intervalWhenMissing) =>
        $"{setting}.MissingMeansWindowedUnrotated(\"{flagsKey}\", \"{intervalKey}\", {intervalWhenMissing.ToString(CultureInfo.InvariantCulture)})";

    /// <summary>Which layers <paramref name="predicate"/> (a generated <c>static bool (int layer)</c>) holds for, against a config's per-layer list of 1 and 0.</summary>
    public static string LayerFlags(string option, string predicate, string key) => $"{ConfigSetting}.LayerFlags(\"{option}\", Layers, {predicate}, {Keys(new[] { key })})";

    /// <summary>A text option the declaration fixes to <paramref name="declared"/>, which the config states as one of <paramref name="accepted"/>.</summary>
    public static string Text(string option, string declared, string[] accepted, params string[] keys) =>
        $"{ConfigSetting}.Text(\"{option}\", \"{declared}\", [{Keys(accepted)}], {Keys(keys)})";

    /// <summary>
    /// An option the declaration sets otherwise than every file of its family can, the family's code fixing it with no
    /// key to state it (<paramref name="declared"/> says what the family has): refused against any <c>model_type</c>.
    /// </summary>
    public static string FamilyFixes(string option, string declared) => Text(option, declared, new string[0], "model_type");

    /// <summary>A declared number as the runtime writes a float option (<c>"R"</c>).</summary>
    public static string Number(float value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>
    /// The scores' scale in a family that fixes it at 1/√head_dim (<paramref name="orOne"/>: or at 1, as GPT-2's
    /// <c>scale_attn_weights</c> may say): nothing when <paramref name="core"/>'s is that, a <see cref="FamilyFixes"/> otherwise.
    /// </summary>
    public static IEnumerable<string> FixedScale(AttentionCorePlan core, bool orOne)
    {
        double expected = 1.0 / Math.Sqrt(core.HeadDim);
        if (Math.Abs(core.Scale - expected) <= 1e-6 * expected || (orOne && core.Scale == 1f))
        {
            yield break;
        }

        yield return FamilyFixes("Scale", Number(core.Scale)
            + (orOne ? " (the family's is 1/√HeadDim or 1)" : " (the family's is 1/√HeadDim)"));
    }

    /// <summary>The activation, which configs name by the function their MLP applies (a gated one by its gate's).</summary>
    public static string Activation(ActivationKind activation, params string[] keys)
    {
        var names = activation switch
        {
            ActivationKind.Gelu => new[] { "gelu" },
            ActivationKind.GeluTanh or ActivationKind.GeGluTanh => new[] { "gelu_new", "gelu_pytorch_tanh" },
            ActivationKind.Relu => new[] { "relu" },
            _ => new[] { "silu", "swish" }, // SiLU, and SwiGLU's gate
        };
        return Text("Activation", activation.ToString(), names, keys);
    }

    public static void Emit(SourceWriter w, string className, IReadOnlyList<string> settings)
    {
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// Checks the model's Hugging Face <c>config.json</c> against this declaration: every option below that the file states must");
        w.Line("/// agree. Weights alone cannot tell some shapes apart (twelve heads of 32 have the same matrices as six of 64; an epsilon or a");
        w.Line("/// rotary base has no tensor), so call this before loading a checkpoint made elsewhere.");
        w.Line("/// </summary>");
        w.Line("/// <param name=\"configJsonPath\">The <c>config.json</c> beside the checkpoint.</param>");
        w.Line("/// <returns>How many of the options the file stated (keys it lacks, or holds as null, are not counted).</returns>");
        w.Line($"/// <exception cref=\"{ModelConfigMismatchException}\">The file states an option differently; the message lists every one.</exception>");
        w.Line("/// <exception cref=\"global::System.IO.InvalidDataException\">The file is not a JSON object.</exception>");
        w.Line($"public static int CheckConfig(string configJsonPath) => {HuggingFaceConfig}.Check(configJsonPath, \"{className}\", CreateConfigSettings());");
        w.Line();
        w.Line("/// <summary>The options this declaration fixes, each with the <c>config.json</c> keys that state it.</summary>");
        w.Line($"private static {ConfigSetting}[] CreateConfigSettings() =>");
        w.Line("[");
        foreach (var setting in settings)
        {
            w.Line("    " + setting + ",");
        }

        w.Line("];");
    }

    /// <summary>
    /// <c>CheckSentenceTransformersModel</c>, for a pooled encoder: a sentence-transformers model folder's config.json (the
    /// settings <see cref="Emit"/> listed), its modules.json and its Pooling module's config (the <paramref name="poolingSettings"/>).
    /// </summary>
    public static void EmitSentenceTransformers(SourceWriter w, string className, bool normalize, IReadOnlyList<string> poolingSettings)
    {
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// Checks a sentence-transformers model folder (as it saves one, and as the Hugging Face hub serves it) against this");
        w.Line("/// declaration: its <c>config.json</c> as <see cref=\"CheckConfig\"/> does, its <c>modules.json</c> (Transformer, Pooling" +
            (normalize ? ", Normalize" : "") + " and");
        w.Line("/// nothing else: a Dense projection after pooling is another model), its Pooling module's <c>config.json</c> (the pooling");
        w.Line("/// mode and width) and its <c>sentence_bert_config.json</c> (<c>max_seq_length</c>, where sentence-transformers cuts a text,");
        w.Line("/// against <see cref=\"MaxSeqLen\"/>). How a model pools has no tensor: one that pools another way loads and gives other");
        w.Line("/// embeddings.");
        w.Line("/// </summary>");
        w.Line("/// <param name=\"modelDirectory\">The model's folder.</param>");
        w.Line("/// <returns>How many options the files stated (keys they lack, or hold as null, are not compared), the module list counting as one.</returns>");
        w.Line($"/// <exception cref=\"{ModelConfigMismatchException}\">The folder describes another model; the message lists every difference.</exception>");
        w.Line("/// <exception cref=\"global::System.IO.FileNotFoundException\">A file is missing.</exception>");
        w.Line("/// <exception cref=\"global::System.IO.InvalidDataException\">A file is not what sentence-transformers writes.</exception>");
        w.Line($"public static int CheckSentenceTransformersModel(string modelDirectory) => {SentenceTransformersConfig}.Check(modelDirectory, \"{className}\", {Literals.Bool(normalize)}, MaxSeqLen, CreateConfigSettings(),");
        for (int i = 0; i < poolingSettings.Count; i++)
        {
            w.Line("    " + poolingSettings[i] + (i < poolingSettings.Count - 1 ? "," : ");"));
        }
    }

    private static string Keys(IEnumerable<string> keys) => string.Join(", ", keys.Select(k => $"\"{k}\""));
}
