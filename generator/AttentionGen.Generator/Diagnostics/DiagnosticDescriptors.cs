using System.Collections.Generic;
using System.Collections.Immutable;
using AttentionGen.Generator.Validation;
using Microsoft.CodeAnalysis;

namespace AttentionGen.Generator.Diagnostics;

/// <summary>
/// One descriptor per rule in <see cref="DiagnosticIds"/>. Each message takes exactly the arguments
/// the validator puts in <see cref="ValidationIssue.MessageArgs"/>, in the same order.
/// </summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "AttentionGen";

    /// <summary>Args: the class's full name.</summary>
    public static readonly DiagnosticDescriptor NotPartial = Error(
        DiagnosticIds.NotPartial,
        "Layer class must be partial",
        "'{0}' must be declared partial, and so must every type that contains it",
        "The generator adds the layer's constants, Forward methods and weights to the class you declare, which it can only do " +
        "when that class is partial. Add the 'partial' modifier to the class and to every class it is nested in.");

    /// <summary>Args: the class's full name.</summary>
    public static readonly DiagnosticDescriptor Generic = Error(
        DiagnosticIds.Generic,
        "Layer class cannot be generic",
        "'{0}' is generic or nested in a generic type, so the generator cannot specialize it on one shape",
        "A layer is specialized on compile-time constants, so its class cannot have type parameters. Remove the type " +
        "parameters, or move the class out of the generic type that contains it.");

    /// <summary>Args: the property name, then its value or "not set".</summary>
    public static readonly DiagnosticDescriptor NonPositiveDimension = Error(
        DiagnosticIds.NonPositiveDimension,
        "Layer dimension must be positive",
        "{0} must be greater than 0, but it is {1}",
        "Required dimensions (Heads, MaxSeqLen, ModelDim on [MultiHeadAttention], HeadDim on [ScaledDotProductAttention], " +
        "InputDim, MaxSeqLen and OutputDim on [AttentionPooling]) must be set to a positive number. Optional ones (KvHeads, " +
        "HeadDim on [MultiHeadAttention], MaxKvSeqLen, KvInputDim) may be left out or set to 0 for their default, but " +
        "cannot be negative.");

    /// <summary>Args: ModelDim, Heads.</summary>
    public static readonly DiagnosticDescriptor ModelDimNotDivisibleByHeads = Error(
        DiagnosticIds.ModelDimNotDivisibleByHeads,
        "ModelDim must be divisible by Heads",
        "ModelDim {0} is not divisible by Heads {1}, so the default HeadDim (ModelDim / Heads) is not a whole number",
        "Without an explicit HeadDim each head is ModelDim / Heads wide, which must be a whole number. Change ModelDim or " +
        "Heads so that Heads divides ModelDim, or set HeadDim explicitly.");

    /// <summary>Args: Heads, KvHeads.</summary>
    public static readonly DiagnosticDescriptor HeadsNotDivisibleByKvHeads = Error(
        DiagnosticIds.HeadsNotDivisibleByKvHeads,
        "Heads must be divisible by KvHeads",
        "Heads {0} is not divisible by KvHeads {1}, so the query heads cannot be split evenly among the key/value heads",
        "In grouped-query attention every key/value head serves the same number of query heads, Heads / KvHeads. Choose a " +
        "KvHeads that divides Heads (1 gives multi-query attention), or leave KvHeads out to give every query head its own.");

    /// <summary>Args: the scale as written.</summary>
    public static readonly DiagnosticDescriptor InvalidScale = Error(
        DiagnosticIds.InvalidScale,
        "Scale must be 0 or a positive finite number",
        "Scale must be 0 (for the default 1/√HeadDim) or a positive finite number, but it is {0}",
        "Scale multiplies Q·Kᵀ before the softmax. Leave it out or set it to 0 for the standard 1/√HeadDim, or set a " +
        "positive finite value; negative values, NaN and infinities are rejected.");

    /// <summary>Args: the softcap as written.</summary>
    public static readonly DiagnosticDescriptor InvalidSoftcap = Error(
        DiagnosticIds.InvalidSoftcap,
        "Softcap must be 0 or a positive finite number",
        "Softcap must be 0 (off) or a positive finite number, but it is {0}",
        "Softcap bounds the attention logits with Softcap·tanh(score/Softcap). Leave it out or set it to 0 to turn it off, " +
        "or set a positive finite value such as 30 or 50; negative values, NaN and infinities are rejected.");

    /// <summary>Args: the class's full name, the number of layer attributes.</summary>
    public static readonly DiagnosticDescriptor MultipleLayerAttributes = Error(
        DiagnosticIds.MultipleLayerAttributes,
        "A class can declare only one layer",
        "'{0}' has {1} layer attributes, but a class can declare only one layer",
        "Each layer attribute generates a complete class body (constants, Forward, weights), so two on one class would " +
        "collide. Keep one attribute and declare each other layer on its own partial class.");

    /// <summary>Args: the head width, the widest head the tiles take.</summary>
    public static readonly DiagnosticDescriptor HeadTooWideForTiles = new(
        DiagnosticIds.HeadTooWideForTiles,
        "Head too wide for register tiles",
        "A head of {0} floats is wider than {1}, the widest the register tiles take; every call runs row by row, which is slower for long sequences",
        Category,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "The tiled kernels keep a head's packed keys and six query rows in L1 together, which stops working past this " +
            "width. The layer still works, row by row, which suits decoding but is slower for long prompts. Use a narrower " +
            "HeadDim (more heads) if speed matters, or suppress the warning if it does not.");

    /// <summary>Args: the class's full name.</summary>
    public static readonly DiagnosticDescriptor StaticClass = Error(
        DiagnosticIds.StaticClass,
        "Layer class cannot be static",
        "'{0}' is static, but a layer holds its weights and scratch in instance fields",
        "Each layer instance owns its scratch buffers (and weights), and Forward is an instance method, so the class must " +
        "be instantiable. Remove the 'static' modifier.");

    /// <summary>Args: the class's full name.</summary>
    public static readonly DiagnosticDescriptor FileLocalType = Error(
        DiagnosticIds.FileLocalType,
        "Layer class cannot be file-local",
        "'{0}' is a file-local type, which the generated code in its own file cannot extend",
        "A 'file' type is visible only in the file that declares it, and C# does not let another file add to it, so the " +
        "generator cannot add the layer's members. Make the class internal (or nest it in a private class) instead.");

    /// <summary>Args: the type's full name, what about it the generated part cannot complete.</summary>
    public static readonly DiagnosticDescriptor UnconstructibleType = Error(
        DiagnosticIds.UnconstructibleType,
        "Layer type cannot be completed as declared",
        "'{0}' {1}",
        "Each instance owns its scratch, and a layer with weights gets a constructor taking them. A record's copies would " +
        "share the original's scratch (two copies running at once would corrupt each other's results without an error); a " +
        "primary constructor, a base class without a parameterless constructor (a layer with weights among them), or a " +
        "constructor of your own taking the Weights leaves the generated constructor nothing it can call, or declares it " +
        "twice. Declare the layer as a plain class; to derive from another class, give that class a parameterless constructor.");

    /// <summary>Args: the class's full name, the project's C# version, the minimum.</summary>
    public static readonly DiagnosticDescriptor LanguageVersionTooLow = Error(
        DiagnosticIds.LanguageVersionTooLow,
        "C# version too old for AttentionGen",
        "'{0}' is compiled as C# {1}, but AttentionGen's generated code needs C# {2} or later",
        "The generated layers use static abstract interface members and collection expressions. Raise <LangVersion> in the " +
        "project (or remove it: the .NET 8 SDK and later default to C# 12 or newer).");

    /// <summary>Args: the member name, the class's full name.</summary>
    public static readonly DiagnosticDescriptor MemberNameCollision = Error(
        DiagnosticIds.MemberNameCollision,
        "Member name is generated by AttentionGen",
        "'{0}' is also declared by the code AttentionGen generates for '{1}'; rename it",
        "The generated part of a layer class declares its constants (Heads, Scale, …), Forward, the weights API and its " +
        "private scratch. A member of the same name in your part of the class, or a class named like one of them, would not " +
        "compile, so nothing is generated until it is renamed.");

    /// <summary>Args: MiB per instance, the largest buffer's description, its floats, the ceiling in GiB.</summary>
    public static readonly DiagnosticDescriptor ShapeTooLarge = Error(
        DiagnosticIds.ShapeTooLarge,
        "Shape too large",
        "This shape would take {0} MiB per instance; {1} alone needs {2} floats (the limits are one .NET array per buffer and {3} GiB per instance)",
        "Every buffer a layer uses must fit one .NET array (about 2.1 billion floats), and an instance's scratch and weights " +
        "together must stay under the stated ceiling. A shape past either is almost always a typo in a bound such as " +
        "MaxSeqLen; lower the argument the diagnostic points at.");

    /// <summary>Args: the class's full name, what went wrong.</summary>
    public static readonly DiagnosticDescriptor GeneratorFailure = new(
        DiagnosticIds.GeneratorFailure,
        "AttentionGen could not generate a layer",
        "AttentionGen could not generate '{0}': {1}",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "The generator failed on this declaration, which is a bug in AttentionGen; please report it with the " +
            "declaration. Other layers in the project are still generated.");

    /// <summary>Args: the property, its value as written, and what it must be.</summary>
    public static readonly DiagnosticDescriptor OptionOutOfRange = Error(
        DiagnosticIds.OptionOutOfRange,
        "Option out of range",
        "{0} is {1}, but it must be {2}",
        "An option of a transformer attribute has a value the generator cannot build: a norm epsilon that is negative or " +
        "not finite, a batch size smaller than one sequence, a sequence longer than the position table, or an enum value " +
        "that names no member. The message says what the value must be.");

    public static ImmutableArray<DiagnosticDescriptor> All { get; } = ImmutableArray.Create(
        NotPartial,
        Generic,
        NonPositiveDimension,
        ModelDimNotDivisibleByHeads,
        HeadsNotDivisibleByKvHeads,
        InvalidScale,
        InvalidSoftcap,
        MultipleLayerAttributes,
        HeadTooWideForTiles,
        StaticClass,
        FileLocalType,
        LanguageVersionTooLow,
        MemberNameCollision,
        ShapeTooLarge,
        GeneratorFailure,
        OptionOutOfRange,
        UnconstructibleType);

    private static readonly Dictionary<string, DiagnosticDescriptor> ById = CreateIndex();

    /// <summary>The descriptor for a <see cref="ValidationIssue.Id"/>.</summary>
    public static DiagnosticDescriptor For(string id) => ById[id];

    private static Dictionary<string, DiagnosticDescriptor> CreateIndex()
    {
        var index = new Dictionary<string, DiagnosticDescriptor>();
        foreach (var descriptor in All)
        {
            index.Add(descriptor.Id, descriptor);
        }

        return index;
    }

    private static DiagnosticDescriptor Error(string id, string title, string message, string description) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true, description: description);
}
