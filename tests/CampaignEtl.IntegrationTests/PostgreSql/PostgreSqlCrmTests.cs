using CampaignEtl.Crm.Demo;
using CampaignEtl.Crm.PostgreSql;
using CampaignEtl.Crm.Selections;
using CampaignEtl.Crm.Store;
using CampaignEtl.IntegrationTests.Support;
using CampaignEtl.Pipeline.Export;
using CampaignEtl.Pipeline.Options;
using CampaignEtl.Pipeline.Runs;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace CampaignEtl.IntegrationTests.PostgreSql;

/// <summary>The CRM store on a real PostgreSQL server: the loader, the export source against SQLite's, and its failures.</summary>
public sealed class PostgreSqlCrmTests(PostgreSqlFixture postgres) : IClassFixture<PostgreSqlFixture>
{
    private const string Password = "s3cret-Pa55word";

    [Fact]
    public async Task Load_DemoCrm_CopiesEveryTableRowForRowWithItsDerivedColumns()
    {
        postgres.SkipIfUnavailable();
        using var workspace = new TestWorkspace(contacts: 2000);
        await using var crm = new PostgreSqlCrm(await postgres.NewDatabaseAsync());

        var copied = await new PostgreSqlCrmLoader(crm).LoadAsync(workspace.Crm, TestContext.Current.CancellationToken);

        copied.Keys.ShouldBe(PostgreSqlCrmLoader.TableNames, ignoreOrder: true);
        foreach (var table in PostgreSqlCrmLoader.TableNames)
        {
            var inSqlite = long.Parse((await workspace.QueryCrmAsync($"SELECT count(*) FROM {table}")).Single(), System.Globalization.CultureInfo.InvariantCulture);
            copied[table].ShouldBe(inSqlite, table);
            (await ScalarAsync<long>(crm, $"SELECT count(*) FROM {table}")).ShouldBe(inSqlite, table);
        }

        copied["person"].ShouldBeGreaterThan(2000);

        // The derived and generated columns the export reads are the same on both stores, person by person.
        const string Derived = "id || '|' || coalesce(email_normalized, '-') || '|' || coalesce(account_name, '-') || '|' || opt_ins_granted || '|' || opt_ins_revoked || '|' || marketing_lists";
        var sqlite = await workspace.QueryCrmAsync($"SELECT {Derived} FROM person ORDER BY id");
        var pg = await ColumnAsync(crm, $"SELECT {Derived} FROM person ORDER BY id");
        pg.ShouldBe(sqlite);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task Export_DemoRecipientLists_FilesAreByteIdenticalToSqlite(int partitions)
    {
        postgres.SkipIfUnavailable();
        using var workspace = new TestWorkspace(contacts: 2000);
        await using var crm = new PostgreSqlCrm(await postgres.NewDatabaseAsync());
        await new PostgreSqlCrmLoader(crm).LoadAsync(workspace.Crm, TestContext.Current.CancellationToken);
        var fromPostgres = new DataOptions { Folder = Path.Combine(workspace.Folder, "from-postgres"), BusyTimeoutSeconds = 1 };

        var sqliteOutcome = await RunExportAsync(workspace, workspace.Data, new CrmExportReader(workspace.Crm), partitions);
        var pgOutcome = await RunExportAsync(workspace, fromPostgres, new PostgreSqlExportSource(crm), partitions);

        var sqliteStage = sqliteOutcome.Stages.ShouldHaveSingleItem();
        var pgStage = pgOutcome.Stages.ShouldHaveSingleItem();
        sqliteStage.Status.ShouldBe(StageStatus.Succeeded, sqliteStage.Error);
        pgStage.Status.ShouldBe(StageStatus.Succeeded, pgStage.Error);
        pgStage.Counts.IsBalanced.ShouldBeTrue();
        pgStage.Counts.Details.ShouldBe(sqliteStage.Counts.Details);
        pgStage.Counts.RowsIn.ShouldBe(sqliteStage.Counts.RowsIn);
        pgStage.Counts.RowsOut.ShouldBe(sqliteStage.Counts.RowsOut);
        pgStage.Counts.RowsRejected.ShouldBe(sqliteStage.Counts.RowsRejected);
        pgStage.Counts.RowsExcluded.ShouldBe(sqliteStage.Counts.RowsExcluded);
        (pgStage.Counts.RowsOut + pgStage.Counts.RowsRejected + pgStage.Counts.RowsExcluded).ShouldBe(pgStage.Counts.RowsIn);

        foreach (var list in DemoLists())
        {
            foreach (var pattern in new[] { $"export_{list.Name}_*.csv", $"rejects_export_{list.Name}_*.csv", $"duplicate-emails_{list.Name}_*.csv" })
            {
                var expected = await File.ReadAllBytesAsync(Single(workspace.Data, pattern), TestContext.Current.CancellationToken);
                var actual = await File.ReadAllBytesAsync(Single(fromPostgres, pattern), TestContext.Current.CancellationToken);
                actual.ShouldBe(expected, pattern);
            }

            var (_, rows) = ExportFile.Read(Single(fromPostgres, $"export_{list.Name}_*.csv"));
            rows.Count.ShouldBeGreaterThan(0, list.Name);
        }
    }

    [Fact]
    public async Task Export_StoppedMidRead_IsInterruptedAndTheServerStillServes()
    {
        postgres.SkipIfUnavailable();
        using var workspace = new TestWorkspace(contacts: 2000);
        await using var crm = new PostgreSqlCrm(await postgres.NewDatabaseAsync());
        await new PostgreSqlCrmLoader(crm).LoadAsync(workspace.Crm, TestContext.Current.CancellationToken);
        using var during = new CancellationTokenSource();
        var source = new StopAfterFirstBatch(new PostgreSqlExportSource(crm), during);

        var outcome = await RunExportAsync(workspace, workspace.Data, source, partitions: 2, during.Token);

        source.Batches.ShouldBeGreaterThan(0);
        outcome.Stages.ShouldHaveSingleItem().Status.ShouldBe(StageStatus.Interrupted);
        Directory.EnumerateFiles(workspace.Data.ArchiveFolder, "export_*.csv", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }).ShouldBeEmpty();
        (await new PostgreSqlExportSource(crm).LoadBlocklistAsync(TestContext.Current.CancellationToken)).Count.ShouldBe(1);
    }

