using System.Collections.Generic;
using System.Linq;
using AttentionGen.Generator.Planning;
using static AttentionGen.Generator.Emit.Literals;

namespace AttentionGen.Generator.Emit;

/// <summary>
/// Emits the two row kernels every layer is built from: a dot product of one row against many (scores) and a weighted
/// sum of many rows into one (P·V). Each gets one branch per vector width, guarded by <c>IsHardwareAccelerated</c>,
/// which the JIT folds to a constant so only the machine's own path survives, plus a scalar fallback.
/// </summary>
internal static class RowKernelEmitter
{
    private const string Inline = "[MethodImpl(MethodImplOptions.AggressiveOptimization)]";

    public static void Emit(SourceWriter w, RowKernelPlan kernel)
    {
        var grouped = kernel.StackedHeads > 1;
        var name = grouped ? kernel.MethodName + "OfHead" : kernel.MethodName;
        if (grouped)
        {
            EmitGroup(w, kernel);
            w.Line();
        }

        if (kernel.Kind == RowKernelKind.DotRows)
        {
            w.Line("/// <summary>");
            w.Line($"/// <c>scores[j] = scale · (x · rows[j])</c> for each of <paramref name=\"count\"/> rows of {kernel.WidthName} = {Int(kernel.Width)} floats,");
            w.Line($"/// {kernel.RowStrideName} apart.");
            w.Line(kernel.Unrolled
                ? "/// <c>x</c> is loaded into registers once and stays there while the rows stream past."
                : "/// The row is too wide to keep in registers, so each dot product is a loop.");
            w.Line("/// </summary>");
            w.Line(Inline);
            using (w.Block($"private static void {name}(ref float x, ref float rows, int count, float scale, ref float scores)"))
            {
                EmitPaths(w, kernel, path =>
                {
                    if (kernel.Unrolled && IsWholeVectors(kernel, path)) EmitBlockedDot(w, kernel, path);
                    if (kernel.Unrolled) EmitUnrolledDot(w, kernel, path);
                    else EmitLoopedDot(w, kernel, path);
                });
            }
        }
        else
        {
            w.Line("/// <summary>");
            w.Line($"/// <c>output {(grouped ? "+" : "")}= Σⱼ weights[j] · rows[j]</c> over <paramref name=\"count\"/> rows of {kernel.WidthName} = {Int(kernel.Width)} floats,");
            w.Line($"/// {kernel.RowStrideName} apart.");
            w.Line(kernel.Unrolled
                ? "/// The output row lives in registers until the final store."
                : "/// The row is too wide to keep in registers, so the sum accumulates in <c>output</c>.");
            w.Line("/// </summary>");
            w.Line(Inline);
            using (w.Block($"private static void {name}(ref float weights, ref float rows, int count, ref float output)"))
            {
                EmitPaths(w, kernel, path =>
                {
                    if (kernel.Unrolled) EmitUnrolledWeightedSum(w, kernel, path, accumulate: grouped);
                    else EmitLoopedWeightedSum(w, kernel, path, accumulate: grouped);
                });
            }
        }
    }

