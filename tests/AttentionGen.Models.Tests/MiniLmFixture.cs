using AttentionGen.Models.Tests.Ort;
using AttentionGen.Models.Tests.Reference;
using AttentionGen.OnnxImport;

namespace AttentionGen.Models.Tests;

/// <summary>
/// all-MiniLM-L6-v2, loaded once for every test class in the collection: the packaged ONNX export (extracted and
/// converted into the cache on first use), its ONNX Runtime session, the float64 reference on the converted weights,
/// and the vocabulary.
/// </summary>
public sealed class MiniLmFixture : IDisposable
{
    public MiniLmFixture()
    {
        OnnxPath = MiniLmPackage.EnsureOnnxModel();
        SafeTensorsPath = MiniLmPackage.EnsureSafeTensors();
        Config = BertConfig.FromJson(File.ReadAllText(MiniLmPackage.ConfigPath));
        Checkpoint = SafeTensors.Open(SafeTensorsPath);
        Reference = new BertReference(Config, Checkpoint);
        Ort = new OrtBert(OnnxPath);
        Vocabulary = WordPieceVocabulary.Load(MiniLmPackage.EnsureVocabulary());
    }

    public string OnnxPath { get; }

    public string SafeTensorsPath { get; }

    public BertConfig Config { get; }

    public SafeTensors Checkpoint { get; }

    public BertReference Reference { get; }

    public OrtBert Ort { get; }

    public WordPieceVocabulary Vocabulary { get; }

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
