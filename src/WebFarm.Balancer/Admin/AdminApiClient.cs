using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.Admin;

/// <summary>
/// A typed client of one balancer's admin API (the server operations a controller drives: list, add, remove, state,
/// weight), and the two pieces every client of WebFarm's JSON APIs shares (<see cref="Authorize"/>,
/// <see cref="ErrorText"/>), so the CLI and the controller read the API's answers one way.
/// </summary>
public sealed class AdminApiClient : IDisposable
{
    private readonly HttpClient _http;

    public AdminApiClient(Uri baseUri, string? token, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(baseUri);
        BaseUri = baseUri.AbsoluteUri.EndsWith('/') ? baseUri : new Uri(baseUri.AbsoluteUri + "/");
        _http = new HttpClient { BaseAddress = BaseUri, Timeout = timeout };
        Authorize(_http, token);
    }

    /// <summary>The admin API's base URL (ends with '/').</summary>
    public Uri BaseUri { get; }

    /// <summary>Sends <paramref name="token"/> as the bearer token on every request of <paramref name="http"/> (none when empty).</summary>
    public static void Authorize(HttpClient http, string? token)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (!string.IsNullOrEmpty(token))
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }

    /// <summary>The API's {"error": "..."} text of an error body, else the body itself (cut at 200 characters).</summary>
    public static string ErrorText(string body)
    {
        ArgumentNullException.ThrowIfNull(body);
        try
        {
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("error", out var error))
            {
                return error.GetString() ?? body;
            }
        }
        catch (JsonException)
        {
        }

        return body.Length > 200 ? body[..200] : body;
    }

    /// <summary>Every farm the balancer has, with its servers.</summary>
    /// <exception cref="AdminApiException">The API refused (its status and error).</exception>
    /// <exception cref="HttpRequestException">The balancer cannot be reached.</exception>
    public async Task<IReadOnlyList<RemoteFarm>> ListFarmsAsync(CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync("api/farms", cancellationToken).ConfigureAwait(false);
        var text = await CheckAsync(response, "GET api/farms", cancellationToken).ConfigureAwait(false);
        using var json = JsonDocument.Parse(text);
        var farms = new List<RemoteFarm>();
        foreach (var farm in json.RootElement.EnumerateArray())
        {
            var servers = new List<RemoteServer>();
            foreach (var s in farm.GetProperty("servers").EnumerateArray())
            {
                servers.Add(new RemoteServer(
                    s.GetProperty("name").GetString()!,
                    s.GetProperty("address").GetString()!,
                    Enum.Parse<ServerState>(s.GetProperty("state").GetString()!, ignoreCase: true),
                    s.GetProperty("weight").GetInt32(),
                    s.GetProperty("healthy").GetBoolean(),
                    s.GetProperty("inFlight").GetInt32(),
                    s.GetProperty("addedAtRuntime").GetBoolean()));
            }

            farms.Add(new RemoteFarm(farm.GetProperty("name").GetString()!, servers));
        }

        return farms;
    }

    /// <summary>Adds a server to <paramref name="farm"/> (the balancer's slow start applies).</summary>
    /// <param name="healthy">False: the server enters out of rotation until the balancer's own health check passes.</param>
    public Task AddServerAsync(string farm, string name, string address, int weight, bool healthy, CancellationToken cancellationToken)
        => SendAsync(HttpMethod.Post, $"api/farms/{Escape(farm)}/servers", Body(new AddServerRequest(name, address, weight, healthy ? null : false)), cancellationToken);

    public Task RemoveServerAsync(string farm, string name, CancellationToken cancellationToken)
        => SendAsync(HttpMethod.Delete, $"api/farms/{Escape(farm)}/servers/{Escape(name)}", cancellationToken);

    /// <summary>online, drain or offline.</summary>
    public Task SetStateAsync(string farm, string name, ServerState state, CancellationToken cancellationToken)
    {
        var action = state switch
        {
            ServerState.Online => "online",
            ServerState.Draining => "drain",
            _ => "offline",
        };
        return SendAsync(HttpMethod.Post, $"api/farms/{Escape(farm)}/servers/{Escape(name)}/{action}", cancellationToken);
    }

    public Task SetWeightAsync(string farm, string name, int weight, CancellationToken cancellationToken)
        => SendAsync(HttpMethod.Put, $"api/farms/{Escape(farm)}/servers/{Escape(name)}/weight", Body(new WeightRequest(weight)), cancellationToken);

    /// <summary>The farms a controller created on the balancer (GET /api/controller/farms).</summary>
    public async Task<IReadOnlyList<ControllerFarmOptions>> ListControllerFarmsAsync(CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync("api/controller/farms", cancellationToken).ConfigureAwait(false);
        var text = await CheckAsync(response, "GET api/controller/farms", cancellationToken).ConfigureAwait(false);
        var farms = JsonSerializer.Deserialize(text, AdminJson.TypeInfo<List<ControllerFarmInfo>>()) ?? [];
        var list = new List<ControllerFarmOptions>(farms.Count);
        foreach (var farm in farms)
        {
            list.Add(farm.ToOptions());
        }

        return list;
    }

    /// <summary>Creates or replaces a controller farm with its routes (PUT /api/controller/farms/NAME).</summary>
    public Task SetControllerFarmAsync(ControllerFarmOptions farm, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(farm);
        var info = ControllerFarmInfo.From(farm);
        return SendAsync(HttpMethod.Put, $"api/controller/farms/{Escape(farm.Name)}", Body(new ControllerFarmRequest(info.Like, info.Routes)), cancellationToken);
    }

    /// <summary>Removes a controller farm with its routes and servers.</summary>
    public Task RemoveControllerFarmAsync(string farm, CancellationToken cancellationToken)
        => SendAsync(HttpMethod.Delete, $"api/controller/farms/{Escape(farm)}", null, cancellationToken);

    public void Dispose() => _http.Dispose();

    private static string Escape(string segment) => Uri.EscapeDataString(segment);

    private static JsonContent Body<T>(T value) => JsonContent.Create(value, AdminJson.TypeInfo<T>());

    private Task SendAsync(HttpMethod method, string path, CancellationToken cancellationToken)
        => SendAsync(method, path, null, cancellationToken);

    private async Task SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        await CheckAsync(response, $"{method} {path}", cancellationToken).ConfigureAwait(false);
    }

    private static async Task<string> CheckAsync(HttpResponseMessage response, string call, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new AdminApiException(response.StatusCode, call, ErrorText(text));
        }

        return text;
    }
}
