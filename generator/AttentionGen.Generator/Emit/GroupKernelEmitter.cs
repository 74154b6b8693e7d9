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
        w.Line("// Four keys at a time against four heads at a time: each key vector is loaded once for all the heads, and the");
        w.Line("// keys stream past in order. The last block slides back to end on the last key, rescoring a few.");
        using (w.Block($"if (Vector512.IsHardwareAccelerated && count >= {Int(KeysAtOnce)})"))
        {
            using (w.Block($"for (int first = 0; first < count; first += {Int(KeysAtOnce)})"))
            {
                w.Line($"int j = Math.Min(first, count - {Int(KeysAtOnce)});");
                w.Line($"ref float block = ref Unsafe.Add(ref rows, (nint)j * {stride});");
                for (var firstHead = 0; firstHead < kernel.GroupHeads; firstHead += HeadsAtOnce)
                {
                    var heads = System.Math.Min(HeadsAtOnce, kernel.GroupHeads - firstHead);
                    w.Line($"// Heads {HeadRange(firstHead, heads)}.");
                    using (w.Block(""))
                    {
                        for (var h = 0; h < heads; h++)
                        {
                            w.Line(string.Join(" ", Enumerable.Range(0, KeysAtOnce).Select(k => $"var s{h}{k} = Vector512<float>.Zero;")));
                        }

                        using (w.Block($"for (nuint d = 0; d < {kernel.WidthName}; d += 16)"))
                        {
                            w.Line("ref float keys = ref Unsafe.Add(ref block, d);");
                            w.Line($"ref float queries = ref Unsafe.Add(ref x, {(firstHead == 0 ? "" : $"{Int(firstHead)} * {kernel.WidthName} + ")}(nint)d);");
                            for (var k = 0; k < KeysAtOnce; k++)
                            {
                                w.Line($"var k{k} = Vector512.LoadUnsafe(ref keys{(k == 0 ? "" : $", {Multiple(k, stride)}")});");
                            }

                            for (var h = 0; h < heads; h++)
                            {
                                w.Line($"{(h == 0 ? "var " : "")}q = Vector512.LoadUnsafe(ref queries{(h == 0 ? "" : $", {Multiple(h, kernel.WidthName)}")});");
                                w.Line(string.Join(" ", Enumerable.Range(0, KeysAtOnce).Select(k => $"s{h}{k} = Vector512.MultiplyAddEstimate(q, k{k}, s{h}{k});")));
                            }
                        }

                        w.Line();
                        var fours = Enumerable.Range(0, HeadsAtOnce).Select(h => h < heads
                            ? $"HorizontalSum.OfFour({string.Join(", ", Enumerable.Range(0, KeysAtOnce).Select(k => $"s{h}{k}"))})"
                            : "Vector512<float>.Zero");
                        w.Line($"// Block h of sums holds head {(firstHead == 0 ? "h" : $"{Int(firstHead)} + h")}'s scores for keys j … j + 3.");
                        w.Line("var sums = scale * HorizontalSum.AcrossBlocks(");
                        var arguments = fours.ToArray();
                        for (var i = 0; i < arguments.Length; i++)
                        {
                            w.Line($"    {arguments[i]}{(i == arguments.Length - 1 ? ");" : ",")}");
                        }

                        string[] blocks = { "GetLower().GetLower()", "GetLower().GetUpper()", "GetUpper().GetLower()", "GetUpper().GetUpper()" };
                        for (var h = 0; h < heads; h++)
                        {
                            var row = firstHead + h;
                            var offset = row == 0 ? "(nuint)j" : $"(nuint)({Multiple(row, "ScoreStride")} + j)";
                            w.Line($"sums.{blocks[h]}.StoreUnsafe(ref scores, {offset});");
                        }
                    }
                }
            }

            w.Line("return;");
        }

        w.Line();
    }

    public static void EmitStackedWeightedSum(SourceWriter w, RowKernelPlan kernel)
    {
        var stride = kernel.RowStrideName;
        var vectors = kernel.Width / 16;
        w.Line("// Four heads at a time, up to 64 head columns at a time: each value vector is loaded once and weighted for every");
        w.Line("// head, with the outputs in registers while the values stream past in order.");
        using (w.Block("if (Vector512.IsHardwareAccelerated)"))
        {
            for (var firstHead = 0; firstHead < kernel.GroupHeads; firstHead += HeadsAtOnce)
            {
                var heads = System.Math.Min(HeadsAtOnce, kernel.GroupHeads - firstHead);
                for (var firstVector = 0; firstVector < vectors; firstVector += OutputVectorsAtOnce)
                {
                    var count = System.Math.Min(OutputVectorsAtOnce, vectors - firstVector);
                    var column = firstVector * 16;
                    w.Line($"// Heads {HeadRange(firstHead, heads)}, head columns {Int(column)}…{Int(column + count * 16 - 1)}.");
                    using (w.Block(""))
                    {
                        for (var h = 0; h < heads; h++)
                        {
                            w.Line(string.Join(" ", Enumerable.Range(0, count).Select(c => $"var o{h}{c} = Vector512<float>.Zero;")));
                        }

                        using (w.Block("for (int j = 0; j < count; j++)"))
                        {
                            w.Line($"ref float valueRow = ref Unsafe.Add(ref rows, (nint)j * {stride});");
                            for (var c = 0; c < count; c++)
                            {
                                w.Line($"var v{c} = Vector512.LoadUnsafe(ref valueRow, {Int(column + c * 16)});");
                            }

                            for (var h = 0; h < heads; h++)
                            {
                                var row = firstHead + h;
                                var index = row == 0 ? "j" : $"{Multiple(row, "ScoreStride")} + j";
                                w.Line($"{(h == 0 ? "var " : "")}p = Vector512.Create(Unsafe.Add(ref weights, {index}));");
                                w.Line(string.Join(" ", Enumerable.Range(0, count).Select(c => $"o{h}{c} = Vector512.MultiplyAddEstimate(p, v{c}, o{h}{c});")));
                            }
                        }

                        for (var h = 0; h < heads; h++)
                        {
                            var row = firstHead + h;
                            w.Line(string.Join(" ", Enumerable.Range(0, count).Select(c =>
                                $"o{h}{c}.StoreUnsafe(ref output, {(row == 0 ? "" : $"{Multiple(row, kernel.WidthName)} + ")}{Int(column + c * 16)});")));
                        }
                    }
                }
            }

            w.Line("return;");
        }

        w.Line();
    }

    private static string HeadRange(int first, int count) => count == 1 ? Int(first) : $"{Int(first)}–{Int(first + count - 1)}";

    private static string Multiple(int times, string name) => times == 1 ? name : $"{Int(times)} * {name}";
}
