using System;
using System.Reflection;
using AttentionGen.Generator.Layers;
using Microsoft.CodeAnalysis;

namespace AttentionGen.Generator.Parsing;

/// <summary>
/// Reads an attribute's named arguments onto a spec record, matching each argument to the spec property of the same
/// name. This is the one place arguments are read: adding an option to an attribute means adding the property of the
/// same name to its spec, and nothing here.
/// </summary>
internal static class AttributeReader
{
    /// <exception cref="InvalidOperationException">
    /// The attribute has a property its spec lacks (or of another type): the runtime and the generator disagree, which
    /// is a bug in AttentionGen, never silently ignored. The generator turns it into a diagnostic on that declaration.
    /// </exception>
    public static TSpec Read<TSpec>(AttributeData attribute, string attributeName)
        where TSpec : LayerSpec, new()
    {
        var spec = new TSpec();
        foreach (var argument in attribute.NamedArguments)
        {
            var property = typeof(TSpec).GetProperty(argument.Key, BindingFlags.Public | BindingFlags.Instance);
            if (property is null || !property.CanWrite)
            {
                throw new InvalidOperationException(
                    $"[{attributeName}] has a property '{argument.Key}' that the generator does not read ({typeof(TSpec).Name} has no such property).");
            }

            // An argument the compiler could not bind (a type error in the user's code) is the compiler's to report.
            if (argument.Value.Kind == TypedConstantKind.Error || argument.Value.Value is not { } value)
            {
                continue;
            }

            // An enum argument arrives as its underlying value; the spec mirrors the runtime's enum with the same members.
            if (property.PropertyType.IsEnum && value.GetType() == Enum.GetUnderlyingType(property.PropertyType))
            {
                value = Enum.ToObject(property.PropertyType, value);
            }

            if (value.GetType() != property.PropertyType)
            {
                throw new InvalidOperationException(
                    $"[{attributeName}] property '{argument.Key}' is a {value.GetType().Name}, but {typeof(TSpec).Name}.{argument.Key} is a {property.PropertyType.Name}.");
            }

            // The spec is new and not yet shared, so setting its init-only property here is safe.
            property.SetValue(spec, value);
        }

        return spec;
    }
}
