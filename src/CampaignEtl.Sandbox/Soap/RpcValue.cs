using System.Globalization;

namespace CampaignEtl.Sandbox.Soap;

/// <summary>A decoded rpc/encoded value of a request: a scalar (text, null when nil), an array, or an unresolved href.</summary>
internal sealed class RpcValue
{
    private RpcValue(string? text, List<RpcValue>? items, string? href)
    {
        Text = text;
        Items = items;
        Href = href;
    }

    public static RpcValue Nil { get; } = new(null, null, null);

    public string? Text { get; }

    public List<RpcValue>? Items { get; }

    public string? Href { get; }

    public bool IsArray => Items is not null;

    public static RpcValue Scalar(string? text) => text is null ? Nil : new RpcValue(text, null, null);

    public static RpcValue Array(List<RpcValue> items) => new(null, items, null);

    public static RpcValue Reference(string id) => new(null, null, id);
}

/// <summary>A parsed call: service, operation and the positional parts in0..inN, references resolved.</summary>
internal sealed class RpcCall
{
    public RpcCall(string service, string operation, IReadOnlyList<RpcValue> parts)
    {
        Service = service;
        Operation = operation;
        Parts = parts;
    }

    public string Service { get; }

    public string Operation { get; }

    public IReadOnlyList<RpcValue> Parts { get; }

    public RpcValue Part(int index) => index < Parts.Count
        ? Parts[index]
        : throw SandboxFault.BadRequest(Invariant($"{Operation}: part in{index} is missing"));

    public string? String(int index)
    {
        var value = Part(index);
        return value.IsArray ? throw SandboxFault.BadRequest(Invariant($"{Operation}: part in{index} must be a scalar")) : value.Text;
    }

    public string RequiredString(int index) =>
        String(index) ?? throw SandboxFault.BadRequest(Invariant($"{Operation}: part in{index} must not be nil"));

    public long Long(int index) => long.TryParse(RequiredString(index).Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v)
        ? v
        : throw SandboxFault.BadRequest(Invariant($"{Operation}: part in{index} is not a long"));

    public int Int(int index) => int.TryParse(RequiredString(index).Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v)
        ? v
        : throw SandboxFault.BadRequest(Invariant($"{Operation}: part in{index} is not an int"));

    public bool Bool(int index) => RequiredString(index).Trim() switch
    {
        "true" or "1" => true,
        "false" or "0" => false,
        _ => throw SandboxFault.BadRequest(Invariant($"{Operation}: part in{index} is not a boolean")),
    };

    /// <summary>A string[]; nil gives an empty list.</summary>
    public List<string?> StringArray(int index)
    {
        var value = Part(index);
        if (value.Items is null)
        {
            return value.Text is null ? [] : throw SandboxFault.BadRequest(Invariant($"{Operation}: part in{index} must be an array"));
        }

        var result = new List<string?>(value.Items.Count);
        foreach (var item in value.Items)
        {
            result.Add(item.IsArray ? throw SandboxFault.BadRequest(Invariant($"{Operation}: part in{index} must be a one-dimensional array")) : item.Text);
        }

        return result;
    }

    /// <summary>A string[][]; nil gives an empty list, a nil row an empty row.</summary>
    public List<List<string?>> StringArrayArray(int index)
    {
        var value = Part(index);
        if (value.Items is null)
        {
            return value.Text is null ? [] : throw SandboxFault.BadRequest(Invariant($"{Operation}: part in{index} must be an array of arrays"));
        }

        var result = new List<List<string?>>(value.Items.Count);
        foreach (var row in value.Items)
        {
            if (row.Items is null)
            {
                result.Add(row.Text is null ? [] : throw SandboxFault.BadRequest(Invariant($"{Operation}: part in{index} must be an array of arrays")));
                continue;
            }

            result.Add(row.Items.ConvertAll(item => item.IsArray ? throw SandboxFault.BadRequest(Invariant($"{Operation}: part in{index} is nested too deep")) : item.Text));
        }

        return result;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
