using System;
using System.Collections.Generic;
using AttentionGen.Generator.Model;
using AttentionGen.Generator.Validation;

namespace AttentionGen.Generator.Planning;

/// <summary>Turns a valid <see cref="LayerModel"/> into a <see cref="LayerPlan"/>.</summary>
internal static class LayerPlanner
{
    /// <summary>Vector widths in floats: Vector512, Vector256, Vector128.</summary>
    private static readonly int[] VectorWidths = { 16, 8, 4 };

    public static LayerPlan Plan(LayerModel model)
    {
        var options = model.Options;
        var hintName = model.FullName + ".g.cs";
        switch (model.Kind)
        {
            case LayerKind.AttentionPooling:
            {
                var pooling = new PoolingShape(options.InputDim, options.MaxSeqLen, options.OutputDim);
                return new LayerPlan(model.Kind, hintName, model.Namespace, model.ClassName, model.TypeKeyword, model.ContainingTypes,
                    Attention: null, Projections: null, pooling,
                    PoolingWeights(pooling).ToEquatableArray(),
                    new[]
                    {
                        RowKernel(RowKernelKind.DotRows, "ScorePositions", pooling.InputDim, "InputDim", "InputDim"),
                        RowKernel(RowKernelKind.WeightedSum, "PoolPositions", pooling.InputDim, "InputDim", "InputDim"),
                    }.ToEquatableArray());
            }

            default:
            {
                var attention = AttentionOf(options, model.Kind);
                ProjectionShape? projections = null;
                var weights = new List<WeightPlan>();
                if (model.Kind == LayerKind.MultiHeadAttention)
                {
                    var kvInputDim = options.KvInputDim > 0 ? options.KvInputDim : options.ModelDim;
                    projections = new ProjectionShape(options.ModelDim, kvInputDim, options.Bias,
                        EmitsSelfAttention: kvInputDim == options.ModelDim,
                        EmitsCrossAttention: options.KvInputDim > 0);
                    weights.AddRange(ProjectionWeights(attention, projections));
                }

                return new LayerPlan(model.Kind, hintName, model.Namespace, model.ClassName, model.TypeKeyword, model.ContainingTypes,
                    attention, projections, Pooling: null, weights.ToEquatableArray(),
                    new[]
                    {
                        Stacked(RowKernel(RowKernelKind.DotRows, "ScoreKeys", attention.HeadDim, "HeadDim", "KvWidth"), attention),
                        Stacked(RowKernel(RowKernelKind.WeightedSum, "WeighValues", attention.HeadDim, "HeadDim", "KvWidth"), attention),
                    }.ToEquatableArray());
            }
        }
    }

    private static AttentionShape AttentionOf(LayerOptions options, LayerKind kind)
    {
        var headDim = options.HeadDim > 0 || kind != LayerKind.MultiHeadAttention ? options.HeadDim : options.ModelDim / options.Heads;
        var scale = options.Scale > 0 ? options.Scale : (float)(1.0 / Math.Sqrt(headDim));
        var maxKvSeqLen = options.MaxKvSeqLen > 0 ? options.MaxKvSeqLen : options.MaxSeqLen;
        if (kind == LayerKind.MultiHeadAttention && (options.KvInputDim == 0 || options.KvInputDim == options.ModelDim))
        {
            // The layer has a self-attention Forward, where the keys are the queries: key buffers hold MaxSeqLen rows.
            maxKvSeqLen = Math.Max(maxKvSeqLen, options.MaxSeqLen);
        }

        var tiles = headDim <= LayerValidator.MaxUnrolledWidth ? TilesFor(headDim, maxKvSeqLen) : EquatableArray<TilePlan>.Empty;
        return new AttentionShape(
            options.Heads,
            options.KvHeads > 0 ? options.KvHeads : options.Heads,
            headDim,
            options.MaxSeqLen,
            maxKvSeqLen,
            options.Causal,
            scale,
            options.Softcap,
            tiles);
    }

