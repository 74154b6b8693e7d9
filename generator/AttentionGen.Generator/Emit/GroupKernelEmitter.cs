using System.Linq;
using AttentionGen.Generator.Planning;
using static AttentionGen.Generator.Emit.Literals;

namespace AttentionGen.Generator.Emit;

/// <summary>
/// The fast paths of the stacked row kernels: several heads against each key or value row, so every row is loaded once
/// and used by all of them while K and V stream past in order. AVX-512 takes four heads at a time, AVX2 two (its 16
/// registers hold 2 heads × 4 keys of accumulators beside the keys). Emitted at the top of the group kernels when the
/// head is whole vectors of that width; other hardware and head widths take the per-head blocks.
/// </summary>
internal static class GroupKernelEmitter
{
    /// <summary>One width's stacking: its vector type, and how many heads (× 4 keys or 4 head vectors) fit its registers.</summary>
    private sealed record Stack(int VectorWidth, string Type, int HeadsAtOnce)
    {
        public string HeadsInWords => HeadsAtOnce == 4 ? "four" : "two";
    }

    private static readonly Stack[] Stacks = { new(16, "Vector512", 4), new(8, "Vector256", 2) };

    private const int KeysAtOnce = 4;

    private const int OutputVectorsAtOnce = 4;

    public static bool Applies(RowKernelPlan kernel) => kernel.Unrolled && StacksFor(kernel).Any();

    private static System.Collections.Generic.IEnumerable<Stack> StacksFor(RowKernelPlan kernel) =>
        Stacks.Where(stack => kernel.Width % stack.VectorWidth == 0);

    public static void EmitStackedDot(SourceWriter w, RowKernelPlan kernel)
    {
        var stride = kernel.RowStrideName;
        ForEachWidth(w, kernel, $" && count >= {Int(KeysAtOnce)}", stack =>
        {
            w.Line(kernel.SharedRows
                ? $"// Four keys at a time against {stack.HeadsInWords} heads at a time: each key vector is loaded once for all the heads,"
                : $"// Four keys at a time against {stack.HeadsInWords} heads at a time, each head on its own slice of the key rows, so");
            w.Line(kernel.SharedRows
                ? "// and the keys stream past in order. The last block slides back to end on the last key, rescoring a few."
                : "// the rows stream past in memory order. The last block slides back to end on the last key, rescoring a few.");
            using (w.Block($"for (int first = 0; first < count; first += {Int(KeysAtOnce)})"))
            {
                w.Line($"int j = Math.Min(first, count - {Int(KeysAtOnce)});");
                w.Line($"ref float block = ref Unsafe.Add(ref rows, (nint)j * {stride});");
                ForEachStack(w, kernel, stack, heads => EmitDotStack(w, kernel, stack, heads));
            }
        });
    }

