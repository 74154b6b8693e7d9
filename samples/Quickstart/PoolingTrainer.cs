namespace Quickstart;

/// <summary>
/// Fits <see cref="NextStepPredictor"/> by full-batch gradient descent on the mean squared error. The forward pass is
/// the generated one; the backward pass is written out here from the attention weights α that Forward exposes:
/// with pooled p = Σ αᵢ xᵢ and y = W_o·p + b_o, the gradients are dW_o = dy·p, dαᵢ = xᵢ·(W_oᵀ dy), and through the
/// softmax dsᵢ = αᵢ (dαᵢ − Σⱼ αⱼ dαⱼ), so the score weights get dw = Σᵢ dsᵢ xᵢ.
/// The trainer keeps the parameters it updates in its own arrays and gives the model new (immutable) weights after
/// each step; the model's Forward always runs on a complete, consistent set.
/// </summary>
public sealed class PoolingTrainer(NextStepPredictor model)
{
    private const int Steps = NextStepTask.Steps;
    private const int Width = NextStepPredictor.InputDim;

    private readonly float[] _prediction = new float[1];
    private readonly float[] _alpha = new float[Steps];
    private readonly float[] _pooled = new float[Width];
    private readonly double[] _scoreGradient = new double[Width];
    private readonly double[] _outputGradient = new double[Width];
    private readonly double[] _alphaGradient = new double[Steps];
    private readonly float[] _scoreWeight = model.CurrentWeights.ToArray("score.weight");
    private readonly float[] _outputWeight = model.CurrentWeights.ToArray("output.weight");
    private readonly float[] _outputBias = model.CurrentWeights.ToArray("output.bias");

    /// <summary>Every parameter zero: the model predicts 0 and attends to every step equally.</summary>
    public static NextStepPredictor.Weights ZeroWeights()
    {
        var builder = NextStepPredictor.Weights.CreateBuilder();
        foreach (var parameter in NextStepPredictor.Parameters)
        {
            builder.Set(parameter.Name, new float[parameter.ElementCount]);
        }

        return builder.Build();
    }

    public void Fit(float[] inputs, float[] targets, int epochs, float learningRate, Action<int, double> progress)
    {
        for (int epoch = 0; epoch <= epochs; epoch++)
        {
            Array.Clear(_scoreGradient);
            Array.Clear(_outputGradient);
            double outputBiasGradient = 0;
            double loss = 0;
            for (int n = 0; n < targets.Length; n++)
            {
                ReadOnlySpan<float> x = inputs.AsSpan(n * NextStepTask.InputSize, NextStepTask.InputSize);
                model.Forward(x, _prediction, _alpha, Steps);
                double error = _prediction[0] - targets[n];
                loss += error * error;
                double dy = 2 * error / targets.Length;

                Pool(x);
                outputBiasGradient += dy;
                for (int k = 0; k < Width; k++)
                {
                    _outputGradient[k] += dy * _pooled[k];
                }

                // dαᵢ = xᵢ·(W_oᵀ dy); then back through the softmax.
                double[] dAlpha = _alphaGradient;
                double weighted = 0;
                for (int i = 0; i < Steps; i++)
                {
                    dAlpha[i] = dy * Dot(x.Slice(i * Width, Width), _outputWeight);
                    weighted += _alpha[i] * dAlpha[i];
                }

                for (int i = 0; i < Steps; i++)
                {
                    double dScore = _alpha[i] * (dAlpha[i] - weighted);
                    for (int k = 0; k < Width; k++)
                    {
                        _scoreGradient[k] += dScore * x[i * Width + k];
                    }
                }
            }

            progress(epoch, loss / targets.Length);
            if (epoch == epochs)
            {
                break;
            }

            Step(_scoreWeight, _scoreGradient, learningRate);
            Step(_outputWeight, _outputGradient, learningRate);
            _outputBias[0] -= learningRate * (float)outputBiasGradient;
            model.CurrentWeights = model.CurrentWeights.ToBuilder()
                .Set("score.weight", _scoreWeight)
                .Set("output.weight", _outputWeight)
                .Set("output.bias", _outputBias)
                .Build();
        }
    }

    public double MeanSquaredError(float[] inputs, float[] targets)
    {
        double total = 0;
        for (int n = 0; n < targets.Length; n++)
        {
            model.Forward(inputs.AsSpan(n * NextStepTask.InputSize, NextStepTask.InputSize), _prediction, Steps);
            double error = _prediction[0] - targets[n];
            total += error * error;
        }

        return total / targets.Length;
    }

    private void Pool(ReadOnlySpan<float> x)
    {
        Array.Clear(_pooled);
        for (int i = 0; i < Steps; i++)
        {
            for (int k = 0; k < Width; k++)
            {
                _pooled[k] += _alpha[i] * x[i * Width + k];
            }
        }
    }

    private static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double sum = 0;
        for (int k = 0; k < a.Length; k++)
        {
            sum += a[k] * b[k];
        }

        return sum;
    }

    private static void Step(Span<float> weights, double[] gradient, float learningRate)
    {
        for (int k = 0; k < weights.Length; k++)
        {
            weights[k] -= learningRate * (float)gradient[k];
        }
    }
}
