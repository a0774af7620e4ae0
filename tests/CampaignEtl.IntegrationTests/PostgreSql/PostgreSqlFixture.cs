using System.Globalization;
using CampaignEtl.Crm.PostgreSql;

namespace CampaignEtl.IntegrationTests.PostgreSql;

/// <summary>
/// A real PostgreSQL server for one test class (<see cref="LocalPostgresServer"/>: initdb into a temp folder,
/// trust authentication, UTF8, C.UTF-8, 127.0.0.1 on a free port, as the postgres user when root), stopped
/// and deleted on dispose. Tests call <see cref="SkipIfUnavailable"/>: without PostgreSQL they are skipped
/// with the reason, never passed. Each test takes a database of its own (<see cref="NewDatabaseAsync"/>).
/// </summary>
public sealed class PostgreSqlFixture : IAsyncLifetime
{
    private int databases;

    public LocalPostgresServer? Server { get; private set; }

    public string? SkipReason { get; private set; }

    public async ValueTask InitializeAsync()
    {
        if (LocalPostgresServer.FindBinFolder() is null)
        {
            SkipReason = LocalPostgresServer.NotInstalled + "; .ci/run installs it";
            return;
        }

        try
        {
            Server = await LocalPostgresServer.StartAsync(Path.Combine(Path.GetTempPath(), "campaignetl-tests"), CancellationToken.None);
        }
        catch (InvalidOperationException exception)
        {
            SkipReason = $"PostgreSQL is installed but could not be started here: {exception.Message}";
        }
    }

    public void SkipIfUnavailable()
    {
        if (SkipReason is not null)
        {
            Assert.Skip(SkipReason);
        }
    }

    /// <summary>A new empty database on the server; its connection string.</summary>
    public Task<string> NewDatabaseAsync() =>
        Server!.CreateDatabaseAsync(string.Create(CultureInfo.InvariantCulture, $"crm{Interlocked.Increment(ref databases)}"), CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }
}
