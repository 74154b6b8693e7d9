namespace AttentionGen.OnnxImport;

/// <summary>Where one Hugging Face <c>BertModel</c> tensor comes from in the ONNX graph.</summary>
/// <param name="Name">The Hugging Face name, e.g. <c>encoder.layer.0.attention.self.query.weight</c>.</param>
/// <param name="Initializer">The ONNX initializer holding its values.</param>
/// <param name="Shape">The Hugging Face shape: [out, in] for a Linear weight.</param>
/// <param name="Transposed">
/// Whether the initializer holds the transpose of the Hugging Face layout: MatMul weights, and Gemm weights without
/// <c>transB</c>, are stored [in, out].
/// </param>
public sealed record BertTensorMapping(string Name, string Initializer, IReadOnlyList<int> Shape, bool Transposed);

/// <summary>The result of reading a BERT graph: its config and where each tensor comes from, in Hugging Face order.</summary>
public sealed record BertOnnxMapping(BertConfig Config, IReadOnlyList<BertTensorMapping> Tensors);
