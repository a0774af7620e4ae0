using System.Data.Common;
using System.Globalization;
using System.Net.Sockets;
using System.Reflection;
using CampaignEtl.Crm.Store;
using Npgsql;

namespace CampaignEtl.Crm.PostgreSql;

/// <summary>
/// The CRM store on PostgreSQL, by connection string. Every failure to reach it becomes a
/// <see cref="CrmUnavailableException"/> naming the server as <c>postgresql://host:port/database</c>:
/// never the connection string itself, which may hold a password.
/// </summary>
public sealed class PostgreSqlCrm : IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;

    public PostgreSqlCrm(string connectionString)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException or OverflowException)
        {
            throw CrmUnavailableException.NotACrm("postgresql (connection string)",
                "the connection string is not valid: " + WithoutPassword(ex.Message, connectionString));
        }

        Location = string.Create(CultureInfo.InvariantCulture,
            $"postgresql://{builder.Host ?? "localhost"}:{builder.Port}/{builder.Database ?? builder.Username ?? "postgres"}");
        _dataSource = NpgsqlDataSource.Create(builder);
    }

    /// <summary>Where the store is, for messages: host, port and database, no credentials.</summary>
    public string Location { get; }

    public async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _dataSource.OpenConnectionAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is NpgsqlException or SocketException or TimeoutException)
        {
            throw Translate(ex);
        }
    }

    /// <summary>Creates the export tables, their indexes and the derived-column triggers (idempotent).</summary>
    public async Task CreateSchemaAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = LoadSchemaScript();
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (NpgsqlException ex)
        {
            throw Translate(ex);
        }
    }

    /// <summary>
    /// Connection-level failures become one-line reasons; errors of a statement (a PostgresException
    /// other than a missing database or refused login) are left as they are.
    /// </summary>
    public Exception Translate(Exception ex) => ex switch
    {
        PostgresException { SqlState: PostgresErrorCodes.InvalidCatalogName or PostgresErrorCodes.InvalidPassword
            or PostgresErrorCodes.InvalidAuthorizationSpecification or PostgresErrorCodes.CannotConnectNow
            or PostgresErrorCodes.TooManyConnections or PostgresErrorCodes.AdminShutdown } pg =>
            CrmUnavailableException.NotACrm(Location, $"the server refused the connection ({pg.SqlState}: {pg.MessageText})", ex),
        PostgresException { SqlState: PostgresErrorCodes.UndefinedTable } pg =>
            CrmUnavailableException.NotACrm(Location, $"the CRM tables are missing ({pg.MessageText})", ex),
        PostgresException => ex,
        _ when Find<SocketException>(ex) is { } socket =>
            CrmUnavailableException.NotACrm(Location, $"cannot connect to the server ({socket.SocketErrorCode}); is it running?", ex),
        _ when Find<TimeoutException>(ex) is not null =>
            CrmUnavailableException.NotACrm(Location, "the connection timed out", ex),
        NpgsqlException => CrmUnavailableException.NotACrm(Location, "cannot connect to the server: " + ex.Message, ex),
        _ => ex,
    };

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    internal static string LoadSchemaScript()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("CampaignEtl.Crm.PostgreSql.crm.postgresql.sql")
            ?? throw new InvalidOperationException("The PostgreSQL CRM schema resource is missing from the assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static T? Find<T>(Exception? ex)
        where T : Exception
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is T found)
            {
                return found;
            }
        }

        return null;
    }

    /// <summary>A parser message with any password value of the connection string blanked out.</summary>
    private static string WithoutPassword(string message, string connectionString)
    {
        var line = message.Split('\n')[0].Trim();
        try
        {
            var generic = new DbConnectionStringBuilder { ConnectionString = connectionString };
            foreach (string key in generic.Keys)
            {
                if ((key.Equals("password", StringComparison.OrdinalIgnoreCase) || key.Equals("pwd", StringComparison.OrdinalIgnoreCase))
                    && generic[key] is string { Length: > 0 } secret)
                {
                    line = line.Replace(secret, "***", StringComparison.Ordinal);
                }
            }

            return line;
        }
        catch (ArgumentException)
        {
            // Not even key=value pairs: the parser's message then names a position, not a value.
            return line;
        }
    }
}
