using System.Linq;
using AttentionGen.Generator.Planning;
using static AttentionGen.Generator.Emit.Literals;

namespace AttentionGen.Generator.Emit;

/// <summary>
/// Emits the tiled attention path for one vector width: the driver that walks key/value heads and row tiles, the Kᵀ
/// panel packing, the QKᵀ tile and the P·V tile. Every accumulator is its own local so the JIT keeps it in a register.
/// </summary>
internal static class TileKernelEmitter
{
    public static void EmitAttendInTiles(SourceWriter w, AttentionShape attention, TilePlan tile, string maskParameter, bool hasMask)
    {
        var bits = tile.VectorWidth * 32;
        var type = RowKernelEmitter.VectorType(tile.VectorWidth);
        var rows = tile.Rows;
        var panelKeys = Int(tile.PanelKeys);

        w.Line("/// <summary>");
        w.Line($"/// Tiled attention on the {type} path. Per key/value head, Kᵀ is packed once into panels of {panelKeys} keys; then the");
        w.Line($"/// query rows that use this head go through {rows} at a time: a QKᵀ tile into the score block, a softmax per row, and a");
        w.Line("/// P·V tile into the output.");
        w.Line("/// </summary>");
        w.Line("[MethodImpl(MethodImplOptions.AggressiveOptimization)]");
        using (w.Block($"private void AttendInTiles{bits}(ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, {maskParameter}Span<float> output, int seqLen, int kvSeqLen)"))
        {
            w.Line("ref float queryStart = ref MemoryMarshal.GetReference(query);");
            w.Line("ref float keyStart = ref MemoryMarshal.GetReference(key);");
            w.Line("ref float valueStart = ref MemoryMarshal.GetReference(value);");
            w.Line("ref float outputStart = ref MemoryMarshal.GetReference(output);");
            w.Line("ref float panels = ref _keyPanels.Reference;");
            w.Line("ref float scores = ref _scores.Reference;");
            if (attention.OnlineChunk > 0)
            {
                w.Line($"Span<float> runningMax = stackalloc float[{rows}];");
                w.Line($"Span<float> runningSum = stackalloc float[{rows}];");
                w.Line($"Span<float> rescale = stackalloc float[{rows}];");
            }

            w.Line();
            w.Line("// A tile's rows are (query row, head) pairs that share one key/value head, so grouped heads read K and V once.");
            w.Line("int pairs = seqLen * HeadsPerKvHead;");
            using (w.Block("for (int kvHead = 0; kvHead < KvHeads; kvHead++)"))
            {
                w.Line($"// Kᵀ in panels of {panelKeys} keys: for each head dimension, the keys' values side by side, so one vector load");
                w.Line($"// feeds {panelKeys} dot products. Keys past kvSeqLen in the last panel are zeros.");
                w.Line($"PanelPacking.PackTransposedUnchecked(ref Unsafe.Add(ref keyStart, kvHead * HeadDim), KvWidth, kvSeqLen, HeadDim, {panelKeys}, ref panels);");
                w.Line("ref float valueHead = ref Unsafe.Add(ref valueStart, kvHead * HeadDim);");
                using (w.Block($"for (int first = 0; first < pairs; first += {rows})"))
                {
                    w.Line("// The last tile slides back to end on the last pair: it redoes a few rows rather than needing a narrower kernel.");
                    w.Line($"int tileStart = Math.Min(first, pairs - {rows});");
                    for (var r = 0; r < rows; r++)
                    {
                        w.Line($"int offset{r} = PairOffset(kvHead, tileStart + {r});");
                    }

                    if (attention.Causal)
                    {
                        w.Line();
                        // The tile's last pair has its highest query row, so it sees the most keys; blocks past that are skipped.
                        AttentionEmitter.EmitVisible(w, attention, "visibleInTile", $"(tileStart + {rows - 1}) / HeadsPerKvHead");
                        using (w.Block("if (visibleInTile <= 0)"))
                        {
                            for (var r = 0; r < rows; r++)
                            {
                                w.Line($"MemoryMarshal.CreateSpan(ref Unsafe.Add(ref outputStart, offset{r}), HeadDim).Clear();");
                            }

                            w.Line("continue;");
                        }
                    }
                    else
                    {
                        w.Line("int visibleInTile = kvSeqLen;");
                    }

                    w.Line();
                    var queryRows = string.Join(", ", Enumerable.Range(0, rows).Select(r => $"ref Unsafe.Add(ref queryStart, offset{r})"));
                    var outputRows = string.Join(", ", Enumerable.Range(0, rows).Select(r => $"ref Unsafe.Add(ref outputStart, offset{r})"));
                    var mask = hasMask ? ", MaskRow(additiveMask, row, kvSeqLen)" : "";
                    if (attention.OnlineChunk == 0 && tile.VectorWidth == 16 && rows == 6)
                    {
                        w.Line($"ScoreTile{bits}({queryRows}, ref panels, visibleInTile, ref scores);");
                        w.Line(attention.Causal
                            ? "// Keys each row may see: causal, bottom-right aligned."
                            : "// Every row sees every key.");
                        for (var r = 0; r < rows; r++)
                        {
                            w.Line($"int visible{r} = {AttentionEmitter.VisibleExpression(attention, TileRow(r))};");
                        }

                        if (AttentionEmitter.HasScorePreparation(attention, hasMask))
                        {
                            for (var r = 0; r < rows; r++)
                            {
                                var rowMask = hasMask ? $", MaskRow(additiveMask, {TileRow(r)}, kvSeqLen)" : "";
                                w.Line($"PrepareScores({(r == 0 ? "ref scores" : $"ref Unsafe.Add(ref scores, {(r == 1 ? "" : Int(r) + " * ")}ScoreStride)")}, visible{r}, 0{rowMask});");
                            }
                        }

                        w.Line();
                        w.Line("// The six rows' softmaxes in lockstep: each alone is a chain of dependent steps too short to fill the core.");
                        w.Line($"SoftmaxKernels.SoftmaxPrefixSixRows(ref scores, ScoreStride, (visibleInTile + 15) & ~15, {string.Join(", ", Enumerable.Range(0, rows).Select(r => $"visible{r}"))});");
                        w.Line();
                        w.Line($"WeighTile{bits}(ref scores, visibleInTile, ref valueHead, {outputRows});");
                    }
                    else if (attention.OnlineChunk == 0)
                    {
                        w.Line($"ScoreTile{bits}({queryRows}, ref panels, visibleInTile, ref scores);");
                        using (w.Block($"for (int r = 0; r < {rows}; r++)"))
                        {
                            w.Line("int row = (tileStart + r) / HeadsPerKvHead;");
                            AttentionEmitter.EmitVisible(w, attention, "visible", "row");
                            w.Line($"SoftmaxRow(ref Unsafe.Add(ref scores, r * ScoreStride), visibleInTile, visible{mask});");
                        }

                        w.Line();
                        w.Line($"WeighTile{bits}(ref scores, visibleInTile, ref valueHead, {outputRows});");
                    }
                    else
                    {
                        w.Line("// Online softmax: keys in chunks of OnlineChunk, each row keeping a running max and sum, so a chunk's scores");
                        w.Line("// stay in L1 however long the key range is. The output rows hold the running weighted sums between chunks.");
                        w.Line("runningMax.Fill(float.NegativeInfinity);");
                        w.Line("runningSum.Clear();");
                        using (w.Block("for (int chunkStart = 0; chunkStart < visibleInTile; chunkStart += OnlineChunk)"))
                        {
                            w.Line("int chunkKeys = Math.Min(OnlineChunk, visibleInTile - chunkStart);");
                            w.Line($"ScoreTile{bits}({queryRows}, ref Unsafe.Add(ref panels, chunkStart * HeadDim), chunkKeys, ref scores);");
                            using (w.Block($"for (int r = 0; r < {rows}; r++)"))
                            {
                                w.Line("int row = (tileStart + r) / HeadsPerKvHead;");
                                AttentionEmitter.EmitVisible(w, attention, "visible", "row");
                                w.Line($"rescale[r] = SoftmaxChunkRow(ref Unsafe.Add(ref scores, r * ScoreStride), chunkKeys, Math.Clamp(visible - chunkStart, 0, chunkKeys), chunkStart{mask}, ref runningMax[r], ref runningSum[r]);");
                            }

                            w.Line();
                            w.Line($"WeighTile{bits}(ref scores, chunkKeys, ref Unsafe.Add(ref valueHead, (nint)chunkStart * KvWidth), ref MemoryMarshal.GetReference(rescale), chunkStart > 0, {outputRows});");
                        }

                        w.Line();
                        w.Line("// Divide by the sums at the end; a row that saw no key has a sum of 0 and stays all zeros.");
                        for (var r = 0; r < rows; r++)
                        {
                            w.Line($"SoftmaxKernels.Multiply(MemoryMarshal.CreateSpan(ref Unsafe.Add(ref outputStart, offset{r}), HeadDim), runningSum[{r}] > 0 ? 1 / runningSum[{r}] : 0);");
                        }
                    }
                }
            }
        }

        w.Line();
        EmitScoreTile(w, tile, bits, type);
        w.Line();
        EmitWeighTile(w, attention, tile, bits, type);
    }