    /// <summary>
    /// The kernels for a whole group of query heads sharing one key/value head: where the head is whole Vector512s, the
    /// heads are stacked against each row (<see cref="GroupKernelEmitter"/>); otherwise they take turns on each block of
    /// <c>KeyBlock</c> rows while it is in L1. Either way the rows come from memory once per group. Only attention layers
    /// have groups, so this uses their constants.
    /// </summary>
    private static void EmitGroup(SourceWriter w, RowKernelPlan kernel)
    {
        var isDot = kernel.Kind == RowKernelKind.DotRows;
        var parameters = isDot
            ? "ref float x, ref float rows, int count, float scale, ref float scores"
            : "ref float weights, ref float rows, int count, ref float output";
        var arguments = isDot ? "ref x, ref rows, count, scale, ref scores" : "ref weights, ref rows, count, ref output";
        var headByHead = kernel.MethodName + "HeadByHead";

        w.Line("/// <summary>");
        if (isDot)
        {
            w.Line($"/// <c>scores[g·ScoreStride + j] = scale · (x_g · rows[j]{Slice(kernel)})</c> for the {kernel.StackedHeadsName} query heads {Whose(kernel)}, whose");
            w.Line("/// rows <c>x_g</c> are HeadDim apart. Each key row is read from memory once for all of them.");
        }
        else
        {
            w.Line($"/// <c>output_g = Σⱼ weights[g·ScoreStride + j] · rows[j]{Slice(kernel)}</c> for the {kernel.StackedHeadsName} query heads {Whose(kernel)}, whose");
            w.Line("/// outputs are HeadDim apart. Each value row is read from memory once for all of them.");
        }

        w.Line("/// </summary>");
        w.Line(Inline);
        using (w.Block($"private static void {kernel.MethodName}({parameters})"))
        {
            if (GroupKernelEmitter.Applies(kernel))
            {
                if (isDot) GroupKernelEmitter.EmitStackedDot(w, kernel);
                else GroupKernelEmitter.EmitStackedWeightedSum(w, kernel);
            }

            w.Line($"{headByHead}({arguments});");
        }

        w.Line();
        w.Line("/// <summary>The heads take turns on each block of KeyBlock rows while it is in L1.</summary>");
        w.Line(Inline);
        using (w.Block($"private static void {headByHead}({parameters})"))
        {
            var perHead = kernel.MethodName + "OfHead";
            if (isDot)
            {
                w.Line("// With enough keys every block is full: the last one slides back to end on the last key and rescores a few.");
                w.Line("int blockCount = Math.Min(KeyBlock, count);");
                using (w.Block("for (int first = 0; first < count; first += KeyBlock)"))
                {
                    w.Line("int start = Math.Min(first, count - blockCount);");
                    w.Line($"ref float block = ref Unsafe.Add(ref rows, (nint)start * {kernel.RowStrideName});");
                    using (w.Block($"for (int head = 0; head < {kernel.StackedHeadsName}; head++)"))
                    {
                        w.Line($"{perHead}(ref Unsafe.Add(ref x, head * HeadDim), {HeadSlice(kernel, "block")}, blockCount, scale, ref Unsafe.Add(ref scores, head * ScoreStride + start));");
                    }
                }
            }
            else
            {
                w.Line($"MemoryMarshal.CreateSpan(ref output, {kernel.StackedHeadsName} * {kernel.WidthName}).Clear();");
                using (w.Block("for (int first = 0; first < count; first += KeyBlock)"))
                {
                    w.Line("int blockCount = Math.Min(KeyBlock, count - first);");
                    w.Line($"ref float block = ref Unsafe.Add(ref rows, (nint)first * {kernel.RowStrideName});");
                    using (w.Block($"for (int head = 0; head < {kernel.StackedHeadsName}; head++)"))
                    {
                        w.Line($"{perHead}(ref Unsafe.Add(ref weights, head * ScoreStride + first), {HeadSlice(kernel, "block")}, blockCount, ref Unsafe.Add(ref output, head * {kernel.WidthName}));");
                    }
                }
            }
        }
    }

    private static string Slice(RowKernelPlan kernel) => kernel.SharedRows ? "" : "[g·HeadDim …]";

    private static string Whose(RowKernelPlan kernel) => kernel.SharedRows ? "of a group" : "of a query row";

    /// <summary>The rows a head reads: the shared rows, or its own HeadDim-wide slice of them.</summary>
    private static string HeadSlice(RowKernelPlan kernel, string rows) =>
        kernel.SharedRows ? $"ref {rows}" : $"ref Unsafe.Add(ref {rows}, head * {kernel.WidthName})";

    private static void EmitPaths(SourceWriter w, RowKernelPlan kernel, System.Action<VectorPath> emitBody)
    {
        foreach (var path in kernel.Paths)
        {
            if (path.IsScalar)
            {
                w.Line("// Scalar fallback for hardware without SIMD.");
                emitBody(path);
            }
            else
            {
                using (w.Block($"if ({VectorType(path.VectorWidth)}.IsHardwareAccelerated)"))
                {
                    emitBody(path);
                    w.Line("return;");
                }

                w.Line();
            }
        }
    }

    /// <summary>Whether the row is whole vectors of the path's width, with nothing narrower and no scalar tail.</summary>
    private static bool IsWholeVectors(RowKernelPlan kernel, VectorPath path) =>
        !path.IsScalar && path.ScalarTail == 0 && kernel.Width % path.VectorWidth == 0 && path.Chunks.All(c => c.Width == path.VectorWidth);

