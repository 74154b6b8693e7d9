using AttentionGen.Kernels;
using AttentionGen.Sampling;
using AttentionGen.Tests.Allocation;
using AttentionGen.Tests.Kernels;

namespace AttentionGen.Tests.Sampling;

/// <summary>
/// Greedy, temperature, top-k and top-p choices against their definitions: exact sets on hand-made distributions, on a
/// 32,000-token vocabulary and on <see cref="AdversarialLogits"/> up to 128,256 tokens (against a full sort in double),
/// and draw frequencies against the exact probabilities, within five standard errors or by a chi-square test. Numeric,
/// so the vectorized scaling and exponentials run on every SIMD path.
/// </summary>
[Trait("Category", "Numeric")]
public sealed class TokenSamplerTests
{
    private const int LargeVocab = 32000;

    [Fact]
    public void Greedy_IsTheArgmax_TiesToTheLowestId()
    {
        var sampler = new TokenSampler(LargeVocab, seed: 1);
        for (int seed = 0; seed < 5; seed++)
        {
            float[] logits = KernelReference.Uniform(LargeVocab, -10f, 10f, seed);
            int argmax = Array.IndexOf(logits, logits.Max());
            Assert.Equal(argmax, sampler.Next(logits, SamplingOptions.Greedy));
        }

        float[] tied = [float.NegativeInfinity, 1f, 3f, -2f, 3f, 3f];
        Assert.Equal(2, new TokenSampler(tied.Length, seed: 1).Next(tied, SamplingOptions.Greedy));
        // Greedy ignores top-k and top-p, as Hugging Face does without sampling.
        Assert.Equal(2, new TokenSampler(tied.Length, seed: 1).Next(tied, new SamplingOptions(Temperature: 0, TopK: 3, TopP: 0.1f)));
    }

    [Fact]
    public void TopKOne_IsGreedy_AtAnyTemperature()
    {
        var sampler = new TokenSampler(LargeVocab, seed: 2);
        for (int seed = 0; seed < 10; seed++)
        {
            float[] logits = KernelReference.Uniform(LargeVocab, -5f, 5f, seed + 100);
            int argmax = Array.IndexOf(logits, logits.Max());
            foreach (float temperature in new[] { 0.1f, 1f, 7f })
            {
                Assert.Equal(argmax, sampler.Next(logits, new SamplingOptions(temperature, TopK: 1)));
            }
        }
    }

    [Fact]
    public void LogitsMoreThanFloatMaxApart_AtAHugeTemperature_DrawAsTheSameDistributionScaledDown()
    {
        // 2¹²⁷ − (−2¹²⁷) overflows float. At T = 2¹²⁵ the scaled logits are exactly 0, −8 and −4, as they are for
        // 4, −4 and 0 at T = 1, so one seed must draw the same tokens from both (token 1 about once in 3,000 draws).
        float huge = MathF.ScaleB(1f, 127);
        float[] extreme = [huge, -huge, 0f];
        float[] ordinary = [4f, -4f, 0f];
        var extremeSampler = new TokenSampler(3, seed: 7);
        var ordinarySampler = new TokenSampler(3, seed: 7);
        var extremeOptions = new SamplingOptions(Temperature: MathF.ScaleB(1f, 125));
        int lowest = 0;
        for (int i = 0; i < 20_000; i++)
        {
            int token = extremeSampler.Next(extreme, extremeOptions);
            Assert.Equal(ordinarySampler.Next(ordinary, new SamplingOptions(Temperature: 1f)), token);
            lowest += token == 1 ? 1 : 0;
        }

        Assert.True(lowest > 0, "the token whose logit is −2¹²⁷ was never drawn: its weight overflowed to 0");
    }