    /// <summary>The query row of a tile's row <paramref name="r"/>, as an expression.</summary>
    private static string TileRow(int r) => r == 0 ? "tileStart / HeadsPerKvHead" : $"(tileStart + {Int(r)}) / HeadsPerKvHead";

    /// <summary>Where pair <c>p</c> of a key/value head lives in the query and output rows; shared by every tile width.</summary>
    public static void EmitPairOffset(SourceWriter w)
    {
        w.Line("/// <summary>Pair <paramref name=\"pair\"/> of <paramref name=\"kvHead\"/> is query row pair / HeadsPerKvHead of head kvHead·HeadsPerKvHead + pair % HeadsPerKvHead.</summary>");
        w.Line("private static int PairOffset(int kvHead, int pair) =>");
        w.Line("    pair / HeadsPerKvHead * QueryWidth + (kvHead * HeadsPerKvHead + pair % HeadsPerKvHead) * HeadDim;");
    }

    private static void EmitScoreTile(SourceWriter w, TilePlan tile, int bits, string type)
    {
        var rows = tile.Rows;
        var panelKeys = Int(tile.PanelKeys);
        var queryParameters = string.Join(", ", Enumerable.Range(0, rows).Select(r => $"ref float q{r}"));
        w.Line("/// <summary>");
        w.Line($"/// <c>scores[r, j] = Scale · q_r·k_j</c> for {rows} query rows against the first <paramref name=\"keys\"/> keys, {panelKeys} to a");
        w.Line($"/// panel, with the {rows}×{tile.KeyVectors} accumulators in registers for the whole head dimension. A last, partial panel");
        w.Line("/// scores only the vectors it needs: on a causal diagonal that saves up to half of its work.");
        w.Line("/// </summary>");
        w.Line("[MethodImpl(MethodImplOptions.AggressiveOptimization)]");
        using (w.Block($"private static void ScoreTile{bits}({queryParameters}, ref float panels, int keys, ref float scores)"))
        {
            w.Line($"int keyVectors = (keys + {Int(tile.VectorWidth - 1)}) / {Int(tile.VectorWidth)};");
            w.Line($"int fullBlocks = keyVectors / {Int(tile.KeyVectors)};");
            using (w.Block("for (int block = 0; block < fullBlocks; block++)"))
            {
                EmitScoreBlock(w, tile, type, tile.KeyVectors, "block");
            }

            if (tile.KeyVectors > 1)
            {
                w.Line();
                w.Line($"int tailVectors = keyVectors % {Int(tile.KeyVectors)};");
                for (var vectors = 1; vectors < tile.KeyVectors; vectors++)
                {
                    using (w.Block($"{(vectors == 1 ? "if" : "else if")} (tailVectors == {Int(vectors)})"))
                    {
                        EmitScoreBlock(w, tile, type, vectors, "fullBlocks");
                    }
                }
            }
        }
    }

