using AttentionGen.Generator.Model;
using AttentionGen.Generator.Planning;
using static AttentionGen.Generator.Emit.Literals;

namespace AttentionGen.Generator.Emit;

/// <summary>
/// Emits the body of the attention layers: <c>[ScaledDotProductAttention]</c> (the core alone, with an additive-mask
/// overload) and <c>[MultiHeadAttention]</c> (Q/K/V projections, the same core, the output projection).
/// </summary>
internal static class AttentionEmitter
{
    public static void EmitBody(SourceWriter w, LayerPlan plan)
    {
        var attention = plan.Attention!;
        var projections = plan.Projections;
        var isMultiHead = plan.Kind == LayerKind.MultiHeadAttention;

        if (projections is not null)
        {
            LayerEmitter.Constant(w, "int", "ModelDim", Int(projections.ModelDim), "Width of the input and output rows.");
            LayerEmitter.Constant(w, "int", "KvInputDim", Int(projections.KvInputDim), "Width of the rows that keys and values are projected from.");
        }

        LayerEmitter.Constant(w, "int", "Heads", Int(attention.Heads), "Query heads.");
        LayerEmitter.Constant(w, "int", "KvHeads", Int(attention.KvHeads), attention.KvHeads == attention.Heads
            ? "Key/value heads: one per query head."
            : $"Key/value heads: each serves {attention.GroupSize} query heads (grouped-query attention).");
        LayerEmitter.Constant(w, "int", "HeadDim", Int(attention.HeadDim), "Width of each head.");
        LayerEmitter.Constant(w, "int", "QueryWidth", "Heads * HeadDim", "Width of a query (and output) row: all heads side by side.");
        LayerEmitter.Constant(w, "int", "KvWidth", "KvHeads * HeadDim", "Width of a key or value row.");
        LayerEmitter.Constant(w, "int", "MaxSeqLen", Int(attention.MaxSeqLen), "Largest query length a call may pass.");
        LayerEmitter.Constant(w, "int", "MaxKvSeqLen", Int(attention.MaxKvSeqLen), "Largest key/value length a call may pass.");
        LayerEmitter.Constant(w, "float", "Scale", Float(attention.Scale), "Multiplies Q·Kᵀ before the softmax" + (attention.Scale == (float)(1.0 / System.Math.Sqrt(attention.HeadDim)) ? " (1/√HeadDim)." : "."));
        LayerEmitter.Constant(w, "float", "Softcap", Float(attention.Softcap), attention.Softcap > 0
            ? "Scores become Softcap·tanh(score/Softcap) before masking, bounding the logits."
            : "0: scores are not soft-capped.");
        LayerEmitter.Constant(w, "bool", "IsCausal", Bool(attention.Causal), attention.Causal
            ? "Query i sees keys j ≤ i + (kvSeqLen − seqLen): bottom-right aligned, so a cached prefix stays visible."
            : "Every query sees every key.");

        w.Line($"// Row stride of the score block: MaxKvSeqLen rounded up to whole key panels and whole Vector512s.");
        w.Line($"private const int ScoreStride = {Int(attention.ScoreStride)};");
        w.Line("private const int HeadsPerKvHead = Heads / KvHeads;");
        if (attention.OnlineChunk > 0)
        {
            w.Line($"// Keys per chunk of the tiles' online softmax: past {Int(AttentionShape.OnlineThreshold)} keys a tile's whole score rows would not fit in L1.");
            w.Line($"private const int OnlineChunk = {Int(attention.OnlineChunk)};");
        }
        if (attention.RowStackedHeads > 1)
        {
            w.Line("// Keys per block when the heads take turns on them: 16 rows of one head stay in L1 between heads, even at");
            w.Line("// power-of-two row strides, which pile rows onto few cache sets.");
            w.Line("private const int KeyBlock = 16;");
        }

        w.Line();
        w.Line("// Scratch, allocated once per instance so Forward allocates nothing.");
        w.Line($"private readonly AlignedBuffer _scores = new({Int(attention.ScoreRows)} * ScoreStride);");
        if (attention.Tiles.Count > 0)
        {
            w.Line("private readonly AlignedBuffer _keyPanels = new(ScoreStride * HeadDim);");
        }

        if (isMultiHead)
        {
            w.Line("private readonly AlignedBuffer _query = new(MaxSeqLen * QueryWidth);");
            w.Line("private readonly AlignedBuffer _key = new(MaxKvSeqLen * KvWidth);");
            w.Line("private readonly AlignedBuffer _value = new(MaxKvSeqLen * KvWidth);");
            w.Line("private readonly AlignedBuffer _attended = new(MaxSeqLen * QueryWidth);");
        }

        w.Line();
        if (isMultiHead)
        {
            WeightsEmitter.EmitFields(w, plan);
            EmitMultiHeadForwards(w, plan, projections!);
            w.Line();
            WeightsEmitter.EmitApi(w, plan);
        }
        else
        {
            EmitScaledDotProductForwards(w);
        }

        w.Line();
        EmitAttend(w, attention, hasMask: !isMultiHead);
    }

