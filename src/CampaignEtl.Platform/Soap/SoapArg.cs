namespace CampaignEtl.Platform.Soap;

internal enum SoapArgKind
{
    Nil,
    String,
    Long,
    Int,
    Boolean,
    StringArray,
    StringArrayArray,
}

/// <summary>One request part value. Arrays are referenced, never copied, so a 10 000-value batch costs nothing here.</summary>
internal readonly struct SoapArg
{
    private SoapArg(SoapArgKind kind, long number, object? reference)
    {
        Kind = kind;
        Number = number;
        Reference = reference;
    }

    public SoapArgKind Kind { get; }

    public long Number { get; }

    public object? Reference { get; }

    public static SoapArg Nil => new(SoapArgKind.Nil, 0, null);

    public static SoapArg String(string? value) => value is null ? Nil : new(SoapArgKind.String, 0, value);

    public static SoapArg Long(long value) => new(SoapArgKind.Long, value, null);

    public static SoapArg Int(int value) => new(SoapArgKind.Int, value, null);

    public static SoapArg Boolean(bool value) => new(SoapArgKind.Boolean, value ? 1 : 0, null);

    public static SoapArg StringArray(IReadOnlyList<string?>? values) => values is null ? Nil : new(SoapArgKind.StringArray, 0, values);

    public static SoapArg StringArrayArray(IReadOnlyList<IReadOnlyList<string?>>? values) => values is null ? Nil : new(SoapArgKind.StringArrayArray, 0, values);

    /// <summary>The WSDL type a part must have to carry this kind; <see cref="SoapArgKind.Nil"/> fits any.</summary>
    public static string? WsdlType(SoapArgKind kind) => kind switch
    {
        SoapArgKind.String => PlatformContract.XsdString,
        SoapArgKind.Long => PlatformContract.XsdLong,
        SoapArgKind.Int => PlatformContract.XsdInt,
        SoapArgKind.Boolean => PlatformContract.XsdBoolean,
        SoapArgKind.StringArray => PlatformContract.StringArray,
        SoapArgKind.StringArrayArray => PlatformContract.StringArrayArray,
        _ => null,
    };
}
