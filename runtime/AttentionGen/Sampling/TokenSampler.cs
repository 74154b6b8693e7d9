using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using AttentionGen.Kernels;

namespace AttentionGen.Sampling;

/// <summary>
/// Picks the next token from a row of logits: greedy, or a seeded draw after temperature, top-k and top-p
/// (<see cref="SamplingOptions"/>). Its scratch is allocated once, so <see cref="Next"/> allocates nothing.
/// </summary>
/// <remarks>
/// <para>
/// The generator is owned by the instance: the same seed and the same calls give the same tokens, on any .NET version.
/// Every sampled call takes exactly one number from it; a greedy call takes none.
/// </para>
/// <para>
/// Nothing sorts the whole vocabulary. Top-k finds the k-th largest value with a k-element heap (one comparison for
/// most tokens); top-p finds the histogram bucket of probabilities its cut falls in with one pass, and orders only that
/// bucket's tokens, by a selection that partitions around pivots and keeps the side holding the cut. The kept set
/// comes out unordered, which a draw does not mind.
/// </para>
/// <para>
/// The scaled logits are <c>(logit − max) / T</c> rather than Hugging Face's <c>logit / T</c> (the same up to rounding,
/// and the largest is exactly 0, so a tiny temperature cannot overflow), and probabilities are summed in double. Top-k
/// and top-p rank tokens by their logits, which order them as <c>logit / T</c> does before any rounding (top-k also keeps
/// a logit whose quotient rounds to the k-th one's, as Hugging Face's <c>topk</c> of the quotients does). Ties are
/// resolved towards the lowest id: greedy's maximum, and the order in which top-p takes tokens of equal logit.
/// An instance is for one thread at a time, and that is enforced: a call made while another is running on the same
/// instance throws <see cref="InvalidOperationException"/>, since the two would share the scratch and could return a
/// token whose logit is −∞.
/// </para>
/// </remarks>
public sealed class TokenSampler
{
    private readonly float[] _values;
    private readonly int[] _ids;
    // Top-k's heap of logits; then, for top-p, the logits of the cut bucket's candidates beside their weights.
    private readonly float[] _heap;
    private readonly double[] _blockSums;
    private readonly double[] _bucketMass;
    private Xoshiro256StarStar _random;
    private ExclusiveUse _exclusiveUse;
    // Whether the candidates' ids are in _ids (top-k or top-p moved them) or are their indices in _values.
    private bool _candidatesHaveIds;

    /// <summary>Creates a sampler for logits of <paramref name="vocab"/> tokens, its generator seeded by <paramref name="seed"/>.</summary>
    /// <param name="vocab">The vocabulary size, at least 1.</param>
    /// <param name="seed">Any value; the same seed gives the same sequence of draws.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="vocab"/> is below 1.</exception>
    public TokenSampler(int vocab, int seed)
    {
        KernelChecks.AtLeast(vocab, 1, nameof(vocab));
        Vocab = vocab;
        _values = new float[vocab];
        _ids = new int[vocab];
        _heap = new float[vocab];
        _blockSums = new double[(vocab + DrawBlock - 1) / DrawBlock];
        _bucketMass = new double[Buckets];
        _random = new Xoshiro256StarStar(seed);
    }

    /// <summary>The vocabulary size: how many logits <see cref="Next"/> takes.</summary>
    public int Vocab { get; }

    /// <summary>The id of the next token, chosen from <paramref name="logits"/> as <paramref name="options"/> say.</summary>
    /// <param name="logits">One logit per token, exactly <see cref="Vocab"/>; −∞ marks a token that must not be chosen.</param>
    /// <param name="options">Temperature, top-k and top-p; <see cref="SamplingOptions.Greedy"/> for the most likely token.</param>
    /// <returns>A token id in <c>0..Vocab−1</c> whose logit is finite.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A setting in <paramref name="options"/> is out of its range.</exception>
    /// <exception cref="ArgumentException"><paramref name="logits"/> has the wrong length, holds NaN or +∞, or is all −∞.</exception>
    /// <exception cref="InvalidOperationException">Another call on this instance is running on another thread.</exception>
    public int Next(ReadOnlySpan<float> logits, in SamplingOptions options)
    {
        using var busy = _exclusiveUse.Enter(this);
        int best = CheckAndFindBest(logits, options);
        if (options.Temperature == 0)
        {
            return best;
        }

        int count = Filter(logits, options, best);
        return Draw(count);
    }