    private static void EmitScaledDotProductForwards(SourceWriter w)
    {
        const string Parameters = "ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value";
        w.Line("/// <summary>");
        w.Line("/// <c>softmax(Q·Kᵀ·Scale)·V</c> for every head. <paramref name=\"query\"/> and <paramref name=\"output\"/> are");
        w.Line("/// [seqLen, QueryWidth]; <paramref name=\"key\"/> and <paramref name=\"value\"/> are [kvSeqLen, KvWidth]. Allocates nothing.");
        w.Line("/// </summary>");
        using (w.Block($"public void Forward({Parameters}, Span<float> output, int seqLen, int kvSeqLen)"))
        {
            EmitCoreChecks(w);
            w.Line("Attend(query, key, value, ReadOnlySpan<float>.Empty, output, seqLen, kvSeqLen);");
        }

        w.Line();
        w.Line("/// <summary>");
        w.Line("/// As <see cref=\"Forward(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int)\"/>, with");
        w.Line("/// <paramref name=\"additiveMask\"/> [seqLen, kvSeqLen] added to every head's scores (use -∞ to hide a key).");
        w.Line("/// </summary>");
        using (w.Block($"public void Forward({Parameters}, ReadOnlySpan<float> additiveMask, Span<float> output, int seqLen, int kvSeqLen)"))
        {
            EmitCoreChecks(w);
            w.Line("Guard.HasExactly(additiveMask, seqLen, kvSeqLen, nameof(additiveMask));");
            w.Line("Attend(query, key, value, additiveMask, output, seqLen, kvSeqLen);");
        }
    }

    private static void EmitCoreChecks(SourceWriter w)
    {
        w.Line("Guard.Length(seqLen, MaxSeqLen, nameof(seqLen));");
        w.Line("Guard.Length(kvSeqLen, MaxKvSeqLen, nameof(kvSeqLen));");
        w.Line("Guard.HasRows(query, seqLen, QueryWidth, nameof(query));");
        w.Line("Guard.HasRows(key, kvSeqLen, KvWidth, nameof(key));");
        w.Line("Guard.HasRows(value, kvSeqLen, KvWidth, nameof(value));");
        w.Line("Guard.HasRows(output, seqLen, QueryWidth, nameof(output));");
        w.Line("Guard.DoesNotOverlap(output, query, nameof(output), nameof(query));");
        w.Line("Guard.DoesNotOverlap(output, key, nameof(output), nameof(key));");
        w.Line("Guard.DoesNotOverlap(output, value, nameof(output), nameof(value));");
    }

