using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace AttentionGen.Kernels;

/// <summary>
/// The operations a kernel needs from one vector width, so a loop is written once as a generic over
/// (<typeparamref name="TVector"/>, its width struct) and the JIT compiles one specialized copy per width. The BCL's
/// own abstraction for this (<c>ISimdVector</c>) is not public, hence this one.
/// </summary>
/// <typeparam name="TVector"><see cref="Vector128{T}"/>, <see cref="Vector256{T}"/> or <see cref="Vector512{T}"/> of float.</typeparam>
/// <remarks>
/// Every member is a one-line forward to the width's own intrinsic, so for a struct type argument it inlines away.
/// Two horizontal sums exist because callers were written against both and must keep their exact rounding:
/// <see cref="Sum"/> is the BCL's <c>VectorNNN.Sum</c>, <see cref="PairwiseSum"/> is <see cref="HorizontalSum.Of(Vector128{float})"/>.
/// </remarks>
internal interface IVectorWidth<TVector> where TVector : struct
{
    static abstract bool IsHardwareAccelerated { get; }

    static abstract int Count { get; }

    static abstract TVector Zero { get; }

    static abstract TVector Create(float value);

    static abstract TVector Load(ref float source, nuint offset);

    static abstract void Store(TVector value, ref float destination, nuint offset);

    static abstract TVector Add(TVector left, TVector right);

    static abstract TVector Multiply(TVector left, TVector right);

    static abstract TVector MultiplyAddEstimate(TVector left, TVector right, TVector addend);

    static abstract TVector BitwiseAnd(TVector left, TVector right);

    /// <summary>One instruction, unlike the IEEE max; which operand a NaN comparison yields is the hardware's choice.</summary>
    static abstract TVector MaxNative(TVector left, TVector right);

    static abstract TVector ConditionalSelect(TVector mask, TVector whenTrue, TVector whenFalse);

    /// <summary>All bits set in the lanes whose index is below <paramref name="count"/>, clear in the rest.</summary>
    static abstract TVector LanesBelow(int count);

    /// <summary>All bits set in the lanes whose index is at least <paramref name="count"/>, clear in the rest.</summary>
    static abstract TVector LanesFrom(int count);

    /// <summary>The BCL's <c>VectorNNN.Sum</c>.</summary>
    static abstract float Sum(TVector value);

    /// <summary><see cref="HorizontalSum.Of(Vector512{float})"/> and its narrower overloads.</summary>
    static abstract float PairwiseSum(TVector value);

    /// <summary>The largest lane, by <see cref="MaxNative"/> halving down to one lane.</summary>
    static abstract float MaxNativeAcross(TVector value);

    /// <summary>Halves added down to 128 bits, keeping the total of all lanes.</summary>
    static abstract Vector128<float> FoldTo128(TVector value);

    /// <summary><see cref="HorizontalSum.OfFour(Vector512{float}, Vector512{float}, Vector512{float}, Vector512{float})"/> and its narrower overloads.</summary>
    static abstract TVector SumsOfFour(TVector a, TVector b, TVector c, TVector d);

    /// <summary>
    /// <see cref="HorizontalSum.AcrossBlocks(Vector512{float}, Vector512{float}, Vector512{float}, Vector512{float})"/>
    /// over as many arguments as the vector has 128-bit blocks (4, 2 or 1); the rest are ignored.
    /// </summary>
    static abstract TVector SumsAcrossBlocks(TVector e0, TVector e1, TVector e2, TVector e3);

    /// <summary>The 128-bit block at <paramref name="index"/> (a constant at each call) of the vector.</summary>
    static abstract Vector128<float> Block128(TVector value, int index);

    static abstract TVector Exp(TVector x);

    // For VectorMath. A constant operand is a float parameter, broadcast inside the member: the JIT then sees a constant
    // vector when it imports the intrinsic (so Min and Clamp with a constant become one vminps/vmaxps each) and needs no
    // temporary for it, which keeps a kernel with several inlined exps under the JIT's limit on locals for inlining.

    static abstract TVector Add(TVector left, float right);

    static abstract TVector Subtract(float left, TVector right);

    static abstract TVector Multiply(TVector left, float right);

    static abstract TVector Divide(float left, TVector right);

    static abstract TVector MultiplyAddEstimate(TVector left, TVector right, float addend);

    static abstract TVector MultiplyAddEstimate(TVector left, float right, TVector addend);

    static abstract TVector MultiplyAddEstimate(float left, TVector right, float addend);

