using System.Globalization;
using CampaignEtl.Crm.Store;
using CampaignEtl.Crm.Suppression;
using CampaignEtl.Pipeline.Archive;
using CampaignEtl.Pipeline.Csv;
using CsvHelper;

namespace CampaignEtl.Pipeline.Suppress;

/// <summary>
/// One of the stage's two result files (bounces, unsubscriptions), written while the platform's rows are read: an
/// event goes in when it is first seen, so the file holds the de-duplicated events in the order they were read.
/// It goes into the archive, or, in a dry run, to a scratch file under Data:Folder/tmp (deleted on dispose). Once
/// committed it is read back and applied from (<see cref="OpenRead"/>): what is applied is exactly what was written.
/// </summary>
internal sealed class ResultFile : IAsyncDisposable
{
    private readonly ArchiveAttempt? _archive;
    private readonly ArchiveFileWriter? _archived;
    private readonly FileStream? _scratch;
    private readonly string? _scratchPath;
    private readonly CsvWriter _csv;
    private bool _written;

    private ResultFile(ArchiveAttempt? archive, ArchiveFileWriter? archived, FileStream? scratch, string? scratchPath, string source, bool unsubscribes)
    {
        _archive = archive;
        _archived = archived;
        _scratch = scratch;
        _scratchPath = scratchPath;
        Source = source;
        Unsubscribes = unsubscribes;
        _csv = CsvWriter.Create(archived?.Content ?? scratch!, CsvFormats.Writer, leaveOpen: true);
        _csv.WriteHeader(unsubscribes ? SuppressColumns.Unsubscriptions : SuppressColumns.Bounces);
    }

    /// <summary>What rejects, ambiguities and lineage name: the archived path, or "bounces (dry run)".</summary>
    public string Source { get; }

    public bool Unsubscribes { get; }

    /// <summary>Events written (the file's lines less the header).</summary>
    public long Rows { get; private set; }

    public static ResultFile Create(ArchiveAttempt? archive, string tempFolder, string name, bool unsubscribes)
    {
        var kind = unsubscribes ? "unsubscriptions" : "bounces";
        if (archive is not null)
        {
            var file = archive.CreateFile(name, kind, "inbound", new FileCounterpart("optimizely-campaign"));
            return new ResultFile(archive, file, null, null, file.RelativePath, unsubscribes);
        }

        Directory.CreateDirectory(tempFolder);
        var path = Path.Combine(tempFolder, "suppress-" + kind + "-" + Guid.NewGuid().ToString("N") + ".csv");
        var scratch = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read | FileShare.Delete, 64 * 1024, FileOptions.DeleteOnClose);
        return new ResultFile(null, null, scratch, path, kind + " (dry run)", unsubscribes);
    }

    public async ValueTask WriteAsync(SuppressionEvent e, CancellationToken ct)
    {
        // The time as the CRM keeps it: to the millisecond (the event's key is built the same way).
        var at = CrmTime.Format(DateTimeOffset.FromUnixTimeMilliseconds(e.OccurredAt.ToUnixTimeMilliseconds()));
        await _csv.WriteRecordAsync(Unsubscribes
            ? [e.RecipientId, e.Email, e.ListId?.ToString(CultureInfo.InvariantCulture) ?? string.Empty, at, e.MailingId, e.Source]
            : [e.RecipientId, e.Email, e.Kind.ToText(), at, e.Reason, e.MailingId, e.Source], ct);
        Rows++;
    }

    /// <summary>Completes the file: archived (flushed to disk, renamed, read-only, in the manifest), or flushed.</summary>
    public async Task CommitAsync(CancellationToken ct)
    {
        await _csv.FlushAsync(ct);
        await _csv.DisposeAsync();
        _written = true;
        if (_archived is not null)
        {
            await _archived.CommitAsync(Rows, ct);
        }
        else
        {
            await _scratch!.FlushAsync(ct);
        }
    }

    /// <summary>The committed file, for reading back.</summary>
    public FileStream OpenRead()
    {
        if (!_written)
        {
            throw new InvalidOperationException("A result file is read back only once it is committed.");
        }

        var path = _archived is not null ? _archive!.Layout.ToFullPath(_archived.RelativePath) : _scratchPath!;
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 64 * 1024);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_written)
        {
            await _csv.DisposeAsync();
        }

        if (_archived is not null)
        {
            await _archived.DisposeAsync();
        }

        if (_scratch is not null)
        {
            await _scratch.DisposeAsync();
        }
    }
}
