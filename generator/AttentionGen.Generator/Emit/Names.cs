namespace AttentionGen.Generator.Emit;

/// <summary>
/// The types generated code names, written once and <c>global::</c>-qualified: a user type called <c>Guard</c> or
/// <c>Math</c> beside the layer, or a namespace called <c>App.SafeTensors</c> around it, must not change what they mean.
/// </summary>
internal static class Names
{
    public const string ReadOnlySpan = "global::System.ReadOnlySpan<float>";
    public const string Span = "global::System.Span<float>";
    public const string ArgumentException = "global::System.ArgumentException";
    public const string ArgumentNullException = "global::System.ArgumentNullException";
    public const string ReadOnlyList = "global::System.Collections.Generic.IReadOnlyList";
    public const string GeneratedCode = "global::System.CodeDom.Compiler.GeneratedCode";
    public const string MemoryMarshal = "global::System.Runtime.InteropServices.MemoryMarshal";
    public const string ParameterSpec = "global::AttentionGen.ParameterSpec";
    public const string SafeTensors = "global::AttentionGen.SafeTensors";
    public const string SafeTensorsWriter = "global::AttentionGen.SafeTensorsWriter";
    public const string LayerWeights = "global::AttentionGen.LayerWeights";
    public const string WeightTensors = "global::AttentionGen.WeightTensors";
    public const string WeightsBuilder = "global::AttentionGen.WeightsBuilder";
    public const string WeightLoadProgress = "global::AttentionGen.WeightLoadProgress";
    public const string Progress = "global::System.IProgress";
    public const string InvalidOperationException = "global::System.InvalidOperationException";
    public const string ArgumentOutOfRangeException = "global::System.ArgumentOutOfRangeException";
    public const string WeightLoadException = "global::AttentionGen.WeightLoadException";
    public const string HuggingFaceConfig = "global::AttentionGen.HuggingFaceConfig";
    public const string ConfigSetting = "global::AttentionGen.ConfigSetting";
    public const string SentenceTransformersConfig = "global::AttentionGen.SentenceTransformersConfig";
    public const string ModelConfigMismatchException = "global::AttentionGen.ModelConfigMismatchException";
    public const string AlignedBuffer = "global::AttentionGen.Kernels.AlignedBuffer";
    public const string Guard = "global::AttentionGen.Kernels.Guard";
    public const string ExclusiveUse = "global::AttentionGen.Kernels.ExclusiveUse";
    public const string PackedLinear = "global::AttentionGen.Kernels.PackedLinear";
    public const string PackedBatch = "global::AttentionGen.Kernels.PackedBatch";
    public const string LinearKernels = "global::AttentionGen.Kernels.LinearKernels";
    public const string SoftmaxKernels = "global::AttentionGen.Kernels.SoftmaxKernels";
    public const string RowShape = "global::AttentionGen.Kernels.IRowShape";
    public const string AttentionShape = "global::AttentionGen.Kernels.Attention.IAttentionShape";

    /// <summary><c>AttentionCore&lt;TShape&gt;</c> over a generated shape.</summary>
    public static string AttentionCore(string shape) => $"global::AttentionGen.Kernels.Attention.AttentionCore<{shape}>";

    /// <summary><c>RowKernels&lt;TRow&gt;</c> over a generated row shape.</summary>
    public static string RowKernels(string shape) => $"global::AttentionGen.Kernels.RowKernels<{shape}>";

    /// <summary><c>Attention</c> → <c>attention</c>, for field names built from a component prefix.</summary>
    public static string Camel(string name) => name.Length == 0 ? name : char.ToLowerInvariant(name[0]) + name.Substring(1);
}
