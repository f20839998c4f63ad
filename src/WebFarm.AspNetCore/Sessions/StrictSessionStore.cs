using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Session;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Logging;

namespace WebFarm.AspNetCore.Sessions;

/// <summary>Creates ASP.NET Core's distributed sessions wrapped in <see cref="StrictSession"/>.</summary>
internal sealed class StrictSessionStore(IDistributedCache cache, ILoggerFactory loggerFactory) : ISessionStore
{
    private readonly DistributedSessionStore _inner = new(cache, loggerFactory);

    public ISession Create(string sessionKey, TimeSpan idleTimeout, TimeSpan ioTimeout, Func<bool> tryEstablishSession, bool isNewSessionKey)
        => new StrictSession(_inner.Create(sessionKey, idleTimeout, ioTimeout, tryEstablishSession, isNewSessionKey));
}
