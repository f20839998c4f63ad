using System.Text.Json;
using WebFarm.Balancer.LoadBalancing;
using static WebFarm.Balancer.Configuration.ConfigValueText;

namespace WebFarm.Balancer.Configuration;

/// <summary>
/// The configuration file's format: one description per section, each key once with how it is read and its
/// default. <see cref="ConfigReader"/> reads by these descriptions; ConfigSchemaDocsTests checks every key against
/// its row in docs/configuration.md. The order of the keys is the order unknown-key errors list them in.
/// </summary>
internal static partial class ConfigSchema
{
    public static readonly ConfigSection<AdminOptions> Admin = new(
        ["Admin."],
        static () => new AdminOptions(),
        new("Listen", static (r, v, p, a) => a with { Listen = r.ReadString(v, p, allowNull: true) }, static a => String(a.Listen)),
        new("Token", static (r, v, p, a) => a with { Token = r.ReadString(v, p, allowNull: true) }, static a => String(a.Token)),
        new("TokenFile", static (r, v, p, a) => a with { TokenFile = r.ReadString(v, p, allowNull: true) }, static a => String(a.TokenFile)));

    /// <summary>Strict-Transport-Security of an https listener (documented as "Listen[].Hsts.*").</summary>
    public static readonly ConfigSection<HstsOptions> Hsts = new(
        ["Listen[].Hsts."],
        static () => new HstsOptions(),
        new("MaxAge", static (r, v, p, h) => h with { MaxAge = r.ReadDuration(v, p, h.MaxAge) }, static h => Duration(h.MaxAge)),
        new("IncludeSubDomains", static (r, v, p, h) => h with { IncludeSubDomains = r.ReadBool(v, p, false) }, static h => Bool(h.IncludeSubDomains)),
        new("Preload", static (r, v, p, h) => h with { Preload = r.ReadBool(v, p, false) }, static h => Bool(h.Preload)));

    /// <summary>An object item of <c>Listen</c> (a string item is just the URL); documented as "Listen[].*".</summary>
    public static readonly ConfigSection<ListenEndpoint> ListenItem = new(
        ["Listen[]."],
        static () => new ListenEndpoint(null!), // Url: set by its key or reported missing by the reader
        new("Url", static (r, v, p, l) => l with { Url = r.ReadString(v, p, allowNull: false)! }, static _ => null),
        new("Protocols", static (r, v, p, l) => l with { Protocols = r.ReadEnum(v, p, ListenProtocols.Http1AndHttp2) }, static l => Enum(l.Protocols)),
        new("Protocol", static (r, v, p, l) => l with { Protocol = r.ReadEnum(v, p, TrafficProtocol.Http) }, static l => Enum(l.Protocol)),
        new("Farm", static (r, v, p, l) => l with { Farm = r.ReadString(v, p, allowNull: true) }, static l => String(l.Farm)),
        new("MaxConnections", static (r, v, p, l) => l with { MaxConnections = r.ReadInt(v, p, 0) }, static l => Int(l.MaxConnections)),
        new("Certificates", static (r, v, p, l) => l with { Certificates = r.ReadString(v, p, allowNull: true) }, static l => String(l.Certificates)),
        new("CertificatePassword", static (r, v, p, l) => l with { CertificatePassword = r.ReadString(v, p, allowNull: true) }, static l => String(l.CertificatePassword)),
        new("DefaultCertificate", static (r, v, p, l) => l with { DefaultCertificate = r.ReadString(v, p, allowNull: true) }, static l => String(l.DefaultCertificate)),
        new("RedirectToHttps", static (r, v, p, l) => l with { RedirectToHttps = r.ReadBool(v, p, false) }, static l => Bool(l.RedirectToHttps)),
        new(
            "HttpsPort",
            static (r, v, p, l) => l with { HttpsPort = v.ValueKind == JsonValueKind.Null ? null : r.ReadInt(v, p, 443) },
            static l => Int(l.HttpsPort)),
        new("Hsts", static (r, v, p, l) => l with { Hsts = v.ValueKind == JsonValueKind.Null ? null : Hsts.Read(r, v, p) }, static l => Null));

