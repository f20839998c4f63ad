using System.Net.Http.Headers;
using System.Text.Json;
using WebFarm.Agent.Control;
using WebFarm.Balancer.Admin;
using WebFarm.Output;

namespace WebFarm.Commands;

/// <summary>
/// A thin client for WebFarm's JSON APIs (the balancer's admin API, the controller's) that turns their answers into
/// exit codes (0 ok, 1 refused) and messages. Given several controller URLs, it calls the leader
/// (<see cref="LeaderFollower"/>).
/// </summary>
internal sealed class AdminClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly LeaderFollower _leader;
    private readonly string _command;
    private HttpClient? _bound;

    public AdminClient(Uri baseUri, string? token, string command, TimeSpan? timeout = null)
        : this([baseUri], token, command, timeout)
    {
    }

    /// <param name="what">What the URLs are, for the message when none answers: "controller" or "admin API".</param>
    public AdminClient(IReadOnlyList<Uri> baseUris, string? token, string command, TimeSpan? timeout = null, string what = "controller")
    {
        _command = command;
        _leader = new LeaderFollower(baseUris, what);
        _http = new HttpClient { Timeout = timeout ?? TimeSpan.FromSeconds(30) };
        AdminApiClient.Authorize(_http, token);
    }

    /// <summary>
    /// A client bound to the leading controller (base address and token set), for requests this class has no shape for
    /// (uploads); the leader is found first by one followed call.
    /// </summary>
    public async Task<HttpClient> LeaderHttpAsync(CancellationToken ct)
    {
        (await GetJsonAsync("api/agents", ct)).Dispose();
        if (_bound is null)
        {
            _bound = new HttpClient { BaseAddress = _leader.Current, Timeout = _http.Timeout };
            _bound.DefaultRequestHeaders.Authorization = _http.DefaultRequestHeaders.Authorization;
        }

        return _bound;
    }

    public async Task<JsonDocument> GetJsonAsync(string path, CancellationToken ct)
    {
        using var response = await SendAsync(HttpMethod.Get, path, null, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"{(int)response.StatusCode} {AdminApiClient.ErrorText(text)}");
        }

        return JsonDocument.Parse(text);
    }

    /// <summary>The farm to act on: the one given, or the only one; null (after printing why) otherwise.</summary>
    public async Task<string?> ResolveFarmAsync(string? farm, CancellationToken ct)
    {
        if (farm is not null)
        {
            return Uri.EscapeDataString(farm);
        }

        using var farms = await GetJsonAsync("api/farms", ct);
        var names = farms.RootElement.EnumerateArray().Select(f => f.GetProperty("name").GetString()!).ToList();
        if (names.Count == 1)
        {
            return Uri.EscapeDataString(names[0]);
        }

        Console.Error.WriteLine($"{_command}: --farm is required: this balancer has {names.Count} farms ({string.Join(", ", names)})");
        return null;
    }

    public async Task<int> SendAsync(HttpMethod method, string path, object? body = null)
    {
        using var response = await SendAsync(method, path, body, CancellationToken.None);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            Console.Error.WriteLine($"{_command}: {(int)response.StatusCode} {AdminApiClient.ErrorText(text)}");
            return ExitCodes.Failed;
        }

        if (response.StatusCode == System.Net.HttpStatusCode.NoContent || text.Length == 0)
        {
            Console.WriteLine("done");
            return ExitCodes.Ok;
        }

        using var json = JsonDocument.Parse(text);
        var s = json.RootElement;
        if (s.TryGetProperty("name", out var name) && s.TryGetProperty("state", out var state))
        {
            Console.WriteLine($"{name.GetString()}: {state.GetString()}, weight {s.GetProperty("weight")}, {(s.GetProperty("healthy").GetBoolean() ? "healthy" : "unhealthy")}, {s.GetProperty("inFlight")} in flight");
        }

        return ExitCodes.Ok;
    }

    public Task<(int Status, JsonDocument? Json)> PostForJsonAsync(string path, CancellationToken ct) => PostForJsonAsync(path, body: null, ct);

    /// <summary>POSTs <paramref name="body"/> as JSON; on refusal prints the API's error and returns (1, null).</summary>
    public Task<(int Status, JsonDocument? Json)> PostForJsonAsync(string path, object? body, CancellationToken ct) => SendForJsonAsync(HttpMethod.Post, path, ct, body);

    /// <summary>Sends a request (<paramref name="body"/> as JSON when given); on refusal prints the API's error and returns (1, null).</summary>
    public async Task<(int Status, JsonDocument? Json)> SendForJsonAsync(HttpMethod method, string path, CancellationToken ct, object? body = null)
    {
        using var response = await SendAsync(method, path, body, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
        {
            Console.Error.WriteLine($"{_command}: {(int)response.StatusCode} {AdminApiClient.ErrorText(text)}");
            return (ExitCodes.Failed, null);
        }

        return (ExitCodes.Ok, JsonDocument.Parse(text));
    }

    /// <summary>
    /// POSTs <paramref name="body"/> as JSON asking for a streamed answer of <paramref name="mediaType"/>; returns the
    /// response with its headers read (the caller reads and disposes it), or null after printing the API's refusal.
    /// </summary>
    public async Task<HttpResponseMessage?> PostForStreamAsync(string path, object body, string mediaType, CancellationToken ct)
    {
        var response = await _leader.SendAsync(
            _http,
            baseUri =>
            {
                var request = new HttpRequestMessage(HttpMethod.Post, new Uri(baseUri, path)) { Content = ApiRequestJson.Content(body) };
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(mediaType));
                return request;
            },
            HttpCompletionOption.ResponseHeadersRead,
            ct);
        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            Console.Error.WriteLine($"{_command}: {(int)response.StatusCode} {AdminApiClient.ErrorText(await response.Content.ReadAsStringAsync(ct))}");
            return null;
        }
    }

    public void Dispose()
    {
        _bound?.Dispose();
        _http.Dispose();
    }

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body, CancellationToken ct)
        => _leader.SendAsync(
            _http,
            baseUri => new HttpRequestMessage(method, new Uri(baseUri, path)) { Content = body is null ? null : ApiRequestJson.Content(body) },
            ct);
}