    /// <summary>
    /// The ids that <paramref name="options"/> leave to draw from (in no particular order) and their unnormalized
    /// probabilities (the largest 1), as <see cref="Next"/> computes them; draws nothing. For tests.
    /// </summary>
    internal (int[] Ids, float[] Weights) Candidates(ReadOnlySpan<float> logits, in SamplingOptions options)
    {
        using var busy = _exclusiveUse.Enter(this);
        int best = CheckAndFindBest(logits, options);
        int count = Filter(logits, options, best);
        var ids = new int[count];
        var weights = new float[count];
        for (int j = 0; j < count; j++)
        {
            ids[j] = _candidatesHaveIds ? _ids[j] : j;
            weights[j] = _values[j];
        }
        return (ids, weights);
    }

    /// <returns>The lowest id among the largest logits.</returns>
    private int CheckAndFindBest(ReadOnlySpan<float> logits, in SamplingOptions options)
    {
        options.Validate(nameof(options));
        if (logits.Length != Vocab)
        {
            throw new ArgumentException($"{nameof(logits)} has {logits.Length} floats, but this sampler's vocabulary has {Vocab} tokens.", nameof(logits));
        }

        // The vectorized IEEE maximum is NaN if any logit is; only then is the row searched for where.
        float max = SoftmaxKernels.Max(logits);
        if (float.IsNaN(max))
        {
            int at = logits.IndexOfAnyExceptInRange(float.NegativeInfinity, float.PositiveInfinity);
            throw new ArgumentException($"{nameof(logits)}[{at}] is NaN: the model produced no usable score for that token.", nameof(logits));
        }
        if (float.IsNegativeInfinity(max))
        {
            throw new ArgumentException($"Every one of the {logits.Length} {nameof(logits)} is −∞: no token may be chosen.", nameof(logits));
        }

        int best = 0;
        while (logits[best] != max)
        {
            best++;
        }
        if (float.IsPositiveInfinity(max))
        {
            throw new ArgumentException($"{nameof(logits)}[{best}] is +∞: the probabilities are undefined.", nameof(logits));
        }
        return best;
    }

    /// <summary>
    /// The largest temperature at which <c>logit − max</c> may overflow in float unnoticed. Logits more than
    /// <see cref="float.MaxValue"/> apart give −∞ there, so a weight of 0; at this temperature or below, the true weight
    /// <c>exp(−(max − logit)/T)</c> is at most e^−113, below the smallest float, so 0 as well. Above it, the scaled logits
    /// are formed in double.
    /// </summary>
    private const float OverflowHarmlessTemperature = 3e36f;

    /// <summary>
    /// Leaves the candidates' weights <c>exp((logit − max)/T)</c> in <c>_values[0..count)</c> (their ids in <c>_ids</c> when
    /// <c>_candidatesHaveIds</c>) and returns <c>count</c>.
    /// </summary>
    private int Filter(ReadOnlySpan<float> logits, in SamplingOptions options, int best)
    {
        Span<float> values = _values;
        if (options.Temperature <= OverflowHarmlessTemperature)
        {
            logits.CopyTo(values);
            ElementwiseLoops.Ternary<ShiftAndDivideOperator>(values, logits[best], options.Temperature);
        }
        else
        {
            // The difference of two finite floats is finite in double; only the quotient is rounded to float.
            double max = logits[best], temperature = options.Temperature;
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = (float)((logits[i] - max) / temperature);
            }
        }

        int count = Vocab;
        _candidatesHaveIds = false;
        if (options.TopK > 0 && options.TopK < count)
        {
            count = KeepTopK(logits, options.TopK, options.Temperature);
            _candidatesHaveIds = true;
        }

