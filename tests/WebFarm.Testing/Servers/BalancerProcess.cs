using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;

namespace WebFarm.Testing;

/// <summary>
/// `webfarm balancer --config farm.json` as a real process, in front of <see cref="BackendProcess"/>es: farm `web`
/// (and any other farms named) with a health check on /health every second, servers persisted in its state directory
/// as by default. Records its output; can be killed and started again on the same ports; disposal kills it and deletes
/// its files.
/// </summary>
public sealed class BalancerProcess : IAsyncDisposable
{
    private readonly ConcurrentQueue<string> _output = new();
    private readonly string _directory;
    private readonly string _configPath;
    private Process _process = null!; // Set by Launch before anyone can see this instance.

    private BalancerProcess(string directory, string configPath, int port, int adminPort, string? token)
    {
        _directory = directory;
        _configPath = configPath;
        Url = new Uri($"http://127.0.0.1:{port}/");
        AdminUrl = new Uri($"http://127.0.0.1:{adminPort}/");
        Token = token;
    }

    public Uri Url { get; }

    public Uri AdminUrl { get; }

    /// <summary>The admin token, or null for a loopback admin API without one.</summary>
    public string? Token { get; }

    public string Output => string.Join('\n', _output);

    /// <param name="servers">The servers of farm `web` in its config file.</param>
    /// <param name="token">The admin API's bearer token (none by default: loopback).</param>
    /// <param name="farms">More farms, without servers, beside `web` (the first route-less farm takes every request).</param>
    /// <param name="route">The farm every request goes to (`web` by default).</param>
    /// <param name="healthPath">The farms' health check path; null: no active health check.</param>
    public static async Task<BalancerProcess> StartAsync(IReadOnlyList<BackendProcess> servers, string? token = null, IReadOnlyList<string>? farms = null, string route = "web", string? healthPath = "/health")
    {
        var ports = FreePort.Many(2);
        var directory = Directory.CreateTempSubdirectory("webfarm-balancer-").FullName;
        var health = healthPath is null ? null : new { Path = healthPath, Interval = "1s", Timeout = "1s", Rise = 1, Fall = 2 };
        var farmOptions = new Dictionary<string, object>
        {
            ["web"] = new { Health = health, Servers = servers.Select(s => new { s.Name, s.Address }).ToArray() },
        };
        foreach (var farm in farms ?? [])
        {
            farmOptions[farm] = new { Health = health, Servers = Array.Empty<object>() };
        }

        var config = new
        {
            Listen = new[] { $"http://127.0.0.1:{ports[0]}" },
            Admin = new { Listen = $"http://127.0.0.1:{ports[1]}", Token = token },
            Farms = farmOptions,
            Routes = new[] { new { Farm = route } },
        };
        var path = Path.Combine(directory, "farm.json");
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(config, new JsonSerializerOptions { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull }));
        var balancer = new BalancerProcess(directory, path, ports[0], ports[1], token);
        balancer._process = balancer.Launch(path);
        await balancer.WaitStartedAsync();
        return balancer;
    }

    /// <summary>
    /// SIGKILL, then the same config on the same ports again; with <paramref name="forgetState"/> its state directory
    /// (servers added through the API, their states and weights) is deleted first, as on a replaced machine.
    /// </summary>
    public async Task RestartAsync(bool forgetState)
    {
        await KillAsync();
        var state = Path.Combine(_directory, ".webfarm");
        if (forgetState && Directory.Exists(state))
        {
            Directory.Delete(state, recursive: true);
        }

        _output.Clear();
        _process.Dispose();
        _process = Launch(_configPath);
        await WaitStartedAsync();
    }

    /// <summary>SIGKILL (no shutdown code runs); waits for the process to be gone.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    /// <summary>A client of the admin API with the bearer token (when there is one).</summary>
    public HttpClient ApiClient()
    {
        var client = new HttpClient { BaseAddress = AdminUrl, Timeout = TimeSpan.FromSeconds(30) };
        if (Token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        }

        return client;
    }

    /// <summary>The balancer's view of a server in farm web, from the admin API.</summary>
    public async Task<JsonElement> GetServerAsync(string name)
    {
        using var client = ApiClient();
        using var response = await client.GetAsync($"/api/farms/web/servers/{name}");
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    /// <summary>The servers of <paramref name="farm"/> by name, each as the admin API shows it.</summary>
    public async Task<Dictionary<string, JsonElement>> ServersAsync(string farm = "web")
    {
        using var client = ApiClient();
        using var json = JsonDocument.Parse(await client.GetStringAsync($"/api/farms/{farm}/servers"));
        return json.RootElement.EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!, s => s.Clone());
    }

    /// <summary>The state ("online", "draining", "offline") of a server of <paramref name="farm"/>, or null when the balancer does not have it.</summary>
    public async Task<string?> StateOfAsync(string server, string farm = "web")
        => (await ServersAsync(farm)).TryGetValue(server, out var s) ? s.GetProperty("state").GetString() : null;

    public async Task SetStateAsync(string name, string action)
    {
        using var client = ApiClient();
        using var response = await client.PostAsync($"/api/farms/web/servers/{name}/{action}", null);
        response.EnsureSuccessStatusCode();
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp directory.
        }
    }

    private Process Launch(string configPath)
    {
        var start = new ProcessStartInfo(RepositoryPaths.DotNetHost, [RepositoryPaths.WebFarmDll, "balancer", "--config", configPath])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private async Task WaitStartedAsync()
    {
        try
        {
            await Eventually.TrueAsync(() =>
            {
                Assert.False(_process.HasExited, $"webfarm balancer exited:\n{Output}");
                return _output.Any(l => l.StartsWith("Dashboard: ", StringComparison.Ordinal));
            }, TimeSpan.FromSeconds(60), $"webfarm balancer to start; output so far:\n{Output}");
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    private void OnLine(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
        }
    }
}
