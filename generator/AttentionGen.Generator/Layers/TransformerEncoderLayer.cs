using System.Collections.Generic;
using System.Linq;
using AttentionGen.Generator.Components.AttentionCore;
using AttentionGen.Generator.Components.TransformerBlock;
using AttentionGen.Generator.Emit;
using AttentionGen.Generator.Model;
using AttentionGen.Generator.Planning;
using AttentionGen.Generator.Validation;
using static AttentionGen.Generator.Emit.Literals;
using static AttentionGen.Generator.Emit.Names;
using static AttentionGen.Generator.Validation.Rules;

namespace AttentionGen.Generator.Layers;

/// <summary>
/// <c>[TransformerEncoder]</c>: a BERT-family model. Token, position and token-type embeddings and a LayerNorm, then
/// <c>Layers</c> post-norm blocks sharing one plan and one set of scratch, then (unless <c>Pooling = None</c>) a pooled,
/// optionally L2-normalized sentence embedding. Weights carry Hugging Face <c>BertModel</c> names.
/// </summary>
internal sealed class TransformerEncoderLayer : LayerDefinition<TransformerEncoderSpec, TransformerEncoderLayer.Body>
{
    private const string Kernels = "global::AttentionGen.Kernels";

    public override string AttributeMetadataName => "AttentionGen.TransformerEncoderAttribute";

    public override string AttributeName => "TransformerEncoder";

    protected override void Validate(TransformerEncoderSpec spec, List<ValidationIssue> issues)
    {
        RequirePositive(issues, "Vocab", spec.Vocab);
        RequirePositive(issues, "MaxPositions", spec.MaxPositions);
        RequirePositive(issues, "TypeVocab", spec.TypeVocab);
        RequirePositive(issues, "Layers", spec.Layers);
        RequirePositive(issues, "Heads", spec.Heads);
        RequirePositive(issues, "MaxSeqLen", spec.MaxSeqLen);
        RequireZeroOrPositiveFinite(issues, DiagnosticIds.InvalidScale, "Scale", spec.Scale);
        TransformerRules.Validate(spec, issues);
        TransformerRules.RequireWholeSequencePerPass(spec, issues);
        TransformerRules.RequireMember(issues, "Pooling", spec.Pooling);
        if (spec.MaxPositions > 0 && spec.MaxSeqLen > spec.MaxPositions)
        {
            issues.Add(Issue(DiagnosticIds.OptionOutOfRange, "MaxSeqLen", "MaxSeqLen", Format(spec.MaxSeqLen),
                $"at most MaxPositions ({Format(spec.MaxPositions)}): a token past the position table has no position embedding"));
        }

        TransformerRules.WarnHeadTooWideForTiles(spec, issues);
    }

    protected override string? BaseList(Body body) => body.HasEmbedding ? "global::AttentionGen.ISentenceEncoder" : null;

    protected override Body Plan(TransformerEncoderSpec spec) =>
        new(TransformerRules.Plan(spec, kvHeads: 0, causal: false, softcap: 0, TransformerRules.BatchTokens(spec), spec.MaxSeqLen) with { PaddingMask = spec.PaddingMask }, spec.Vocab, spec.MaxPositions, spec.TypeVocab, spec.Layers,
            spec.Pooling, spec.Normalize);

