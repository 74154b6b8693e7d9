using System.Buffers;
using System.Runtime.CompilerServices;
using FastBertTokenizer;

namespace AttentionGen.Text;

/// <summary>
/// Text → token ids for an uncased BERT WordPiece vocab, as Hugging Face's tokenizer for all-MiniLM-L6-v2 produces them:
/// control characters removed, CJK ideographs split apart, lowercased, accents stripped, split on whitespace and
/// punctuation, then WordPiece; <c>[CLS] … [SEP]</c> around the text, <c>[CLS] A [SEP] B [SEP]</c> around a pair.
/// The special tokens ([CLS], [SEP], [PAD], [UNK], [MASK]) are recognized in the text when written exactly so.
/// </summary>
/// <remarks>
/// Built on FastBertTokenizer. An instance is immutable after <see cref="FromVocab(TextReader)"/>, so one instance may
/// serve any number of threads at once. Encoding a <see cref="string"/> allocates nothing on the managed heap for text
/// whose words are all in the vocab; an out-of-vocab word costs a few short-lived strings inside FastBertTokenizer
/// (normalization and accent stripping are tried only then), and so does a word of more than 33 characters (its
/// length after normalization is measured), U+000B, U+000C, U+0085, a CJK ideograph or punctuation beyond the BMP, a
/// code point no character is assigned to or a nonspacing mark (an accent written apart from its letter) (the text is
/// rewritten where FastBertTokenizer would differ from Hugging Face; see the golden-id tests).
/// </remarks>
// The stack scratch (up to 12 KB) is written before it is read, so zeroing it on every call would be wasted work.
[SkipLocalsInit]
public sealed class WordPieceTokenizer
{
    /// <summary>
    /// The sequence length sentence-transformers truncates all-MiniLM-L6-v2's input to (its <c>max_seq_length</c>),
    /// [CLS] and [SEP] included.
    /// </summary>
    public const int SentenceTransformersMaxTokens = 256;

    /// <summary>Hugging Face's WordPiece maps a word longer than this (in Unicode scalars, after normalization) to [UNK].</summary>
    public const int MaxCharsPerWord = 100;

    /// <summary>
    /// FastBertTokenizer cuts a word that crosses the end of its buffer into the pieces that fit, even a word Hugging Face
    /// reads whole as [UNK]. Encoding this far past our own cut leaves every word before the cut whole (a word yields at
    /// most one piece per character, and after <see cref="HuggingFaceAlignment"/> none has more than
    /// <see cref="MaxCharsPerWord"/> characters that count), so the cut is ours, made where Hugging Face makes it.
    /// </summary>
    private const int CutSlack = 2 * MaxCharsPerWord;

    // Scratch up to this many longs (12 KB: a pair at 256 tokens) lives on the stack; beyond, it is rented.
    private const int StackScratchLongs = 1536;

    private readonly BertTokenizer _tokenizer;

    // Per id: whether the token continues a word (##…); a word's first token never does.
    private readonly bool[] _continuesWord;

    private readonly int _maskTokenId;

    private WordPieceTokenizer(BertTokenizer tokenizer, Dictionary<string, int> vocab)
    {
        _tokenizer = tokenizer;
        VocabularySize = vocab.Values.Max() + 1;
        _continuesWord = new bool[VocabularySize];
        foreach (var (token, id) in vocab)
        {
            _continuesWord[id] = token.StartsWith(BertUncasedConfiguration.ContinuingSubwordPrefix, StringComparison.Ordinal);
        }

        ClsTokenId = vocab[BertUncasedConfiguration.Classifier];
        SepTokenId = vocab[BertUncasedConfiguration.Separator];
        PadTokenId = vocab[BertUncasedConfiguration.Padding];
        UnknownTokenId = vocab[BertUncasedConfiguration.Unknown];
        _maskTokenId = vocab.GetValueOrDefault(BertUncasedConfiguration.Mask, -1);
    }

    /// <summary>One more than the largest id in the vocab: the size of the model's token embedding table.</summary>
    public int VocabularySize { get; }

    /// <summary>The id of [CLS], the first token of every encoding.</summary>
    public int ClsTokenId { get; }

    /// <summary>The id of [SEP], the last token of every encoding (and the one between the texts of a pair).</summary>
    public int SepTokenId { get; }

    /// <summary>The id of [PAD], written after a shorter row by <see cref="EncodeBatch"/>.</summary>
    public int PadTokenId { get; }

    /// <summary>The id of [UNK], for a word the vocab cannot spell.</summary>
    public int UnknownTokenId { get; }

