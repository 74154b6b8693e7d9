using AttentionGen.Text;

namespace AttentionGen.Models.Tests;

/// <summary>
/// all-MiniLM-L6-v2 as the generator builds it from one attribute: the facts of <c>model.config.json</c>, sentences up
/// to 256 tokens as sentence-transformers runs them, and room for a packed batch of 1024 tokens in one pass.
/// </summary>
[TransformerEncoder(Vocab = 30522, MaxPositions = 512, TypeVocab = 2, Layers = 6, ModelDim = 384, Heads = 12, FfnDim = 1536,
    Activation = ActivationKind.Gelu, NormEpsilon = 1e-12f, MaxSeqLen = 256, MaxBatchTokens = 1024)]
public sealed partial class MiniLm;

/// <summary>
/// The same model with the least scratch a 256-token sentence allows, so a packed batch of short sentences runs in
/// several groups of whole sentences.
/// </summary>
[TransformerEncoder(Vocab = 30522, MaxPositions = 512, TypeVocab = 2, Layers = 6, ModelDim = 384, Heads = 12, FfnDim = 1536,
    Activation = ActivationKind.Gelu, NormEpsilon = 1e-12f, MaxSeqLen = 256, MaxBatchTokens = 256)]
public sealed partial class MiniLmInGroups;

/// <summary>
/// Sentences up to 32 tokens in groups of 32: a packed batch of a few short sentences already runs in several groups,
/// cheaply enough for the scalar path's child run.
/// </summary>
[TransformerEncoder(Vocab = 30522, MaxPositions = 512, TypeVocab = 2, Layers = 6, ModelDim = 384, Heads = 12, FfnDim = 1536,
    Activation = ActivationKind.Gelu, NormEpsilon = 1e-12f, MaxSeqLen = 32, MaxBatchTokens = 32)]
public sealed partial class MiniLmShort;

/// <summary>
/// The same model taking input as ONNX Runtime does: padded [batch, maxLen] token ids with an attention mask, padding
/// anywhere, in padded batches of up to 1024 tokens per pass.
/// </summary>
[TransformerEncoder(Vocab = 30522, MaxPositions = 512, TypeVocab = 2, Layers = 6, ModelDim = 384, Heads = 12, FfnDim = 1536,
    Activation = ActivationKind.Gelu, NormEpsilon = 1e-12f, MaxSeqLen = 256, MaxBatchTokens = 1024, PaddingMask = true)]
public sealed partial class MiniLmPadded;

/// <summary>
/// all-MiniLM-L6-v2 declared with two facts wrong in ways a cosine hardly sees (GELU's tanh approximation, LayerNorm ε
/// 1e-5): what the element-wise tolerance must catch.
/// </summary>
[TransformerEncoder(Vocab = 30522, MaxPositions = 512, TypeVocab = 2, Layers = 6, ModelDim = 384, Heads = 12, FfnDim = 1536,
    Activation = ActivationKind.GeluTanh, NormEpsilon = 1e-12f, MaxSeqLen = 64)]
public sealed partial class MiniLmWithTanhGelu;

/// <inheritdoc cref="MiniLmWithTanhGelu"/>
[TransformerEncoder(Vocab = 30522, MaxPositions = 512, TypeVocab = 2, Layers = 6, ModelDim = 384, Heads = 12, FfnDim = 1536,
    Activation = ActivationKind.Gelu, NormEpsilon = 1e-5f, MaxSeqLen = 64)]
public sealed partial class MiniLmWithEpsilon1e5;