    /// <summary>One panel's scores, <paramref name="vectors"/> key vectors wide, for the panel at <paramref name="block"/>.</summary>
    private static void EmitScoreBlock(SourceWriter w, TilePlan tile, string type, int vectors, string block)
    {
        var rows = tile.Rows;
        var panelKeys = Int(tile.PanelKeys);
        w.Line($"ref float panel = ref Unsafe.Add(ref panels, {block} * (HeadDim * {panelKeys}));");
        for (var r = 0; r < rows; r++)
        {
            w.Line(string.Join(" ", Enumerable.Range(0, vectors).Select(c => $"var s{r}{c} = {type}<float>.Zero;")));
        }

        using (w.Block("for (int d = 0; d < HeadDim; d++)"))
        {
            w.Line($"ref float keyColumn = ref Unsafe.Add(ref panel, d * {panelKeys});");
            for (var c = 0; c < vectors; c++)
            {
                w.Line($"var k{c} = {type}.LoadUnsafe(ref keyColumn, {Int(c * tile.VectorWidth)});");
            }

            for (var r = 0; r < rows; r++)
            {
                w.Line($"{(r == 0 ? "var " : "")}q = {type}.Create(Unsafe.Add(ref q{r}, d));");
                w.Line(string.Join(" ", Enumerable.Range(0, vectors).Select(c => $"s{r}{c} = {type}.MultiplyAddEstimate(q, k{c}, s{r}{c});")));
            }
        }

        w.Line();
        w.Line($"ref float blockScores = ref Unsafe.Add(ref scores, {block} * {panelKeys});");
        for (var r = 0; r < rows; r++)
        {
            w.Line(string.Join(" ", Enumerable.Range(0, vectors).Select(c =>
                $"(s{r}{c} * Scale).StoreUnsafe(ref blockScores, {(r == 0 ? "" : $"{Int(r)} * ScoreStride + ")}{Int(c * tile.VectorWidth)});")));
        }
    }