    /// <summary>Reads a BERT vocab.txt: one token per line, the id being the line's zero-based index.</summary>
    /// <param name="vocabTxt">The vocab; LF and CRLF line endings both read.</param>
    /// <exception cref="ArgumentNullException"><paramref name="vocabTxt"/> is null.</exception>
    /// <exception cref="InvalidDataException">
    /// The vocab is empty, lacks [UNK], [CLS], [SEP] or [PAD], or is a cased vocab (over 1% of its tokens have capital
    /// letters), whose capitalized tokens this uncased tokenizer could never produce.
    /// </exception>
    public static WordPieceTokenizer FromVocab(TextReader vocabTxt)
    {
        ArgumentNullException.ThrowIfNull(vocabTxt);
        var vocab = BertUncasedConfiguration.ReadVocab(vocabTxt);
        var tokenizer = new BertTokenizer();
        using (var tokenizerJson = BertUncasedConfiguration.WriteTokenizerJson(vocab))
        {
            tokenizer.LoadTokenizerJson(tokenizerJson);
        }

        return new WordPieceTokenizer(tokenizer, vocab);
    }

    /// <inheritdoc cref="FromVocab(TextReader)"/>
    /// <param name="vocabTxt">The vocab as UTF-8 (a byte order mark is honored); the stream is read to its end, not closed.</param>
    public static WordPieceTokenizer FromVocab(Stream vocabTxt)
    {
        ArgumentNullException.ThrowIfNull(vocabTxt);
        using var reader = new StreamReader(vocabTxt, leaveOpen: true);
        return FromVocab(reader);
    }

    /// <inheritdoc cref="FromVocab(TextReader)"/>
    /// <param name="vocabTxtPath">Path of the vocab.txt file (UTF-8).</param>
    /// <exception cref="FileNotFoundException">No file at <paramref name="vocabTxtPath"/>.</exception>
    public static WordPieceTokenizer FromVocabFile(string vocabTxtPath)
    {
        ArgumentNullException.ThrowIfNull(vocabTxtPath);
        using var reader = new StreamReader(vocabTxtPath);
        return FromVocab(reader);
    }

