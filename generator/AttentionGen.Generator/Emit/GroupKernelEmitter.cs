using System.Linq;
using AttentionGen.Generator.Planning;
using static AttentionGen.Generator.Emit.Literals;

namespace AttentionGen.Generator.Emit;

/// <summary>
/// The Vector512 fast path of the grouped-query row kernels: the heads of a group are stacked against each key or
/// value row, so every row is loaded once and used by all of them while K and V stream past in order. Emitted at the top
/// of the group kernels when the head is whole Vector512s; other hardware and head widths take the per-head blocks.
/// </summary>
internal static class GroupKernelEmitter
{
    /// <summary>Heads stacked at once: 4 heads × 4 keys (or 4 head vectors) of accumulators fit AVX-512's registers.</summary>
    private const int HeadsAtOnce = 4;

    private const int KeysAtOnce = 4;

    private const int OutputVectorsAtOnce = 4;

    public static bool Applies(RowKernelPlan kernel) => kernel.Unrolled && kernel.Width % 16 == 0;

    public static void EmitStackedDot(SourceWriter w, RowKernelPlan kernel)
    {
        var stride = kernel.RowStrideName;
        w.Line(kernel.SharedRows
            ? "// Four keys at a time against four heads at a time: each key vector is loaded once for all the heads, and the"
            : "// Four keys at a time against four heads at a time, each head on its own slice of the key rows, so the rows");
        w.Line(kernel.SharedRows
            ? "// keys stream past in order. The last block slides back to end on the last key, rescoring a few."
            : "// stream past in memory order. The last block slides back to end on the last key, rescoring a few.");
        using (w.Block($"if (Vector512.IsHardwareAccelerated && count >= {Int(KeysAtOnce)})"))
        {
            using (w.Block($"for (int first = 0; first < count; first += {Int(KeysAtOnce)})"))
            {
                w.Line($"int j = Math.Min(first, count - {Int(KeysAtOnce)});");
                w.Line($"ref float block = ref Unsafe.Add(ref rows, (nint)j * {stride});");
                ForEachQuad(w, kernel, heads => EmitDotQuad(w, kernel, heads));
            }

            w.Line("return;");
        }

        w.Line();
    }

    private static void EmitDotQuad(SourceWriter w, RowKernelPlan kernel, int heads)
    {
        var stride = kernel.RowStrideName;
        var width = kernel.WidthName;
        for (var h = 0; h < heads; h++)
        {
            w.Line(string.Join(" ", Enumerable.Range(0, KeysAtOnce).Select(k => $"var s{h}{k} = Vector512<float>.Zero;")));
        }

        using (w.Block($"for (nuint d = 0; d < {width}; d += 16)"))
        {
            w.Line($"ref float queries = ref Unsafe.Add(ref x, firstHead * {width} + (nint)d);");
            w.Line(kernel.SharedRows
                ? "ref float keys = ref Unsafe.Add(ref block, d);"
                : $"ref float keys = ref Unsafe.Add(ref block, firstHead * {width} + (nint)d);");
            if (kernel.SharedRows)
            {
                for (var k = 0; k < KeysAtOnce; k++)
                {
                    w.Line($"var k{k} = Vector512.LoadUnsafe(ref keys{(k == 0 ? "" : $", {Multiple(k, stride)}")});");
                }
            }

            for (var h = 0; h < heads; h++)
            {
                w.Line($"{(h == 0 ? "var " : "")}q = Vector512.LoadUnsafe(ref queries{(h == 0 ? "" : $", {Multiple(h, width)}")});");
                w.Line(string.Join(" ", Enumerable.Range(0, KeysAtOnce).Select(k =>
                {
                    var key = kernel.SharedRows ? $"k{k}" : $"Vector512.LoadUnsafe(ref keys{Offset(Multiple(h, width, zero: ""), Multiple(k, stride, zero: ""))})";
                    return $"s{h}{k} = Vector512.MultiplyAddEstimate(q, {key}, s{h}{k});";
                })));
            }
        }

        w.Line();
        var fours = Enumerable.Range(0, HeadsAtOnce).Select(h => h < heads
            ? $"HorizontalSum.OfFour({string.Join(", ", Enumerable.Range(0, KeysAtOnce).Select(k => $"s{h}{k}"))})"
            : "Vector512<float>.Zero").ToArray();
        w.Line("// Block h of sums holds head firstHead + h's scores for keys j … j + 3.");
        w.Line("var sums = scale * HorizontalSum.AcrossBlocks(");
        for (var i = 0; i < fours.Length; i++)
        {
            w.Line($"    {fours[i]}{(i == fours.Length - 1 ? ");" : ",")}");
        }

