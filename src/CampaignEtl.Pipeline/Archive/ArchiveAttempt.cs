using CampaignEtl.Pipeline.Runs;

namespace CampaignEtl.Pipeline.Archive;

/// <summary>The archive folder of one stage attempt and the files committed to it so far.</summary>
public sealed class ArchiveAttempt
{
    private readonly List<ManifestFile> _files = [];
    private readonly Lock _gate = new();

    internal ArchiveAttempt(ArchiveLayout layout, RunIdentity run, StageName stage, int attempt, long attemptId)
    {
        Layout = layout;
        Run = run;
        Stage = stage;
        Attempt = attempt;
        AttemptId = attemptId;
        RelativeFolder = ArchiveLayout.AttemptFolder(run.BusinessDate, run.RunId, stage, attempt);
    }

    public ArchiveLayout Layout { get; }

    public RunIdentity Run { get; }

    public StageName Stage { get; }

    public int Attempt { get; }

    public long AttemptId { get; }

    public string RelativeFolder { get; }

    public IReadOnlyList<ManifestFile> Files
    {
        get
        {
            lock (_gate)
            {
                return [.. _files];
            }
        }
    }

    /// <summary>Opens a new file in this attempt's folder (created 0700 on first use).</summary>
    public ArchiveFileWriter CreateFile(string name, string kind, string direction, FileCounterpart counterpart)
    {
        ArchiveFileNames.EnsureSafe(name);
        try
        {
            Layout.EnsureFolder(RelativeFolder);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw ArchiveWriteException.CannotWrite(RelativeFolder + "/" + name, ex);
        }

        return new ArchiveFileWriter(this, name, kind, direction, counterpart);
    }

    internal void Add(ManifestFile file)
    {
        lock (_gate)
        {
            _files.Add(file);
        }
    }
}