    [Fact]
    public async Task FindUnknown_MissingListFilterAndOptIn_NamesEachAsSqliteDoes()
    {
        postgres.SkipIfUnavailable();
        using var workspace = new TestWorkspace(contacts: 50);
        await using var crm = new PostgreSqlCrm(await postgres.NewDatabaseAsync());
        await new PostgreSqlCrmLoader(crm).LoadAsync(workspace.Crm, TestContext.Current.CancellationToken);
        (string, ExportSelection, long)[] lists =
        [
            ("Export:RecipientLists:0", new ExportSelection([DemoCrmSeeder.ListNewsletterDe, "No such list"], ["No such filter", DemoCrmSeeder.FilterLeadsUk]), 999),
            ("Export:RecipientLists:1", new ExportSelection([DemoCrmSeeder.ListTradeFair], [DemoCrmSeeder.FilterCustomersDach]), DemoCrmSeeder.OptInProductUpdates),
        ];

        var problems = await new PostgreSqlExportSource(crm).FindUnknownAsync(lists, TestContext.Current.CancellationToken);

        problems.ShouldBe([
            "Export:RecipientLists:0:Selection:MarketingLists:1: marketing list 'No such list' does not exist in the CRM",
            "Export:RecipientLists:0:Selection:SavedFilters:0: saved filter 'No such filter' does not exist in the CRM",
            "Export:RecipientLists:0:OptInId: opt-in 999 does not exist in the CRM",
        ]);
        problems.ShouldBe(await new CrmExportReader(workspace.Crm).FindUnknownAsync(lists, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Triggers_ConsentListAndAccountChanges_KeepThePersonsDerivedColumns()
    {
        postgres.SkipIfUnavailable();
        using var workspace = new TestWorkspace(contacts: 50);
        await using var crm = new PostgreSqlCrm(await postgres.NewDatabaseAsync());
        await new PostgreSqlCrmLoader(crm).LoadAsync(workspace.Crm, TestContext.Current.CancellationToken);
        var contact = await ScalarAsync<string>(crm, "SELECT min(id) FROM person WHERE entity_type = 'contact' AND account_id IS NOT NULL");

        await ExecAsync(crm, $"DELETE FROM consent WHERE person_id = '{contact}'");
        await ExecAsync(crm, $"DELETE FROM marketing_list_member WHERE person_id = '{contact}'");
        await ExecAsync(crm, $"""
            INSERT INTO consent (person_id, opt_in_id, status, changed_at, changed_by) VALUES
              ('{contact}', 503, 'granted', '2026-11-24T01:00:00.000Z', 'test'), ('{contact}', 501, 'revoked', '2026-11-24T01:00:00.000Z', 'test');
            INSERT INTO marketing_list_member (list_id, person_id, added_at) VALUES (3, '{contact}', '2026-11-24T01:00:00.000Z'), (1, '{contact}', '2026-11-24T01:00:00.000Z');
            UPDATE account SET name = 'Renamed GmbH' WHERE id = (SELECT account_id FROM person WHERE id = '{contact}');
            """);

        (await ScalarAsync<string>(crm, $"SELECT opt_ins_granted || '|' || opt_ins_revoked || '|' || marketing_lists || '|' || account_name FROM person WHERE id = '{contact}'"))
            .ShouldBe(",503,|,501,|,1,,3,|Renamed GmbH");

        await ExecAsync(crm, $"UPDATE consent SET status = 'granted' WHERE person_id = '{contact}' AND opt_in_id = 501; DELETE FROM marketing_list_member WHERE person_id = '{contact}' AND list_id = 1");
        (await ScalarAsync<string>(crm, $"SELECT opt_ins_granted || '|' || opt_ins_revoked || '|' || marketing_lists FROM person WHERE id = '{contact}'"))
            .ShouldBe(",501,,503,||,3,");
    }

    [Fact]
    public async Task Open_ServerDown_ClearErrorWithoutThePassword()
    {
        var port = FreePort();
        await using var crm = new PostgreSqlCrm($"Host=127.0.0.1;Port={port};Username=etl;Password={Password};Database=crm;Timeout=5");
        var source = new PostgreSqlExportSource(crm);

        var error = await Should.ThrowAsync<CrmUnavailableException>(() => source.LoadBlocklistAsync(TestContext.Current.CancellationToken));

        error.Message.ShouldContain($"postgresql://127.0.0.1:{port}/crm");
        error.Message.ShouldContain("cannot connect to the server");
        error.Message.ShouldNotContain(Password);
        error.ToString().ShouldNotContain(Password);
    }

    [Theory]
    [InlineData("Host=127.0.0.1;Port=not-a-port;Password=" + Password)]
    [InlineData("Host=127.0.0.1;Frobnicate=yes;Password=" + Password)]
    [InlineData("Host=127.0.0.1;Password=" + Password + ";Pooling=maybe")]
    [InlineData("Host=127.0.0.1;Password=\"" + Password + "")]
    public void New_BadConnectionString_ClearErrorWithoutThePassword(string connectionString)
    {
        var error = Should.Throw<CrmUnavailableException>(() => new PostgreSqlCrm(connectionString));

        error.Message.ShouldContain("the connection string is not valid");
        error.ToString().ShouldNotContain(Password);
    }

    [Fact]
    public async Task Open_MissingDatabase_ClearErrorNamingTheServer()
    {
        postgres.SkipIfUnavailable();
        var builder = new NpgsqlConnectionStringBuilder(postgres.Server!.ConnectionString("no_such_crm")) { Password = Password };
        await using var crm = new PostgreSqlCrm(builder.ConnectionString);

        var error = await Should.ThrowAsync<CrmUnavailableException>(() =>
            new PostgreSqlExportSource(crm).FindUnknownAsync([], TestContext.Current.CancellationToken));

        error.Message.ShouldContain($"postgresql://127.0.0.1:{postgres.Server.Port}/no_such_crm");
        error.Message.ShouldContain("3D000");
        error.ToString().ShouldNotContain(Password);
    }

    /// <summary>The demo's three recipient lists, as shipped in appsettings.json: one marketing list, two unioned, one saved filter.</summary>
    internal static List<RecipientListOptions> DemoLists() =>
    [
        new()
        {
            Name = "newsletter-de", ListId = 1001, OptInId = DemoCrmSeeder.OptInNewsletterDe, Description = "Newsletter DE (CRM marketing list)", MediaType = "email",
            Selection = new SelectionOptions { MarketingLists = [DemoCrmSeeder.ListNewsletterDe] },
            Attributes = new(StringComparer.Ordinal) { ["salutation"] = "salutation", ["firstname"] = "first_name", ["lastname"] = "last_name", ["company"] = "company", ["country"] = "country" },
        },
        new()
        {
            Name = "newsletter-en", ListId = 1002, OptInId = DemoCrmSeeder.OptInNewsletterEn, Description = "Newsletter EN (CRM marketing list)", MediaType = "email",
            Selection = new SelectionOptions { MarketingLists = [DemoCrmSeeder.ListNewsletterEn, DemoCrmSeeder.ListTradeFair] },
            Attributes = new(StringComparer.Ordinal) { ["firstname"] = "first_name", ["lastname"] = "last_name", ["language"] = "language" },
        },
        new()
        {
            Name = "product-updates-dach", ListId = 1003, OptInId = DemoCrmSeeder.OptInProductUpdates, Description = "Product updates, customers in DACH (CRM saved filter)", MediaType = "email",
            Selection = new SelectionOptions { SavedFilters = [DemoCrmSeeder.FilterCustomersDach] },
            Attributes = new(StringComparer.Ordinal) { ["firstname"] = "first_name", ["lastname"] = "last_name", ["company"] = "company", ["city"] = "city" },
        },
    ];

    private static Task<RunOutcome> RunExportAsync(TestWorkspace workspace, DataOptions data, ICrmExportSource source, int partitions, CancellationToken? stop = null)
    {
        Directory.CreateDirectory(data.Folder);
        var stage = new ExportStage(
            MsOptions.Create(new ExportOptions { RecipientLists = DemoLists(), BatchSize = 64, ReadPartitions = partitions }),
            MsOptions.Create(new RunOptions { MaxRejectRate = 0.5 }), MsOptions.Create(data), source, NullLogger<ExportStage>.Instance);
        var runner = new PipelineRunner([stage], MsOptions.Create(data), MsOptions.Create(new RunOptions { MaxRejectRate = 0.5 }),
            MsOptions.Create(new ArchiveOptions { RetentionDays = 0 }), workspace.Time, NullLogger<PipelineRunner>.Instance);
        return runner.RunAsync(new RunRequest([StageName.Export], null, null, false, RunTrigger.Manual), stop ?? TestContext.Current.CancellationToken);
    }

    /// <summary>A stop (Ctrl+C) while the first partition's rows are still streaming from the server.</summary>
    private sealed class StopAfterFirstBatch(ICrmExportSource inner, CancellationTokenSource stop) : ICrmExportSource
    {
        public int Batches { get; private set; }

        public Task<IReadOnlyList<string>> FindUnknownAsync(IEnumerable<(string Key, ExportSelection Selection, long OptInId)> lists, CancellationToken cancellationToken) =>
            inner.FindUnknownAsync(lists, cancellationToken);

        public Task<Blocklist> LoadBlocklistAsync(CancellationToken cancellationToken) => inner.LoadBlocklistAsync(cancellationToken);

        public async IAsyncEnumerable<ExportCandidate[]> ReadBatchesAsync(
            ExportSelection selection, long optInId, IReadOnlyList<string> attributeFields, int partition, int partitions, int batchSize,
            [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await foreach (var batch in inner.ReadBatchesAsync(selection, optInId, attributeFields, partition, partitions, batchSize, cancellationToken))
            {
                Batches++;
                await stop.CancelAsync();
                yield return batch;
            }
        }
    }

    private static string Single(DataOptions data, string pattern) =>
        Directory.EnumerateFiles(data.ArchiveFolder, pattern, new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }).ShouldHaveSingleItem();

    private static async Task<T> ScalarAsync<T>(PostgreSqlCrm crm, string sql)
    {
        await using var connection = await crm.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (T)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }

    private static async Task<List<string>> ColumnAsync(PostgreSqlCrm crm, string sql)
    {
        await using var connection = await crm.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        var rows = new List<string>();
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            rows.Add(reader.GetString(0));
        }

        return rows;
    }

    private static async Task ExecAsync(PostgreSqlCrm crm, string sql)
    {
        await using var connection = await crm.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
