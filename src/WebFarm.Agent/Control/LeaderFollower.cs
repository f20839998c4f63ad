using System.Net;

namespace WebFarm.Agent.Control;

/// <summary>
/// Sends controller API calls to whichever of several controllers leads, for the agent and the CLI alike. A standby
/// answers 503 with the leader's URL in <see cref="LeaderHeader"/>: the call is sent there. A controller that cannot be
/// reached, or a standby that knows no leader (a takeover in progress), passes the call to the next URL given. Each
/// call tries each controller at most once (plus the leader it was pointed at), so it is bounded; the controller that
/// answered is tried first next time.
/// </summary>
public sealed class LeaderFollower
{
    /// <summary>The response header in which a standby names the leader's API URL (absent when it knows none).</summary>
    public const string LeaderHeader = "WebFarm-Leader";

    /// <summary>The response header a controller that does not lead answers with: <see cref="StandbyRole"/>.</summary>
    public const string RoleHeader = "WebFarm-Role";

    public const string StandbyRole = "standby";

    private readonly IReadOnlyList<Uri> _controllers;
    private readonly string _what;
    private Uri _current;

    /// <param name="controllers">The URLs to try, in order.</param>
    /// <param name="what">What they are, for the message when none answers ("controller"; the CLI's balancer commands
    /// give "admin API", where a single URL is tried and no leader is followed).</param>
    public LeaderFollower(IReadOnlyList<Uri> controllers, string what = "controller")
    {
        ArgumentNullException.ThrowIfNull(controllers);
        ArgumentOutOfRangeException.ThrowIfZero(controllers.Count);
        _controllers = controllers;
        _current = controllers[0];
        _what = what;
    }

    /// <summary>The controller calls go to first (the last one that answered as leader).</summary>
    public Uri Current => Volatile.Read(ref _current);

    /// <summary>The URLs as given, comma-separated (for messages).</summary>
    public string Given => string.Join(",", _controllers);

    /// <summary>
    /// Sends <paramref name="request"/> (built per attempt for a base URL) to the leader. Returns the first answer that
    /// is not a standby's redirection; a 503 from a standby that names no leader is returned only when no other
    /// controller answers better.
    /// </summary>
    /// <exception cref="HttpRequestException">No controller could be reached (the last failure, naming them all).</exception>
    /// <exception cref="TaskCanceledException">The last controller tried did not answer in time.</exception>
    public Task<HttpResponseMessage> SendAsync(HttpClient http, Func<Uri, HttpRequestMessage> request, CancellationToken cancellationToken)
        => SendAsync(http, request, HttpCompletionOption.ResponseContentRead, cancellationToken);

    /// <inheritdoc cref="SendAsync(HttpClient, Func{Uri, HttpRequestMessage}, CancellationToken)"/>
    /// <param name="completion">ResponseHeadersRead for an answer read as it streams (`webfarm run`).</param>
    public async Task<HttpResponseMessage> SendAsync(HttpClient http, Func<Uri, HttpRequestMessage> request, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(request);
        var tried = new List<Uri>(_controllers.Count + 1);
        var target = Current;
        Exception? failure = null;
        HttpResponseMessage? standby = null;
        while (target is not null)
        {
            tried.Add(target);
            HttpResponseMessage response;
            try
            {
                using var message = request(target);
                response = await http.SendAsync(message, completion, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
            {
                failure = ex;
                target = Next(target, tried);
                continue;
            }

            if (!IsStandbyAnswer(response))
            {
                standby?.Dispose();
                Volatile.Write(ref _current, target);
                return response;
            }

            // A standby: follow the leader it names, once; else try the next controller given.
            var leader = response.Headers.TryGetValues(LeaderHeader, out var values) ? values.FirstOrDefault() : null;
            standby?.Dispose();
            standby = response;
            target = leader is not null && Uri.TryCreate(leader, UriKind.Absolute, out var leaderUrl) && !tried.Contains(leaderUrl)
                ? leaderUrl
                : Next(target, tried);
        }

        if (standby is not null)
        {
            return standby;
        }

        throw failure switch
        {
            TaskCanceledException timeout => new TaskCanceledException($"{Whom()} answered in time ({timeout.Message})", timeout),
            _ => new HttpRequestException($"{Whom()} can be reached: {failure?.Message}", failure),
        };
    }

    /// <summary>"no controller of A,B", or "no admin API at A" for a single URL.</summary>
    private string Whom() => _controllers.Count == 1 ? $"no {_what} at {Given}" : $"no {_what} of {Given}";

    private static bool IsStandbyAnswer(HttpResponseMessage response)
        => response.StatusCode == HttpStatusCode.ServiceUnavailable
            && response.Headers.TryGetValues(RoleHeader, out var role) && role.Contains(StandbyRole, StringComparer.Ordinal);

    private Uri? Next(Uri after, List<Uri> tried)
    {
        var start = 0;
        for (var i = 0; i < _controllers.Count; i++)
        {
            if (_controllers[i] == after)
            {
                start = i + 1;
                break;
            }
        }

        for (var i = 0; i < _controllers.Count; i++)
        {
            var candidate = _controllers[(start + i) % _controllers.Count];
            if (!tried.Contains(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
