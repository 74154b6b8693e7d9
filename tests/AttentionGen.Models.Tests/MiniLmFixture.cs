using AttentionGen.Models.Tests.Ort;
using AttentionGen.Models.Tests.Reference;
using AttentionGen.OnnxImport;
using AttentionGen.Text;

namespace AttentionGen.Models.Tests;

/// <summary>
/// all-MiniLM-L6-v2, loaded once for every test class in the collection: the packaged ONNX export (extracted and
/// converted into the cache on first use), its ONNX Runtime session, the float64 reference on the converted weights,
/// the vocabulary, the project's tokenizer, and the weights of the generated encoders.
/// </summary>
public sealed class MiniLmFixture : IDisposable
{
    private readonly Lazy<MiniLmInGroups.Weights> _weightsInGroups;
    private readonly Lazy<MiniLmShort.Weights> _weightsShort;

    public MiniLmFixture()
    {
        OnnxPath = MiniLmPackage.EnsureOnnxModel();
        SafeTensorsPath = MiniLmPackage.EnsureSafeTensors();
        Config = BertConfig.FromJson(File.ReadAllText(MiniLmPackage.ConfigPath));
        Checkpoint = SafeTensors.Open(SafeTensorsPath);
        Reference = new BertReference(Config, Checkpoint);
        Ort = new OrtBert(OnnxPath);
        Vocabulary = WordPieceVocabulary.Load(MiniLmPackage.EnsureVocabulary());
        Tokenizer = WordPieceTokenizer.FromVocabFile(MiniLmPackage.EnsureVocabulary());
        Weights = MiniLm.Weights.Load(Checkpoint);
        _weightsInGroups = new(() => MiniLmInGroups.Weights.Load(Checkpoint));
        _weightsShort = new(() => MiniLmShort.Weights.Load(Checkpoint));
    }

    public string OnnxPath { get; }

    public string SafeTensorsPath { get; }

    public BertConfig Config { get; }

    public SafeTensors Checkpoint { get; }

    public BertReference Reference { get; }

    public OrtBert Ort { get; }

    public WordPieceVocabulary Vocabulary { get; }

    /// <summary>The tokenizer of <c>AttentionGen.Text</c>, which matches Hugging Face's on the golden texts.</summary>
    public WordPieceTokenizer Tokenizer { get; }

    /// <summary>The converted checkpoint as <see cref="MiniLm"/> runs it, loaded once and shared by every instance.</summary>
    public MiniLm.Weights Weights { get; }

    /// <summary>The same checkpoint for <see cref="MiniLmInGroups"/>, loaded on first use.</summary>
    public MiniLmInGroups.Weights WeightsInGroups => _weightsInGroups.Value;

    /// <summary>The same checkpoint for <see cref="MiniLmShort"/>, loaded on first use.</summary>
    public MiniLmShort.Weights WeightsShort => _weightsShort.Value;

    public void Dispose()
    {
        Ort.Dispose();
        Checkpoint.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class MiniLmCollection : ICollectionFixture<MiniLmFixture>
{
    public const string Name = "MiniLM";
}
