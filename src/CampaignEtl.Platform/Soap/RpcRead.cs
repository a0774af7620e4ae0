using System.Diagnostics.CodeAnalysis;

namespace CampaignEtl.Platform.Soap;

/// <summary>A typed read of an answer's raw bytes; null = declined (the tree reads it instead).</summary>
internal delegate T? Utf8Read<T>(ReadOnlySpan<byte> xml, PlatformOperation operation)
    where T : class;

/// <summary>
/// How a call's answer becomes its value: from the node tree, which both the fast reader and the XmlReader path build
/// and which owns every error message; <see cref="TypedRpcRead{T}"/> adds a read straight from the bytes, tried first.
/// </summary>
internal class RpcRead<T>(Func<RpcResult, T> tree)
{
    public T Read(RpcResult result) => tree(result);

    /// <summary>The value read from the raw answer without a tree, or false: then the tree reads it.</summary>
    public virtual bool TryReadTyped(ReadOnlySpan<byte> xml, PlatformOperation operation, [MaybeNullWhen(false)] out T value)
    {
        value = default;
        return false;
    }
}

/// <summary>An array answer: the typed reader first (<see cref="Utf8RpcReader"/>), the tree for whatever it declines.</summary>
internal sealed class TypedRpcRead<T>(Func<RpcResult, T> tree, Utf8Read<T> typed) : RpcRead<T>(tree)
    where T : class
{
    public override bool TryReadTyped(ReadOnlySpan<byte> xml, PlatformOperation operation, [MaybeNullWhen(false)] out T value)
    {
        value = typed(xml, operation);
        return value is not null;
    }
}

/// <summary>The reads of the array answers the client uses.</summary>
internal static class RpcReads
{
    public static RpcRead<int[]> IntArray { get; } = new TypedRpcRead<int[]>(static r => r.ReadIntArray(r.Return), Utf8RpcReader.TryReadIntArray);

    public static RpcRead<bool[]> BooleanArray { get; } = new TypedRpcRead<bool[]>(static r => r.ReadBooleanArray(r.Return), Utf8RpcReader.TryReadBooleanArray);

    public static RpcRead<string?[]> StringArray { get; } = new TypedRpcRead<string?[]>(static r => r.ReadStringArray(r.Return), Utf8RpcReader.TryReadStringArray);

    public static RpcRead<string?[][]> StringMatrix { get; } = new TypedRpcRead<string?[][]>(static r => r.ReadStringMatrix(r.Return), Utf8RpcReader.TryReadStringMatrix);
}