    private static void EmitMultiHeadForwards(SourceWriter w, LayerPlan plan, ProjectionShape projections)
    {
        if (projections.EmitsSelfAttention)
        {
            w.Line("/// <summary>");
            w.Line("/// Self-attention: <paramref name=\"input\"/> [seqLen, ModelDim] attends to itself; the result goes to");
            w.Line("/// <paramref name=\"output\"/> [seqLen, ModelDim]. Allocates nothing.");
            w.Line("/// </summary>");
            using (w.Block("public void Forward(ReadOnlySpan<float> input, Span<float> output, int seqLen)"))
            {
                w.Line("Guard.Length(seqLen, MaxSeqLen, nameof(seqLen));");
                w.Line("Guard.HasRows(input, seqLen, ModelDim, nameof(input));");
                w.Line("Guard.HasRows(output, seqLen, ModelDim, nameof(output));");
                w.Line("Run(input, input, output, seqLen, seqLen);");
            }

            w.Line();
        }

        if (projections.EmitsCrossAttention)
        {
            w.Line("/// <summary>");
            w.Line("/// Cross-attention: <paramref name=\"input\"/> [seqLen, ModelDim] attends to <paramref name=\"context\"/>");
            w.Line("/// [contextLen, KvInputDim]; the result goes to <paramref name=\"output\"/> [seqLen, ModelDim]. Allocates nothing.");
            w.Line("/// </summary>");
            using (w.Block("public void Forward(ReadOnlySpan<float> input, ReadOnlySpan<float> context, Span<float> output, int seqLen, int contextLen)"))
            {
                w.Line("Guard.Length(seqLen, MaxSeqLen, nameof(seqLen));");
                w.Line("Guard.Length(contextLen, MaxKvSeqLen, nameof(contextLen));");
                w.Line("Guard.HasRows(input, seqLen, ModelDim, nameof(input));");
                w.Line("Guard.HasRows(context, contextLen, KvInputDim, nameof(context));");
                w.Line("Guard.HasRows(output, seqLen, ModelDim, nameof(output));");
                w.Line("Run(input, context, output, seqLen, contextLen);");
            }

            w.Line();
        }

        w.Line("/// <summary>Projects Q from <paramref name=\"input\"/> and K, V from <paramref name=\"context\"/>, attends, and projects out.</summary>");
        w.Line("private void Run(ReadOnlySpan<float> input, ReadOnlySpan<float> context, Span<float> output, int seqLen, int kvSeqLen)");
        w.Line("{");
        w.Line("    Span<float> query = _query.Span.Slice(0, seqLen * QueryWidth);");
        w.Line("    Span<float> key = _key.Span.Slice(0, kvSeqLen * KvWidth);");
        w.Line("    Span<float> value = _value.Span.Slice(0, kvSeqLen * KvWidth);");
        w.Line("    Span<float> attended = _attended.Span.Slice(0, seqLen * QueryWidth);");
        w.Line();
        w.Line("    if (!_panelsCurrent)");
        w.Line("    {");
        w.Line("        PackPanels();");
        w.Line("    }");
        w.Line();
        w.Line("    // Projections in: Q from the input, K and V from the context (the input itself for self-attention).");
        w.Line($"    PackedLinear.Forward(input, {WeightsEmitter.PanelsOf(plan, "q_proj.weight")}.Span, {WeightsEmitter.BiasOf(plan, "q_proj")}, query, seqLen, ModelDim, QueryWidth);");
        w.Line($"    PackedLinear.Forward(context, {WeightsEmitter.PanelsOf(plan, "k_proj.weight")}.Span, {WeightsEmitter.BiasOf(plan, "k_proj")}, key, kvSeqLen, KvInputDim, KvWidth);");
        w.Line($"    PackedLinear.Forward(context, {WeightsEmitter.PanelsOf(plan, "v_proj.weight")}.Span, {WeightsEmitter.BiasOf(plan, "v_proj")}, value, kvSeqLen, KvInputDim, KvWidth);");
        w.Line();
        w.Line("    Attend(query, key, value, attended, seqLen, kvSeqLen);");
        w.Line();
        w.Line("    // Projection out: the heads, side by side, back to ModelDim.");
        w.Line($"    PackedLinear.Forward(attended, {WeightsEmitter.PanelsOf(plan, "o_proj.weight")}.Span, {WeightsEmitter.BiasOf(plan, "o_proj")}, output, seqLen, QueryWidth, ModelDim);");
        w.Line("}");
    }

