using System.Text;

namespace CampaignEtl.Pipeline.Export;

/// <summary>
/// Finds the addresses shared by several exported records without sorting the export and without
/// holding it in memory: each (address, recipient id) goes to a spill file chosen by the address's
/// first character, and at the end each spill file is read back, sorted and grouped on its own.
/// Buckets follow ordinal order of that first character, so the groups come out ordered by address.
/// Memory is one bucket at a time (with realistic addresses one initial letter's share of the
/// exported rows), and the spill files (personal data) live in a private temp folder deleted on dispose.
/// </summary>
internal sealed class DuplicateAddressFinder : IDisposable
{
    // One bucket per ASCII character; everything from U+007F on shares the last one.
    private const int BucketCount = 128;

    private readonly string _folder;
    private readonly BinaryWriter?[] _buckets = new BinaryWriter?[BucketCount];

    public DuplicateAddressFinder()
    {
        _folder = Path.Combine(Path.GetTempPath(), "campaignetl-dup-" + Guid.NewGuid().ToString("N"));
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(_folder);
        }
        else
        {
            Directory.CreateDirectory(_folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    /// <summary>The private folder of the spill files.</summary>
    internal string Folder => _folder;

    /// <summary>Records one exported record's normalized address (lower-case, trimmed) and recipient id.</summary>
    public void Add(string normalizedAddress, string recipientId)
    {
        var bucket = normalizedAddress.Length == 0 ? 0 : Math.Min(normalizedAddress[0], (char)(BucketCount - 1));
        var writer = _buckets[bucket] ??= Open(bucket);
        writer.Write(normalizedAddress);
        writer.Write(recipientId);
    }

    /// <summary>
    /// Every address held by more than one record, ordered by address (ordinal), with its recipient
    /// ids in ordinal order. Call once, after the last <see cref="Add"/>.
    /// </summary>
    public IEnumerable<(string Address, IReadOnlyList<string> RecipientIds)> Duplicates()
    {
        for (var bucket = 0; bucket < BucketCount; bucket++)
        {
            if (_buckets[bucket] is not { } writer)
            {
                continue;
            }

            writer.Dispose();
            _buckets[bucket] = null;
            foreach (var group in GroupsOf(BucketPath(bucket)))
            {
                yield return group;
            }

            File.Delete(BucketPath(bucket));
        }
    }

    public void Dispose()
    {
        foreach (var writer in _buckets)
        {
            writer?.Dispose();
        }

        Array.Clear(_buckets);
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private static List<(string Address, IReadOnlyList<string> RecipientIds)> GroupsOf(string path)
    {
        var records = new List<(string Address, string RecipientId)>();
        using (var reader = new BinaryReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.None, 64 * 1024), Encoding.UTF8))
        {
            while (reader.BaseStream.Position < reader.BaseStream.Length)
            {
                records.Add((reader.ReadString(), reader.ReadString()));
            }
        }

        records.Sort(static (a, b) =>
        {
            var byAddress = string.CompareOrdinal(a.Address, b.Address);
            return byAddress != 0 ? byAddress : string.CompareOrdinal(a.RecipientId, b.RecipientId);
        });

        var groups = new List<(string, IReadOnlyList<string>)>();
        for (var start = 0; start < records.Count;)
        {
            var end = start + 1;
            while (end < records.Count && string.Equals(records[end].Address, records[start].Address, StringComparison.Ordinal))
            {
                end++;
            }

            if (end - start > 1)
            {
                var ids = new string[end - start];
                for (var i = start; i < end; i++)
                {
                    ids[i - start] = records[i].RecipientId;
                }

                groups.Add((records[start].Address, ids));
            }

            start = end;
        }

        return groups;
    }

    private BinaryWriter Open(int bucket) =>
        new(new FileStream(BucketPath(bucket), FileMode.CreateNew, FileAccess.Write, FileShare.None, 16 * 1024), Encoding.UTF8);

    private string BucketPath(int bucket) => Path.Combine(_folder, bucket.ToString("D3", System.Globalization.CultureInfo.InvariantCulture) + ".spill");
}