        // The best token's scaled logit is exactly 0, so every weight is in [0, 1] and the best one is 1.
        SoftmaxKernels.ExpAndSum(values[..count], 0f);

        if (options.TopP < 1)
        {
            if (!_candidatesHaveIds)
            {
                for (int i = 0; i < count; i++)
                {
                    _ids[i] = i;
                }
                _candidatesHaveIds = true;
            }
            count = KeepNucleus(logits, count, options.TopP);
        }
        return count;
    }

    /// <summary>
    /// Moves the values of the tokens whose <c>logit / temperature</c>, divided in float as Hugging Face divides, is at
    /// least the k-th largest (with their ids) to the front, in id order; returns how many.
    /// </summary>
    /// <remarks>
    /// The heap finds the k-th largest logit, and <c>logit / T</c> orders tokens as their logits do, but not strictly: two
    /// logits an ulp apart can divide to one float, which Hugging Face's <c>topk</c> then counts as tied, keeping both.
    /// The shifted values <c>(logit − max) / T</c> are no key for this: rounded after the subtraction, 3 and the next float
    /// up, less 10, both came out −7 at T = 1, tying a token Hugging Face leaves out. Where the k-th quotient is not finite
    /// (a temperature near 0, at which Hugging Face's own quotients overflow), the logits decide alone.
    /// </remarks>
    private int KeepTopK(ReadOnlySpan<float> logits, int k, float temperature)
    {
        float[] values = _values, heap = _heap;
        int vocab = Vocab;

        // A min-heap of the k largest so far: its root is the k-th largest, and most tokens fail the one comparison with it.
        logits[..k].CopyTo(heap);
        for (int i = k / 2 - 1; i >= 0; i--)
        {
            SiftDown(heap, k, i);
        }
        for (int i = k; i < vocab; i++)
        {
            if (logits[i] > heap[0])
            {
                heap[0] = logits[i];
                SiftDown(heap, k, 0);
            }
        }

        // The quotient rises with the logit, so the logits that divide to the k-th one's quotient are one run of floats
        // ending at it (a few at most); the lowest of the run is the threshold.
        float threshold = heap[0];
        float scaledThreshold = threshold / temperature;
        if (float.IsFinite(scaledThreshold))
        {
            for (float below = MathF.BitDecrement(threshold); below / temperature == scaledThreshold; below = MathF.BitDecrement(below))
            {
                threshold = below;
            }
        }

        int count = 0;
        for (int i = 0; i < vocab; i++)
        {
            if (logits[i] >= threshold)
            {
                values[count] = values[i];
                _ids[count] = i;
                count++;
            }
        }
        return count;
    }

    private static void SiftDown(float[] heap, int length, int at)
    {
        float value = heap[at];
        while (true)
        {
            int child = 2 * at + 1;
            if (child >= length)
            {
                break;
            }
            if (child + 1 < length && heap[child + 1] < heap[child])
            {
                child++;
            }
            if (heap[child] >= value)
            {
                break;
            }
            heap[at] = heap[child];
            at = child;
        }
        heap[at] = value;
    }

    /// <summary>
    /// Moves the nucleus, the smallest set of most probable candidates whose weight reaches <paramref name="topP"/> of the
    /// total, to the front of <c>_values[0..count)</c> and <c>_ids</c>; returns its size (at least 1).
    /// </summary>
    /// <remarks>
    /// <para>
    /// Candidates are ordered by logit, descending, then by id, ascending: the order in which Hugging Face sorts
    /// <c>logit / T</c> (its sort is unstable, so it leaves the order of equal values open), and a strict order, so the
    /// nucleus is one well-defined prefix of it. Not by weight: distinct logits can round to one float weight (0.3 and
    /// the next float up, less 0.9), and the float exp can even come out an ulp lower for the larger of two arguments.
    /// </para>
    /// <para>
    /// A histogram of the weight by its float bits' top 12 (sign, exponent, 3 mantissa bits: 8 buckets per octave) finds
    /// the bucket the cut falls in with one pass; every candidate in a higher bucket is kept, and only the cut bucket's
    /// candidates, usually a few dozen, are put in order, by <see cref="SelectCut"/>. A larger logit never lands in a
    /// lower bucket: the exp's missteps are an ulp, and none crosses a bucket boundary (a test checks around each).
    /// </para>
    /// </remarks>
    private int KeepNucleus(ReadOnlySpan<float> logits, int count, float topP)
    {
        float[] weights = _values;
        int[] ids = _ids;
        double[] mass = _bucketMass;
        Array.Clear(mass);
        for (int i = 0; i < count; i++)
        {
            float weight = weights[i];
            mass[Bucket(weight)] += weight;
        }
        double total = 0;
        for (int b = 0; b < mass.Length; b++)
        {
            total += mass[b];
        }
        double target = topP * total;

        int cutBucket = mass.Length - 1;
        double above = 0;
        for (; cutBucket > 0 && above + mass[cutBucket] < target; cutBucket--)
        {
            above += mass[cutBucket];
        }

        // Higher buckets to the front, then the cut bucket; the rest stay behind, out of the nucleus.
        int front = 0;
        for (int i = 0; i < count; i++)
        {
            if (Bucket(weights[i]) > cutBucket)
            {
                Swap(weights, ids, i, front++);
            }
        }
        int cutEnd = front;
        for (int i = front; i < count; i++)
        {
            if (Bucket(weights[i]) == cutBucket)
            {
                Swap(weights, ids, i, cutEnd++);
            }
        }
        // The cut bucket's logits side by side with its weights, so ordering it reads them in sequence.
        float[] keys = _heap;
        for (int i = front; i < cutEnd; i++)
        {
            keys[i] = logits[ids[i]];
        }
        return Math.Max(SelectCut(keys, weights, ids, front, cutEnd, above, target), 1);
    }

    private const int Buckets = 1 << 10;

    /// <summary>A weight's histogram bucket: its float bits' top 12 (the sign is 0, and a weight below 2 leaves 10).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Bucket(float weight) => Math.Min(BitConverter.SingleToInt32Bits(weight) >> 20, Buckets - 1);

    /// <summary>
    /// Where in <c>[low, high)</c> the kept prefix ends, given that everything before <paramref name="low"/> is kept and
    /// weighs <paramref name="kept"/>: quickselect in candidate order, where after partitioning around a pivot the side
    /// before it either reaches the target weight (the cut is in it) or is wholly kept along with the pivot.
    /// </summary>
    private static int SelectCut(float[] logits, float[] weights, int[] ids, int low, int high, double kept, double target)
    {
        // Everything before `low` is kept, weighing `kept`; the cut lies in [low, high).
        while (high - low > SmallRegion)
        {
            int pivot = Partition(logits, weights, ids, low, high);
            double before = 0;
            for (int i = low; i < pivot; i++)
            {
                before += weights[i];
            }

            if (kept + before >= target)
            {
                high = pivot;
                continue;
            }

            kept += before + weights[pivot];
            if (kept >= target)
            {
                return pivot + 1;
            }
            low = pivot + 1;
        }

        InsertionSort(logits, weights, ids, low, high);
        for (int i = low; i < high; i++)
        {
            kept += weights[i];
            if (kept >= target)
            {
                return i + 1;
            }
        }
        // Only by rounding (the region's weights summed in another order than when it was chosen): keep all of it.
        return high;
    }

    private const int SmallRegion = 16;

    /// <summary>Whether candidate a comes before candidate b: a larger logit, or an equal one and a lower id.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Before(float logitA, int idA, float logitB, int idB) => logitA > logitB || (logitA == logitB && idA < idB);

    /// <summary>
    /// Partitions <c>[low, high)</c> around the median of its first, middle and last candidates: those before it first,
    /// then it, then the rest. Returns its index.
    /// </summary>
    private static int Partition(float[] logits, float[] weights, int[] ids, int low, int high)
    {
        int last = high - 1, middle = low + (high - low) / 2;
        // Order the three samples, leaving the median at `last` as the pivot.
        if (Before(logits[middle], ids[middle], logits[low], ids[low]))
        {
            Swap(logits, weights, ids, middle, low);
        }
        if (Before(logits[last], ids[last], logits[low], ids[low]))
        {
            Swap(logits, weights, ids, last, low);
        }
        if (Before(logits[middle], ids[middle], logits[last], ids[last]))
        {
            Swap(logits, weights, ids, middle, last);
        }

        float pivotLogit = logits[last];
        int pivotId = ids[last];
        int store = low;
        for (int i = low; i < last; i++)
        {
            if (Before(logits[i], ids[i], pivotLogit, pivotId))
            {
                Swap(logits, weights, ids, i, store);
                store++;
            }
        }
        Swap(logits, weights, ids, store, last);
        return store;
    }

    private static void InsertionSort(float[] logits, float[] weights, int[] ids, int low, int high)
    {
        for (int i = low + 1; i < high; i++)
        {
            float logit = logits[i], weight = weights[i];
            int id = ids[i];
            int j = i - 1;
            while (j >= low && Before(logit, id, logits[j], ids[j]))
            {
                logits[j + 1] = logits[j];
                weights[j + 1] = weights[j];
                ids[j + 1] = ids[j];
                j--;
            }
            logits[j + 1] = logit;
            weights[j + 1] = weight;
            ids[j + 1] = id;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Swap(float[] weights, int[] ids, int a, int b)
    {
        (weights[a], weights[b]) = (weights[b], weights[a]);
        (ids[a], ids[b]) = (ids[b], ids[a]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Swap(float[] logits, float[] weights, int[] ids, int a, int b)
    {
        (logits[a], logits[b]) = (logits[b], logits[a]);
        Swap(weights, ids, a, b);
    }

    /// <summary>One draw from the candidates in proportion to their weights.</summary>
    /// <remarks>
    /// The weights are summed per block of <see cref="DrawBlock"/> in four independent chains, so the total is not one
    /// long chain of dependent double additions; the draw then finds its block among the block sums and its candidate
    /// within the block.
    /// </remarks>
    private int Draw(int count)
    {
        float[] weights = _values;
        double[] sums = _blockSums;
        int blocks = (count + DrawBlock - 1) / DrawBlock;
        double total = 0;
        for (int b = 0; b < blocks; b++)
        {
            int i = b * DrawBlock, end = Math.Min(i + DrawBlock, count);
            double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            for (; i + 4 <= end; i += 4)
            {
                s0 += weights[i];
                s1 += weights[i + 1];
                s2 += weights[i + 2];
                s3 += weights[i + 3];
            }
            for (; i < end; i++)
            {
                s0 += weights[i];
            }
            sums[b] = (s0 + s1) + (s2 + s3);
            total += sums[b];
        }

        // The block search adds the sums in the order the total did, so a target below the total always finds its block.
        double target = _random.NextDouble() * total;
        double before = 0;
        int block = 0;
        for (int b = 0; b < blocks; b++)
        {
            if (sums[b] > 0)
            {
                block = b;
                if (target < before + sums[b])
                {
                    break;
                }
                before += sums[b];
            }
        }

        double remaining = target - before, cumulative = 0;
        int chosen = -1;
        for (int i = block * DrawBlock, end = Math.Min(i + DrawBlock, count); i < end; i++)
        {
            float weight = weights[i];
            if (weight > 0)
            {
                chosen = i;
                cumulative += weight;
                if (remaining < cumulative)
                {
                    break;
                }
            }
        }
        // chosen is the block's last candidate with weight when rounding (the block summed in four chains, here in one)
        // left the target at or past the running sum's end; the best token's weight is 1, so some block has weight.
        return _candidatesHaveIds ? _ids[chosen] : chosen;
    }

    private const int DrawBlock = 64;
}

/// <summary><c>(x − shift) / divisor</c>: a logit made relative to the maximum, then divided by the temperature.</summary>
internal readonly struct ShiftAndDivideOperator : ITernaryOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Invoke(float x, float shift, float divisor) => (x - shift) / divisor;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> shift, Vector128<float> divisor) => (x - shift) / divisor;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> shift, Vector256<float> divisor) => (x - shift) / divisor;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> shift, Vector512<float> divisor) => (x - shift) / divisor;
}
