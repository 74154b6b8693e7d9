using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace AttentionGen.Tests.SafeTensorsTests;

/// <summary>
/// Seeded random mutations of a valid multi-tensor file, at the byte level and at the JSON level. Each mutated file
/// must either load — and then every float tensor must copy out and pass <see cref="SafeTensors.Require"/> with its
/// own shape — or be refused with <see cref="SafeTensorsFormatException"/>. Any other exception is a bug.
/// </summary>
[Trait("Category", "SafeTensors")]
public sealed partial class SafeTensorsFuzzTests(ITestOutputHelper output)
{
    private const int Cases = 3000;
    private const int BaseSeed = 20240611;

    private static readonly string[] DTypes =
        ["F32", "F16", "BF16", "F64", "I64", "I32", "U8", "BOOL", "F8_E4M3", "F33", "f32", "", "F32 ", "11", "F16,U8"];

    private delegate byte[] Mutation(Random random, byte[] file, string header, byte[] data, out string description);

    [Fact]
    public void MutatedFilesLoadOrAreRefusedWithAFormatException()
    {
        var original = SafeTensorsTestFiles.ValidMultiTensorFile();
        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(original);
        var header = Encoding.UTF8.GetString(original, 8, headerLength);
        var data = original[(8 + headerLength)..];

        // The seed file itself must load, or every mutation would trivially be "rejected".
        using (var seedFile = SafeTensors.Load(original))
        {
            Assert.Equal(5, seedFile.Tensors.Count);
        }

        (string Name, Mutation Apply)[] mutations =
        [
            ("bit flips", BitFlips),
            ("byte changes", ByteChanges),
            ("truncation", Truncate),
            ("appended bytes", Append),
            ("length prefix edit", EditLengthPrefix),
            ("offset number edit", EditOffset),
            ("dtype edit", EditDType),
            ("shape entry edit", EditShape),
            ("duplicate name", DuplicateName),
            ("deleted punctuation", DeletePunctuation),
            ("any number edit", EditAnyNumber),
        ];

        var loadedByKind = new int[mutations.Length];
        var rejectedByKind = new int[mutations.Length];
        var failures = new List<string>();
        for (int i = 0; i < Cases; i++)
        {
            var seed = BaseSeed + i;
            var random = new Random(seed);
            var kind = random.Next(mutations.Length);
            var mutated = mutations[kind].Apply(random, original, header, data, out var description);
            try
            {
                CheckLoadedFile(mutated);
                loadedByKind[kind]++;
            }
            catch (SafeTensorsFormatException e)
            {
                if (string.IsNullOrWhiteSpace(e.Message))
                {
                    failures.Add($"seed {seed}, {mutations[kind].Name} ({description}): rejected with an empty message");
                }

                rejectedByKind[kind]++;
            }
            catch (Exception e)
            {
                failures.Add($"seed {seed}, {mutations[kind].Name} ({description}): {e.GetType().Name}: {e.Message}");
            }
        }

        for (int k = 0; k < mutations.Length; k++)
        {
            output.WriteLine($"{mutations[k].Name,-20} loaded {loadedByKind[k],5}  rejected {rejectedByKind[k],5}");
        }

        var loaded = loadedByKind.Sum();
        var rejected = rejectedByKind.Sum();
        output.WriteLine($"{"total",-20} loaded {loaded,5}  rejected {rejected,5}  failures {failures.Count}");

        Assert.True(failures.Count == 0, $"{failures.Count} of {Cases} cases failed:\n{string.Join("\n", failures.Take(20))}");
        Assert.True(loaded > 0, "no mutated file loaded: the fuzz test would pass vacuously");
        Assert.True(rejected > 0, "no mutated file was rejected: the mutations do not reach the validation");
        Assert.Equal(Cases, loaded + rejected);
    }

