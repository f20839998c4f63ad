using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace WebFarm.EndToEnd.Tests.Dashboard;

/// <summary>
/// A farm run by a controller for one dashboard test, every part a real process on loopback: `webfarm controller`
/// (its in-process balancer checks /health), and per server a backend (web1..webN) and a `webfarm agent` that joined
/// with a one-time token and names the backend as its address. Ready once every agent is "ready" (in rotation).
/// </summary>
internal sealed class ControllerFarm : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private readonly TempDirectory _directory;

    private ControllerFarm(TempDirectory directory, WebFarmProcess controller, Uri url, Uri balancerUrl, string? token)
    {
        _directory = directory;
        Controller = controller;
        Url = url;
        BalancerUrl = balancerUrl;
        Token = token;
    }

    public WebFarmProcess Controller { get; }

    /// <summary>The controller's API (and dashboard) listener.</summary>
    public Uri Url { get; }

    /// <summary>The controller's balancer's listener (the apps' traffic).</summary>
    public Uri BalancerUrl { get; }

    /// <summary>The folder the farm's processes keep their data in (and a test its files), removed at the end.</summary>
    public TempDirectory Directory => _directory;

    public string? Token { get; }

    public string Dashboard => new Uri(Url, "/dashboard/").ToString();

    public List<BackendProcess> Backends { get; } = [];

    public List<WebFarmProcess> Agents { get; } = [];

    public static async Task<ControllerFarm> StartAsync(int servers = 2, string? token = null)
    {
        var directory = new TempDirectory();
        var ports = FreePort.Many(2);
        var url = new Uri($"http://127.0.0.1:{ports[0]}/");
        string[] arguments =
        [
            "controller", "--listen", $"http://127.0.0.1:{ports[0]}", "--data-dir", directory.Sub("controller"),
            "--balancer-listen", $"http://127.0.0.1:{ports[1]}", "--health-path", "/health",
        ];
        var controller = WebFarmProcess.Start(null, token is null ? arguments : [.. arguments, "--token", token]);
        var farm = new ControllerFarm(directory, controller, url, new Uri($"http://127.0.0.1:{ports[1]}/"), token);
        try
        {
            await controller.WaitForLineAsync("Dashboard: ", StartTimeout);
            for (var i = 1; i <= servers; i++)
            {
                await farm.AddServerAsync($"web{i}");
            }

            await Eventually.True(async () => (await farm.AgentsAsync()).Count(a => a.GetProperty("state").GetString() == "ready") == servers, StartTimeout, "every agent joined and its server in rotation");
        }
        catch
        {
            await farm.DisposeAsync();
            throw;
        }

        return farm;
    }

    /// <summary>A backend named <paramref name="name"/> and its agent, joined with a new join token.</summary>
    public async Task AddServerAsync(string name)
    {
        var backend = await BackendProcess.StartAsync(name);
        Backends.Add(backend);
        var joinToken = JsonDocument.Parse(await PostAsync("/api/agents/tokens", null)).RootElement.GetProperty("token").GetString()!;
        var agent = WebFarmProcess.Start(null, "agent", "--controller", Url.ToString(), "--name", name, "--address", backend.Address, "--data-dir", _directory.Sub("agent-" + name), "--join-token", joinToken);
        Agents.Add(agent);
        await agent.WaitForLineAsync($"agent {name} joined", StartTimeout);
    }

    /// <summary>A client of the controller's API with the bearer token (when there is one).</summary>
    public HttpClient ApiClient()
    {
        var client = new HttpClient { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(30) };
        if (Token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        }

        return client;
    }

    public async Task<List<JsonElement>> AgentsAsync() => await GetListAsync("/api/agents");

    public async Task<List<JsonElement>> GetListAsync(string path)
    {
        using var client = ApiClient();
        using var json = JsonDocument.Parse(await client.GetStringAsync(path));
        return [.. json.RootElement.EnumerateArray().Select(e => e.Clone())];
    }

    /// <summary>The controller's balancer's view of a server in one of its farms.</summary>
    public async Task<string?> ServerStateAsync(string farm, string name)
    {
        using var client = ApiClient();
        using var json = JsonDocument.Parse(await client.GetStringAsync($"/api/farms/{farm}/servers/{name}"));
        return json.RootElement.GetProperty("state").GetString();
    }

    /// <summary>POSTs (JSON when <paramref name="json"/> is given) and returns the body; fails the test on an error status.</summary>
    public async Task<string> PostAsync(string path, string? json)
    {
        using var client = ApiClient();
        using var content = json is null ? null : new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await client.PostAsync(path, content);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"POST {path}: {(int)response.StatusCode} {body}");
        return body;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var agent in Agents)
        {
            await agent.DisposeAsync();
        }

        await Controller.DisposeAsync();
        foreach (var backend in Backends)
        {
            await backend.DisposeAsync();
        }

        _directory.Dispose();
    }
}
