using System;
using System.CodeDom.Compiler;
using System.IO;

namespace AttentionGen.Generator.Emit;

/// <summary>An indented writer with block helpers, so emitters read like the code they produce.</summary>
internal sealed class SourceWriter
{
    private readonly StringWriter _text = new() { NewLine = "\n" };
    private readonly IndentedTextWriter _writer;

    public SourceWriter() => _writer = new IndentedTextWriter(_text, "    ") { NewLine = "\n" };

    public SourceWriter Line(string line = "")
    {
        if (line.Length == 0)
        {
            // IndentedTextWriter would indent an empty line; keep blank lines free of trailing spaces.
            _writer.WriteLineNoTabs("");
        }
        else
        {
            _writer.WriteLine(line);
        }

        return this;
    }

    /// <summary>Writes <paramref name="header"/>, an opening brace, and indents until the returned scope is disposed.</summary>
    public IDisposable Block(string header, string closing = "}")
    {
        if (header.Length > 0)
        {
            Line(header);
        }

        Line("{");
        _writer.Indent++;
        return new Scope(this, closing);
    }

    /// <summary>A public constant with a one-line doc comment, then a blank line.</summary>
    public void Constant(string type, string name, string value, string doc)
    {
        Line($"/// <summary>{doc}</summary>");
        Line($"public const {type} {name} = {value};");
        Line();
    }

    public override string ToString() => _text.ToString();

    private sealed class Scope(SourceWriter owner, string closing) : IDisposable
    {
        public void Dispose()
        {
            owner._writer.Indent--;
            owner.Line(closing);
        }
    }
}