/// <summary>Texts and token sequences the generated encoders are run on, tokenized as Hugging Face does.</summary>
public static class MiniLmTexts
{
    /// <summary>Sentences of every kind a search index meets: short, long, punctuation, numbers, names, questions.</summary>
    public static readonly string[] Sentences =
    [
        "hello",
        "Hi!",
        "The quick brown fox jumps over the lazy dog.",
        "A man is eating food.",
        "A man is eating a piece of bread.",
        "The girl is carrying a baby.",
        "A monkey is playing drums.",
        "Where is the nearest train station?",
        "How do I reset my password if I no longer have access to my email?",
        "Attention is all you need, they said; transformers replaced recurrent networks almost everywhere.",
        "Semantic search finds documents by meaning rather than by matching keywords.",
        "The invoice #4471 for $1,299.99 was paid on 2024-03-15 at 10:30am.",
        "C++ & C# are (not) the same: [yes] {no} <maybe>",
        "don't won't it's O'Neil's \"quoted\"",
        "Café naïve résumé façade crème brûlée",
        "BERT uses WordPiece: unaffable becomes un ##aff ##able.",
        "Photosynthesis converts light energy into chemical energy stored in glucose.",
        "The stock market fell sharply after the central bank raised interest rates by half a point.",
        "Please remind me to water the plants every Tuesday and Friday morning.",
        "Mount Everest, at 8,849 metres, is Earth's highest mountain above sea level.",
        "Version 2.0.1 fixes a crash when the configuration file is missing or empty.",
        "I can't believe it's already December — where did the year go?",
        "Dogs are loyal companions; cats are independent but affectionate in their own way.",
        "She sells sea shells by the sea shore, and the shells she sells are surely sea shells.",
        "To be, or not to be, that is the question.",
        "Neural networks with many layers learn hierarchical representations of their input data, from edges to objects.",
    ];

    /// <summary>A passage long enough to cut to any length up to 256 tokens.</summary>
    public const string LongPassage =
        "The history of computing is a story of abstraction. Early machines were programmed by rewiring panels and " +
        "flipping switches, and every program was written for one machine alone. Assemblers gave names to instructions, " +
        "compilers let programmers write arithmetic as formulas, and operating systems hid the differences between disks, " +
        "terminals and printers behind files. Each layer made the one below it easier to forget, and each was at first " +
        "accused of being too slow to matter. Garbage collection, virtual machines and just-in-time compilers followed the " +
        "same path: dismissed as wasteful, then adopted everywhere once hardware caught up and the tools matured. Today " +
        "the same argument is heard about machine learning models running inside ordinary applications. A sentence " +
        "embedding model with six layers and twenty-two million parameters can turn a question into a vector in a few " +
        "milliseconds on a laptop, and a search engine built on such vectors finds passages that share no words with the " +
        "query but mean the same thing. Whether that is fast enough depends on the application, on the length of the " +
        "text, and on how many sentences arrive at once, which is why batching, caching and careful memory management " +
        "still matter as much as they did when the first compilers were written, decades before anyone trained a " +
        "transformer on the web.";

    /// <summary>Lengths the hidden states are checked at besides the sentences': the edges and the tile boundaries.</summary>
    public static readonly int[] Lengths = [1, 2, 3, 17, 64, 128, 255, 256];

    /// <summary>[CLS] … [SEP] of <paramref name="text"/> as Hugging Face's tokenizer gives it (cut to 256 tokens).</summary>
    public static int[] Tokenize(WordPieceTokenizer tokenizer, string text)
    {
        var ids = new int[WordPieceTokenizer.SentenceTransformersMaxTokens];
        int count = tokenizer.Encode(text, ids);
        return ids[..count];
    }

    /// <summary>
    /// Exactly <paramref name="length"/> tokens of the long passage: [CLS] alone for 1, else [CLS] … [SEP] cut as Hugging
    /// Face cuts.
    /// </summary>
    public static int[] OfLength(WordPieceTokenizer tokenizer, int length)
    {
        if (length == 1)
        {
            return [tokenizer.ClsTokenId];
        }

        var ids = new int[length];
        int count = tokenizer.Encode(LongPassage, ids, maxTokens: length);
        if (count != length)
        {
            throw new InvalidOperationException($"The long passage gives {count} tokens, not {length}: lengthen it.");
        }

        return ids;
    }
}

/// <summary>How close the generated encoders must come to ONNX Runtime.</summary>
public static class GeneratedTolerance
{
    /// <summary>
    /// max |generated − ORT| / max |ORT| over a whole output. Two float32 implementations summing in different orders
    /// land within a few 1e-6 of each other; the tanh GELU in place of the exact one moves hidden states by 4e-4 to
    /// 5e-4 of the largest (BertReferenceTests), so this bound tells a wrong formula from rounding.
    /// </summary>
    public const double RelativeToMax = 1e-4;

    /// <summary>Least cosine between a generated sentence embedding and ORT's (or the SentenceTransformers package's).</summary>
    public const double Cosine = 0.99999;
}