    /// <summary>
    /// A block of keys at a time, one accumulator per key, folded together at the end: summing each accumulator across
    /// its lanes on its own costs more than its dot product. Emitted ahead of the one-key-at-a-time loop, which handles
    /// calls with fewer keys than a block.
    /// </summary>
    private static void EmitBlockedDot(SourceWriter w, RowKernelPlan kernel, VectorPath path)
    {
        var type = VectorType(path.VectorWidth);
        var keys = KeysPerBlock(path.VectorWidth);
        var stride = kernel.RowStrideName;
        using (w.Block($"if (count >= {Int(keys)})"))
        {
            w.Line($"// {Int(keys)} keys at a time; the last block slides back to end on the last key, rescoring a few rather than");
            w.Line("// needing a tail loop.");
            if (kernel.Width / path.VectorWidth <= QueryVectorsInRegisters(path.VectorWidth))
            {
                for (var c = 0; c < kernel.Width / path.VectorWidth; c++)
                {
                    w.Line($"var q{c} = {type}.LoadUnsafe(ref x, {Int(c * path.VectorWidth)});");
                }
            }

            using (w.Block($"for (int first = 0; first < count; first += {Int(keys)})"))
            {
                w.Line($"int j = Math.Min(first, count - {Int(keys)});");
                w.Line($"ref float block = ref Unsafe.Add(ref rows, (nint)j * {stride});");
                var vectors = kernel.Width / path.VectorWidth;
                if (vectors <= QueryVectorsInRegisters(path.VectorWidth))
                {
                    // x fits in registers beside the accumulators: each key row is read front to back, which the
                    // hardware prefetcher follows best.
                    for (var k = 0; k < keys; k++)
                    {
                        for (var c = 0; c < vectors; c++)
                        {
                            var offset = string.Join(" + ", new[] { k == 0 ? "" : k == 1 ? stride : $"{Int(k)} * {stride}", c == 0 ? "" : Int(c * path.VectorWidth) }.Where(t => t.Length > 0));
                            var load = offset.Length == 0 ? $"{type}.LoadUnsafe(ref block)" : $"{type}.LoadUnsafe(ref block, {offset})";
                            w.Line(c == 0
                                ? $"var s{k} = q0 * {load};"
                                : $"s{k} = {type}.MultiplyAddEstimate(q{c}, {load}, s{k});");
                        }
                    }
                }
                else
                {
                    for (var k = 0; k < keys; k += 4)
                    {
                        w.Line(string.Join(" ", Enumerable.Range(k, 4).Select(i => $"var s{i} = {type}<float>.Zero;")));
                    }

                    using (w.Block($"for (nuint d = 0; d < {kernel.WidthName}; d += {Int(path.VectorWidth)})"))
                    {
                        w.Line($"var q = {type}.LoadUnsafe(ref x, d);");
                        w.Line("ref float column = ref Unsafe.Add(ref block, d);");
                        for (var k = 0; k < keys; k++)
                        {
                            var load = k == 0 ? $"{type}.LoadUnsafe(ref column)" : $"{type}.LoadUnsafe(ref column, {(k == 1 ? stride : $"{Int(k)} * {stride}")})";
                            w.Line($"s{k} = {type}.MultiplyAddEstimate(q, {load}, s{k});");
                        }
                    }
                }

                w.Line();
                var fours = Enumerable.Range(0, keys / 4).Select(f => $"HorizontalSum.OfFour({string.Join(", ", Enumerable.Range(f * 4, 4).Select(i => $"s{i}"))})").ToArray();
                var sums = fours.Length == 1 ? fours[0] : $"HorizontalSum.AcrossBlocks(\n    {string.Join(",\n    ", fours)})";
                var lines = $"var sums = {sums};".Split('\n');
                w.Line($"// Element k of sums is the dot product of x with key j + k.");
                foreach (var line in lines)
                {
                    w.Line(line);
                }

                w.Line("(sums * scale).StoreUnsafe(ref scores, (nuint)j);");
            }

            w.Line("return;");
        }

        w.Line();
    }

    /// <summary>How many vectors of x can stay in registers beside a block's accumulators.</summary>
    private static int QueryVectorsInRegisters(int vectorWidth) => vectorWidth == 16 ? 8 : 0;

    /// <summary>Keys per block: one accumulator each, plus the query vector, within the path's registers.</summary>
    private static int KeysPerBlock(int vectorWidth) => vectorWidth switch
    {
        16 => 16,
        8 => 8,
        _ => 4,
    };

