using System.Globalization;
using System.Text;
using CampaignEtl.Pipeline.Archive;
using CampaignEtl.Pipeline.Csv;
using CampaignEtl.Pipeline.Export;
using CampaignEtl.Pipeline.Options;
using CampaignEtl.Pipeline.Runs;
using CsvHelper;

namespace CampaignEtl.Commands.BenchJob;

/// <summary>
/// The response export files of the bench night, written into the drop the ingest reads, for the people the
/// export of this run really exported: the mix of <c>bench ingest</c> (a send for everyone, ~2 % bounces, a
/// quarter of them hard, ~25 % opens, ~5 % clicks, ~0.5 % unsubscribes), grouped by recipient. Pass k goes over
/// the run's export file k (modulo the files) as mailing <see cref="FirstMailing"/> + k, so N events can exceed
/// the exported people; the files are streamed, nothing is held per recipient.
/// </summary>
internal static class JobResponseFiles
{
    /// <summary>The bench's campaigns are linked to mailings FirstMailing .. FirstMailing + Mailings - 1 (Campaign mode).</summary>
    public const long FirstMailing = 7001;

    public const int Mailings = 8;

    private static readonly string[] Header = ["event-type", "occurred-at", "mailing-id", "recipient-id", "email", "list-id", "link-url", "bounce-reason"];

    /// <summary>Writes exactly <paramref name="count"/> events; returns the files written.</summary>
    public static async Task<IReadOnlyList<string>> WriteAsync(
        StageContext context, IReadOnlyList<RecipientListOptions> lists, string drop, int count, DateOnly day, CancellationToken cancellationToken)
    {
        var journal = context.RequireJournal();
        var export = await journal.LastSucceededAttemptAsync(context.Run.RunId, StageName.Export, cancellationToken)
            ?? throw new InvalidOperationException("bench job: the run has no succeeded export to answer");
        var records = await journal.ListFilesAsync(export.Id, cancellationToken);
        var layout = context.RequireArchiveRoot();
        var sources = new List<(string Path, long ListId)>();
        foreach (var list in lists)
        {
            var name = ExportFileNames.Export(list, context.Run.RunId, export.Attempt);
            if (records.FirstOrDefault(r => r.Name == name) is { } record)
            {
                sources.Add((layout.ToFullPath(record.RelativePath), list.ListId));
            }
        }

        if (sources.Count == 0)
        {
            throw new InvalidOperationException("bench job: the export archived no export file");
        }

        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        var writers = new Dictionary<long, StreamWriter>();
        var paths = new List<string>();
        try
        {
            var random = new Random(42);
            var start = new DateTimeOffset(day.ToDateTime(new TimeOnly(8, 0)), TimeSpan.Zero);
            var written = 0;
            for (var pass = 0; written < count; pass++)
            {
                var (path, listId) = sources[pass % sources.Count];
                var mailing = FirstMailing + (pass % Mailings);
                if (!writers.TryGetValue(mailing, out var writer))
                {
                    var file = Path.Combine(drop, string.Create(CultureInfo.InvariantCulture, $"responses_{mailing}_{day:yyyyMMdd}_1.csv"));
                    writer = new StreamWriter(file, utf8, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, BufferSize = 64 * 1024 }) { NewLine = "\r\n" };
                    writers.Add(mailing, writer);
                    paths.Add(file);
                    await writer.WriteAsync(string.Join(',', Header) + "\r\n");
                }

                var before = written;
                var list = listId.ToString(CultureInfo.InvariantCulture);
                var mailingText = mailing.ToString(CultureInfo.InvariantCulture);
                var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, FileOptions.Asynchronous | FileOptions.SequentialScan);
                await using (var reader = CsvReader.Create(stream, CsvFormats.Reader, leaveOpen: false))
                {
                    while (written < count && await reader.ReadAsync(cancellationToken))
                    {
                        written += Recipient(writer, random, start, mailingText, reader.GetString(0), reader.GetString(1), list, count - written);
                    }
                }

                if (written == before && pass >= sources.Count)
                {
                    throw new InvalidOperationException("bench job: the export files hold no recipient to answer");
                }
            }
        }
        finally
        {
            foreach (var writer in writers.Values)
            {
                await writer.DisposeAsync();
            }
        }

        return paths;
    }

    /// <summary>One recipient's events in the sandbox's order (send, bounce, open, click, unsubscribe), at most <paramref name="room"/>.</summary>
    private static int Recipient(StreamWriter writer, Random random, DateTimeOffset start, string mailing, string id, string email, string list, int room)
    {
        var sendAt = start.AddSeconds(random.Next(0, 3600));
        var outcome = random.NextDouble();
        var open = sendAt.AddSeconds(random.Next(30, 2 * 86400));
        var click = open.AddSeconds(random.Next(5, 3600));
        var link = random.Next(1, 4);
        var unsubscribe = open.AddSeconds(random.Next(10, 3600));
        var rows = 0;

        bool Write(string type, DateTimeOffset at, string? url, string? reason)
        {
            writer.Write(type);
            writer.Write(',');
            writer.Write(at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
            writer.Write(',');
            writer.Write(mailing);
            writer.Write(',');
            writer.Write(id);
            writer.Write(',');
            writer.Write(Quoted(email));
            writer.Write(',');
            writer.Write(list);
            writer.Write(',');
            writer.Write(url);
            writer.Write(',');
            writer.Write(reason);
            writer.Write("\r\n");
            return ++rows < room;
        }

        if (!Write("send", sendAt, null, null))
        {
            return rows;
        }

        if (outcome < 0.02)
        {
            var hard = outcome < 0.005;
            Write(hard ? "hardbounce" : "softbounce", sendAt.AddSeconds(5), null, hard ? "550 5.1.1 User unknown" : "452 4.2.2 Mailbox full");
            return rows;
        }

        // Opens for 25 % of all recipients, clicks for a fifth of those, unsubscribes for 2 % of them.
        if (outcome >= 0.27 || !Write("open", open, null, null))
        {
            return rows;
        }

        if (outcome < 0.07 && !Write("click", click, string.Create(CultureInfo.InvariantCulture, $"https://www.example.com/mailing/{mailing}/link-{link}"), null))
        {
            return rows;
        }

        if (outcome < 0.025)
        {
            Write("unsubscribe", unsubscribe, null, null);
        }

        return rows;
    }

    // Exported addresses passed the export's address rule, but a quote or comma is still possible in a local part.
    private static string Quoted(string value) =>
        value.AsSpan().IndexOfAny(",\"\r\n") < 0 ? value : "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