    protected override void Emit(SourceWriter w, TypeDeclaration declaration, Body body)
    {
        var block = body.Block;
        w.Constant("int", "Vocab", Int(body.Vocab), "Tokens in the vocabulary: every token id is below this.");
        w.Constant("int", "MaxPositions", Int(body.MaxPositions), "Rows of the position embedding table.");
        w.Constant("int", "TypeVocab", Int(body.TypeVocab), "Rows of the token-type embedding table: every token-type id is below this.");
        w.Constant("int", "Layers", Int(body.Layers), "Transformer blocks, each post-norm: x = LayerNorm(x + Attention(x)), x = LayerNorm(x + Ffn(x)).");
        TransformerBlockEmitter.EmitConstants(w, block);
        AttentionCoreEmitter.EmitShape(w, block.Core);
        w.Line();
        w.Line("// Scratch, allocated once per instance so calls allocate nothing: MaxBatchTokens rows of each, shared by every block.");
        if (body.HasEmbedding)
        {
            w.Line($"private readonly {AlignedBuffer} _hidden = new(MaxBatchTokens * ModelDim);");
        }

        if (body.HasEmbedding && block.PaddingMask)
        {
            w.Line("// The lengths of a padded group's rows, all maxLen, as the blocks take a group.");
            w.Line("private readonly int[] _paddedLengths = new int[MaxBatchTokens];");
        }

        TransformerBlockEmitter.EmitScratch(w, block, "MaxSeqLen");
        ExclusiveUseEmitter.EmitField(w);
        w.Line();
        WeightsEmitter.EmitField(w);
        WeightsEmitter.EmitInstanceMembers(w, declaration.Name);
        EmitForward(w, block.PaddingMask);
        if (body.HasEmbedding)
        {
            EmitEncode(w, body);
            EmitEncodeBatch(w, body);
        }

        EmitEmbed(w);
        w.Line();
        w.Line(block.PaddingMask
            ? "/// <summary>Every block in turn, in place on <paramref name=\"hidden\"/>; <paramref name=\"attentionMask\"/> is empty or one per token.</summary>"
            : "/// <summary>Every block in turn, in place on <paramref name=\"hidden\"/>.</summary>");
        var maskParameter = block.PaddingMask ? ", global::System.ReadOnlySpan<int> attentionMask" : "";
        using (w.Block($"private void RunBlocks(Weights {WeightsEmitter.Local}, {Span} hidden, global::System.ReadOnlySpan<int> lengths, int tokens{maskParameter})"))
        {
            using (w.Block("for (int layer = 0; layer < Layers; layer++)"))
            {
                w.Line($"RunBlock({WeightsEmitter.Local}, layer, hidden, lengths, tokens{(block.PaddingMask ? ", attentionMask" : "")});");
            }
        }

        w.Line();
        TransformerBlockEmitter.EmitRunBlock(w, block, layered: true);
        if (body.HasEmbedding)
        {
            EmitPool(w, body);
        }

        ConfigCheckEmitter.Emit(w, declaration.Name, body.ConfigSettings);
        if (body.HasEmbedding)
        {
            ConfigCheckEmitter.EmitSentenceTransformers(w, declaration.Name, body.Normalize, body.PoolingSettings);
        }

        w.Line();
        WeightsEmitter.EmitWeightsType(w, body.WeightSet, declaration.Name);
    }

    /// <summary>The argument that passes no mask to <c>RunBlocks</c>, when it takes one.</summary>
    private static string NoMask(bool paddingMask) => paddingMask ? ", default" : "";

    private const string TokenIdsOutOfRange = "<paramref name=\"tokenIds\"/> is empty or longer than MaxSeqLen, or an id is outside the vocabulary";

    private const string BadMask = "<paramref name=\"attentionMask\"/> is not one 0 or 1 per token, or masks every token (padding alone has nothing to attend to or pool, " +
        "so it is refused rather than given zeros or NaN)";

    /// <summary>An entry point's exceptions: its checks all run before any work, so a call that throws has written nothing.</summary>
    private static void EmitExceptions(SourceWriter w, string outOfRange, string invalid)
    {
        w.Line($"/// <exception cref=\"{ArgumentOutOfRangeException}\">{outOfRange}; nothing is written.</exception>");
        w.Line($"/// <exception cref=\"{ArgumentException}\">{invalid}; nothing is written.</exception>");
        w.Line($"/// <exception cref=\"{InvalidOperationException}\">A call is running on this instance on another thread.</exception>");
    }

    private static void EmitForward(SourceWriter w, bool paddingMask)
    {
        w.Line("/// <summary>The last hidden state [tokens, ModelDim] of one sequence of token ids (all token type 0). Allocates nothing.</summary>");
        EmitExceptions(w, TokenIdsOutOfRange, "<paramref name=\"hiddenStates\"/> is shorter than [tokens, ModelDim]");
        w.Line($"public void Forward(global::System.ReadOnlySpan<int> tokenIds, {Span} hiddenStates) => Forward(tokenIds, default, hiddenStates);");
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// The last hidden state [tokens, ModelDim] of one sequence of token ids, with <paramref name=\"tokenTypeIds\"/> one per token");
        w.Line("/// (0 for the first sentence of a pair, 1 for the second), or empty for all 0. Allocates nothing.");
        w.Line("/// </summary>");
        if (paddingMask)
        {
            // Encode(tokenIds, attentionMask, embedding) has the same argument types, and a mask's 0s and 1s are valid token
            // types, so a mask passed here is accepted and silently read as types.
            w.Line("/// <remarks>");
            w.Line("/// The second span is token types, not an attention mask (unlike <c>Encode(tokenIds, attentionMask, embedding)</c>): a");
            w.Line("/// mask passed here is read as token types. For a padded sequence call");
            w.Line("/// <c>Forward(tokenIds, default, attentionMask, hiddenStates)</c>.");
            w.Line("/// </remarks>");
        }

        EmitExceptions(w, TokenIdsOutOfRange + ", or a token type is outside the token-type table",
            "<paramref name=\"tokenTypeIds\"/> is neither empty nor one per token, or <paramref name=\"hiddenStates\"/> is shorter than [tokens, ModelDim]");
        EmitForwardBody(w, maskParameter: false, paddingMask);

        if (!paddingMask)
        {
            return;
        }

        w.Line();
        w.Line("/// <summary>");
        w.Line("/// The last hidden state [tokens, ModelDim] of one padded sequence, as BertModel computes it with an attention_mask:");
        w.Line("/// <paramref name=\"attentionMask\"/> one value per token, 1 for a token and 0 for padding, which no token attends to.");
        w.Line("/// Padding rows are computed too (use only the unmasked ones). <paramref name=\"tokenTypeIds\"/> is one per token, or empty for");
        w.Line("/// all 0. Positions are the row indices, padding included. Allocates nothing.");
        w.Line("/// </summary>");
        EmitExceptions(w, TokenIdsOutOfRange + ", or a token type is outside the token-type table",
            "<paramref name=\"tokenTypeIds\"/> is neither empty nor one per token, " + BadMask + ", or <paramref name=\"hiddenStates\"/> is shorter than [tokens, ModelDim]");
        EmitForwardBody(w, maskParameter: true, paddingMask);
    }