    static abstract TVector Negate(TVector value);

    static abstract TVector Abs(TVector value);

    static abstract TVector CopySign(TVector value, TVector sign);

    /// <summary>The IEEE minimum: NaN stays NaN.</summary>
    static abstract TVector Min(TVector value, float bound);

    /// <summary>The IEEE clamp: NaN stays NaN.</summary>
    static abstract TVector Clamp(TVector value, float min, float max);

    /// <summary>To the nearest integer, ties to even.</summary>
    static abstract TVector Round(TVector value);

    static abstract TVector LessThan(TVector left, float right);

    /// <summary>All bits set where left &lt; right, clear elsewhere (and where either is NaN).</summary>
    static abstract TVector LessThan(TVector left, TVector right);

    /// <summary>Each lane's index as a float: 0, 1, 2, …</summary>
    static abstract TVector Indices { get; }

    /// <summary>Each lane's bits as an int, shifted left by <paramref name="count"/> (a constant at each call).</summary>
    static abstract TVector ShiftLeftInt32(TVector value, int count);

    /// <summary>Each lane's bits as an int, plus <paramref name="addend"/>.</summary>
    static abstract TVector AddInt32(TVector value, int addend);

    /// <summary>
    /// <c>vscalefps</c>, value·2^floor(exponent) rounded once, where exponent ≥ <paramref name="limit"/> or is NaN, and 0
    /// elsewhere. Only with AVX-512 (and AVX-512VL below 512 bits).
    /// </summary>
    /// <remarks>
    /// One member rather than a compare, a scale and a select: written as one expression, the compare's mask register
    /// masks the scale itself (<c>vscalefps {k}{z}</c>). A compare returned through a member of its own reached the select
    /// as a vector (<c>vpmovm2d</c>, then <c>vpternlogd</c>): two instructions more per vector in the tiles' softmax.
    /// </remarks>
    static abstract TVector ScaleUnlessBelow(TVector value, TVector exponent, float limit);

    static abstract TVector Invoke<TOperator>(TVector x) where TOperator : struct, IUnaryOperator;

    static abstract TVector Invoke<TOperator>(TVector x, TVector y) where TOperator : struct, IBinaryOperator;

    static abstract TVector Invoke<TOperator>(TVector x, TVector y, TVector z) where TOperator : struct, ITernaryOperator;

    static abstract float Reduce<TOperator>(TVector value) where TOperator : struct, IAggregateOperator;
}

