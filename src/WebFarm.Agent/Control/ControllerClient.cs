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
            controller => new HttpRequestMessage(HttpMethod.Post, new Uri(controller, "api/agents/join")) { Content = JsonContent.Create(request, ProtocolJson.TypeInfo<JoinRequest>()) },
            cancellationToken).ConfigureAwait(false);
        await ThrowIfRefusedAsync(response, "refused the join", cancellationToken).ConfigureAwait(false);
        return await response.Content.ReadFromJsonAsync(ProtocolJson.TypeInfo<JoinResponse>(), cancellationToken).ConfigureAwait(false)
            ?? throw new HttpRequestException($"controller {Controller} answered the join with an empty body");
    }

    /// <exception cref="AgentRefusedException">The controller does not accept the credential.</exception>
    /// <exception cref="HttpRequestException">The controller could not be reached.</exception>
    public async Task<HeartbeatResponse> HeartbeatAsync(string credential, HeartbeatRequest heartbeat, CancellationToken cancellationToken)
    {
        using var response = await _leader.SendAsync(
            _http,
            controller =>
            {
                var request = new HttpRequestMessage(HttpMethod.Post, new Uri(controller, "api/agents/heartbeat"))
                {
                    Content = JsonContent.Create(heartbeat, ProtocolJson.TypeInfo<HeartbeatRequest>()),
                };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", credential);
                return request;
            },
            cancellationToken).ConfigureAwait(false);
        await ThrowIfRefusedAsync(response, "refused the heartbeat", cancellationToken).ConfigureAwait(false);
        return await response.Content.ReadFromJsonAsync(ProtocolJson.TypeInfo<HeartbeatResponse>(), cancellationToken).ConfigureAwait(false)
            ?? throw new HttpRequestException($"controller {Controller} answered the heartbeat with an empty body");
    }

    /// <summary>Tells what this agent holds and learns what it should hold (<see cref="Releases.ReleaseSync"/>).</summary>
    /// <exception cref="AgentRefusedException">The controller does not accept the credential.</exception>
    /// <exception cref="HttpRequestException">The controller could not be reached.</exception>
    public async Task<Releases.SyncResponse> SyncAsync(string credential, Releases.SyncRequest sync, CancellationToken cancellationToken)
    {
        using var response = await _leader.SendAsync(
            _http,
            controller =>
            {
                var request = Authorized(controller, HttpMethod.Post, "api/agents/sync", credential);
                request.Content = JsonContent.Create(sync, ProtocolJson.TypeInfo<Releases.SyncRequest>());
                return request;
            },
            cancellationToken).ConfigureAwait(false);
        await ThrowIfRefusedAsync(response, "refused the sync", cancellationToken).ConfigureAwait(false);
        return await response.Content.ReadFromJsonAsync(ProtocolJson.TypeInfo<Releases.SyncResponse>(), cancellationToken).ConfigureAwait(false)
            ?? throw new HttpRequestException($"controller {Controller} answered the sync with an empty body");
    }

    /// <summary>A release's or content set version's manifest ("release" or "content").</summary>
    public async Task<Releases.TreeManifest> GetManifestAsync(string credential, string kind, string name, long id, CancellationToken cancellationToken)
    {
        using var request = Authorized(HttpMethod.Get, $"api/agents/{(kind == Releases.TreeInstaller.ContentKind ? "content" : "releases")}/{Uri.EscapeDataString(name)}/{id}", credential);
        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        await ThrowIfRefusedAsync(response, $"refused {kind} {name} #{id}", cancellationToken).ConfigureAwait(false);
        return await response.Content.ReadFromJsonAsync(ProtocolJson.TypeInfo<Releases.TreeManifest>(), cancellationToken).ConfigureAwait(false)
            ?? throw new HttpRequestException($"controller {Controller} answered {kind} {name} #{id} with an empty body");
    }

    /// <summary>A blob's bytes, streamed (disposing the stream ends the response).</summary>
    public async Task<Stream> OpenBlobAsync(string credential, string sha256, CancellationToken cancellationToken)
    {
        using var request = Authorized(HttpMethod.Get, $"api/agents/blobs/{sha256}", credential);
        var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        try
        {
            await ThrowIfRefusedAsync(response, $"refused blob {sha256}", cancellationToken).ConfigureAwait(false);
            return await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    public void Dispose() => _http.Dispose();

    /// <summary>The "error" of the controller's JSON error body, or the body as it is (a proxy's page?).</summary>
    public static string ErrorText(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("error", out var error))
            {
                return error.GetString() ?? body;
            }
        }
        catch (JsonException)
        {
            // Not the controller's JSON error: shown as it is.
        }

        return body;
    }

    /// <summary>A request to the controller that leads now (the heartbeat's follower keeps <see cref="Controller"/> current).</summary>
    private HttpRequestMessage Authorized(HttpMethod method, string path, string credential) => Authorized(Controller, method, path, credential);

    private static HttpRequestMessage Authorized(Uri controller, HttpMethod method, string path, string credential)
    {
        var request = new HttpRequestMessage(method, new Uri(controller, path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", credential);
        return request;
    }

    private async Task ThrowIfRefusedAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var reason = ErrorText(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
        var status = (int)response.StatusCode;
        if (status >= 500)
        {
            throw new HttpRequestException($"controller {Controller} failed ({status}): {reason}", null, response.StatusCode);
        }

        throw new AgentRefusedException(status, $"controller {Controller} {what} ({status}): {reason}");
    }
}