    /// <summary>Response compression of a farm or a route (documented as "Compression.*").</summary>
    public static readonly ConfigSection<CompressionOptions> Compression = new(
        ["Compression."],
        static () => new CompressionOptions(),
        new("Enabled", static (r, v, p, c) => c with { Enabled = r.ReadBool(v, p, true) }, static c => Bool(c.Enabled)),
        new("Encodings", static (r, v, p, c) => c with { Encodings = r.ReadStringList(v, p) }, static c => List(c.Encodings)),
        new("MinimumSize", static (r, v, p, c) => c with { MinimumSize = r.ReadInt(v, p, c.MinimumSize) }, static c => Int(c.MinimumSize)),
        new("BrotliQuality", static (r, v, p, c) => c with { BrotliQuality = r.ReadInt(v, p, c.BrotliQuality) }, static c => Int(c.BrotliQuality)),
        new("GzipLevel", static (r, v, p, c) => c with { GzipLevel = r.ReadInt(v, p, c.GzipLevel) }, static c => Int(c.GzipLevel)),
        new("ContentTypes", static (r, v, p, c) => c with { ContentTypes = r.ReadStringList(v, p) }, static c => List(c.ContentTypes)));

    public static readonly ConfigSection<TimeoutOptions> Timeouts = new(
        ["Timeouts."],
        static () => new TimeoutOptions(),
        new("Connect", static (r, v, p, t) => t with { Connect = r.ReadDuration(v, p, t.Connect) }, static t => Duration(t.Connect)),
        new("ResponseHeaders", static (r, v, p, t) => t with { ResponseHeaders = r.ReadDuration(v, p, t.ResponseHeaders) }, static t => Duration(t.ResponseHeaders)),
        new("Idle", static (r, v, p, t) => t with { Idle = r.ReadDuration(v, p, t.Idle) }, static t => Duration(t.Idle)));

    public static readonly ConfigSection<LimitOptions> Limits = new(
        ["Limits."],
        static () => new LimitOptions(),
        new("MaxConcurrentRequestsPerServer", static (r, v, p, l) => l with { MaxConcurrentRequestsPerServer = r.ReadInt(v, p, 0) }, static l => Int(l.MaxConcurrentRequestsPerServer)),
        new("QueueLength", static (r, v, p, l) => l with { QueueLength = r.ReadInt(v, p, l.QueueLength) }, static l => Int(l.QueueLength)),
        new("QueueTimeout", static (r, v, p, l) => l with { QueueTimeout = r.ReadDuration(v, p, l.QueueTimeout) }, static l => Duration(l.QueueTimeout)));

    public static readonly ConfigSection<RetryOptions> Retries = new(
        ["Retries.", string.Empty],
        static () => new RetryOptions(),
        new("MaxAttempts", static (r, v, p, o) => o with { MaxAttempts = r.ReadInt(v, p, o.MaxAttempts) }, static o => Int(o.MaxAttempts)),
        new("MaxBufferedBody", static (r, v, p, o) => o with { MaxBufferedBody = r.ReadInt(v, p, o.MaxBufferedBody) }, static o => Int(o.MaxBufferedBody)));

    /// <summary>Active health checks, on a farm or a server (documented in their own table, "### Health").</summary>
    public static readonly ConfigSection<HealthCheckOptions> Health = new(
        [string.Empty],
        static () => new HealthCheckOptions(),
        new("Path", static (r, v, p, h) => h with { Path = r.ReadString(v, p, allowNull: false) ?? h.Path }, static h => String(h.Path)),
        new("Interval", static (r, v, p, h) => h with { Interval = r.ReadDuration(v, p, h.Interval) }, static h => Duration(h.Interval)),
        new("Timeout", static (r, v, p, h) => h with { Timeout = r.ReadDuration(v, p, h.Timeout) }, static h => Duration(h.Timeout)),
        new("ExpectedStatus", static (r, v, p, h) => h with { ExpectedStatus = r.ReadStatusSet(v, p) ?? h.ExpectedStatus }, static h => String(h.ExpectedStatus.ToString())),
        new("ExpectedBody", static (r, v, p, h) => h with { ExpectedBody = r.ReadString(v, p, allowNull: true) }, static h => String(h.ExpectedBody)),
        new("Rise", static (r, v, p, h) => h with { Rise = r.ReadInt(v, p, h.Rise) }, static h => Int(h.Rise)),
        new("Fall", static (r, v, p, h) => h with { Fall = r.ReadInt(v, p, h.Fall) }, static h => Int(h.Fall)),
        new("Host", static (r, v, p, h) => h with { Host = r.ReadString(v, p, allowNull: true) }, static h => String(h.Host)),
        new("HttpVersion", static (r, v, p, h) => h with { HttpVersion = r.ReadVersionString(v, p) ?? h.HttpVersion }, static h => String(h.HttpVersion)),
        new("Type", static (r, v, p, h) => h with { Type = r.ReadEnum(v, p, HealthCheckType.Auto) }, static h => Enum(h.Type)));