    private static void EmitAttend(SourceWriter w, AttentionShape attention, bool hasMask)
    {
        var maskParameter = hasMask ? "ReadOnlySpan<float> additiveMask, " : "";
        var maskArgument = hasMask ? "additiveMask, " : "";
        var arguments = $"query, key, value, {maskArgument}output, seqLen, kvSeqLen";
        w.Line("/// <summary>");
        w.Line("/// The attention core. Calls with enough query rows to fill a register tile run tiled; small ones (decoding one");
        w.Line("/// token, say) go row by row, where packing the keys would cost more than it saves. Arguments were checked.");
        w.Line("/// </summary>");
        using (w.Block($"private void Attend(ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, {maskParameter}Span<float> output, int seqLen, int kvSeqLen)"))
        {
            if (attention.Tiles.Count > 0)
            {
                w.Line("// The widest accelerated tile, when the call has enough (query row, head) pairs to fill it; otherwise rows.");
                w.Line("int pairs = seqLen * HeadsPerKvHead;");
            }

            for (var i = 0; i < attention.Tiles.Count; i++)
            {
                var tile = attention.Tiles[i];
                var type = RowKernelEmitter.VectorType(tile.VectorWidth);
                using (w.Block($"{(i == 0 ? "if" : "else if")} ({type}.IsHardwareAccelerated)"))
                {
                    using (w.Block($"if (pairs >= {Int(tile.Rows)})"))
                    {
                        w.Line($"AttendInTiles{tile.VectorWidth * 32}({arguments});");
                        w.Line("return;");
                    }
                }
            }

            if (attention.Tiles.Count > 0)
            {
                w.Line();
            }

            w.Line($"AttendByRows({arguments});");
        }

        w.Line();
        EmitAttendByRows(w, attention, maskParameter, hasMask);
        foreach (var tile in attention.Tiles)
        {
            w.Line();
            TileKernelEmitter.EmitAttendInTiles(w, attention, tile, maskParameter, hasMask);
        }

        if (attention.Tiles.Count > 0)
        {
            w.Line();
            TileKernelEmitter.EmitPairOffset(w);
        }

        w.Line();
        EmitSoftmaxRow(w, attention, hasMask);
        if (attention.OnlineChunk > 0)
        {
            w.Line();
            EmitSoftmaxChunkRow(w, attention, hasMask);
        }
    }

    private static void EmitAttendByRows(SourceWriter w, AttentionShape attention, string maskParameter, bool hasMask)
    {
        var grouped = attention.GroupSize > 1;
        w.Line(grouped
            ? "/// <summary>One query row of one key/value group at a time: scores, softmax and weighted sum for every head in it.</summary>"
            : attention.Heads > 1
                ? "/// <summary>One query row at a time, every head at once: scores, softmax and weighted sum, K and V read once.</summary>"
                : "/// <summary>One query row at a time: scores against every visible key, softmax, weighted sum of values.</summary>");
        w.Line("[MethodImpl(MethodImplOptions.AggressiveOptimization)]");
        using (w.Block($"private void AttendByRows(ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, {maskParameter}Span<float> output, int seqLen, int kvSeqLen)"))
        {
            w.Line("ref float queryStart = ref MemoryMarshal.GetReference(query);");
            w.Line("ref float keyStart = ref MemoryMarshal.GetReference(key);");
            w.Line("ref float valueStart = ref MemoryMarshal.GetReference(value);");
            w.Line("ref float outputStart = ref MemoryMarshal.GetReference(output);");
            w.Line("ref float scores = ref _scores.Reference;");
            w.Line();
            var mask = hasMask ? ", MaskRow(additiveMask, row, kvSeqLen)" : "";
            EmitStackedRows(w, attention, mask);
        }

        if (hasMask)
        {
            w.Line();
            w.Line("/// <summary>The additive mask's row for query <paramref name=\"row\"/>, or an empty span when there is no mask.</summary>");
            w.Line("private static ReadOnlySpan<float> MaskRow(ReadOnlySpan<float> additiveMask, int row, int kvSeqLen) =>");
            w.Line("    additiveMask.IsEmpty ? default : additiveMask.Slice(row * kvSeqLen, kvSeqLen);");
        }
    }

