using System.Security.Cryptography;
using System.Text.Json;
using CampaignEtl.Pipeline.Csv;
using CampaignEtl.Pipeline.Journal;

namespace CampaignEtl.Pipeline.Archive;

/// <summary>
/// Recomputes every archived file's SHA-256, size and row count, walks the manifest chain, and
/// compares both with the journal: names each file or manifest that was changed, removed or added.
/// </summary>
public sealed class AuditVerifier(ArchiveLayout layout, RunJournal journal)
{
    public async Task<AuditReport> VerifyAsync(string? runId, CancellationToken cancellationToken)
    {
        var findings = new List<AuditFinding>();
        var chain = await journal.ListChainAsync(cancellationToken);
        var onDisk = FindManifestsOnDisk();
        var listedFiles = new HashSet<string>(StringComparer.Ordinal);
        var manifestsChecked = 0;
        var filesChecked = 0;
        string? previousSha = null;

        foreach (var entry in chain)
        {
            var expectedPrevious = previousSha;
            previousSha = entry.Sha256;
            onDisk.Remove(entry.RelativePath, out var fullPath);
            if (entry.PurgedBy is not null || !InScope(entry.RelativePath, runId))
            {
                continue;
            }

            manifestsChecked++;
            IReadOnlyList<ExpectedFile> files;
            if (fullPath is null)
            {
                findings.Add(new(AuditFindingKind.Removed, entry.RelativePath, $"manifest #{entry.Sequence} is missing; its files are checked against the journal"));
                files = await JournalFilesAsync(entry, cancellationToken);
            }
            else
            {
                var bytes = await File.ReadAllBytesAsync(fullPath, cancellationToken);
                var (sequence, previous, listed) = ParseManifest(bytes);
                files = [.. listed.Select(f => new ExpectedFile(f.Name, f.Bytes, f.Rows, f.Sha256))];
                if (ArchiveStore.Sha256Hex(bytes) != entry.Sha256)
                {
                    findings.Add(new(AuditFindingKind.Changed, entry.RelativePath,
                        $"manifest #{entry.Sequence} differs from the hash recorded in the journal; its files are checked against the journal"));
                    // An edited manifest vouches for nothing: whoever edited it could have edited a file and its entry together.
                    files = await JournalFilesAsync(entry, cancellationToken);
                }

                if (sequence != entry.Sequence || previous != expectedPrevious)
                {
                    findings.Add(new(AuditFindingKind.ChainBroken, entry.RelativePath,
                        $"manifest #{entry.Sequence} does not link to the manifest before it"));
                }
            }

            var folder = entry.RelativePath[..entry.RelativePath.LastIndexOf('/')];
            foreach (var file in files)
            {
                filesChecked++;
                var relative = folder + "/" + file.Name;
                listedFiles.Add(relative);
                var finding = await CheckFileAsync(relative, file, cancellationToken);
                if (finding is not null)
                {
                    findings.Add(finding);
                }
            }
        }

        foreach (var (relative, _) in onDisk.Where(m => InScope(m.Key, runId)))
        {
            findings.Add(new(AuditFindingKind.Added, relative, "manifest is not in the journal's chain"));
        }

        foreach (var relative in EnumerateArchivedFiles().Where(f => InScope(f, runId) && !listedFiles.Contains(f)))
        {
            findings.Add(new(AuditFindingKind.Added, relative, "file is not listed in any manifest"));
        }

        return new AuditReport(manifestsChecked, filesChecked, findings);
    }

    /// <summary>
    /// What the journal recorded, when the attempt's manifest is missing or was edited: the journal keeps each file's size,
    /// rows and SHA-256 beside the manifest chain, so the files are still verified, not merely reported as unlisted.
    /// </summary>
    private async Task<IReadOnlyList<ExpectedFile>> JournalFilesAsync(ChainEntry entry, CancellationToken cancellationToken)
    {
        var recorded = await journal.ListFilesOfManifestAsync(entry.Sequence, cancellationToken);
        return [.. recorded.Select(f => new ExpectedFile(f.Name, f.Bytes, f.Rows, f.Sha256))];
    }

    private async Task<AuditFinding?> CheckFileAsync(string relative, ExpectedFile file, CancellationToken cancellationToken)
    {
        var full = layout.ToFullPath(relative);
        if (!File.Exists(full))
        {
            return new(AuditFindingKind.Removed, relative, "listed in its manifest but missing");
        }

        string sha;
        long bytes;
        await using (var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, FileOptions.Asynchronous | FileOptions.SequentialScan))
        {
            bytes = stream.Length;
            sha = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken));
        }

        if (bytes != file.Bytes || sha != file.Sha256)
        {
            return new(AuditFindingKind.Changed, relative, $"SHA-256 or size differs from the record ({bytes} bytes, recorded {file.Bytes})");
        }

        if (file.Rows is { } rows)
        {
            var counted = await CsvRowCounter.CountDataRowsAsync(full, cancellationToken);
            if (counted != rows)
            {
                return new(AuditFindingKind.Changed, relative, $"{counted} rows, recorded {rows}");
            }
        }

        return null;
    }

    private static (long Sequence, string? Previous, IReadOnlyList<ManifestFile> Files) ParseManifest(byte[] bytes)
    {
        try
        {
            using var document = JsonDocument.Parse(bytes);
            var root = document.RootElement;
            var sequence = root.GetProperty("sequence").GetInt64();
            var previous = root.TryGetProperty("previousManifestSha256", out var p) ? p.GetString() : null;
            IReadOnlyList<ManifestFile> files = root.TryGetProperty("files", out var f)
                ? f.Deserialize<List<ManifestFile>>(ManifestJson.Options) ?? []
                : [];
            return (sequence, previous, files);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return (-1, "unreadable", []);
        }
    }

    private Dictionary<string, string> FindManifestsOnDisk()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!Directory.Exists(layout.Root))
        {
            return result;
        }

        foreach (var full in Directory.EnumerateFiles(layout.Root, ArchiveLayout.ManifestName, SearchOption.AllDirectories))
        {
            result[layout.ToRelativePath(full)] = full;
        }

        var purges = Path.Combine(layout.Root, ArchiveLayout.PurgeFolder);
        if (Directory.Exists(purges))
        {
            foreach (var full in Directory.EnumerateFiles(purges, "purge-*.json"))
            {
                result[layout.ToRelativePath(full)] = full;
            }
        }

        return result;
    }

    private IEnumerable<string> EnumerateArchivedFiles()
    {
        if (!Directory.Exists(layout.Root))
        {
            yield break;
        }

        foreach (var full in Directory.EnumerateFiles(layout.Root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            var relative = layout.ToRelativePath(full);
            if (Path.GetFileName(relative) == ArchiveLayout.ManifestName || relative.StartsWith(ArchiveLayout.PurgeFolder + "/", StringComparison.Ordinal))
            {
                continue;
            }

            yield return relative;
        }
    }

    /// <summary>What a manifest, or failing it the journal, says one archived file must be.</summary>
    private sealed record ExpectedFile(string Name, long Bytes, long? Rows, string Sha256);

    private static bool InScope(string relativePath, string? runId)
    {
        if (runId is null)
        {
            return true;
        }

        var parts = relativePath.Split('/');
        return parts.Length > 3 && parts[3] == runId;
    }
}