    [Theory]
    [InlineData(1f, 0, 1f)]
    [InlineData(0.7f, 0, 1f)]
    [InlineData(2.5f, 0, 1f)]
    [InlineData(1f, 4, 1f)]
    [InlineData(0.8f, 0, 0.75f)]
    [InlineData(1.3f, 6, 0.9f)]
    public void Draws_FollowTheFilteredSoftmax_WithinFiveStandardErrors(float temperature, int topK, float topP)
    {
        const int draws = 20_000;
        float[] logits = [0.3f, -1.2f, 2.0f, 0.9f, float.NegativeInfinity, -0.4f, 1.4f, 0.0f, -2.5f, 1.1f];
        double[] expected = FilteredProbabilities(logits, temperature, topK, topP);

        var sampler = new TokenSampler(logits.Length, seed: 12345);
        var counts = new int[logits.Length];
        var options = new SamplingOptions(temperature, topK, topP);
        for (int i = 0; i < draws; i++)
        {
            counts[sampler.Next(logits, options)]++;
        }

        for (int id = 0; id < logits.Length; id++)
        {
            double frequency = (double)counts[id] / draws;
            if (expected[id] == 0)
            {
                Assert.True(counts[id] == 0, $"token {id} is filtered out but was drawn {counts[id]} times");
                continue;
            }
            // A count is binomial(draws, p): five standard errors of the frequency, √(p(1−p)/draws), fail a correct sampler
            // about once in 1.7 million per token.
            double bound = 5 * Math.Sqrt(expected[id] * (1 - expected[id]) / draws);
            Assert.True(Math.Abs(frequency - expected[id]) <= bound,
                $"token {id}: frequency {frequency:F4}, probability {expected[id]:F4}, bound {bound:F4}");
        }
    }

    [Theory]
    // Probabilities 0.05, 0.40, 0.10, 0.30, 0.15 by id; descending: 1 (0.40), 3 (0.70), 4 (0.85), 2 (0.95), 0 (1.00).
    [InlineData(0.05f, new[] { 1 })]
    [InlineData(0.39f, new[] { 1 })]
    [InlineData(0.41f, new[] { 1, 3 })]
    [InlineData(0.69f, new[] { 1, 3 })]
    [InlineData(0.71f, new[] { 1, 3, 4 })]
    [InlineData(0.84f, new[] { 1, 3, 4 })]
    [InlineData(0.86f, new[] { 1, 3, 4, 2 })]
    [InlineData(0.96f, new[] { 1, 3, 4, 2, 0 })]
    [InlineData(1f, new[] { 0, 1, 2, 3, 4 })]
    public void TopP_KeepsTheSmallestSetReachingP(float topP, int[] kept)
    {
        float[] logits = [.. new[] { 0.05, 0.40, 0.10, 0.30, 0.15 }.Select(p => (float)Math.Log(p))];
        var (ids, _) = new TokenSampler(logits.Length, seed: 3).Candidates(logits, new SamplingOptions(TopP: topP));
        Assert.Equal(kept.Order(), ids.Order());
    }

    [Theory]
    // Four equally likely tokens and one less likely: ties are taken lowest id first, so 0.3 needs two of them, the lowest.
    [InlineData(0.3f, new[] { 1, 2 })]
    [InlineData(0.5f, new[] { 1, 2, 3 })]
    public void TopP_TakesTiesLowestIdFirst(float topP, int[] kept)
    {
        float[] logits = [-1f, 0f, 0f, 0f, 0f];
        var (ids, _) = new TokenSampler(logits.Length, seed: 4).Candidates(logits, new SamplingOptions(TopP: topP));
        Assert.Equal(kept, ids.Order());
    }

    [Theory]
    // 0.3 and the next float up, less 0.9, give one float weight; the larger logit must still be taken first.
    [InlineData(0.9f, 0.3f, 0.30000004f)]
    // exp rounded to float comes out an ulp lower at −0.24997309 than at −0.2499731, the float below it.
    [InlineData(0f, -0.2499731f, -0.24997309f)]
    public void TopP_TakesTheLargerOfTwoLogitsAnUlpApartFirst_WhateverTheirWeightsRoundTo(float best, float lower, float higher)
    {
        Assert.Equal(higher, MathF.BitIncrement(lower));
        // The cut falls between the two: token 0 and half of one more reach p. Hugging Face sorts logit / T, so it keeps
        // the larger logit, whichever id it has; taken by weight then id, token 1 was kept in both orders.
        double weight = Math.Exp(lower - (double)best);
        var options = new SamplingOptions(TopP: (float)((1 + weight / 2) / (1 + 2 * weight)));
        var sampler = new TokenSampler(3, seed: 19);
        Assert.Equal([0, 2], sampler.Candidates([best, lower, higher], options).Ids.Order());
        Assert.Equal([0, 1], sampler.Candidates([best, higher, lower], options).Ids.Order());
    }