    /// <summary>
    /// The register tiles: AVX-512's 32 registers hold 6×4 accumulators plus 4 key vectors and a broadcast; AVX2's 16
    /// hold 6×2; SSE's 16 hold 4×2. When every call has fewer keys than a full AVX-512 panel (64), its panel narrows to
    /// the keys there can be, so short sequences don't score padding. A width only gets a tile when whole vectors cover
    /// the head, so the P·V tile has no column tail; other head widths run row by row on that path.
    /// </summary>
    internal static EquatableArray<TilePlan> TilesFor(int headDim, int maxKvSeqLen)
    {
        var tiles = new List<TilePlan>();
        var keyVectors512 = Math.Max(1, Math.Min(4, (maxKvSeqLen + 15) / 16));
        foreach (var tile in new[] { new TilePlan(16, 6, keyVectors512, 4), new TilePlan(8, 6, 2, 2), new TilePlan(4, 4, 2, 2) })
        {
            if (headDim % tile.VectorWidth == 0)
            {
                tiles.Add(tile);
            }
        }

        return tiles.ToEquatableArray();
    }

    private static IEnumerable<WeightPlan> ProjectionWeights(AttentionShape attention, ProjectionShape projections)
    {
        foreach (var (prefix, rows, rowsName, columns, columnsName) in new[]
                 {
                     ("q_proj", attention.QueryWidth, "QueryWidth", projections.ModelDim, "ModelDim"),
                     ("k_proj", attention.KvWidth, "KvWidth", projections.KvInputDim, "KvInputDim"),
                     ("v_proj", attention.KvWidth, "KvWidth", projections.KvInputDim, "KvInputDim"),
                     ("o_proj", projections.ModelDim, "ModelDim", attention.QueryWidth, "QueryWidth"),
                 })
        {
            yield return Weight(prefix + ".weight", rows, rowsName, columns, columnsName) with { IsPacked = true };
            if (projections.Bias)
            {
                yield return Weight(prefix + ".bias", rows, rowsName, 0, "");
            }
        }
    }

    private static IEnumerable<WeightPlan> PoolingWeights(PoolingShape pooling)
    {
        yield return Weight("score.weight", 1, "1", pooling.InputDim, "InputDim");
        yield return Weight("score.bias", 1, "1", 0, "");
        yield return Weight("output.weight", pooling.OutputDim, "OutputDim", pooling.InputDim, "InputDim");
        yield return Weight("output.bias", pooling.OutputDim, "OutputDim", 0, "");
    }

    /// <summary><c>q_proj.weight</c> becomes property <c>QProjWeight</c> backed by field <c>_qProjWeight</c>.</summary>
    private static WeightPlan Weight(string tensorName, int rows, string rowsName, int columns, string columnsName)
    {
        var property = "";
        foreach (var part in tensorName.Split('.', '_'))
        {
            property += char.ToUpperInvariant(part[0]) + part.Substring(1);
        }

        return new WeightPlan(tensorName, property, "_" + char.ToLowerInvariant(property[0]) + property.Substring(1), rows, columns, rowsName, columnsName);
    }

    /// <summary>The attention row kernels take a group's heads, or every head when there are no groups.</summary>
    private static RowKernelPlan Stacked(RowKernelPlan kernel, AttentionShape attention) => kernel with
    {
        StackedHeads = attention.RowStackedHeads,
        StackedHeadsName = attention.GroupSize > 1 ? "HeadsPerKvHead" : "Heads",
        SharedRows = attention.GroupSize > 1,
    };

    internal static RowKernelPlan RowKernel(RowKernelKind kind, string methodName, int width, string widthName, string rowStrideName)
    {
        var unrolled = width <= LayerValidator.MaxUnrolledWidth;
        var paths = new List<VectorPath>();
        foreach (var vectorWidth in VectorWidths)
        {
            // A path only earns its place if its widest vector fits the row; otherwise it would repeat the next one.
            if (width >= vectorWidth)
            {
                paths.Add(SplitIntoChunks(width, vectorWidth));
            }
        }

        paths.Add(new VectorPath(1, EquatableArray<VectorChunk>.Empty, width));
        return new RowKernelPlan(kind, methodName, width, widthName, rowStrideName, unrolled, paths.ToEquatableArray());
    }

    /// <summary>Covers the row with the widest vectors first, then narrower ones, leaving fewer than 4 floats to scalar code.</summary>
    internal static VectorPath SplitIntoChunks(int width, int vectorWidth)
    {
        var chunks = new List<VectorChunk>();
        var offset = 0;
        foreach (var candidate in VectorWidths)
        {
            if (candidate > vectorWidth)
            {
                continue;
            }

            while (width - offset >= candidate)
            {
                chunks.Add(new VectorChunk(candidate, offset));
                offset += candidate;
            }
        }

        return new VectorPath(vectorWidth, chunks.ToEquatableArray(), width - offset);
    }
}
