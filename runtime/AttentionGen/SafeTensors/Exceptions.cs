namespace AttentionGen;

/// <summary>
/// A safetensors file is malformed: the message says what is wrong and, when known, in which tensor. It is an
/// <see cref="IOException"/>, so one handler around <see cref="SafeTensors.Open"/> covers unreadable and corrupt files.
/// </summary>
public class SafeTensorsFormatException : IOException
{
    /// <summary>Creates the exception with a message.</summary>
    public SafeTensorsFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the error that caused it.</summary>
    public SafeTensorsFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// A layer's weights could not be loaded from a file: a tensor is missing, has the wrong shape or a dtype that cannot
/// be read as float; the file holds tensors that show a larger model (further layers, or further parts inside the
/// declared ones); or a tied copy differs from the tensor used in its place. The layer's weights are unchanged.
/// </summary>
public class WeightLoadException : Exception
{
    /// <summary>Creates the exception for <paramref name="tensorName"/>.</summary>
    public WeightLoadException(string message, string tensorName, IReadOnlyList<int> expectedShape, IReadOnlyList<long>? actualShape)
        : this(message, tensorName, expectedShape, actualShape, problems: null)
    {
    }

    /// <summary>Creates the exception for several tensors at once; the properties describe the first.</summary>
    public WeightLoadException(string message, string tensorName, IReadOnlyList<int> expectedShape, IReadOnlyList<long>? actualShape, IReadOnlyList<WeightLoadException>? problems)
        : base(message)
    {
        TensorName = tensorName;
        ExpectedShape = expectedShape;
        ActualShape = actualShape;
        Problems = problems ?? [this];
    }

    /// <summary>Every tensor that could not be loaded, one exception each (just this one when only one failed).</summary>
    public IReadOnlyList<WeightLoadException> Problems { get; }

    /// <summary>The full name of the tensor (prefix included).</summary>
    public string TensorName { get; }

    /// <summary>The shape the layer needs; empty for a tensor the declaration has no place for.</summary>
    public IReadOnlyList<int> ExpectedShape { get; }

    /// <summary>The shape found in the file, or null when the tensor is missing.</summary>
    public IReadOnlyList<long>? ActualShape { get; }
}
