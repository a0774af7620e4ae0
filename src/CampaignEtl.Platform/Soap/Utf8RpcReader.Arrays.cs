using System.Buffers;
using System.Globalization;
using System.Text;

namespace CampaignEtl.Platform.Soap;

/// <summary>
/// The typed fast path for array answers (result codes, flags, pages of strings and ClosedLoop rows): read as
/// <see cref="Body"/> and <see cref="RpcResult"/>'s array readers read them, without a <see cref="SoapNode"/>, id or
/// href string per element. Nodes are structs in pooled arrays, Axis's ids (<c>id</c> and a number) index them, and
/// numbers are parsed from the bytes; a 1000-code answer was 2000 node objects, 2000 strings and a dictionary.
/// Whatever it is not sure of (another form of id, anything the tree's readers would refuse) it declines: null, and
/// the caller reads the answer through the tree, which owns every error message.
/// </summary>
internal ref partial struct Utf8RpcReader
{
    // Text that is its own string: printable ASCII, tab and LF (CR, '<' and '&' stop a text run before this is asked).
    private static readonly SearchValues<byte> NotPlainText = SearchValues.Create(NotPlainTextBytes());

    private enum ArrayKind
    {
        Int,
        Boolean,
        String,
        StringMatrix,
    }

    public static int[]? TryReadIntArray(ReadOnlySpan<byte> xml, PlatformOperation operation) => (int[]?)TryReadArray(xml, operation, ArrayKind.Int);

    public static bool[]? TryReadBooleanArray(ReadOnlySpan<byte> xml, PlatformOperation operation) => (bool[]?)TryReadArray(xml, operation, ArrayKind.Boolean);

    public static string?[]? TryReadStringArray(ReadOnlySpan<byte> xml, PlatformOperation operation) => (string?[]?)TryReadArray(xml, operation, ArrayKind.String);

    public static string?[][]? TryReadStringMatrix(ReadOnlySpan<byte> xml, PlatformOperation operation) => (string?[][]?)TryReadArray(xml, operation, ArrayKind.StringMatrix);

    private static object? TryReadArray(ReadOnlySpan<byte> xml, PlatformOperation operation, ArrayKind kind)
    {
        var reader = new Utf8RpcReader(xml);
        try
        {
            if (!reader.FlatBody(operation, out var answer) || answer < 0)
            {
                return null;
            }

            return kind switch
            {
                ArrayKind.Int => reader.Ints(answer),
                ArrayKind.Boolean => reader.Booleans(answer),
                ArrayKind.String => reader.Strings(answer),
                _ => reader.Rows(answer),
            };
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
        finally
        {
            reader.ReturnPooled();
        }
    }

    /// <summary>The body as <see cref="Body"/> reads it, into flat nodes; <paramref name="answer"/> = the return part (-1: none).</summary>
    private bool FlatBody(PlatformOperation operation, out int answer)
    {
        answer = -1;
        if (!OpenBody(out var body))
        {
            return false;
        }

        var expected = operation.Name + "Response";
        var capacity = Math.Clamp(xml.Length / 64, 16, 1 << 20);
        flat = ArrayPool<FlatNode>.Shared.Rent(capacity);
        kids = ArrayPool<int>.Shared.Rent(capacity);
        pending = ArrayPool<int>.Shared.Rent(64);
        var wrapper = false;
        while (true)
        {
            if (!SkipText())
            {
                return false;
            }

            if (Peek(1) == '/')
            {
                if (!EndTag(body.Scope, body.QName, body.QNameLength))
                {
                    return false;
                }

                break;
            }

            if (!Element(out var start))
            {
                return false;
            }

            if (start.Ns == SoapNamespaces.Envelope && start.Local == "Fault")
            {
                return false;
            }

            var isWrapper = !wrapper && start.Local == expected;
            if (isWrapper && start.Ns != operation.Service.Namespace)
            {
                return false;
            }

            if (!start.Id.IsNone)
            {
                // The tree keeps a wrapper with an id as a multiRef and looks further for the answer: not ours to judge.
                if (isWrapper || !IdNumber(xml[start.Id.Start..start.Id.End], out var id))
                {
                    return false;
                }

                var node = Flat(start, 2);
                if (node < 0 || !Register(id, node))
                {
                    return false;
                }
            }
            else if (isWrapper)
            {
                wrapper = true;
                if (!Wrapper(start, out answer))
                {
                    return false;
                }
            }
            else if (!wrapper || !Skipped(start, 2))
            {
                // Before the answer, an element that is not a multiRef is refused by the tree; after it, it is read and ignored.
                return false;
            }
        }

        // As the tree: the first child of the wrapper is the return part, whatever its name.
        return wrapper && (answer >= 0 || operation.ReturnType is null);
    }

    /// <summary>The answer's wrapper: its first child element as a flat node, the rest read (so checked) and ignored.</summary>
    private bool Wrapper(in StartTag start, out int answer)
    {
        answer = -1;
        if (start.Empty)
        {
            return true;
        }

        while (true)
        {
            if (pos >= xml.Length)
            {
                return false;
            }

            if (xml[pos] != '<')
            {
                if (!TextPiece(out _, out _))
                {
                    return false;
                }

                continue;
            }

            if (Peek(1) == '/')
            {
                return EndTag(start.Scope, start.QName, start.QNameLength);
            }

            if (!Element(out var child))
            {
                return false;
            }

            if (answer < 0)
            {
                answer = Flat(child, 3);
                if (answer < 0)
                {
                    return false;
                }
            }
            else if (!Skipped(child, 3))
            {
                return false;
            }
        }
    }

    /// <summary>An element read to its end and dropped, with the tree's depth limit (which counts empty elements too).</summary>
    private bool Skipped(in StartTag start, int depth) => depth <= MaxDepth && (start.Empty || Skip(start, depth));

    /// <summary>One element as <see cref="Node"/> reads it, as a flat node: its index, or -1 to decline.</summary>
    private int Flat(in StartTag start, int depth)
    {
        if (depth > MaxDepth)
        {
            return -1;
        }

        var href = -1;
        if (!start.Href.IsNone && !HrefNumber(xml[start.Href.Start..start.Href.End], out href))
        {
            return -1;
        }

        var index = flatCount;
        if (index == flat!.Length)
        {
            Grow(ref flat, index + 1);
        }

        flatCount++;
        flat[index] = new FlatNode { Href = href, Nil = start.Nil, Text = Range.None, Decoded = -1 };
        if (start.Empty)
        {
            return index;
        }

        var mark = pendingCount;
        var text = Range.None;
        string? decoded = null;
        var pieces = 0;
        while (true)
        {
            if (pos >= xml.Length)
            {
                return -1;
            }

            if (xml[pos] != '<')
            {
                // Text runs to the next '<': a second piece only comes after a child, and no reader looks at the
                // text of a node with children (strings and numbers refuse them, arrays read only the children).
                if (!TextPiece(out var raw, out var piece))
                {
                    return -1;
                }

                if (pieces++ == 0)
                {
                    (text, decoded) = (raw, piece);
                }

                continue;
            }

            if (Peek(1) == '/')
            {
                if (!EndTag(start.Scope, start.QName, start.QNameLength))
                {
                    return -1;
                }

                ref var node = ref flat[index];
                node.Text = text;
                if (decoded is not null)
                {
                    (texts ??= []).Add(decoded);
                    node.Decoded = texts.Count - 1;
                }

                var count = pendingCount - mark;
                if (count > 0)
                {
                    if (kidCount + count > kids!.Length)
                    {
                        Grow(ref kids, kidCount + count);
                    }

                    pending.AsSpan(mark, count).CopyTo(kids.AsSpan(kidCount));
                    node.FirstChild = kidCount;
                    node.ChildCount = count;
                    kidCount += count;
                    pendingCount = mark;
                }

                return index;
            }

            if (!Element(out var childStart))
            {
                return -1;
            }

            var child = Flat(childStart, depth + 1);
            if (child < 0)
            {
                return -1;
            }

            if (pendingCount == pending!.Length)
            {
                Grow(ref pending, pendingCount + 1);
            }

            pending[pendingCount++] = child;
        }
    }

    /// <summary>
    /// Character data up to the next markup, as <see cref="Text"/> reads it: where it is in the input when it is plain
    /// ASCII (its own string), else decoded; false for what the reference reader should judge.
    /// </summary>
    private bool TextPiece(out Range raw, out string? decoded)
    {
        raw = Range.None;
        decoded = null;
        var rest = xml[pos..];

        // A code or a flag: a few plain bytes up to '<', found by hand (the searches' calls cost more than the bytes).
        var limit = Math.Min(rest.Length, 16);
        for (var i = 0; i < limit; i++)
        {
            var b = rest[i];
            if (b == '<')
            {
                raw = new(pos, pos + i);
                pos += i;
                return true;
            }

            if (b is (< 0x20 and not (byte)'\t' and not (byte)'\n') or >= 0x7F or (byte)'&' or (byte)']')
            {
                break;
            }
        }

        var stop = rest.IndexOfAny(TextStops);
        if (stop < 0)
        {
            return false;
        }

        if (rest[stop] != '<')
        {
            decoded = TextWithReferences();
            return decoded is not null;
        }

        if (rest[..stop].IndexOfAny(NotPlainText) >= 0)
        {
            decoded = Decode(rest[..stop]);
        }
        else
        {
            raw = new(pos, pos + stop);
        }

        pos += stop;
        return true;
    }

    private bool Register(int id, int node)
    {
        // Ids index a table as long as the answer's bytes at most (an id number above that is not Axis's numbering).
        if (id >= xml.Length)
        {
            return false;
        }

        if (byId is null || id >= byId.Length)
        {
            var size = Math.Max(id + 1, byId is null ? Math.Max(xml.Length / 128, 16) : byId.Length * 2);
            var bigger = ArrayPool<int>.Shared.Rent(size);
            Array.Clear(bigger);
            if (byId is not null)
            {
                byId.CopyTo(bigger, 0);
                ArrayPool<int>.Shared.Return(byId);
            }

            byId = bigger;
        }

        // A repeated id replaces the earlier node, as in the tree's dictionary.
        byId[id] = node + 1;
        return true;
    }

    /// <summary>The node an href chain ends at, as <see cref="RpcResult.Resolve"/> follows it; -1 where the tree would refuse it.</summary>
    private readonly int Resolve(int node)
    {
        for (var hops = 0; flat![node].Href is var id and >= 0; hops++)
        {
            if (hops == RpcResult.MaxHops || byId is null || id >= byId.Length || byId[id] == 0)
            {
                return -1;
            }

            node = byId[id] - 1;
        }

        return node;
    }

    /// <summary>An array's items as <see cref="RpcResult.ReadArray"/> takes them (nil or childless = none); false where it throws.</summary>
    private readonly bool Items(int node, out ReadOnlySpan<int> items)
    {
        items = default;
        node = Resolve(node);
        if (node < 0)
        {
            return false;
        }

        ref var n = ref flat![node];
        if (n.Nil || n.ChildCount == 0)
        {
            return n.Nil || IsNullOrWhiteSpace(n);
        }

        items = kids.AsSpan(n.FirstChild, n.ChildCount);
        return true;
    }

    private readonly int[]? Ints(int answer)
    {
        if (!Items(answer, out var items))
        {
            return null;
        }

        var values = new int[items.Length];
        for (var i = 0; i < values.Length; i++)
        {
            if (!Number(items[i], out var value) || value is < int.MinValue or > int.MaxValue)
            {
                return null;
            }

            values[i] = (int)value;
        }

        return values;
    }

    private readonly bool[]? Booleans(int answer)
    {
        if (!Items(answer, out var items))
        {
            return null;
        }

        var values = new bool[items.Length];
        for (var i = 0; i < values.Length; i++)
        {
            if (!Boolean(items[i], out values[i]))
            {
                return null;
            }
        }

        return values;
    }

    private readonly string?[]? Strings(int answer)
    {
        if (!Items(answer, out var items))
        {
            return null;
        }

        var values = new string?[items.Length];
        for (var i = 0; i < values.Length; i++)
        {
            if (!String(items[i], out values[i]))
            {
                return null;
            }
        }

        return values;
    }

    private readonly string?[][]? Rows(int answer)
    {
        if (!Items(answer, out var items))
        {
            return null;
        }

        var rows = new string?[items.Length][];
        for (var i = 0; i < rows.Length; i++)
        {
            if (Strings(items[i]) is not { } row)
            {
                return null;
            }

            rows[i] = row;
        }

        return rows;
    }

    /// <summary>A string as <see cref="RpcResult.ReadString"/> reads it: nil = null, no text = empty; false where it throws.</summary>
    private readonly bool String(int node, out string? value)
    {
        value = null;
        node = Resolve(node);
        if (node < 0)
        {
            return false;
        }

        ref var n = ref flat![node];
        if (n.Nil)
        {
            return true;
        }

        if (n.ChildCount > 0)
        {
            return false;
        }

        value = n.Decoded >= 0 ? texts![n.Decoded] : n.Text.IsNone ? string.Empty : AsciiText(xml[n.Text.Start..n.Text.End]);
        return true;
    }

    /// <summary>An xsd:int or xsd:long as <see cref="RpcResult.ReadInt"/> reads it (trimmed, optional sign); false where it throws.</summary>
    private readonly bool Number(int node, out long value)
    {
        value = 0;
        if (!Scalar(node, out var raw, out var decoded))
        {
            return false;
        }

        if (decoded is not null)
        {
            return long.TryParse(decoded.AsSpan().Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
        }

        raw = raw.Trim(" \t\n"u8);
        if (raw.Length is > 0 and <= 9 && raw.IndexOfAnyExceptInRange((byte)'0', (byte)'9') < 0)
        {
            // Plain digits (every result code): what TryParse reads them to, without its call.
            foreach (var digit in raw)
            {
                value = (value * 10) + (digit - '0');
            }

            return true;
        }

        return long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>An xsd:boolean as <see cref="RpcResult.ReadBoolean"/> reads it ("true", "1", "false", "0", trimmed); false where it throws.</summary>
    private readonly bool Boolean(int node, out bool value)
    {
        value = false;
        if (!Scalar(node, out var raw, out var decoded))
        {
            return false;
        }

        if (decoded is not null)
        {
            switch (decoded.Trim())
            {
                case "true" or "1":
                    value = true;
                    return true;
                case "false" or "0":
                    return true;
                default:
                    return false;
            }
        }

        raw = raw.Trim(" \t\n"u8);
        value = raw.SequenceEqual("true"u8) || raw.SequenceEqual("1"u8);
        return value || raw.SequenceEqual("false"u8) || raw.SequenceEqual("0"u8);
    }

    /// <summary>The text of a scalar that must not be nil, as bytes or decoded; false where the tree throws (nil, children).</summary>
    private readonly bool Scalar(int node, out ReadOnlySpan<byte> raw, out string? decoded)
    {
        raw = default;
        decoded = null;
        node = Resolve(node);
        if (node < 0)
        {
            return false;
        }

        ref var n = ref flat![node];
        if (n.Nil || n.ChildCount > 0)
        {
            return false;
        }

        if (n.Decoded >= 0)
        {
            decoded = texts![n.Decoded];
        }
        else if (!n.Text.IsNone)
        {
            raw = xml[n.Text.Start..n.Text.End];
        }

        return true;
    }

    private readonly bool IsNullOrWhiteSpace(in FlatNode node) =>
        node.Decoded >= 0 ? string.IsNullOrWhiteSpace(texts![node.Decoded]) : node.Text.IsNone || xml[node.Text.Start..node.Text.End].Trim(" \t\n"u8).IsEmpty;

    /// <summary>Plain ASCII text as a string; single characters from the shared table.</summary>
    private static string AsciiText(ReadOnlySpan<byte> raw) => raw.Length == 1 && raw[0] >= 0x20 ? OneChar[raw[0]] : Encoding.Latin1.GetString(raw);

    /// <summary>An id of Axis's form, <c>id</c> and a number without leading zeros; other ids are declined.</summary>
    private static bool IdNumber(ReadOnlySpan<byte> value, out int number)
    {
        number = 0;
        if (!value.StartsWith("id"u8))
        {
            return false;
        }

        var digits = value[2..];
        if (digits.IsEmpty || digits.Length > 9 || (digits[0] == '0' && digits.Length > 1))
        {
            return false;
        }

        foreach (var b in digits)
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                return false;
            }

            number = (number * 10) + (b - '0');
        }

        return true;
    }

    /// <summary>An href as the tree resolves it: <c>#</c> and an id (or the id alone), the id of Axis's form.</summary>
    private static bool HrefNumber(ReadOnlySpan<byte> value, out int number) =>
        IdNumber(value.Length > 0 && value[0] == '#' ? value[1..] : value, out number);

    private static void Grow<T>(ref T[] array, int needed)
    {
        var bigger = ArrayPool<T>.Shared.Rent(Math.Max(needed, array.Length * 2));
        array.CopyTo(bigger, 0);
        ArrayPool<T>.Shared.Return(array);
        array = bigger;
    }

    private void ReturnPooled()
    {
        if (flat is not null)
        {
            ArrayPool<FlatNode>.Shared.Return(flat);
        }

        if (kids is not null)
        {
            ArrayPool<int>.Shared.Return(kids);
        }

        if (pending is not null)
        {
            ArrayPool<int>.Shared.Return(pending);
        }

        if (byId is not null)
        {
            ArrayPool<int>.Shared.Return(byId);
        }

        (flat, kids, pending, byId) = (null, null, null, null);
    }

    private static byte[] NotPlainTextBytes()
    {
        var bytes = new List<byte>();
        for (var b = 0; b <= 0xFF; b++)
        {
            if (b is (< 0x20 and not '\t' and not '\n') or >= 0x7F)
            {
                bytes.Add((byte)b);
            }
        }

        return [.. bytes];
    }

    /// <summary>One element: the id its href points at (-1: none), nil, its first text piece (raw or decoded), its children in <see cref="kids"/>.</summary>
    private struct FlatNode
    {
        public int Href;
        public bool Nil;
        public Range Text;
        public int Decoded;
        public int FirstChild;
        public int ChildCount;
    }
}
