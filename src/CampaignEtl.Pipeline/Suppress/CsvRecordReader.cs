using System.Text;
using System.Text.Unicode;

namespace CampaignEtl.Pipeline.Suppress;

/// <summary>One CSV record: the line it starts on and its fields, or why it cannot be read (fields then null).</summary>
internal readonly record struct CsvRecord(long Line, string[]? Fields, string? Error);

/// <summary>
/// A strict RFC 4180 reader over bytes, for files the platform wrote: it knows the line each record
/// starts on, so every reject points at a line. A record with bytes that are not UTF-8 comes back with
/// the error <c>invalid-utf8</c> (the stage rejects that line and reads on: the other records are
/// intact); a quote that is never closed swallows the rest of the file, so it throws
/// <see cref="CsvQuoteException"/> with the line where the quoted field started. Holds one record at a time.
/// </summary>
internal sealed class CsvRecordReader(Stream stream)
{
    public const string InvalidUtf8 = "invalid-utf8";
    public const string StrayQuote = "stray-quote";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    /// <summary>The longest record read; a longer one fails the file (see <see cref="ReadRecord"/>).</summary>
    internal const int MaxRecordBytes = 64 * 1024;

    private readonly List<byte> _bytes = [];
    private readonly List<(int Start, int End)> _fields = [];
    private long _line = 1;
    private bool _started;

    public bool TryRead(out CsvRecord record)
    {
        if (!_started)
        {
            _started = true;
            SkipByteOrderMark();
        }

        while (true)
        {
            var start = _line;
            var result = ReadRecord(out var error);
            if (result == Ended.File && _fields.Count == 0)
            {
                record = default;
                return false;
            }

            // Empty lines carry no record.
            if (_fields.Count == 1 && _fields[0].Start == _fields[0].End && error is null)
            {
                if (result == Ended.File)
                {
                    record = default;
                    return false;
                }

                continue;
            }

            record = error is null ? Decode(start) : new CsvRecord(start, null, error);
            return true;
        }
    }

    private enum Ended
    {
        Record,
        File,
    }

    private Ended ReadRecord(out string? error)
    {
        _bytes.Clear();
        _fields.Clear();
        error = null;
        var fieldStart = 0;
        var quoted = false;
        var afterQuote = false;
        var atFieldStart = true;
        var quoteLine = _line;
        while (true)
        {
            if (_bytes.Count > MaxRecordBytes)
            {
                // No real suppression record is this long: an unclosed quote (or a file that is not CSV)
                // would otherwise pull the rest of the file into memory before failing.
                throw new CsvQuoteException(quoteLine, quoted && !afterQuote
                    ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"a quote opened on line {quoteLine} is not closed within {MaxRecordBytes / 1024} KiB")
                    : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"the record starting on line {quoteLine} is longer than {MaxRecordBytes / 1024} KiB"));
            }

            var b = stream.ReadByte();
            if (b < 0)
            {
                if (quoted && !afterQuote)
                {
                    throw new CsvQuoteException(quoteLine);
                }

                if (_bytes.Count > 0 || _fields.Count > 0)
                {
                    _fields.Add((fieldStart, _bytes.Count));
                }

                return Ended.File;
            }

            if (b == '\n')
            {
                _line++;
            }

            if (quoted && !afterQuote)
            {
                if (b == '"')
                {
                    afterQuote = true;
                }
                else
                {
                    _bytes.Add((byte)b);
                }

                continue;
            }

            if (afterQuote && b == '"')
            {
                _bytes.Add((byte)'"');
                afterQuote = false;
                continue;
            }

            switch (b)
            {
                case ',':
                    _fields.Add((fieldStart, _bytes.Count));
                    fieldStart = _bytes.Count;
                    quoted = afterQuote = false;
                    atFieldStart = true;
                    continue;
                case '\r':
                    continue;
                case '\n':
                    _fields.Add((fieldStart, _bytes.Count));
                    return Ended.Record;
                case '"' when atFieldStart:
                    quoted = true;
                    quoteLine = _line;
                    atFieldStart = false;
                    continue;
                case '"':
                    // A quote inside an unquoted field, or text after a closing quote: not RFC 4180.
                    error ??= StrayQuote;
                    _bytes.Add((byte)b);
                    continue;
                default:
                    if (afterQuote)
                    {
                        error ??= StrayQuote;
                    }

                    _bytes.Add((byte)b);
                    atFieldStart = false;
                    continue;
            }
        }
    }

    private CsvRecord Decode(long line)
    {
        var bytes = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_bytes);
        if (!Utf8.IsValid(bytes))
        {
            return new CsvRecord(line, null, InvalidUtf8);
        }

        var fields = new string[_fields.Count];
        for (var i = 0; i < fields.Length; i++)
        {
            var (start, end) = _fields[i];
            fields[i] = StrictUtf8.GetString(bytes[start..end]);
        }

        return new CsvRecord(line, fields, null);
    }

    private void SkipByteOrderMark()
    {
        if (!stream.CanSeek)
        {
            return;
        }

        Span<byte> head = stackalloc byte[3];
        var read = stream.ReadAtLeast(head, 3, throwOnEndOfStream: false);
        if (read == 3 && head[0] == 0xEF && head[1] == 0xBB && head[2] == 0xBF)
        {
            return;
        }

        stream.Seek(-read, SeekOrigin.Current);
    }
}

/// <summary>A quoted field never closed: everything after it would be read as one value.</summary>
internal sealed class CsvQuoteException(long line, string message) : Exception(message)
{
    public CsvQuoteException(long line)
        : this(line, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"a quote opened on line {line} is never closed"))
    {
    }

    public long Line { get; } = line;
}
