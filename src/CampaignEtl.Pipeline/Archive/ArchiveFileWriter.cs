namespace CampaignEtl.Pipeline.Archive;

/// <summary>
/// One file on its way into the archive. Bytes go to a hidden temp file (0600) beside the final
/// name; <see cref="CommitAsync"/> flushes to disk, renames atomically (never over an existing
/// file) and makes the file read-only (0400). Disposed without commit, the temp file is deleted,
/// so no partial file ever carries a final name.
/// </summary>
public sealed class ArchiveFileWriter : IAsyncDisposable
{
    private readonly ArchiveAttempt _attempt;
    private readonly FileStream _file;
    private readonly HashingWriteStream _hashing;
    private readonly string _tempPath;
    private readonly string _finalPath;
    private bool _committed;

    internal ArchiveFileWriter(ArchiveAttempt attempt, string name, string kind, string direction, FileCounterpart counterpart)
    {
        _attempt = attempt;
        Name = name;
        Kind = kind;
        Direction = direction;
        Counterpart = counterpart;
        RelativePath = attempt.RelativeFolder + "/" + name;
        _finalPath = attempt.Layout.ToFullPath(RelativePath);
        try
        {
            if (File.Exists(_finalPath))
            {
                throw new IOException($"'{name}' already exists in this attempt; archived files are never overwritten");
            }

            _file = ReadOnlyFiles.CreateTemp(_finalPath, out _tempPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw ArchiveWriteException.CannotWrite(RelativePath, ex);
        }

        _hashing = new HashingWriteStream(_file, RelativePath);
    }

    public string Name { get; }

    public string Kind { get; }

    public string Direction { get; }

    public FileCounterpart Counterpart { get; }

    public string RelativePath { get; }

    /// <summary>Write the content here; do not dispose it (the writer owns it).</summary>
    public Stream Content => _hashing;

    public async Task<ManifestFile> CommitAsync(long? rows, CancellationToken cancellationToken)
    {
        try
        {
            await _hashing.FlushAsync(cancellationToken);
            _file.Flush(flushToDisk: true);
            await _file.DisposeAsync();
            ReadOnlyFiles.Publish(_tempPath, _finalPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw ArchiveWriteException.CannotWrite(RelativePath, ex);
        }

        _committed = true;
        var entry = new ManifestFile(Name, Kind, Direction, _hashing.BytesWritten, rows, _hashing.HashHex(), Counterpart);
        _attempt.Add(entry);
        return entry;
    }

    public async ValueTask DisposeAsync()
    {
        if (_committed)
        {
            _hashing.Dispose();
            return;
        }

        try
        {
            // Disposing flushes what is buffered; on a full disk that fails too, and the file goes anyway.
            await _file.DisposeAsync();
        }
        catch (IOException)
        {
            // The reason is already on its way up as the stage's failure.
        }

        _hashing.Dispose();
        try
        {
            File.Delete(_tempPath);
        }
        catch (IOException)
        {
            // The attempt is already failing for a reason worth more than this one; a hidden
            // .tmp file is never listed in a manifest and audit verify names it.
        }
    }
}
