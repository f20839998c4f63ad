using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace WebFarm.Balancer.Dashboard;

/// <summary>
/// The dashboard's logins, in memory (a restart of the balancer logs everyone out). The cookie holds only a random
/// session id, never the admin token; each session has its own CSRF token, which pages carry in a meta tag and
/// scripts send back in <see cref="CsrfHeader"/> on every state-changing request. The cookie is HttpOnly,
/// SameSite=Strict and scoped to /dashboard, so it is not sent to the data plane's pages on the same host.
/// </summary>
internal sealed class DashboardSessions(TimeProvider? time = null)
{
    public const string CookieName = "webfarm_dashboard";
    public const string CsrfHeader = "X-WebFarm-Csrf";
    public const string CookiePath = "/dashboard";

    /// <summary>A login lasts a working day; after that the login form asks for the token again.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(12);

    /// <summary>Bounds the table against a client that logs in in a loop: past this, the oldest session is dropped.</summary>
    public const int MaxSessions = 1000;

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, DashboardSession> _sessions = new(StringComparer.Ordinal);

    /// <summary>Starts a session and sets its cookie on the response.</summary>
    public DashboardSession Start(HttpContext context)
    {
        var now = _time.GetUtcNow();
        var session = new DashboardSession(NewSecret(), NewSecret(), now + Lifetime);
        lock (_lock)
        {
            if (_sessions.Count >= MaxSessions)
            {
                DropExpiredOrOldest(now);
            }

            _sessions[session.Id] = session;
        }

        context.Response.Cookies.Append(CookieName, session.Id, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = context.Request.IsHttps,
            Path = CookiePath,
            MaxAge = Lifetime,
            IsEssential = true,
        });
        return session;
    }

    /// <summary>The live session the request's cookie names, or null.</summary>
    public DashboardSession? Find(HttpRequest request)
    {
        if (!request.Cookies.TryGetValue(CookieName, out var id) || string.IsNullOrEmpty(id))
        {
            return null;
        }

        lock (_lock)
        {
            if (!_sessions.TryGetValue(id, out var session))
            {
                return null;
            }

            if (session.Expires <= _time.GetUtcNow())
            {
                _sessions.Remove(id);
                return null;
            }

            return session;
        }
    }

    /// <summary>Ends the request's session (logout) and clears its cookie.</summary>
    public void End(HttpContext context)
    {
        if (Find(context.Request) is { } session)
        {
            lock (_lock)
            {
                _sessions.Remove(session.Id);
            }
        }

        context.Response.Cookies.Delete(CookieName, new CookieOptions { Path = CookiePath, HttpOnly = true, SameSite = SameSiteMode.Strict });
    }

    /// <summary>True when the request carries <paramref name="session"/>'s CSRF token in <see cref="CsrfHeader"/> (fixed-time compare).</summary>
    public static bool HasCsrfToken(HttpRequest request, DashboardSession session)
    {
        var values = request.Headers[CsrfHeader];
        if (values.Count != 1 || values[0] is not { Length: > 0 } presented)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(session.CsrfToken));
    }

    private void DropExpiredOrOldest(DateTimeOffset now)
    {
        DashboardSession? oldest = null;
        List<string>? expired = null;
        foreach (var session in _sessions.Values)
        {
            if (session.Expires <= now)
            {
                (expired ??= []).Add(session.Id);
            }
            else if (oldest is null || session.Expires < oldest.Expires)
            {
                oldest = session;
            }
        }

        foreach (var id in expired ?? [])
        {
            _sessions.Remove(id);
        }

        if (expired is null && oldest is not null)
        {
            _sessions.Remove(oldest.Id);
        }
    }

    private static string NewSecret() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
