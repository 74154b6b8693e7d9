using System.Collections.Generic;
using System.Collections.Immutable;
using AttentionGen.Generator.Validation;
using Microsoft.CodeAnalysis;

namespace AttentionGen.Generator.Diagnostics;

/// <summary>
/// One descriptor per rule in <see cref="DiagnosticIds"/>. Each message takes exactly the arguments
/// <see cref="LayerValidator"/> puts in <see cref="ValidationIssue.MessageArgs"/>, in the same order.
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

    /// <summary>Args: the row width, the largest width the emitter unrolls.</summary>
    public static readonly DiagnosticDescriptor ShapeTooLargeToUnroll = new(
        DiagnosticIds.ShapeTooLargeToUnroll,
        "Row too wide to unroll",
        "A row width of {0} is wider than {1}, the widest the generator unrolls within the JIT's method-size limits; it emits slower looped kernels instead",
        Category,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "Fully unrolled kernels keep a whole row in registers, but past this width the methods would grow so large " +
            "that the JIT stops optimizing them. The layer still works, with looped kernels that are somewhat slower. Use a " +
            "narrower HeadDim (more heads) or InputDim if speed matters, or suppress the warning if it does not.");

    public static ImmutableArray<DiagnosticDescriptor> All { get; } = ImmutableArray.Create(
        NotPartial,
        Generic,
        NonPositiveDimension,
        ModelDimNotDivisibleByHeads,
        HeadsNotDivisibleByKvHeads,
        InvalidScale,
        InvalidSoftcap,
        MultipleLayerAttributes,
        ShapeTooLargeToUnroll);

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
