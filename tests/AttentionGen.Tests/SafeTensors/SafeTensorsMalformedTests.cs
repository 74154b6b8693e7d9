namespace AttentionGen.Tests.SafeTensors;

/// <summary>Each way a file can be malformed is rejected up front with a message that says what and where.</summary>
public sealed class SafeTensorsMalformedTests
{
    private const string A = "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";

    [Theory]
    [InlineData("{" + A + "", 8, "JSON")]
    [InlineData("[1,2]", 0, "JSON object")]
    [InlineData("{" + A + "} x", 8, "JSON")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":2,\"data_offsets\":[0,8]}}", 8, "'a': shape")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[\"0\",\"8\"]}}", 8, "'a': data_offsets")]
    [InlineData("{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "'a' needs dtype")]
    [InlineData("{\"a\":{\"dtype\":\"F33\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "unknown dtype 'F33'")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, "'a' has a negative dimension")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,9]}}", 8, "'a': data_offsets must be [begin, end]")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8, "'a' has data_offsets [8, 0]")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,16]}}", 8, "outside the 8-byte data section")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "'a' is F32 [3], which needs 12 bytes")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}", 8, "'a' is F32")]
    [InlineData("{" + A + ",\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, "overlaps tensor 'a'")]
    [InlineData("{" + A + ",\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}}", 16, "hole: bytes 8..12")]
    [InlineData("{" + A + "}", 12, "4 bytes belong to no tensor")]
    [InlineData("{" + A + "," + A + "}", 8, "names 'a' twice")]
    [InlineData("{\"__metadata__\":{\"k\":1}}", 0, "__metadata__ entry 'k' must be a string")]
    public void MalformedHeader_IsRejected(string header, int dataBytes, string expectedInMessage)
    {
        var e = Assert.Throws<SafeTensorsFormatException>(() => global::AttentionGen.SafeTensors.Load(SafeTensorsFiles.Raw(header, dataBytes)));
        Assert.Contains(expectedInMessage, e.Message);
    }

    [Fact]
    public void FileShorterThanTheLengthPrefix()
    {
        var e = Assert.Throws<SafeTensorsFormatException>(() => global::AttentionGen.SafeTensors.Load(new byte[5]));
        Assert.Contains("5 bytes", e.Message);
    }

    [Fact]
    public void HeaderLengthPastTheEndOfTheFile()
    {
        var bytes = SafeTensorsFiles.Raw("{}"u8.ToArray(), [], declaredHeaderLength: 1000);
        var e = Assert.Throws<SafeTensorsFormatException>(() => global::AttentionGen.SafeTensors.Load(bytes));
        Assert.Contains("past the end of the file", e.Message);
    }

    [Fact]
    public void TruncatedFile()
    {
        var valid = SafeTensorsFiles.Valid();
        var e = Assert.Throws<SafeTensorsFormatException>(() => global::AttentionGen.SafeTensors.Load(valid.AsMemory(0, valid.Length - 3)));
        Assert.Contains("outside the", e.Message); // the last tensor now ends past the shortened data section
    }

    [Fact]
    public void FormatErrors_AreIOExceptions_SoOneHandlerCoversOpen()
    {
        Assert.IsAssignableFrom<IOException>(new SafeTensorsFormatException("x"));
    }
}