        w.Line("ref float headScores = ref Unsafe.Add(ref scores, firstHead * ScoreStride + j);");
        string[] blocks = { "GetLower().GetLower()", "GetLower().GetUpper()", "GetUpper().GetLower()", "GetUpper().GetUpper()" };
        for (var h = 0; h < heads; h++)
        {
            w.Line($"sums.{blocks[h]}.StoreUnsafe(ref headScores{(h == 0 ? "" : $", {Multiple(h, "ScoreStride")}")});");
        }
    }

    public static void EmitStackedWeightedSum(SourceWriter w, RowKernelPlan kernel)
    {
        w.Line("// Four heads at a time, up to 64 head columns at a time: each value vector is loaded once and weighted for its");
        w.Line("// heads, with the outputs in registers while the values stream past in order.");
        using (w.Block("if (Vector512.IsHardwareAccelerated)"))
        {
            ForEachQuad(w, kernel, heads => EmitWeightedSumQuad(w, kernel, heads));
            w.Line("return;");
        }

        w.Line();
    }

    private static void EmitWeightedSumQuad(SourceWriter w, RowKernelPlan kernel, int heads)
    {
        var width = kernel.WidthName;
        var vectors = kernel.Width / 16;
        w.Line("ref float headWeights = ref Unsafe.Add(ref weights, firstHead * ScoreStride);");
        w.Line($"ref float headOutputs = ref Unsafe.Add(ref output, firstHead * {width});");
        w.Line(kernel.SharedRows ? "ref float headRows = ref rows;" : $"ref float headRows = ref Unsafe.Add(ref rows, firstHead * {width});");
        for (var firstVector = 0; firstVector < vectors; firstVector += OutputVectorsAtOnce)
        {
            var count = System.Math.Min(OutputVectorsAtOnce, vectors - firstVector);
            var column = firstVector * 16;
            w.Line($"// Head columns {Int(column)}…{Int(column + count * 16 - 1)}.");
            using (w.Block(""))
            {
                for (var h = 0; h < heads; h++)
                {
                    w.Line(string.Join(" ", Enumerable.Range(0, count).Select(c => $"var o{h}{c} = Vector512<float>.Zero;")));
                }

                using (w.Block("for (int j = 0; j < count; j++)"))
                {
                    w.Line($"ref float valueRow = ref Unsafe.Add(ref headRows, (nint)j * {kernel.RowStrideName});");
                    if (kernel.SharedRows)
                    {
                        for (var c = 0; c < count; c++)
                        {
                            w.Line($"var v{c} = Vector512.LoadUnsafe(ref valueRow{Offset(Int(column + c * 16))});");
                        }
                    }

                    for (var h = 0; h < heads; h++)
                    {
                        w.Line($"{(h == 0 ? "var " : "")}p = Vector512.Create(Unsafe.Add(ref headWeights, {(h == 0 ? "j" : $"{Multiple(h, "ScoreStride")} + j")}));");
                        w.Line(string.Join(" ", Enumerable.Range(0, count).Select(c =>
                        {
                            var value = kernel.SharedRows ? $"v{c}" : $"Vector512.LoadUnsafe(ref valueRow{Offset(Multiple(h, width, zero: ""), Int(column + c * 16))})";
                            return $"o{h}{c} = Vector512.MultiplyAddEstimate(p, {value}, o{h}{c});";
                        })));
                    }
                }

                for (var h = 0; h < heads; h++)
                {
                    w.Line(string.Join(" ", Enumerable.Range(0, count).Select(c =>
                        $"o{h}{c}.StoreUnsafe(ref headOutputs{Offset(Multiple(h, width, zero: ""), Int(column + c * 16))});")));
                }
            }
        }
    }

    /// <summary>
    /// Runs the quad body over the stacked heads: a loop over whole quads, then one block for the 1–3 heads left, each
    /// with <c>firstHead</c> in scope.
    /// </summary>
    private static void ForEachQuad(SourceWriter w, RowKernelPlan kernel, System.Action<int> emitQuad)
    {
        var wholeQuads = kernel.StackedHeads / HeadsAtOnce * HeadsAtOnce;
        var rest = kernel.StackedHeads - wholeQuads;
        if (wholeQuads > 0)
        {
            using (w.Block($"for (int firstHead = 0; firstHead < {Int(wholeQuads)}; firstHead += {Int(HeadsAtOnce)})"))
            {
                emitQuad(HeadsAtOnce);
            }
        }

        if (rest > 0)
        {
            w.Line($"// Head{(rest == 1 ? "" : "s")} {HeadRange(wholeQuads, rest)}.");
            using (w.Block(""))
            {
                w.Line($"const int firstHead = {Int(wholeQuads)};");
                emitQuad(rest);
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
