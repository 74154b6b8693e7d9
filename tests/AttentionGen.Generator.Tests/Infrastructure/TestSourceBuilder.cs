using System.Text;

namespace AttentionGen.Generator.Tests.Infrastructure;

/// <summary>
/// Builds the source of a layer declaration for a test, so each test states only what it is about:
/// <code>TestSourceBuilder.MultiHead("ModelDim = 64, Heads = 4, MaxSeqLen = 16").Named("Encoder").NotPartial().Build()</code>
/// Text is copied verbatim, so diagnostic markers such as <c>{|AGEN0003:Heads = 0|}</c> may appear in any part.
/// </summary>
internal sealed class TestSourceBuilder
{
    private readonly List<string> _attributes = [];
    private string? _namespace = "Tests";
    private string _className = "Layer";
    private string _accessibility = "public";
    private bool _partial = true;
    private string? _typeParameters;
    private string? _outerDeclaration;
    private string _extraMembers = "";

    private TestSourceBuilder(string attribute) => _attributes.Add(attribute);

    /// <summary>A class with the given attribute, written without brackets: <c>Name(Arg = 1, …)</c>.</summary>
    public static TestSourceBuilder WithAttribute(string attribute) => new(attribute);

    public static TestSourceBuilder ScaledDotProduct(string arguments) => new($"ScaledDotProductAttention({arguments})");

    public static TestSourceBuilder MultiHead(string arguments) => new($"MultiHeadAttention({arguments})");

    public static TestSourceBuilder Pooling(string arguments) => new($"AttentionPooling({arguments})");

    /// <summary>Adds another attribute (without brackets) in its own list after the first.</summary>
    public TestSourceBuilder AlsoAttribute(string attribute)
    {
        _attributes.Add(attribute);
        return this;
    }

    /// <summary>The namespace, or null for the global namespace. Default <c>Tests</c>.</summary>
    public TestSourceBuilder InNamespace(string? ns)
    {
        _namespace = ns;
        return this;
    }

    public TestSourceBuilder Named(string className)
    {
        _className = className;
        return this;
    }

    public TestSourceBuilder WithAccessibility(string accessibility)
    {
        _accessibility = accessibility;
        return this;
    }

    public TestSourceBuilder NotPartial()
    {
        _partial = false;
        return this;
    }

    /// <summary>Gives the class type parameters, e.g. <c>&lt;T&gt;</c>.</summary>
    public TestSourceBuilder Generic(string typeParameters = "<T>")
    {
        _typeParameters = typeParameters;
        return this;
    }

    /// <summary>Nests the class in an outer type, declared exactly as given, e.g. <c>public static partial class Outer</c>.</summary>
    public TestSourceBuilder NestedIn(string outerDeclaration)
    {
        _outerDeclaration = outerDeclaration;
        return this;
    }

    /// <summary>Source added after the class, e.g. an unrelated type for incremental tests.</summary>
    public TestSourceBuilder WithExtraMembers(string source)
    {
        _extraMembers = source;
        return this;
    }

    public string Build()
    {
        var text = new StringBuilder();
        text.Append("using AttentionGen;\n\n");
        if (_namespace is not null)
        {
            text.Append($"namespace {_namespace};\n\n");
        }

        var indent = "";
        if (_outerDeclaration is not null)
        {
            text.Append(_outerDeclaration).Append("\n{\n");
            indent = "    ";
        }

        foreach (var attribute in _attributes)
        {
            text.Append($"{indent}[{attribute}]\n");
        }

        var partial = _partial ? " partial" : "";
        text.Append($"{indent}{_accessibility}{partial} class {_className}{_typeParameters}\n{indent}{{\n{indent}}}\n");

        if (_outerDeclaration is not null)
        {
            text.Append("}\n");
        }

        if (_extraMembers.Length > 0)
        {
            text.Append('\n').Append(_extraMembers).Append('\n');
        }

        return text.ToString();
    }

    public override string ToString() => Build();
}
