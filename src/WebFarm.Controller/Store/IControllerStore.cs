using WebFarm.Agent.Control;

namespace WebFarm.Controller.Store;

/// <summary>
/// The controller's farm store: join tokens and servers (apps, placements, events and availability come with their
/// features). Embedded SQLite by default (<see cref="SqliteControllerStore"/>); a PostgreSQL implementation for a
/// standby pair is planned. Secrets are kept only as SHA-256 hashes.
/// </summary>
public interface IControllerStore : IAsyncDisposable
{
    /// <summary>Records a new one-time join token (its hash) valid until <paramref name="expires"/>.</summary>
    Task AddJoinTokenAsync(byte[] tokenHash, DateTimeOffset created, DateTimeOffset expires, CancellationToken cancellationToken);

    /// <summary>
    /// Consumes the join token and records the server, in one transaction: on any outcome but
    /// <see cref="JoinOutcome.Joined"/> nothing changes (the token stays usable when the name was the problem).
    /// </summary>
    Task<JoinOutcome> JoinAsync(byte[] tokenHash, ServerRecord server, CancellationToken cancellationToken);

    Task<IReadOnlyList<ServerRecord>> ListServersAsync(CancellationToken cancellationToken);

    /// <summary>Keeps the last heartbeat and load of a server (false when there is no such server).</summary>
    Task<bool> RecordHeartbeatAsync(string name, DateTimeOffset time, ServerLoad load, CancellationToken cancellationToken);
}
