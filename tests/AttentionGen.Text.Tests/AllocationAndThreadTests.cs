using AttentionGen.Tests.Allocation;

namespace AttentionGen.Text.Tests;

public sealed class AllocationAndThreadTests
{
    private static WordPieceTokenizer Tokenizer => MiniLmVocab.Tokenizer;

    [Fact]
    public void Encoding_text_of_vocab_words_allocates_nothing()
    {
        // ASCII words, punctuation, numbers, a URL, special tokens written out, and a text cut at 256: none needs a
        // fallback inside FastBertTokenizer or a rewrite, so the stack scratch and the pooled lowercase buffer are all.
        string[] texts =
        [
            .. ((string[])["ascii-pangram", "mixed-case", "numbers", "url", "special-token-text", "tabs-newlines", "empty"])
                .Select(name => GoldenTokens.Cases[name].Text),
            GoldenTokens.Cases["long-text-over-256-tokens"].Text,
        ];
        var ids = new int[texts.Length * 256];
        var types = new int[256];
        var counts = new int[texts.Length];

        void EncodeAll()
        {
            foreach (var text in texts)
            {
                Tokenizer.Encode(text, ids);
                Tokenizer.EncodePair(text, texts[0], ids, types);
            }

            Tokenizer.EncodeBatch(texts, ids, counts);
        }

        AllocationAssert.NothingPerCall(EncodeAll, callsPerRound: 50, warmUpCalls: 1);
    }

    [Fact]
    public void One_instance_gives_every_thread_the_golden_ids()
    {
        var cases = GoldenTokens.Cases.Values.Where(c => c.Pair is null).ToArray();
        var mismatches = 0;
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, thread =>
        {
            var ids = new int[256];
            for (var round = 0; round < 20; round++)
            {
                // Each thread walks the cases from its own starting point, so different texts run at the same time.
                var golden = cases[((thread * 7) + round) % cases.Length];
                var count = Tokenizer.Encode(golden.Text, ids);
                if (!golden.Ids.AsSpan().SequenceEqual(ids.AsSpan(0, count)))
                {
                    Interlocked.Increment(ref mismatches);
                }
            }
        });

        Assert.Equal(0, mismatches);
    }
}
