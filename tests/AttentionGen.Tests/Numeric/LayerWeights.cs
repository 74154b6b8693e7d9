namespace AttentionGen.Tests.Numeric;

/// <summary>Fills a layer's parameters with seeded values, the way nn.Linear initializes them (±1/√fan-in).</summary>
internal static class LayerWeights
{
    public static Dictionary<string, float[]> Randomize(IWeighted layer, IReadOnlyList<ParameterSpec> parameters, int seed)
    {
        var values = new Dictionary<string, float[]>();
        foreach (var parameter in parameters)
        {
            var bound = 1f / MathF.Sqrt(parameter.Shape[^1]);
            var data = Reference.TestData.Uniform(seed++, parameter.ElementCount, bound);
            data.CopyTo(layer.GetParameter(parameter.Name));
            values[parameter.Name] = data;
        }

        return values;
    }
}
