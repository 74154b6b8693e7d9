namespace AttentionGen.Tests.Sampling;

/// <summary>
/// Logits built to stress the sampler's filters, by name, and the exact distribution they define, computed in double
/// from the definitions with a full sort.
/// </summary>
internal static class AdversarialLogits
{
    /// <summary>The logits of one named kind; the same name and seed give the same logits.</summary>
    public static float[] Make(string kind, int seed)
    {
        var random = new Random(seed);
        float Uniform(double low, double high) => (float)(low + (high - low) * random.NextDouble());
        float[] logits;
        switch (kind)
        {
            // Values a few ulps apart, many equal: ties and near-ties wherever the top-p cut falls.
            case "near-equal":
                logits = new float[2000];
                for (int i = 0; i < logits.Length; i++)
                {
                    logits[i] = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(2f) + random.Next(9));
                }
                break;
            // Pairs of logits an ulp apart under ids in random order, whose weights often round to one float.
            case "ulp-pairs":
                logits = new float[1000];
                for (int i = 0; i < logits.Length; i += 2)
                {
                    float low = Uniform(-1, 1);
                    (logits[i], logits[i + 1]) = random.Next(2) == 0 ? (low, MathF.BitIncrement(low)) : (MathF.BitIncrement(low), low);
                }
                break;
            // A few likely tokens and thousands whose weights share one or two histogram buckets (an eighth of an octave
            // is 0.087 in logit), so the cut falls inside a crowded bucket.
            case "one-bucket":
                logits = new float[5000];
                for (int i = 0; i < logits.Length; i++)
                {
                    logits[i] = i % 500 == 7 ? Uniform(3, 4) : Uniform(0, 0.05);
                }
                break;
            // A Llama-3-sized vocabulary: fifty likely tokens and a long flat tail that the nucleus reaches into.
            case "flat-tail":
                logits = new float[128_256];
                for (int i = 0; i < logits.Length; i++)
                {
                    logits[i] = i % 2500 == 11 ? Uniform(6, 8) : Uniform(0, 0.01);
                }
                break;
            // A third of the tokens masked with −∞.
            case "masked":
                logits = new float[300];
                for (int i = 0; i < logits.Length; i++)
                {
                    logits[i] = random.Next(3) == 0 ? float.NegativeInfinity : Uniform(-3, 3);
                }
                break;
            case "all-equal":
                logits = new float[1000];
                Array.Fill(logits, 0.25f);
                break;
            case "single-finite":
                logits = new float[1000];
                Array.Fill(logits, float.NegativeInfinity);
                logits[617] = -40f;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "No such kind of logits.");
        }
        return logits;
    }

    /// <summary>
    /// The tokens in the order top-p takes them (logit descending, then id ascending; masked tokens and those top-k
    /// removes left out); <c>Cumulative[j]</c>, the probability of the first j of them after temperature and top-k; the
    /// nucleus, how many of them top-p keeps; and each token's probability after all three, renormalized.
    /// </summary>
    public static (int[] Order, double[] Cumulative, int Nucleus, double[] Probabilities) Exact(float[] logits, float temperature, int topK, float topP)
    {
        int vocab = logits.Length;
        int[] order = [.. Enumerable.Range(0, vocab).Where(id => !float.IsNegativeInfinity(logits[id])).OrderByDescending(id => logits[id]).ThenBy(id => id)];
        if (topK > 0 && topK < order.Length)
        {
            float kth = logits[order[topK - 1]];
            order = [.. order.Where(id => logits[id] >= kth)];
        }

        double max = logits[order[0]];
        var probabilities = new double[vocab];
        foreach (int id in order)
        {
            probabilities[id] = Math.Exp((logits[id] - max) / temperature);
        }
        Normalize(probabilities);
        var cumulative = new double[order.Length + 1];
        for (int j = 0; j < order.Length; j++)
        {
            cumulative[j + 1] = cumulative[j] + probabilities[order[j]];
        }

        // Hugging Face's rule, sorted the other way: a token is kept unless those before it already reach p.
        int nucleus = 1;
        while (topP < 1 && nucleus < order.Length && cumulative[nucleus] < topP)
        {
            nucleus++;
        }
        if (topP >= 1)
        {
            nucleus = order.Length;
        }
        foreach (int id in order[nucleus..])
        {
            probabilities[id] = 0;
        }
        Normalize(probabilities);
        return (order, cumulative, nucleus, probabilities);

        static void Normalize(double[] values)
        {
            double sum = values.Sum();
            for (int i = 0; i < values.Length; i++)
            {
                values[i] /= sum;
            }
        }
    }
}
