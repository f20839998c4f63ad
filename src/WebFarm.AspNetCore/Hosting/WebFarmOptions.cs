using System.Globalization;
using WebFarm.AspNetCore.Forwarding;
using WebFarm.AspNetCore.Resp;

namespace WebFarm.AspNetCore.Hosting;

/// <summary>
/// Settings of the member library, bound from the configuration section <c>WebFarm</c>, then
/// overridden by the <c>WEBFARM_*</c> environment variables that <c>webfarm up</c> and the agent set.
/// Read once at startup; the validated instance is an immutable snapshot for the app's lifetime.
/// </summary>
public sealed class WebFarmOptions
{
    /// <summary>The configuration section name: <c>WebFarm</c>.</summary>
    public const string SectionName = "WebFarm";

    /// <summary>The default state server endpoint.</summary>
    public const string DefaultStateEndpoint = "127.0.0.1:42424";

    private string? _topologyText;

    /// <summary>Which store keeps sessions, cache entries and Data Protection keys. Default <see cref="WebFarmStore.Resp"/>.</summary>
    public WebFarmStore Store { get; set; } = WebFarmStore.Resp;

    /// <summary>RESP servers as host:port (several = primary plus replicas; the client follows the primary). Default 127.0.0.1:42424.</summary>
    public List<string> StateEndpoints { get; set; } = [];

    /// <summary>
    /// How the RESP endpoints are used: <see cref="RespTopology.Auto"/> (default; a node reporting
    /// <c>cluster_enabled:1</c> makes it a cluster), <see cref="RespTopology.Primary"/> (one server or primary plus
    /// replicas) or <see cref="RespTopology.Cluster"/> (the endpoints are seed nodes of a Redis/Valkey Cluster).
    /// </summary>
    public RespTopology StateTopology { get; set; } = RespTopology.Auto;

    /// <summary>
    /// RESP store: how many replicas must confirm a cache/session write (<c>WAIT</c>) before it counts as stored;
    /// 0 (default) trusts the master's reply (Redis's asynchronous replication). See docs/member-library.md.
    /// </summary>
    public int StateWriteReplicas { get; set; }

    /// <summary>Password for the RESP store (<c>AUTH</c>); null for none.</summary>
    public string? Password { get; set; }

    /// <summary>Npgsql connection string; required when <see cref="Store"/> is <see cref="WebFarmStore.Postgres"/>.</summary>
    public string? PostgresConnectionString { get; set; }

    /// <summary>
    /// The Data Protection application name and store key prefix. It must be the same on every server
    /// of the farm and across releases; default: the host's application (assembly) name.
    /// </summary>
    public string? ApplicationName { get; set; }

    /// <summary>This server's name, reported by the health endpoint. Default: the machine name.</summary>
    public string? ServerName { get; set; }

    /// <summary>
    /// Balancer addresses (IP) or networks (CIDR) whose X-Forwarded-For/-Proto/-Host headers are trusted.
    /// Empty: only loopback is trusted (the ASP.NET Core default).
    /// </summary>
    public List<string> TrustedProxies { get; set; } = [];

    /// <summary>How long an idle session lives. Default 20 minutes.</summary>
    public TimeSpan SessionIdleTimeout { get; set; } = TimeSpan.FromMinutes(20);

    /// <summary>Name of the session cookie. Default <c>.WebFarm.Session</c>.</summary>
    public string SessionCookieName { get; set; } = ".WebFarm.Session";

    /// <summary>Path of the health endpoint. Default <c>/healthz</c>.</summary>
    public string HealthPath { get; set; } = "/healthz";

