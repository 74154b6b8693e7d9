using System.Collections.Generic;
using System.Collections.Immutable;

namespace AttentionGen.Generator.Layers;

/// <summary>Every layer attribute the generator understands. A new kind is one more entry here.</summary>
internal static class LayerDefinitions
{
    public static ImmutableArray<LayerDefinition> All { get; } = ImmutableArray.Create<LayerDefinition>(
        new ScaledDotProductAttentionLayer(),
        new MultiHeadAttentionLayer(),
        new AttentionPoolingLayer(),
        new TransformerBlockLayer(),
        new TransformerEncoderLayer(),
        new TransformerDecoderLayer());

    private static readonly Dictionary<string, LayerDefinition> ByMetadataName = CreateIndex();

    /// <summary>The definition for an attribute's metadata name, or null when it is not a layer attribute.</summary>
    public static LayerDefinition? Find(string attributeMetadataName) =>
        ByMetadataName.TryGetValue(attributeMetadataName, out var definition) ? definition : null;

    /// <summary>The definition that made <paramref name="plan"/>.</summary>
    public static LayerDefinition Of(LayerPlan plan) => ByMetadataName[plan.AttributeMetadataName];

    private static Dictionary<string, LayerDefinition> CreateIndex()
    {
        var index = new Dictionary<string, LayerDefinition>();
        foreach (var definition in All)
        {
            index.Add(definition.AttributeMetadataName, definition);
        }

        return index;
    }
}