    /// <summary>
    /// <c>Forward(tokenIds, tokenTypeIds, [attentionMask,] hiddenStates)</c>: the checks, then the embeddings and every block.
    /// Without the mask parameter, a model that takes masks passes none to <c>RunBlocks</c>.
    /// </summary>
    private static void EmitForwardBody(SourceWriter w, bool maskParameter, bool paddingMask)
    {
        var mask = maskParameter ? "global::System.ReadOnlySpan<int> attentionMask, " : "";
        using (w.Block($"public void Forward(global::System.ReadOnlySpan<int> tokenIds, global::System.ReadOnlySpan<int> tokenTypeIds, {mask}{Span} hiddenStates)"))
        {
            w.Line($"{Guard}.TokenIds(tokenIds, Vocab, MaxSeqLen, nameof(tokenIds));");
            w.Line($"{Guard}.TokenTypeIds(tokenTypeIds, tokenIds.Length, TypeVocab, nameof(tokenTypeIds));");
            if (maskParameter)
            {
                w.Line($"{Guard}.AttentionMask(attentionMask, tokenIds.Length, nameof(attentionMask));");
            }

            w.Line($"{Guard}.HasRows(hiddenStates, tokenIds.Length, ModelDim, nameof(hiddenStates));");
            ExclusiveUseEmitter.EmitEnter(w);
            WeightsEmitter.EmitLocal(w);
            w.Line("int tokens = tokenIds.Length;");
            w.Line($"{Span} hidden = hiddenStates.Slice(0, tokens * ModelDim);");
            w.Line($"Embed({WeightsEmitter.Local}, tokenIds, tokenTypeIds, hidden);");
            w.Line($"RunBlocks({WeightsEmitter.Local}, hidden, {MemoryMarshal}.CreateReadOnlySpan(ref tokens, 1), tokens{(maskParameter ? ", attentionMask" : NoMask(paddingMask))});");
        }
    }

