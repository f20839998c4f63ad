using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Farms;
using WebFarm.Balancer.Hosting;

namespace WebFarm.Balancer.Tests.Infrastructure;

/// <summary>
/// A real <see cref="BalancerHost"/> on ephemeral loopback ports (data plane and admin API), with its own temp
/// state directory, plus HttpClients for both. Start from a config object or from JSON (written to a temp file,
/// watched for hot reload).
/// </summary>
public sealed class TestBalancer : IAsyncDisposable
{
    private readonly bool _ownsDirectory;

    private TestBalancer(BalancerHost host, string directory, bool ownsDirectory, string? configPath)
    {
        Host = host;
        Directory = directory;
        _ownsDirectory = ownsDirectory;
        ConfigPath = configPath;
        Client = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = Uri, Timeout = TimeSpan.FromSeconds(60) };
        if (host.Runtime.Config.Listen[0].Protocols == ListenProtocols.Http2)
        {
            // h2c with prior knowledge.
            Client.DefaultRequestVersion = System.Net.HttpVersion.Version20;
            Client.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }

        Admin = new HttpClient { BaseAddress = host.AdminUri, Timeout = TimeSpan.FromSeconds(30) };
    }

    public BalancerHost Host { get; }

    public BalancerRuntime Runtime => Host.Runtime;

    /// <summary>The client-facing base address.</summary>
    public Uri Uri => Host.ListenUris[0];

    public Uri? AdminUri => Host.AdminUri;

    /// <summary>Temp directory holding the config file (if any) and the state directory "state".</summary>
    public string Directory { get; }

    public string StateDirectory => Path.Combine(Directory, "state");

    public string? ConfigPath { get; }

    public HttpClient Client { get; }

    public HttpClient Admin { get; }

    public static string NewDirectory()
    {
        var dir = Path.Combine(Path.GetTempPath(), "webfarm-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>
    /// Starts from a config object. StateDirectory defaults to a fresh temp directory unless <paramref name="directory"/> is given (restarts).
    /// <paramref name="host"/> adjusts the host options (client timeouts, shutdown timeout) before the start.
    /// </summary>
    public static async Task<TestBalancer> StartAsync(BalancerConfig config, string? directory = null, string? adminListen = "http://127.0.0.1:0", ListenProtocols protocols = ListenProtocols.Http1, ILoggerFactory? loggerFactory = null, Func<BalancerHostOptions, BalancerHostOptions>? host = null)
    {
        var own = directory is null;
        directory ??= NewDirectory();
        config = config with { StateDirectory = Path.Combine(directory, "state") };
        var options = new BalancerHostOptions
        {
            Config = config,
            LoggerFactory = loggerFactory ?? LoggerFactoryForTests(),
            ListenOverride = [new ListenEndpoint("http://127.0.0.1:0", protocols)],
            AdminOverride = adminListen ?? string.Empty,
        };
        var started = await BalancerHost.StartAsync(host?.Invoke(options) ?? options);
        return new TestBalancer(started, directory, own, null);
    }

    /// <summary>Writes <paramref name="json"/> to farm.json in a temp directory and starts from it (watched).</summary>
    public static async Task<TestBalancer> StartFromJsonAsync(string json, string? directory = null)
    {
        var own = directory is null;
        directory ??= NewDirectory();
        var path = Path.Combine(directory, "farm.json");
        await File.WriteAllTextAsync(path, json);
        var host = await BalancerHost.StartAsync(new BalancerHostOptions
        {
            ConfigPath = path,
            LoggerFactory = LoggerFactoryForTests(),
            ListenOverride = [new ListenEndpoint("http://127.0.0.1:0")],
            AdminOverride = "http://127.0.0.1:0",
            ReloadDebounce = TimeSpan.FromMilliseconds(100),
        });
        return new TestBalancer(host, directory, own, path);
    }

    /// <summary>Set WEBFARM_TEST_LOG=1 to see the balancer's logs on the console while debugging a test.</summary>
    private static ILoggerFactory? LoggerFactoryForTests()
        => Environment.GetEnvironmentVariable("WEBFARM_TEST_LOG") == "1"
            ? LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Debug).AddSimpleConsole())
            : null;

    /// <summary>A one-farm ("web") config with servers web1..webN at the given addresses.</summary>
    public static BalancerConfig SingleFarm(IEnumerable<string> addresses, Func<FarmOptions, FarmOptions>? configure = null)
    {
        var servers = new List<ServerOptions>();
        var i = 1;
        foreach (var address in addresses)
        {
            servers.Add(new ServerOptions { Name = "web" + i++, Address = address });
        }

        var farm = new FarmOptions { Servers = servers };
        farm = configure?.Invoke(farm) ?? farm;
        return new BalancerConfig { Farms = new Dictionary<string, FarmOptions> { ["web"] = farm } };
    }

    public static BalancerConfig SingleFarm(params TestBackend[] backends) => SingleFarm(backends.Select(b => b.Address));

    public void UseAdminToken(string token) => Admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        Admin.Dispose();
        await Host.DisposeAsync();
        if (_ownsDirectory)
        {
            try
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