    /// <summary>Timeout of one store operation (and of the health endpoint's store probe). Default 5 s.</summary>
    public TimeSpan StoreTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long shutdown waits for in-flight requests to finish (the host's ShutdownTimeout). Default 30 s.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long shutdown keeps serving, with the health endpoint answering 503, before the listener closes, so a
    /// balancer polling it takes this server out of rotation first. Shorter than <see cref="ShutdownTimeout"/>,
    /// which bounds the whole shutdown. Default zero: the listener closes at once.
    /// </summary>
    public TimeSpan DrainDelay { get; set; } = TimeSpan.Zero;

    /// <summary>How often expired cache rows are deleted (PostgreSQL store). Default 5 minutes.</summary>
    public TimeSpan CacheCleanupInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Key prefix of cache entries (and sessions) in the store: the application name and a colon.</summary>
    public string CacheKeyPrefix => ApplicationName + ":";

    /// <summary>
    /// Applies the environment variables <c>WEBFARM_SERVER_NAME</c>, <c>WEBFARM_STATE_ENDPOINT</c> (host:port,
    /// or a comma list), <c>WEBFARM_STATE_TOPOLOGY</c>, <c>WEBFARM_STATE_PASSWORD</c>, <c>WEBFARM_APPLICATION_NAME</c> and
    /// <c>WEBFARM_TRUSTED_PROXIES</c> (comma list); a set variable wins over configuration.
    /// </summary>
    internal void ApplyEnvironment(Func<string, string?> getVariable)
    {
        if (NonEmpty(getVariable("WEBFARM_SERVER_NAME")) is { } server)
        {
            ServerName = server;
        }

        if (NonEmpty(getVariable("WEBFARM_STATE_ENDPOINT")) is { } endpoints)
        {
            StateEndpoints = SplitList(endpoints);
        }

        if (NonEmpty(getVariable("WEBFARM_STATE_TOPOLOGY")) is { } topology)
        {
            // An unknown name is kept as an undefined value so Normalize reports it with the others.
            StateTopology = Enum.TryParse<RespTopology>(topology, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed)
                ? parsed
                : (RespTopology)(-1);
            _topologyText = topology;
        }

        if (NonEmpty(getVariable("WEBFARM_STATE_PASSWORD")) is { } password)
        {
            Password = password;
        }

        if (NonEmpty(getVariable("WEBFARM_APPLICATION_NAME")) is { } application)
        {
            ApplicationName = application;
        }

        if (NonEmpty(getVariable("WEBFARM_TRUSTED_PROXIES")) is { } proxies)
        {
            TrustedProxies = SplitList(proxies);
        }
    }

    /// <summary>Fills defaults and checks every setting; throws one exception listing every problem.</summary>
    internal void Normalize(string hostApplicationName)
    {
        StateEndpoints = StateEndpoints.SelectMany(SplitList).ToList();
        TrustedProxies = TrustedProxies.SelectMany(SplitList).ToList();
        if (StateEndpoints.Count == 0)
        {
            StateEndpoints.Add(DefaultStateEndpoint);
        }

        ApplicationName = NonEmpty(ApplicationName) ?? hostApplicationName;
        ServerName = NonEmpty(ServerName) ?? Environment.MachineName;

        var problems = new List<string>();
        if (!Enum.IsDefined(Store))
        {
            problems.Add($"{SectionName}:Store is '{Store}'; use Resp or Postgres.");
        }

        if (Store == WebFarmStore.Resp)
        {
            if (!Enum.IsDefined(StateTopology))
            {
                problems.Add($"{SectionName}:StateTopology (WEBFARM_STATE_TOPOLOGY) is '{_topologyText ?? StateTopology.ToString()}'; use Auto, Primary or Cluster.");
            }

            if (StateWriteReplicas is < 0 or > 16)
            {
                problems.Add(string.Create(CultureInfo.InvariantCulture, $"{SectionName}:StateWriteReplicas is {StateWriteReplicas}; use 0 (trust the master) to 16."));
            }

            for (int i = 0; i < StateEndpoints.Count; i++)
            {
                if (!RespEndPoint.TryParse(StateEndpoints[i], out _))
                {
                    problems.Add($"{SectionName}:StateEndpoints[{i}] '{StateEndpoints[i]}' is not host:port (e.g. 127.0.0.1:42424).");
                }
            }
        }

        if (Store == WebFarmStore.Postgres && string.IsNullOrWhiteSpace(PostgresConnectionString))
        {
            problems.Add($"{SectionName}:PostgresConnectionString is required when {SectionName}:Store is Postgres.");
        }

        for (int i = 0; i < TrustedProxies.Count; i++)
        {
            if (!TrustedProxy.TryParse(TrustedProxies[i], out _))
            {
                problems.Add($"{SectionName}:TrustedProxies[{i}] '{TrustedProxies[i]}' is neither an IP address nor a CIDR network (e.g. 10.0.0.0/8).");
            }
        }

        if (string.IsNullOrEmpty(HealthPath) || HealthPath[0] != '/')
        {
            problems.Add($"{SectionName}:HealthPath '{HealthPath}' must start with '/'.");
        }

        CheckPositive(problems, nameof(SessionIdleTimeout), SessionIdleTimeout);
        CheckPositive(problems, nameof(StoreTimeout), StoreTimeout);
        CheckPositive(problems, nameof(CacheCleanupInterval), CacheCleanupInterval);
        if (ShutdownTimeout < TimeSpan.Zero)
        {
            problems.Add($"{SectionName}:ShutdownTimeout is {ShutdownTimeout}; it must not be negative.");
        }

        if (DrainDelay < TimeSpan.Zero)
        {
            problems.Add($"{SectionName}:DrainDelay is {DrainDelay}; it must not be negative.");
        }
        else if (DrainDelay > TimeSpan.Zero && DrainDelay >= ShutdownTimeout)
        {
            problems.Add($"{SectionName}:DrainDelay is {DrainDelay}; it must be shorter than {SectionName}:ShutdownTimeout ({ShutdownTimeout}), which bounds the whole shutdown and must leave time for in-flight requests.");
        }

        if (string.IsNullOrWhiteSpace(SessionCookieName))
        {
            problems.Add($"{SectionName}:SessionCookieName must not be empty.");
        }

        if (problems.Count > 0)
        {
            throw new InvalidOperationException("Invalid WebFarm settings: " + string.Join(" ", problems));
        }
    }

    private static void CheckPositive(List<string> problems, string name, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{SectionName}:{name} is {value}; it must be positive."));
        }
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static List<string> SplitList(string value) =>
        [.. value.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
}