    private static void EmitEncode(SourceWriter w, Body body)
    {
        var paddingMask = body.Block.PaddingMask;
        w.Line();
        w.Line("int global::AttentionGen.ISentenceEncoder.Dimension => ModelDim;");
        w.Line();
        w.Line("int global::AttentionGen.ISentenceEncoder.MaxTokens => MaxSeqLen;");
        w.Line();
        w.Line("int global::AttentionGen.ISentenceEncoder.VocabularySize => Vocab;");
        w.Line();
        w.Line("/// <summary>The sentence embedding [ModelDim] of one sequence of token ids ([CLS] … [SEP]). Allocates nothing.</summary>");
        EmitExceptions(w, TokenIdsOutOfRange, "<paramref name=\"embedding\"/> is shorter than ModelDim");
        using (w.Block($"public void Encode(global::System.ReadOnlySpan<int> tokenIds, {Span} embedding)"))
        {
            w.Line($"{Guard}.TokenIds(tokenIds, Vocab, MaxSeqLen, nameof(tokenIds));");
            w.Line($"{Guard}.HasRows(embedding, 1, ModelDim, nameof(embedding));");
            ExclusiveUseEmitter.EmitEnter(w);
            WeightsEmitter.EmitLocal(w);
            w.Line("int tokens = tokenIds.Length;");
            w.Line($"{Span} hidden = _hidden.Span.Slice(0, tokens * ModelDim);");
            w.Line($"Embed({WeightsEmitter.Local}, tokenIds, default, hidden);");
            w.Line($"RunBlocks({WeightsEmitter.Local}, hidden, {MemoryMarshal}.CreateReadOnlySpan(ref tokens, 1), tokens{NoMask(paddingMask)});");
            w.Line("Pool(hidden, tokens, embedding.Slice(0, ModelDim));");
        }

        if (!paddingMask)
        {
            return;
        }

        w.Line();
        w.Line("/// <summary>");
        w.Line("/// The sentence embedding [ModelDim] of one padded sequence of token ids, with <paramref name=\"attentionMask\"/> one value per");
        w.Line("/// token as Hugging Face's attention_mask (1 = token, 0 = padding): padding is attended by no token and left out of the pooling.");
        if (body.Pooling == PoolingKind.Cls)
        {
            w.Line("/// The [CLS] row pooled is the first token the mask keeps, so a left-padded sequence pools its [CLS] and not padding, as");
            w.Line("/// sentence-transformers' Pooling does since its left-padding fix (before it, it read row 0).");
        }

        w.Line("/// Allocates nothing.");
        w.Line("/// </summary>");
        EmitExceptions(w, TokenIdsOutOfRange, BadMask + ", or <paramref name=\"embedding\"/> is shorter than ModelDim");
        using (w.Block($"public void Encode(global::System.ReadOnlySpan<int> tokenIds, global::System.ReadOnlySpan<int> attentionMask, {Span} embedding)"))
        {
            w.Line($"{Guard}.TokenIds(tokenIds, Vocab, MaxSeqLen, nameof(tokenIds));");
            w.Line($"{Guard}.AttentionMask(attentionMask, tokenIds.Length, nameof(attentionMask));");
            w.Line($"{Guard}.HasRows(embedding, 1, ModelDim, nameof(embedding));");
            ExclusiveUseEmitter.EmitEnter(w);
            WeightsEmitter.EmitLocal(w);
            if (body.Pooling == PoolingKind.Mean)
            {
                w.Line("// No token attends to padding and the mean skips it, so only the tokens run, packed, at their own positions.");
                w.Line($"int tokens = EmbedUnmasked({WeightsEmitter.Local}, tokenIds, attentionMask, _hidden.Span);");
                w.Line($"{Span} hidden = _hidden.Span.Slice(0, tokens * ModelDim);");
                EmitEmbeddingNorm(w, "tokens");
                w.Line($"RunBlocks({WeightsEmitter.Local}, hidden, {MemoryMarshal}.CreateReadOnlySpan(ref tokens, 1), tokens, default);");
                w.Line("Pool(hidden, tokens, embedding.Slice(0, ModelDim));");
            }
            else
            {
                w.Line("// Every row runs, padding masked as keys; the [CLS] row is the first token the mask keeps, as sentence-transformers");
                w.Line("// pools it: row 0 read whatever the mask says would be a padding row's state in a left-padded sequence.");
                w.Line("int tokens = tokenIds.Length;");
                w.Line($"{Span} hidden = _hidden.Span.Slice(0, tokens * ModelDim);");
                w.Line($"Embed({WeightsEmitter.Local}, tokenIds, default, hidden);");
                w.Line($"RunBlocks({WeightsEmitter.Local}, hidden, {MemoryMarshal}.CreateReadOnlySpan(ref tokens, 1), tokens, attentionMask);");
                w.Line("int cls = global::System.MemoryExtensions.IndexOf(attentionMask, 1);");
                w.Line("Pool(hidden.Slice(cls * ModelDim), tokens - cls, embedding.Slice(0, ModelDim));");
            }
        }
    }

    private static void EmitEmbeddingNorm(SourceWriter w, string rows) =>
        w.Line($"{Kernels}.NormKernels.LayerNorm(hidden, {WeightsEmitter.Local}.EmbeddingNormGain, {WeightsEmitter.Local}.EmbeddingNormBias, hidden, {rows}, ModelDim, NormEpsilon);");

