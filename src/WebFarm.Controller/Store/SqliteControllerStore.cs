using Microsoft.Data.Sqlite;
using WebFarm.Agent.Control;
using WebFarm.Controller.Apps;
using WebFarm.Controller.Availability;
using WebFarm.Controller.Deployments;

namespace WebFarm.Controller.Store;

/// <summary>
/// The embedded store: one SQLite file (WAL journal) in the controller's data directory, with the tables of
/// <see cref="ControllerSchema"/>. One connection, used by one caller at a time: the controller's writes are a
/// heartbeat a second per server, far below what one connection sustains, and it keeps every transaction trivially
/// serial.
/// </summary>
public sealed class SqliteControllerStore : IControllerStore
{
    public const string FileName = "controller.db";

    private const SqlDialect Dialect = SqlDialect.Sqlite;

    private readonly SqliteConnection _connection;
    private readonly SemaphoreSlim _gate = new(1, 1);

    private SqliteControllerStore(SqliteConnection connection)
    {
        _connection = connection;
    }

    /// <summary>Opens (creating if needed) the store file and its schema.</summary>
    /// <exception cref="SqliteException">The file cannot be opened or is not a SQLite database.</exception>
    public static async Task<SqliteControllerStore> OpenAsync(string path, CancellationToken cancellationToken)
    {
        return new SqliteControllerStore(await SqliteFile.OpenAsync(path, "PRAGMA journal_mode = WAL;\nPRAGMA synchronous = NORMAL;\n" + ControllerSchema.CreateSql(Dialect), cancellationToken).ConfigureAwait(false));
    }

    public Task AddJoinTokenAsync(byte[] tokenHash, DateTimeOffset created, DateTimeOffset expires, CancellationToken cancellationToken)
        => Serially(() => ServerTables.AddJoinTokenAsync(_connection, Dialect, tokenHash, created, expires, cancellationToken), cancellationToken);

    public Task<JoinOutcome> JoinAsync(byte[] tokenHash, ServerRecord server, CancellationToken cancellationToken)
        => Serially(() => ServerTables.JoinAsync(_connection, Dialect, tokenHash, server, cancellationToken), cancellationToken);

    public Task<IReadOnlyList<ServerRecord>> ListServersAsync(CancellationToken cancellationToken)
        => Serially(() => ServerTables.ListServersAsync(_connection, Dialect, cancellationToken), cancellationToken);

    public Task<bool> RecordHeartbeatAsync(string name, DateTimeOffset time, ServerLoad load, CancellationToken cancellationToken)
        => Serially(() => ServerTables.RecordHeartbeatAsync(_connection, Dialect, name, time, load, cancellationToken), cancellationToken);

    public Task SetLabelsAsync(string name, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken)
        => Serially(() => ServerTables.SetLabelsAsync(_connection, name, labels, cancellationToken), cancellationToken);

    public Task AddAvailabilitySubjectAsync(SubjectKind kind, string subject, DateTimeOffset firstSeen, CancellationToken cancellationToken)
        => Serially(() => AvailabilityTables.AddSubjectAsync(_connection, Dialect, kind, subject, firstSeen, cancellationToken), cancellationToken);

    public Task<IReadOnlyList<AvailabilitySubject>> ListAvailabilitySubjectsAsync(CancellationToken cancellationToken)
        => Serially(() => AvailabilityTables.ListSubjectsAsync(_connection, Dialect, cancellationToken), cancellationToken);

    public Task<long> OpenDowntimeAsync(DowntimeRecord downtime, CancellationToken cancellationToken)
        => Serially(() => AvailabilityTables.OpenDowntimeAsync(_connection, Dialect, downtime, cancellationToken), cancellationToken);

    public Task CloseDowntimeAsync(long id, DateTimeOffset ended, CancellationToken cancellationToken)
        => Serially(() => AvailabilityTables.CloseDowntimeAsync(_connection, Dialect, id, ended, cancellationToken), cancellationToken);

    public Task<int> CloseOpenDowntimeAsync(DateTimeOffset ended, CancellationToken cancellationToken)
        => Serially(() => AvailabilityTables.CloseOpenDowntimeAsync(_connection, Dialect, ended, cancellationToken), cancellationToken);

    public Task<IReadOnlyList<DowntimeRecord>> ListDowntimeAsync(DateTimeOffset since, CancellationToken cancellationToken)
        => Serially(() => AvailabilityTables.ListDowntimeAsync(_connection, Dialect, since, cancellationToken), cancellationToken);

    public Task<bool> AddAppAsync(AppDefinition app, DateTimeOffset created, CancellationToken cancellationToken)
        => Serially(() => AppTables.AddAsync(_connection, Dialect, app, created, cancellationToken), cancellationToken);

    public Task<IReadOnlyList<AppDefinition>> ListAppsAsync(CancellationToken cancellationToken)
        => Serially(() => AppTables.ListAsync(_connection, cancellationToken), cancellationToken);

    public Task<bool> RemoveAppAsync(string name, CancellationToken cancellationToken)
        => Serially(() => AppTables.RemoveAsync(_connection, name, cancellationToken), cancellationToken);

    public Task<long> AddDeploymentAsync(DeploymentRecord deployment, CancellationToken cancellationToken)
        => Serially(() => DeploymentTables.AddAsync(_connection, Dialect, deployment, cancellationToken), cancellationToken);

    public Task SaveDeploymentAsync(DeploymentRecord deployment, CancellationToken cancellationToken)
        => Serially(() => DeploymentTables.SaveAsync(_connection, deployment, cancellationToken), cancellationToken);

    public Task<IReadOnlyList<DeploymentRecord>> ListDeploymentsAsync(string? app, int limit, CancellationToken cancellationToken)
        => Serially(() => DeploymentTables.ListAsync(_connection, app, limit, cancellationToken), cancellationToken);

    public Task<DeploymentRecord?> GetDeploymentAsync(long id, CancellationToken cancellationToken)
        => Serially(() => DeploymentTables.GetAsync(_connection, id, cancellationToken), cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task Serially(Func<Task> action, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await action().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<T> Serially<T>(Func<Task<T>> action, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await action().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }
}
