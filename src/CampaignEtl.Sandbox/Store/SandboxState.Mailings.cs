using System.Globalization;
using CampaignEtl.Sandbox.Mailings;
using CampaignEtl.Sandbox.Soap;
using Microsoft.Data.Sqlite;

namespace CampaignEtl.Sandbox;

public sealed partial class SandboxState
{
    /// <summary>Header of the daily response export files (schemas/response-export.csv-metadata.json).</summary>
    internal static readonly string[] ResponseColumns = ["event-type", "occurred-at", "mailing-id", "recipient-id", "email", "list-id", "link-url", "bounce-reason"];

    /// <summary>
    /// Simulates a mailing to the list's current members that can receive mail (not blocklisted, not unsubscribed,
    /// not over a bounce limit), deterministic for a seed: sends from 08:00 UTC of <paramref name="date"/>, hard and soft
    /// bounces (counters raised, outbounces recorded), opens, clicks with link URLs, unsubscribes (added to the
    /// unsubscribe list). Events are stored and written to <c>responses_&lt;mailing-id&gt;_&lt;yyyyMMdd&gt;_&lt;seq&gt;.csv</c> in the drop folder.
    /// </summary>
    internal async Task<MailingSimulationResult> SimulateMailingAsync(long mailingId, long listId, int seed, DateOnly date, MailingSimulationRates rates, string dropFolder, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(rates);
        await _gate.WaitAsync(ct);
        try
        {
            var list = await RequireListAsync("simulateMailing", listId, [], ct);
            _ = list;
            var blocklist = await GetBlocklistAsync(ct);
            var recordedAt = NowMs;
            var start = new DateTimeOffset(date.ToDateTime(new TimeOnly(8, 0), DateTimeKind.Utc)).ToUnixTimeMilliseconds();
            var random = new Random(seed);
            var counts = new int[7];
            var lastSend = start;
            await using var tx = (SqliteTransaction)await _connection.BeginTransactionAsync(ct);
            await using (var exists = Prepare(tx, "SELECT count(*) FROM mailing WHERE mailing_id = $m", "$m"))
            {
                exists.Parameters["$m"].Value = mailingId;
                if (Convert.ToInt64(await exists.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture) > 0)
                {
                    throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"Mailing {mailingId} was already simulated."));
                }
            }

            await using var members = Prepare(tx, "SELECT recipient_id, email FROM recipient WHERE list_id = $l ORDER BY recipient_id", "$l");
            await using var unsub = Prepare(tx, "SELECT 1 FROM unsubscribe WHERE recipient_id IN ($r, $e) AND list_id IN (0, $l)", "$r", "$e", "$l");
            await using var bounce = Prepare(tx, "SELECT hard, soft FROM bounce_counter WHERE email = $e", "$e");
            await using var insert = Prepare(
                tx,
                "INSERT INTO response_event (event_type, occurred_at, recorded_at, mailing_id, recipient_id, email, list_id, link_url, bounce_reason) VALUES ($type, $at, $rec, $m, $r, $e, $l, $link, $reason)",
                "$type", "$at", "$rec", "$m", "$r", "$e", "$l", "$link", "$reason");
            await using var addUnsub = Prepare(tx, "INSERT OR IGNORE INTO unsubscribe (recipient_id, list_id, created_at) VALUES ($r, $l, $t)", "$r", "$l", "$t");
            members.Parameters["$l"].Value = listId;
            unsub.Parameters["$l"].Value = listId;
            insert.Parameters["$rec"].Value = recordedAt;
            insert.Parameters["$m"].Value = mailingId;
            insert.Parameters["$l"].Value = listId;
            addUnsub.Parameters["$l"].Value = _options.ListBasedUnsubscribes ? listId : 0;

