using System.Collections.Immutable;
using AttentionGen.Generator.Diagnostics;
using AttentionGen.Testing;
using Microsoft.CodeAnalysis;

namespace AttentionGen.Generator.Tests.Infrastructure;

/// <summary>Runs <see cref="LayerDeclarationAnalyzer"/> over test source and compares what it reports with the markers.</summary>
internal static class AnalyzerRunner
{
    public static async Task<ImmutableArray<Diagnostic>> GetDiagnosticsAsync(string source)
    {
        var compilation = GeneratorHarness.CreateCompilation(source);
        var diagnostics = await GeneratorHarness.GetAnalyzerDiagnosticsAsync(compilation, new LayerDeclarationAnalyzer());
        return [.. diagnostics.OrderBy(d => d.Location.SourceSpan.Start).ThenBy(d => d.Id, StringComparer.Ordinal)];
    }

    /// <summary>
    /// Asserts that the analyzer reports exactly the diagnostics marked in <paramref name="markup"/> (ID and span, no
    /// more, no fewer) and returns them, ordered by position, for further checks on messages.
    /// </summary>
    public static async Task<ImmutableArray<Diagnostic>> VerifyAsync(string markup)
    {
        var (source, expected) = DiagnosticMarkup.Parse(markup);
        var actual = await GetDiagnosticsAsync(source);

        var expectedKeys = expected.Select(e => Describe(source, e.Id, e.Span)).Order(StringComparer.Ordinal).ToArray();
        var actualKeys = actual.Select(d => Describe(source, d.Id, d.Location.SourceSpan)).Order(StringComparer.Ordinal).ToArray();
        if (!expectedKeys.SequenceEqual(actualKeys))
        {
            Assert.Fail(
                "Analyzer diagnostics differ from the markers." + Environment.NewLine +
                "Expected:" + Environment.NewLine + Lines(expectedKeys) +
                "Actual:" + Environment.NewLine + Lines(actual.Select(d => Describe(source, d.Id, d.Location.SourceSpan) + "  " + d.GetMessage())) +
                "Source:" + Environment.NewLine + source);
        }

        return actual;
    }

    private static string Describe(string source, string id, Microsoft.CodeAnalysis.Text.TextSpan span) =>
        $"{id} [{span.Start}..{span.End}) \"{source.Substring(span.Start, span.Length)}\"";

    private static string Lines(IEnumerable<string> lines) => string.Concat(lines.Select(l => "  " + l + Environment.NewLine));
}
