using WebFarm.Balancer.Configuration;

namespace WebFarm.Balancer.Tests.Configuration;

/// <summary>
/// Every key of every section read wrongly at once: the reader reports each error with its JSON path and its message,
/// in document order. The expected lists were taken from the reader before it was driven by ConfigSchema, so they pin
/// down that the descriptions read exactly as the hand-written code did (messages, paths, order, known-key lists).
/// </summary>
public class ConfigReaderErrorTests
{
    public static TheoryData<string, string, string> Cases => new()
    {
        {
            "Root",
            """
            {"Listen": 1, "Admin": [], "StateDirectory": 1, "TrustedProxies": {}, "AccessLog": "yes", "Http1FrontEnd": null, "SocketEngine": "Fast", "Farms": [], "Routes": {}, "Bogus": 1}
            """,
            """
            $.Listen: expected an array, got the number 1
            $.Admin: expected an object, got an array
            $.StateDirectory: expected a string or null, got the number 1
            $.TrustedProxies: expected an array, got an object
            $.AccessLog: expected true or false, got the string "yes"
            $.Http1FrontEnd: expected true or false, got null
            $.SocketEngine: "Fast" is not one of: Auto, Epoll, Sockets
            $.Farms: expected an object, got an array
            $.Routes: expected an array, got an object
            $.Bogus: unknown key 'Bogus' (expected one of: Listen, Admin, StateDirectory, TrustedProxies, AccessLog, Http1FrontEnd, SocketEngine, Farms, Routes)
            """
        },
        {
            "ListenAdminAndProxies",
            """
            {"Listen": [1, {"Url": 2, "Protocols": "Http3", "Q": 1}, {}], "Admin": {"Listen": 1, "Token": true, "TokenFile": [], "X": 1}, "TrustedProxies": [1], "Farms": {"web": {}}}
            """,
            """
            $.Listen[0]: expected a URL string or an object {"Url": ..., "Protocols": ...}, got the number 1
            $.Listen[1].Url: expected a string, got the number 2
            $.Listen[1].Protocols: "Http3" is not one of: Http1, Http2, Http1AndHttp2
            $.Listen[1].Q: unknown key 'Q' (expected one of: Url, Protocols, Protocol, Farm, MaxConnections, Certificates, CertificatePassword, DefaultCertificate, RedirectToHttps, HttpsPort, Hsts)
            $.Listen[1].Url: is required
            $.Listen[2].Url: is required
            $.Admin.Listen: expected a string or null, got the number 1
            $.Admin.Token: expected a string or null, got true
            $.Admin.TokenFile: expected a string or null, got an array
            $.Admin.X: unknown key 'X' (expected one of: Listen, Token, TokenFile)
            $.TrustedProxies[0]: expected a string, got the number 1
            """
        },
        {
            "Farm",
            """
            {"Farms": {"web": {"LoadBalancing": 1, "HashKey": 2, "HttpVersion": true, "DirectHttp1": "no", "PreserveHost": 0, "Timeouts": 1, "Limits": [], "MinimumHealthyServers": 1.5, "SlowStart": 5, "Retries": "x", "Health": 1, "PassiveHealth": 2, "Affinity": null, "Servers": {}, "Nope": 1}}}
            """,
            """
            $.Farms.web.LoadBalancing: expected one of: RoundRobin, LeastRequests, LeastResponseTime, Random, PowerOfTwoChoices, ClientIp, ClientNetwork, Hash, First; got the number 1
            $.Farms.web.HashKey: expected a string or null, got the number 2
            $.Farms.web.HttpVersion: expected a string, got true
            $.Farms.web.DirectHttp1: expected true or false, got the string "no"
            $.Farms.web.PreserveHost: expected true or false, got the number 0
            $.Farms.web.Timeouts: expected an object, got the number 1
            $.Farms.web.Limits: expected an object, got an array
            $.Farms.web.MinimumHealthyServers: expected a whole number, got the number 1.5
            $.Farms.web.SlowStart: expected a duration string like "5s", "250ms" or "00:00:05", got the number 5
            $.Farms.web.Retries: expected an object, got the string "x"
            $.Farms.web.Health: expected an object, got the number 1
            $.Farms.web.PassiveHealth: expected an object, got the number 2
            $.Farms.web.Affinity: expected an object, got null
            $.Farms.web.Servers: expected an array, got an object
            $.Farms.web.Nope: unknown key 'Nope' (expected one of: Protocol, ProxyProtocol, LoadBalancing, HashKey, HttpVersion, DirectHttp1, PreserveHost, TlsCaFile, TlsInsecureSkipVerify, Timeouts, Limits, MinimumHealthyServers, SlowStart, Retries, Health, PassiveHealth, Affinity, Compression, Servers)
            """
        },
        {
            "TimeoutsLimitsRetries",
            """
            {"Farms": {"web": {"Timeouts": {"Connect": 5, "ResponseHeaders": "5x", "Idle": null, "Q": 1}, "Limits": {"MaxConcurrentRequestsPerServer": "1", "QueueLength": 1.5, "QueueTimeout": true, "Q": 1}, "Retries": {"MaxAttempts": "3", "MaxBufferedBody": 99999999999, "Q": 1}}}}
            """,
            """
            $.Farms.web.Timeouts.Connect: expected a duration string like "5s", "250ms" or "00:00:05", got the number 5
            $.Farms.web.Timeouts.ResponseHeaders: unknown duration unit 'x' in "5x" (use ms, s, m, h or d)
            $.Farms.web.Timeouts.Idle: expected a duration string like "5s", "250ms" or "00:00:05", got null
            $.Farms.web.Timeouts.Q: unknown key 'Q' (expected one of: Connect, ResponseHeaders, Idle)
            $.Farms.web.Limits.MaxConcurrentRequestsPerServer: expected a whole number, got the string "1"
            $.Farms.web.Limits.QueueLength: expected a whole number, got the number 1.5
            $.Farms.web.Limits.QueueTimeout: expected a duration string like "5s", "250ms" or "00:00:05", got true
            $.Farms.web.Limits.Q: unknown key 'Q' (expected one of: MaxConcurrentRequestsPerServer, QueueLength, QueueTimeout)
            $.Farms.web.Retries.MaxAttempts: expected a whole number, got the string "3"
            $.Farms.web.Retries.MaxBufferedBody: expected a whole number, got the number 99999999999
            $.Farms.web.Retries.Q: unknown key 'Q' (expected one of: MaxAttempts, MaxBufferedBody)
            """
        },
        {
            "HealthAndPassiveHealth",
            """
            {"Farms": {"web": {"Health": {"Path": null, "Interval": 1, "Timeout": "2", "ExpectedStatus": true, "ExpectedBody": 1, "Rise": "2", "Fall": null, "Host": 1, "HttpVersion": null, "Q": 1}, "PassiveHealth": {"FailureStatus": "abc", "MaxFailures": "3", "Window": 1, "ReactivationPeriod": "1y", "Q": 1}}}}
            """,
            """
            $.Farms.web.Health.Path: expected a string, got null
            $.Farms.web.Health.Interval: expected a duration string like "5s", "250ms" or "00:00:05", got the number 1
            $.Farms.web.Health.ExpectedStatus: expected a status list like "200-399" or "500,502-504", got true
            $.Farms.web.Health.ExpectedBody: expected a string or null, got the number 1
            $.Farms.web.Health.Rise: expected a whole number, got the string "2"
            $.Farms.web.Health.Fall: expected a whole number, got null
            $.Farms.web.Health.Host: expected a string or null, got the number 1
            $.Farms.web.Health.HttpVersion: expected a string, got null
            $.Farms.web.Health.Q: unknown key 'Q' (expected one of: Path, Interval, Timeout, ExpectedStatus, ExpectedBody, Rise, Fall, Host, HttpVersion, Type)
            $.Farms.web.PassiveHealth.FailureStatus: "abc" in "abc" is not a status code or range (use "200" or "200-399")
            $.Farms.web.PassiveHealth.MaxFailures: expected a whole number, got the string "3"
            $.Farms.web.PassiveHealth.Window: expected a duration string like "5s", "250ms" or "00:00:05", got the number 1
            $.Farms.web.PassiveHealth.ReactivationPeriod: unknown duration unit 'y' in "1y" (use ms, s, m, h or d)
            $.Farms.web.PassiveHealth.Q: unknown key 'Q' (expected one of: FailureStatus, MaxFailures, Window, ReactivationPeriod)
            """
        },
        {
            "Affinity",
            """
            {"Farms": {"web": {"Affinity": {"Mode": "Sticky", "CookieName": null, "CookieLifetime": 5, "OnUnavailable": 1, "DrainTimeout": "x", "Key": 1, "Q": 1}}}}
            """,
            """
            $.Farms.web.Affinity.Mode: "Sticky" is not one of: None, Cookie, ClientIp, ClientNetwork
            $.Farms.web.Affinity.CookieName: expected a string, got null
            $.Farms.web.Affinity.CookieLifetime: expected a duration string like "5s", "250ms" or "00:00:05", got the number 5
            $.Farms.web.Affinity.OnUnavailable: expected one of: Redistribute, Fail; got the number 1
            $.Farms.web.Affinity.DrainTimeout: "x" is not a duration: use a number with a unit ("250ms", "5s", "20m", "1h") or "hh:mm:ss"
            $.Farms.web.Affinity.Key: expected a string or null, got the number 1
            $.Farms.web.Affinity.Q: unknown key 'Q' (expected one of: Mode, CookieName, CookieLifetime, OnUnavailable, DrainTimeout, Key)
            """
        },
        {
            "Servers",
            """
            {"Farms": {"web": {"Servers": [1, {"Name": 1, "Address": null, "Weight": "1", "Backup": "no", "MaxConcurrentRequests": "5", "Health": {"Q": 1}, "X": 1}, {}]}}}
            """,
            """
            $.Farms.web.Servers[0]: expected an object, got the number 1
            $.Farms.web.Servers[1].Name: expected a string, got the number 1
            $.Farms.web.Servers[1].Address: expected a string, got null
            $.Farms.web.Servers[1].Weight: expected a whole number, got the string "1"
            $.Farms.web.Servers[1].Backup: expected true or false, got the string "no"
            $.Farms.web.Servers[1].MaxConcurrentRequests: expected a whole number, got the string "5"
            $.Farms.web.Servers[1].Health.Q: unknown key 'Q' (expected one of: Path, Interval, Timeout, ExpectedStatus, ExpectedBody, Rise, Fall, Host, HttpVersion, Type)
            $.Farms.web.Servers[1].X: unknown key 'X' (expected one of: Name, Address, Weight, Backup, MaxConcurrentRequests, Health)
            $.Farms.web.Servers[1].Name: is required
            $.Farms.web.Servers[1].Address: is required (like "http://10.0.0.5:5000")
            $.Farms.web.Servers[2].Name: is required
            $.Farms.web.Servers[2].Address: is required (like "http://10.0.0.5:5000")
            """
        },
        {
            "Routes",
            """
            {"Farms": {"web": {}}, "Routes": [1, {"Host": 1, "Path": 2, "Headers": {"A": 1}, "Farm": null, "StripPrefix": "y", "Q": 1}, {"Headers": []}]}
            """,
            """
            $.Routes[0]: expected an object, got the number 1
            $.Routes[1].Host: expected a string or null, got the number 1
            $.Routes[1].Path: expected a string or null, got the number 2
            $.Routes[1].Headers.A: expected a string, got the number 1
            $.Routes[1].Farm: expected a string, got null
            $.Routes[1].StripPrefix: expected true or false, got the string "y"
            $.Routes[1].Q: unknown key 'Q' (expected one of: Host, Path, Headers, Farm, StripPrefix, Compression, Rewrite, Cache)
            $.Routes[1].Farm: is required: the farm this route sends requests to
            $.Routes[2].Headers: expected an object, got an array
            $.Routes[2].Farm: is required: the farm this route sends requests to
            """
        },
        {
            "RouteCache",
            """
            {"Farms": {"web": {}}, "Routes": [{"Farm": "web", "Cache": 1}, {"Farm": "web", "Cache": {"MaxMemory": "64MB", "MaxEntrySize": 1.5, "DefaultLifetime": 60, "IgnoreQueryParameters": "utm_source", "LockTimeout": "soon", "StaleIfError": true, "Disk": 1, "Tier": 2}}]}
            """,
            """
            $.Routes[0].Cache: expected an object, got the number 1
            $.Routes[1].Cache.MaxMemory: expected a whole number, got the string "64MB"
            $.Routes[1].Cache.MaxEntrySize: expected a whole number, got the number 1.5
            $.Routes[1].Cache.DefaultLifetime: expected a duration string like "5s", "250ms" or "00:00:05", got the number 60
            $.Routes[1].Cache.IgnoreQueryParameters: expected an array, got the string "utm_source"
            $.Routes[1].Cache.LockTimeout: "soon" is not a duration: use a number with a unit ("250ms", "5s", "20m", "1h") or "hh:mm:ss"
            $.Routes[1].Cache.StaleIfError: expected a duration string like "5s", "250ms" or "00:00:05", got true
            $.Routes[1].Cache.Disk: expected an object, got the number 1
            $.Routes[1].Cache.Tier: unknown key 'Tier' (expected one of: MaxMemory, MaxEntrySize, DefaultLifetime, IgnoreQueryParameters, LockTimeout, StaleIfError, Disk)
            """
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_error_is_reported_with_its_path_and_message(string section, string json, string expected)
    {
        var errors = new List<ConfigError>();
        ConfigReader.Read(json, null, errors);
        _ = section; // names the case in the test list
        Assert.Equal(expected.ReplaceLineEndings("\n"), string.Join("\n", errors));
    }
}
