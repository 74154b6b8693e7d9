using System.Diagnostics;
using AttentionGen;
using Quickstart;

// 1. An attention-pooling model that reads 5 steps of a noisy periodic signal and predicts the 6th.
//    Its few weights are fitted here with plain gradient descent through the generated Forward.
var task = new NextStepTask(seed: 7);
var (trainInputs, trainTargets) = task.Sample(count: 512);
var (testInputs, testTargets) = task.Sample(count: 256);

var model = new NextStepPredictor(PoolingTrainer.ZeroWeights());
var trainer = new PoolingTrainer(model);
double before = trainer.MeanSquaredError(testInputs, testTargets);
var fitTime = Stopwatch.StartNew();
trainer.Fit(trainInputs, trainTargets, epochs: 1000, learningRate: 0.5f, progress: (epoch, loss) =>
{
    if (epoch % 200 == 0)
    {
        Console.WriteLine($"  epoch {epoch,3}: training MSE {loss:F5}");
    }
});
fitTime.Stop();
double after = trainer.MeanSquaredError(testInputs, testTargets);
double repeatLast = NextStepTask.RepeatLastValueError(testInputs, testTargets);

// 2. Save the fitted weights as safetensors and load them into a fresh instance.
string weightsPath = Path.Combine(Path.GetTempPath(), "attentiongen-quickstart.safetensors");
var writer = new SafeTensorsWriter();
model.CurrentWeights.Save(writer, prefix: "pool.");
writer.Save(weightsPath);
NextStepPredictor loaded;
using (var file = SafeTensors.Open(weightsPath))
{
    loaded = new NextStepPredictor(NextStepPredictor.Weights.Load(file, prefix: "pool."));
}

Console.WriteLine($"Fitted the pooling model in {fitTime.Elapsed.TotalSeconds:F1} s; weights saved to {weightsPath} and loaded back.");
Console.WriteLine();
Console.WriteLine($"Test MSE  before fitting: {before:F5}   after: {after:F5}   (repeating the last value: {repeatLast:F5})");

// 3. One test sequence: the prediction, the truth, and where the model looked.
float[] example = testInputs[..NextStepTask.InputSize];
var prediction = new float[1];
var attention = new float[NextStepTask.Steps];
loaded.Forward(example, prediction, attention, NextStepTask.Steps);
Console.WriteLine($"Sequence  {string.Join("  ", NextStepTask.Values(example).Select(v => v.ToString("+0.000;-0.000")))}  → ?");
Console.WriteLine($"Predicted {prediction[0]:+0.000;-0.000}, true 6th value {testTargets[0]:+0.000;-0.000}");
Console.WriteLine("Attention weights over the 5 steps:");
for (int step = 0; step < NextStepTask.Steps; step++)
{
    Console.WriteLine($"  step {step + 1}  {attention[step]:0.000}  {new string('█', (int)Math.Round(attention[step] * 40))}");
}

Console.WriteLine();

// 4. A multi-head self-attention layer with seeded random weights: output summary, speed and allocations.
//    The weights are one immutable object; every instance made over it shares it (one instance per thread).
var random = new Random(42);
var encoderWeights = Encoder.Weights.CreateBuilder();
foreach (var parameter in Encoder.Parameters)
{
    var values = new float[parameter.ElementCount];
    float bound = 1f / MathF.Sqrt(parameter.Shape[^1]);
    for (int i = 0; i < values.Length; i++)
    {
        values[i] = (random.NextSingle() * 2 - 1) * bound;
    }

    encoderWeights.Set(parameter.Name, values);
}

var encoder = new Encoder(encoderWeights.Build());

const int SeqLen = 32;
var input = new float[SeqLen * Encoder.ModelDim];
var output = new float[SeqLen * Encoder.ModelDim];
for (int i = 0; i < input.Length; i++)
{
    input[i] = random.NextSingle() * 2 - 1;
}

encoder.Forward(input, output, SeqLen);
double mean = output.Average();
double std = Math.Sqrt(output.Average(v => (v - mean) * (v - mean)));
Console.WriteLine($"Encoder [MultiHeadAttention(ModelDim = {Encoder.ModelDim}, Heads = {Encoder.Heads}, MaxSeqLen = {Encoder.MaxSeqLen}, Causal = true)], seqLen {SeqLen}:");
Console.WriteLine($"  output mean {mean:+0.0000;-0.0000}, std {std:0.0000}, first values {string.Join(", ", output.Take(4).Select(v => v.ToString("+0.0000;-0.0000")))}");

var (encoderMicros, encoderBytes) = Measure(() => encoder.Forward(input, output, SeqLen));
var (poolMicros, poolBytes) = Measure(() => loaded.Forward(example, prediction, NextStepTask.Steps));
if (typeof(Encoder).Assembly.GetCustomAttributes(typeof(DebuggableAttribute), false) is [DebuggableAttribute { IsJITOptimizerDisabled: true }])
{
    Console.WriteLine("  (a Debug build: the JIT is not optimizing, so these timings are far slower; run with -c Release)");
}

Console.WriteLine($"  {encoderMicros:F2} µs per call, {encoderBytes} bytes allocated per call");
Console.WriteLine($"NextStepPredictor: {poolMicros:F3} µs per call, {poolBytes} bytes allocated per call");

// Median of several timed batches after a warm-up, and allocations counted over all of them.
static (double MicrosPerCall, long BytesPerCall) Measure(Action call)
{
    const int CallsPerBatch = 2_000;
    const int Batches = 9;
    for (int i = 0; i < CallsPerBatch; i++)
    {
        call();
    }

    var batchMicros = new double[Batches];
    long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
    for (int b = 0; b < Batches; b++)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < CallsPerBatch; i++)
        {
            call();
        }

        batchMicros[b] = Stopwatch.GetElapsedTime(start).TotalMicroseconds / CallsPerBatch;
    }

    long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
    Array.Sort(batchMicros);
    return (batchMicros[Batches / 2], allocated / (CallsPerBatch * Batches));
}
