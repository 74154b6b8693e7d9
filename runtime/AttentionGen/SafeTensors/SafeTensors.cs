using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.IO.MemoryMappedFiles;
using System.Text;

namespace AttentionGen;

/// <summary>
/// A safetensors checkpoint: an 8-byte little-endian header length, a JSON header describing each tensor, then the data;
/// or several such files tied together by a <c>model.safetensors.index.json</c>. Everything about the headers is checked
/// when the checkpoint is opened, so later reads cannot fail or go out of bounds. Tensor data stays in the file until
/// <see cref="CopyTo"/> converts it straight into the caller's array.
/// </summary>
/// <remarks>
/// All members may be called from several threads at once, including <see cref="CopyTo"/> on the same or different
/// tensors: reads share no mutable state. <see cref="Dispose"/> releases the file; a read already under way finishes,
/// later reads throw <see cref="ObjectDisposedException"/>. The tensor list and metadata stay available after disposal.
/// </remarks>
public sealed class SafeTensors : IDisposable
{
    /// <summary>Headers larger than this are refused rather than parsed: no real checkpoint comes close.</summary>
    public const int MaxHeaderLength = 100 * 1024 * 1024;

    private readonly Dictionary<string, (TensorInfo Tensor, TensorData Data)> _byName;
    private readonly TensorData[] _files;
    private int _disposed;

    private SafeTensors(List<(TensorInfo Tensor, TensorData Data)> tensors, Dictionary<string, string> metadata, TensorData[] files)
    {
        Tensors = tensors.Select(t => t.Tensor).ToList();
        Metadata = metadata;
        _files = files;
        _byName = tensors.ToDictionary(t => t.Tensor.Name, StringComparer.Ordinal);
    }

    /// <summary>The tensors, in header order (shard by shard, in the order the index first names them, for a sharded checkpoint).</summary>
    public IReadOnlyList<TensorInfo> Tensors { get; }

