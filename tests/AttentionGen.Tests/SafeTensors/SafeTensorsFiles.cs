using System.Buffers.Binary;
using System.Text;

namespace AttentionGen.Tests.SafeTensors;

/// <summary>Builds safetensors bytes by hand, so tests can write headers no well-behaved writer would.</summary>
internal static class SafeTensorsFiles
{
    public static byte[] Raw(string headerJson, int dataBytes) => Raw(Encoding.UTF8.GetBytes(headerJson), new byte[dataBytes]);

    public static byte[] Raw(byte[] header, byte[] data, ulong? declaredHeaderLength = null)
    {
        var file = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, declaredHeaderLength ?? (ulong)header.Length);
        header.CopyTo(file, 8);
        data.CopyTo(file, 8 + header.Length);
        return file;
    }

    /// <summary>Three float tensors of different dtypes plus metadata: the fuzz test's starting point.</summary>
    public static byte[] Valid() =>
        new SafeTensorsWriter()
            .AddMetadata("format", "pt")
            .Add("a.weight", [1f, -2f, 3.5f, 0.25f, 7f, -8f], [2, 3])
            .Add("a.bias", [0.5f, -0.5f], [2], SafeTensorsDType.F16)
            .Add("b", [1.5f, 2.5f, -3.5f, 4.5f], [2, 2], SafeTensorsDType.BF16)
            .ToArray();
}
