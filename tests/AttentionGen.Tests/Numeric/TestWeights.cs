using System.Reflection;

namespace AttentionGen.Tests.Numeric;

/// <summary>
/// Weights for any generated layer type, by reflection: seeded values the way nn.Linear initializes them
/// (±scale/√fan-in), made into the layer's own <c>Weights</c> through <c>Weights.Load</c> over an in-memory file, so the
/// tests drive every layer through the public loading path.
/// </summary>
internal static class TestWeights
{
    public static Dictionary<string, float[]> RandomValues(IReadOnlyList<ParameterSpec> parameters, int seed, float scale = 1f)
    {
        var values = new Dictionary<string, float[]>();
        foreach (var parameter in parameters)
        {
            var bound = scale / MathF.Sqrt(parameter.Shape[^1]);
            values[parameter.Name] = Reference.TestData.Uniform(seed++, parameter.ElementCount, bound);
        }

        return values;
    }

    /// <summary><paramref name="layerType"/>'s <c>Weights</c> holding <paramref name="values"/>.</summary>
    public static LayerWeights Build(Type layerType, IReadOnlyDictionary<string, float[]> values)
    {
        var writer = new SafeTensorsWriter();
        foreach (var parameter in Declared.Parameters(layerType))
        {
            writer.Add(parameter.Name, values[parameter.Name], parameter.Shape.ToArray());
        }

        using var file = SafeTensors.Load(writer.ToArray());
        return Load(layerType, file);
    }

    /// <summary><c>layerType.Weights.Load(file, prefix)</c>.</summary>
    public static LayerWeights Load(Type layerType, SafeTensors file, string prefix = "")
    {
        var load = WeightsType(layerType).GetMethod("Load", BindingFlags.Public | BindingFlags.Static)!;
        try
        {
            return (LayerWeights)load.Invoke(null, [file, prefix, null])!;
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw e.InnerException;
        }
    }

    public static Type WeightsType(Type layerType) =>
        layerType.GetNestedType("Weights", BindingFlags.Public) ?? throw new ArgumentException($"{layerType.Name} has no Weights.");

    /// <summary>A new <paramref name="layerType"/> over <paramref name="weights"/>.</summary>
    public static T Create<T>(Type layerType, LayerWeights weights) => (T)Activator.CreateInstance(layerType, weights)!;

    /// <summary>A new <typeparamref name="TLayer"/> over seeded random weights.</summary>
    public static TLayer NewLayer<TLayer>(int seed = 1) => CreateRandom<TLayer>(typeof(TLayer), seed).Layer;

    /// <summary>A new layer over seeded random weights, and the values it holds, for the reference.</summary>
    public static (T Layer, Dictionary<string, float[]> Values) CreateRandom<T>(Type layerType, int seed, float scale = 1f)
    {
        var values = RandomValues(Declared.Parameters(layerType), seed, scale);
        return (Create<T>(layerType, Build(layerType, values)), values);
    }
}
