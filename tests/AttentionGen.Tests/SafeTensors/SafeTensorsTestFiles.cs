using System.Buffers.Binary;
using System.Text;

namespace AttentionGen.Tests.SafeTensorsTests;

/// Builds safetensors files by hand, so malformed ones can be written exactly as a test wants them.
internal static class SafeTensorsTestFiles
{
    public static byte[] Build(string headerJson, byte[] data) => Build(Encoding.UTF8.GetBytes(headerJson), data);

    public static byte[] Build(byte[] header, byte[] data)
    {
        var file = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)header.Length);
        header.CopyTo(file, 8);
        data.CopyTo(file, 8 + header.Length);
        return file;
    }

    /// The file body with a hand-written 8-byte length prefix that need not match the header.
    public static byte[] WithLengthPrefix(ulong headerLength, byte[] rest)
    {
        var file = new byte[8 + rest.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, headerLength);
        rest.CopyTo(file, 8);
        return file;
    }

    public static byte[] F32Bytes(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        }

        return bytes;
    }

    public static SafeTensors Load(byte[] file) => SafeTensors.Load(file);

    public static SafeTensorsFormatException Rejects(string headerJson, byte[] data) =>
        Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Load(Build(headerJson, data)));

    /// A valid three-tensor file of mixed dtypes with metadata, as the fuzz test's seed.
    public static byte[] ValidMultiTensorFile()
    {
        var random = new Random(1234);
        float[] Values(int n) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        return new SafeTensorsWriter()
            .AddMetadata("format", "pt")
            .Add("layer.q_proj.weight", Values(12), [3, 4])
            .Add("layer.q_proj.bias", Values(3), [3], SafeTensorsDType.F16)
            .Add("layer.scale", Values(1), [], SafeTensorsDType.BF16)
            .Add("layer.k_proj.weight", Values(8), [2, 2, 2])
            .Add("layer.empty", [], [0, 3])
            .ToArray();
    }
}
