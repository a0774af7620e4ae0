using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using CampaignEtl.Pipeline.Csv;
using CsvHelper;
using Microsoft.Data.Sqlite;

namespace CampaignEtl.Commands.BenchJob;

/// <summary>
/// The floors of <c>bench job</c> that the other bench verbs do not already have as shared pieces: plain HttpClient
/// posts of prebuilt closed-loop read envelopes (suppress), a plain SQLite batch upsert of n rows into a one-table
/// database (suppress and ingest), and a CsvHelper read of every field of the response files (ingest).
/// </summary>
internal static class JobFloors
{
    private const string ClosedLoopNamespace = "urn:api.broadmail.de/soap11/RpcClosedLoop";

    /// <summary>
    /// The suppress stage's SOAP reads without the client: per operation the same pages (1000 rows each, then the
    /// short last one) over the same window, each a prebuilt envelope posted and its answer read to the end.
    /// </summary>
    public static async Task<long> ClosedLoopReadsAsync(
        HttpClient http, string sessionId, IReadOnlyList<(string Operation, long Rows)> operations, DateTimeOffset since, DateTimeOffset until, int pageSize,
        CancellationToken cancellationToken)
    {
        long bytes = 0;
        foreach (var (operation, rows) in operations)
        {
            var pages = (rows / pageSize) + 1;
            for (long page = 0; page < pages; page++)
            {
                var envelope = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"""
                    <?xml version="1.0" encoding="utf-8"?><soapenv:Envelope xmlns:soapenv="{BenchSoapCommand.Envelope}" xmlns:xsd="{BenchSoapCommand.Xsd}" xmlns:xsi="{BenchSoapCommand.Xsi}"><soapenv:Body><ns1:{operation} soapenv:encodingStyle="{BenchSoapCommand.Encoding}" xmlns:ns1="{ClosedLoopNamespace}"><in0 xsi:type="xsd:string">{sessionId}</in0><in1 xsi:type="xsd:long">{since.ToUnixTimeMilliseconds()}</in1><in2 xsi:type="xsd:long">{until.ToUnixTimeMilliseconds()}</in2><in3 xsi:type="xsd:int">{page * pageSize}</in3><in4 xsi:type="xsd:int">{pageSize}</in4></ns1:{operation}></soapenv:Body></soapenv:Envelope>
                    """));
                using var content = new ByteArrayContent(envelope);
                content.Headers.ContentType = MediaTypeHeaderValue.Parse("text/xml; charset=utf-8");
                using var request = new HttpRequestMessage(HttpMethod.Post, "RpcClosedLoop") { Content = content };
                request.Headers.Add("SOAPAction", "\"\"");
                using var response = await http.SendAsync(request, cancellationToken);
                var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
                if (!response.IsSuccessStatusCode || body.Length == 0)
                {
                    throw new InvalidOperationException($"the plain {operation} post was answered HTTP {(int)response.StatusCode}");
                }

                bytes += body.Length;
            }
        }

        return bytes;
    }

    /// <summary>
    /// The write floor: <paramref name="rows"/> upserts of a (campaign, person, status, time) row, prepared once, in
    /// batches of <paramref name="batchSize"/>, one transaction each, into a fresh one-table database. No lookups, no rules.
    /// </summary>
    public static Task<long> SqliteUpsertAsync(string path, long rows, int batchSize, CancellationToken cancellationToken)
    {
        string[] statuses = ["Sent", "Opened", "Clicked", "Bounced", "Unsubscribed"];
        return SqliteUpsertAsync(path, Rows(), batchSize, cancellationToken);

        IEnumerable<(string Campaign, string Person, string Status, string At)> Rows()
        {
            for (long done = 0; done < rows; done++)
            {
                yield return ("70100000000700" + (done % JobResponseFiles.Mailings).ToString(CultureInfo.InvariantCulture),
                    "003" + (done / 2).ToString("D12", CultureInfo.InvariantCulture), statuses[done % statuses.Length], "2026-11-22T08:00:00Z");
            }
        }
    }

    /// <summary>The write floor over given rows (see the overload); also <c>bench ingest</c>'s.</summary>
    public static async Task<long> SqliteUpsertAsync(
        string path, IEnumerable<(string Campaign, string Person, string Status, string At)> rows, int batchSize, CancellationToken cancellationToken)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString());
        await connection.OpenAsync(cancellationToken);
        await using (var setup = connection.CreateCommand())
        {
            setup.CommandText = """
                PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -16384;
                CREATE TABLE member (campaign_id TEXT NOT NULL, person_id TEXT NOT NULL, status TEXT NOT NULL, updated_at TEXT NOT NULL,
                                     PRIMARY KEY (campaign_id, person_id)) WITHOUT ROWID;
                """;
            await setup.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var upsert = connection.CreateCommand();
        upsert.CommandText = """
            INSERT INTO member (campaign_id, person_id, status, updated_at) VALUES ($c, $p, $s, $t)
            ON CONFLICT (campaign_id, person_id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at
            """;
        var campaign = upsert.Parameters.Add("$c", SqliteType.Text);
        var person = upsert.Parameters.Add("$p", SqliteType.Text);
        var status = upsert.Parameters.Add("$s", SqliteType.Text);
        var at = upsert.Parameters.Add("$t", SqliteType.Text);
        long done = 0;
        SqliteTransaction? transaction = null;
        foreach (var row in rows)
        {
            if (transaction is null)
            {
                transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
                upsert.Transaction = transaction;
                if (done == 0)
                {
                    upsert.Prepare();
                }
            }

            (campaign.Value, person.Value, status.Value, at.Value) = (row.Campaign, row.Person, row.Status, row.At);
            await upsert.ExecuteNonQueryAsync(cancellationToken);
            if (++done % batchSize == 0)
            {
                await transaction.CommitAsync(cancellationToken);
                await transaction.DisposeAsync();
                transaction = null;
            }
        }

        if (transaction is not null)
        {
            await transaction.CommitAsync(cancellationToken);
            await transaction.DisposeAsync();
        }

        return done;
    }

    /// <summary>The read floor: every field of every row of the files through CsvHelper with the product's dialect (also <c>bench ingest</c>'s).</summary>
    public static async Task<long> CsvReadAsync(IReadOnlyList<string> paths, CancellationToken cancellationToken)
    {
        long rows = 0;
        long characters = 0;
        foreach (var path in paths)
        {
            var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, FileOptions.Asynchronous | FileOptions.SequentialScan);
            await using var reader = CsvReader.Create(stream, CsvFormats.Reader, leaveOpen: false);
            while (await reader.ReadAsync(cancellationToken))
            {
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    characters += reader.GetString(i).Length;
                }

                rows++;
            }
        }

        // Keeps the field reads from being optimised away.
        return characters > 0 ? rows : 0;
    }
}
