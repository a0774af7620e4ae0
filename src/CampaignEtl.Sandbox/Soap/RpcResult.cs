namespace CampaignEtl.Sandbox.Soap;

/// <summary>The return value of an operation, typed as the WSDL declares it.</summary>
internal abstract record RpcResult
{
    public static RpcResult Void { get; } = new VoidResult();

    public static RpcResult Of(string? value) => new StringResult(value);

    public static RpcResult Of(long value) => new LongResult(value);

    public static RpcResult Of(int value) => new IntResult(value);

    public static RpcResult Of(bool value) => new BoolResult(value);

    public static RpcResult Of(IReadOnlyList<string?> values) => new StringArrayResult(values);

    public static RpcResult Of(IReadOnlyList<int> values) => new IntArrayResult(values);

    public static RpcResult Of(IReadOnlyList<bool> values) => new BoolArrayResult(values);

    public static RpcResult Of(IReadOnlyList<IReadOnlyList<string?>> rows) => new StringTableResult(rows);
}

internal sealed record VoidResult : RpcResult;

internal sealed record StringResult(string? Value) : RpcResult;

internal sealed record LongResult(long Value) : RpcResult;

internal sealed record IntResult(int Value) : RpcResult;

internal sealed record BoolResult(bool Value) : RpcResult;

internal sealed record StringArrayResult(IReadOnlyList<string?> Values) : RpcResult;

internal sealed record IntArrayResult(IReadOnlyList<int> Values) : RpcResult;

internal sealed record BoolArrayResult(IReadOnlyList<bool> Values) : RpcResult;

internal sealed record StringTableResult(IReadOnlyList<IReadOnlyList<string?>> Rows) : RpcResult;
