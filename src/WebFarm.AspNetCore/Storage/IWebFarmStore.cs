namespace WebFarm.AspNetCore.Storage;

/// <summary>The shared store as the health check sees it: what it is, where it is, and whether it answers.</summary>
public interface IWebFarmStore
{
    /// <summary>Short store kind for health output and metric tags: <c>resp</c> or <c>postgres</c>.</summary>
    string Kind { get; }

    /// <summary>Where the store is (endpoint or host/database), never including a password.</summary>
    string Target { get; }

    /// <summary>Checks that the store answers; throws when it does not.</summary>
    Task PingAsync(CancellationToken cancellationToken);
}
