using System.Globalization;
using System.Reflection;
using AttentionGen.Generator.Layers;
using AttentionGen.Testing;

namespace AttentionGen.Generator.Tests;

/// <summary>
/// Every layer attribute the runtime ships has a definition, and every one of its properties a spec property of the
/// same name and type, so no option can be ignored silently; an attribute property the spec lacks is a generator
/// failure reported on the declaration (AGEN0015), never a silent default.
/// </summary>
public sealed class AttributeSpecTests
{
    private static readonly Type[] LayerAttributes = typeof(MultiHeadAttentionAttribute).Assembly.GetTypes()
        .Where(t => t.IsSubclassOf(typeof(Attribute)) && !t.IsAbstract && t.Namespace == "AttentionGen" && t.Name.EndsWith("Attribute", StringComparison.Ordinal)
            && t.GetCustomAttribute<AttributeUsageAttribute>()?.ValidOn == AttributeTargets.Class)
        .ToArray();

    [Fact]
    public void EveryLayerAttribute_HasADefinition_AndEveryPropertyASpecPropertyOfTheSameType()
    {
        Assert.Equal(LayerDefinitions.All.Length, LayerAttributes.Length);
        foreach (var attribute in LayerAttributes)
        {
            var definition = LayerDefinitions.Find(attribute.FullName!);
            Assert.True(definition is not null, $"{attribute.Name} has no layer definition.");
            var spec = definition.GetType().BaseType!.GetGenericArguments()[0];
            foreach (var property in attribute.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
            {
                var specProperty = spec.GetProperty(property.Name);
                Assert.True(specProperty is not null, $"{spec.Name} has no {property.Name} for [{attribute.Name}].");
                var attributeDefault = property.GetValue(Activator.CreateInstance(attribute));
                var specDefault = specProperty.GetValue(Activator.CreateInstance(spec));
                if (property.PropertyType.IsEnum)
                {
                    // The generator cannot reference the runtime, so it mirrors each enum: the same members and values.
                    Assert.True(specProperty.PropertyType.IsEnum, $"{spec.Name}.{property.Name} should mirror {property.PropertyType.Name}.");
                    Assert.Equal(property.PropertyType.Name, specProperty.PropertyType.Name);
                    Assert.Equal(Members(property.PropertyType), Members(specProperty.PropertyType));
                    Assert.Equal(Convert.ToInt32(attributeDefault, CultureInfo.InvariantCulture), Convert.ToInt32(specDefault, CultureInfo.InvariantCulture));
                    continue;
                }

                Assert.Equal(property.PropertyType, specProperty.PropertyType);

                // The defaults agree too: the attribute's default is what the generator assumes when it is not written.
                Assert.Equal(attributeDefault, specDefault);
            }
        }
    }

    private static IEnumerable<(string Name, int Value)> Members(Type enumType) =>
        Enum.GetNames(enumType).Select(name => (name, Convert.ToInt32(Enum.Parse(enumType, name), CultureInfo.InvariantCulture)));

    [Fact]
    public void AnAttributePropertyTheSpecLacks_IsAGeneratorFailureOnThatDeclarationOnly()
    {
        // A stand-in attribute with the runtime's metadata name and one property more, as a newer runtime might ship.
        var result = GeneratorHarness.Run("""
            namespace AttentionGen
            {
                [System.AttributeUsage(System.AttributeTargets.Class)]
                public sealed class AttentionPoolingAttribute : System.Attribute
                {
                    public int InputDim { get; set; }
                    public int MaxSeqLen { get; set; }
                    public int OutputDim { get; set; }
                    public int Dropout { get; set; }
                }
            }

            namespace Tests
            {
                [AttentionGen.AttentionPooling(InputDim = 8, MaxSeqLen = 4, OutputDim = 2, Dropout = 1)]
                public partial class Pool;

                [AttentionGen.ScaledDotProductAttention(Heads = 2, HeadDim = 8, MaxSeqLen = 4)]
                public partial class Core;
            }
            """);

        var failure = Assert.Single(result.GeneratorDiagnostics, d => d.Id == "AGEN0015");
        Assert.Contains("'Dropout'", failure.GetMessage());
        Assert.Equal(["Tests.Core.g.cs"], result.GeneratedSources.Select(s => s.HintName));
    }
}
