using AttentionGen.Kernels;
using AttentionGen.Tests.Reference;
using Xunit.Sdk;

namespace AttentionGen.Tests.Kernels;

/// <summary>
/// The single-row kernels against sums in double, over row widths from 1 to past four Vector512s and the wide rows that
/// fall back to one vector width and a scalar tail, rows packed tightly and strided, and every count up to 40 (so both
/// the block-of-keys path and the one-key-at-a-time path run, and the last block slides back). Rows past
/// <c>count</c> and the stride gaps are NaN, and scores and outputs past their ends a sentinel, so a kernel that reads
/// or writes outside the call shows.
/// </summary>
[Trait("Category", "Numeric")]
public sealed class RowKernelsTests
{
    private const float Sentinel = 12345.5f;

    private const int SpareRows = 2;

    public static TheoryData<int> Counts => new(Enumerable.Range(0, 41));

    [Theory]
    [MemberData(nameof(Counts))]
    public void Dot_AllWidths(int count)
    {
        for (int width = 1; width <= 70; width++)
        {
            CheckDotDynamic(width, count);
        }

        CheckDot<RowShape<W100, Packed>>(count); CheckDot<RowShape<W256, Packed>>(count); CheckDot<RowShape<W300, Packed>>(count);
        CheckDot<RowShape<W16, Gap3>>(count); CheckDot<RowShape<W20, Gap3>>(count); CheckDot<RowShape<W64, Gap3>>(count);
        CheckDot<RowShape<W100, Gap3>>(count); CheckDot<RowShape<W300, Gap3>>(count); CheckDot<RowShape<W3, Gap3>>(count);
    }

    [Theory]
    [MemberData(nameof(Counts))]
    public void WeightedSum_AllWidths(int count)
    {
        for (int width = 1; width <= 70; width++)
        {
            CheckWeightedSumDynamic(width, count);
        }

        CheckWeightedSum<RowShape<W100, Packed>>(count); CheckWeightedSum<RowShape<W256, Packed>>(count); CheckWeightedSum<RowShape<W300, Packed>>(count);
        CheckWeightedSum<RowShape<W16, Gap3>>(count); CheckWeightedSum<RowShape<W20, Gap3>>(count); CheckWeightedSum<RowShape<W64, Gap3>>(count);
        CheckWeightedSum<RowShape<W100, Gap3>>(count); CheckWeightedSum<RowShape<W300, Gap3>>(count); CheckWeightedSum<RowShape<W3, Gap3>>(count);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(16)]
    [InlineData(33)]
    public void AddWeightedSum_AddsToWhatIsThere(int count)
    {
        CheckWeightedSum<RowShape<W3, Packed>>(count, accumulate: true);
        CheckWeightedSum<RowShape<W20, Gap3>>(count, accumulate: true);
        CheckWeightedSum<RowShape<W64, Packed>>(count, accumulate: true);
        CheckWeightedSum<RowShape<W100, Gap3>>(count, accumulate: true);
        CheckWeightedSum<RowShape<W256, Packed>>(count, accumulate: true);
        CheckWeightedSum<RowShape<W300, Gap3>>(count, accumulate: true);
    }

    private static void CheckDot<TRow>(int count)
        where TRow : struct, IRowShape
    {
        const float Scale = 0.75f;
        int seed = TRow.Width * 101 + TRow.RowStride * 7 + count;
        var x = TestData.Uniform(seed, TRow.Width);
        var rows = Rows(seed + 1, TRow.Width, TRow.RowStride, count);
        var scores = new float[count + SpareRows];
        Array.Fill(scores, Sentinel);
        RowKernels<TRow>.Dot(ref x[0], ref rows[0], count, Scale, ref scores[0]);

        var expected = new double[count];
        for (int j = 0; j < count; j++)
        {
            double dot = 0;
            for (int d = 0; d < TRow.Width; d++)
            {
                dot += (double)x[d] * rows[j * TRow.RowStride + d];
            }

            expected[j] = Scale * dot;
        }

        string what = $"Dot width {TRow.Width} stride {TRow.RowStride} count {count}";
        TestData.AssertClose(expected, scores, what);
        AssertUntouched(scores, count, what);
    }

