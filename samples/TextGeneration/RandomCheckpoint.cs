using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AttentionGen;

namespace TextGeneration;

/// <summary>
/// Seeded random weights for a model's parameters, written once as a sharded Hugging Face-style checkpoint
/// (<c>model.safetensors.index.json</c> and its shards) in a cache outside the repository, and reused after that.
/// </summary>
/// <remarks>
/// <para>
/// Every matrix <c>[out, in]</c> is drawn uniformly from ±1/√in, as PyTorch initializes <c>nn.Linear</c>; every vector is
/// a norm's gain and is 1. The values depend only on the seed and the parameter list.
/// </para>
/// <para>
/// <see cref="SafeTensorsWriter"/> keeps the bytes of everything added until it saves, so one file of all 537 MB would
/// hold them all in memory at once. Shards of at most <see cref="ShardBytes"/> keep the memory this takes to about one
/// shard plus the largest tensor, and <see cref="SafeTensors.Open"/> reads the index and its shards as one checkpoint.
/// </para>
/// </remarks>
internal static class RandomCheckpoint
{
    /// <summary>Where the cache goes, when set; else <c>~/.cache/attentiongen/</c>.</summary>
    public const string CacheVariable = "ATTENTIONGEN_CACHE";

    private const string IndexFileName = "model.safetensors.index.json";
    private const long ShardBytes = 100L << 20;

    // Part of the folder name: change it when the way values are drawn changes, so an older cache is not taken for this one.
    private const int DrawingVersion = 1;

    /// <summary>The folder holding every checkpoint this sample writes.</summary>
    public static string CacheFolder
    {
        get
        {
            var root = Environment.GetEnvironmentVariable(CacheVariable);
            if (string.IsNullOrWhiteSpace(root))
            {
                root = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "attentiongen");
            }

            return Path.Combine(Path.GetFullPath(root), "textgen");
        }
    }

    /// <summary>
    /// The index of the checkpoint for <paramref name="parameters"/> and <paramref name="seed"/>, written first if the
    /// cache does not have it yet. <paramref name="progress"/> hears of each tensor written (bytes done, bytes in all);
    /// it is not called when the cache already has the checkpoint.
    /// </summary>
    public static string Ensure(IReadOnlyList<ParameterSpec> parameters, int seed, IProgress<(long Done, long Total)>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var folder = Path.Combine(CacheFolder, $"random-{Fingerprint(parameters)}-seed{seed}-v{DrawingVersion}");
        var index = Path.Combine(folder, IndexFileName);
        if (File.Exists(index))
        {
            return index;
        }

        // Written beside the final folder, then renamed into place: a folder that exists is complete, even if a run
        // was killed half-way through writing.
        Directory.CreateDirectory(CacheFolder);
        var work = Path.Combine(CacheFolder, $".writing-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        try
        {
            Write(work, parameters, seed, progress);
            try
            {
                Directory.Move(work, folder);
            }
            catch (IOException) when (File.Exists(index))
            {
                // Another run finished the same checkpoint first; its copy is as good as this one.
            }
        }
        finally
        {
            if (Directory.Exists(work))
            {
                Directory.Delete(work, recursive: true);
            }
        }

        return index;
    }

    private static void Write(string folder, IReadOnlyList<ParameterSpec> parameters, int seed, IProgress<(long Done, long Total)>? progress)
    {
        var shards = PlanShards(parameters);
        var totalBytes = parameters.Sum(p => 4L * p.ElementCount);
        var random = new Random(seed);
        var values = new float[parameters.Max(p => p.ElementCount)];
        var weightMap = new SortedDictionary<string, string>(StringComparer.Ordinal);
        long done = 0;
        for (var shard = 0; shard < shards.Count; shard++)
        {
            var fileName = string.Create(CultureInfo.InvariantCulture, $"model-{shard + 1:D5}-of-{shards.Count:D5}.safetensors");
            var writer = new SafeTensorsWriter()
                .AddMetadata("format", "pt")
                .AddMetadata("content", $"seeded random weights (seed {seed}), not a trained model");
            foreach (var parameter in shards[shard])
            {
                var tensor = values.AsSpan(0, parameter.ElementCount);
                Fill(tensor, parameter, random);
                writer.Add(parameter.Name, tensor, parameter.Shape.ToArray());
                weightMap.Add(parameter.Name, fileName);
                done += 4L * parameter.ElementCount;
                progress?.Report((done, totalBytes));
            }

            writer.Save(Path.Combine(folder, fileName));

            // The saved shard's bytes are garbage now (the null makes them so in unoptimized code too); collected at
            // once, the next shard reuses their memory. Left to the GC, a first run peaked 470 MB higher.
            writer = null;
            GC.Collect();
        }

        WriteIndex(Path.Combine(folder, IndexFileName), totalBytes, weightMap);
    }

    /// <summary>A norm's gain (a vector) is 1; a matrix [out, in] is uniform in ±1/√in, like PyTorch's nn.Linear.</summary>
    private static void Fill(Span<float> tensor, ParameterSpec parameter, Random random)
    {
        if (parameter.Shape.Count == 1)
        {
            tensor.Fill(1f);
            return;
        }

        var bound = 1f / MathF.Sqrt(parameter.Shape[^1]);
        for (var i = 0; i < tensor.Length; i++)
        {
            tensor[i] = bound * (2f * random.NextSingle() - 1f);
        }
    }

    /// <summary>The parameters in order, cut into runs of at most <see cref="ShardBytes"/> (a larger tensor gets a shard alone).</summary>
    private static List<List<ParameterSpec>> PlanShards(IReadOnlyList<ParameterSpec> parameters)
    {
        var shards = new List<List<ParameterSpec>>();
        long bytesInLast = 0;
        foreach (var parameter in parameters)
        {
            var bytes = 4L * parameter.ElementCount;
            if (shards.Count == 0 || bytesInLast + bytes > ShardBytes)
            {
                shards.Add([]);
                bytesInLast = 0;
            }

            shards[^1].Add(parameter);
            bytesInLast += bytes;
        }

        return shards;
    }

    private static void WriteIndex(string path, long totalBytes, SortedDictionary<string, string> weightMap)
    {
        using var stream = File.Create(path);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteStartObject("metadata");
        json.WriteNumber("total_size", totalBytes);
        json.WriteEndObject();
        json.WriteStartObject("weight_map");
        foreach (var (name, file) in weightMap)
        {
            json.WriteString(name, file);
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>A short hash of the names and shapes, so a declaration with another shape gets a checkpoint of its own.</summary>
    private static string Fingerprint(IReadOnlyList<ParameterSpec> parameters)
    {
        var text = string.Join('\n', parameters.Select(p => p.ToString()));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..12];
    }
}
