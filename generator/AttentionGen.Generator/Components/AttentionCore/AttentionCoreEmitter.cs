using AttentionGen.Generator.Emit;
using static AttentionGen.Generator.Emit.Literals;

namespace AttentionGen.Generator.Components.AttentionCore;

/// <summary>
/// Writes an attention core's part of a class: its public shape constants, the shape struct that hands this shape and
/// its plan to the runtime's kernels, its scratch, and the call that runs it.
/// </summary>
internal static class AttentionCoreEmitter
{
    /// <summary>The constants users read and the <c>Forward</c> checks use.</summary>
    public static void EmitConstants(SourceWriter w, AttentionCorePlan core)
    {
        w.Constant("int", "Heads", Int(core.Heads), "Query heads.");
        w.Constant("int", "KvHeads", Int(core.KvHeads), core.KvHeads == core.Heads
            ? "Key/value heads: one per query head."
            : $"Key/value heads: each serves {Int(core.GroupSize)} query heads (grouped-query attention).");
        w.Constant("int", "HeadDim", Int(core.HeadDim), "Width of each head.");
        w.Constant("int", "QueryWidth", "Heads * HeadDim", "Width of a query (and output) row: all heads side by side.");
        w.Constant("int", "KvWidth", "KvHeads * HeadDim", "Width of a key or value row.");
        w.Constant("int", "MaxSeqLen", Int(core.MaxSeqLen), "Largest query length a call may pass.");
        w.Constant("int", "MaxKvSeqLen", Int(core.MaxKvSeqLen), "Largest key/value length a call may pass.");
        w.Constant("float", "Scale", Float(core.Scale), "Multiplies Q·Kᵀ before the softmax" + (core.ScaleIsDefault ? " (1/√HeadDim)." : "."));
        w.Constant("float", "Softcap", Float(core.Softcap), core.Softcap > 0
            ? "Scores become Softcap·tanh(score/Softcap) before masking, bounding the logits."
            : "0: scores are not soft-capped.");
        w.Constant("bool", "IsCausal", Bool(core.Causal), core.Causal
            ? "Query i sees keys j ≤ i + (kvSeqLen − seqLen): bottom-right aligned, so a cached prefix stays visible."
            : "Every query sees every key.");
    }

    /// <summary>
    /// The shape struct: the runtime's kernels are generic over it, and the JIT compiles them for this struct alone
    /// with every member a constant. The plan's choices carry a comment saying why.
    /// </summary>
    public static void EmitShape(SourceWriter w, AttentionCorePlan core)
    {
        w.Line("/// <summary>");
        w.Line("/// This core's shape and plan for AttentionGen's attention kernels. They are generic over this struct, so the JIT");
        w.Line("/// compiles them for this shape alone: every member below is a constant there, loops over the head have fixed");
        w.Line("/// bounds, and the branches of every other plan fold away.");
        w.Line("/// </summary>");
        using (w.Block($"private readonly struct {core.ShapeType} : {Names.AttentionShape}"))
        {
            w.Line($"public static int Heads => {Int(core.Heads)};");
            w.Line($"public static int KvHeads => {Int(core.KvHeads)};");
            w.Line($"public static int HeadDim => {Int(core.HeadDim)};");
            w.Line($"public static float Scale => {Float(core.Scale)};");
            w.Line($"public static float Softcap => {Float(core.Softcap)};");
            w.Line($"public static bool IsCausal => {Bool(core.Causal)};");
            w.Line();
            w.Line($"// Score rows hold MaxKvSeqLen ({Int(core.MaxKvSeqLen)}) keys, rounded up to whole {Int(core.WidestPanel)}-key panels.");
            w.Line($"public static int ScoreStride => {Long(core.ScoreStride)};");
            w.Line(core.RowStackedHeads > core.TileRows
                ? $"// The row path scores all {Int(core.RowStackedHeads)} heads of a query row at once{(core.GroupSize > 1 ? ", its key/value streams in turns" : "")}, one score row each."
                : core.HasTiles
                    ? $"// A register tile takes {Int(core.TileRows)} (query row, head) pairs, one score row each."
                    : "// One score row: a single head, row by row.");
            w.Line($"public static int ScoreRows => {Int(core.ScoreRows)};");
            w.Line();
            EmitTileChoice(w, core);
            w.Line();
            w.Line(core.OnlineChunk > 0
                ? $"// Past {Int(AttentionCorePlan.OnlineThreshold)} keys a tile's score rows would not fit in L1: online softmax in chunks of {Int(core.OnlineChunk)} keys."
                : $"// At most {Int(core.MaxKvSeqLen)} keys: a tile's whole score rows fit in L1, so the softmax is the exact two-pass one.");
            w.Line($"public static int OnlineChunk => {Int(core.OnlineChunk)};");
        }
    }

