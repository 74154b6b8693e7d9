namespace AttentionGen.OnnxImport;

/// <summary>What an import is doing.</summary>
public enum ImportStage
{
    /// <summary>The ONNX file has been parsed.</summary>
    Read,

    /// <summary>Every initializer has a Hugging Face name and the config is known.</summary>
    Mapped,

    /// <summary>One tensor has been converted (<see cref="ImportProgress.Tensor"/> names it).</summary>
    Converted,

    /// <summary>The safetensors file and its config are written.</summary>
    Written,
}

/// <summary>One step of <see cref="BertOnnxImporter.Import"/>.</summary>
/// <param name="Stage">What just finished.</param>
/// <param name="Completed">Tensors converted so far.</param>
/// <param name="Total">Tensors to convert (0 before the graph is mapped).</param>
/// <param name="Tensor">The Hugging Face name of the tensor just converted, for <see cref="ImportStage.Converted"/>.</param>
public sealed record ImportProgress(ImportStage Stage, int Completed, int Total, string? Tensor = null);
