using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace WebFarm.Agent.Control;

/// <summary>
/// The agent's side of the agent protocol: join and heartbeat, over HTTP + JSON, to whichever of the given controllers
/// leads (<see cref="LeaderFollower"/>).
/// </summary>
public sealed class ControllerClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly LeaderFollower _leader;

    public ControllerClient(IReadOnlyList<Uri> controllers, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(controllers);
        _leader = new LeaderFollower(controllers);

        // A controller that does not accept the connection within 2 s is passed over for the next one, so a dead
        // leader's address costs a heartbeat at most 2 s, not the whole request timeout.
        var handler = new SocketsHttpHandler { ConnectTimeout = timeout < TimeSpan.FromSeconds(2) ? timeout : TimeSpan.FromSeconds(2) };
        _http = new HttpClient(handler) { Timeout = timeout };
    }

    /// <summary>The controller that answered last (the leader, when several are given).</summary>
    public Uri Controller => _leader.Current;

    /// <exception cref="AgentRefusedException">The controller refused the join (its message says why).</exception>
    /// <exception cref="HttpRequestException">The controller could not be reached.</exception>
    public async Task<JoinResponse> JoinAsync(JoinRequest request, CancellationToken cancellationToken)
    {
        using var response = await _leader.SendAsync(
            _http,
            controller => new HttpRequestMessage(HttpMethod.Post, new Uri(controller, "api/agents/join")) { Content = JsonContent.Create(request, options: ProtocolJson.Options) },
            cancellationToken).ConfigureAwait(false);
        await ThrowIfRefusedAsync(response, "refused the join", cancellationToken).ConfigureAwait(false);
        return await response.Content.ReadFromJsonAsync<JoinResponse>(ProtocolJson.Options, cancellationToken).ConfigureAwait(false)
            ?? throw new HttpRequestException($"controller {Controller} answered the join with an empty body");
    }

    /// <exception cref="AgentRefusedException">The controller does not accept the credential.</exception>
    /// <exception cref="HttpRequestException">The controller could not be reached.</exception>
    public async Task<HeartbeatResponse> HeartbeatAsync(string credential, ServerLoad load, CancellationToken cancellationToken)
    {
        using var response = await _leader.SendAsync(
            _http,
            controller =>
            {
                var request = new HttpRequestMessage(HttpMethod.Post, new Uri(controller, "api/agents/heartbeat"))
                {
                    Content = JsonContent.Create(new HeartbeatRequest(load), options: ProtocolJson.Options),
                };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", credential);
                return request;
            },
            cancellationToken).ConfigureAwait(false);
        await ThrowIfRefusedAsync(response, "refused the heartbeat", cancellationToken).ConfigureAwait(false);
        return await response.Content.ReadFromJsonAsync<HeartbeatResponse>(ProtocolJson.Options, cancellationToken).ConfigureAwait(false)
            ?? throw new HttpRequestException($"controller {Controller} answered the heartbeat with an empty body");
    }

    public void Dispose() => _http.Dispose();

    private async Task ThrowIfRefusedAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        var reason = body;
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("error", out var error))
            {
                reason = error.GetString() ?? body;
            }
        }
        catch (JsonException)
        {
            // Not the controller's JSON error (a proxy's page?): show the body as it is.
        }

        var status = (int)response.StatusCode;
        if (status >= 500)
        {
            throw new HttpRequestException($"controller {Controller} failed ({status}): {reason}", null, response.StatusCode);
        }

        throw new AgentRefusedException(status, $"controller {Controller} {what} ({status}): {reason}");
    }
}