    private static void EmitWeighTile(SourceWriter w, AttentionShape attention, TilePlan tile, int bits, string type)
    {
        var rows = tile.Rows;
        var outputParameters = string.Join(", ", Enumerable.Range(0, rows).Select(r => $"ref float o{r}"));
        var blockWidth = tile.OutputVectors * tile.VectorWidth;
        w.Line("/// <summary>");
        w.Line($"/// <c>o_r = Σ_j p[r, j] · v_j</c> for {rows} rows of probabilities, {Int(blockWidth)} head columns at a time, with the");
        w.Line($"/// {rows}×{tile.OutputVectors} accumulators in registers while the values stream past.");
        var online = attention.OnlineChunk > 0;
        if (online)
        {
            w.Line("/// With <paramref name=\"accumulate\"/> (online softmax, after the first chunk), each row first takes what earlier");
            w.Line("/// chunks summed into it, times <c>rescale[r]</c>.");
        }

        w.Line("/// </summary>");
        w.Line("[MethodImpl(MethodImplOptions.AggressiveOptimization)]");
        using (w.Block($"private static void WeighTile{bits}(ref float probabilities, int count, ref float values, {(online ? "ref float rescale, bool accumulate, " : "")}{outputParameters})"))
        {
            for (var column = 0; column < attention.HeadDim; column += blockWidth)
            {
                var vectors = System.Math.Min(tile.OutputVectors, (attention.HeadDim - column) / tile.VectorWidth);
                if (column > 0)
                {
                    w.Line();
                }

                w.Line($"// Head columns {Int(column)}…{Int(column + vectors * tile.VectorWidth - 1)}.");
                using (w.Block(""))
                {
                    for (var r = 0; r < rows; r++)
                    {
                        w.Line(string.Join(" ", Enumerable.Range(0, vectors).Select(c => online
                            ? $"var a{r}{c} = accumulate ? {type}.LoadUnsafe(ref o{r}, {Int(column + c * tile.VectorWidth)}) * Unsafe.Add(ref rescale, {Int(r)}) : {type}<float>.Zero;"
                            : $"var a{r}{c} = {type}<float>.Zero;")));
                    }

                    using (w.Block("for (int j = 0; j < count; j++)"))
                    {
                        w.Line("ref float valueRow = ref Unsafe.Add(ref values, (nint)j * KvWidth);");
                        for (var c = 0; c < vectors; c++)
                        {
                            w.Line($"var v{c} = {type}.LoadUnsafe(ref valueRow, {Int(column + c * tile.VectorWidth)});");
                        }

                        for (var r = 0; r < rows; r++)
                        {
                            var index = r == 0 ? "j" : $"{Int(r)} * ScoreStride + j";
                            w.Line($"{(r == 0 ? "var " : "")}p = {type}.Create(Unsafe.Add(ref probabilities, {index}));");
                            w.Line(string.Join(" ", Enumerable.Range(0, vectors).Select(c => $"a{r}{c} = {type}.MultiplyAddEstimate(p, v{c}, a{r}{c});")));
                        }
                    }

                    for (var r = 0; r < rows; r++)
                    {
                        w.Line(string.Join(" ", Enumerable.Range(0, vectors).Select(c => $"a{r}{c}.StoreUnsafe(ref o{r}, {Int(column + c * tile.VectorWidth)});")));
                    }
                }
            }
        }
    }
}
