namespace WebFarm.Testing;

/// <summary>
/// What a test started (processes, hosts, agents), disposed newest first when the test ends, even when it failed: an
/// agent goes before the controller it talks to, a controller before the balancers it drives.
/// </summary>
public sealed class StartedResources : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _started = [];

    /// <summary>Keeps <paramref name="started"/> to dispose at the end; returns it.</summary>
    public T Own<T>(T started)
        where T : IAsyncDisposable
    {
        _started.Add(started);
        return started;
    }

    /// <summary>Forgets <paramref name="disposed"/>, which the test disposed itself.</summary>
    public void Forget(IAsyncDisposable disposed) => _started.Remove(disposed);

    public async ValueTask DisposeAsync()
    {
        for (var i = _started.Count - 1; i >= 0; i--)
        {
            await _started[i].DisposeAsync();
        }

        _started.Clear();
    }
}