    private static void EmitUnrolledDot(SourceWriter w, RowKernelPlan kernel, VectorPath path)
    {
        if (path.IsScalar)
        {
            EmitLoopedDot(w, kernel, path);
            return;
        }

        var chunks = path.Chunks.AsSpan().ToArray();
        for (var c = 0; c < chunks.Length; c++)
        {
            w.Line($"var x{c} = {VectorType(chunks[c].Width)}.LoadUnsafe(ref x, {Int(chunks[c].Offset)});");
        }

        var tailStart = kernel.Width - path.ScalarTail;
        for (var t = 0; t < path.ScalarTail; t++)
        {
            w.Line($"float x{chunks.Length + t} = Unsafe.Add(ref x, {Int(tailStart + t)});");
        }

        var accumulators = AssignAccumulators(chunks);
        using (w.Block("for (int j = 0; j < count; j++)"))
        {
            w.Line($"ref float row = ref Unsafe.Add(ref rows, (nint)j * {kernel.RowStrideName});");
            var started = new HashSet<string>();
            for (var c = 0; c < chunks.Length; c++)
            {
                var acc = accumulators[c];
                var load = $"{VectorType(chunks[c].Width)}.LoadUnsafe(ref row, {Int(chunks[c].Offset)})";
                w.Line(started.Add(acc)
                    ? $"var {acc} = x{c} * {load};"
                    : $"{acc} = {VectorType(chunks[c].Width)}.MultiplyAddEstimate(x{c}, {load}, {acc});");
            }

            var terms = new List<string>();
            foreach (var group in accumulators.Select((acc, c) => (acc, width: chunks[c].Width)).Distinct().GroupBy(a => a.width))
            {
                terms.Add($"HorizontalSum.Of({string.Join(" + ", group.Select(g => g.acc))})");
            }

            for (var t = 0; t < path.ScalarTail; t++)
            {
                terms.Add($"x{chunks.Length + t} * Unsafe.Add(ref row, {Int(tailStart + t)})");
            }

            var total = terms.Count == 1 ? terms[0] : $"({string.Join(" + ", terms)})";
            w.Line($"Unsafe.Add(ref scores, j) = scale * {total};");
        }
    }

    private static void EmitUnrolledWeightedSum(SourceWriter w, RowKernelPlan kernel, VectorPath path, bool accumulate)
    {
        if (path.IsScalar)
        {
            EmitLoopedWeightedSum(w, kernel, path, accumulate);
            return;
        }

        var chunks = path.Chunks.AsSpan().ToArray();
        var tailStart = kernel.Width - path.ScalarTail;
        for (var c = 0; c < chunks.Length; c++)
        {
            var type = VectorType(chunks[c].Width);
            w.Line(accumulate
                ? $"var out{c} = {type}.LoadUnsafe(ref output, {Int(chunks[c].Offset)});"
                : $"var out{c} = {type}<float>.Zero;");
        }

        for (var t = 0; t < path.ScalarTail; t++)
        {
            w.Line(accumulate
                ? $"float out{chunks.Length + t} = Unsafe.Add(ref output, {Int(tailStart + t)});"
                : $"float out{chunks.Length + t} = 0;");
        }

        var widths = chunks.Select(c => c.Width).Distinct().ToArray();
        using (w.Block("for (int j = 0; j < count; j++)"))
        {
            w.Line($"ref float row = ref Unsafe.Add(ref rows, (nint)j * {kernel.RowStrideName});");
            w.Line("float weight = Unsafe.Add(ref weights, j);");
            foreach (var width in widths)
            {
                w.Line($"var weight{width} = {VectorType(width)}.Create(weight);");
            }

            for (var c = 0; c < chunks.Length; c++)
            {
                var type = VectorType(chunks[c].Width);
                w.Line($"out{c} = {type}.MultiplyAddEstimate(weight{chunks[c].Width}, {type}.LoadUnsafe(ref row, {Int(chunks[c].Offset)}), out{c});");
            }

            for (var t = 0; t < path.ScalarTail; t++)
            {
                w.Line($"out{chunks.Length + t} += weight * Unsafe.Add(ref row, {Int(tailStart + t)});");
            }
        }

        for (var c = 0; c < chunks.Length; c++)
        {
            w.Line($"out{c}.StoreUnsafe(ref output, {Int(chunks[c].Offset)});");
        }

        for (var t = 0; t < path.ScalarTail; t++)
        {
            w.Line($"Unsafe.Add(ref output, {Int(tailStart + t)}) = out{chunks.Length + t};");
        }
    }