    private static void EmitDotStack(SourceWriter w, RowKernelPlan kernel, Stack stack, int heads)
    {
        var stride = kernel.RowStrideName;
        var width = kernel.WidthName;
        var type = stack.Type;
        for (var h = 0; h < heads; h++)
        {
            w.Line(string.Join(" ", Enumerable.Range(0, KeysAtOnce).Select(k => $"var s{h}{k} = {type}<float>.Zero;")));
        }

        using (w.Block($"for (nuint d = 0; d < {width}; d += {Int(stack.VectorWidth)})"))
        {
            w.Line($"ref float queries = ref Unsafe.Add(ref x, firstHead * {width} + (nint)d);");
            w.Line(kernel.SharedRows
                ? "ref float keys = ref Unsafe.Add(ref block, d);"
                : $"ref float keys = ref Unsafe.Add(ref block, firstHead * {width} + (nint)d);");
            if (kernel.SharedRows)
            {
                for (var k = 0; k < KeysAtOnce; k++)
                {
                    w.Line($"var k{k} = {type}.LoadUnsafe(ref keys{(k == 0 ? "" : $", {Multiple(k, stride)}")});");
                }
            }

            for (var h = 0; h < heads; h++)
            {
                w.Line($"{(h == 0 ? "var " : "")}q = {type}.LoadUnsafe(ref queries{(h == 0 ? "" : $", {Multiple(h, width)}")});");
                w.Line(string.Join(" ", Enumerable.Range(0, KeysAtOnce).Select(k =>
                {
                    var key = kernel.SharedRows ? $"k{k}" : $"{type}.LoadUnsafe(ref keys{Offset(Multiple(h, width, zero: ""), Multiple(k, stride, zero: ""))})";
                    return $"s{h}{k} = {type}.MultiplyAddEstimate(q, {key}, s{h}{k});";
                })));
            }
        }

        w.Line();
        var fours = Enumerable.Range(0, stack.HeadsAtOnce).Select(h => h < heads
            ? $"HorizontalSum.OfFour({string.Join(", ", Enumerable.Range(0, KeysAtOnce).Select(k => $"s{h}{k}"))})"
            : $"{type}<float>.Zero").ToArray();
        w.Line("// Block h of sums holds head firstHead + h's scores for keys j … j + 3.");
        w.Line("var sums = scale * HorizontalSum.AcrossBlocks(");
        for (var i = 0; i < fours.Length; i++)
        {
            w.Line($"    {fours[i]}{(i == fours.Length - 1 ? ");" : ",")}");
        }