    private static void EmitEncodeBatch(SourceWriter w, Body body)
    {
        var paddingMask = body.Block.PaddingMask;
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// Sentence embeddings [sentences, ModelDim] of a packed batch: the sentences' token ids concatenated in");
        w.Line("/// <paramref name=\"tokenIds\"/> with no padding, <paramref name=\"lengths\"/>[i] tokens each. The linear layers run over");
        w.Line("/// every token at once (in groups of whole sentences up to MaxBatchTokens); each sentence attends only to itself.");
        w.Line("/// Allocates nothing.");
        w.Line("/// </summary>");
        EmitExceptions(w, "A length is outside 1 to MaxSeqLen, or an id is outside the vocabulary",
            "<paramref name=\"lengths\"/> is empty or does not sum to the ids <paramref name=\"tokenIds\"/> holds, or <paramref name=\"embeddings\"/> is shorter than [sentences, ModelDim]");
        using (w.Block($"public void EncodeBatch(global::System.ReadOnlySpan<int> tokenIds, global::System.ReadOnlySpan<int> lengths, {Span} embeddings)"))
        {
            w.Line($"int total = {Guard}.PackedLengths(lengths, MaxSeqLen, nameof(lengths));");
            w.Line($"{Guard}.SameTokenCount(total, tokenIds.Length, nameof(lengths), nameof(tokenIds));");
            w.Line($"{Guard}.TokenIdsInRange(tokenIds, Vocab, nameof(tokenIds));");
            w.Line($"{Guard}.HasRows(embeddings, lengths.Length, ModelDim, nameof(embeddings));");
            ExclusiveUseEmitter.EmitEnter(w);
            WeightsEmitter.EmitLocal(w);
            w.Line("int sentence = 0;");
            using (w.Block("while (!lengths.IsEmpty)"))
            {
                w.Line($"int sentences = {PackedBatch}.NextGroup(lengths, MaxBatchTokens, out int tokens);");
                w.Line("global::System.ReadOnlySpan<int> group = lengths.Slice(0, sentences);");
                w.Line($"{Span} hidden = _hidden.Span.Slice(0, tokens * ModelDim);");
                w.Line($"EmbedPacked({WeightsEmitter.Local}, tokenIds.Slice(0, tokens), group, hidden);");
                w.Line($"RunBlocks({WeightsEmitter.Local}, hidden, group, tokens{NoMask(paddingMask)});");
                w.Line("int first = 0;");
                using (w.Block("for (int index = 0; index < group.Length; index++)"))
                {
                    w.Line("int length = group[index];");
                    w.Line("Pool(hidden.Slice(first * ModelDim, length * ModelDim), length, embeddings.Slice(sentence++ * ModelDim, ModelDim));");
                    w.Line("first += length;");
                }

                w.Line();
                w.Line("tokenIds = tokenIds.Slice(tokens);");
                w.Line("lengths = lengths.Slice(sentences);");
            }
        }

        if (paddingMask)
        {
            EmitEncodePaddedBatch(w, body.Pooling == PoolingKind.Mean);
        }
    }

    private static void EmitEncodePaddedBatch(SourceWriter w, bool meanPooling)
    {
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// Sentence embeddings [batchSize, ModelDim] of a padded batch as ONNX Runtime takes it: <paramref name=\"tokenIds\"/> and");
        w.Line("/// <paramref name=\"attentionMask\"/> both [batchSize, maxLen], the mask 1 for a token and 0 for padding. Each row is encoded as");
        if (meanPooling)
        {
            w.Line("/// <c>Encode(tokenIds, attentionMask, embedding)</c> would: only the tokens run, packed (the linear layers over as many at once as");
            w.Line("/// MaxBatchTokens holds), so padding costs nothing but the mask's scan. Allocates nothing.");
        }
        else
        {
            w.Line("/// <c>Encode(tokenIds, attentionMask, embedding)</c> would, with the linear layers over as many rows at once as MaxBatchTokens holds.");
            w.Line("/// The packed <c>EncodeBatch(tokenIds, lengths, embeddings)</c> skips the padding rows' work and is faster. Allocates nothing.");
        }

        w.Line("/// </summary>");
        EmitExceptions(w, "<paramref name=\"batchSize\"/> is below 1, a row is empty or longer than MaxSeqLen, or an id is outside the vocabulary",
            "<paramref name=\"tokenIds\"/> is not <paramref name=\"batchSize\"/> rows of equal length, <paramref name=\"attentionMask\"/> is not one 0 or 1 per token, " +
            "or masks every token of a row (padding alone has nothing to pool, so it is refused rather than given zeros or NaN), or <paramref name=\"embeddings\"/> is " +
            "shorter than [batchSize, ModelDim]");
        using (w.Block($"public void EncodeBatch(global::System.ReadOnlySpan<int> tokenIds, global::System.ReadOnlySpan<int> attentionMask, int batchSize, {Span} embeddings)"))
        {
            w.Line($"int maxLen = {Guard}.PaddedBatch(tokenIds.Length, attentionMask, batchSize, MaxSeqLen, nameof(tokenIds), nameof(attentionMask), nameof(batchSize));");
            w.Line($"{Guard}.TokenIdsInRange(tokenIds, Vocab, nameof(tokenIds));");
            w.Line($"{Guard}.HasRows(embeddings, batchSize, ModelDim, nameof(embeddings));");
            ExclusiveUseEmitter.EmitEnter(w);
            WeightsEmitter.EmitLocal(w);
            if (meanPooling)
            {
                EmitPackUnmaskedBatch(w);
                return;
            }

            w.Line("// MaxBatchTokens is at least MaxSeqLen, so a group holds at least one row.");
            w.Line("int rowsPerGroup = MaxBatchTokens / maxLen;");
            w.Line("new global::System.Span<int>(_paddedLengths, 0, rowsPerGroup).Fill(maxLen);");
            using (w.Block("for (int first = 0; first < batchSize; first += rowsPerGroup)"))
            {
                w.Line("int rows = global::System.Math.Min(rowsPerGroup, batchSize - first);");
                w.Line("int tokens = rows * maxLen;");
                w.Line("global::System.ReadOnlySpan<int> group = new(_paddedLengths, 0, rows);");
                w.Line("global::System.ReadOnlySpan<int> groupMask = attentionMask.Slice(first * maxLen, tokens);");
                w.Line($"{Span} hidden = _hidden.Span.Slice(0, tokens * ModelDim);");
                w.Line("// Positions restart at 0 in every row, padding included, as BertModel numbers them.");
                w.Line($"EmbedPacked({WeightsEmitter.Local}, tokenIds.Slice(first * maxLen, tokens), group, hidden);");
                w.Line($"RunBlocks({WeightsEmitter.Local}, hidden, group, tokens, groupMask);");
                using (w.Block("for (int row = 0; row < rows; row++)"))
                {
                    w.Line("// The row's [CLS] is its first token the mask keeps (not row 0 when the batch is left-padded), as in Encode.");
                    w.Line("int cls = global::System.MemoryExtensions.IndexOf(groupMask.Slice(row * maxLen, maxLen), 1);");
                    w.Line("Pool(hidden.Slice((row * maxLen + cls) * ModelDim, (maxLen - cls) * ModelDim), maxLen - cls, embeddings.Slice((first + row) * ModelDim, ModelDim));");
                }
            }
        }
    }

