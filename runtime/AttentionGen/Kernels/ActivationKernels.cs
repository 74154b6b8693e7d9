using System.Runtime.CompilerServices;

namespace AttentionGen.Kernels;

/// <summary>
/// The feed-forward activations of transformer blocks, in place over a span (a whole <c>[tokens, ffnDim]</c> buffer at
/// once: the function is element-wise, so rows do not matter). Each runs the widest accelerated vector width, any
/// length including 0, and gives the same bits for an element whichever width computes it.
/// </summary>
/// <remarks>
/// Special values follow the float64 formula's limits: every activation maps NaN to NaN and +∞ to +∞, and −∞ to 0
/// (signed −0 where the result is x times a vanishing factor; ReLU gives +0).
/// </remarks>
[SkipLocalsInit]
public static class ActivationKernels
{
    /// <summary>
    /// The exact (erf) GELU of BERT and its family, <c>0.5·x·(1 + erf(x/√2))</c>, computed as <c>0.5·x·erfc(−x/√2)</c>
    /// with <see cref="VectorMath.Erfc(float)"/> so that negative inputs keep their relative accuracy.
    /// </summary>
    /// <param name="values">The values, overwritten in place.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GeluErf(Span<float> values) => ElementwiseLoops.Unary<GeluErfOperator>(values);

    /// <summary>
    /// The tanh approximation of GELU (GPT-2's <c>gelu_new</c>, PyTorch's <c>approximate="tanh"</c>),
    /// <c>0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))</c>, computed as the equal <c>x / (1 + e^(−2·√(2/π)·(x + 0.044715·x³)))</c>
    /// so that negative inputs do not lose accuracy to <c>1 + tanh</c> cancelling.
    /// </summary>
    /// <param name="values">The values, overwritten in place.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GeluTanh(Span<float> values) => ElementwiseLoops.Unary<GeluTanhOperator>(values);

    /// <summary><c>max(x, 0)</c>; NaN stays NaN.</summary>
    /// <param name="values">The values, overwritten in place.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Relu(Span<float> values) => ElementwiseLoops.Unary<ReluOperator>(values);

    /// <summary>SiLU (swish), <c>x·sigmoid(x)</c> = <c>x / (1 + e^(−x))</c>.</summary>
    /// <param name="values">The values, overwritten in place.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Silu(Span<float> values) => ElementwiseLoops.Unary<SiluOperator>(values);

    /// <summary>
    /// The gated unit of a SwiGLU feed-forward (Llama): <c>output[i] = silu(gate[i]) · up[i]</c>.
    /// </summary>
    /// <param name="gate">The gate projection.</param>
    /// <param name="up">The up projection; as long as <paramref name="gate"/>.</param>
    /// <param name="output">The result; as long as <paramref name="gate"/>. It may be <paramref name="gate"/> or
    /// <paramref name="up"/> itself, but must not overlap either at an offset.</param>
    /// <exception cref="ArgumentException">The lengths differ, or <paramref name="output"/> overlaps an input at an offset.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SwiGlu(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> output) => Gated<SwiGluOperator>(gate, up, output);

    /// <summary>
    /// The gated unit of a GeGLU feed-forward (Gemma): <c>output[i] = gelu_tanh(gate[i]) · up[i]</c>, GELU in the tanh
    /// form of <see cref="GeluTanh"/>.
    /// </summary>
    /// <param name="gate">The gate projection.</param>
    /// <param name="up">The up projection; as long as <paramref name="gate"/>.</param>
    /// <param name="output">The result; as long as <paramref name="gate"/>. It may be <paramref name="gate"/> or
    /// <paramref name="up"/> itself, but must not overlap either at an offset.</param>
    /// <exception cref="ArgumentException">The lengths differ, or <paramref name="output"/> overlaps an input at an offset.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GeGluTanh(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> output) => Gated<GeGluTanhOperator>(gate, up, output);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Gated<TOperator>(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> output)
        where TOperator : struct, IBinaryOperator
    {
        KernelChecks.SameLength(gate, up, nameof(gate), nameof(up));
        KernelChecks.SameLength(gate, output, nameof(gate), nameof(output));
        KernelChecks.SameOrSeparate(output, gate, nameof(output), nameof(gate));
        KernelChecks.SameOrSeparate(output, up, nameof(output), nameof(up));
        ElementwiseLoops.BinaryInto<TOperator>(gate, up, output);
    }
}
