using System.Text;

namespace CampaignEtl.Pipeline.Export;

/// <summary>
/// Finds the addresses shared by several exported records without sorting the export itself and
/// with bounded memory: an external merge sort of (address, recipient id). Records are collected
/// in runs of at most <c>runSize</c>; a full run is sorted and spilled to a file, and at the end
/// the runs are merged (one record per run in memory) so equal addresses meet. Memory is one run
/// plus a read buffer per spilled run, whatever the number of rows. Spill files hold personal data:
/// they live in a private (0700) folder under the data folder, deleted on dispose; an export that
/// fits in one run never touches the disk.
/// </summary>
internal sealed class DuplicateAddressFinder : IDisposable
{
    /// <summary>Records per run: about 2 MB of strings with realistic addresses (measured: 65,536 cost 15 MB more peak memory at 1M contacts).</summary>
    public const int DefaultRunSize = 16_384;

    private static readonly Comparison<(string Address, string RecipientId)> ByAddressThenId = static (a, b) =>
    {
        var byAddress = string.CompareOrdinal(a.Address, b.Address);
        return byAddress != 0 ? byAddress : string.CompareOrdinal(a.RecipientId, b.RecipientId);
    };

    private readonly string _folder;
    private readonly int _runSize;
    private readonly List<(string Address, string RecipientId)> _pending = [];
    private readonly List<string> _runs = [];

    /// <param name="parentFolder">Where the private spill folder is created when the first run spills.</param>
    public DuplicateAddressFinder(string parentFolder, int runSize = DefaultRunSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(runSize, 1);
        _folder = Path.Combine(Path.GetFullPath(parentFolder), "duplicates-" + Guid.NewGuid().ToString("N"));
        _runSize = runSize;
    }

    /// <summary>The private folder of the spill files (created at the first spill).</summary>
    internal string Folder => _folder;

    /// <summary>Records one exported record's normalized address (lower-case, trimmed) and recipient id.</summary>
    public void Add(string normalizedAddress, string recipientId)
    {
        _pending.Add((normalizedAddress, recipientId));
        if (_pending.Count == _runSize)
        {
            Spill();
        }
    }

    /// <summary>
    /// Every address held by more than one record, ordered by address (ordinal), with its recipient
    /// ids in ordinal order. Call once, after the last <see cref="Add"/>.
    /// </summary>
    public IEnumerable<(string Address, IReadOnlyList<string> RecipientIds)> Duplicates()
    {
        _pending.Sort(ByAddressThenId);
        var sources = new List<IEnumerator<(string Address, string RecipientId)>> { _pending.GetEnumerator() };
        try
        {
            foreach (var run in _runs)
            {
                sources.Add(ReadRun(run).GetEnumerator());
            }

            var heads = new PriorityQueue<int, (string Address, string RecipientId)>(Comparer<(string, string)>.Create(ByAddressThenId));
            for (var i = 0; i < sources.Count; i++)
            {
                if (sources[i].MoveNext())
                {
                    heads.Enqueue(i, sources[i].Current);
                }
            }

            string? address = null;
            var ids = new List<string>();
            while (heads.TryDequeue(out var source, out var record))
            {
                if (!string.Equals(record.Address, address, StringComparison.Ordinal))
                {
                    if (ids.Count > 1)
                    {
                        yield return (address!, ids.ToArray());
                    }

                    address = record.Address;
                    ids.Clear();
                }

                ids.Add(record.RecipientId);
                if (sources[source].MoveNext())
                {
                    heads.Enqueue(source, sources[source].Current);
                }
            }

            if (ids.Count > 1)
            {
                yield return (address!, ids.ToArray());
            }
        }
        finally
        {
            foreach (var source in sources)
            {
                source.Dispose();
            }
        }
    }

    public void Dispose()
    {
        _pending.Clear();
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private void Spill()
    {
        if (_runs.Count == 0)
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(_folder);
            }
            else
            {
                Directory.CreateDirectory(_folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        _pending.Sort(ByAddressThenId);
        var path = Path.Combine(_folder, _runs.Count.ToString("D6", System.Globalization.CultureInfo.InvariantCulture) + ".run");
        using (var writer = new BinaryWriter(new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024), Encoding.UTF8))
        {
            foreach (var (address, recipientId) in _pending)
            {
                writer.Write(address);
                writer.Write(recipientId);
            }
        }

        _runs.Add(path);
        _pending.Clear();
    }

    private static IEnumerable<(string Address, string RecipientId)> ReadRun(string path)
    {
        using var reader = new BinaryReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.None, 16 * 1024), Encoding.UTF8);
        var length = reader.BaseStream.Length;
        while (reader.BaseStream.Position < length)
        {
            yield return (reader.ReadString(), reader.ReadString());
        }
    }
}
