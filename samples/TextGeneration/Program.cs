using System.Diagnostics;
using AttentionGen;
using AttentionGen.Sampling;
using AttentionGen.Threading;
using TextGeneration;

// --gpt2: the GPT-2-shaped variant, text in and text out through GPT-2's tokenizer.
if (args.Contains("--gpt2"))
{
    return Gpt2Text.Run();
}

// --threads N: each step's matrix products split over N threads (Parallelism.MaxThreads; the same logits, bit for bit).
int threads = 1;
if (args.SkipWhile(a => a != "--threads").Skip(1).FirstOrDefault() is { } threadsText &&
    (!int.TryParse(threadsText, out threads) || threads < 1))
{
    Console.Error.WriteLine($"--threads takes a whole number of threads, at least 1; \"{threadsText}\" is not one.");
    return 2;
}

Parallelism.MaxThreads = threads;
string threadsLabel = threads == 1 ? "one thread" : $"{threads} threads";

const int WeightSeed = 110;
const int SamplerSeed = 42;
const int GeneratedTokens = 128;
const int CheckedSteps = 16;
const int PrefillBenchmarkTokens = 128;
const double RecomputeTolerance = 1e-4;

// Llama 2's tokenizer turns "Once upon a time" into these ids, BOS (1) first. With random weights they mean nothing to
// the model; they are here so the prompt is the one llama2.c's stories models are usually started with.
int[] prompt = [1, 9038, 2501, 263, 931];
var sampling = new SamplingOptions(Temperature: 0.8f, TopK: 40, TopP: 0.95f);

Console.WriteLine("Text generation with one [TransformerDecoder]: a Llama-style model the shape of llama2.c's stories110M");
Console.WriteLine($"({Stories110M.Layers} layers, dim {Stories110M.ModelDim}, {Stories110M.Heads} heads, FFN {Stories110M.FfnDim}, " +
    $"vocab {Stories110M.Vocab}, cache of {Stories110M.MaxSeqLen} positions), generated C#, {threadsLabel}.");
Console.WriteLine();
Console.WriteLine($"THE WEIGHTS ARE RANDOM (seed {WeightSeed}): no pretrained decoder can be obtained offline here, so the tokens");
Console.WriteLine("below mean nothing. What this shows is the speed of decoding and that decoding with the cache is exact.");
Console.WriteLine();

// First run: write the random checkpoint; later runs find it in the cache.
var indexPath = RandomCheckpoint.Ensure(Stories110M.Parameters, WeightSeed,
    new ProgressLine<(long Done, long Total)>("Writing random weights (first run only)", step => step));
Console.WriteLine($"Checkpoint: {indexPath}");

Stories110M.Weights weights;
using (var checkpoint = SafeTensors.Open(indexPath))
{
    weights = Stories110M.Weights.Load(checkpoint, progress: new ProgressLine<WeightLoadProgress>("Loading weights",
        step => (step.BytesLoaded, step.TotalBytes)));
}

var decoder = new Stories110M(weights);
var logits = new float[Stories110M.Vocab];
var promptLogits = new float[Stories110M.Vocab];
decoder.Prefill(prompt, promptLogits);

// Warm-up, so the timed steps run the JIT's optimized code rather than its first, quick compile: the same loop over
// some steps past the prompt, then Rewind drops them and the cache holds the prompt alone again.
promptLogits.CopyTo(logits);
new TimedGeneration(48, 0).Run(decoder, new TokenSampler(Stories110M.Vocab, seed: 0), sampling, logits);
decoder.Rewind(prompt.Length);

var probe = new StreamingBandwidth(threads: threads);
var bandwidthBefore = probe.Measure();

var generation = new TimedGeneration(GeneratedTokens, CheckedSteps);
var sampler = new TokenSampler(Stories110M.Vocab, SamplerSeed);
promptLogits.CopyTo(logits);
// A blocking collection first: without it, a background collection that the large allocations above had started
// showed up as 1–6 KB "allocated" by the first timed step, although the steps allocate nothing (0 after it, every run).
GC.Collect();
GC.WaitForPendingFinalizers();
// How much of the steps' wall time the process had a core: on a shared machine, the rest went to other processes.
var processorBefore = Process.GetCurrentProcess().TotalProcessorTime;
var generationStart = Stopwatch.GetTimestamp();
generation.Run(decoder, sampler, sampling, logits);
var processorShare = (Process.GetCurrentProcess().TotalProcessorTime - processorBefore).TotalSeconds /
    Stopwatch.GetElapsedTime(generationStart).TotalSeconds;
var (generated, stepTicks, tokenTicks) = (generation.Tokens, generation.StepTicks, generation.TokenTicks);
var allocatedPerToken = generation.AllocatedBytes / (double)GeneratedTokens;
var bandwidth = Math.Max(bandwidthBefore, probe.Measure());

Console.WriteLine();
Console.WriteLine($"Prompt ids: {string.Join(' ', prompt)}");
Console.WriteLine($"{GeneratedTokens} generated ids (TokenSampler, seed {SamplerSeed}: temperature {sampling.Temperature}, " +
    $"top-k {sampling.TopK}, top-p {sampling.TopP}; no tokenizer, since random weights have no vocabulary to decode):");
foreach (var row in generated.Chunk(16))
{
    Console.WriteLine("  " + string.Join(' ', row.Select(id => id.ToString().PadLeft(5))));
}

