using AttentionGen.Kernels;
using AttentionGen.Tests.Allocation;

namespace AttentionGen.Tests.Kernels;

/// <summary>The block kernels allocate nothing: this thread's managed heap does not grow over 200 rounds after a warm-up.</summary>
public sealed class BlockKernelsAllocationTests
{
    private const int Rounds = 200;

    [Fact]
    public void NormsActivationsEmbeddingsAndPooling_AllocateNothing()
    {
        const int tokens = 5, width = 384, vocabulary = 10;
        float[] rows = TestRows(tokens * width), other = TestRows(tokens * width), gamma = TestRows(width), beta = TestRows(width);
        float[] words = TestRows(vocabulary * width), positions = TestRows(8 * width), types = TestRows(2 * width), pooled = new float[width];
        int[] ids = [1, 2, 3, 4, 5], typeIds = [0, 0, 1, 1, 1];

        AllocationAssert.NothingPerCall(RunAll, Rounds, warmUpCalls: 20);

        void RunAll()
        {
            EmbeddingKernels.EmbeddingSum(ids, typeIds, 2, words, positions, types, rows, width);
            EmbeddingKernels.Gather(ids, words, other, width);
            NormKernels.LayerNorm(rows, gamma, beta, rows, tokens, width, 1e-12f);
            NormKernels.AddLayerNorm(other, rows, gamma, beta, rows, tokens, width, 1e-12f);
            NormKernels.RmsNorm(rows, gamma, other, tokens, width, 1e-5f);
            ActivationKernels.GeluErf(rows);
            ActivationKernels.GeluTanh(rows);
            ActivationKernels.Silu(rows);
            ActivationKernels.Relu(rows);
            ActivationKernels.SwiGlu(rows, other, other);
            ElementwiseKernels.Add(rows, other, rows);
            PoolingKernels.MeanPool(rows, tokens, width, pooled);
            PoolingKernels.L2Normalize(pooled);
        }
    }

    private static float[] TestRows(int length) => KernelReference.Uniform(length, -1f, 1f, seed: length);
}
