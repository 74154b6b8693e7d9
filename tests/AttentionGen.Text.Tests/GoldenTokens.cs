using System.Text.Json;

namespace AttentionGen.Text.Tests;

/// <summary>One case of Data/golden-tokens.json: Hugging Face's ids for a text (or a pair), truncated to maxTokens.</summary>
internal sealed record GoldenCase(string Name, string Text, string? Pair, int UntruncatedCount, int[] Ids, int[]? TypeIds);

internal static class GoldenTokens
{
    private static readonly Lazy<(int MaxTokens, Dictionary<string, GoldenCase> Cases)> Data = new(Load);

    internal static int MaxTokens => Data.Value.MaxTokens;

    internal static IReadOnlyDictionary<string, GoldenCase> Cases => Data.Value.Cases;

    private static (int, Dictionary<string, GoldenCase>) Load()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Data", "golden-tokens.json");
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = document.RootElement;
        var cases = new Dictionary<string, GoldenCase>(StringComparer.Ordinal);
        foreach (var entry in root.GetProperty("cases").EnumerateArray())
        {
            var golden = new GoldenCase(
                entry.GetProperty("name").GetString()!,
                entry.GetProperty("text").GetString()!,
                entry.TryGetProperty("pair", out var pair) ? pair.GetString() : null,
                entry.GetProperty("untruncatedCount").GetInt32(),
                [.. entry.GetProperty("ids").EnumerateArray().Select(id => id.GetInt32())],
                entry.TryGetProperty("typeIds", out var typeIds) ? [.. typeIds.EnumerateArray().Select(id => id.GetInt32())] : null);
            cases.Add(golden.Name, golden);
        }

        return (root.GetProperty("maxTokens").GetInt32(), cases);
    }
}
