using System.Collections.Generic;
using System.Linq;
using AttentionGen.Generator.Model;

namespace AttentionGen.Generator.Planning;

/// <summary>
/// Every tensor a layer or model loads: the ones it has once (<see cref="Shared"/>), and, for a model of repeated
/// blocks, the ones each block has (<see cref="PerLayer"/>), named <see cref="LayerPrefix"/> + the block's index + "." +
/// the tensor's name and stored block after block. The generated <c>Weights</c> class names a shared tensor by a
/// property and a per-block one by a method taking the block's index.
/// </summary>
internal sealed record WeightSetPlan(EquatableArray<WeightPlan> Shared, EquatableArray<WeightPlan> PerLayer, string LayerPrefix, string LayerCountName)
{
    public static WeightSetPlan Flat(EquatableArray<WeightPlan> weights) => new(weights, EquatableArray<WeightPlan>.Empty, "", "");

    public bool IsLayered => PerLayer.Count > 0;

    /// <summary>Every tensor as stored (see <see cref="WeightPlan.Stored"/>): a layer's are the same in every layer.</summary>
    public IEnumerable<BufferPlan> StoredTensors => Shared.Concat(PerLayer).Select(weight => weight.Stored);
}
