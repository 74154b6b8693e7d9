namespace Quickstart;

/// <summary>
/// A small synthetic task: noisy sine waves with a fixed period and random amplitude and phase. From 5 steps, predict
/// the 6th. Each step becomes <see cref="FeaturesPerStep"/> features: its value placed in that step's own slot, and a
/// one-hot marker of the step. Pooling then keeps each step's value apart, so the output layer can weigh steps
/// differently (extrapolating a sine needs a negative weight on an earlier step), and the one-hot half lets the score
/// layer learn which steps deserve attention.
/// </summary>
public sealed class NextStepTask(int seed)
{
    public const int Steps = 5;
    public const int FeaturesPerStep = 2 * Steps;
    public const int InputSize = Steps * FeaturesPerStep;
    private const double Period = 8;
    private const double Noise = 0.03;

    private readonly Random _random = new(seed);

    /// <summary><paramref name="count"/> sequences as model inputs [count, Steps, FeaturesPerStep], and their 6th values.</summary>
    public (float[] Inputs, float[] Targets) Sample(int count)
    {
        var inputs = new float[count * InputSize];
        var targets = new float[count];
        for (int n = 0; n < count; n++)
        {
            double amplitude = 0.5 + _random.NextDouble();
            double phase = _random.NextDouble() * 2 * Math.PI;
            Span<float> sequence = inputs.AsSpan(n * InputSize, InputSize);
            for (int step = 0; step < Steps; step++)
            {
                float value = (float)(amplitude * Math.Sin(2 * Math.PI * step / Period + phase) + Noise * Gaussian());
                sequence[step * FeaturesPerStep + step] = value;
                sequence[step * FeaturesPerStep + Steps + step] = 1;
            }

            targets[n] = (float)(amplitude * Math.Sin(2 * Math.PI * Steps / Period + phase));
        }

        return (inputs, targets);
    }

    /// <summary>The raw values of one encoded sequence.</summary>
    public static float[] Values(ReadOnlySpan<float> sequence)
    {
        var values = new float[Steps];
        for (int step = 0; step < Steps; step++)
        {
            values[step] = sequence[step * FeaturesPerStep + step];
        }

        return values;
    }

    /// <summary>The error of the naive forecast "the next value equals the last one", as a yardstick.</summary>
    public static double RepeatLastValueError(float[] inputs, float[] targets)
    {
        double total = 0;
        for (int n = 0; n < targets.Length; n++)
        {
            double error = Values(inputs.AsSpan(n * InputSize, InputSize))[Steps - 1] - targets[n];
            total += error * error;
        }

        return total / targets.Length;
    }

    private double Gaussian() =>
        Math.Sqrt(-2 * Math.Log(1 - _random.NextDouble())) * Math.Cos(2 * Math.PI * _random.NextDouble());
}