    /// <summary>Live-traffic health (documented in its own table, "### PassiveHealth").</summary>
    public static readonly ConfigSection<PassiveHealthOptions> PassiveHealth = new(
        [string.Empty],
        static () => new PassiveHealthOptions(),
        new("FailureStatus", static (r, v, p, h) => h with { FailureStatus = ReadFailureStatus(r, v, p) }, static h => String(h.FailureStatus?.ToString() ?? string.Empty)),
        new("MaxFailures", static (r, v, p, h) => h with { MaxFailures = r.ReadInt(v, p, h.MaxFailures) }, static h => Int(h.MaxFailures)),
        new("Window", static (r, v, p, h) => h with { Window = r.ReadDuration(v, p, h.Window) }, static h => Duration(h.Window)),
        new("ReactivationPeriod", static (r, v, p, h) => h with { ReactivationPeriod = r.ReadDuration(v, p, h.ReactivationPeriod) }, static h => Duration(h.ReactivationPeriod)));

    public static readonly ConfigSection<AffinityOptions> Affinity = new(
        ["Affinity.", string.Empty],
        static () => new AffinityOptions(),
        new("Mode", static (r, v, p, a) => a with { Mode = r.ReadEnum(v, p, AffinityMode.None) }, static a => Enum(a.Mode)),
        new("CookieName", static (r, v, p, a) => a with { CookieName = r.ReadString(v, p, allowNull: false) ?? a.CookieName }, static a => String(a.CookieName)),
        new(
            "CookieLifetime",
            static (r, v, p, a) => a with { CookieLifetime = v.ValueKind == JsonValueKind.Null ? null : r.ReadDuration(v, p, TimeSpan.Zero) },
            static a => a.CookieLifetime is { } lifetime ? Duration(lifetime) : Null),
        new("OnUnavailable", static (r, v, p, a) => a with { OnUnavailable = r.ReadEnum(v, p, AffinityFailurePolicy.Redistribute) }, static a => Enum(a.OnUnavailable)),
        new("DrainTimeout", static (r, v, p, a) => a with { DrainTimeout = r.ReadDuration(v, p, a.DrainTimeout) }, static a => Duration(a.DrainTimeout)),
        new("Key", static (r, v, p, a) => a with { Key = r.ReadString(v, p, allowNull: true) }, static a => String(a.Key)));

    /// <summary>One item of a farm's <c>Servers</c>; also the body of the admin API's "add server".</summary>
    public static readonly ConfigSection<ServerOptions> Server = new(
        [string.Empty],
        static () => new ServerOptions { Name = null!, Address = null! }, // required: set by their keys or reported missing by the reader
        new("Name", static (r, v, p, s) => s with { Name = r.ReadString(v, p, allowNull: false)! }, static _ => null),
        new("Address", static (r, v, p, s) => s with { Address = r.ReadString(v, p, allowNull: false)! }, static _ => null),
        new("Weight", static (r, v, p, s) => s with { Weight = r.ReadInt(v, p, 1) }, static s => Int(s.Weight)),
        new("Backup", static (r, v, p, s) => s with { Backup = r.ReadBool(v, p, false) }, static s => Bool(s.Backup)),
        new(
            "MaxConcurrentRequests",
            static (r, v, p, s) => s with { MaxConcurrentRequests = v.ValueKind == JsonValueKind.Null ? null : r.ReadInt(v, p, 0) },
            static s => Int(s.MaxConcurrentRequests)),
        new("Health", static (r, v, p, s) => s with { Health = r.ReadHealth(v, p) }, static s => Null));

