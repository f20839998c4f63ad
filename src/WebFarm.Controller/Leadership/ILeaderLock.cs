namespace WebFarm.Controller.Leadership;

/// <summary>
/// What makes one controller the leader: a lock only one holder can have at a time, released when its holder dies.
/// <see cref="LeaderElection"/> drives it; implementations: <see cref="PostgresLeaderLock"/> (a pair on one database)
/// and <see cref="SoleLeaderLock"/> (the embedded store: always the leader).
/// </summary>
public interface ILeaderLock : IAsyncDisposable
{
    /// <summary>Tries to take the lock, advertising <paramref name="advertisedUrl"/> as the leader's API; true = this controller leads.</summary>
    Task<bool> TryAcquireAsync(string advertisedUrl, CancellationToken cancellationToken);

    /// <summary>Whether this controller still holds the lock; false (never an exception) when its hold is gone or cannot be confirmed.</summary>
    Task<bool> IsHeldAsync(CancellationToken cancellationToken);

    /// <summary>The API URL the current holder advertises; null when nobody holds the lock.</summary>
    Task<string?> FindLeaderAsync(CancellationToken cancellationToken);

    /// <summary>Gives the lock up (a leader that stops or fails to start leading).</summary>
    Task ReleaseAsync();
}