    /// <summary>A mean-pooled padded batch: each group packs the tokens of as many rows as fit, then runs as a packed batch.</summary>
    private static void EmitPackUnmaskedBatch(SourceWriter w)
    {
        w.Line("// No token attends to padding and the mean skips it, so each group packs the rows' tokens (at their own positions)");
        w.Line("// and runs as a packed batch. A row has at most MaxSeqLen ≤ MaxBatchTokens tokens, so a group takes at least one.");
        w.Line($"{Span} scratch = _hidden.Span;");
        w.Line("int row = 0;");
        using (w.Block("while (row < batchSize)"))
        {
            w.Line("int sentences = 0;");
            w.Line("int tokens = 0;");
            using (w.Block("while (row + sentences < batchSize)"))
            {
                w.Line("global::System.ReadOnlySpan<int> rowMask = attentionMask.Slice((row + sentences) * maxLen, maxLen);");
                w.Line("int kept = global::System.MemoryExtensions.Count(rowMask, 1);");
                using (w.Block("if (tokens + kept > MaxBatchTokens)"))
                {
                    w.Line("break;");
                }

                w.Line();
                w.Line($"EmbedUnmasked({WeightsEmitter.Local}, tokenIds.Slice((row + sentences) * maxLen, maxLen), rowMask, scratch.Slice(tokens * ModelDim, kept * ModelDim));");
                w.Line("_paddedLengths[sentences++] = kept;");
                w.Line("tokens += kept;");
            }

            w.Line();
            w.Line("global::System.ReadOnlySpan<int> group = new(_paddedLengths, 0, sentences);");
            w.Line($"{Span} hidden = scratch.Slice(0, tokens * ModelDim);");
            EmitEmbeddingNorm(w, "tokens");
            w.Line($"RunBlocks({WeightsEmitter.Local}, hidden, group, tokens, default);");
            w.Line("int first = 0;");
            using (w.Block("for (int index = 0; index < sentences; index++)"))
            {
                w.Line("Pool(hidden.Slice(first * ModelDim, group[index] * ModelDim), group[index], embeddings.Slice((row + index) * ModelDim, ModelDim));");
                w.Line("first += group[index];");
            }

            w.Line();
            w.Line("row += sentences;");
        }
    }

