using System.Data;
using Npgsql;
using WebFarm.Controller.Store;

namespace WebFarm.Controller.Leadership;

/// <summary>
/// Leadership of a controller pair on one PostgreSQL database: a session-level advisory lock held on a dedicated,
/// unpooled session. PostgreSQL itself decides: the lock is the leader's for as long as its session lives, and is
/// released the moment the session ends (the leader's process is killed: its socket closes; its machine vanishes:
/// the server-side TCP keepalives set below end the session within about 4 s). The leader also records its API URL
/// with its backend pid in <c>controller_leader</c>; a standby reads that row joined with <c>pg_locks</c>, so it only
/// ever names the controller that holds the lock now, never a stale one.
/// </summary>
public sealed class PostgresLeaderLock : ILeaderLock
{
    /// <summary>The advisory lock's two-int key: ("WFCT", 1). One farm per database.</summary>
    public const int LockClass = 0x57464354;

    public const int LockObject = 1;

    /// <summary>Created with the store's tables (in its schema).</summary>
    public const string CreateSql = "CREATE TABLE IF NOT EXISTS controller_leader (lock_key integer PRIMARY KEY, url text NOT NULL, pid integer NOT NULL, since timestamptz NOT NULL);\n";

    private static readonly string LockHeldSql = $"""
        locktype = 'advisory' AND granted AND classid = {LockClass} AND objid = {LockObject} AND objsubid = 2
        AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
        """;

    private readonly string _connectionString;
    private NpgsqlConnection? _session;

    /// <param name="store">The parsed `--store` URL.</param>
    public PostgresLeaderLock(NpgsqlConnectionStringBuilder store)
    {
        ArgumentNullException.ThrowIfNull(store);
        _connectionString = new NpgsqlConnectionStringBuilder(store.ConnectionString)
        {
            SearchPath = PostgresControllerStore.SchemaName,

            // The lock lives exactly as long as this one physical session: never pooled, never shared.
            Pooling = false,
            ApplicationName = "webfarm-controller (leader lock)",

            // A check that takes longer than this is a failed one: the leader steps down rather than wait.
            CommandTimeout = 2,
            Timeout = 3,
        }.ConnectionString;
    }

    public async Task<bool> TryAcquireAsync(string advertisedUrl, CancellationToken cancellationToken)
    {
        try
        {
            var session = await SessionAsync(cancellationToken).ConfigureAwait(false);
            await using (var take = session.Command($"SELECT pg_try_advisory_lock({LockClass}, {LockObject})"))
            {
                if (await take.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not true)
                {
                    return false;
                }
            }

            await using var advertise = session.Command("""
                INSERT INTO controller_leader (lock_key, url, pid, since) VALUES (@key, @url, pg_backend_pid(), now())
                ON CONFLICT (lock_key) DO UPDATE SET url = EXCLUDED.url, pid = EXCLUDED.pid, since = EXCLUDED.since
                """).With("@key", LockObject).With("@url", advertisedUrl);
            await advertise.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch
        {
            // Holding the lock without having advertised would leave the pair with a leader nobody can find.
            await ReleaseAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async Task<bool> IsHeldAsync(CancellationToken cancellationToken)
    {
        if (_session is not { State: ConnectionState.Open } session)
        {
            return false;
        }

        try
        {
            await using var check = session.Command($"SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() AND {LockHeldSql}");
            return await check.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long and > 0;
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            await ReleaseAsync().ConfigureAwait(false);
            return false;
        }
    }

    public async Task<string?> FindLeaderAsync(CancellationToken cancellationToken)
    {
        var session = await SessionAsync(cancellationToken).ConfigureAwait(false);
        await using var find = session.Command($"SELECT l.url FROM controller_leader l WHERE l.lock_key = @key AND EXISTS (SELECT 1 FROM pg_locks WHERE pid = l.pid AND {LockHeldSql})")
            .With("@key", LockObject);
        return await find.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
    }

    public async Task ReleaseAsync()
    {
        // Ending the session releases every lock it holds; no unlock call that could itself fail half-way.
        var session = _session;
        _session = null;
        if (session is not null)
        {
            await session.DisposeAsync().ConfigureAwait(false);
        }
    }

    public ValueTask DisposeAsync() => new(ReleaseAsync());

    private async Task<NpgsqlConnection> SessionAsync(CancellationToken cancellationToken)
    {
        if (_session is { State: ConnectionState.Open } open)
        {
            return open;
        }

        await ReleaseAsync().ConfigureAwait(false);
        var session = new NpgsqlConnection(_connectionString);
        try
        {
            await session.OpenAsync(cancellationToken).ConfigureAwait(false);

            // Server side: a leader whose machine vanishes (no FIN, no RST) loses its session, and so the lock, after
            // about 4 s of silence instead of the kernel's default two hours.
            await using var keepalive = session.Command("SET tcp_keepalives_idle = 2; SET tcp_keepalives_interval = 1; SET tcp_keepalives_count = 2; SET tcp_user_timeout = 4000");
            await keepalive.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        _session = session;
        return session;
    }
}
