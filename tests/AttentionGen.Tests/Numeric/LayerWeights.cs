namespace AttentionGen.Tests.Numeric;

/// <summary>Fills a layer's parameters with seeded values, the way nn.Linear initializes them (±scale/√fan-in).</summary>
internal static class LayerWeights
{
    public static Dictionary<string, float[]> Randomize(IWeighted layer, IReadOnlyList<ParameterSpec> parameters, int seed, float scale = 1f)
    {
        var values = new Dictionary<string, float[]>();
        foreach (var parameter in parameters)
        {
            var bound = scale / MathF.Sqrt(parameter.Shape[^1]);
            var data = Reference.TestData.Uniform(seed++, parameter.ElementCount, bound);
            data.CopyTo(layer.GetParameter(parameter.Name));
            values[parameter.Name] = data;
        }

        return values;
    }
}
