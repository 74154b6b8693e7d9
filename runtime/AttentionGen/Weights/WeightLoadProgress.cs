namespace AttentionGen;

/// <summary>How far loading weights has got: reported once before the first tensor and after each one.</summary>
/// <param name="TensorsLoaded">Tensors read and stored so far.</param>
/// <param name="TensorCount">Tensors to load in all.</param>
/// <param name="BytesLoaded">Bytes of the file read so far.</param>
/// <param name="TotalBytes">Bytes of the file the tensors occupy.</param>
public readonly record struct WeightLoadProgress(int TensorsLoaded, int TensorCount, long BytesLoaded, long TotalBytes)
{
    /// <summary>The fraction done, from 0 to 1, by bytes.</summary>
    public double Fraction => TotalBytes == 0 ? 1 : (double)BytesLoaded / TotalBytes;
}
