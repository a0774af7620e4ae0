using System.Security.Cryptography;
using System.Text.Json;
using CampaignEtl.Crm.Store;
using CampaignEtl.Pipeline.Journal;
using CampaignEtl.Pipeline.Runs;

namespace CampaignEtl.Pipeline.Archive;

/// <summary>
/// The audit archive: opens attempt folders, seals them with a manifest chained by hash to the
/// previous one, and purges old runs (recording the purge in the chain). Writes happen only under
/// the run lock, so the chain has one writer.
/// </summary>
public sealed class ArchiveStore(ArchiveLayout layout, RunJournal journal, TimeProvider timeProvider)
{
    public ArchiveLayout Layout { get; } = layout;

    public ArchiveAttempt OpenAttempt(RunIdentity run, StageName stage, int attempt, long attemptId) =>
        new(Layout, run, stage, attempt, attemptId);

    /// <summary>Writes the attempt's manifest (atomically, read-only), links it into the chain and records its files.</summary>
    public async Task<ChainEntry> SealAsync(ArchiveAttempt attempt, StageStatus status, CancellationToken cancellationToken)
    {
        var head = await journal.GetChainHeadAsync(cancellationToken);
        var sequence = (head?.Sequence ?? 0) + 1;
        var now = CrmTime.Format(timeProvider.GetUtcNow());
        var manifest = new AttemptManifest(
            AttemptManifest.SchemaName, sequence, head?.Sha256, attempt.Run.RunId, CrmTime.FormatDate(attempt.Run.BusinessDate),
            attempt.Stage.ToText(), attempt.Attempt, status.ToText(), now, attempt.Files);
        var relativePath = attempt.RelativeFolder + "/" + ArchiveLayout.ManifestName;
        Layout.EnsureFolder(attempt.RelativeFolder);
        var sha = await WriteOnceAsync(relativePath, JsonSerializer.SerializeToUtf8Bytes(manifest, ManifestJson.Options), cancellationToken);
        var entry = new ChainEntry(sequence, "attempt", relativePath, sha, now, null);
        await journal.AppendChainAsync(entry, attempt.AttemptId, cancellationToken);
        foreach (var file in attempt.Files)
        {
            await journal.AddFileAsync(attempt.AttemptId, new ArchivedFileRecord(
                file.Name, attempt.RelativeFolder + "/" + file.Name, file.Kind, file.Direction, file.Rows, file.Bytes, file.Sha256,
                JsonSerializer.Serialize(file.Counterpart, ManifestJson.Options).ReplaceLineEndings(" ")), cancellationToken);
        }

        return entry;
    }

    /// <summary>
    /// When an attempt cannot be sealed (disk full, folder gone), its files are vouched for by no
    /// manifest: they are removed, so the archive holds only what a manifest lists and verification
    /// stays meaningful. Returns how many files were removed.
    /// </summary>
    public int DiscardUnsealed(ArchiveAttempt attempt)
    {
        var folder = Layout.ToFullPath(attempt.RelativeFolder);
        var removed = Directory.Exists(folder) ? Directory.GetFiles(folder, "*", new EnumerationOptions { AttributesToSkip = 0 }).Length : 0;
        ReadOnlyFiles.DeleteTree(folder);
        return removed;
    }

    /// <summary>
    /// Removes the archive folders of runs whose business date is older than <paramref name="retentionDays"/>
    /// and appends a purge record naming every manifest it removed, with its hash.
    /// </summary>
    public async Task<PurgeRecord?> PurgeAsync(int retentionDays, DateOnly today, CancellationToken cancellationToken)
    {
        if (retentionDays <= 0)
        {
            return null;
        }

        var cutoff = today.AddDays(-retentionDays);
        var chain = await journal.ListChainAsync(cancellationToken);
        var victims = new List<PurgedManifest>();
        var runFolders = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var entry in chain.Where(e => e.Kind == "attempt" && e.PurgedBy is null))
        {
            var parts = entry.RelativePath.Split('/');
            if (parts.Length < 4 || !DateOnly.TryParseExact($"{parts[0]}-{parts[1]}-{parts[2]}", "yyyy-MM-dd", out var date) || date >= cutoff)
            {
                continue;
            }

            victims.Add(new PurgedManifest(entry.Sequence, entry.RelativePath, entry.Sha256, parts[3]));
            runFolders.Add(string.Join('/', parts.Take(4)));
        }

        if (victims.Count == 0)
        {
            return null;
        }

        var head = await journal.GetChainHeadAsync(cancellationToken);
        var sequence = head!.Sequence + 1;
        var now = timeProvider.GetUtcNow();
        var record = new PurgeRecord(PurgeRecord.SchemaName, sequence, head.Sha256, CrmTime.Format(now), retentionDays,
            CrmTime.FormatDate(cutoff), victims);
        var relativePath = $"{ArchiveLayout.PurgeFolder}/purge-{sequence:D8}.json";
        Layout.EnsureFolder(ArchiveLayout.PurgeFolder);

        // The record goes first: if deleting fails half-way, verification still knows what was meant to go.
        var sha = await WriteOnceAsync(relativePath, JsonSerializer.SerializeToUtf8Bytes(record, ManifestJson.Options), cancellationToken);
        await journal.AppendChainAsync(new ChainEntry(sequence, "purge", relativePath, sha, record.CreatedAt, null), null, cancellationToken);
        await journal.MarkPurgedAsync(victims.Select(v => v.Sequence), sequence, victims.Select(v => v.RunId).Distinct(), now, cancellationToken);
        foreach (var folder in runFolders)
        {
            ReadOnlyFiles.DeleteTree(Layout.ToFullPath(folder));
        }

        return record;
    }

    internal static string Sha256Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private async Task<string> WriteOnceAsync(string relativePath, byte[] content, CancellationToken cancellationToken)
    {
        var full = Layout.ToFullPath(relativePath);
        string? temp = null;
        try
        {
            await using (var stream = ReadOnlyFiles.CreateTemp(full, out temp))
            {
                await stream.WriteAsync(content, cancellationToken);
                stream.Flush(flushToDisk: true);
            }

            ReadOnlyFiles.Publish(temp, full);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            if (temp is not null)
            {
                TryDelete(temp);
            }

            throw ArchiveWriteException.CannotWrite(relativePath, ex);
        }

        return Sha256Hex(content);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: the caller is already throwing the reason that matters.
        }
    }
}