    private static void EmitEmbed(SourceWriter w)
    {
        w.Line();
        w.Line("/// <summary>Word + token-type + position embeddings, then LayerNorm, for one sequence (token types given or all 0).</summary>");
        using (w.Block($"private static void Embed(Weights {WeightsEmitter.Local}, global::System.ReadOnlySpan<int> tokenIds, global::System.ReadOnlySpan<int> tokenTypeIds, {Span} hidden)"))
        {
            w.Line($"{Kernels}.EmbeddingKernels.EmbeddingSum(tokenIds, tokenTypeIds, 0, weights.WordEmbeddings, weights.PositionEmbeddings, weights.TokenTypeEmbeddings, hidden, ModelDim);");
            EmitEmbeddingNorm(w, "tokenIds.Length");
        }

        w.Line();
        w.Line("/// <summary>The embeddings of a packed group: positions restart at 0 in every sentence, and every token is type 0.</summary>");
        using (w.Block($"private static void EmbedPacked(Weights {WeightsEmitter.Local}, global::System.ReadOnlySpan<int> tokenIds, global::System.ReadOnlySpan<int> lengths, {Span} hidden)"))
        {
            w.Line("int first = 0;");
            using (w.Block("for (int sequence = 0; sequence < lengths.Length; sequence++)"))
            {
                w.Line("int length = lengths[sequence];");
                w.Line($"{Kernels}.EmbeddingKernels.EmbeddingSum(tokenIds.Slice(first, length), default, 0, weights.WordEmbeddings, weights.PositionEmbeddings, " +
                    "weights.TokenTypeEmbeddings, hidden.Slice(first * ModelDim, length * ModelDim), ModelDim);");
                w.Line("first += length;");
            }

            w.Line();
            EmitEmbeddingNorm(w, "tokenIds.Length");
        }
    }

    private static void EmitPool(SourceWriter w, Body body)
    {
        w.Line();
        var how = body.Pooling == PoolingKind.Cls ? "the first token's row ([CLS])" : "the mean of its tokens' rows";
        w.Line($"/// <summary>A sentence's embedding: {how}{(body.Normalize ? ", scaled to unit length" : "")}.</summary>");
        using (w.Block($"private static void Pool({ReadOnlySpan} hidden, int tokens, {Span} embedding)"))
        {
            if (body.Pooling == PoolingKind.Cls)
            {
                w.Line("hidden.Slice(0, ModelDim).CopyTo(embedding);");
            }
            else
            {
                w.Line($"{Kernels}.PoolingKernels.MeanPool(hidden, tokens, ModelDim, embedding);");
            }

            if (body.Normalize)
            {
                w.Line($"{Kernels}.PoolingKernels.L2Normalize(embedding);");
            }
        }

        if (!body.Block.PaddingMask || body.Pooling != PoolingKind.Mean)
        {
            return;
        }

        w.Line();
        w.Line("/// <summary>");
        w.Line("/// The word and position embeddings (type 0) of the tokens <paramref name=\"attentionMask\"/> keeps, packed into <paramref name=\"hidden\"/>,");
        w.Line("/// each at its row's position as BertModel numbers them (padding counted); not yet normalized. Returns how many there are.");
        w.Line("/// </summary>");
        using (w.Block($"private static int EmbedUnmasked(Weights {WeightsEmitter.Local}, global::System.ReadOnlySpan<int> tokenIds, global::System.ReadOnlySpan<int> attentionMask, {Span} hidden)"))
        {
            w.Line("int kept = 0;");
            w.Line("int token = 0;");
            using (w.Block("while (token < attentionMask.Length)"))
            {
                using (w.Block("if (attentionMask[token] == 0)"))
                {
                    w.Line("token++;");
                    w.Line("continue;");
                }

                w.Line();
                w.Line("int start = token;");
                using (w.Block("while (token < attentionMask.Length && attentionMask[token] != 0)"))
                {
                    w.Line("token++;");
                }

                w.Line();
                w.Line($"{Kernels}.EmbeddingKernels.EmbeddingSum(tokenIds.Slice(start, token - start), default, start, weights.WordEmbeddings, weights.PositionEmbeddings, " +
                    "weights.TokenTypeEmbeddings, hidden.Slice(kept * ModelDim, (token - start) * ModelDim), ModelDim);");
                w.Line("kept += token - start;");
            }

            w.Line();
            w.Line("return kept;");
        }
    }