    /// <summary>
    /// The header's <c>__metadata__</c> entries (empty when there are none). For a sharded checkpoint, the index's
    /// <c>metadata</c> entries instead, with values that are not strings given as their JSON text (<c>total_size</c>).
    /// </summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>
    /// Opens and validates the safetensors file at <paramref name="path"/>, or, when the path ends in <c>.json</c>, the
    /// sharded checkpoint that index file describes (<c>model.safetensors.index.json</c>: a <c>weight_map</c> from
    /// each tensor name to the shard file, in the index's folder, that holds it). The checkpoint then reads as one file.
    /// </summary>
    /// <remarks>
    /// <para>
    /// The file is memory-mapped read-only, not read: opening costs the header only, whatever the file's size (files
    /// over 4 GB are fine), and <see cref="CopyTo"/> converts each tensor straight from the file into the destination.
    /// Dispose the returned object to release the file.
    /// </para>
    /// <para>
    /// While it is open, the file may be deleted, or replaced by writing a new file and moving it to the same path:
    /// on Linux and macOS reads keep returning the original bytes (the open file keeps them alive) until
    /// <see cref="Dispose"/>. Windows may refuse to delete or replace a file that is open. Rewriting the open file in
    /// place is not supported: reads may then see the new bytes, and a file shortened under the map can crash the
    /// process (SIGBUS) when a read reaches past its new end. Replace checkpoints by moving a new file over the old one.
    /// </para>
    /// </remarks>
    /// <exception cref="SafeTensorsFormatException">A file is not a valid safetensors file, or the index is malformed or disagrees with its shards.</exception>
    /// <exception cref="IOException">
    /// A file cannot be read: it is missing (<see cref="FileNotFoundException"/>, naming the shard for a missing shard), a
    /// directory, or access is denied. Every failure to open is an <see cref="IOException"/>, so one handler covers them.
    /// </exception>
    public static SafeTensors Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            return SafeTensorsIndex.Open(path);
        }

        var (tensors, metadata, data) = OpenFile(path);
        return new SafeTensors(tensors.Select(t => (t, data)).ToList(), metadata, [data]);
    }

    /// <summary>Validates a safetensors file already in memory. The bytes are used in place, not copied.</summary>
    /// <exception cref="SafeTensorsFormatException">The bytes are not a valid safetensors file.</exception>
    public static SafeTensors Load(ReadOnlyMemory<byte> bytes)
    {
        var span = bytes.Span;
        var headerLength = ReadHeaderLength(span, span.Length);
        var header = span.Slice(8, (int)headerLength);
        var data = new MemoryTensorData(bytes[(8 + (int)headerLength)..]);
        var (tensors, metadata) = SafeTensorsHeader.Parse(header, span.Length - 8 - (long)headerLength);
        return new SafeTensors(tensors.Select(t => (t, (TensorData)data)).ToList(), metadata, [data]);
    }

    /// <summary>Opens one file: the header is read and validated, the data section mapped for later reads.</summary>
    internal static (List<TensorInfo> Tensors, Dictionary<string, string> Metadata, TensorData Data) OpenFile(string path)
    {
        var stream = OpenRead(path);
        try
        {
            var length = stream.Length;
            Span<byte> prefix = stackalloc byte[8];
            if (length >= 8)
            {
                ReadExactly(stream, prefix, 0);
            }

            var headerLength = ReadHeaderLength(prefix, length);

            // The header is copied out rather than parsed from the map, so a file changed underneath cannot make a
            // checked value differ from the one used.
            var header = new byte[(int)headerLength];
            ReadExactly(stream, header, 8);
            var (tensors, metadata) = SafeTensorsHeader.Parse(header, length - 8 - (long)headerLength);
            var map = MemoryMappedFile.CreateFromFile(stream, mapName: null, capacity: 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            return (tensors, metadata, new MappedTensorData(map, 8 + (long)headerLength));
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Opens a file for reading, turning every way that can fail into an <see cref="IOException"/>.</summary>
    internal static FileStream OpenRead(string path)
    {
        try
        {
            // No buffer: the header is read with positional reads and the data through the map. Others may read,
            // delete or rename the file meanwhile (the map keeps its bytes alive); writers are refused where the OS
            // enforces sharing (Windows), while on Unix the lock is only advisory.
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, bufferSize: 0, FileOptions.RandomAccess);
        }
        catch (UnauthorizedAccessException e) when (Directory.Exists(path))
        {
            throw new IOException($"'{path}' is a directory, not a safetensors file.", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new IOException($"'{path}' cannot be read: {e.Message}", e);
        }
    }

    private static void ReadExactly(FileStream stream, Span<byte> buffer, long offset)
    {
        while (!buffer.IsEmpty)
        {
            int read = RandomAccess.Read(stream.SafeFileHandle, buffer, offset);
            if (read == 0)
            {
                throw new SafeTensorsFormatException($"The file ended at byte {offset} while its header was being read: it was shortened while being opened.");
            }

            buffer = buffer[read..];
            offset += read;
        }
    }

    /// <summary>Reads and checks the 8-byte header length of a file <paramref name="fileLength"/> bytes long, starting with <paramref name="start"/>.</summary>
    private static ulong ReadHeaderLength(ReadOnlySpan<byte> start, long fileLength)
    {
        if (fileLength < 8)
        {
            throw new SafeTensorsFormatException(
                $"The file is {fileLength} bytes long; a safetensors file starts with an 8-byte header length.");
        }

        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(start);
        if (headerLength > (ulong)(fileLength - 8))
        {
            throw new SafeTensorsFormatException(
                $"The header length is {headerLength} bytes, past the end of the file ({fileLength - 8} bytes follow it): the file is truncated or not safetensors.");
        }

        if (headerLength > MaxHeaderLength)
        {
            throw new SafeTensorsFormatException($"The header length is {headerLength} bytes, over the {MaxHeaderLength}-byte limit.");
        }

        return headerLength;
    }

    /// <summary>Builds a checkpoint from tensors already matched to the files they are read from.</summary>
    internal static SafeTensors Create(List<(TensorInfo Tensor, TensorData Data)> tensors, Dictionary<string, string> metadata, TensorData[] files) =>
        new(tensors, metadata, files);

    /// <summary>Finds the tensor called <paramref name="name"/>.</summary>
    public bool TryGetTensor(string name, [NotNullWhen(true)] out TensorInfo? tensor)
    {
        ArgumentNullException.ThrowIfNull(name);
        tensor = _byName.TryGetValue(name, out var found) ? found.Tensor : null;
        return tensor is not null;
    }

    /// <summary>
    /// The tensor called <paramref name="name"/>, checked to have exactly <paramref name="expectedShape"/> and a dtype that
    /// loads as float (F32, F16, BF16).
    /// </summary>
    /// <exception cref="WeightLoadException">The tensor is missing, has another shape, or has another dtype.</exception>
    public TensorInfo Require(string name, ReadOnlySpan<int> expectedShape)
    {
        ArgumentNullException.ThrowIfNull(name);
        var expected = expectedShape.ToArray();
        if (!_byName.TryGetValue(name, out var found))
        {
            throw new WeightLoadException(MissingMessage(name), name, expected, actualShape: null);
        }

        var tensor = found.Tensor;

        if (!tensor.Shape.SequenceEqual(expected.Select(d => (long)d)))
        {
            throw new WeightLoadException(
                $"Tensor '{name}' has shape [{string.Join(", ", tensor.Shape)}] but the layer expects [{string.Join(", ", expected)}].",
                name, expected, tensor.Shape);
        }

        if (!SafeTensorsDTypes.IsFloatConvertible(tensor.DType))
        {
            throw new WeightLoadException(
                $"Tensor '{name}' has dtype {tensor.DType}; only F32, F16 and BF16 can be loaded as float.", name, expected, tensor.Shape);
        }

        return tensor;
    }

    /// <summary>
    /// Converts the tensor's elements to float into <paramref name="destination"/>, reading them from the file as it
    /// goes: no copy of the file or of the tensor's bytes is made. Safe to call from several threads at once.
    /// </summary>
    /// <exception cref="ArgumentException">The tensor is not from this checkpoint, or the destination length differs from the element count.</exception>
    /// <exception cref="NotSupportedException">The dtype is not F32, F16 or BF16.</exception>
    /// <exception cref="ObjectDisposedException">The checkpoint has been disposed.</exception>
    public void CopyTo(TensorInfo tensor, Span<float> destination)
    {
        var data = DataOf(tensor);
        if (destination.Length != tensor.ElementCount)
        {
            throw new ArgumentException(
                $"Tensor '{tensor.Name}' has {tensor.ElementCount} elements but the destination holds {destination.Length}.", nameof(destination));
        }

        data.CopyTo(tensor, 0, destination);
    }

    /// <summary>
    /// Converts the elements from <paramref name="firstElement"/> on, as many as <paramref name="destination"/> holds:
    /// the loaders read a large tensor a block of rows at a time, so they never hold all of it as float.
    /// </summary>
    internal void CopyRange(TensorInfo tensor, long firstElement, Span<float> destination)
    {
        var data = DataOf(tensor);
        if (firstElement < 0 || firstElement + destination.Length > tensor.ElementCount)
        {
            throw new ArgumentOutOfRangeException(nameof(firstElement),
                $"Elements {firstElement}..{firstElement + destination.Length} are outside tensor '{tensor.Name}' ({tensor.ElementCount} elements).");
        }

        data.CopyTo(tensor, firstElement, destination);
    }

    /// <summary>The data section <paramref name="tensor"/> is read from, after checking it is this file's and readable as float.</summary>
    private TensorData DataOf(TensorInfo tensor)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        ArgumentNullException.ThrowIfNull(tensor);
        if (!_byName.TryGetValue(tensor.Name, out var own) || !ReferenceEquals(own.Tensor, tensor))
        {
            throw new ArgumentException($"Tensor '{tensor.Name}' does not belong to this file.", nameof(tensor));
        }

        if (!SafeTensorsDTypes.IsFloatConvertible(tensor.DType))
        {
            throw new NotSupportedException($"Tensor '{tensor.Name}' has dtype {tensor.DType}; only F32, F16 and BF16 convert to float.");
        }

        return own.Data;
    }

    /// <summary>Releases the file (every shard file of a sharded checkpoint). Later reads throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var file in _files)
        {
            file.Dispose();
        }
    }

    /// <summary>A missing-tensor message that points at likely prefix mistakes: tensors with the same final name.</summary>
    internal string MissingMessage(string name)
    {
        var message = new StringBuilder($"Tensor '{name}' is missing from the file ({Tensors.Count} tensors).");
        var lastDot = name.LastIndexOf('.');
        var leaf = name.LastIndexOf('.', Math.Max(lastDot - 1, 0)) is var start and >= 0 ? name[(start + 1)..] : name;
        var similar = Tensors.Select(t => t.Name).Where(n => n.EndsWith(leaf, StringComparison.Ordinal)).Take(3).ToList();
        if (similar.Count > 0)
        {
            message.Append($" Similar names: {string.Join(", ", similar.Select(n => $"'{n}'"))} — is the prefix right?");
        }

        return message.ToString();
    }
}
