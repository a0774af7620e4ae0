using CampaignEtl.Crm.Demo;
using CampaignEtl.Crm.Selections;
using CampaignEtl.Crm.Store;
using CampaignEtl.Pipeline.Export;
using CampaignEtl.Pipeline.Journal;
using CampaignEtl.Pipeline.Options;
using CampaignEtl.Pipeline.Runs;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace CampaignEtl.IntegrationTests.Support;

/// <summary>A temporary data folder with a real, generated SQLite CRM, and a runner over the real export stage.</summary>
internal sealed class TestWorkspace : IDisposable
{
    public TestWorkspace(int contacts = 400, int seed = 7)
    {
        Folder = Path.Combine(Path.GetTempPath(), "campaignetl-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
        Data = new DataOptions { Folder = Folder, BusyTimeoutSeconds = 1 };
        Crm = new CrmDatabase(Data.CrmDatabasePath, TimeSpan.FromSeconds(1));
        Time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 1, 0, 0, TimeSpan.Zero));
        if (contacts > 0)
        {
            new DemoCrmSeeder(Time).SeedAsync(Crm, contacts, seed, CancellationToken.None).GetAwaiter().GetResult();
        }
    }

    public string Folder { get; }

    public DataOptions Data { get; }

    public CrmDatabase Crm { get; }

    public FakeTimeProvider Time { get; }

    public List<RecipientListOptions> Lists { get; } = [NewsletterDe(), ProductUpdatesDach()];

    public int RetentionDays { get; set; }

    public double MaxRejectRate { get; set; } = 0.5;

    public int ReadPartitions { get; set; } = 2;

    public static RecipientListOptions NewsletterDe() => new()
    {
        Name = "newsletter-de",
        ListId = 1001,
        OptInId = DemoCrmSeeder.OptInNewsletterDe,
        Description = "Newsletter DE",
        Selection = new SelectionOptions { MarketingLists = [DemoCrmSeeder.ListNewsletterDe] },
        Attributes = new(StringComparer.Ordinal) { ["firstname"] = "first_name", ["lastname"] = "last_name", ["company"] = "company" },
    };

    public static RecipientListOptions ProductUpdatesDach() => new()
    {
        Name = "product-updates-dach",
        ListId = 1003,
        OptInId = DemoCrmSeeder.OptInProductUpdates,
        Description = "Product updates DACH",
        Selection = new SelectionOptions { SavedFilters = [DemoCrmSeeder.FilterCustomersDach] },
    };

    public PipelineRunner Runner() =>
        new([Stage()], MsOptions.Create(Data), MsOptions.Create(new RunOptions { MaxRejectRate = MaxRejectRate }),
            MsOptions.Create(new ArchiveOptions { RetentionDays = RetentionDays }), Time, NullLogger<PipelineRunner>.Instance);

    public ExportStage Stage() =>
        new(MsOptions.Create(new ExportOptions { RecipientLists = Lists, BatchSize = 64, ReadPartitions = ReadPartitions }), MsOptions.Create(new RunOptions { MaxRejectRate = MaxRejectRate }),
            MsOptions.Create(Data), new CrmExportReader(Crm), NullLogger<ExportStage>.Instance);

    public Task<RunOutcome> RunExportAsync(string? runId = null, bool dryRun = false, CancellationToken cancellationToken = default) =>
        Runner().RunAsync(new RunRequest([StageName.Export], null, runId, dryRun, RunTrigger.Manual), cancellationToken);

    public Task<RunJournal> JournalAsync() => RunJournal.OpenAsync(Data.JournalPath, CancellationToken.None);

    public string ArchiveFile(string relativePath) => Path.Combine(Data.ArchiveFolder, relativePath);

    public IEnumerable<string> ArchivedFiles(string pattern = "*") =>
        Directory.Exists(Data.ArchiveFolder)
            ? Directory.EnumerateFiles(Data.ArchiveFolder, pattern, new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            : [];

    public async Task ExecuteCrmAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = await Crm.OpenAsync(readOnly: false, CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        await command.ExecuteNonQueryAsync();
    }

    public async Task<List<string>> QueryCrmAsync(string sql)
    {
        await using var connection = await Crm.OpenAsync(readOnly: true, CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
        {
            rows.Add(reader.GetValue(0).ToString()!);
        }

        return rows;
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Pipeline.Archive.ReadOnlyFiles.DeleteTree(Folder);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless; the test result is what matters.
        }
    }
}
