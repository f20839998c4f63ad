using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using WebFarm.Agent.Control;
using WebFarm.Controller.Agents;
using WebFarm.Controller.Hosting;

namespace WebFarm.Controller.Tests.Infrastructure;

/// <summary>A real controller (API, store, in-process balancer) on loopback ephemeral ports, with an HTTP client for its API.</summary>
internal sealed class TestController : IAsyncDisposable
{
    private TestController(ControllerHost host, string? token)
    {
        Host = host;
        Http = new HttpClient { BaseAddress = host.Url, Timeout = TimeSpan.FromSeconds(30) };
        if (token is not null)
        {
            Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }

    public ControllerHost Host { get; }

    public HttpClient Http { get; }

    public static async Task<TestController> StartAsync(string dataDirectory, string? token = null, string listen = "http://127.0.0.1:0", string? store = null, TimeSpan? availabilityInterval = null, Func<ControllerOptions, ControllerOptions>? configure = null)
    {
        var options = new ControllerOptions
        {
            Listen = listen,
            DataDirectory = dataDirectory,
            Store = store,
            AvailabilitySampleInterval = availabilityInterval ?? TimeSpan.FromMilliseconds(500),
            Token = token,
            BalancerListen = "http://127.0.0.1:0",
            HealthPath = "/health",
        };
        options = configure?.Invoke(options) ?? options;
        return new TestController(await ControllerHost.StartAsync(options, NullLoggerFactory.Instance, default), token);
    }

    public async Task<string> NewJoinTokenAsync()
    {
        using var response = await Http.PostAsync("api/agents/tokens", null);
        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("token").GetString()!;
    }

    public async Task<List<JsonElement>> AgentsAsync()
    {
        using var json = JsonDocument.Parse(await Http.GetStringAsync("api/agents"));
        return [.. json.RootElement.EnumerateArray().Select(e => e.Clone())];
    }

    public async Task<string?> StateOfAsync(string name)
        => (await AgentsAsync()).Where(a => a.GetProperty("name").GetString() == name).Select(a => a.GetProperty("state").GetString()).FirstOrDefault();

    public async Task<List<JsonElement>> EventsAsync()
    {
        using var json = JsonDocument.Parse(await Http.GetStringAsync("api/events"));
        return [.. json.RootElement.EnumerateArray().Select(e => e.Clone())];
    }

    public Task<ControlAgent> StartAgentAsync(string name, string address, string dataDirectory, string? joinToken, WebFarm.Agent.Releases.TreeLimits? limits = null, bool allowCommands = false, IReadOnlyDictionary<string, string>? labels = null)
        => ControlAgent.StartAsync(
            new ControlAgentOptions { Controllers = [Host.Url], Name = name, Address = address, DataDirectory = dataDirectory, JoinToken = joinToken, Limits = limits ?? WebFarm.Agent.Releases.TreeLimits.Default, AllowCommands = allowCommands, Labels = labels ?? ServerLabels.None },
            NullLogger.Instance,
            default);

    /// <summary>GET <paramref name="path"/> as JSON elements (an array answer).</summary>
    public async Task<List<JsonElement>> ListAsync(string path)
    {
        using var json = JsonDocument.Parse(await Http.GetStringAsync(path));
        return [.. json.RootElement.EnumerateArray().Select(e => e.Clone())];
    }

    /// <summary>The rows of GET /api/ps for one app.</summary>
    public async Task<List<JsonElement>> InstancesAsync(string app)
        => [.. (await ListAsync("api/ps")).Where(r => r.GetProperty("app").GetString() == app)];

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Host.DisposeAsync();
    }

    public static string State(AgentState state) => JsonNamingPolicy.CamelCase.ConvertName(state.ToString());

    public async Task<(int Status, string Error)> PostAsync(string path, string? body, string? bearer = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        }

        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        using var json = JsonDocument.Parse(text);
        return ((int)response.StatusCode, json.RootElement.TryGetProperty("error", out var error) ? error.GetString()! : text);
    }

    /// <summary>Sends without a body; the status and the API's error text (the body when it is no error).</summary>
    public async Task<(int Status, string Error)> SendAsync(HttpMethod method, string path)
    {
        using var response = await Http.SendAsync(new HttpRequestMessage(method, path));
        var text = await response.Content.ReadAsStringAsync();
        if (text.Length == 0)
        {
            return ((int)response.StatusCode, text);
        }

        using var json = JsonDocument.Parse(text);
        return ((int)response.StatusCode, json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("error", out var error) ? error.GetString()! : text);
    }

    public Task<HttpResponseMessage> PostJsonAsync<T>(string path, T value) => Http.PostAsJsonAsync(path, value, ProtocolJson.Options);
}