        w.Line("ref float headScores = ref Unsafe.Add(ref scores, firstHead * ScoreStride + j);");
        string[] blocks = stack.HeadsAtOnce == 4
            ? new[] { "GetLower().GetLower()", "GetLower().GetUpper()", "GetUpper().GetLower()", "GetUpper().GetUpper()" }
            : new[] { "GetLower()", "GetUpper()" };
        for (var h = 0; h < heads; h++)
        {
            w.Line($"sums.{blocks[h]}.StoreUnsafe(ref headScores{(h == 0 ? "" : $", {Multiple(h, "ScoreStride")}")});");
        }
    }

    public static void EmitStackedWeightedSum(SourceWriter w, RowKernelPlan kernel)
    {
        ForEachWidth(w, kernel, "", stack =>
        {
            w.Line($"// {char.ToUpperInvariant(stack.HeadsInWords[0])}{stack.HeadsInWords.Substring(1)} heads at a time, up to {Int(OutputVectorsAtOnce * stack.VectorWidth)} head columns at a time: each value vector is loaded");
            w.Line("// once and weighted for its heads, with the outputs in registers while the values stream past in order.");
            ForEachStack(w, kernel, stack, heads => EmitWeightedSumStack(w, kernel, stack, heads));
        });
    }

    /// <summary>
    /// One <c>if … else if …</c> branch per width the kernel can stack on, widest first, each guarded by its
    /// <c>IsHardwareAccelerated</c> (plus <paramref name="condition"/>) and ending in <c>return</c>.
    /// </summary>
    private static void ForEachWidth(SourceWriter w, RowKernelPlan kernel, string condition, System.Action<Stack> emitBranch)
    {
        var first = true;
        foreach (var stack in StacksFor(kernel))
        {
            using (w.Block($"{(first ? "if" : "else if")} ({stack.Type}.IsHardwareAccelerated{condition})"))
            {
                emitBranch(stack);
                w.Line("return;");
            }

            first = false;
        }

        w.Line();
    }

    private static void EmitWeightedSumStack(SourceWriter w, RowKernelPlan kernel, Stack stack, int heads)
    {
        var width = kernel.WidthName;
        var type = stack.Type;
        var vectorWidth = stack.VectorWidth;
        var vectors = kernel.Width / vectorWidth;
        w.Line("ref float headWeights = ref Unsafe.Add(ref weights, firstHead * ScoreStride);");
        w.Line($"ref float headOutputs = ref Unsafe.Add(ref output, firstHead * {width});");
        w.Line(kernel.SharedRows ? "ref float headRows = ref rows;" : $"ref float headRows = ref Unsafe.Add(ref rows, firstHead * {width});");
        for (var firstVector = 0; firstVector < vectors; firstVector += OutputVectorsAtOnce)
        {
            var count = System.Math.Min(OutputVectorsAtOnce, vectors - firstVector);
            var column = firstVector * vectorWidth;
            w.Line($"// Head columns {Int(column)}…{Int(column + count * vectorWidth - 1)}.");
            using (w.Block(""))
            {
                for (var h = 0; h < heads; h++)
                {
                    w.Line(string.Join(" ", Enumerable.Range(0, count).Select(c => $"var o{h}{c} = {type}<float>.Zero;")));
                }

                using (w.Block("for (int j = 0; j < count; j++)"))
                {
                    w.Line($"ref float valueRow = ref Unsafe.Add(ref headRows, (nint)j * {kernel.RowStrideName});");
                    if (kernel.SharedRows)
                    {
                        for (var c = 0; c < count; c++)
                        {
                            w.Line($"var v{c} = {type}.LoadUnsafe(ref valueRow{Offset(Int(column + c * vectorWidth))});");
                        }
                    }

                    for (var h = 0; h < heads; h++)
                    {
                        w.Line($"{(h == 0 ? "var " : "")}p = {type}.Create(Unsafe.Add(ref headWeights, {(h == 0 ? "j" : $"{Multiple(h, "ScoreStride")} + j")}));");
                        w.Line(string.Join(" ", Enumerable.Range(0, count).Select(c =>
                        {
                            var value = kernel.SharedRows ? $"v{c}" : $"{type}.LoadUnsafe(ref valueRow{Offset(Multiple(h, width, zero: ""), Int(column + c * vectorWidth))})";
                            return $"o{h}{c} = {type}.MultiplyAddEstimate(p, {value}, o{h}{c});";
                        })));
                    }
                }

                for (var h = 0; h < heads; h++)
                {
                    w.Line(string.Join(" ", Enumerable.Range(0, count).Select(c =>
                        $"o{h}{c}.StoreUnsafe(ref headOutputs{Offset(Multiple(h, width, zero: ""), Int(column + c * vectorWidth))});")));
                }
            }
        }
    }

    /// <summary>
    /// Runs the stack body over the kernel's heads: a loop over whole stacks, then one block for the heads left over,
    /// each with <c>firstHead</c> in scope.
    /// </summary>
    private static void ForEachStack(SourceWriter w, RowKernelPlan kernel, Stack stack, System.Action<int> emitStack)
    {
        var whole = kernel.StackedHeads / stack.HeadsAtOnce * stack.HeadsAtOnce;
        var rest = kernel.StackedHeads - whole;
        if (whole > 0)
        {
            using (w.Block($"for (int firstHead = 0; firstHead < {Int(whole)}; firstHead += {Int(stack.HeadsAtOnce)})"))
            {
                emitStack(stack.HeadsAtOnce);
            }
        }

        if (rest > 0)
        {
            w.Line($"// Head{(rest == 1 ? "" : "s")} {HeadRange(whole, rest)}.");
            using (w.Block(""))
            {
                w.Line($"const int firstHead = {Int(whole)};");
                emitStack(rest);
            }
        }
    }

    /// <summary><c>, a + b</c> for a load offset, leaving out empty terms (and the comma when nothing is left).</summary>
    private static string Offset(params string[] terms)
    {
        var nonEmpty = terms.Where(t => t.Length > 0 && t != "0").ToArray();
        return nonEmpty.Length == 0 ? "" : ", " + string.Join(" + ", nonEmpty);
    }

    private static string HeadRange(int first, int count) => count == 1 ? Int(first) : $"{Int(first)}–{Int(first + count - 1)}";

    private static string Multiple(int times, string name, string zero = "0") =>
        times == 0 ? zero : times == 1 ? name : $"{Int(times)} * {name}";
}