    private static void CheckWeightedSum<TRow>(int count, bool accumulate = false)
        where TRow : struct, IRowShape
    {
        int seed = TRow.Width * 103 + TRow.RowStride * 5 + count;
        var weights = TestData.Uniform(seed, count + SpareRows);
        weights.AsSpan(count).Fill(float.NaN);
        var rows = Rows(seed + 1, TRow.Width, TRow.RowStride, count);
        var start = TestData.Uniform(seed + 2, TRow.Width);
        var output = new float[TRow.Width + SpareRows];
        Array.Fill(output, Sentinel);
        if (accumulate)
        {
            start.CopyTo(output, 0);
        }
        else
        {
            output.AsSpan(0, TRow.Width).Fill(float.NaN); // a plain weighted sum overwrites whatever was there
        }

        if (accumulate)
        {
            RowKernels<TRow>.AddWeightedSum(ref weights[0], ref rows[0], count, ref output[0]);
        }
        else
        {
            RowKernels<TRow>.WeightedSum(ref weights[0], ref rows[0], count, ref output[0]);
        }

        var expected = new double[TRow.Width];
        for (int d = 0; d < TRow.Width; d++)
        {
            double sum = accumulate ? start[d] : 0;
            for (int j = 0; j < count; j++)
            {
                sum += (double)weights[j] * rows[j * TRow.RowStride + d];
            }

            expected[d] = sum;
        }

        string what = $"{(accumulate ? "AddWeightedSum" : "WeightedSum")} width {TRow.Width} stride {TRow.RowStride} count {count}";
        TestData.AssertClose(expected, output, what);
        AssertUntouched(output, TRow.Width, what);
    }

    /// <summary>
    /// <paramref name="count"/> rows of seeded values <paramref name="stride"/> apart, with NaN in the gaps and in
    /// <see cref="SpareRows"/> more rows after them (row 0 always exists so the kernels get a valid reference).
    /// </summary>
    private static float[] Rows(int seed, int width, int stride, int count)
    {
        var values = TestData.Uniform(seed, Math.Max(count, 1) * stride);
        var rows = new float[(count + SpareRows) * stride];
        rows.AsSpan().Fill(float.NaN);
        for (int j = 0; j < count; j++)
        {
            values.AsSpan(j * stride, width).CopyTo(rows.AsSpan(j * stride));
        }

        return rows;
    }

    private static void AssertUntouched(float[] values, int from, string what)
    {
        for (int i = from; i < values.Length; i++)
        {
            if (values[i] != Sentinel)
            {
                throw new XunitException($"{what}: element {i} past the end was written ({values[i]}).");
            }
        }
    }

    /// <summary>Widths 1…70 packed, through one generic instantiation per width (struct type arguments built by reflection).</summary>
    private static void CheckDotDynamic(int width, int count) =>
        Invoke(nameof(CheckDot), width, count);

    private static void CheckWeightedSumDynamic(int width, int count) =>
        Invoke(nameof(CheckWeightedSum), width, count);

