using AttentionGen.Generator.Layers;

namespace AttentionGen.Generator.Model;

/// <summary>
/// One declaration as the pipeline carries it: where it goes, what the attribute said (a kind-specific
/// <see cref="LayerSpec"/>), and the facts validation needs. No Roslyn symbols, syntax or locations, so the incremental
/// pipeline can compare and cache it. <see cref="InternalError"/> is set when the generator itself failed on this
/// declaration; it becomes a diagnostic, and every other declaration is still generated.
/// </summary>
internal sealed record LayerModel(TypeDeclaration Declaration, DeclarationFacts Facts, LayerSpec Spec, string? InternalError = null);
