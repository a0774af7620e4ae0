using System.Text;

namespace CampaignEtl.Sandbox.Mailings;

/// <summary>RFC 4180 fields: quoted only when they hold a comma, a quote, CR or LF; quotes doubled; lines end in CRLF.</summary>
internal static class CsvLine
{
    public static void Write(TextWriter writer, params ReadOnlySpan<string?> fields)
    {
        for (var i = 0; i < fields.Length; i++)
        {
            if (i > 0)
            {
                writer.Write(',');
            }

            var field = fields[i] ?? string.Empty;
            if (field.AsSpan().IndexOfAny(",\"\r\n") < 0)
            {
                writer.Write(field);
                continue;
            }

            writer.Write('"');
            writer.Write(field.Replace("\"", "\"\"", StringComparison.Ordinal));
            writer.Write('"');
        }

        writer.Write("\r\n");
    }

    public static readonly Encoding Utf8NoBom = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
}

/// <summary>Writes a drop file under a temporary name and publishes it under the first free name <c>prefix_seq.csv</c> (seq from 1); nothing is overwritten.</summary>
internal static class DropFile
{
    public static async Task<string> WriteAsync(string folder, string prefix, Func<TextWriter, Task> write, CancellationToken ct)
    {
        Directory.CreateDirectory(folder);
        var temp = Path.Combine(folder, "." + prefix + "_" + Guid.NewGuid().ToString("N") + ".tmp");
        try
        {
            await using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 65536, useAsync: true))
            await using (var writer = new StreamWriter(stream, CsvLine.Utf8NoBom, 65536))
            {
                writer.NewLine = "\r\n";
                await write(writer);
                await writer.FlushAsync(ct);
                stream.Flush(flushToDisk: true);
            }

            for (var seq = 1; ; seq++)
            {
                var target = Path.Combine(folder, prefix + "_" + seq.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".csv");
                if (File.Exists(target))
                {
                    continue;
                }

                try
                {
                    File.Move(temp, target, overwrite: false);
                    return target;
                }
                catch (IOException) when (File.Exists(target))
                {
                    // taken concurrently: try the next number
                }
            }
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