    private static void Invoke(string method, int width, int count)
    {
        var rowShape = typeof(RowShape<,>).MakeGenericType(WidthTypes[width - 1], typeof(Packed));
        var info = typeof(RowKernelsTests).GetMethod(method, System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!;
        object?[] arguments = info.GetParameters().Length == 1 ? [count] : [count, false];
        try
        {
            info.MakeGenericMethod(rowShape).Invoke(null, arguments);
        }
        catch (System.Reflection.TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
        }
    }

    private interface IConstant
    {
        static abstract int Value { get; }
    }

    /// <summary>A row shape of width <typeparamref name="TWidth"/>, its rows <typeparamref name="TGap"/> floats apart beyond it.</summary>
    private struct RowShape<TWidth, TGap> : IRowShape
        where TWidth : struct, IConstant
        where TGap : struct, IConstant
    {
        // Marked for inlining as generated shapes need not be: these read other type parameters, and the JIT inlines a
        // method that makes static virtual calls only when told to.
        public static int Width
        {
            [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
            get => TWidth.Value;
        }

        public static int RowStride
        {
            [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
            get => TWidth.Value + TGap.Value;
        }
    }

    private struct Packed : IConstant { public static int Value => 0; }
    private struct Gap3 : IConstant { public static int Value => 3; }
    private struct W100 : IConstant { public static int Value => 100; }
    private struct W256 : IConstant { public static int Value => 256; }
    private struct W300 : IConstant { public static int Value => 300; }

    private static readonly Type[] WidthTypes =
    [
        typeof(W1), typeof(W2), typeof(W3), typeof(W4), typeof(W5), typeof(W6), typeof(W7), typeof(W8), typeof(W9), typeof(W10),
        typeof(W11), typeof(W12), typeof(W13), typeof(W14), typeof(W15), typeof(W16), typeof(W17), typeof(W18), typeof(W19), typeof(W20),
        typeof(W21), typeof(W22), typeof(W23), typeof(W24), typeof(W25), typeof(W26), typeof(W27), typeof(W28), typeof(W29), typeof(W30),
        typeof(W31), typeof(W32), typeof(W33), typeof(W34), typeof(W35), typeof(W36), typeof(W37), typeof(W38), typeof(W39), typeof(W40),
        typeof(W41), typeof(W42), typeof(W43), typeof(W44), typeof(W45), typeof(W46), typeof(W47), typeof(W48), typeof(W49), typeof(W50),
        typeof(W51), typeof(W52), typeof(W53), typeof(W54), typeof(W55), typeof(W56), typeof(W57), typeof(W58), typeof(W59), typeof(W60),
        typeof(W61), typeof(W62), typeof(W63), typeof(W64), typeof(W65), typeof(W66), typeof(W67), typeof(W68), typeof(W69), typeof(W70),
    ];

    private struct W1 : IConstant { public static int Value => 1; }
    private struct W2 : IConstant { public static int Value => 2; }
    private struct W3 : IConstant { public static int Value => 3; }
    private struct W4 : IConstant { public static int Value => 4; }
    private struct W5 : IConstant { public static int Value => 5; }
    private struct W6 : IConstant { public static int Value => 6; }
    private struct W7 : IConstant { public static int Value => 7; }
    private struct W8 : IConstant { public static int Value => 8; }
    private struct W9 : IConstant { public static int Value => 9; }
    private struct W10 : IConstant { public static int Value => 10; }
    private struct W11 : IConstant { public static int Value => 11; }
    private struct W12 : IConstant { public static int Value => 12; }
    private struct W13 : IConstant { public static int Value => 13; }
    private struct W14 : IConstant { public static int Value => 14; }
    private struct W15 : IConstant { public static int Value => 15; }
    private struct W16 : IConstant { public static int Value => 16; }
    private struct W17 : IConstant { public static int Value => 17; }
    private struct W18 : IConstant { public static int Value => 18; }
    private struct W19 : IConstant { public static int Value => 19; }
    private struct W20 : IConstant { public static int Value => 20; }
    private struct W21 : IConstant { public static int Value => 21; }
    private struct W22 : IConstant { public static int Value => 22; }
    private struct W23 : IConstant { public static int Value => 23; }
    private struct W24 : IConstant { public static int Value => 24; }
    private struct W25 : IConstant { public static int Value => 25; }
    private struct W26 : IConstant { public static int Value => 26; }
    private struct W27 : IConstant { public static int Value => 27; }
    private struct W28 : IConstant { public static int Value => 28; }
    private struct W29 : IConstant { public static int Value => 29; }
    private struct W30 : IConstant { public static int Value => 30; }
    private struct W31 : IConstant { public static int Value => 31; }
    private struct W32 : IConstant { public static int Value => 32; }
    private struct W33 : IConstant { public static int Value => 33; }
    private struct W34 : IConstant { public static int Value => 34; }
    private struct W35 : IConstant { public static int Value => 35; }
    private struct W36 : IConstant { public static int Value => 36; }
    private struct W37 : IConstant { public static int Value => 37; }
    private struct W38 : IConstant { public static int Value => 38; }
    private struct W39 : IConstant { public static int Value => 39; }
    private struct W40 : IConstant { public static int Value => 40; }
    private struct W41 : IConstant { public static int Value => 41; }
    private struct W42 : IConstant { public static int Value => 42; }
    private struct W43 : IConstant { public static int Value => 43; }
    private struct W44 : IConstant { public static int Value => 44; }
    private struct W45 : IConstant { public static int Value => 45; }
    private struct W46 : IConstant { public static int Value => 46; }
    private struct W47 : IConstant { public static int Value => 47; }
    private struct W48 : IConstant { public static int Value => 48; }
    private struct W49 : IConstant { public static int Value => 49; }
    private struct W50 : IConstant { public static int Value => 50; }
    private struct W51 : IConstant { public static int Value => 51; }
    private struct W52 : IConstant { public static int Value => 52; }
    private struct W53 : IConstant { public static int Value => 53; }
    private struct W54 : IConstant { public static int Value => 54; }
    private struct W55 : IConstant { public static int Value => 55; }
    private struct W56 : IConstant { public static int Value => 56; }
    private struct W57 : IConstant { public static int Value => 57; }
    private struct W58 : IConstant { public static int Value => 58; }
    private struct W59 : IConstant { public static int Value => 59; }
    private struct W60 : IConstant { public static int Value => 60; }
    private struct W61 : IConstant { public static int Value => 61; }
    private struct W62 : IConstant { public static int Value => 62; }
    private struct W63 : IConstant { public static int Value => 63; }
    private struct W64 : IConstant { public static int Value => 64; }
    private struct W65 : IConstant { public static int Value => 65; }
    private struct W66 : IConstant { public static int Value => 66; }
    private struct W67 : IConstant { public static int Value => 67; }
    private struct W68 : IConstant { public static int Value => 68; }
    private struct W69 : IConstant { public static int Value => 69; }
    private struct W70 : IConstant { public static int Value => 70; }
}
