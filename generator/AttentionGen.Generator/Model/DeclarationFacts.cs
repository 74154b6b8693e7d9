namespace AttentionGen.Generator.Model;

/// <summary>
/// What validation needs to know about the declared type besides its attribute: everything that would make the
/// generated part fail to compile. Only primitives, so the model stays equatable.
/// </summary>
/// <param name="IsPartial">The type and every type enclosing it are partial.</param>
/// <param name="IsGeneric">The type or an enclosing type has type parameters.</param>
/// <param name="IsStatic">A static class cannot hold the instance state a layer needs.</param>
/// <param name="IsFileLocal">A <c>file</c> type cannot be extended from another file, which is where generated code lives.</param>
/// <param name="LayerAttributeCount">How many layer attributes the type carries.</param>
/// <param name="LanguageVersion">The project's C# version as a number (12 for C# 12), for the minimum the generated code needs.</param>
/// <param name="CollidingMembers">The user's members (or the type's own name) that the generated part would declare again.</param>
/// <param name="HiddenBaseMembers">Generated names a base class also has, visible here (a layer deriving from a layer): they hide the base's.</param>
/// <param name="IsRecord">A record's copies (<c>with</c>, its copy constructor) would share the original's scratch.</param>
/// <param name="HasPrimaryConstructor">A parameter list on the type: every constructor, the generated one too, would have to call it.</param>
/// <param name="BaseWithoutParameterlessConstructor">
/// The base class, when the generated constructor could not call it: it has constructors (its own, or the one the
/// generator gives a layer with weights) and none takes no arguments; null otherwise.
/// </param>
/// <param name="DeclaresWeightsConstructor">The user declares a constructor taking only the layer's <c>Weights</c>, as the generated part does.</param>
internal sealed record DeclarationFacts(
    bool IsPartial,
    bool IsGeneric,
    bool IsStatic,
    bool IsFileLocal,
    int LayerAttributeCount,
    int LanguageVersion,
    EquatableArray<string> CollidingMembers,
    EquatableArray<string> HiddenBaseMembers,
    bool IsRecord = false,
    bool HasPrimaryConstructor = false,
    string? BaseWithoutParameterlessConstructor = null,
    bool DeclaresWeightsConstructor = false);
