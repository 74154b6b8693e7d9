using System.Diagnostics;
using AttentionGen.Benchmarks.Cases;
using AttentionGen.OnnxImport;
using Microsoft.ML.OnnxRuntime;

namespace AttentionGen.Benchmarks.Measurement;

/// <summary>
/// Process start to first sentence embedding of all-MiniLM-L6-v2, each side in a fresh process of its own: AttentionGen
/// (open the cached safetensors, load and pack the weights, one Encode) against ONNX Runtime (create a session on the
/// package's model.onnx, one Run). Both read files the parent has already brought into the page cache.
/// </summary>
internal static class ColdStart
{
    private const int Tokens = 16;

    /// <summary>Runs each side <paramref name="runs"/> times in child processes and prints the medians.</summary>
    public static int Compare(int runs)
    {
        // Make sure both sides find their files converted and cached, so neither pays for the one-time conversion.
        MiniLmPackage.EnsureSafeTensors();
        MiniLmPackage.EnsureOnnxModel();
        foreach (var side in new[] { "attentiongen", "ort" })
        {
            var times = Enumerable.Range(0, runs).Select(_ => Child(side)).Order().ToArray();
            Console.WriteLine($"cold start, {side}: process start to first embedding {times[runs / 2]:F0} ms (median of {runs}; {string.Join(", ", times.Select(t => t.ToString("F0")))})");
        }

        return 0;
    }

    /// <summary>One side, in this process: prints the milliseconds since the process started.</summary>
    public static int Measure(string side)
    {
        var ids = Enumerable.Range(0, Tokens).Select(i => i == 0 ? 101 : i == Tokens - 1 ? 102 : 2000 + i).ToArray();
        if (side == "ort")
        {
            using var session = new InferenceSession(MiniLmPackage.EnsureOnnxModel(), new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 });
            long[] shape = [1, Tokens];
            using var inputIds = OrtValue.CreateTensorValueFromMemory(ids.Select(i => (long)i).ToArray(), shape);
            using var mask = OrtValue.CreateTensorValueFromMemory(Enumerable.Repeat(1L, Tokens).ToArray(), shape);
            using var types = OrtValue.CreateTensorValueFromMemory(new long[Tokens], shape);
            using var outputs = session.Run(new RunOptions(), ["input_ids", "attention_mask", "token_type_ids"], [inputIds, mask, types], session.OutputNames);
        }
        else
        {
            using var file = SafeTensors.Open(MiniLmPackage.EnsureSafeTensors());
            var encoder = new MiniLmBenchmark(MiniLmBenchmark.Weights.Load(file));
            encoder.Encode(ids, new float[MiniLmBenchmark.ModelDim]);
        }

        Console.WriteLine((DateTime.Now - Process.GetCurrentProcess().StartTime).TotalMilliseconds.ToString("F1", System.Globalization.CultureInfo.InvariantCulture));
        return 0;
    }

    private static double Child(string side)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!, [typeof(ColdStart).Assembly.Location, "--cold-start-child", side]) { RedirectStandardOutput = true };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) != "dotnet")
        {
            start = new ProcessStartInfo(Environment.ProcessPath!, ["--cold-start-child", side]) { RedirectStandardOutput = true };
        }

        using var child = Process.Start(start)!;
        string text = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        return double.Parse(text.Trim().Split('\n')[^1], System.Globalization.CultureInfo.InvariantCulture);
    }
}
