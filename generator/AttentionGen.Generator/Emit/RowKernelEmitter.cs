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
        if (kernel.Kind == RowKernelKind.DotRows)
        {
            w.Line("/// <summary>");
            w.Line($"/// <c>scores[j] = scale · (x · rows[j])</c> for each of <paramref name=\"count\"/> rows of {kernel.WidthName} = {Int(kernel.Width)} floats.");
            w.Line(kernel.Unrolled
                ? "/// <c>x</c> is loaded into registers once and stays there while the rows stream past."
                : "/// The row is too wide to keep in registers, so each dot product is a loop.");
            w.Line("/// </summary>");
            w.Line(Inline);
            using (w.Block($"private static void {kernel.MethodName}(ref float x, ref float rows, int rowStride, int count, float scale, ref float scores)"))
            {
                EmitPaths(w, kernel, path =>
                {
                    if (kernel.Unrolled) EmitUnrolledDot(w, kernel, path);
                    else EmitLoopedDot(w, kernel, path);
                });
            }
        }
        else
        {
            w.Line("/// <summary>");
            w.Line($"/// <c>output = Σⱼ weights[j] · rows[j]</c> over <paramref name=\"count\"/> rows of {kernel.WidthName} = {Int(kernel.Width)} floats.");
            w.Line(kernel.Unrolled
                ? "/// The output row lives in registers until the final store."
                : "/// The row is too wide to keep in registers, so the sum accumulates in <c>output</c>.");
            w.Line("/// </summary>");
            w.Line(Inline);
            using (w.Block($"private static void {kernel.MethodName}(ref float weights, ref float rows, int rowStride, int count, ref float output)"))
            {
                EmitPaths(w, kernel, path =>
                {
                    if (kernel.Unrolled) EmitUnrolledWeightedSum(w, kernel, path);
                    else EmitLoopedWeightedSum(w, kernel, path);
                });
            }
        }
    }

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
            w.Line("ref float row = ref Unsafe.Add(ref rows, (nint)j * rowStride);");
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
                terms.Add($"{VectorType(group.Key)}.Sum({string.Join(" + ", group.Select(g => g.acc))})");
            }

            for (var t = 0; t < path.ScalarTail; t++)
            {
                terms.Add($"x{chunks.Length + t} * Unsafe.Add(ref row, {Int(tailStart + t)})");
            }

            var total = terms.Count == 1 ? terms[0] : $"({string.Join(" + ", terms)})";
            w.Line($"Unsafe.Add(ref scores, j) = scale * {total};");
        }
    }

    private static void EmitUnrolledWeightedSum(SourceWriter w, RowKernelPlan kernel, VectorPath path)
    {
        if (path.IsScalar)
        {
            EmitLoopedWeightedSum(w, kernel, path);
            return;
        }

        var chunks = path.Chunks.AsSpan().ToArray();
        for (var c = 0; c < chunks.Length; c++)
        {
            w.Line($"var out{c} = {VectorType(chunks[c].Width)}<float>.Zero;");
        }

        var tailStart = kernel.Width - path.ScalarTail;
        for (var t = 0; t < path.ScalarTail; t++)
        {
            w.Line($"float out{chunks.Length + t} = 0;");
        }

        var widths = chunks.Select(c => c.Width).Distinct().ToArray();
        using (w.Block("for (int j = 0; j < count; j++)"))
        {
            w.Line("ref float row = ref Unsafe.Add(ref rows, (nint)j * rowStride);");
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
            w.Line("ref float row = ref Unsafe.Add(ref rows, (nint)j * rowStride);");
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

                w.Line($"float sum = {type}.Sum(acc);");
            }

            using (w.Block($"for ({start}; d < {width}; d++)"))
            {
                w.Line("sum += Unsafe.Add(ref x, d) * Unsafe.Add(ref row, d);");
            }

            w.Line("Unsafe.Add(ref scores, j) = scale * sum;");
        }
    }

    /// <summary>A weighted sum accumulated in the output row: clear it, then add each weighted row.</summary>
    private static void EmitLoopedWeightedSum(SourceWriter w, RowKernelPlan kernel, VectorPath path)
    {
        var width = kernel.WidthName;
        w.Line($"MemoryMarshal.CreateSpan(ref output, {width}).Clear();");
        using (w.Block("for (int j = 0; j < count; j++)"))
        {
            w.Line("ref float row = ref Unsafe.Add(ref rows, (nint)j * rowStride);");
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