    /// <summary>
    /// The row kernels take several heads of a query row at once, so their keys and values stream from memory once for
    /// all of them. Grouped-query heads share a key/value head, and each group is one unit; without groups every head of
    /// the row is (head h reading its own slice of each key and value row), and one head is the plain case.
    /// </summary>
    private static void EmitStackedRows(SourceWriter w, AttentionShape attention, string mask)
    {
        var grouped = attention.GroupSize > 1;
        var (heads, query, output, head) = grouped
            ? ("HeadsPerKvHead", "queryGroup", "outputGroup", "g")
            : ("Heads", "queryRow", "outputRow", "head");
        var keys = grouped ? "keyHead" : "keyStart";
        var values = grouped ? "valueHead" : "valueStart";

        void EmitRow()
        {
            using (w.Block("for (int row = 0; row < seqLen; row++)"))
            {
                if (grouped)
                {
                    w.Line("// The group's query heads sit side by side in the row, and so do their outputs.");
                    w.Line("int groupOffset = row * QueryWidth + kvHead * HeadsPerKvHead * HeadDim;");
                    w.Line($"ref float {query} = ref Unsafe.Add(ref queryStart, groupOffset);");
                    w.Line($"ref float {output} = ref Unsafe.Add(ref outputStart, groupOffset);");
                }
                else
                {
                    w.Line($"ref float {query} = ref Unsafe.Add(ref queryStart, row * QueryWidth);");
                    w.Line($"ref float {output} = ref Unsafe.Add(ref outputStart, row * QueryWidth);");
                }

                EmitVisible(w, attention, "visible", "row");
                using (w.Block("if (visible <= 0)"))
                {
                    w.Line("// More queries than keys: this row sees nothing, and attends to nothing.");
                    w.Line($"MemoryMarshal.CreateSpan(ref {output}, {(grouped ? "HeadsPerKvHead * HeadDim" : "QueryWidth")}).Clear();");
                    w.Line("continue;");
                }

                w.Line();
                w.Line($"ScoreKeys(ref {query}, ref {keys}, visible, Scale, ref scores);");
                if (attention.RowStackedHeads > 1)
                {
                    using (w.Block($"for (int {head} = 0; {head} < {heads}; {head}++)"))
                    {
                        w.Line($"SoftmaxRow(ref Unsafe.Add(ref scores, {head} * ScoreStride), visible, visible{mask});");
                    }
                }
                else
                {
                    w.Line($"SoftmaxRow(ref scores, visible, visible{mask});");
                }

                w.Line();
                w.Line($"WeighValues(ref scores, ref {values}, visible, ref {output});");
            }
        }

        if (!grouped)
        {
            EmitRow();
            return;
        }

        using (w.Block("for (int kvHead = 0; kvHead < KvHeads; kvHead++)"))
        {
            w.Line("ref float keyHead = ref Unsafe.Add(ref keyStart, kvHead * HeadDim);");
            w.Line("ref float valueHead = ref Unsafe.Add(ref valueStart, kvHead * HeadDim);");
            EmitRow();
        }
    }

    /// <summary>How many keys query row <paramref name="row"/> may see, as an expression.</summary>
    internal static string VisibleExpression(AttentionShape attention, string row) =>
        attention.Causal ? $"Math.Min(kvSeqLen, {row} + kvSeqLen - seqLen + 1)" : "kvSeqLen";

    /// <summary><c>int visible = …</c>: how many keys query row <paramref name="row"/> may see.</summary>
    internal static void EmitVisible(SourceWriter w, AttentionShape attention, string name, string row)
    {
        if (attention.Causal)
        {
            w.Line("// Causal, bottom-right aligned: keys past the diagonal are never scored, not just masked.");
        }

        w.Line($"int {name} = {VisibleExpression(attention, row)};");
    }