    /// <summary>The plan: the tables, the block every layer shares, the pooling.</summary>
    internal sealed record Body(TransformerBlockPlan Block, int Vocab, int MaxPositions, int TypeVocab, int Layers, PoolingKind Pooling, bool Normalize)
        : LayerBody
    {
        public bool HasEmbedding => Pooling != PoolingKind.None;

        /// <summary>The embedding tables and their norm, held once; every block's tensors under <c>encoder.layer.{i}.</c>.</summary>
        public WeightSetPlan WeightSet => new(
            new[]
            {
                WeightPlan.Named("embeddings.word_embeddings.weight", Vocab, "Vocab", Block.ModelDim, "ModelDim") with { PropertyName = "WordEmbeddings" },
                WeightPlan.Named("embeddings.position_embeddings.weight", MaxPositions, "MaxPositions", Block.ModelDim, "ModelDim") with { PropertyName = "PositionEmbeddings" },
                WeightPlan.Named("embeddings.token_type_embeddings.weight", TypeVocab, "TypeVocab", Block.ModelDim, "ModelDim") with { PropertyName = "TokenTypeEmbeddings" },
                WeightPlan.Named("embeddings.LayerNorm.weight", Block.ModelDim, "ModelDim", 0, "") with { PropertyName = "EmbeddingNormGain" },
                WeightPlan.Named("embeddings.LayerNorm.bias", Block.ModelDim, "ModelDim", 0, "") with { PropertyName = "EmbeddingNormBias" },
            }.ToEquatableArray(),
            Block.Weights.ToEquatableArray(),
            "encoder.layer.",
            "Layers");

        /// <summary>What a BERT <c>config.json</c> states of this declaration (see <see cref="ConfigCheckEmitter"/>).</summary>
        public string[] ConfigSettings => new[]
        {
            // RoBERTa and XLM-R name their tensors as BERT does, but number positions from the padding id + 1.
            ConfigCheckEmitter.Text("Architecture", "bert", new[] { "bert" }, "model_type"),
            ConfigCheckEmitter.Integer("ModelDim", "hidden_size"),
            ConfigCheckEmitter.Integer("Heads", "num_attention_heads"),
            ConfigCheckEmitter.Integer("Layers", "num_hidden_layers"),
            ConfigCheckEmitter.Integer("FfnDim", "intermediate_size"),
            ConfigCheckEmitter.Integer("Vocab", "vocab_size"),
            ConfigCheckEmitter.Integer("MaxPositions", "max_position_embeddings"),
            ConfigCheckEmitter.Integer("TypeVocab", "type_vocab_size"),
            ConfigCheckEmitter.Real("NormEpsilon", "layer_norm_eps"),
            ConfigCheckEmitter.Activation(Block.Activation, "hidden_act"),
            ConfigCheckEmitter.Text("Positions", "absolute", new[] { "absolute" }, "position_embedding_type"), // relative_key is another model

            // A BERT with "is_decoder": true masks each token's later tokens; an encoder attends both ways.
            ConfigCheckEmitter.BooleanOf("Causal mask", "false", "is_decoder"),
        }.Concat(ConfigCheckEmitter.FixedScale(Block.Core, orOne: false)).ToArray(); // BERT's 1/√head_dim, which no key states

        /// <summary>What a sentence-transformers Pooling module's <c>config.json</c> states of this declaration.</summary>
        public string[] PoolingSettings
        {
            get
            {
                bool mean = Pooling == PoolingKind.Mean;
                return new[]
                {
                    ConfigCheckEmitter.Integer("ModelDim", "word_embedding_dimension", "embedding_dimension"),
                    ConfigCheckEmitter.Text("Pooling", Pooling.ToString(), new[] { mean ? "mean" : "cls" }, "pooling_mode"),
                    ConfigCheckEmitter.BooleanOf("Mean pooling", Bool(mean), "pooling_mode_mean_tokens"),
                    ConfigCheckEmitter.BooleanOf("CLS pooling", Bool(!mean), "pooling_mode_cls_token"),
                    ConfigCheckEmitter.BooleanOf("Max pooling", "false", "pooling_mode_max_tokens"),
                    ConfigCheckEmitter.BooleanOf("Sum / sqrt(length) pooling", "false", "pooling_mode_mean_sqrt_len_tokens"),
                    ConfigCheckEmitter.BooleanOf("Weighted-mean pooling", "false", "pooling_mode_weightedmean_tokens"),
                    ConfigCheckEmitter.BooleanOf("Last-token pooling", "false", "pooling_mode_lasttoken"),
                };
            }
        }

        public override EquatableArray<string> GeneratedMembers =>
            Block.Members
                .Concat(new[] { "Vocab", "MaxPositions", "TypeVocab", "Layers", "Forward", "Encode", "EncodeBatch", "Embed", "EmbedPacked", "RunBlocks", "Pool", "_hidden", ExclusiveUseEmitter.Field })
                .Concat(ConfigCheckEmitter.Members)
                .Concat(HasEmbedding ? ConfigCheckEmitter.SentenceTransformersMembers : new string[0])
                .Concat(Block.PaddingMask ? new[] { "EmbedUnmasked", "_paddedLengths" } : new string[0])
                .Concat(WeightsEmitter.Members).ToEquatableArray();

        public override EquatableArray<BufferPlan> Buffers => Block.Buffers
            .Concat(HasEmbedding ? new[] { new BufferPlan("the hidden states", BufferPlan.Product(Block.MaxBatchTokens, Block.ModelDim), "MaxBatchTokens") } : new BufferPlan[0])
            .Concat(WeightSet.StoredTensors)
            .ToEquatableArray();
    }
}
