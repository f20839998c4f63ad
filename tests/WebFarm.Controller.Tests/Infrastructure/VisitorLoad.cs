using System.Net;
using System.Text.RegularExpressions;

namespace WebFarm.Controller.Tests.Infrastructure;

/// <summary>
/// HelloFarm's visitors through the balancer: <c>clients</c> virtual visitors, each on its own keep-alive connection
/// with its own cookies, going round GET / (the form and its antiforgery token) → POST / (a name into the session,
/// 302) → GET /about (the name read back from the session). Every unexpected status, transport failure and name the
/// session lost is recorded. Bounded generously in rounds and firmly in time by the caller's token.
/// </summary>
internal sealed partial class VisitorLoad
{
    private readonly List<string> _failures = [];
    private readonly HashSet<(string Server, string Release)> _seen = [];
    private int _requests;
    private int _rounds;
    private int _lostSessions;

    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Completed rounds (the three requests answered as expected).</summary>
    public int Rounds => Volatile.Read(ref _rounds);

    /// <summary>Rounds whose /about did not show the name just posted (the session was lost).</summary>
    public int LostSessions => Volatile.Read(ref _lostSessions);

    public IReadOnlyList<string> Failures
    {
        get
        {
            lock (_failures)
            {
                return [.. _failures];
            }
        }
    }

    /// <summary>The (server, release) pairs that answered pages since <see cref="ForgetSeen"/>.</summary>
    public IReadOnlyCollection<(string Server, string Release)> Seen
    {
        get
        {
            lock (_seen)
            {
                return [.. _seen];
            }
        }
    }

    public void ForgetSeen()
    {
        lock (_seen)
        {
            _seen.Clear();
        }
    }

    public Task RunAsync(Uri balancer, int clients, CancellationToken stop, int maxRounds = 1_000_000)
        => Task.WhenAll(Enumerable.Range(0, clients).Select(i => Task.Run(() => VisitAsync(balancer, i, stop, maxRounds))));

    private async Task VisitAsync(Uri balancer, int client, CancellationToken stop, int maxRounds)
    {
        using var handler = new SocketsHttpHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false, MaxConnectionsPerServer = 1, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) };
        using var http = new HttpClient(handler) { BaseAddress = balancer, Timeout = TimeSpan.FromSeconds(30) };
        for (var round = 0; round < maxRounds && !stop.IsCancellationRequested; round++)
        {
            try
            {
                var form = await GetAsync(http, "/");
                if (form is null || TokenField().Match(form) is not { Success: true } token)
                {
                    continue;
                }

                var first = $"visitor{client}";
                var last = $"round{round}";
                using var content = new FormUrlEncodedContent(new Dictionary<string, string>
                {
                    [token.Groups[1].Value] = WebUtility.HtmlDecode(token.Groups[2].Value),
                    ["firstName"] = first,
                    ["lastName"] = last,
                });
                Interlocked.Increment(ref _requests);
                using (var posted = await http.PostAsync("/", content, CancellationToken.None))
                {
                    if (posted.StatusCode != HttpStatusCode.Redirect)
                    {
                        Fail($"POST / answered {(int)posted.StatusCode}: {Excerpt(await posted.Content.ReadAsStringAsync(CancellationToken.None))}");
                        continue;
                    }
                }

                var about = await GetAsync(http, "/about");
                if (about is null)
                {
                    continue;
                }

                if (!about.Contains($"<span id=\"firstName\">{first}</span> <span id=\"lastName\">{last}</span>", StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref _lostSessions);
                    Fail($"GET /about after posting {first} {last} does not show the name (session lost): {Excerpt(about)}");
                    continue;
                }

                Interlocked.Increment(ref _rounds);
            }
            catch (HttpRequestException ex)
            {
                Fail(ex.Message);
            }
            catch (TaskCanceledException ex)
            {
                Fail("timed out: " + ex.Message);
            }

            await Task.Delay(10, CancellationToken.None);
        }
    }

    private async Task<string?> GetAsync(HttpClient http, string path)
    {
        Interlocked.Increment(ref _requests);
        using var response = await http.GetAsync(path, CancellationToken.None);
        var body = await response.Content.ReadAsStringAsync(CancellationToken.None);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            Fail($"GET {path} answered {(int)response.StatusCode}: {Excerpt(body)}");
            return null;
        }

        if (ServedBy().Match(body) is { Success: true } served)
        {
            lock (_seen)
            {
                _seen.Add((served.Groups[1].Value, served.Groups[2].Success ? served.Groups[2].Value : "-"));
            }
        }

        return body;
    }

    private void Fail(string reason)
    {
        lock (_failures)
        {
            _failures.Add(reason);
        }
    }

    /// <summary>The page's content after its head (who served it, what it says), or the start of a non-page answer.</summary>
    private static string Excerpt(string body)
    {
        var start = body.IndexOf("<div class=\"served-by\">", StringComparison.Ordinal);
        var text = start < 0 ? body : body[start..];
        return text.Length > 400 ? text[..400] : text;
    }

    [GeneratedRegex("<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]+)\">")]
    private static partial Regex TokenField();

    [GeneratedRegex("id=\"server\">([^<]+)</span>(?:(?s:.*?)id=\"release\">([^<]+)</span>)?")]
    private static partial Regex ServedBy();
}
