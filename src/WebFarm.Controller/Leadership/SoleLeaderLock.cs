namespace WebFarm.Controller.Leadership;

/// <summary>The embedded (SQLite) store has one controller: it always leads.</summary>
public sealed class SoleLeaderLock : ILeaderLock
{
    private string? _url;

    public Task<bool> TryAcquireAsync(string advertisedUrl, CancellationToken cancellationToken)
    {
        _url = advertisedUrl;
        return Task.FromResult(true);
    }

    public Task<bool> IsHeldAsync(CancellationToken cancellationToken) => Task.FromResult(_url is not null);

    public Task<string?> FindLeaderAsync(CancellationToken cancellationToken) => Task.FromResult(_url);

    public Task ReleaseAsync()
    {
        _url = null;
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
