using System.Reflection;

namespace AttentionGen.Generator.Tests;

/// <summary>The app the package and Native AOT tests build outside the repository, and where to find the repository.</summary>
internal static class ConsumerApp
{
    /// <summary>
    /// A causal grouped-query layer with heads that are not whole vectors, checked against float64 loops in the app; exit code 0
    /// when it agrees to 1e-5 and its third call allocated nothing. It prints both, and whether Vector512 is accelerated.
    /// </summary>
    public const string Program = """
        using AttentionGen;

        const int SeqLen = 37;
        var rng = new Random(7);
        float[] Fill(int n) { var a = new float[n]; for (int i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() * 2 - 1); return a; }
        float[] query = Fill(SeqLen * Layer.QueryWidth), key = Fill(SeqLen * Layer.KvWidth), value = Fill(SeqLen * Layer.KvWidth);
        var output = new float[query.Length];
        var layer = new Layer();
        layer.Forward(query, key, value, output, SeqLen, SeqLen);
        layer.Forward(query, key, value, output, SeqLen, SeqLen);
        long before = GC.GetAllocatedBytesForCurrentThread();
        layer.Forward(query, key, value, output, SeqLen, SeqLen);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        double maxError = 0;
        int group = Layer.Heads / Layer.KvHeads;
        var weights = new double[SeqLen];
        for (int h = 0; h < Layer.Heads; h++)
        {
            int kv = h / group;
            for (int i = 0; i < SeqLen; i++)
            {
                double max = double.NegativeInfinity, sum = 0;
                for (int j = 0; j <= i; j++)
                {
                    double s = 0;
                    for (int d = 0; d < Layer.HeadDim; d++) s += (double)query[i * Layer.QueryWidth + h * Layer.HeadDim + d] * key[j * Layer.KvWidth + kv * Layer.HeadDim + d];
                    weights[j] = s / Math.Sqrt(Layer.HeadDim);
                    max = Math.Max(max, weights[j]);
                }
                for (int j = 0; j <= i; j++) { weights[j] = Math.Exp(weights[j] - max); sum += weights[j]; }
                for (int d = 0; d < Layer.HeadDim; d++)
                {
                    double o = 0;
                    for (int j = 0; j <= i; j++) o += weights[j] / sum * value[j * Layer.KvWidth + kv * Layer.HeadDim + d];
                    maxError = Math.Max(maxError, Math.Abs(o - output[i * Layer.QueryWidth + h * Layer.HeadDim + d]));
                }
            }
        }

        Console.WriteLine($"max error {maxError:E2}, allocated {allocated} B, Vector512 {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}");
        return maxError <= 1e-5 && allocated == 0 ? 0 : 1;

        [ScaledDotProductAttention(Heads = 8, KvHeads = 2, HeadDim = 40, MaxSeqLen = 64, Causal = true)]
        public partial class Layer;
        """;

    /// <summary>The configuration this test assembly was built in, which the suite built the runtime and generator in too.</summary>
    public static string Configuration { get; } =
        typeof(ConsumerApp).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";

    /// <summary>The folder holding AttentionGen.sln, above the test assembly.</summary>
    public static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "AttentionGen.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No AttentionGen.sln above {AppContext.BaseDirectory}.");
    }
}
