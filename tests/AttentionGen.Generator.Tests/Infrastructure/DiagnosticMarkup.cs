using Microsoft.CodeAnalysis.Text;

namespace AttentionGen.Generator.Tests.Infrastructure;

/// <summary>An expected diagnostic: its ID and the exact span it must cover.</summary>
internal sealed record ExpectedDiagnostic(string Id, TextSpan Span);

/// <summary>
/// Reads test source with diagnostic markers, in the style of Roslyn's analyzer testing: <c>{|AGEN0003:Heads = 0|}</c>
/// expects diagnostic AGEN0003 on exactly the text <c>Heads = 0</c>. Markers may nest, for several diagnostics on
/// overlapping or identical spans.
/// </summary>
internal static class DiagnosticMarkup
{
    private const string Open = "{|";
    private const string Close = "|}";

    public static (string Source, IReadOnlyList<ExpectedDiagnostic> Expected) Parse(string markup)
    {
        var source = new System.Text.StringBuilder(markup.Length);
        var open = new Stack<(string Id, int Start)>();
        var expected = new List<ExpectedDiagnostic>();
        var i = 0;
        while (i < markup.Length)
        {
            if (string.CompareOrdinal(markup, i, Open, 0, Open.Length) == 0)
            {
                var colon = markup.IndexOf(':', i + Open.Length);
                if (colon < 0)
                {
                    throw new FormatException($"Marker at {i} has no ':' after its diagnostic ID.");
                }

                open.Push((markup[(i + Open.Length)..colon], source.Length));
                i = colon + 1;
            }
            else if (string.CompareOrdinal(markup, i, Close, 0, Close.Length) == 0 && open.Count > 0)
            {
                var (id, start) = open.Pop();
                expected.Add(new ExpectedDiagnostic(id, TextSpan.FromBounds(start, source.Length)));
                i += Close.Length;
            }
            else
            {
                source.Append(markup[i]);
                i++;
            }
        }

        if (open.Count > 0)
        {
            throw new FormatException($"Marker for {open.Peek().Id} is never closed.");
        }

        return (source.ToString(), expected);
    }
}
