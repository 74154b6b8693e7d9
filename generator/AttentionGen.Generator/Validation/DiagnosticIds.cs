namespace AttentionGen.Generator.Validation;

/// <summary>The diagnostic IDs, one per rule. Keep in step with AnalyzerReleases.Unshipped.md.</summary>
internal static class DiagnosticIds
{
    public const string NotPartial = "AGEN0001";
    public const string Generic = "AGEN0002";
    public const string NonPositiveDimension = "AGEN0003";
    public const string ModelDimNotDivisibleByHeads = "AGEN0004";
    public const string HeadsNotDivisibleByKvHeads = "AGEN0005";
    public const string InvalidScale = "AGEN0006";
    public const string InvalidSoftcap = "AGEN0007";
    public const string MultipleLayerAttributes = "AGEN0008";
    public const string ShapeTooLargeToUnroll = "AGEN0009";
}