    /// <summary>A dot product as a loop of <c>path.VectorWidth</c>-wide steps, then a scalar tail.</summary>
    private static void EmitLoopedDot(SourceWriter w, RowKernelPlan kernel, VectorPath path)
    {
        var width = kernel.WidthName;
        using (w.Block("for (int j = 0; j < count; j++)"))
        {
            w.Line($"ref float row = ref Unsafe.Add(ref rows, (nint)j * {kernel.RowStrideName});");
            var start = "int d = 0";
            if (path.IsScalar)
            {
                w.Line("float sum = 0;");
            }
            else
            {
                var type = VectorType(path.VectorWidth);
                w.Line("int d = 0;");
                start = "";
                w.Line($"var acc = {type}<float>.Zero;");
                using (w.Block($"for (; d <= {width} - {type}<float>.Count; d += {type}<float>.Count)"))
                {
                    w.Line($"acc = {type}.MultiplyAddEstimate({type}.LoadUnsafe(ref x, (nuint)d), {type}.LoadUnsafe(ref row, (nuint)d), acc);");
                }

                w.Line("float sum = HorizontalSum.Of(acc);");
            }

            using (w.Block($"for ({start}; d < {width}; d++)"))
            {
                w.Line("sum += Unsafe.Add(ref x, d) * Unsafe.Add(ref row, d);");
            }

            w.Line("Unsafe.Add(ref scores, j) = scale * sum;");
        }
    }

    /// <summary>A weighted sum accumulated in the output row: clear it, then add each weighted row.</summary>
    private static void EmitLoopedWeightedSum(SourceWriter w, RowKernelPlan kernel, VectorPath path, bool accumulate)
    {
        var width = kernel.WidthName;
        if (!accumulate)
        {
            w.Line($"MemoryMarshal.CreateSpan(ref output, {width}).Clear();");
        }

        using (w.Block("for (int j = 0; j < count; j++)"))
        {
            w.Line($"ref float row = ref Unsafe.Add(ref rows, (nint)j * {kernel.RowStrideName});");
            w.Line("float weight = Unsafe.Add(ref weights, j);");
            if (!path.IsScalar)
            {
                w.Line($"var weightVector = {VectorType(path.VectorWidth)}.Create(weight);");
            }

            EmitElementwise(w, path, width, "d",
                type => $"{type}.MultiplyAddEstimate(weightVector, {type}.LoadUnsafe(ref row, (nuint)d), {type}.LoadUnsafe(ref output, (nuint)d)).StoreUnsafe(ref output, (nuint)d);",
                "Unsafe.Add(ref output, d) += weight * Unsafe.Add(ref row, d);");
        }
    }

    private static void EmitElementwise(SourceWriter w, VectorPath path, string width, string index, System.Func<string, string> vectorStep, string scalarStep)
    {
        var start = $"int {index} = 0";
        if (!path.IsScalar)
        {
            var type = VectorType(path.VectorWidth);
            w.Line($"int {index} = 0;");
            start = "";
            using (w.Block($"for (; {index} <= {width} - {type}<float>.Count; {index} += {type}<float>.Count)"))
            {
                w.Line(vectorStep(type));
            }
        }

        using (w.Block($"for ({start}; {index} < {width}; {index}++)"))
        {
            w.Line(scalarStep);
        }
    }

    /// <summary>
    /// Gives chunks of the widest vector two accumulators in turn, so consecutive FMAs don't wait on each other; narrower
    /// chunks (at most a couple per row) share one accumulator per width.
    /// </summary>
    private static string[] AssignAccumulators(VectorChunk[] chunks)
    {
        var result = new string[chunks.Length];
        var widest = chunks.Max(c => c.Width);
        var widestSeen = 0;
        for (var c = 0; c < chunks.Length; c++)
        {
            result[c] = chunks[c].Width == widest
                ? $"sum{(widestSeen++ % 2 == 0 ? "A" : "B")}"
                : $"sum{chunks[c].Width}";
        }

        return result;
    }

    public static string VectorType(int width) => width switch
    {
        16 => "Vector512",
        8 => "Vector256",
        _ => "Vector128",
    };
}