    /// <summary>
    /// Encodes <paramref name="text"/> as <c>[CLS] tokens [SEP]</c>. Longer text is cut after its first
    /// <c>maxTokens - 2</c> tokens (possibly inside a word, as Hugging Face cuts) and still ends with [SEP].
    /// </summary>
    /// <param name="text">The text; empty or whitespace-only text encodes as <c>[CLS] [SEP]</c>.</param>
    /// <param name="tokenIds">Receives the ids; must hold at least <paramref name="maxTokens"/>.</param>
    /// <param name="maxTokens">The most ids to write, [CLS] and [SEP] included; at least 2.</param>
    /// <returns>The number of ids written to the start of <paramref name="tokenIds"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxTokens"/> is less than 2.</exception>
    /// <exception cref="ArgumentException"><paramref name="tokenIds"/> is shorter than <paramref name="maxTokens"/>.</exception>
    public int Encode(string text, Span<int> tokenIds, int maxTokens = SentenceTransformersMaxTokens)
    {
        ArgumentNullException.ThrowIfNull(text);
        CheckMaxTokens(maxTokens, minimum: 2);
        CheckDestination(tokenIds.Length, maxTokens, nameof(tokenIds), nameof(maxTokens));

        var capacity = maxTokens + CutSlack;
        long[]? rented = null;
        var scratch = 2 * capacity <= StackScratchLongs
            ? stackalloc long[2 * capacity]
            : (rented = ArrayPool<long>.Shared.Rent(2 * capacity));
        try
        {
            var ids = scratch[..capacity];
            var count = _tokenizer.Encode(HuggingFaceAlignment.Prepare(text), ids, scratch.Slice(capacity, capacity));
            if (count > maxTokens)
            {
                count = maxTokens;
                ids[count - 1] = SepTokenId;
            }

            Narrow(ids[..count], tokenIds);
            return count;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<long>.Shared.Return(rented);
            }
        }
    }

    /// <summary>As <see cref="Encode(string, Span{int}, int)"/>, for text held in a span.</summary>
    /// <remarks>FastBertTokenizer reads only strings, so this copies <paramref name="text"/> into one.</remarks>
    /// <inheritdoc cref="Encode(string, Span{int}, int)"/>
    public int Encode(ReadOnlySpan<char> text, Span<int> tokenIds, int maxTokens = SentenceTransformersMaxTokens) =>
        Encode(text.ToString(), tokenIds, maxTokens);

    /// <summary>
    /// Encodes a sentence pair as <c>[CLS] first [SEP] second [SEP]</c>, with token type 0 up to the first [SEP] and 1
    /// after it, as a cross-encoder reads it. When both do not fit, tokens come off the longer text first until both fit
    /// or both are down to half of the room (Hugging Face's <c>longest_first</c>). Which is longer is judged as Hugging
    /// Face's tokenizers (0.23 on) judges it: it reads each text only until the word that brings it to
    /// <paramref name="maxTokens"/> tokens ends, so two texts both past that count as long as those words make them (as
    /// long as each other when both end there, the second then keeping an odd budget's extra token).
    /// </summary>
    /// <param name="first">The first text (type 0).</param>
    /// <param name="second">The second text (type 1).</param>
    /// <param name="tokenIds">Receives the ids; must hold at least <paramref name="maxTokens"/>.</param>
    /// <param name="tokenTypeIds">Receives 0 or 1 per id; must hold at least <paramref name="maxTokens"/>.</param>
    /// <param name="maxTokens">The most ids to write, the three special tokens included; at least 3.</param>
    /// <returns>The number of ids (and type ids) written.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="first"/> or <paramref name="second"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxTokens"/> is less than 3.</exception>
    /// <exception cref="ArgumentException">A destination is shorter than <paramref name="maxTokens"/>, or the two overlap.</exception>
    public int EncodePair(
        string first, string second, Span<int> tokenIds, Span<int> tokenTypeIds,
        int maxTokens = SentenceTransformersMaxTokens)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        CheckMaxTokens(maxTokens, minimum: 3);
        first = HuggingFaceAlignment.Prepare(first);
        second = HuggingFaceAlignment.Prepare(second);
        CheckDestination(tokenIds.Length, maxTokens, nameof(tokenIds), nameof(maxTokens));
        CheckDestination(tokenTypeIds.Length, maxTokens, nameof(tokenTypeIds), nameof(maxTokens));
        CheckSeparate(tokenIds[..maxTokens], tokenTypeIds[..maxTokens], nameof(tokenIds), nameof(tokenTypeIds));

        // Each text is encoded alone as [CLS] text [SEP], past the whole budget; the pair is then assembled from the two
        // bodies.
        var budget = maxTokens - 3;
        var capacity = budget + 2 + CutSlack;
        long[]? rented = null;
        var scratch = 3 * capacity <= StackScratchLongs
            ? stackalloc long[3 * capacity]
            : (rented = ArrayPool<long>.Shared.Rent(3 * capacity));
        try
        {
            var firstIds = scratch[..capacity];
            var secondIds = scratch.Slice(capacity, capacity);
            var mask = scratch.Slice(2 * capacity, capacity);
            var firstLength = _tokenizer.Encode(first, firstIds, mask) - 2;
            var secondLength = _tokenizer.Encode(second, secondIds, mask) - 2;
            var firstIsLonger = ComparedLength(firstIds.Slice(1, firstLength), maxTokens)
                > ComparedLength(secondIds.Slice(1, secondLength), maxTokens);
            var (firstKept, secondKept) = PairTruncation.LongestFirst(firstLength, secondLength, firstIsLonger, budget);

            var position = 0;
            tokenIds[position++] = ClsTokenId;
            Narrow(firstIds.Slice(1, firstKept), tokenIds[position..]);
            position += firstKept;
            tokenIds[position++] = SepTokenId;
            tokenTypeIds[..position].Clear();
            var secondStart = position;
            Narrow(secondIds.Slice(1, secondKept), tokenIds[position..]);
            position += secondKept;
            tokenIds[position++] = SepTokenId;
            tokenTypeIds[secondStart..position].Fill(1);
            return position;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<long>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// Encodes several texts into one padded block, ready for a model run over <c>texts.Length × rowLength</c> tokens:
    /// row <c>i</c> is <c>tokenIds[(i × rowLength)..((i + 1) × rowLength)]</c>, its first <c>tokenCounts[i]</c> ids the
    /// text's encoding (as <see cref="Encode(string, Span{int}, int)"/>) and the rest [PAD].
    /// </summary>
    /// <param name="texts">The texts, none null.</param>
    /// <param name="tokenIds">
    /// Receives the rows; must hold at least <c>texts.Length × maxTokens</c> (the longest a row can be). Past the block,
    /// up to that size, it is used as scratch.
    /// </param>
    /// <param name="tokenCounts">Receives each row's count of real (non-padding) ids; must hold <c>texts.Length</c>.</param>
    /// <param name="maxTokens">The most ids in a row; at least 2.</param>
    /// <returns><c>rowLength</c>: the longest row's count, which every row is padded to (0 for no texts).</returns>
    /// <exception cref="ArgumentNullException">A text is null (the message gives its index).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxTokens"/> is less than 2.</exception>
    /// <exception cref="ArgumentException">A destination is too short, or the two overlap.</exception>
    public int EncodeBatch(
        ReadOnlySpan<string> texts, Span<int> tokenIds, Span<int> tokenCounts, int maxTokens = SentenceTransformersMaxTokens)
    {
        CheckMaxTokens(maxTokens, minimum: 2);
        for (var i = 0; i < texts.Length; i++)
        {
            if (texts[i] is null)
            {
                throw new ArgumentNullException(nameof(texts), $"texts[{i}] is null.");
            }
        }

        CheckDestination(tokenIds.Length, (long)texts.Length * maxTokens, nameof(tokenIds), $"{nameof(texts)}.Length × {nameof(maxTokens)}");
        CheckDestination(tokenCounts.Length, texts.Length, nameof(tokenCounts), $"{nameof(texts)}.Length");
        CheckSeparate(tokenIds[..(texts.Length * maxTokens)], tokenCounts[..texts.Length], nameof(tokenIds), nameof(tokenCounts));

        var rowLength = 0;
        for (var i = 0; i < texts.Length; i++)
        {
            tokenCounts[i] = Encode(texts[i], tokenIds.Slice(i * maxTokens, maxTokens), maxTokens);
            rowLength = Math.Max(rowLength, tokenCounts[i]);
        }

        // Rows move from stride maxTokens down to stride rowLength; front to back, no row overwrites one not yet moved.
        for (var i = 0; i < texts.Length; i++)
        {
            var row = tokenIds.Slice(i * rowLength, rowLength);
            tokenIds.Slice(i * maxTokens, tokenCounts[i]).CopyTo(row);
            row[tokenCounts[i]..].Fill(PadTokenId);
        }

        return rowLength;
    }

    /// <summary>
    /// A text's length as Hugging Face compares it in a pair: since tokenizers 0.23 it tokenizes each text word by word
    /// only until it has <paramref name="maxTokens"/> tokens, so a longer text counts up to the end of the word that
    /// reaches that (a word has at most <see cref="MaxCharsPerWord"/> tokens, well inside <see cref="CutSlack"/>). A
    /// special token written in the text is no such word: it is matched before the words are read, and the count is
    /// checked only after a word, so it runs on to the end of the next one.
    /// </summary>
    /// <remarks>
    /// [UNK] is taken for a word read as unknown: one written out where the count reaches <paramref name="maxTokens"/>
    /// would be counted one word short, which matters only for an odd budget's extra token.
    /// </remarks>
    private int ComparedLength(ReadOnlySpan<long> body, int maxTokens)
    {
        if (body.Length <= maxTokens)
        {
            return body.Length;
        }

        var end = maxTokens;
        while (end < body.Length && (_continuesWord[body[end]] || IsWrittenSpecialToken(body[end - 1])))
        {
            end++;
        }

        return end;
    }

    /// <summary>Whether an id can only come from a special token written in the text ([UNK] aside, which a word can give).</summary>
    private bool IsWrittenSpecialToken(long id) =>
        id == ClsTokenId || id == SepTokenId || id == PadTokenId || id == _maskTokenId;

    private static void Narrow(ReadOnlySpan<long> ids, Span<int> destination)
    {
        for (var i = 0; i < ids.Length; i++)
        {
            destination[i] = (int)ids[i];
        }
    }

    private static void CheckMaxTokens(int maxTokens, int minimum)
    {
        if (maxTokens < minimum)
        {
            throw new ArgumentOutOfRangeException(nameof(maxTokens), maxTokens,
                $"maxTokens must be at least {minimum} (room for the special tokens), but it is {maxTokens}.");
        }
    }

    /// <summary>Throws unless the parts of two destinations a call writes are separate memory: each would overwrite the other.</summary>
    private static void CheckSeparate(Span<int> first, Span<int> second, string firstName, string secondName)
    {
        if (first.Overlaps(second))
        {
            throw new ArgumentException(
                $"{secondName} overlaps {firstName}: both are written, so they must be separate memory.", secondName);
        }
    }

    private static void CheckDestination(long length, long required, string paramName, string requiredName)
    {
        if (length < required)
        {
            throw new ArgumentException(
                $"{paramName} holds {length} elements but must hold at least {requiredName} = {required}.", paramName);
        }
    }
}
