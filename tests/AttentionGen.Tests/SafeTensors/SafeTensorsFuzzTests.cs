using System.Text;
using Xunit.Abstractions;

namespace AttentionGen.Tests.SafeTensors;

/// <summary>
/// Random damage to a valid file: every case either loads and reads back fully, or throws SafeTensorsFormatException.
/// Anything else (an IndexOutOfRange from reading past the buffer, a JSON exception leaking out, a hang) fails.
/// </summary>
public sealed class SafeTensorsFuzzTests(ITestOutputHelper output)
{
    private const int Cases = 2_500;

    [Fact]
    public void MutatedFiles_LoadOrFailWithTheDocumentedException()
    {
        var valid = SafeTensorsFiles.Valid();
        var random = new Random(20261125);
        int loaded = 0, rejected = 0;
        for (int n = 0; n < Cases; n++)
        {
            var (bytes, mutation) = Mutate(valid, random);
            try
            {
                using var file = global::AttentionGen.SafeTensors.Load(bytes);
                foreach (var tensor in file.Tensors.Where(t => t.DType is SafeTensorsDType.F32 or SafeTensorsDType.F16 or SafeTensorsDType.BF16))
                {
                    file.CopyTo(tensor, new float[tensor.ElementCount]);
                    file.Require(tensor.Name, tensor.Shape.Select(d => (int)d).ToArray());
                }

                loaded++;
            }
            catch (SafeTensorsFormatException)
            {
                rejected++;
            }
            catch (Exception e)
            {
                Assert.Fail($"case {n} ({mutation}) threw {e.GetType().Name}: {e.Message}");
            }
        }

        output.WriteLine($"{Cases} mutated files: {loaded} loaded, {rejected} rejected");
        Assert.True(loaded > 0 && rejected > 0, $"a fuzz that only loads or only rejects tests little: {loaded} loaded, {rejected} rejected");
    }

    private static (byte[] Bytes, string Mutation) Mutate(byte[] valid, Random random)
    {
        var bytes = (byte[])valid.Clone();
        var headerEnd = 8 + (int)BitConverter.ToUInt64(valid, 0);
        switch (random.Next(8))
        {
            case 0:
            {
                int flips = random.Next(1, 4);
                for (int i = 0; i < flips; i++)
                {
                    bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                }

                return (bytes, $"{flips} bit flips");
            }

            case 1:
                bytes[random.Next(8, headerEnd)] = (byte)random.Next(256);
                return (bytes, "random header byte");
            case 2:
            {
                int length = random.Next(bytes.Length);
                return (bytes[..length], $"truncated to {length}");
            }

            case 3:
                return ([.. bytes, .. new byte[random.Next(1, 16)]], "bytes appended");
            case 4:
            {
                var prefix = random.Next(3) switch { 0 => (ulong)random.Next(headerEnd + 16), 1 => ulong.MaxValue - (ulong)random.Next(10), _ => (ulong)random.NextInt64() };
                BitConverter.TryWriteBytes(bytes.AsSpan(0, 8), prefix);
                return (bytes, $"header length {prefix}");
            }

            default:
            {
                var header = Encoding.UTF8.GetString(bytes, 8, headerEnd - 8);
                var edited = EditJson(header, random, out var what);
                var data = bytes[headerEnd..];
                return (SafeTensorsFiles.Raw(Encoding.UTF8.GetBytes(edited), data), what);
            }
        }
    }

    private static string EditJson(string header, Random random, out string what)
    {
        var numbers = System.Text.RegularExpressions.Regex.Matches(header, "-?[0-9]+");
        switch (random.Next(5))
        {
            case 0 when numbers.Count > 0:
            {
                var match = numbers[random.Next(numbers.Count)];
                var replacement = random.Next(4) switch { 0 => "-1", 1 => "99999999999", 2 => (int.Parse(match.Value) + random.Next(-8, 9)).ToString(), _ => "0" };
                what = $"number {match.Value} → {replacement}";
                return header[..match.Index] + replacement + header[(match.Index + match.Length)..];
            }

            case 1:
                what = "dtype changed";
                return header.Replace(random.Next(2) == 0 ? "\"F16\"" : "\"F32\"", random.Next(3) switch { 0 => "\"I64\"", 1 => "\"F64\"", _ => "\"Q4\"" });
            case 2:
                what = "name duplicated";
                return header.Replace("\"b\"", "\"a.bias\"");
            case 3:
            {
                var structural = header.Select((c, i) => (c, i)).Where(x => x.c is '{' or '}' or '[' or ']' or '"' or ',' or ':').ToArray();
                var (c, i) = structural[random.Next(structural.Length)];
                what = $"'{c}' removed at {i}";
                return header.Remove(i, 1);
            }

            default:
                what = "shape entry changed";
                return header.Replace("[2,3]", random.Next(2) == 0 ? "[3,2]" : "[2,3,1]");
        }
    }
}
