using WebFarm.Agent.Control;
using WebFarm.Controller.Availability;

namespace WebFarm.Controller.Store;

/// <summary>
/// The controller's farm store: join tokens, servers and availability records (apps, placements and events come with
/// their features). Embedded SQLite by default (<see cref="SqliteControllerStore"/>); PostgreSQL for a standby pair
/// (<see cref="PostgresControllerStore"/>). Both create the tables of <see cref="ControllerSchema"/>. Secrets are kept
/// only as SHA-256 hashes.
/// </summary>
public interface IControllerStore : IAppStore, IDeploymentStore, IAsyncDisposable
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

    /// <summary>Keeps a server's labels (replacing those it had).</summary>
    Task SetLabelsAsync(string name, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken);

    /// <summary>Records that <paramref name="subject"/> is tracked from <paramref name="firstSeen"/> (kept if already recorded).</summary>
    Task AddAvailabilitySubjectAsync(SubjectKind kind, string subject, DateTimeOffset firstSeen, CancellationToken cancellationToken);

    Task<IReadOnlyList<AvailabilitySubject>> ListAvailabilitySubjectsAsync(CancellationToken cancellationToken);

    /// <summary>Starts a downtime interval (its <see cref="DowntimeRecord.Id"/> and <see cref="DowntimeRecord.Ended"/> are ignored); returns its id.</summary>
    Task<long> OpenDowntimeAsync(DowntimeRecord downtime, CancellationToken cancellationToken);

    /// <summary>Ends the interval <paramref name="id"/> (no-op when it has ended already).</summary>
    Task CloseDowntimeAsync(long id, DateTimeOffset ended, CancellationToken cancellationToken);

    /// <summary>Ends every interval still open (a new leader does this: it observes afresh); returns how many.</summary>
    Task<int> CloseOpenDowntimeAsync(DateTimeOffset ended, CancellationToken cancellationToken);

    /// <summary>Intervals that were down at or after <paramref name="since"/> (open ones included), oldest first.</summary>
    Task<IReadOnlyList<DowntimeRecord>> ListDowntimeAsync(DateTimeOffset since, CancellationToken cancellationToken);
}
