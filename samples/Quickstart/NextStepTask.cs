namespace Quickstart;

/// <summary>
/// A small synthetic task: noisy periodic signals. Each sequence repeats a random pattern of <see cref="Period"/>
/// values plus noise; from 5 steps, predict the 6th. Since the period is 4, the 6th value repeats the 2nd, and the
/// model has to find that out. Each step becomes <see cref="FeaturesPerStep"/> features: its value and a one-hot
/// marker of its position. The pooled row is then one attention-weighted value (plus the weights themselves), so
/// a good prediction needs the attention to land on the right step.
/// </summary>
public sealed class NextStepTask(int seed)
{
    public const int Steps = 5;
    public const int FeaturesPerStep = 1 + Steps;
    public const int InputSize = Steps * FeaturesPerStep;
    public const int Period = 4;
    private const double Noise = 0.05;

    private readonly Random _random = new(seed);

    /// <summary><paramref name="count"/> sequences as model inputs [count, Steps, FeaturesPerStep], and their 6th values.</summary>
    public (float[] Inputs, float[] Targets) Sample(int count)
    {
        var inputs = new float[count * InputSize];
        var targets = new float[count];
        for (int n = 0; n < count; n++)
        {
            var pattern = new double[Period];
            for (int k = 0; k < Period; k++)
            {
                pattern[k] = 2 * _random.NextDouble() - 1;
            }

            Span<float> sequence = inputs.AsSpan(n * InputSize, InputSize);
            for (int step = 0; step < Steps; step++)
            {
                sequence[step * FeaturesPerStep] = (float)(pattern[step % Period] + Noise * Gaussian());
                sequence[step * FeaturesPerStep + 1 + step] = 1;
            }

            targets[n] = (float)pattern[Steps % Period];
        }

        return (inputs, targets);
    }

    /// <summary>The raw values of one encoded sequence.</summary>
    public static float[] Values(ReadOnlySpan<float> sequence)
    {
        var values = new float[Steps];
        for (int step = 0; step < Steps; step++)
        {
            values[step] = sequence[step * FeaturesPerStep];
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
