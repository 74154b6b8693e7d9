using Onnx;

namespace AttentionGen.OnnxImport;

/// <summary>
/// A Linear layer, x·Wᵀ + b, as the graph spells it; <see cref="GraphIndex.Linears"/> reads every one, and the tensor
/// mapping, the head count and the activation readers all go through it. Two spellings are understood:
/// <list type="bullet">
/// <item>a <c>MatMul</c> by a weight initializer stored [in, out], whose output feeds only the <c>Add</c> of the bias, as
/// PyTorch exports a Linear applied to a 3-D input;</item>
/// <item>a <c>Gemm</c> by a weight initializer as B (stored [out, in] when <c>transB</c> is set, [in, out] when not), with
/// alpha = beta = 1 and no transA, and the bias as C, as PyTorch exports a Linear applied to a 2-D input; or without C,
/// its output then feeding only the <c>Add</c> of the bias, as a MatMul's does.</item>
/// </list>
/// The bias is a one-dimensional initializer named <c>….bias</c> (a BertModel Linear always has one), and names the
/// layer: its weight is <c>….weight</c>, and a weight initializer that has a Hugging Face name of its own must have that
/// one.
/// </summary>
/// <param name="Product">The MatMul or Gemm node that multiplies by the weight.</param>
/// <param name="Name">The Hugging Face name of the layer, its bias's without <c>.bias</c>: <c>encoder.layer.0.attention.self.query</c>.</param>
/// <param name="Weight">The initializer holding the weight.</param>
/// <param name="WeightTransposed">Whether <see cref="Weight"/> is stored [in, out], the transpose of Hugging Face's [out, in].</param>
/// <param name="Bias">The initializer holding the bias.</param>
/// <param name="Output">The value holding x·Wᵀ + b: the Add's output, or the Gemm's when it adds C itself.</param>
internal sealed record LinearLayer(NodeProto Product, string Name, TensorProto Weight, bool WeightTransposed, TensorProto Bias, string Output)
{
    /// <summary>The Hugging Face name of the weight: <c>encoder.layer.0.attention.self.query.weight</c>.</summary>
    public string WeightName => Name + ".weight";

    /// <summary>Whether <paramref name="node"/> multiplies matrices (a Linear's product, or activations by activations in attention).</summary>
    public static bool IsProduct(NodeProto node) => node.OpType is "MatMul" or "Gemm";
}