            var name = string.Create(CultureInfo.InvariantCulture, $"responses_{mailingId}_{date:yyyyMMdd}");
            var file = await DropFile.WriteAsync(dropFolder, name, async writer =>
            {
                CsvLine.Write(writer, ResponseColumns);
                await using var reader = await members.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    var id = reader.GetString(0);
                    var email = reader.GetString(1);
                    if (blocklist.IsBlocked(email))
                    {
                        continue;
                    }

                    unsub.Parameters["$r"].Value = id;
                    unsub.Parameters["$e"].Value = email;
                    if (await unsub.ExecuteScalarAsync(ct) is not null)
                    {
                        continue;
                    }

                    bounce.Parameters["$e"].Value = email;
                    await using (var b = await bounce.ExecuteReaderAsync(ct))
                    {
                        if (await b.ReadAsync(ct) && (b.GetInt32(0) >= _options.HardBounceThreshold || b.GetInt32(1) >= _options.SoftBounceThreshold))
                        {
                            continue;
                        }
                    }

                    // Fixed number of draws per recipient, so one recipient's outcome never shifts another's.
                    var sendAt = start + (random.Next(0, 3600) * 1000L);
                    var outcome = random.NextDouble();
                    var delay1 = random.Next(30, 2 * 86400) * 1000L;
                    var clickDraw = random.NextDouble();
                    var delay2 = random.Next(5, 3600) * 1000L;
                    var link = random.Next(1, Math.Max(1, rates.Links) + 1);
                    var unsubDraw = random.NextDouble();
                    var delay3 = random.Next(10, 3600) * 1000L;
                    lastSend = Math.Max(lastSend, sendAt);

                    await EventAsync(writer, "send", sendAt, id, email, null, null);
                    counts[0]++;
                    if (outcome < rates.HardBounce)
                    {
                        var at = sendAt + (delay2 / 10);
                        await EventAsync(writer, "hardbounce", at, id, email, null, "550 5.1.1 User unknown");
                        counts[4]++;
                        if (await SetBounceCounterAsync(tx, id, email, BounceCategory.Hard, 1, absolute: false, at, recordedAt, ct))
                        {
                            counts[6]++;
                        }

                        continue;
                    }

                    if (outcome < rates.HardBounce + rates.SoftBounce)
                    {
                        var at = sendAt + (delay2 / 10);
                        await EventAsync(writer, "softbounce", at, id, email, null, "452 4.2.2 Mailbox full");
                        counts[3]++;
                        if (await SetBounceCounterAsync(tx, id, email, BounceCategory.Soft, 1, absolute: false, at, recordedAt, ct))
                        {
                            counts[6]++;
                        }

                        continue;
                    }

                    var openDraw = (outcome - rates.HardBounce - rates.SoftBounce) / Math.Max(1e-9, 1 - rates.HardBounce - rates.SoftBounce);
                    if (openDraw >= rates.Open)
                    {
                        continue;
                    }

                    var openAt = sendAt + delay1;
                    await EventAsync(writer, "open", openAt, id, email, null, null);
                    counts[1]++;
                    if (clickDraw < rates.Click)
                    {
                        await EventAsync(writer, "click", openAt + delay2, id, email, string.Create(CultureInfo.InvariantCulture, $"https://www.example.com/mailing/{mailingId}/link-{link}"), null);
                        counts[2]++;
                    }

                    if (unsubDraw < rates.Unsubscribe)
                    {
                        var at = openAt + delay3;
                        await EventAsync(writer, "unsubscribe", at, id, email, null, null);
                        addUnsub.Parameters["$r"].Value = id;
                        addUnsub.Parameters["$t"].Value = at;
                        await addUnsub.ExecuteNonQueryAsync(ct);
                        counts[5]++;
                    }
                }
            }, ct);

            await using (var mailing = Prepare(tx, "INSERT INTO mailing (mailing_id, name, list_id, seed, started_at, finished_at, recorded_at) VALUES ($m, $n, $l, $s, $a, $b, $rec)", "$m", "$n", "$l", "$s", "$a", "$b", "$rec"))
            {
                mailing.Parameters["$m"].Value = mailingId;
                mailing.Parameters["$n"].Value = string.Create(CultureInfo.InvariantCulture, $"Sandbox mailing {mailingId}");
                mailing.Parameters["$l"].Value = listId;
                mailing.Parameters["$s"].Value = seed;
                mailing.Parameters["$a"].Value = start;
                mailing.Parameters["$b"].Value = lastSend;
                mailing.Parameters["$rec"].Value = recordedAt;
                await mailing.ExecuteNonQueryAsync(ct);
            }

            await tx.CommitAsync(ct);
            _suppression = null;
            return new MailingSimulationResult(mailingId, counts[0], counts[1], counts[2], counts[3], counts[4], counts[5], counts[6], file);

            async Task EventAsync(TextWriter writer, string type, long at, string id, string email, string? link, string? reason)
            {
                insert.Parameters["$type"].Value = type;
                insert.Parameters["$at"].Value = at;
                insert.Parameters["$r"].Value = id;
                insert.Parameters["$e"].Value = email;
                insert.Parameters["$link"].Value = (object?)link ?? DBNull.Value;
                insert.Parameters["$reason"].Value = (object?)reason ?? DBNull.Value;
                await insert.ExecuteNonQueryAsync(ct);
                CsvLine.Write(writer, type, IsoUtc(at), mailingId.ToString(CultureInfo.InvariantCulture), id, email, listId.ToString(CultureInfo.InvariantCulture), link, reason);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// The scheduled suppression exports: <c>outbounces_&lt;yyyyMMdd&gt;_&lt;seq&gt;.csv</c> (every address over a bounce limit)
    /// and <c>unsubscribes_&lt;yyyyMMdd&gt;_&lt;seq&gt;.csv</c> (every unsubscribe), full exports, in the drop folder.
    /// </summary>
    internal async Task<(string Outbounces, string Unsubscribes)> WriteSuppressionExportsAsync(DateOnly date, string dropFolder, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var day = date.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
            var outbounces = await DropFile.WriteAsync(dropFolder, "outbounces_" + day, async writer =>
            {
                CsvLine.Write(writer, "email", "hard-bounces", "soft-bounces", "outbounced-at");
                await using var command = _connection.CreateCommand();
                command.CommandText = "SELECT email, hard, soft, outbounced_at FROM bounce_counter WHERE outbounced_at IS NOT NULL ORDER BY email";
                await using var reader = await command.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    CsvLine.Write(writer, reader.GetString(0), reader.GetInt32(1).ToString(CultureInfo.InvariantCulture), reader.GetInt32(2).ToString(CultureInfo.InvariantCulture), IsoUtc(reader.GetInt64(3)));
                }
            }, ct);
            var unsubscribes = await DropFile.WriteAsync(dropFolder, "unsubscribes_" + day, async writer =>
            {
                CsvLine.Write(writer, "recipient-id", "list-id", "unsubscribed-at");
                await using var command = _connection.CreateCommand();
                command.CommandText = "SELECT recipient_id, list_id, created_at FROM unsubscribe ORDER BY recipient_id, list_id";
                await using var reader = await command.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    var list = reader.GetInt64(1);
                    CsvLine.Write(writer, reader.GetString(0), list == 0 ? null : list.ToString(CultureInfo.InvariantCulture), IsoUtc(reader.GetInt64(2)));
                }
            }, ct);
            return (outbounces, unsubscribes);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// ClosedLoopWebservice reads: rows whose recording time is in [since, until) (ms), ordered by event id, from
    /// the 0-based startRow, at most 1000. Column layouts are in the sandbox's README comment on <see cref="ClosedLoopColumns"/>.
    /// </summary>
    internal async Task<List<IReadOnlyList<string?>>> ClosedLoopAsync(string operation, long since, long until, int startRow, int numberOfRows, CancellationToken ct)
    {
        if (startRow < 0 || numberOfRows is < 1 or > 1000)
        {
            throw SandboxFault.Platform(string.Create(CultureInfo.InvariantCulture, $"Invalid rows (startRow {startRow}, numberOfRows {numberOfRows}; numberOfRows 1 to 1000) for call: {operation}"));
        }

        var (sql, map) = ClosedLoopColumns(operation);
        await _gate.WaitAsync(ct);
        try
        {
            await using var command = _connection.CreateCommand();
            command.CommandText = sql + " LIMIT $n OFFSET $o";
            command.Parameters.AddWithValue("$since", since);
            command.Parameters.AddWithValue("$until", until);
            command.Parameters.AddWithValue("$n", numberOfRows);
            command.Parameters.AddWithValue("$o", startRow);
            var rows = new List<IReadOnlyList<string?>>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                rows.Add(map(reader));
            }

            return rows;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Row layouts (times as decimal milliseconds since the epoch, UTC):
    /// getMailings [mailingId, name, listId, startedAt, finishedAt];
    /// getOpens [mailingId, recipientId, email, openedAt];
    /// getClicks [mailingId, recipientId, email, clickedAt, linkUrl];
    /// getResponses [mailingId, recipientId, email, receivedAt, category (hardbounce|softbounce), reason];
    /// getUnsubscribes [recipientId, email, unsubscribedAt, listId or empty (client-wide)] — a mailing's unsubscribe is
    /// client-wide unless the client has list-based unsubscribes, as it was stored, whatever list the mailing went to;
    /// getMailingUnsubscribes [mailingId, recipientId, email, unsubscribedAt];
    /// getOutBounces [recipientId, email, outbouncedAt].
    /// </summary>
    private (string Sql, Func<SqliteDataReader, IReadOnlyList<string?>> Map) ClosedLoopColumns(string operation)
    {
        var listBased = _options.ListBasedUnsubscribes;
        const string Events = "SELECT mailing_id, recipient_id, email, occurred_at, link_url, bounce_reason, event_type, list_id FROM response_event WHERE recorded_at >= $since AND recorded_at < $until AND ";
        static string? L(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt64(i).ToString(CultureInfo.InvariantCulture);
        static string? S(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
        return operation switch
        {
            "getMailings" => ("SELECT mailing_id, name, list_id, started_at, finished_at FROM mailing WHERE recorded_at >= $since AND recorded_at < $until ORDER BY mailing_id",
                r => [L(r, 0), S(r, 1), L(r, 2), L(r, 3), L(r, 4)]),
            "getOpens" => (Events + "event_type = 'open' ORDER BY event_id", r => [L(r, 0), S(r, 1), S(r, 2), L(r, 3)]),
            "getClicks" => (Events + "event_type = 'click' ORDER BY event_id", r => [L(r, 0), S(r, 1), S(r, 2), L(r, 3), S(r, 4)]),
            "getResponses" => (Events + "event_type IN ('hardbounce', 'softbounce') ORDER BY event_id", r => [L(r, 0), S(r, 1), S(r, 2), L(r, 3), S(r, 6), S(r, 5)]),
            "getUnsubscribes" => (Events + "event_type = 'unsubscribe' ORDER BY event_id", r => [S(r, 1), S(r, 2), L(r, 3), (r.IsDBNull(0) || listBased ? L(r, 7) : null) ?? string.Empty]),
            "getMailingUnsubscribes" => (Events + "event_type = 'unsubscribe' AND mailing_id IS NOT NULL ORDER BY event_id", r => [L(r, 0), S(r, 1), S(r, 2), L(r, 3)]),
            "getOutBounces" or "getOutbounces" => (Events + "event_type = 'outbounce' ORDER BY event_id", r => [S(r, 1), S(r, 2), L(r, 3)]),
            _ => throw SandboxFault.NoSuchOperation(operation),
        };
    }
}