    private static void EmitTileChoice(SourceWriter w, AttentionCorePlan core)
    {
        if (core.HeadDim > AttentionCorePlanner.MaxTiledHeadDim)
        {
            w.Line($"// A head of {Int(core.HeadDim)} floats is wider than the tiles take ({Int(AttentionCorePlanner.MaxTiledHeadDim)}): every call goes row by row.");
        }
        else if (core.PanelKeys512 == 0)
        {
            w.Line($"// A head of {Int(core.HeadDim)} floats is narrower than a Vector512, so that path has no tile; narrower vectors' tiles take it.");
        }
        else
        {
            w.Line(core.PanelKeys512 < 64
                ? $"// The Vector512 tile packs Kᵀ in panels of {Int(core.PanelKeys512)} keys: no call has more, so none scores padding."
                : "// The Vector512 tile packs Kᵀ in panels of 64 keys: 6 rows × 4 key vectors of accumulators.");
            if (core.HeadDim == AttentionCorePlanner.KeyPairHeadDim)
            {
                w.Line("// A head of 8 floats is half a Vector512: P·V weighs two keys' value rows in each vector.");
            }
            else if (core.HeadDim % 16 != 0)
            {
                w.Line($"// {HeadVectors(core.HeadDim, 16)}");
            }
        }

        w.Line($"public static int PanelKeys512 => {Int(core.PanelKeys512)};");
        if (core.HeadDim <= AttentionCorePlanner.MaxTiledHeadDim)
        {
            w.Line($"// Where Vector256 is the widest: {(core.HasTile256 ? "a 6-row tile over 16-key panels" : "rows, the head being narrower than a Vector256")}; " +
                $"where Vector128 is: {(core.HasTile128 ? "a 4-row tile over 8-key panels" : "rows")}.");
            if (core.HasTile256 && core.HeadDim % 8 != 0)
            {
                w.Line($"// {HeadVectors(core.HeadDim, 8)}");
            }
            else if (core.HasTile128 && core.HeadDim % 4 != 0)
            {
                w.Line($"// {HeadVectors(core.HeadDim, 4)}");
            }
        }

        w.Line($"public static bool HasTile256 => {Bool(core.HasTile256)};");
        w.Line($"public static bool HasTile128 => {Bool(core.HasTile128)};");
    }

    /// <summary>How P·V covers a head that is not whole vectors of <paramref name="lanes"/> floats: its last vector overlaps the one before.</summary>
    private static string HeadVectors(int headDim, int lanes)
    {
        var vectors = (headDim + lanes - 1) / lanes;
        var redone = vectors * lanes - headDim;
        return $"{Int(headDim)} floats are not whole Vector{Int(lanes * 32)}s: P·V covers the head in {Int(vectors)} of them, the last " +
            $"starting at column {Int(headDim - lanes)} and redoing {Int(redone)} columns of the one before (same arithmetic, same bits).";
    }

    /// <summary>The core's scratch fields.</summary>
    public static void EmitScratch(SourceWriter w, AttentionCorePlan core)
    {
        var kernels = Names.AttentionCore(core.ShapeType);
        w.Line($"private readonly {Names.AlignedBuffer} {core.ScoresField} = new({kernels}.ScoreScratchLength);");
        if (core.HasTiles)
        {
            w.Line($"private readonly {Names.AlignedBuffer} {core.KeyPanelsField} = new({kernels}.KeyPanelScratchLength);");
        }
    }

    /// <summary>The statement that runs the core on checked arguments (expressions for query, key, value, mask, output and the lengths).</summary>
    public static void EmitAttend(SourceWriter w, AttentionCorePlan core, string query, string key, string value, string mask, string output, string seqLen, string kvSeqLen)
    {
        var keyPanels = core.HasTiles ? core.KeyPanelsField + ".Span" : "default";
        w.Line($"{Names.AttentionCore(core.ShapeType)}.Attend({query}, {key}, {value}, {mask}, {output}, {seqLen}, {kvSeqLen}, {core.ScoresField}.Span, {keyPanels});");
    }

    /// <summary>The checks every core call needs on its query/key/value/output spans.</summary>
    public static void EmitCoreChecks(SourceWriter w) =>
        w.Line($"{Names.Guard}.AttentionCall(query, key, value, output, seqLen, kvSeqLen, MaxSeqLen, MaxKvSeqLen, QueryWidth, KvWidth);");
}