    /// Everything a caller may do with a file that loaded must work, and its layout must be self-consistent.
    private static void CheckLoadedFile(byte[] bytes)
    {
        using var file = SafeTensors.Load(bytes);
        var dataLength = bytes.Length - 8 - (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        long covered = 0;
        foreach (var tensor in file.Tensors)
        {
            Assert.True(tensor.DataOffset >= 0 && tensor.DataOffset + tensor.ByteLength <= dataLength, $"{tensor} lies outside the data");
            Assert.Equal(tensor.ElementCount * SizeOf(tensor.DType), tensor.ByteLength);
            Assert.True(file.TryGetTensor(tensor.Name, out var found) && ReferenceEquals(found, tensor));
            covered += tensor.ByteLength;

            if (tensor.DType is not (SafeTensorsDType.F32 or SafeTensorsDType.F16 or SafeTensorsDType.BF16))
            {
                continue;
            }

            var destination = new float[tensor.ElementCount];
            file.CopyTo(tensor, destination);

            // A dimension past int range can only sit beside a zero; Require takes int dims, so such a shape is not expressible.
            if (tensor.Shape.All(d => d <= int.MaxValue))
            {
                var shape = tensor.Shape.Select(d => (int)d).ToArray();
                Assert.Same(tensor, file.Require(tensor.Name, shape));
            }
        }

        Assert.Equal(dataLength, covered);
    }

    private static int SizeOf(SafeTensorsDType dtype) => dtype switch
    {
        SafeTensorsDType.BOOL or SafeTensorsDType.U8 or SafeTensorsDType.I8 or SafeTensorsDType.F8_E4M3 or SafeTensorsDType.F8_E5M2 => 1,
        SafeTensorsDType.U16 or SafeTensorsDType.I16 or SafeTensorsDType.F16 or SafeTensorsDType.BF16 => 2,
        SafeTensorsDType.U32 or SafeTensorsDType.I32 or SafeTensorsDType.F32 => 4,
        _ => 8,
    };

    private static byte[] BitFlips(Random random, byte[] file, string header, byte[] data, out string description)
    {
        var mutated = (byte[])file.Clone();
        var positions = new List<string>();
        for (int n = random.Next(1, 5); n > 0; n--)
        {
            var at = random.Next(mutated.Length);
            var bit = random.Next(8);
            mutated[at] ^= (byte)(1 << bit);
            positions.Add($"byte {at} bit {bit}");
        }

        description = string.Join(", ", positions);
        return mutated;
    }

    private static byte[] ByteChanges(Random random, byte[] file, string header, byte[] data, out string description)
    {
        var mutated = (byte[])file.Clone();
        var changes = new List<string>();
        for (int n = random.Next(1, 5); n > 0; n--)
        {
            var at = random.Next(mutated.Length);
            var value = (byte)random.Next(256);
            mutated[at] = value;
            changes.Add($"byte {at} = 0x{value:X2}");
        }

        description = string.Join(", ", changes);
        return mutated;
    }

    private static byte[] Truncate(Random random, byte[] file, string header, byte[] data, out string description)
    {
        var length = random.Next(file.Length);
        description = $"first {length} of {file.Length} bytes";
        return file[..length];
    }

    private static byte[] Append(Random random, byte[] file, string header, byte[] data, out string description)
    {
        var extra = new byte[random.Next(1, 17)];
        random.NextBytes(extra);
        description = $"{extra.Length} bytes appended";
        return [.. file, .. extra];
    }

    private static byte[] EditLengthPrefix(Random random, byte[] file, string header, byte[] data, out string description)
    {
        var actual = BinaryPrimitives.ReadUInt64LittleEndian(file);
        ulong value = random.Next(6) switch
        {
            0 => actual + (ulong)random.Next(1, 9),
            1 => actual - (ulong)random.Next(1, 9),
            2 => 0,
            3 => (ulong)file.Length,
            4 => (ulong)random.NextInt64(long.MinValue, long.MaxValue),
            _ => (ulong)random.Next(file.Length - 8),
        };
        var mutated = (byte[])file.Clone();
        BinaryPrimitives.WriteUInt64LittleEndian(mutated, value);
        description = $"header length {actual} → {value}";
        return mutated;
    }

    private static byte[] EditOffset(Random random, byte[] file, string header, byte[] data, out string description)
    {
        var offsets = OffsetsArray().Matches(header).SelectMany(m => m.Groups["n"].Captures).ToList();
        return ReplaceNumber(random, header, data, offsets, "offset", out description);
    }

    private static byte[] EditShape(Random random, byte[] file, string header, byte[] data, out string description)
    {
        var dims = ShapeArray().Matches(header).SelectMany(m => m.Groups["n"].Captures).ToList();
        return ReplaceNumber(random, header, data, dims, "shape entry", out description);
    }

    private static byte[] EditAnyNumber(Random random, byte[] file, string header, byte[] data, out string description)
    {
        var numbers = AnyNumber().Matches(header).Cast<Capture>().ToList();
        return ReplaceNumber(random, header, data, numbers, "number", out description);
    }

    private static byte[] ReplaceNumber(Random random, string header, byte[] data, List<Capture> numbers, string what, out string description)
    {
        var target = numbers[random.Next(numbers.Count)];
        var old = long.Parse(target.Value);
        var replacement = random.Next(9) switch
        {
            0 => (old + 1).ToString(),
            1 => (old - 1).ToString(),
            2 => (old * 2).ToString(),
            3 => "0",
            4 => random.Next(64).ToString(),
            5 => (-random.Next(1, 100)).ToString(),
            6 => long.MaxValue.ToString(),
            7 => "4294967296",
            _ => numbers[random.Next(numbers.Count)].Value, // another number of the header: often a plausible value
        };
        var edited = header[..target.Index] + replacement + header[(target.Index + target.Length)..];
        description = $"{what} at char {target.Index}: {target.Value} → {replacement}";
        return SafeTensorsTestFiles.Build(edited, data);
    }

    private static byte[] EditDType(Random random, byte[] file, string header, byte[] data, out string description)
    {
        var dtypes = DTypeValue().Matches(header).Select(m => m.Groups["d"]).ToList();
        var target = dtypes[random.Next(dtypes.Count)];
        var replacement = DTypes[random.Next(DTypes.Length)];
        var edited = header[..target.Index] + replacement + header[(target.Index + target.Length)..];
        description = $"dtype at char {target.Index}: {target.Value} → '{replacement}'";
        return SafeTensorsTestFiles.Build(edited, data);
    }

    private static byte[] DuplicateName(Random random, byte[] file, string header, byte[] data, out string description)
    {
        var names = TensorName().Matches(header).Select(m => m.Groups["name"]).ToList();
        var target = names[random.Next(names.Count)];
        var source = names[random.Next(names.Count)].Value;
        if (source == target.Value)
        {
            source = "__metadata__";
        }

        var edited = header[..target.Index] + source + header[(target.Index + target.Length)..];
        description = $"name '{target.Value}' → '{source}'";
        return SafeTensorsTestFiles.Build(edited, data);
    }

    private static byte[] DeletePunctuation(Random random, byte[] file, string header, byte[] data, out string description)
    {
        var positions = Enumerable.Range(0, header.Length).Where(i => "{}[]\":,".Contains(header[i])).ToList();
        var at = positions[random.Next(positions.Count)];
        var edited = header.Remove(at, 1);
        description = $"deleted '{header[at]}' at char {at}";

        // Usually with a matching length prefix, so the JSON parser sees it; sometimes keep the old, now wrong, length.
        return random.Next(4) == 0
            ? SafeTensorsTestFiles.WithLengthPrefix((ulong)header.Length, [.. Encoding.UTF8.GetBytes(edited), .. data])
            : SafeTensorsTestFiles.Build(edited, data);
    }

    [GeneratedRegex("\"data_offsets\":\\[(?:(?<n>-?\\d+),?)*\\]")]
    private static partial Regex OffsetsArray();

    [GeneratedRegex("\"shape\":\\[(?:(?<n>-?\\d+),?)*\\]")]
    private static partial Regex ShapeArray();

    [GeneratedRegex("-?\\d+")]
    private static partial Regex AnyNumber();

    [GeneratedRegex("\"dtype\":\"(?<d>[^\"]*)\"")]
    private static partial Regex DTypeValue();

    [GeneratedRegex("\"(?<name>[^\"]+)\":\\{\"dtype\"")]
    private static partial Regex TensorName();
}
