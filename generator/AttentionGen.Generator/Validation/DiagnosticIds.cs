namespace AttentionGen.Generator.Validation;

/// <summary>Every AGEN rule's ID, once. Descriptors, the validator and the tests all use these.</summary>
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
    public const string HeadTooWideForTiles = "AGEN0009";
    public const string StaticClass = "AGEN0010";
    public const string FileLocalType = "AGEN0011";
    public const string LanguageVersionTooLow = "AGEN0012";
    public const string MemberNameCollision = "AGEN0013";
    public const string ShapeTooLarge = "AGEN0014";
    public const string GeneratorFailure = "AGEN0015";
    public const string OptionOutOfRange = "AGEN0016";
    public const string UnconstructibleType = "AGEN0017";
}
