using System.Globalization;
using System.Text.Json;
using WebFarm.Balancer.LoadBalancing;

namespace WebFarm.Balancer.Configuration;

/// <summary>
/// Reads the JSON file into <see cref="BalancerConfig"/> by walking the document by hand rather than with
/// the serializer: that way every unknown key and every wrongly typed value is reported with its JSON path,
/// all at once, instead of stopping at the first exception.
/// </summary>
internal sealed class ConfigReader
{
    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        MaxDepth = 32,
    };

    private readonly string? _file;
    private readonly List<ConfigError> _errors;

    private ConfigReader(string? file, List<ConfigError> errors)
    {
        _file = file;
        _errors = errors;
    }

    /// <summary>Parses <paramref name="json"/>; syntax and shape errors go to <paramref name="errors"/>.</summary>
    public static BalancerConfig? Read(string json, string? file, List<ConfigError> errors)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, DocumentOptions);
        }
        catch (JsonException ex)
        {
            var where = ex.LineNumber is { } line ? $" at line {line + 1}, column {(ex.BytePositionInLine ?? 0) + 1}" : string.Empty;
            errors.Add(new ConfigError(file, ex.Path ?? "$", $"not valid JSON{where}: {FirstSentence(ex.Message)}"));
            return null;
        }

        using (document)
        {
            var reader = new ConfigReader(file, errors);
            return reader.ReadRoot(document.RootElement);
        }
    }

    private BalancerConfig? ReadRoot(JsonElement root)
    {
        if (!ExpectObject(root, "$"))
        {
            return null;
        }

        var config = new BalancerConfig { SourcePath = _file };
        foreach (var p in root.EnumerateObject())
        {
            var path = "$." + p.Name;
            switch (Key(p.Name, "Listen", "Admin", "StateDirectory", "TrustedProxies", "AccessLog", "Http1FrontEnd", "SocketEngine", "Farms", "Routes"))
            {
                case "Listen": config = config with { Listen = ReadListen(p.Value, path) }; break;
                case "Admin": config = config with { Admin = ReadAdmin(p.Value, path) }; break;
                case "StateDirectory": config = config with { StateDirectory = ReadString(p.Value, path, allowNull: true) }; break;
                case "TrustedProxies": config = config with { TrustedProxies = ReadStringList(p.Value, path) }; break;
                case "AccessLog": config = config with { AccessLog = ReadBool(p.Value, path, false) }; break;
                case "Http1FrontEnd": config = config with { Http1FrontEnd = ReadBool(p.Value, path, true) }; break;
                case "SocketEngine": config = config with { SocketEngine = ReadEnum(p.Value, path, SocketEngine.Auto) }; break;
                case "Farms": config = config with { Farms = ReadFarms(p.Value, path) }; break;
                case "Routes": config = config with { Routes = ReadRoutes(p.Value, path) }; break;
                default: UnknownKey(path, p.Name, "Listen, Admin, StateDirectory, TrustedProxies, AccessLog, Http1FrontEnd, SocketEngine, Farms, Routes"); break;
            }
        }

        return config;
    }

    private List<ListenEndpoint> ReadListen(JsonElement value, string path)
    {
        var result = new List<ListenEndpoint>();
        if (value.ValueKind == JsonValueKind.String)
        {
            result.Add(new ListenEndpoint(value.GetString()!));
            return result;
        }

        if (!ExpectArray(value, path))
        {
            return result;
        }

        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            var itemPath = $"{path}[{i++}]";
            if (item.ValueKind == JsonValueKind.String)
            {
                result.Add(new ListenEndpoint(item.GetString()!));
                continue;
            }

            if (!ExpectObject(item, itemPath, "a URL string or an object {\"Url\": ..., \"Protocols\": ...}"))
            {
                continue;
            }

            string? url = null;
            var protocols = ListenProtocols.Http1AndHttp2;
            foreach (var p in item.EnumerateObject())
            {
                var pPath = itemPath + "." + p.Name;
                switch (Key(p.Name, "Url", "Protocols"))
                {
                    case "Url": url = ReadString(p.Value, pPath, allowNull: false); break;
                    case "Protocols": protocols = ReadEnum(p.Value, pPath, ListenProtocols.Http1AndHttp2); break;
                    default: UnknownKey(pPath, p.Name, "Url, Protocols"); break;
                }
            }

            if (url is null)
            {
                Error(itemPath + ".Url", "is required");
                continue;
            }

            result.Add(new ListenEndpoint(url, protocols));
        }

        return result;
    }

    private AdminOptions ReadAdmin(JsonElement value, string path)
    {
        var admin = new AdminOptions();
        if (!ExpectObject(value, path))
        {
            return admin;
        }

        foreach (var p in value.EnumerateObject())
        {
            var pPath = path + "." + p.Name;
            switch (Key(p.Name, "Listen", "Token", "TokenFile"))
            {
                case "Listen": admin = admin with { Listen = ReadString(p.Value, pPath, allowNull: true) }; break;
                case "Token": admin = admin with { Token = ReadString(p.Value, pPath, allowNull: true) }; break;
                case "TokenFile": admin = admin with { TokenFile = ReadString(p.Value, pPath, allowNull: true) }; break;
                default: UnknownKey(pPath, p.Name, "Listen, Token, TokenFile"); break;
            }
        }

        return admin;
    }

    private Dictionary<string, FarmOptions> ReadFarms(JsonElement value, string path)
    {
        var farms = new Dictionary<string, FarmOptions>(StringComparer.Ordinal);
        if (!ExpectObject(value, path))
        {
            return farms;
        }

        foreach (var p in value.EnumerateObject())
        {
            var farmPath = path + "." + p.Name;
            if (farms.ContainsKey(p.Name))
            {
                Error(farmPath, $"farm '{p.Name}' is defined twice");
                continue;
            }

            farms[p.Name] = ReadFarm(p.Value, farmPath);
        }

        return farms;
    }

    private FarmOptions ReadFarm(JsonElement value, string path)
    {
        var farm = new FarmOptions();
        if (!ExpectObject(value, path))
        {
            return farm;
        }

        const string known = "LoadBalancing, HashKey, HttpVersion, DirectHttp1, PreserveHost, Timeouts, Limits, MinimumHealthyServers, SlowStart, Retries, Health, PassiveHealth, Affinity, Servers";
        foreach (var p in value.EnumerateObject())
        {
            var pPath = path + "." + p.Name;
            switch (Key(p.Name, "LoadBalancing", "HashKey", "HttpVersion", "DirectHttp1", "PreserveHost", "Timeouts", "Limits", "MinimumHealthyServers", "SlowStart", "Retries", "Health", "PassiveHealth", "Affinity", "Servers"))
            {
                case "LoadBalancing": farm = farm with { LoadBalancing = ReadEnum(p.Value, pPath, LoadBalancingAlgorithm.RoundRobin) }; break;
                case "HashKey": farm = farm with { HashKey = ReadString(p.Value, pPath, allowNull: true) }; break;
                case "HttpVersion": farm = farm with { HttpVersion = ReadVersionString(p.Value, pPath) ?? farm.HttpVersion }; break;
                case "PreserveHost": farm = farm with { PreserveHost = ReadBool(p.Value, pPath, true) }; break;
                case "DirectHttp1": farm = farm with { DirectHttp1 = ReadBool(p.Value, pPath, true) }; break;
                case "Timeouts": farm = farm with { Timeouts = ReadTimeouts(p.Value, pPath) }; break;
                case "Limits": farm = farm with { Limits = ReadLimits(p.Value, pPath) }; break;
                case "MinimumHealthyServers": farm = farm with { MinimumHealthyServers = ReadInt(p.Value, pPath, 0) }; break;
                case "SlowStart": farm = farm with { SlowStart = ReadDuration(p.Value, pPath, TimeSpan.Zero) }; break;
                case "Retries": farm = farm with { Retries = ReadRetries(p.Value, pPath) }; break;
                case "Health": farm = farm with { Health = ReadHealth(p.Value, pPath) }; break;
                case "PassiveHealth": farm = farm with { PassiveHealth = ReadPassiveHealth(p.Value, pPath) }; break;
                case "Affinity": farm = farm with { Affinity = ReadAffinity(p.Value, pPath) }; break;
                case "Servers": farm = farm with { Servers = ReadServers(p.Value, pPath) }; break;
                default: UnknownKey(pPath, p.Name, known); break;
            }
        }

        return farm;
    }

    private TimeoutOptions ReadTimeouts(JsonElement value, string path)
    {
        var t = new TimeoutOptions();
        if (!ExpectObject(value, path))
        {
            return t;
        }

        foreach (var p in value.EnumerateObject())
        {
            var pPath = path + "." + p.Name;
            switch (Key(p.Name, "Connect", "ResponseHeaders", "Idle"))
            {
                case "Connect": t = t with { Connect = ReadDuration(p.Value, pPath, t.Connect) }; break;
                case "ResponseHeaders": t = t with { ResponseHeaders = ReadDuration(p.Value, pPath, t.ResponseHeaders) }; break;
                case "Idle": t = t with { Idle = ReadDuration(p.Value, pPath, t.Idle) }; break;
                default: UnknownKey(pPath, p.Name, "Connect, ResponseHeaders, Idle"); break;
            }
        }

        return t;
    }

    private LimitOptions ReadLimits(JsonElement value, string path)
    {
        var l = new LimitOptions();
        if (!ExpectObject(value, path))
        {
            return l;
        }

        foreach (var p in value.EnumerateObject())
        {
            var pPath = path + "." + p.Name;
            switch (Key(p.Name, "MaxConcurrentRequestsPerServer", "QueueLength", "QueueTimeout"))
            {
                case "MaxConcurrentRequestsPerServer": l = l with { MaxConcurrentRequestsPerServer = ReadInt(p.Value, pPath, 0) }; break;
                case "QueueLength": l = l with { QueueLength = ReadInt(p.Value, pPath, l.QueueLength) }; break;
                case "QueueTimeout": l = l with { QueueTimeout = ReadDuration(p.Value, pPath, l.QueueTimeout) }; break;
                default: UnknownKey(pPath, p.Name, "MaxConcurrentRequestsPerServer, QueueLength, QueueTimeout"); break;
            }
        }

        return l;
    }

    private RetryOptions ReadRetries(JsonElement value, string path)
    {
        var r = new RetryOptions();
        if (!ExpectObject(value, path))
        {
            return r;
        }

        foreach (var p in value.EnumerateObject())
        {
            var pPath = path + "." + p.Name;
            switch (Key(p.Name, "MaxAttempts", "MaxBufferedBody"))
            {
                case "MaxAttempts": r = r with { MaxAttempts = ReadInt(p.Value, pPath, r.MaxAttempts) }; break;
                case "MaxBufferedBody": r = r with { MaxBufferedBody = ReadInt(p.Value, pPath, r.MaxBufferedBody) }; break;
                default: UnknownKey(pPath, p.Name, "MaxAttempts, MaxBufferedBody"); break;
            }
        }

        return r;
    }

    private HealthCheckOptions? ReadHealth(JsonElement value, string path)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var h = new HealthCheckOptions();
        if (!ExpectObject(value, path))
        {
            return h;
        }

        const string known = "Path, Interval, Timeout, ExpectedStatus, ExpectedBody, Rise, Fall, Host, HttpVersion";
        foreach (var p in value.EnumerateObject())
        {
            var pPath = path + "." + p.Name;
            switch (Key(p.Name, "Path", "Interval", "Timeout", "ExpectedStatus", "ExpectedBody", "Rise", "Fall", "Host", "HttpVersion"))
            {
                case "Path": h = h with { Path = ReadString(p.Value, pPath, allowNull: false) ?? h.Path }; break;
                case "Interval": h = h with { Interval = ReadDuration(p.Value, pPath, h.Interval) }; break;
                case "Timeout": h = h with { Timeout = ReadDuration(p.Value, pPath, h.Timeout) }; break;
                case "ExpectedStatus": h = h with { ExpectedStatus = ReadStatusSet(p.Value, pPath) ?? h.ExpectedStatus }; break;
                case "ExpectedBody": h = h with { ExpectedBody = ReadString(p.Value, pPath, allowNull: true) }; break;
                case "Rise": h = h with { Rise = ReadInt(p.Value, pPath, h.Rise) }; break;
                case "Fall": h = h with { Fall = ReadInt(p.Value, pPath, h.Fall) }; break;
                case "Host": h = h with { Host = ReadString(p.Value, pPath, allowNull: true) }; break;
                case "HttpVersion": h = h with { HttpVersion = ReadVersionString(p.Value, pPath) ?? h.HttpVersion }; break;
                default: UnknownKey(pPath, p.Name, known); break;
            }
        }

        return h;
    }

    private PassiveHealthOptions? ReadPassiveHealth(JsonElement value, string path)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var h = new PassiveHealthOptions();
        if (!ExpectObject(value, path))
        {
            return h;
        }

        foreach (var p in value.EnumerateObject())
        {
            var pPath = path + "." + p.Name;
            switch (Key(p.Name, "FailureStatus", "MaxFailures", "Window", "ReactivationPeriod"))
            {
                case "FailureStatus":
                    // "" (or null) means: only transport failures count.
                    h = h with
                    {
                        FailureStatus = p.Value.ValueKind == JsonValueKind.Null || (p.Value.ValueKind == JsonValueKind.String && string.IsNullOrWhiteSpace(p.Value.GetString()))
                            ? null
                            : ReadStatusSet(p.Value, pPath),
                    };
                    break;
                case "MaxFailures": h = h with { MaxFailures = ReadInt(p.Value, pPath, h.MaxFailures) }; break;
                case "Window": h = h with { Window = ReadDuration(p.Value, pPath, h.Window) }; break;
                case "ReactivationPeriod": h = h with { ReactivationPeriod = ReadDuration(p.Value, pPath, h.ReactivationPeriod) }; break;
                default: UnknownKey(pPath, p.Name, "FailureStatus, MaxFailures, Window, ReactivationPeriod"); break;
            }
        }

        return h;
    }

    private AffinityOptions ReadAffinity(JsonElement value, string path)
    {
        var a = new AffinityOptions();
        if (!ExpectObject(value, path))
        {
            return a;
        }

        foreach (var p in value.EnumerateObject())
        {
            var pPath = path + "." + p.Name;
            switch (Key(p.Name, "Mode", "CookieName", "CookieLifetime", "OnUnavailable", "DrainTimeout", "Key"))
            {
                case "Mode": a = a with { Mode = ReadEnum(p.Value, pPath, AffinityMode.None) }; break;
                case "CookieName": a = a with { CookieName = ReadString(p.Value, pPath, allowNull: false) ?? a.CookieName }; break;
                case "CookieLifetime":
                    a = a with { CookieLifetime = p.Value.ValueKind == JsonValueKind.Null ? null : ReadDuration(p.Value, pPath, TimeSpan.Zero) };
                    break;
                case "OnUnavailable": a = a with { OnUnavailable = ReadEnum(p.Value, pPath, AffinityFailurePolicy.Redistribute) }; break;
                case "DrainTimeout": a = a with { DrainTimeout = ReadDuration(p.Value, pPath, a.DrainTimeout) }; break;
                case "Key": a = a with { Key = ReadString(p.Value, pPath, allowNull: true) }; break;
                default: UnknownKey(pPath, p.Name, "Mode, CookieName, CookieLifetime, OnUnavailable, DrainTimeout, Key"); break;
            }
        }

        return a;
    }

    private List<ServerOptions> ReadServers(JsonElement value, string path)
    {
        var servers = new List<ServerOptions>();
        if (!ExpectArray(value, path))
        {
            return servers;
        }

        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            var server = ReadServer(item, $"{path}[{i++}]");
            if (server is not null)
            {
                servers.Add(server);
            }
        }

        return servers;
    }

    /// <summary>Reads one server object; also used by the admin API for "add server" bodies.</summary>
    public static ServerOptions? ReadServer(JsonElement item, string path, List<ConfigError> errors)
        => new ConfigReader(null, errors).ReadServer(item, path);

    private ServerOptions? ReadServer(JsonElement item, string path)
    {
        if (!ExpectObject(item, path))
        {
            return null;
        }

        string? name = null, address = null;
        var weight = 1;
        var backup = false;
        int? max = null;
        HealthCheckOptions? health = null;
        foreach (var p in item.EnumerateObject())
        {
            var pPath = path + "." + p.Name;
            switch (Key(p.Name, "Name", "Address", "Weight", "Backup", "MaxConcurrentRequests", "Health"))
            {
                case "Name": name = ReadString(p.Value, pPath, allowNull: false); break;
                case "Address": address = ReadString(p.Value, pPath, allowNull: false); break;
                case "Weight": weight = ReadInt(p.Value, pPath, 1); break;
                case "Backup": backup = ReadBool(p.Value, pPath, false); break;
                case "MaxConcurrentRequests": max = p.Value.ValueKind == JsonValueKind.Null ? null : ReadInt(p.Value, pPath, 0); break;
                case "Health": health = ReadHealth(p.Value, pPath); break;
                default: UnknownKey(pPath, p.Name, "Name, Address, Weight, Backup, MaxConcurrentRequests, Health"); break;
            }
        }

        if (name is null)
        {
            Error(path + ".Name", "is required");
        }

        if (address is null)
        {
            Error(path + ".Address", "is required (like \"http://10.0.0.5:5000\")");
        }

        return name is null || address is null
            ? null
            : new ServerOptions { Name = name, Address = address, Weight = weight, Backup = backup, MaxConcurrentRequests = max, Health = health };
    }

    private List<RouteOptions> ReadRoutes(JsonElement value, string path)
    {
        var routes = new List<RouteOptions>();
        if (!ExpectArray(value, path))
        {
            return routes;
        }

        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            var itemPath = $"{path}[{i++}]";
            if (!ExpectObject(item, itemPath))
            {
                continue;
            }

            string? host = null, prefix = null, farm = null;
            Dictionary<string, string>? headers = null;
            var strip = false;
            foreach (var p in item.EnumerateObject())
            {
                var pPath = itemPath + "." + p.Name;
                switch (Key(p.Name, "Host", "Path", "Headers", "Farm", "StripPrefix"))
                {
                    case "Host": host = ReadString(p.Value, pPath, allowNull: true); break;
                    case "Path": prefix = ReadString(p.Value, pPath, allowNull: true); break;
                    case "Headers": headers = ReadStringMap(p.Value, pPath); break;
                    case "Farm": farm = ReadString(p.Value, pPath, allowNull: false); break;
                    case "StripPrefix": strip = ReadBool(p.Value, pPath, false); break;
                    default: UnknownKey(pPath, p.Name, "Host, Path, Headers, Farm, StripPrefix"); break;
                }
            }

            if (farm is null)
            {
                Error(itemPath + ".Farm", "is required: the farm this route sends requests to");
                continue;
            }

            routes.Add(new RouteOptions { Host = host, Path = prefix, Headers = headers, Farm = farm, StripPrefix = strip });
        }

        return routes;
    }

    private Dictionary<string, string>? ReadStringMap(JsonElement value, string path)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (!ExpectObject(value, path))
        {
            return map;
        }

        foreach (var p in value.EnumerateObject())
        {
            var s = ReadString(p.Value, path + "." + p.Name, allowNull: false);
            if (s is not null)
            {
                map[p.Name] = s;
            }
        }

        return map;
    }

    private List<string> ReadStringList(JsonElement value, string path)
    {
        var list = new List<string>();
        if (!ExpectArray(value, path))
        {
            return list;
        }

        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            var s = ReadString(item, $"{path}[{i++}]", allowNull: false);
            if (s is not null)
            {
                list.Add(s);
            }
        }

        return list;
    }

    private string? ReadString(JsonElement value, string path, bool allowNull)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            return value.GetString();
        }

        if (value.ValueKind == JsonValueKind.Null && allowNull)
        {
            return null;
        }

        Error(path, $"expected a string{(allowNull ? " or null" : string.Empty)}, got {Describe(value)}");
        return null;
    }

    private string? ReadVersionString(JsonElement value, string path)
    {
        // Accept 2 and 1.1 written as numbers too: people do write "HttpVersion": 2.
        if (value.ValueKind == JsonValueKind.Number)
        {
            return value.GetRawText();
        }

        return ReadString(value, path, allowNull: false);
    }

    private bool ReadBool(JsonElement value, string path, bool fallback)
    {
        if (value.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            return value.GetBoolean();
        }

        Error(path, $"expected true or false, got {Describe(value)}");
        return fallback;
    }

    private int ReadInt(JsonElement value, string path, int fallback)
    {
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n))
        {
            return n;
        }

        Error(path, $"expected a whole number, got {Describe(value)}");
        return fallback;
    }

    private TimeSpan ReadDuration(JsonElement value, string path, TimeSpan fallback)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            Error(path, $"expected a duration string like \"5s\", \"250ms\" or \"00:00:05\", got {Describe(value)}");
            return fallback;
        }

        if (DurationParser.TryParse(value.GetString(), out var duration, out var error))
        {
            return duration;
        }

        Error(path, error);
        return fallback;
    }

    private StatusCodeSet? ReadStatusSet(JsonElement value, string path)
    {
        string? text = value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            _ => null,
        };
        if (text is null)
        {
            Error(path, $"expected a status list like \"200-399\" or \"500,502-504\", got {Describe(value)}");
            return null;
        }

        if (StatusCodeSet.TryParse(text, out var set, out var error))
        {
            return set;
        }

        Error(path, error);
        return null;
    }

    private T ReadEnum<T>(JsonElement value, string path, T fallback)
        where T : struct, Enum
    {
        var names = string.Join(", ", Enum.GetNames<T>());
        if (value.ValueKind == JsonValueKind.String)
        {
            var text = value.GetString();
            if (!string.IsNullOrEmpty(text) && !char.IsAsciiDigit(text[0]) && text[0] != '-' && Enum.TryParse<T>(text, ignoreCase: true, out var parsed))
            {
                return parsed;
            }

            Error(path, $"\"{text}\" is not one of: {names}");
            return fallback;
        }

        Error(path, $"expected one of: {names}; got {Describe(value)}");
        return fallback;
    }

    private bool ExpectObject(JsonElement value, string path, string? what = null)
    {
        if (value.ValueKind == JsonValueKind.Object)
        {
            return true;
        }

        Error(path, $"expected {what ?? "an object"}, got {Describe(value)}");
        return false;
    }

    private bool ExpectArray(JsonElement value, string path)
    {
        if (value.ValueKind == JsonValueKind.Array)
        {
            return true;
        }

        Error(path, $"expected an array, got {Describe(value)}");
        return false;
    }

    /// <summary>Keys are PascalCase in the docs; other casings are accepted so that "listen" is not an error.</summary>
    private static string? Key(string name, params ReadOnlySpan<string> known)
    {
        foreach (var k in known)
        {
            if (string.Equals(k, name, StringComparison.OrdinalIgnoreCase))
            {
                return k;
            }
        }

        return null;
    }

    private void UnknownKey(string path, string name, string known)
        => Error(path, $"unknown key '{name}' (expected one of: {known})");

    private void Error(string path, string reason) => _errors.Add(new ConfigError(_file, path, reason));

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"the string \"{Truncate(value.GetString() ?? string.Empty)}\"",
        JsonValueKind.Number => $"the number {value.GetRawText()}",
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Null => "null",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => value.ValueKind.ToString().ToLower(CultureInfo.InvariantCulture),
    };

    private static string Truncate(string s) => s.Length <= 40 ? s : s[..40] + "…";

    private static string FirstSentence(string message)
    {
        var i = message.IndexOf(". ", StringComparison.Ordinal);
        return i < 0 ? message : message[..i];
    }
}