// What a step must read: every weight but the embedding table, of which it gathers one row, and the keys and values
// of every cached position, its own included, in every layer.
var embeddingBytes = 4L * Stories110M.Vocab * Stories110M.ModelDim;
var weightBytesPerStep = weights.ByteCount - embeddingBytes + 4L * Stories110M.ModelDim;
var stepBytes = 0.0;
for (var i = 0; i < GeneratedTokens; i++)
{
    var positionsRead = prompt.Length + i + 1;
    stepBytes += weightBytesPerStep + 2.0 * 4 * Stories110M.Layers * positionsRead * Stories110M.KvWidth;
}

var meanStepBytes = stepBytes / GeneratedTokens;
var atMedian = meanStepBytes / (MedianMs(stepTicks) / 1000);
var overAll = stepBytes / (stepTicks.Sum() / (double)Stopwatch.Frequency);
var meanTokenMs = MeanMs(tokenTicks);
Console.WriteLine();
Console.WriteLine($"Timing ({Machine.Describe()}), {threadsLabel}:");
Console.WriteLine($"  {MedianMs(tokenTicks):F2} ms per token (median over {GeneratedTokens}), {meanTokenMs:F2} ms mean: " +
    $"{1000 / meanTokenMs:F1} tokens/s (a token: one draw, {meanTokenMs - MeanMs(stepTicks):F3} ms on average, and one decode step)");
Console.WriteLine($"  bytes allocated per token: {allocatedPerToken:0.##}");
Console.WriteLine($"  a step reads {weightBytesPerStep / 1e6:F0} MB of F32 weights (all {weights.ByteCount / 1e6:F0} MB but the embedding " +
    $"table, of which it reads one row) and {(meanStepBytes - weightBytesPerStep) / 1e6:F1} MB of key/value cache on average");
Console.WriteLine($"  streaming read bandwidth, {threadsLabel}, measured in this run: {bandwidth / 1e9:F1} GB/s (best pass of a sum over " +
    $"{probe.Bytes >> 20} MiB, before and after the steps)");
Console.WriteLine($"  achieved: {atMedian / 1e9:F1} GB/s at the median step, {overAll / 1e9:F1} GB/s over all steps: " +
    $"{atMedian / bandwidth:P0} and {overAll / bandwidth:P0} of that bandwidth");
Console.WriteLine(threads == 1
    ? $"  the process had a core for {processorShare:P0} of the steps' wall time"
    : $"  the process kept {processorShare:F2} cores busy on average during the steps (workers spin between jobs)");

// Prefill: a longer prompt in one pass (the first tokens of the sequence above), on a second instance over the same weights.
var recompute = new Stories110M(weights);
int[] sequence = [.. prompt, .. generated];
var longPrompt = sequence.AsSpan(0, PrefillBenchmarkTokens);
var prefillTicks = new long[4];
for (var round = 0; round < prefillTicks.Length; round++)
{
    recompute.Reset();
    var start = Stopwatch.GetTimestamp();
    recompute.Prefill(longPrompt, logits);
    prefillTicks[round] = Stopwatch.GetTimestamp() - start;
}

// The first round warms up the JIT; the median of the rest.
var prefillMs = MedianMs(prefillTicks.AsSpan(1).ToArray());
Console.WriteLine($"  prefill of {PrefillBenchmarkTokens} tokens: {prefillMs:F0} ms ({PrefillBenchmarkTokens / prefillMs * 1000:F0} tokens/s)");
if (Machine.LoadWarning() is { } warning)
{
    Console.WriteLine($"  ({warning})");
}

// Decoding with the cache must give what running the whole sequence again gives: for each of the first steps, a fresh
// prefill of everything up to that step's token, compared logit by logit with what the step wrote.
Console.WriteLine();
var worstError = 0.0;
var worstStep = -1;
for (var step = 0; step < CheckedSteps; step++)
{
    recompute.Reset();
    recompute.Prefill(sequence.AsSpan(0, prompt.Length + step + 1), logits);
    var stepLogits = generation.KeptLogits.AsSpan(step * Stories110M.Vocab, Stories110M.Vocab);
    for (var j = 0; j < logits.Length; j++)
    {
        // Relative to the logit, but absolute for logits below 1 in magnitude, where a relative error grows without bound.
        var error = Math.Abs(stepLogits[j] - logits[j]) / Math.Max(1.0, Math.Abs(logits[j]));
        if (!(error <= worstError))
        {
            worstError = error; // NaN lands here too, and fails below
            worstStep = step;
        }
    }
}

Console.WriteLine($"Decode vs recompute, first {CheckedSteps} steps: max error {worstError:E2} (|step − prefill| / max(1, |prefill|), " +
    $"over {CheckedSteps} × {Stories110M.Vocab} logits; must be ≤ {RecomputeTolerance:E0})");
if (!(worstError <= RecomputeTolerance))
{
    Console.Error.WriteLine($"FAILED: step {worstStep}'s logits differ from a full recompute by {worstError:E2}, over the {RecomputeTolerance:E0} allowed.");
    return 1;
}

Console.WriteLine("Decoding with the cache gives what recomputing the whole sequence gives.");
return 0;

static double MedianMs(long[] ticks)
{
    var sorted = ticks.Order().ToArray();
    var middle = sorted.Length / 2;
    var median = sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2.0;
    return median * 1000.0 / Stopwatch.Frequency;
}

static double MeanMs(long[] ticks) => ticks.Average() * 1000.0 / Stopwatch.Frequency;
