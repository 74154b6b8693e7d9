namespace AttentionGen.OnnxImport;

/// <summary>
/// An ONNX file could not be imported: it is unreadable, or its graph holds something the importer does not understand.
/// The message names the file and the initializer, node or tensor concerned. No output file is left behind. It is an
/// <see cref="IOException"/>, so one handler covers unreadable and unimportable files.
/// </summary>
public sealed class OnnxImportException : IOException
{
    /// <summary>Creates the exception with a message.</summary>
    public OnnxImportException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the error that caused it.</summary>
    public OnnxImportException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