    [Fact]
    public void WeightBuckets_NeverFallAsTheScaledLogitRises()
    {
        // Top-p keeps whole histogram buckets of weights above the cut and orders the cut bucket by logit, so a larger
        // scaled logit must never land in a lower bucket. The float exp is not monotone (an ulp at a time), so check it
        // where it could matter: around every bucket boundary, 2^(e + m/8) for weights in (2^-126, 1].
        const int Around = 64;
        var arguments = new float[2 * Around];
        var weights = new float[arguments.Length];
        for (int boundary = (1 << 3) + 1; boundary < 127 << 3; boundary++)
        {
            float weight = BitConverter.Int32BitsToSingle(boundary << 20);
            float center = (float)Math.Log(weight);
            for (int i = 0; i < arguments.Length; i++)
            {
                arguments[i] = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(center) + Around - i);
            }
            arguments.CopyTo(weights, 0);
            SoftmaxKernels.ExpAndSum(weights, 0f);
            for (int i = 1; i < weights.Length; i++)
            {
                Assert.True(arguments[i] > arguments[i - 1]);
                Assert.True(BitConverter.SingleToInt32Bits(weights[i]) >> 20 >= BitConverter.SingleToInt32Bits(weights[i - 1]) >> 20,
                    $"exp({arguments[i]:R}) = {weights[i]:R} is in a lower bucket than exp({arguments[i - 1]:R}) = {weights[i - 1]:R}");
            }
        }
    }

    [Fact]
    public void TopK_KeepsEveryTokenTiedWithTheKthLargest()
    {
        float[] logits = [1f, 5f, 3f, 3f, float.NegativeInfinity, 3f, 2f];
        var sampler = new TokenSampler(logits.Length, seed: 5);
        Assert.Equal([1], sampler.Candidates(logits, new SamplingOptions(TopK: 1)).Ids);
        Assert.Equal([1, 2, 3, 5], sampler.Candidates(logits, new SamplingOptions(TopK: 2)).Ids);
        Assert.Equal([1, 2, 3, 5], sampler.Candidates(logits, new SamplingOptions(TopK: 4)).Ids);
        Assert.Equal([0, 1, 2, 3, 5, 6], sampler.Candidates(logits, new SamplingOptions(TopK: 6)).Ids);
    }

    [Theory]
    [InlineData(1f)]
    [InlineData(0.7f)]
    [InlineData(3f)]
    public void TopK_ComparesTheLogits_NotTheirShiftedRoundedValues(float temperature)
    {
        // 3 and the next float up, less 10, both round to −7: compared so, token 1 tied with the 2nd largest and was
        // kept at a probability of 0.09%, where Hugging Face's topk of logits / T keeps only token 2.
        float[] logits = [10f, 3f, MathF.BitIncrement(3f)];
        var sampler = new TokenSampler(logits.Length, seed: 18);
        Assert.Equal([0, 2], sampler.Candidates(logits, new SamplingOptions(temperature, TopK: 2)).Ids);
        Assert.Equal([0, 1, 2], sampler.Candidates(logits, new SamplingOptions(temperature, TopK: 3)).Ids);
    }

    [Fact]
    public void TopK_KeepsALogitWhoseQuotientRoundsToTheKthOnes_AsHuggingFacesTopkOfLogitsOverT()
    {
        // Hugging Face divides the logits by T in float and takes topk of the quotients: 3 and the next float up divide
        // to one float at some temperatures, and both are then at the 2nd value and kept.
        float low = 3f, high = MathF.BitIncrement(3f);
        float temperature = 1.5f;
        while (low / temperature != high / temperature)
        {
            temperature = MathF.BitIncrement(temperature);
        }
        Assert.InRange(temperature, 1.5f, 2.5f); // the first such temperature is just above 2

        float[] logits = [10f, low, high];
        var sampler = new TokenSampler(logits.Length, seed: 19);
        Assert.Equal([0, 1, 2], sampler.Candidates(logits, new SamplingOptions(temperature, TopK: 2)).Ids);
        // Where the quotients differ, the lower logit is left out.
        Assert.Equal([0, 2], sampler.Candidates(logits, new SamplingOptions(1f, TopK: 2)).Ids);
    }

    [Theory]
    [InlineData(1f, 0, 0.5f)]
    [InlineData(1f, 0, 0.9f)]
    [InlineData(0.6f, 0, 0.99f)]
    [InlineData(1f, 50, 1f)]
    [InlineData(1f, 1000, 1f)]
    [InlineData(0.9f, 50, 0.9f)]
    [InlineData(1.5f, 2000, 0.6f)]
    public void LargeVocabulary_KeptSetEqualsAFullSortsAndWeightsAreTheSoftmax(float temperature, int topK, float topP)
    {
        float[] logits = KernelReference.Uniform(LargeVocab, -8f, 8f, seed: topK + (int)(topP * 100));
        var sampler = new TokenSampler(LargeVocab, seed: 6);
        var (ids, weights) = sampler.Candidates(logits, new SamplingOptions(temperature, topK, topP));

        double[] expected = FilteredProbabilities(logits, temperature, topK, topP);
        int[] expectedIds = [.. Enumerable.Range(0, LargeVocab).Where(id => expected[id] > 0)];
        Assert.Equal(expectedIds, ids.Order());

        // The weights are exp((logit − max)/T): relative to the best token's, which is 1.
        double largest = expected.Max();
        for (int j = 0; j < ids.Length; j++)
        {
            double reference = expected[ids[j]] / largest;
            Assert.True(Math.Abs(weights[j] - reference) <= 1e-5 * Math.Max(1, reference), $"id {ids[j]}: weight {weights[j]}, expected {reference}");
        }
    }

    [Theory]
    [InlineData("near-equal", 1f, 0, 0.50025f)]
    [InlineData("near-equal", 2.5f, 0, 0.30025f)]
    [InlineData("near-equal", 0.5f, 700, 0.9f)]
    [InlineData("ulp-pairs", 1f, 0, 0.5f)]
    [InlineData("ulp-pairs", 3f, 0, 0.9f)]
    [InlineData("ulp-pairs", 0.7f, 301, 0.6f)]
    [InlineData("one-bucket", 1f, 0, 0.5f)]
    [InlineData("one-bucket", 1f, 0, 0.95f)]
    [InlineData("flat-tail", 1f, 0, 0.9f)]
    [InlineData("flat-tail", 0.8f, 40_000, 0.93f)]
    [InlineData("masked", 1f, 250, 0.8f)]
    [InlineData("masked", 2f, 0, 0.99f)]
    [InlineData("all-equal", 1f, 0, 0.3333f)]
    [InlineData("all-equal", 1f, 5, 1f)]
    [InlineData("single-finite", 1f, 10, 0.5f)]
    public void KeptSet_IsExactlyTheNucleus_OnAdversarialLogits(string kind, float temperature, int topK, float topP)
    {
        float[] logits = AdversarialLogits.Make(kind, seed: 20);
        var (order, cumulative, nucleus, _) = AdversarialLogits.Exact(logits, temperature, topK, topP);
        var (ids, weights) = new TokenSampler(logits.Length, seed: 21).Candidates(logits, new SamplingOptions(temperature, topK, topP));

        // Top-k keeps masked tokens when it asks for more than there are; they must weigh nothing.
        for (int j = 0; j < ids.Length; j++)
        {
            Assert.True(!float.IsNegativeInfinity(logits[ids[j]]) || weights[j] == 0, $"masked token {ids[j]} weighs {weights[j]}");
        }

        // A prefix of the exact order, token for token: the nucleus, unless the float weights' rounding (relative 5e-7
        // at most) puts the cut's sum on the other side of p, which these logits and p are chosen not to let it do.
        int[] kept = [.. ids.Where(id => !float.IsNegativeInfinity(logits[id])).Order()];
        Assert.Equal(order[..nucleus].Order(), kept);
        Assert.True(topP == 1 || nucleus == order.Length || Math.Abs(cumulative[nucleus] - topP) > 5e-7 && Math.Abs(cumulative[nucleus - 1] - topP) > 5e-7,
            $"the cut is within rounding of p ({cumulative[nucleus - 1]:R}, {cumulative[nucleus]:R}): choose another p");
    }

    [Theory]
    [InlineData("near-equal", 1f, 0, 0.5f, 20_000)]
    [InlineData("ulp-pairs", 1f, 0, 0.5f, 20_000)]
    [InlineData("one-bucket", 1f, 0, 0.95f, 10_000)]
    [InlineData("flat-tail", 1f, 0, 0.9f, 600)]
    [InlineData("masked", 1.5f, 250, 0.8f, 20_000)]
    [InlineData("all-equal", 1f, 0, 1f, 20_000)]
    [InlineData("single-finite", 1f, 10, 1f, 1_000)]
    public void Draws_FollowTheExactDistribution_OnAdversarialLogits(string kind, float temperature, int topK, float topP, int draws)
    {
        float[] logits = AdversarialLogits.Make(kind, seed: 22);
        double[] expected = AdversarialLogits.Exact(logits, temperature, topK, topP).Probabilities;
        var sampler = new TokenSampler(logits.Length, seed: 23);
        var options = new SamplingOptions(temperature, topK, topP);
        var counts = new int[logits.Length];
        for (int i = 0; i < draws; i++)
        {
            counts[sampler.Next(logits, options)]++;
        }

        for (int id = 0; id < logits.Length; id++)
        {
            Assert.True(expected[id] > 0 || counts[id] == 0, $"token {id} has probability 0 but was drawn {counts[id]} times");
        }
        AssertChiSquareFits(counts, expected, draws);
    }

    /// <summary>
    /// Pearson's chi-square of the counts against the probabilities, over bins of consecutive ids each expecting at
    /// least 20 draws (fixed before drawing); fails above the chi-square quantile of about 1 − 3·10⁻⁷ (Wilson–Hilferty,
    /// five standard normal deviations), which a correct sampler exceeds about once in three million runs.
    /// </summary>
    private static void AssertChiSquareFits(int[] counts, double[] probabilities, int draws)
    {
        var binExpected = new List<double>();
        var binObserved = new List<double>();
        double expected = 0, observed = 0;
        for (int id = 0; id < counts.Length; id++)
        {
            expected += probabilities[id] * draws;
            observed += counts[id];
            if (expected >= 20)
            {
                binExpected.Add(expected);
                binObserved.Add(observed);
                expected = observed = 0;
            }
        }
        if (binExpected.Count == 0)
        {
            binExpected.Add(0);
            binObserved.Add(0);
        }
        binExpected[^1] += expected;
        binObserved[^1] += observed;

        int degrees = binExpected.Count - 1;
        if (degrees == 0)
        {
            return;
        }
        double statistic = binExpected.Select((e, b) => (binObserved[b] - e) * (binObserved[b] - e) / e).Sum();
        double spread = 2.0 / (9 * degrees);
        double bound = degrees * Math.Pow(1 - spread + 5 * Math.Sqrt(spread), 3);
        Assert.True(statistic <= bound, $"chi-square {statistic:F1} over {degrees} degrees of freedom exceeds {bound:F1}");
    }

    [Fact]
    public void SameSeed_SameSequence_OtherSeed_OtherSequence()
    {
        float[] logits = KernelReference.Uniform(1000, -2f, 2f, seed: 7);
        var options = new SamplingOptions(0.9f, TopK: 40, TopP: 0.95f);
        int[] Sequence(int seed)
        {
            var sampler = new TokenSampler(logits.Length, seed);
            return [.. Enumerable.Range(0, 200).Select(_ => sampler.Next(logits, options))];
        }

        Assert.Equal(Sequence(42), Sequence(42));
        Assert.NotEqual(Sequence(42), Sequence(43));
    }

    [Theory]
    // xoshiro256** seeded by SplitMix64, as Blackman and Vigna's reference C code computes them (the seed sign-extended).
    [InlineData(0L, 0x99EC5F36CB75F2B4UL, 0xBF6E1F784956452AUL, 0x1A5F849D4933E6E0UL, 0x6AA594F1262D2D2CUL)]
    [InlineData(42L, 0x15780B2E0C2EC716UL, 0x6104D9866D113A7EUL, 0xAE17533239E499A1UL, 0xECB8AD4703B360A1UL)]
    [InlineData(-1L, 0x8F5520D52A7EAD08UL, 0xC476A018CAA1802DUL, 0x81DE31C0D260469EUL, 0xBF658D7E065F3C2FUL)]
    public void Generator_IsTheReferenceXoshiro256StarStar(long seed, ulong first, ulong second, ulong third, ulong fourth)
    {
        var generator = new Xoshiro256StarStar(seed);
        Assert.Equal([first, second, third, fourth], [generator.NextUInt64(), generator.NextUInt64(), generator.NextUInt64(), generator.NextUInt64()]);
    }

    [Fact]
    public void OnlySampledCalls_TakeANumber_GreedyRefusedAndCandidateCallsTakeNone()
    {
        float[] logits = KernelReference.Uniform(500, -3f, 3f, seed: 24);
        var options = new SamplingOptions(0.9f, TopK: 100, TopP: 0.9f);
        var plain = new TokenSampler(logits.Length, seed: 25);
        int[] expected = [.. Enumerable.Range(0, 100).Select(_ => plain.Next(logits, options))];

        var interleaved = new TokenSampler(logits.Length, seed: 25);
        var tokens = new List<int>();
        for (int i = 0; i < 100; i++)
        {
            Assert.Equal(Array.IndexOf(logits, logits.Max()), interleaved.Next(logits, SamplingOptions.Greedy));
            Assert.Throws<ArgumentException>(() => interleaved.Next(logits.AsSpan(1), options));
            Assert.Throws<ArgumentOutOfRangeException>(() => interleaved.Next(logits, options with { TopP = 0 }));
            interleaved.Candidates(logits, options);
            tokens.Add(interleaved.Next(logits, options));
        }
        Assert.Equal(expected, tokens);
    }

    [Fact]
    public void EdgeSettings_KAtOrAboveTheVocabulary_KOneWithTies_EmptyLogits()
    {
        float[] logits = [0.5f, 2f, float.NegativeInfinity, 2f, -1f];
        var sampler = new TokenSampler(logits.Length, seed: 26);
        foreach (int k in new[] { 4, 5, 6, int.MaxValue })
        {
            Assert.Equal(k == 4 ? [0, 1, 3, 4] : [0, 1, 2, 3, 4], sampler.Candidates(logits, new SamplingOptions(TopK: k)).Ids.Order());
        }

        // k = 1 keeps both tokens tied at the largest logit, and draws them evenly (binomial, five standard errors).
        Assert.Equal([1, 3], sampler.Candidates(logits, new SamplingOptions(TopK: 1)).Ids.Order());
        const int draws = 10_000;
        int ones = Enumerable.Range(0, draws).Count(_ => sampler.Next(logits, new SamplingOptions(TopK: 1)) == 1);
        Assert.InRange(ones, draws / 2 - 5 * 50, draws / 2 + 5 * 50);

        Assert.Equal("logits", Assert.Throws<ArgumentException>(() => sampler.Next([], new SamplingOptions())).ParamName);
    }

    [Theory]
    // At a tiny temperature every token below the largest logit weighs 0, and the tied largest are drawn evenly.
    [InlineData(1e-30f)]
    [InlineData(1e-45f)]
    // At the largest temperature the logits −max, 0 and max − ulp scale to −2, −1 and −6e-8: no weight is 0.
    [InlineData(float.MaxValue)]
    public void ExtremeTemperatures_DrawTheirLimits_EvenOverFloatMaxValueSpreads(float temperature)
    {
        float max = float.MaxValue;
        float[] logits = [max, -max, float.NegativeInfinity, max, MathF.BitDecrement(max), 0f];
        var sampler = new TokenSampler(logits.Length, seed: 27);
        var counts = new int[logits.Length];
        const int draws = 6_000;
        for (int i = 0; i < draws; i++)
        {
            counts[sampler.Next(logits, new SamplingOptions(temperature))]++;
        }

        double[] weights = [.. logits.Select(logit => Math.Exp(((double)logit - max) / temperature))];
        for (int id = 0; id < logits.Length; id++)
        {
            double expected = weights[id] / weights.Sum(), bound = 5 * Math.Sqrt(expected * (1 - expected) / draws);
            Assert.True(Math.Abs((double)counts[id] / draws - expected) <= bound, $"token {id}: {counts[id]} of {draws}, probability {expected:F4}");
        }
        Assert.Equal(temperature < 1 ? 2 : 5, counts.Count(count => count > 0));
    }

    [Fact]
    public void NegativeInfinity_IsNeverChosen_EvenWhenTopKAsksForMoreTokens()
    {
        float[] logits = KernelReference.Uniform(64, -1f, 1f, seed: 8);
        for (int i = 0; i < logits.Length; i += 2)
        {
            logits[i] = float.NegativeInfinity;
        }

        var sampler = new TokenSampler(logits.Length, seed: 9);
        foreach (var options in new[] { new SamplingOptions(50f), new SamplingOptions(50f, TopK: 60), new SamplingOptions(50f, TopK: 60, TopP: 0.999f) })
        {
            for (int draw = 0; draw < 2000; draw++)
            {
                Assert.True(sampler.Next(logits, options) % 2 == 1);
            }
        }

        float[] onlyOne = [float.NegativeInfinity, float.NegativeInfinity, -300f, float.NegativeInfinity];
        Assert.Equal(2, new TokenSampler(4, seed: 10).Next(onlyOne, new SamplingOptions(1000f)));
    }

    [Fact]
    public void TinyTemperature_IsGreedyWithoutOverflow()
    {
        float[] logits = [3e38f, -3e38f, 2.9e38f, 0f];
        Assert.Equal(0, new TokenSampler(4, seed: 11).Next(logits, new SamplingOptions(1e-30f)));
    }

    [Fact]
    public void BadOptions_ThrowArgumentOutOfRange()
    {
        var sampler = new TokenSampler(4, seed: 12);
        float[] logits = [0f, 1f, 2f, 3f];
        foreach (var options in new SamplingOptions[]
        {
            new(Temperature: -0.5f), new(Temperature: float.NaN), new(Temperature: float.PositiveInfinity),
            new(TopK: -1),
            new(TopP: 0f), new(TopP: -0.1f), new(TopP: 1.01f), new(TopP: float.NaN),
            default,
        })
        {
            var error = Assert.Throws<ArgumentOutOfRangeException>(() => sampler.Next(logits, options));
            Assert.Equal("options", error.ParamName);
        }

        Assert.Equal(new SamplingOptions(1f, 0, 1f), new SamplingOptions());
        Assert.Equal(3, sampler.Next(logits, new SamplingOptions(TopP: 1f, TopK: 1)));
    }

    [Fact]
    public void BadLogits_ThrowArgumentException()
    {
        var sampler = new TokenSampler(4, seed: 13);
        var sampling = new SamplingOptions();
        foreach (var options in new[] { sampling, SamplingOptions.Greedy })
        {
            Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => sampler.Next([0f, float.NaN, 2f, 1f], options)).Message);
            Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => sampler.Next([float.NaN, 0f, 2f, 1f], options)).Message);
            Assert.Contains("+∞", Assert.Throws<ArgumentException>(() => sampler.Next([0f, float.PositiveInfinity, 2f, 1f], options)).Message);
            Assert.Contains("−∞", Assert.Throws<ArgumentException>(() => sampler.Next(Enumerable.Repeat(float.NegativeInfinity, 4).ToArray(), options)).Message);
            Assert.Equal("logits", Assert.Throws<ArgumentException>(() => sampler.Next([0f, 1f, 2f], options)).ParamName);
        }

        Assert.Equal("vocab", Assert.Throws<ArgumentOutOfRangeException>(() => new TokenSampler(0, seed: 1)).ParamName);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(LargeVocab - 17)]
    [InlineData(LargeVocab - 1)]
    public void NaN_IsFoundWhereverItIs(int at)
    {
        float[] logits = KernelReference.Uniform(LargeVocab, -1f, 1f, seed: at);
        logits[at] = float.NaN;
        var sampler = new TokenSampler(LargeVocab, seed: 16);
        foreach (var options in new[] { SamplingOptions.Greedy, new SamplingOptions(0.7f, TopK: 5) })
        {
            var error = Assert.Throws<ArgumentException>(() => sampler.Next(logits, options));
            Assert.Contains($"logits[{at}] is NaN", error.Message);
        }

        logits[at] = 2f;
        Assert.Equal(at, sampler.Next(logits, SamplingOptions.Greedy));
    }

    [Theory]
    [InlineData(0.5f, 16000)]
    [InlineData(0.25f, 8000)]
    [InlineData(1e-6f, 1)]
    public void TopP_OverEqualProbabilities_KeepsTheLowestIds(float topP, int kept)
    {
        // Every weight is exactly 1, so the cut is exact: the smallest count whose share reaches p.
        var (ids, _) = new TokenSampler(LargeVocab, seed: 17).Candidates(new float[LargeVocab], new SamplingOptions(TopP: topP));
        Assert.Equal(Enumerable.Range(0, kept), ids.Order());
    }

    [Fact]
    public void Next_AllocatesNothing()
    {
        float[] logits = KernelReference.Uniform(LargeVocab, -8f, 8f, seed: 14);
        var sampler = new TokenSampler(LargeVocab, seed: 15);
        SamplingOptions[] settings =
        [
            SamplingOptions.Greedy, new(0.8f), new(0.8f, TopK: 40), new(0.8f, TopP: 0.9f), new(0.8f, TopK: 40, TopP: 0.9f),
        ];

        int sum = 0;
        AllocationAssert.NothingPerCall(
            () =>
            {
                foreach (var options in settings)
                {
                    sum += sampler.Next(logits, options);
                }
            },
            callsPerRound: 100,
            warmUpCalls: 20);
        Assert.True(sum > 0);
    }

    /// <summary>
    /// The probabilities a draw should follow, in double from the definitions with a full sort: softmax of logits / T,
    /// zero outside the top k (ties at the k-th value kept) and outside the nucleus, renormalized.
    /// </summary>
    private static double[] FilteredProbabilities(float[] logits, float temperature, int topK, float topP)
    {
        int vocab = logits.Length;
        double[] scaled = [.. logits.Select(l => (double)l / temperature)];
        bool[] keep = [.. scaled.Select(s => !double.IsNegativeInfinity(s))];
        if (topK > 0 && topK < vocab)
        {
            double kth = scaled.OrderDescending().ElementAt(topK - 1);
            for (int id = 0; id < vocab; id++)
            {
                keep[id] &= scaled[id] >= kth;
            }
        }

        double max = scaled.Max();
        double[] probabilities = [.. scaled.Select((s, id) => keep[id] ? Math.Exp(s - max) : 0)];
        Normalize(probabilities);

        if (topP < 1)
        {
            int[] order = [.. Enumerable.Range(0, vocab).OrderByDescending(id => probabilities[id]).ThenBy(id => id)];
            double cumulative = 0;
            int taken = 0;
            while (cumulative < topP)
            {
                cumulative += probabilities[order[taken++]];
            }
            foreach (int id in order[taken..])
            {
                probabilities[id] = 0;
            }
            Normalize(probabilities);
        }
        return probabilities;

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
