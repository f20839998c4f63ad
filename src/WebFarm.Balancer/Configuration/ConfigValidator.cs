using System.Net;
using WebFarm.Balancer.Forwarding;
using WebFarm.Balancer.Forwarding.Headers;
using WebFarm.Balancer.Hosting;
using WebFarm.Balancer.LoadBalancing;

namespace WebFarm.Balancer.Configuration;

/// <summary>
/// Checks a <see cref="BalancerConfig"/> for values that parse but make no sense (negative weights,
/// unknown farms in routes, duplicate names...). Collects every error with its JSON path.
/// Runs on configs read from files and on configs built in code alike.
/// </summary>
internal static partial class ConfigValidator
{
    /// <summary>The shortest bearer token accepted (admin API, controller API): guessing stays out of reach.</summary>
    public const int MinTokenLength = 16;

    private const int MaxWeight = 10_000;

    public static void Validate(BalancerConfig config, List<ConfigError> errors)
    {
        var file = config.SourcePath;
        void Error(string path, string reason) => errors.Add(new ConfigError(file, path, reason));

        if (config.Listen.Count == 0)
        {
            Error("$.Listen", "at least one listen URL is required, like \"http://127.0.0.1:8080\"");
        }

        ValidateListen(config.Listen, Error);

        ValidateAdmin(config.Admin, Error);

        if (config.SocketEngine == SocketEngine.Epoll && !WebFarm.Balancer.Transport.EpollLoop.IsSupported)
        {
            Error("$.SocketEngine", $"the Epoll engine needs 64-bit Linux; this is {System.Runtime.InteropServices.RuntimeInformation.OSDescription} ({System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}). Use \"Auto\" or \"Sockets\"");
        }

        for (var i = 0; i < config.TrustedProxies.Count; i++)
        {
            if (!TrustedProxies.TryParseNetwork(config.TrustedProxies[i], out _))
            {
                Error($"$.TrustedProxies[{i}]", $"\"{config.TrustedProxies[i]}\" is not an IP address or network (use \"10.0.0.0/8\", \"192.168.1.10\" or \"fd00::/8\")");
            }
        }

        if (config.Farms.Count == 0)
        {
            Error("$.Farms", "at least one farm is required");
        }

        foreach (var (name, farm) in config.Farms)
        {
            var path = "$.Farms." + name;
            if (!IsValidName(name))
            {
                Error(path, $"farm name '{name}' must be 1-64 characters of letters, digits, '-', '_' or '.'");
            }

            ValidateFarm(farm, path, Error);
            ValidateCompression(farm.Compression, farm.Protocol, path + ".Compression", Error);
        }

        ValidateTcp(config, Error);
        if (config.Routes.Count == 0 && HttpFarmCount(config) > 1)
        {
            Error("$.Routes", "routes are required when there is more than one HTTP farm (with a single farm every request goes to it)");
        }

        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var diskPaths = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < config.Routes.Count; i++)
        {
            var route = config.Routes[i];
            var path = $"$.Routes[{i}]";
            if (!config.Farms.TryGetValue(route.Farm, out var routeFarm))
            {
                Error(path + ".Farm", $"unknown farm '{route.Farm}' (farms: {string.Join(", ", config.Farms.Keys)})");
            }
            else if (routeFarm.Protocol == TrafficProtocol.Tcp)
            {
                Error(path + ".Farm", $"farm '{route.Farm}' is a TCP farm: routes send HTTP requests; a TCP farm takes connections from a listener with \"Protocol\": \"Tcp\" and \"Farm\": \"{route.Farm}\"");
            }

            ValidateCompression(route.Compression, TrafficProtocol.Http, path + ".Compression", Error);
            ValidateRouteMatchers(route, path, Error);

            Rewrite.RewriteRuleCompiler.Compile(route.Rewrite, path + ".Rewrite", Error);

            if (route.Cache is not null)
            {
                ValidateCache(route.Cache, path + ".Cache", Error);
                ValidateDiskFolderIsOwn(route.Cache, path + ".Cache.Disk.Path", diskPaths, Error);
            }

            if (!seen.Add(RouteKey(route)))
            {
                Error(path, "another route before this one has the same Host, Path and Headers, so this one would never match");
            }
        }
    }

    /// <summary>A route's host, path prefix, strip prefix and header names (a file's route and a controller's alike).</summary>
    internal static void ValidateRouteMatchers(RouteOptions route, string path, Action<string, string> error)
    {
        if (route.Host is not null && !IsValidHostPattern(route.Host))
        {
            error(path + ".Host", $"\"{route.Host}\" is not a host name or a \"*.example.com\" pattern");
        }

        if (route.Path is not null && PathPrefixProblem(route.Path) is { } pathProblem)
        {
            error(path + ".Path", $"\"{route.Path}\" {pathProblem}");
        }

        if (route.StripPrefix && (route.Path is null || route.Path == "/"))
        {
            error(path + ".StripPrefix", "needs a Path other than \"/\" to strip");
        }

        if (route.Headers is not null)
        {
            foreach (var (header, _) in route.Headers)
            {
                if (!HeaderSyntax.IsToken(header))
                {
                    error($"{path}.Headers.{header}", $"'{header}' is not a valid header name");
                }
            }
        }
    }

    /// <summary>What makes a route unique (Host, Path and Headers; compared case-insensitively): no two routes share it.</summary>
    internal static string RouteKey(RouteOptions route)
        => $"{route.Host}|{route.Path?.TrimEnd('/')}|{(route.Headers is null ? string.Empty : string.Join(";", route.Headers.OrderBy(h => h.Key, StringComparer.OrdinalIgnoreCase).Select(h => h.Key + "=" + h.Value)))}";

    /// <summary>Each listener's URL and the options that belong to its scheme (certificates and HSTS to https, redirects to http).</summary>
    private static void ValidateListen(IReadOnlyList<ListenEndpoint> listen, Action<string, string> error)
    {
        int? firstHttpsPort = null;
        foreach (var endpoint in listen)
        {
            if (endpoint.IsHttps && ListenAddress.TryParse(endpoint.Url, out var https, out _, allowHttps: true))
            {
                firstHttpsPort ??= https.Port;
            }
        }

        for (var i = 0; i < listen.Count; i++)
        {
            var endpoint = listen[i];
            var path = $"$.Listen[{i}]";
            if (endpoint.Protocol == TrafficProtocol.Tcp)
            {
                // The address and farm are ValidateTcp's; TLS and redirects are HTTP listeners' (a TCP rule relays bytes).
                foreach (var (key, set) in new (string, bool)[] { ("Certificates", endpoint.Certificates is not null), ("CertificatePassword", endpoint.CertificatePassword is not null), ("DefaultCertificate", endpoint.DefaultCertificate is not null), ("Hsts", endpoint.Hsts is not null), ("RedirectToHttps", endpoint.RedirectToHttps), ("HttpsPort", endpoint.HttpsPort is not null) })
                {
                    if (set)
                    {
                        error($"{path}.{key}", "is for http and https listeners; a \"Protocol\": \"Tcp\" listener relays bytes as they are");
                    }
                }

                continue;
            }

            if (!ListenAddress.TryParse(endpoint.Url, out _, out var why, allowHttps: true))
            {
                error(path, why);
                continue;
            }

            if (endpoint.IsHttps)
            {
                if (string.IsNullOrWhiteSpace(endpoint.Certificates))
                {
                    error(path + ".Certificates", "is required for an https listener: the folder of its certificates (name.pem + name.key, a PEM with both, or name.pfx)");
                }

                if (endpoint.RedirectToHttps)
                {
                    error(path + ".RedirectToHttps", "is for http listeners (this one is already https)");
                }

                if (endpoint.HttpsPort is not null)
                {
                    error(path + ".HttpsPort", "is for http listeners that redirect to https");
                }

                if (endpoint.Hsts is { } hsts)
                {
                    ValidateHsts(hsts, path + ".Hsts", error);
                }

                continue;
            }

            foreach (var (key, set) in new (string, bool)[] { ("Certificates", endpoint.Certificates is not null), ("CertificatePassword", endpoint.CertificatePassword is not null), ("DefaultCertificate", endpoint.DefaultCertificate is not null), ("Hsts", endpoint.Hsts is not null) })
            {
                if (set)
                {
                    error($"{path}.{key}", $"is for https listeners; \"{endpoint.Url}\" is http");
                }
            }

            if (endpoint.HttpsPort is { } port && port is < 1 or > 65535)
            {
                error(path + ".HttpsPort", $"{port} is not a port number (1-65535)");
            }
            else if (endpoint.HttpsPort is not null && !endpoint.RedirectToHttps)
            {
                error(path + ".HttpsPort", "only means something with \"RedirectToHttps\": true");
            }
            else if (endpoint.RedirectToHttps && endpoint.HttpsPort is null && firstHttpsPort is null or 0)
            {
                error(path + ".HttpsPort", firstHttpsPort is null
                    ? "is required: RedirectToHttps needs the https port to name, and no https listener is configured"
                    : "is required: the https listener's port is 0 (chosen at start), so a redirect cannot name it");
            }
        }
    }

    private static void ValidateHsts(HstsOptions hsts, string path, Action<string, string> error)
    {
        if (hsts.MaxAge < TimeSpan.Zero)
        {
            error(path + ".MaxAge", "must not be negative (\"0s\" tells browsers to forget the host's policy)");
        }

        if (hsts.Preload && (!hsts.IncludeSubDomains || hsts.MaxAge < TimeSpan.FromDays(365)))
        {
            error(path + ".Preload", "needs IncludeSubDomains and a MaxAge of at least 365d (the preload list's rules)");
        }
    }

    private static void ValidateAdmin(AdminOptions admin, Action<string, string> error)
    {
        if (admin.Token is not null && admin.TokenFile is not null)
        {
            error("$.Admin.TokenFile", "give either Token or TokenFile, not both");
        }

        if (admin.Token is not null && admin.Token.Length < MinTokenLength)
        {
            error("$.Admin.Token", $"must be at least {MinTokenLength} characters");
        }

        if (string.IsNullOrEmpty(admin.Listen))
        {
            return;
        }

        if (!ListenAddress.TryParse(admin.Listen, out var address, out var why))
        {
            error("$.Admin.Listen", why);
            return;
        }

        if (!address.IsLoopback && admin.Token is null && admin.TokenFile is null)
        {
            error("$.Admin.Token", $"a token (Token or TokenFile) is required because the admin listener {admin.Listen} is not loopback");
        }
    }

    private static void ValidateFarm(FarmOptions farm, string path, Action<string, string> error)
    {
        if (!Enum.IsDefined(farm.LoadBalancing))
        {
            error(path + ".LoadBalancing", $"unknown algorithm {farm.LoadBalancing}");
        }

        if (farm.LoadBalancing == LoadBalancingAlgorithm.Hash)
        {
            if (farm.HashKey is null)
            {
                error(path + ".HashKey", "is required for LoadBalancing \"Hash\": \"header:NAME\", \"cookie:NAME\", \"path\" or \"query:NAME\"");
            }
        }

        if (farm.HashKey is not null && !IsValidHashKey(farm.HashKey))
        {
            error(path + ".HashKey", $"\"{farm.HashKey}\" is not \"header:NAME\", \"cookie:NAME\", \"path\" or \"query:NAME\"");
        }

        if (farm.TlsInsecureSkipVerify && farm.TlsCaFile is not null)
        {
            error(path + ".TlsInsecureSkipVerify", "contradicts TlsCaFile: either verify server certificates against the CA file or skip verification");
        }

        if (farm.TlsCaFile is { Length: 0 })
        {
            error(path + ".TlsCaFile", "must be a file name or null (the system's trusted roots)");
        }

        if (farm.HttpVersion is not ("1.1" or "2" or "2.0"))
        {
            error(path + ".HttpVersion", $"\"{farm.HttpVersion}\" is not supported: use \"1.1\" or \"2\" (h2c with prior knowledge)");
        }

        Positive(farm.Timeouts.Connect, path + ".Timeouts.Connect", error);
        Positive(farm.Timeouts.ResponseHeaders, path + ".Timeouts.ResponseHeaders", error);
        Positive(farm.Timeouts.Idle, path + ".Timeouts.Idle", error);
        if (farm.Limits.MaxConcurrentRequestsPerServer < 0)
        {
            error(path + ".Limits.MaxConcurrentRequestsPerServer", "must be 0 (unlimited) or more");
        }

        if (farm.Limits.QueueLength < 0)
        {
            error(path + ".Limits.QueueLength", "must be 0 or more");
        }

        Positive(farm.Limits.QueueTimeout, path + ".Limits.QueueTimeout", error);
        if (farm.MinimumHealthyServers < 0)
        {
            error(path + ".MinimumHealthyServers", "must be 0 (off) or more");
        }

        if (farm.SlowStart < TimeSpan.Zero)
        {
            error(path + ".SlowStart", "must not be negative");
        }

        if (farm.Retries.MaxAttempts is < 1 or > 10)
        {
            error(path + ".Retries.MaxAttempts", "must be between 1 (no retry) and 10");
        }

        if (farm.Retries.MaxBufferedBody is < 0 or > 16 * 1024 * 1024)
        {
            error(path + ".Retries.MaxBufferedBody", "must be between 0 and 16777216 bytes");
        }

        if (farm.Health is not null)
        {
            ValidateHealth(farm.Health, path + ".Health", error);
        }

        if (farm.PassiveHealth is { } passive)
        {
            if (passive.MaxFailures < 1)
            {
                error(path + ".PassiveHealth.MaxFailures", "must be at least 1");
            }

            Positive(passive.Window, path + ".PassiveHealth.Window", error);
            Positive(passive.ReactivationPeriod, path + ".PassiveHealth.ReactivationPeriod", error);
        }

        var affinity = farm.Affinity;
        if (!Enum.IsDefined(affinity.Mode))
        {
            error(path + ".Affinity.Mode", $"unknown mode {affinity.Mode}");
        }

        if (!HeaderSyntax.IsToken(affinity.CookieName))
        {
            error(path + ".Affinity.CookieName", $"\"{affinity.CookieName}\" is not a valid cookie name");
        }

        if (affinity.CookieLifetime is { } lifetime && lifetime <= TimeSpan.Zero)
        {
            error(path + ".Affinity.CookieLifetime", "must be positive (or null for a session cookie)");
        }

        Positive(affinity.DrainTimeout, path + ".Affinity.DrainTimeout", error);
        if (affinity.Key is not null && !Affinity.AffinityKeyStore.TryParseConfigured(affinity.Key, out _, out var keyError))
        {
            error(path + ".Affinity.Key", keyError);
        }

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < farm.Servers.Count; i++)
        {
            var serverPath = $"{path}.Servers[{i}]";
            var server = farm.Servers[i];
            foreach (var (key, reason) in ValidateServer(server))
            {
                error(serverPath + "." + key, reason);
            }

            if (!names.Add(server.Name))
            {
                error(serverPath + ".Name", $"server name '{server.Name}' is used twice in this farm");
            }

            if (server.Health is not null)
            {
                ValidateHealth(server.Health, serverPath + ".Health", error);
            }
        }
    }

    /// <summary>Checks one server's own fields; returns (key, reason) pairs. Shared with the admin API.</summary>
    /// <summary>Why <paramref name="path"/> is not a route's path prefix (null when it is one).</summary>
    public static string? PathPrefixProblem(string path)
        => path.Length == 0 || path[0] != '/' || path.Contains('?') || path.Contains('#')
            ? "must be a path prefix starting with '/', without query or fragment"
            : null;

    public static List<(string Key, string Reason)> ValidateServer(ServerOptions server)
    {
        var problems = new List<(string, string)>();
        if (!IsValidName(server.Name))
        {
            problems.Add(("Name", $"'{server.Name}' must be 1-64 characters of letters, digits, '-', '_' or '.'"));
        }

        if (!Uri.TryCreate(server.Address, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https" or "tcp") || string.IsNullOrEmpty(uri.Host))
        {
            problems.Add(("Address", $"\"{server.Address}\" is not an http:// or https:// URL like \"http://10.0.0.5:5000\" (or, in a TCP farm, tcp://host:port)"));
        }
        else if (uri.Scheme == "tcp" && (uri.IsDefaultPort || uri.AbsolutePath != "/"))
        {
            problems.Add(("Address", $"\"{server.Address}\": a TCP server is tcp://host:port, with a port and nothing after it"));
        }
        else if (!string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment) || !string.IsNullOrEmpty(uri.UserInfo))
        {
            problems.Add(("Address", $"\"{server.Address}\" must not have a query, fragment or user info"));
        }

        if (server.Weight is < 0 or > MaxWeight)
        {
            problems.Add(("Weight", $"{server.Weight} is out of range: weights go from 0 to {MaxWeight}"));
        }

        if (server.MaxConcurrentRequests is < 1)
        {
            problems.Add(("MaxConcurrentRequests", "must be at least 1 (or null for the farm's limit)"));
        }

        return problems;
    }

    public static bool IsValidWeight(int weight) => weight is >= 0 and <= MaxWeight;

    private static void ValidateHealth(HealthCheckOptions health, string path, Action<string, string> error)
    {
        var isPath = health.Path.StartsWith('/');
        var isUrl = Uri.TryCreate(health.Path, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https";
        if (!isPath && !isUrl)
        {
            error(path + ".Path", $"\"{health.Path}\" must start with '/' or be an absolute http(s) URL");
        }

        Positive(health.Interval, path + ".Interval", error);
        Positive(health.Timeout, path + ".Timeout", error);
        if (health.Rise < 1)
        {
            error(path + ".Rise", "must be at least 1");
        }

        if (health.Fall < 1)
        {
            error(path + ".Fall", "must be at least 1");
        }

        if (health.HttpVersion is not ("1.1" or "2" or "2.0"))
        {
            error(path + ".HttpVersion", $"\"{health.HttpVersion}\" is not supported: use \"1.1\" or \"2\"");
        }

        if (health.Host is not null && !IsValidHostPattern(health.Host))
        {
            error(path + ".Host", $"\"{health.Host}\" is not a host name");
        }
    }

    private static void Positive(TimeSpan value, string path, Action<string, string> error)
    {
        if (value <= TimeSpan.Zero)
        {
            error(path, "must be a positive duration");
        }
    }

    /// <summary>The longest farm or server name (the admin API's paths and the events carry it).</summary>
    public const int MaxNameLength = 64;

    public static bool IsValidName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxNameLength)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_' or '.'))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsValidHashKey(string key)
    {
        if (key == "path")
        {
            return true;
        }

        var colon = key.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == key.Length - 1)
        {
            return false;
        }

        var kind = key[..colon];
        return kind is "header" or "cookie" or "query" && HeaderSyntax.IsToken(key[(colon + 1)..]);
    }

    internal static bool IsValidHostPattern(string host)
    {
        var name = host.StartsWith("*.", StringComparison.Ordinal) ? host[2..] : host;
        if (name.Length == 0)
        {
            return false;
        }

        if (IPAddress.TryParse(name.Trim('[', ']'), out _))
        {
            return !host.StartsWith('*');
        }

        return Uri.CheckHostName(name) == UriHostNameType.Dns;
    }
}
