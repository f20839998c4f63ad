using System.Data.Common;
using Npgsql;
using WebFarm.Agent.Control;
using WebFarm.Controller.Apps;
using WebFarm.Controller.Availability;
using WebFarm.Controller.Deployments;

namespace WebFarm.Controller.Store;

/// <summary>
/// The store on a shared PostgreSQL, so two controllers (a leader and a standby, see Leadership/) see one farm. The
/// tables of <see cref="ControllerSchema"/> live in their own schema (<see cref="SchemaName"/>), so the database can
/// also hold an app's tables (the member library's webfarm_cache, ...). Each call takes a pooled connection: unlike
/// the embedded file, two controllers and concurrent API calls write at once, and the statements are written for that
/// (the join locks its token row; a name taken meanwhile is a unique violation, reported as taken).
/// </summary>
public sealed class PostgresControllerStore : IControllerStore
{
    public const string SchemaName = "webfarm_controller";

    private const SqlDialect Dialect = SqlDialect.Postgres;

    // Serializes the schema's creation when both controllers of a pair start at once (CREATE TABLE IF NOT EXISTS
    // is not safe against a concurrent create). A transaction-scoped lock, unrelated to the leader lock.
    private const long SchemaLockKey = 0x5746_4354_5343_4845; // "WFCTSCHE"

    private readonly NpgsqlDataSource _dataSource;

    private PostgresControllerStore(NpgsqlDataSource dataSource, string target)
    {
        _dataSource = dataSource;
        Target = target;
    }

    /// <summary>host:port/database, for messages (never the password).</summary>
    public string Target { get; }

    /// <summary>
    /// Connects and creates the schema and tables if needed. <paramref name="connection"/> is the parsed
    /// `--store` URL (<see cref="PostgresStoreUrl"/>).
    /// </summary>
    /// <exception cref="NpgsqlException">PostgreSQL cannot be reached or refuses (its message says why).</exception>
    public static async Task<PostgresControllerStore> OpenAsync(NpgsqlConnectionStringBuilder connection, CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(connection.ConnectionString) { SearchPath = SchemaName };
        if (builder.CommandTimeout == new NpgsqlConnectionStringBuilder().CommandTimeout)
        {
            // A heartbeat that waits longer than a few seconds for the store is a missed one anyway.
            builder.CommandTimeout = 5;
        }

        if (string.IsNullOrEmpty(builder.ApplicationName))
        {
            builder.ApplicationName = "webfarm-controller";
        }

        var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        try
        {
            await using var open = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var transaction = await open.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (var command = open.Command($"SELECT pg_advisory_xact_lock({SchemaLockKey});\nCREATE SCHEMA IF NOT EXISTS {SchemaName};\n" + ControllerSchema.CreateSql(Dialect) + Leadership.PostgresLeaderLock.CreateSql, transaction))
            {
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await dataSource.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return new PostgresControllerStore(dataSource, $"{builder.Host}:{builder.Port}/{builder.Database ?? builder.Username}");
    }

    public Task AddJoinTokenAsync(byte[] tokenHash, DateTimeOffset created, DateTimeOffset expires, CancellationToken cancellationToken)
        => On(c => ServerTables.AddJoinTokenAsync(c, Dialect, tokenHash, created, expires, cancellationToken), cancellationToken);

    public Task<JoinOutcome> JoinAsync(byte[] tokenHash, ServerRecord server, CancellationToken cancellationToken)
        => On(c => ServerTables.JoinAsync(c, Dialect, tokenHash, server, cancellationToken), cancellationToken);

    public Task<IReadOnlyList<ServerRecord>> ListServersAsync(CancellationToken cancellationToken)
        => On(c => ServerTables.ListServersAsync(c, Dialect, cancellationToken), cancellationToken);

    public Task<bool> RecordHeartbeatAsync(string name, DateTimeOffset time, ServerLoad load, CancellationToken cancellationToken)
        => On(c => ServerTables.RecordHeartbeatAsync(c, Dialect, name, time, load, cancellationToken), cancellationToken);

    public Task SetLabelsAsync(string name, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken)
        => On(c => ServerTables.SetLabelsAsync(c, name, labels, cancellationToken), cancellationToken);

    public Task AddAvailabilitySubjectAsync(SubjectKind kind, string subject, DateTimeOffset firstSeen, CancellationToken cancellationToken)
        => On(c => AvailabilityTables.AddSubjectAsync(c, Dialect, kind, subject, firstSeen, cancellationToken), cancellationToken);

    public Task<IReadOnlyList<AvailabilitySubject>> ListAvailabilitySubjectsAsync(CancellationToken cancellationToken)
        => On(c => AvailabilityTables.ListSubjectsAsync(c, Dialect, cancellationToken), cancellationToken);

    public Task<long> OpenDowntimeAsync(DowntimeRecord downtime, CancellationToken cancellationToken)
        => On(c => AvailabilityTables.OpenDowntimeAsync(c, Dialect, downtime, cancellationToken), cancellationToken);

    public Task CloseDowntimeAsync(long id, DateTimeOffset ended, CancellationToken cancellationToken)
        => On(c => AvailabilityTables.CloseDowntimeAsync(c, Dialect, id, ended, cancellationToken), cancellationToken);

    public Task<int> CloseOpenDowntimeAsync(DateTimeOffset ended, CancellationToken cancellationToken)
        => On(c => AvailabilityTables.CloseOpenDowntimeAsync(c, Dialect, ended, cancellationToken), cancellationToken);

    public Task<IReadOnlyList<DowntimeRecord>> ListDowntimeAsync(DateTimeOffset since, CancellationToken cancellationToken)
        => On(c => AvailabilityTables.ListDowntimeAsync(c, Dialect, since, cancellationToken), cancellationToken);

    public Task<bool> AddAppAsync(AppDefinition app, DateTimeOffset created, CancellationToken cancellationToken)
        => On(c => AppTables.AddAsync(c, Dialect, app, created, cancellationToken), cancellationToken);

    public Task<IReadOnlyList<AppDefinition>> ListAppsAsync(CancellationToken cancellationToken)
        => On(c => AppTables.ListAsync(c, cancellationToken), cancellationToken);

    public Task<bool> RemoveAppAsync(string name, CancellationToken cancellationToken)
        => On(c => AppTables.RemoveAsync(c, name, cancellationToken), cancellationToken);

    public Task<long> AddDeploymentAsync(DeploymentRecord deployment, CancellationToken cancellationToken)
        => On(c => DeploymentTables.AddAsync(c, Dialect, deployment, cancellationToken), cancellationToken);

    public Task SaveDeploymentAsync(DeploymentRecord deployment, CancellationToken cancellationToken)
        => On(c => DeploymentTables.SaveAsync(c, deployment, cancellationToken), cancellationToken);

    public Task<IReadOnlyList<DeploymentRecord>> ListDeploymentsAsync(string? app, int limit, CancellationToken cancellationToken)
        => On(c => DeploymentTables.ListAsync(c, app, limit, cancellationToken), cancellationToken);

    public Task<DeploymentRecord?> GetDeploymentAsync(long id, CancellationToken cancellationToken)
        => On(c => DeploymentTables.GetAsync(c, id, cancellationToken), cancellationToken);

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    private async Task On(Func<DbConnection, Task> action, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await action(connection).ConfigureAwait(false);
    }

    private async Task<T> On<T>(Func<DbConnection, Task<T>> action, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await action(connection).ConfigureAwait(false);
    }
}
