namespace AttentionGen;

/// <summary>
/// Loading and saving a generated layer's parameters through safetensors files, written once: the generated code supplies its parameter list and
/// a lookup from a parameter's name to its storage.
/// </summary>
public static class WeightFiles
{
    /// <summary>The storage of the parameter called <paramref name="name"/>.</summary>
    public delegate Span<float> TensorLookup(string name);

    /// <summary>
    /// Loads every parameter from <paramref name="file"/>, named <paramref name="prefix"/> + its name, into the storage
    /// <paramref name="tensor"/> returns. Every tensor is checked before any is copied, so a failed load changes nothing.
    /// </summary>
    /// <exception cref="WeightLoadException">A tensor is missing, has the wrong shape or an unsupported dtype.</exception>
    public static void Load(SafeTensors file, string prefix, IReadOnlyList<ParameterSpec> parameters, TensorLookup tensor)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(tensor);
        var found = new TensorInfo[parameters.Count];
        for (int i = 0; i < found.Length; i++)
        {
            found[i] = file.Require(prefix + parameters[i].Name, parameters[i].ShapeSpan);
        }

        for (int i = 0; i < found.Length; i++)
        {
            file.CopyTo(found[i], tensor(parameters[i].Name));
        }
    }

    /// <summary>Adds every parameter to <paramref name="writer"/> as F32, named <paramref name="prefix"/> + its name.</summary>
    public static void Save(SafeTensorsWriter writer, string prefix, IReadOnlyList<ParameterSpec> parameters, TensorLookup tensor)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(tensor);
        foreach (var parameter in parameters)
        {
            writer.Add(prefix + parameter.Name, tensor(parameter.Name), parameter.ShapeSpan);
        }
    }
}
