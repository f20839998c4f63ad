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
        Client = new ControllerClient(host.Url, token);
    }

    public ControllerHost Host { get; }

    /// <summary>The API client (the helpers below are its).</summary>
    public ControllerClient Client { get; }

    public HttpClient Http => Client.Http;

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

    public Task<string> NewJoinTokenAsync() => Client.NewJoinTokenAsync();

    public Task<List<JsonElement>> AgentsAsync() => Client.AgentsAsync();

    public Task<string?> StateOfAsync(string name) => Client.StateOfAsync(name);

    public Task<List<JsonElement>> EventsAsync() => Client.EventsAsync();

    public Task<ControlAgent> StartAgentAsync(string name, string address, string dataDirectory, string? joinToken, WebFarm.Agent.Releases.TreeLimits? limits = null, bool allowCommands = false, IReadOnlyDictionary<string, string>? labels = null)
        => ControlAgent.StartAsync(
            new ControlAgentOptions { Controllers = [Host.Url], Name = name, Address = address, DataDirectory = dataDirectory, JoinToken = joinToken, Limits = limits ?? WebFarm.Agent.Releases.TreeLimits.Default, AllowCommands = allowCommands, Labels = labels ?? ServerLabels.None },
            NullLogger.Instance,
            default);

    /// <summary>GET <paramref name="path"/> as JSON elements (an array answer).</summary>
    public Task<List<JsonElement>> ListAsync(string path) => Client.ListAsync(path);

    /// <summary>The rows of GET /api/ps for one app.</summary>
    public Task<List<JsonElement>> InstancesAsync(string app) => Client.InstancesAsync(app);

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
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
