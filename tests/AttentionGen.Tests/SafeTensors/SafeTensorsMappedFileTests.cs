using System.Buffers.Binary;
using System.Text;

namespace AttentionGen.Tests.SafeTensorsTests;

/// <summary>
/// <see cref="SafeTensors.Open"/> on real files: reads through the memory map (across map windows and past the 2 GB and
/// 4 GB marks), disposal, reads from several threads, the file deleted or replaced while open, and paths that are not
/// files.
/// </summary>
[Trait("Category", "SafeTensors")]
public sealed class SafeTensorsMappedFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("attentiongen-safetensors-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void TensorsSpanningSeveralMapWindowsReadBackInEveryDtype()
    {
        // Lengths that fill the windows exactly, leave a remainder, and fall short of a vector width at the end.
        int f32Count = MappedWindowElements(4) * 2 + 3;
        int halfCount = MappedWindowElements(2) + 17;
        var f32 = Pattern(f32Count, 1);
        var f16 = Pattern(halfCount, 2);
        var bf16 = Pattern(halfCount, 3);
        var path = Path.Combine(_folder, "windows.safetensors");
        new SafeTensorsWriter()
            .Add("small", [0.5f, -0.25f], [2])
            .Add("f32", f32, [f32Count])
            .Add("f16", f16, [halfCount], SafeTensorsDType.F16)
            .Add("bf16", bf16, [halfCount], SafeTensorsDType.BF16)
            .Save(path);

        using var file = SafeTensors.Open(path);
        Assert.Equal(f32, Read(file, "f32"));
        Assert.Equal(f16, Read(file, "f16")); // the pattern is exact in F16 and BF16
        Assert.Equal(bf16, Read(file, "bf16"));
        Assert.Equal([0.5f, -0.25f], Read(file, "small"));
    }

    [Fact]
    public void TensorsPastTheTwoAndFourGigabyteMarksOfASparseFile()
    {
        // Only the header and the small tensors are written; the padding between them is a hole in a sparse file.
        const int HeaderLength = 1024;
        const long DataStart = 8 + HeaderLength;
        var layout = new List<(string Name, string DType, long Elements, float[]? Values)>();
        long offset = 0;
        void Add(string name, string dtype, long elements, float[]? values)
        {
            layout.Add((name, dtype, elements, values));
            offset += elements * (dtype == "F32" ? 4 : dtype == "U8" ? 1 : 2);
        }

        void PadTo(string name, long fileOffset) => Add(name, "U8", fileOffset - DataStart - offset, null);

        Add("first", "F32", 64, Pattern(64, 10));
        PadTo("padding_to_2g", (1L << 31) - 128);
        Add("across_2g", "F32", 64, Pattern(64, 11)); // bytes -128 .. +128 around 2 GiB
        PadTo("padding_to_4g", (1L << 32) - 64);
        Add("across_4g", "BF16", 64, Pattern(64, 12));
        PadTo("padding_past_4g", (1L << 32) + (1L << 29));
        Add("past_4g", "F16", 64, Pattern(64, 13));
        Add("last", "F32", 64, Pattern(64, 14));

        var header = new StringBuilder("{");
        long begin = 0;
        foreach (var (name, dtype, elements, _) in layout)
        {
            var bytes = elements * (dtype == "F32" ? 4 : dtype == "U8" ? 1 : 2);
            header.Append($"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":[{elements}],\"data_offsets\":[{begin},{begin + bytes}]}},");
            begin += bytes;
        }

        header[^1] = '}';
        var headerBytes = Encoding.UTF8.GetBytes(header.ToString().PadRight(HeaderLength));
        Assert.Equal(HeaderLength, headerBytes.Length);

        var path = Path.Combine(_folder, "sparse.safetensors");
        using (var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
        {
            stream.SetLength(DataStart + offset);
            var prefix = new byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(prefix, HeaderLength);
            stream.Write(prefix);
            stream.Write(headerBytes);
            begin = 0;
            foreach (var (_, dtype, elements, values) in layout)
            {
                if (values is not null)
                {
                    stream.Position = DataStart + begin;
                    stream.Write(Encode(values, dtype));
                }

                begin += elements * (dtype == "F32" ? 4 : dtype == "U8" ? 1 : 2);
            }
        }

        Assert.True(new FileInfo(path).Length > 4L << 30);
        using var file = SafeTensors.Open(path);
        Assert.Equal(layout.Select(t => t.Name), file.Tensors.Select(t => t.Name));
        Assert.True(file.Require("past_4g", [64]).DataOffset > uint.MaxValue);
        foreach (var (name, _, _, values) in layout.Where(t => t.Values is not null))
        {
            Assert.Equal(values, Read(file, name));
        }

        // The tensors really straddle the marks, and the padding between them keeps its exact size.
        var across4g = file.Require("across_4g", [64]);
        Assert.True(DataStart + across4g.DataOffset < 1L << 32 && DataStart + across4g.DataOffset + across4g.ByteLength > 1L << 32);
        Assert.True(file.TryGetTensor("padding_to_4g", out var padding));
        Assert.Equal(SafeTensorsDType.U8, padding.DType);
        Assert.Equal((1L << 32) - 64 - ((1L << 31) + 128), padding.ByteLength);
    }

    [Fact]
    public void ReadsAfterDisposeThrowObjectDisposedException()
    {
        var path = Save("disposed.safetensors", Pattern(8, 1));
        var file = SafeTensors.Open(path);
        var tensor = file.Require("t", [8]);
        file.Dispose();
        Assert.Throws<ObjectDisposedException>(() => file.CopyTo(tensor, new float[8]));
        file.Dispose(); // a second Dispose is harmless

        // What the header said stays available.
        Assert.Same(tensor, file.Tensors[0]);
        Assert.True(file.TryGetTensor("t", out _));

        using var inMemory = SafeTensors.Load(File.ReadAllBytes(path));
        var memoryTensor = inMemory.Tensors[0];
        inMemory.Dispose();
        Assert.Throws<ObjectDisposedException>(() => inMemory.CopyTo(memoryTensor, new float[8]));
    }

    [Fact]
    public void ADisposeDuringARead_LetsTheReadFinish_OrRefusesItBeforeAnythingIsWritten()
    {
        // A read spanning three map windows, and Dispose from another thread at a moment that varies from trial to trial.
        // Before, the map could close between two windows: ObjectDisposedException with the destination part filled.
        var expected = Pattern(MappedWindowElements(4) * 5 / 2, 7);
        var path = Save("dispose-race.safetensors", expected);
        int finished = 0, refused = 0;
        for (int trial = 0; trial < 24; trial++)
        {
            var file = SafeTensors.Open(path);
            var tensor = file.Tensors[0];
            var values = new float[expected.Length];
            using var started = new ManualResetEventSlim();
            var disposer = new Thread(() =>
            {
                started.Wait();
                Thread.SpinWait(20_000 * (trial % 8));
                file.Dispose();
            });
            disposer.Start();
            try
            {
                started.Set();
                file.CopyTo(tensor, values);
                Assert.True(values.AsSpan().SequenceEqual(expected), "a read that finished gave other values");
                finished++;
            }
            catch (ObjectDisposedException)
            {
                Assert.Equal(0, values.Count(value => value != 0f)); // nothing written: the read was refused before it began
                refused++;
            }
            finally
            {
                disposer.Join();
            }
        }

        Assert.Equal(24, finished + refused);
    }

    [Fact]
    public void ConcurrentReadsOfTheSameFileAgree()
    {
        var expected = Enumerable.Range(0, 6).Select(t => Pattern(MappedWindowElements(4) / 3 + 101 * t, t)).ToArray();
        var writer = new SafeTensorsWriter();
        for (int t = 0; t < expected.Length; t++)
        {
            writer.Add($"t{t}", expected[t], [expected[t].Length], t % 3 == 0 ? SafeTensorsDType.F32 : t % 3 == 1 ? SafeTensorsDType.F16 : SafeTensorsDType.BF16);
        }

        var path = Path.Combine(_folder, "concurrent.safetensors");
        writer.Save(path);
        using var file = SafeTensors.Open(path);
        var mismatches = 0;
        Parallel.For(0, 48, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            int t = i % expected.Length;
            var values = new float[expected[t].Length];
            file.CopyTo(file.Tensors[t], values);
            if (!values.AsSpan().SequenceEqual(expected[t]))
            {
                Interlocked.Increment(ref mismatches);
            }
        });

        Assert.Equal(0, mismatches);
    }

    [Fact]
    public async Task DisposeWhileOtherThreadsReadEndsTheirReadsCleanly()
    {
        var expected = Pattern(MappedWindowElements(4) + 5, 7);
        var path = Save("racing.safetensors", expected);
        var file = SafeTensors.Open(path);
        var tensor = file.Tensors[0];
        int completed = 0, wrong = 0;
        var unexpected = new List<Exception>();
        using var started = new CountdownEvent(4);
        var readers = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            var values = new float[expected.Length];
            started.Signal();
            try
            {
                while (true)
                {
                    file.CopyTo(tensor, values);
                    Interlocked.Increment(ref completed);
                    if (!values.AsSpan().SequenceEqual(expected))
                    {
                        Interlocked.Increment(ref wrong);
                    }
                }
            }
            catch (ObjectDisposedException)
            {
                // the expected end of every reader
            }
            catch (Exception e)
            {
                lock (unexpected)
                {
                    unexpected.Add(e);
                }
            }
        })).ToArray();

        started.Wait();
        SpinWait.SpinUntil(() => Volatile.Read(ref completed) >= 4, TimeSpan.FromSeconds(10));
        file.Dispose();
        await Task.WhenAll(readers).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Empty(unexpected);
        Assert.Equal(0, wrong);
        Assert.True(completed >= 4);
    }

    [Fact]
    public void AFileDeletedWhileOpenKeepsReadingTheOriginalBytes()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // the behaviour under test, and documented, is the Unix one: Windows may refuse the delete
        }

        var original = Pattern(1000, 1);
        var path = Save("deleted.safetensors", original);
        using var file = SafeTensors.Open(path);
        File.Delete(path);
        Assert.False(File.Exists(path));
        Assert.Equal(original, Read(file, "t"));

        // A new file at the same path is a new file: the open one still reads the old bytes, a new Open the new ones.
        var replacement = Pattern(1000, 2);
        Save("deleted.safetensors", replacement);
        Assert.Equal(original, Read(file, "t"));
        using var reopened = SafeTensors.Open(path);
        Assert.Equal(replacement, Read(reopened, "t"));
    }

    [Fact]
    public void AFileReplacedByAMoveWhileOpenKeepsReadingTheOriginalBytes()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // the behaviour under test, and documented, is the Unix one: Windows may refuse the move
        }

        var original = Pattern(3000, 3);
        var path = Save("replaced.safetensors", original);
        using var file = SafeTensors.Open(path);

        // The usual way to update a checkpoint: write a new file beside it, then move it over the old one. The new
        // file even has another layout, so reading it through the old header would give wrong values.
        var replacement = Pattern(10, 4);
        var staged = Path.Combine(_folder, "replaced.safetensors.tmp");
        new SafeTensorsWriter().Add("other", [1f, 2f], [2]).Add("t", replacement, [10], SafeTensorsDType.F16).Save(staged);
        File.Move(staged, path, overwrite: true);

        Assert.Equal(original, Read(file, "t"));
        using var reopened = SafeTensors.Open(path);
        Assert.Equal(replacement, Read(reopened, "t"));
        Assert.Equal(original, Read(file, "t"));
    }

    [Fact]
    public void OpenOfADirectoryIsAnIOException()
    {
        var directory = Directory.CreateDirectory(Path.Combine(_folder, "model.safetensors")).FullName;
        var e = Assert.ThrowsAny<IOException>(() => SafeTensors.Open(directory));
        Assert.IsNotType<SafeTensorsFormatException>(e);
        Assert.Contains("directory", e.Message);
        Assert.Contains(directory, e.Message);

        // The same for a directory where an index file was expected.
        var indexDirectory = Directory.CreateDirectory(Path.Combine(_folder, "model.safetensors.index.json")).FullName;
        var indexError = Assert.ThrowsAny<IOException>(() => SafeTensors.Open(indexDirectory));
        Assert.Contains("directory", indexError.Message);
    }

    [Fact]
    public void OpenOfAnEmptyOrShortFileIsAFormatException()
    {
        foreach (var length in new[] { 0, 5 })
        {
            var path = Path.Combine(_folder, $"short{length}.safetensors");
            File.WriteAllBytes(path, new byte[length]);
            var e = Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Open(path));
            Assert.Contains($"{length} bytes long", e.Message);
        }

        var truncated = new SafeTensorsWriter().Add("t", Pattern(16, 1), [16]).ToArray();
        var truncatedPath = Path.Combine(_folder, "truncated.safetensors");
        File.WriteAllBytes(truncatedPath, truncated[..^4]);
        var error = Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Open(truncatedPath));
        Assert.Contains("'t'", error.Message);
    }

    [Fact]
    public void OpenedAndInMemoryFilesReadTheSame()
    {
        var bytes = SafeTensorsTestFiles.ValidMultiTensorFile();
        var path = Path.Combine(_folder, "same.safetensors");
        File.WriteAllBytes(path, bytes);
        using var opened = SafeTensors.Open(path);
        using var loaded = SafeTensors.Load(bytes);
        Assert.Equal(loaded.Tensors.Select(t => t.ToString()), opened.Tensors.Select(t => t.ToString()));
        Assert.Equal(loaded.Metadata, opened.Metadata);
        for (int i = 0; i < loaded.Tensors.Count; i++)
        {
            Assert.Equal(Read(loaded, loaded.Tensors[i].Name), Read(opened, opened.Tensors[i].Name));
        }
    }

    private static int MappedWindowElements(int elementSize) => MappedTensorData.WindowBytes / elementSize;

    private string Save(string name, float[] values)
    {
        var path = Path.Combine(_folder, name);
        new SafeTensorsWriter().Add("t", values, [values.Length]).Save(path);
        return path;
    }

    internal static float[] Read(SafeTensors file, string name)
    {
        Assert.True(file.TryGetTensor(name, out var tensor), $"'{name}' is missing");
        var values = new float[tensor.ElementCount];
        file.CopyTo(tensor, values);
        return values;
    }

    /// <summary>Multiples of 1/256 below 1 in magnitude: exact in F32, F16 and BF16, and different per seed and index.</summary>
    internal static float[] Pattern(int count, int seed)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = ((((long)i * 7919) + (seed * 104729L)) % 509 - 254) / 256f;
        }

        return values;
    }

    private static byte[] Encode(float[] values, string dtype)
    {
        var writer = new SafeTensorsWriter().Add("x", values, [values.Length], Enum.Parse<SafeTensorsDType>(dtype));
        var file = writer.ToArray();
        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
        return file[(8 + headerLength)..];
    }
}
