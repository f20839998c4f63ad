using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace WebFarm.Agent.Control;

/// <summary>The agent's side of the agent protocol: join and heartbeat, over HTTP + JSON.</summary>
public sealed class ControllerClient : IDisposable
{
    private readonly HttpClient _http;

    public ControllerClient(Uri controller, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(controller);
        Controller = controller;
        _http = new HttpClient { BaseAddress = controller, Timeout = timeout };
    }

    public Uri Controller { get; }

    /// <exception cref="AgentRefusedException">The controller refused the join (its message says why).</exception>
    /// <exception cref="HttpRequestException">The controller could not be reached.</exception>
    public async Task<JoinResponse> JoinAsync(JoinRequest request, CancellationToken cancellationToken)
    {
        using var response = await _http.PostAsJsonAsync("api/agents/join", request, ProtocolJson.Options, cancellationToken).ConfigureAwait(false);
        await ThrowIfRefusedAsync(response, "refused the join", cancellationToken).ConfigureAwait(false);
        return await response.Content.ReadFromJsonAsync<JoinResponse>(ProtocolJson.Options, cancellationToken).ConfigureAwait(false)
            ?? throw new HttpRequestException($"controller {Controller} answered the join with an empty body");
    }

    /// <exception cref="AgentRefusedException">The controller does not accept the credential.</exception>
    /// <exception cref="HttpRequestException">The controller could not be reached.</exception>
    public async Task<HeartbeatResponse> HeartbeatAsync(string credential, HeartbeatRequest heartbeat, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/agents/heartbeat")
        {
            Content = JsonContent.Create(heartbeat, options: ProtocolJson.Options),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", credential);
        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
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