    public static readonly ConfigSection<FarmOptions> Farm = new(
        [string.Empty],
        static () => new FarmOptions(),
        new("Protocol", static (r, v, p, f) => f with { Protocol = r.ReadEnum(v, p, TrafficProtocol.Http) }, static f => Enum(f.Protocol)),
        new("ProxyProtocol", static (r, v, p, f) => f with { ProxyProtocol = r.ReadEnum(v, p, ProxyProtocolVersion.None) }, static f => Enum(f.ProxyProtocol)),
        new("LoadBalancing", static (r, v, p, f) => f with { LoadBalancing = r.ReadEnum(v, p, LoadBalancingAlgorithm.RoundRobin) }, static f => Enum(f.LoadBalancing)),
        new("HashKey", static (r, v, p, f) => f with { HashKey = r.ReadString(v, p, allowNull: true) }, static f => String(f.HashKey)),
        new("HttpVersion", static (r, v, p, f) => f with { HttpVersion = r.ReadVersionString(v, p) ?? f.HttpVersion }, static f => String(f.HttpVersion)),
        new("DirectHttp1", static (r, v, p, f) => f with { DirectHttp1 = r.ReadBool(v, p, true) }, static f => Bool(f.DirectHttp1)),
        new("PreserveHost", static (r, v, p, f) => f with { PreserveHost = r.ReadBool(v, p, true) }, static f => Bool(f.PreserveHost)),
        new("TlsCaFile", static (r, v, p, f) => f with { TlsCaFile = r.ReadString(v, p, allowNull: true) }, static f => String(f.TlsCaFile)),
        new("TlsInsecureSkipVerify", static (r, v, p, f) => f with { TlsInsecureSkipVerify = r.ReadBool(v, p, false) }, static f => Bool(f.TlsInsecureSkipVerify)),
        new("Timeouts", static (r, v, p, f) => f with { Timeouts = Timeouts.Read(r, v, p) }, showDefault: null),
        new("Limits", static (r, v, p, f) => f with { Limits = Limits.Read(r, v, p) }, showDefault: null),
        new("MinimumHealthyServers", static (r, v, p, f) => f with { MinimumHealthyServers = r.ReadInt(v, p, 0) }, static f => Int(f.MinimumHealthyServers)),
        new("SlowStart", static (r, v, p, f) => f with { SlowStart = r.ReadDuration(v, p, TimeSpan.Zero) }, static f => Duration(f.SlowStart)),
        new("Retries", static (r, v, p, f) => f with { Retries = Retries.Read(r, v, p) }, showDefault: null),
        new("Health", static (r, v, p, f) => f with { Health = r.ReadHealth(v, p) }, static f => Null),
        new("PassiveHealth", static (r, v, p, f) => f with { PassiveHealth = v.ValueKind == JsonValueKind.Null ? null : PassiveHealth.Read(r, v, p) }, static f => Null),
        new("Affinity", static (r, v, p, f) => f with { Affinity = Affinity.Read(r, v, p) }, showDefault: null),
        new("Compression", static (r, v, p, f) => f with { Compression = v.ValueKind == JsonValueKind.Null ? null : Compression.Read(r, v, p) }, static f => Null),
        new("Servers", static (r, v, p, f) => f with { Servers = r.ReadServers(v, p) }, static f => List(f.Servers.Select(s => s.Name))));

    /// <summary>A route cache's disk tier (documented as "Routes[].Cache.Disk.*").</summary>
    public static readonly ConfigSection<CacheDiskOptions> CacheDisk = new(
        ["Routes[].Cache.Disk."],
        static () => new CacheDiskOptions(), // Path is required: set by its key or reported missing by the reader
        new("Path", static (r, v, p, d) => d with { Path = r.ReadString(v, p, allowNull: false)! }, static _ => null),
        new("MaxBytes", static (r, v, p, d) => d with { MaxBytes = r.ReadLong(v, p, d.MaxBytes) }, static d => Long(d.MaxBytes)));

    /// <summary>A route's response cache (documented as "Routes[].Cache.*").</summary>
    public static readonly ConfigSection<CacheOptions> RouteCache = new(
        ["Routes[].Cache."],
        static () => new CacheOptions(),
        new("MaxMemory", static (r, v, p, c) => c with { MaxMemory = r.ReadInt(v, p, c.MaxMemory) }, static c => Int(c.MaxMemory)),
        new("MaxEntrySize", static (r, v, p, c) => c with { MaxEntrySize = r.ReadInt(v, p, c.MaxEntrySize) }, static c => Int(c.MaxEntrySize)),
        new("DefaultLifetime", static (r, v, p, c) => c with { DefaultLifetime = r.ReadDuration(v, p, c.DefaultLifetime) }, static c => Duration(c.DefaultLifetime)),
        new("IgnoreQueryParameters", static (r, v, p, c) => c with { IgnoreQueryParameters = r.ReadStringList(v, p) }, static c => List(c.IgnoreQueryParameters)),
        new("LockTimeout", static (r, v, p, c) => c with { LockTimeout = r.ReadDuration(v, p, c.LockTimeout) }, static c => Duration(c.LockTimeout)),
        new("StaleIfError", static (r, v, p, c) => c with { StaleIfError = r.ReadDuration(v, p, c.StaleIfError) }, static c => Duration(c.StaleIfError)),
        new("Disk", static (r, v, p, c) => c with { Disk = v.ValueKind == JsonValueKind.Null ? null : CacheDisk.Read(r, v, p) }, static c => Null));

