using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;

namespace WebFarm.EndToEnd.Tests.Infrastructure;

/// <summary>
/// `webfarm balancer --config farm.json` as a real process, in front of <see cref="BackendProcess"/>es: one farm
/// `web` with a health check on /health every second. Records its output; disposal kills it and deletes its files.
/// </summary>
internal sealed class BalancerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly string _directory;

    private BalancerProcess(Process process, string directory, int port, int adminPort, string? token)
    {
        _process = process;
        _directory = directory;
        Url = new Uri($"http://127.0.0.1:{port}/");
        AdminUrl = new Uri($"http://127.0.0.1:{adminPort}/");
        Token = token;
    }

    public Uri Url { get; }

    public Uri AdminUrl { get; }

    /// <summary>The admin token, or null for a loopback admin API without one.</summary>
    public string? Token { get; }

    public string Output => string.Join('\n', _output);

    public static async Task<BalancerProcess> StartAsync(IReadOnlyList<BackendProcess> servers, string? token = null)
    {
        var ports = FreePort.Many(2);
        var directory = Directory.CreateTempSubdirectory("webfarm-dashboard-").FullName;
        var config = new
        {
            Listen = new[] { $"http://127.0.0.1:{ports[0]}" },
            Admin = new { Listen = $"http://127.0.0.1:{ports[1]}", Token = token },
            Farms = new Dictionary<string, object>
            {
                ["web"] = new
                {
                    Health = new { Path = "/health", Interval = "1s", Timeout = "1s", Rise = 1, Fall = 2 },
                    Servers = servers.Select(s => new { s.Name, s.Address }).ToArray(),
                },
            },
            Routes = new[] { new { Farm = "web" } },
        };
        var path = Path.Combine(directory, "farm.json");
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(config));
        var start = new ProcessStartInfo(UpProcess.DotNetHost, [RepositoryPaths.WebFarmDll, "balancer", "--config", path])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        var process = Process.Start(start)!;
        var balancer = new BalancerProcess(process, directory, ports[0], ports[1], token);
        process.OutputDataReceived += (_, e) => balancer.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => balancer.OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await Eventually.TrueAsync(() =>
            {
                Assert.False(process.HasExited, $"webfarm balancer exited:\n{balancer.Output}");
                return balancer._output.Any(l => l.StartsWith("Dashboard: ", StringComparison.Ordinal));
            }, TimeSpan.FromSeconds(60), $"webfarm balancer to start; output so far:\n{balancer.Output}");
        }
        catch
        {
            await balancer.DisposeAsync();
            throw;
        }

        return balancer;
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

    public async Task SetStateAsync(string name, string action)
    {
        using var client = ApiClient();
        using var response = await client.PostAsync($"/api/farms/web/servers/{name}/{action}", null);
        response.EnsureSuccessStatusCode();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

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

    private void OnLine(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
        }
    }
}