/// <summary><see cref="IVectorWidth{TVector}"/> over <see cref="Vector512{T}"/>.</summary>
internal readonly struct Vector512Width : IVectorWidth<Vector512<float>>
{
    public static bool IsHardwareAccelerated
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector512.IsHardwareAccelerated;
    }

    public static int Count
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector512<float>.Count;
    }

    public static Vector512<float> Zero
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector512<float>.Zero;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Create(float value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(ref float source, nuint offset) => Vector512.LoadUnsafe(ref source, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<float> value, ref float destination, nuint offset) => value.StoreUnsafe(ref destination, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Add(Vector512<float> left, Vector512<float> right) => left + right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Multiply(Vector512<float> left, Vector512<float> right) => left * right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyAddEstimate(Vector512<float> left, Vector512<float> right, Vector512<float> addend) =>
        Vector512.MultiplyAddEstimate(left, right, addend);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> BitwiseAnd(Vector512<float> left, Vector512<float> right) => left & right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MaxNative(Vector512<float> left, Vector512<float> right) => Vector512.MaxNative(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ConditionalSelect(Vector512<float> mask, Vector512<float> whenTrue, Vector512<float> whenFalse) =>
        Vector512.ConditionalSelect(mask, whenTrue, whenFalse);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LanesBelow(int count) => Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LanesFrom(int count) => Vector512.GreaterThanOrEqual(Vector512<int>.Indices, Vector512.Create(count)).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector512<float> value) => Vector512.Sum(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float PairwiseSum(Vector512<float> value) => HorizontalSum.Of(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxNativeAcross(Vector512<float> value) =>
        Vector256Width.MaxNativeAcross(Vector256.MaxNative(value.GetLower(), value.GetUpper()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> FoldTo128(Vector512<float> value) => Vector256Width.FoldTo128(value.GetLower() + value.GetUpper());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> SumsOfFour(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d) =>
        HorizontalSum.OfFour(a, b, c, d);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> SumsAcrossBlocks(Vector512<float> e0, Vector512<float> e1, Vector512<float> e2, Vector512<float> e3) => HorizontalSum.AcrossBlocks(e0, e1, e2, e3);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Block128(Vector512<float> value, int index) => index switch
    {
        0 => value.GetLower().GetLower(),
        1 => value.GetLower().GetUpper(),
        2 => value.GetUpper().GetLower(),
        _ => value.GetUpper().GetUpper(),
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x) => VectorMath.Exp(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Add(Vector512<float> left, float right) => left + Vector512.Create(right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Subtract(float left, Vector512<float> right) => Vector512.Create(left) - right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Multiply(Vector512<float> left, float right) => left * Vector512.Create(right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Divide(float left, Vector512<float> right) => Vector512.Create(left) / right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyAddEstimate(Vector512<float> left, Vector512<float> right, float addend) =>
        Vector512.MultiplyAddEstimate(left, right, Vector512.Create(addend));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyAddEstimate(Vector512<float> left, float right, Vector512<float> addend) =>
        Vector512.MultiplyAddEstimate(left, Vector512.Create(right), addend);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyAddEstimate(float left, Vector512<float> right, float addend) =>
        Vector512.MultiplyAddEstimate(Vector512.Create(left), right, Vector512.Create(addend));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Negate(Vector512<float> value) => -value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Abs(Vector512<float> value) => Vector512.Abs(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> CopySign(Vector512<float> value, Vector512<float> sign) => Vector512.CopySign(value, sign);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Min(Vector512<float> value, float bound) => Vector512.Min(value, Vector512.Create(bound));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Clamp(Vector512<float> value, float min, float max) => Vector512.Clamp(value, Vector512.Create(min), Vector512.Create(max));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Round(Vector512<float> value) => Vector512.Round(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LessThan(Vector512<float> left, float right) => Vector512.LessThan(left, Vector512.Create(right));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LessThan(Vector512<float> left, Vector512<float> right) => Vector512.LessThan(left, right);

    public static Vector512<float> Indices
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector512<float>.Indices;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ShiftLeftInt32(Vector512<float> value, int count) => Vector512.ShiftLeft(value.AsInt32(), count).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> AddInt32(Vector512<float> value, int addend) => (value.AsInt32() + Vector512.Create(addend)).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ScaleUnlessBelow(Vector512<float> value, Vector512<float> exponent, float limit) =>
        Vector512.ConditionalSelect(Avx512F.CompareNotLessThan(exponent, Vector512.Create(limit)), Avx512F.Scale(value, exponent), Vector512<float>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Invoke<TOperator>(Vector512<float> x) where TOperator : struct, IUnaryOperator => TOperator.Invoke(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Invoke<TOperator>(Vector512<float> x, Vector512<float> y) where TOperator : struct, IBinaryOperator =>
        TOperator.Invoke(x, y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Invoke<TOperator>(Vector512<float> x, Vector512<float> y, Vector512<float> z)
        where TOperator : struct, ITernaryOperator => TOperator.Invoke(x, y, z);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Reduce<TOperator>(Vector512<float> value) where TOperator : struct, IAggregateOperator => TOperator.Reduce(value);
}

/// <summary><see cref="IVectorWidth{TVector}"/> over <see cref="Vector256{T}"/>.</summary>
internal readonly struct Vector256Width : IVectorWidth<Vector256<float>>
{
    public static bool IsHardwareAccelerated
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector256.IsHardwareAccelerated;
    }

    public static int Count
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector256<float>.Count;
    }

    public static Vector256<float> Zero
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector256<float>.Zero;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Create(float value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(ref float source, nuint offset) => Vector256.LoadUnsafe(ref source, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<float> value, ref float destination, nuint offset) => value.StoreUnsafe(ref destination, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Add(Vector256<float> left, Vector256<float> right) => left + right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Multiply(Vector256<float> left, Vector256<float> right) => left * right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyAddEstimate(Vector256<float> left, Vector256<float> right, Vector256<float> addend) =>
        Vector256.MultiplyAddEstimate(left, right, addend);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> BitwiseAnd(Vector256<float> left, Vector256<float> right) => left & right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MaxNative(Vector256<float> left, Vector256<float> right) => Vector256.MaxNative(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ConditionalSelect(Vector256<float> mask, Vector256<float> whenTrue, Vector256<float> whenFalse) =>
        Vector256.ConditionalSelect(mask, whenTrue, whenFalse);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LanesBelow(int count) => Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(count)).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LanesFrom(int count) => Vector256.GreaterThanOrEqual(Vector256<int>.Indices, Vector256.Create(count)).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector256<float> value) => Vector256.Sum(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float PairwiseSum(Vector256<float> value) => HorizontalSum.Of(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxNativeAcross(Vector256<float> value) =>
        Vector128Width.MaxNativeAcross(Vector128.MaxNative(value.GetLower(), value.GetUpper()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> FoldTo128(Vector256<float> value) => value.GetLower() + value.GetUpper();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> SumsOfFour(Vector256<float> a, Vector256<float> b, Vector256<float> c, Vector256<float> d) =>
        HorizontalSum.OfFour(a, b, c, d);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> SumsAcrossBlocks(Vector256<float> e0, Vector256<float> e1, Vector256<float> e2, Vector256<float> e3) => HorizontalSum.AcrossBlocks(e0, e1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Block128(Vector256<float> value, int index) => index == 0 ? value.GetLower() : value.GetUpper();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x) => VectorMath.Exp(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Add(Vector256<float> left, float right) => left + Vector256.Create(right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Subtract(float left, Vector256<float> right) => Vector256.Create(left) - right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Multiply(Vector256<float> left, float right) => left * Vector256.Create(right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Divide(float left, Vector256<float> right) => Vector256.Create(left) / right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyAddEstimate(Vector256<float> left, Vector256<float> right, float addend) =>
        Vector256.MultiplyAddEstimate(left, right, Vector256.Create(addend));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyAddEstimate(Vector256<float> left, float right, Vector256<float> addend) =>
        Vector256.MultiplyAddEstimate(left, Vector256.Create(right), addend);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyAddEstimate(float left, Vector256<float> right, float addend) =>
        Vector256.MultiplyAddEstimate(Vector256.Create(left), right, Vector256.Create(addend));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Negate(Vector256<float> value) => -value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Abs(Vector256<float> value) => Vector256.Abs(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> CopySign(Vector256<float> value, Vector256<float> sign) => Vector256.CopySign(value, sign);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Min(Vector256<float> value, float bound) => Vector256.Min(value, Vector256.Create(bound));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Clamp(Vector256<float> value, float min, float max) => Vector256.Clamp(value, Vector256.Create(min), Vector256.Create(max));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Round(Vector256<float> value) => Vector256.Round(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LessThan(Vector256<float> left, float right) => Vector256.LessThan(left, Vector256.Create(right));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LessThan(Vector256<float> left, Vector256<float> right) => Vector256.LessThan(left, right);

    public static Vector256<float> Indices
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector256<float>.Indices;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ShiftLeftInt32(Vector256<float> value, int count) => Vector256.ShiftLeft(value.AsInt32(), count).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> AddInt32(Vector256<float> value, int addend) => (value.AsInt32() + Vector256.Create(addend)).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ScaleUnlessBelow(Vector256<float> value, Vector256<float> exponent, float limit) =>
        Vector256.ConditionalSelect(Avx512F.VL.CompareNotLessThan(exponent, Vector256.Create(limit)), Avx512F.VL.Scale(value, exponent), Vector256<float>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Invoke<TOperator>(Vector256<float> x) where TOperator : struct, IUnaryOperator => TOperator.Invoke(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Invoke<TOperator>(Vector256<float> x, Vector256<float> y) where TOperator : struct, IBinaryOperator =>
        TOperator.Invoke(x, y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Invoke<TOperator>(Vector256<float> x, Vector256<float> y, Vector256<float> z)
        where TOperator : struct, ITernaryOperator => TOperator.Invoke(x, y, z);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Reduce<TOperator>(Vector256<float> value) where TOperator : struct, IAggregateOperator => TOperator.Reduce(value);
}

/// <summary><see cref="IVectorWidth{TVector}"/> over <see cref="Vector128{T}"/>.</summary>
internal readonly struct Vector128Width : IVectorWidth<Vector128<float>>
{
    public static bool IsHardwareAccelerated
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector128.IsHardwareAccelerated;
    }

    public static int Count
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector128<float>.Count;
    }

    public static Vector128<float> Zero
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector128<float>.Zero;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Create(float value) => Vector128.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Load(ref float source, nuint offset) => Vector128.LoadUnsafe(ref source, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<float> value, ref float destination, nuint offset) => value.StoreUnsafe(ref destination, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Add(Vector128<float> left, Vector128<float> right) => left + right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Multiply(Vector128<float> left, Vector128<float> right) => left * right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MultiplyAddEstimate(Vector128<float> left, Vector128<float> right, Vector128<float> addend) =>
        Vector128.MultiplyAddEstimate(left, right, addend);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> BitwiseAnd(Vector128<float> left, Vector128<float> right) => left & right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MaxNative(Vector128<float> left, Vector128<float> right) => Vector128.MaxNative(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> ConditionalSelect(Vector128<float> mask, Vector128<float> whenTrue, Vector128<float> whenFalse) =>
        Vector128.ConditionalSelect(mask, whenTrue, whenFalse);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> LanesBelow(int count) => Vector128.LessThan(Vector128<int>.Indices, Vector128.Create(count)).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> LanesFrom(int count) => Vector128.GreaterThanOrEqual(Vector128<int>.Indices, Vector128.Create(count)).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector128<float> value) => Vector128.Sum(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float PairwiseSum(Vector128<float> value) => HorizontalSum.Of(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxNativeAcross(Vector128<float> value)
    {
        value = Vector128.MaxNative(value, Vector128.Shuffle(value, Vector128.Create(2, 3, 0, 1)));
        value = Vector128.MaxNative(value, Vector128.Shuffle(value, Vector128.Create(1, 0, 3, 2)));
        return value.ToScalar();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> FoldTo128(Vector128<float> value) => value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> SumsOfFour(Vector128<float> a, Vector128<float> b, Vector128<float> c, Vector128<float> d) =>
        HorizontalSum.OfFour(a, b, c, d);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> SumsAcrossBlocks(Vector128<float> e0, Vector128<float> e1, Vector128<float> e2, Vector128<float> e3) => e0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Block128(Vector128<float> value, int index) => value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Exp(Vector128<float> x) => VectorMath.Exp(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Add(Vector128<float> left, float right) => left + Vector128.Create(right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Subtract(float left, Vector128<float> right) => Vector128.Create(left) - right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Multiply(Vector128<float> left, float right) => left * Vector128.Create(right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Divide(float left, Vector128<float> right) => Vector128.Create(left) / right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MultiplyAddEstimate(Vector128<float> left, Vector128<float> right, float addend) =>
        Vector128.MultiplyAddEstimate(left, right, Vector128.Create(addend));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MultiplyAddEstimate(Vector128<float> left, float right, Vector128<float> addend) =>
        Vector128.MultiplyAddEstimate(left, Vector128.Create(right), addend);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MultiplyAddEstimate(float left, Vector128<float> right, float addend) =>
        Vector128.MultiplyAddEstimate(Vector128.Create(left), right, Vector128.Create(addend));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Negate(Vector128<float> value) => -value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Abs(Vector128<float> value) => Vector128.Abs(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> CopySign(Vector128<float> value, Vector128<float> sign) => Vector128.CopySign(value, sign);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Min(Vector128<float> value, float bound) => Vector128.Min(value, Vector128.Create(bound));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Clamp(Vector128<float> value, float min, float max) => Vector128.Clamp(value, Vector128.Create(min), Vector128.Create(max));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Round(Vector128<float> value) => Vector128.Round(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> LessThan(Vector128<float> left, float right) => Vector128.LessThan(left, Vector128.Create(right));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> LessThan(Vector128<float> left, Vector128<float> right) => Vector128.LessThan(left, right);

    public static Vector128<float> Indices
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector128<float>.Indices;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> ShiftLeftInt32(Vector128<float> value, int count) => Vector128.ShiftLeft(value.AsInt32(), count).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> AddInt32(Vector128<float> value, int addend) => (value.AsInt32() + Vector128.Create(addend)).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> ScaleUnlessBelow(Vector128<float> value, Vector128<float> exponent, float limit) =>
        Vector128.ConditionalSelect(Avx512F.VL.CompareNotLessThan(exponent, Vector128.Create(limit)), Avx512F.VL.Scale(value, exponent), Vector128<float>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Invoke<TOperator>(Vector128<float> x) where TOperator : struct, IUnaryOperator => TOperator.Invoke(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Invoke<TOperator>(Vector128<float> x, Vector128<float> y) where TOperator : struct, IBinaryOperator =>
        TOperator.Invoke(x, y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Invoke<TOperator>(Vector128<float> x, Vector128<float> y, Vector128<float> z)
        where TOperator : struct, ITernaryOperator => TOperator.Invoke(x, y, z);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Reduce<TOperator>(Vector128<float> value) where TOperator : struct, IAggregateOperator => TOperator.Reduce(value);
}
