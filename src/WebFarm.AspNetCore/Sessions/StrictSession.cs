using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Http;

namespace WebFarm.AspNetCore.Sessions;

/// <summary>
/// ASP.NET Core's distributed session, except that a change to a session the store could not load throws instead of
/// vanishing. The stock session loads lazily and synchronously on first use; when that load fails (the store is
/// failing over, say) it marks itself unavailable, ignores <c>Set</c>, and its commit then only refreshes the
/// expiry — which succeeds once the store is back, so the page reports success for a write that was never made.
/// ClusterFailoverTests caught exactly that: "user 4 read 'u4-5' after 'u4-6' was acknowledged". Reads keep the
/// stock behaviour (an unavailable session reads as empty); apps that must tell "empty" from "unreadable" call
/// <see cref="LoadAsync"/>, which throws.
/// </summary>
internal sealed class StrictSession(ISession inner) : ISession
{
    public bool IsAvailable => inner.IsAvailable;

    public string Id => inner.Id;

    public IEnumerable<string> Keys => inner.Keys;

    public Task LoadAsync(CancellationToken cancellationToken = default) => inner.LoadAsync(cancellationToken);

    public Task CommitAsync(CancellationToken cancellationToken = default) => inner.CommitAsync(cancellationToken);

    public bool TryGetValue(string key, [NotNullWhen(true)] out byte[]? value) => inner.TryGetValue(key, out value);

    public void Set(string key, byte[] value)
    {
        EnsureLoaded("set", key);
        inner.Set(key, value);
    }

    public void Remove(string key)
    {
        EnsureLoaded("remove", key);
        inner.Remove(key);
    }

    public void Clear()
    {
        EnsureLoaded("clear", null);
        inner.Clear();
    }

    private void EnsureLoaded(string change, string? key)
    {
        if (!inner.IsAvailable)
        {
            string what = key is null ? "clear the session" : $"{change} session key '{key}'";
            throw new SessionStoreUnavailableException(
                $"Cannot {what}: the session could not be loaded from the WebFarm store (the session read error is logged just before), so the change would be lost. Retry the request.");
        }
    }
}