    /// <summary>Whether scores need work before their softmax: a softcap, or an additive mask.</summary>
    internal static bool HasScorePreparation(AttentionShape attention, bool hasMask) => attention.Softcap > 0 || hasMask;

    private static void EmitSoftmaxRow(SourceWriter w, AttentionShape attention, bool hasMask)
    {
        var prepared = HasScorePreparation(attention, hasMask);
        var mask = hasMask ? ", maskRow" : "";
        if (prepared)
        {
            w.Line("/// <summary>Softcap and additive mask on a row's first <paramref name=\"visible\"/> scores (offset into the mask row).</summary>");
            w.Line("[MethodImpl(MethodImplOptions.AggressiveInlining)]");
            using (w.Block($"private static void PrepareScores(ref float row, int visible, int offset{(hasMask ? ", ReadOnlySpan<float> maskRow" : "")})"))
            {
                w.Line("Span<float> live = MemoryMarshal.CreateSpan(ref row, Math.Max(visible, 0));");
                if (attention.Softcap > 0)
                {
                    w.Line("// Softcap: Softcap·tanh(score/Softcap) bounds the logits smoothly, before any mask is added.");
                    w.Line("SoftmaxKernels.Softcap(live, Softcap);");
                }

                if (hasMask)
                {
                    using (w.Block("if (!maskRow.IsEmpty)"))
                    {
                        w.Line("// The additive mask is one [seqLen, kvSeqLen] matrix shared by every head.");
                        w.Line("SoftmaxKernels.Add(live, maskRow.Slice(offset, live.Length));");
                    }
                }
            }

            w.Line();
        }

        w.Line("/// <summary>");
        w.Line("/// Turns one row of scores into probabilities in place: the first <paramref name=\"visible\"/> entries get the softmax,");
        w.Line("/// the rest of the first <paramref name=\"length\"/> become 0 so a tile can sum over a common length.");
        w.Line("/// </summary>");
        w.Line("[MethodImpl(MethodImplOptions.AggressiveInlining)]");
        using (w.Block($"private static void SoftmaxRow(ref float row, int length, int visible{(hasMask ? ", ReadOnlySpan<float> maskRow" : "")})"))
        {
            if (prepared)
            {
                w.Line($"PrepareScores(ref row, visible, 0{mask});");
            }

            w.Line("// One call: max, exp and sum, normalise, zeros. Score rows are ScoreStride long, a multiple of 16, so rounding");
            w.Line("// the length up to whole vectors stays inside the row. A fully masked row comes out all zeros.");
            w.Line("SoftmaxKernels.SoftmaxPrefix(MemoryMarshal.CreateSpan(ref row, (length + 15) & ~15), Math.Max(visible, 0));");
        }
    }

    private static void EmitSoftmaxChunkRow(SourceWriter w, AttentionShape attention, bool hasMask)
    {
        w.Line("/// <summary>");
        w.Line("/// One chunk of a row's online softmax: the first <paramref name=\"visible\"/> scores become exp(score − running max),");
        w.Line("/// the rest of the first <paramref name=\"length\"/> 0. Returns the factor for what earlier chunks accumulated.");
        w.Line("/// </summary>");
        w.Line("[MethodImpl(MethodImplOptions.AggressiveInlining)]");
        var maskParameter = hasMask ? ", ReadOnlySpan<float> maskRow" : "";
        using (w.Block($"private static float SoftmaxChunkRow(ref float row, int length, int visible, int chunkStart{maskParameter}, ref float runningMax, ref float runningSum)"))
        {
            if (HasScorePreparation(attention, hasMask))
            {
                w.Line($"PrepareScores(ref row, visible, chunkStart{(hasMask ? ", maskRow" : "")});");
            }

            w.Line("return SoftmaxKernels.SoftmaxChunk(MemoryMarshal.CreateSpan(ref row, (length + 15) & ~15), visible, ref runningMax, ref runningSum);");
        }
    }
}