    /// <summary>One item of <c>Routes</c>.</summary>
    public static readonly ConfigSection<RouteOptions> Route = new(
        [string.Empty],
        static () => new RouteOptions { Farm = null! }, // required: set by its key or reported missing by the reader
        new("Host", static (r, v, p, o) => o with { Host = r.ReadString(v, p, allowNull: true) }, static o => String(o.Host)),
        new("Path", static (r, v, p, o) => o with { Path = r.ReadString(v, p, allowNull: true) }, static o => String(o.Path)),
        new("Headers", static (r, v, p, o) => o with { Headers = r.ReadStringMap(v, p) }, static o => Null),
        new("Farm", static (r, v, p, o) => o with { Farm = r.ReadString(v, p, allowNull: false)! }, static _ => null),
        new("StripPrefix", static (r, v, p, o) => o with { StripPrefix = r.ReadBool(v, p, false) }, static o => Bool(o.StripPrefix)),
        new("Compression", static (r, v, p, o) => o with { Compression = v.ValueKind == JsonValueKind.Null ? null : Compression.Read(r, v, p) }, static o => Null),
        new("Rewrite", static (r, v, p, o) => o with { Rewrite = ReadRewriteRules(r, v, p) }, static o => Null),
        new("Cache", static (r, v, p, o) => o with { Cache = v.ValueKind == JsonValueKind.Null ? null : RouteCache.Read(r, v, p) }, static o => Null));

    public static readonly ConfigSection<BalancerConfig> Root = new(
        [string.Empty],
        static () => new BalancerConfig(),
        new("Listen", static (r, v, p, c) => c with { Listen = r.ReadListen(v, p) }, static c => List(c.Listen.Select(l => l.Url))),
        new("Admin", static (r, v, p, c) => c with { Admin = Admin.Read(r, v, p) }, showDefault: null),
        new("StateDirectory", static (r, v, p, c) => c with { StateDirectory = r.ReadString(v, p, allowNull: true) }, static c => String(c.StateDirectory)),
        new("TrustedProxies", static (r, v, p, c) => c with { TrustedProxies = r.ReadStringList(v, p) }, static c => List(c.TrustedProxies)),
        new("AccessLog", static (r, v, p, c) => c with { AccessLog = r.ReadBool(v, p, false) }, static c => Bool(c.AccessLog)),
        new("Http1FrontEnd", static (r, v, p, c) => c with { Http1FrontEnd = r.ReadBool(v, p, true) }, static c => Bool(c.Http1FrontEnd)),
        new("SocketEngine", static (r, v, p, c) => c with { SocketEngine = r.ReadEnum(v, p, SocketEngine.Auto) }, static c => Enum(c.SocketEngine)),
        new("Farms", static (r, v, p, c) => c with { Farms = r.ReadFarms(v, p) }, static _ => null),
        new("Routes", static (r, v, p, c) => c with { Routes = r.ReadRoutes(v, p) }, static c => List(c.Routes.Select(o => o.Farm))));

    /// <summary>Every documented key: its row name in docs/configuration.md and its default as JSON text (null: required).</summary>
    public static IEnumerable<(string Row, string? Default)> DocumentedDefaults()
        => Root.DocRows().Concat(Admin.DocRows()).Concat(Farm.DocRows()).Concat(Timeouts.DocRows()).Concat(Limits.DocRows())
            .Concat(Retries.DocRows()).Concat(Health.DocRows()).Concat(PassiveHealth.DocRows()).Concat(Affinity.DocRows())
            .Concat(Server.DocRows()).Concat(Route.DocRows()).Concat(RouteCache.DocRows()).Concat(CacheDisk.DocRows()).Concat(ListenItem.DocRows()).Concat(Hsts.DocRows())
            .Concat(Compression.DocRows())
            .Concat(RewriteRule.DocRows());

    /// <summary>"" (or null) means: only transport failures count.</summary>
    private static StatusCodeSet? ReadFailureStatus(ConfigReader reader, JsonElement value, string path)
        => value.ValueKind == JsonValueKind.Null || (value.ValueKind == JsonValueKind.String && string.IsNullOrWhiteSpace(value.GetString()))
            ? null
            : reader.ReadStatusSet(value, path);
}
