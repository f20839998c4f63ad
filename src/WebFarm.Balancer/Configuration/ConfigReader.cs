using System.Globalization;
using System.Text.Json;

namespace WebFarm.Balancer.Configuration;

/// <summary>
/// Reads the JSON file into <see cref="BalancerConfig"/> by walking the document by hand rather than with
/// the serializer: that way every unknown key and every wrongly typed value is reported with its JSON path,
/// all at once, instead of stopping at the first exception. Which keys each object has, and how each is read, is
/// described once in <see cref="ConfigSchema"/>; this class holds the typed reads those descriptions use.
/// </summary>
internal sealed class ConfigReader
{
    /// <summary>The "add server" body's key for the health a server enters with.</summary>
    private const string HealthyKey = "healthy";

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

        return ConfigSchema.Root.Read(this, root, "$") with { SourcePath = _file };
    }

    internal List<ListenEndpoint> ReadListen(JsonElement value, string path)
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

            var endpoint = ConfigSchema.ListenItem.Read(this, item, itemPath);
            if (endpoint.Url is null)
            {
                Error(itemPath + ".Url", "is required");
                continue;
            }

            result.Add(endpoint);
        }

        return result;
    }

    internal Dictionary<string, FarmOptions> ReadFarms(JsonElement value, string path)
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

            farms[p.Name] = ConfigSchema.Farm.Read(this, p.Value, farmPath);
        }

        return farms;
    }

    /// <summary>A farm's or a server's active health checks; null turns them off.</summary>
    internal HealthCheckOptions? ReadHealth(JsonElement value, string path)
        => value.ValueKind == JsonValueKind.Null ? null : ConfigSchema.Health.Read(this, value, path);

    internal List<ServerOptions> ReadServers(JsonElement value, string path)
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

    /// <summary>
    /// Reads the admin API's "add server" body (POST /api/farms/FARM/servers): a server object as in the file, plus
    /// <c>healthy</c> (default true; false: the server enters out of rotation until its active health check passes).
    /// </summary>
    public static ServerOptions? ReadAddedServer(JsonElement body, List<ConfigError> errors, out bool healthy)
    {
        var reader = new ConfigReader(null, errors);
        healthy = true;
        if (body.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in body.EnumerateObject())
            {
                if (string.Equals(p.Name, HealthyKey, StringComparison.OrdinalIgnoreCase))
                {
                    healthy = reader.ReadBool(p.Value, "$." + p.Name, fallback: true);
                }
            }
        }

        return reader.ReadServer(body, "$", HealthyKey);
    }

    private ServerOptions? ReadServer(JsonElement item, string path, string? callersKey = null)
    {
        if (!ExpectObject(item, path))
        {
            return null;
        }

        var server = ConfigSchema.Server.Read(this, item, path, callersKey);
        if (server.Name is null)
        {
            Error(path + ".Name", "is required");
        }

        if (server.Address is null)
        {
            Error(path + ".Address", "is required (like \"http://10.0.0.5:5000\")");
        }

        return server.Name is null || server.Address is null ? null : server;
    }

    /// <summary>
    /// Reads a controller farm's body for the admin API (PUT /api/controller/farms/NAME):
    /// <c>{"like": "hello", "routes": [{"headers": {"X-WebFarm-Release": "7"}}, {"path": "/v2", "stripPrefix": true}]}</c>.
    /// A route has the keys of a file's route; its Farm, when given, is <paramref name="name"/>; compression, rewrite
    /// rules and a cache are the configuration file's to give.
    /// </summary>
    public static ControllerFarmOptions? ReadControllerFarm(JsonElement root, string name, List<ConfigError> errors)
    {
        var reader = new ConfigReader(null, errors);
        if (!reader.ExpectObject(root, "$"))
        {
            return null;
        }

        string? like = null;
        var routes = new List<RouteOptions>();
        var sawRoutes = false;
        foreach (var p in root.EnumerateObject())
        {
            if (string.Equals(p.Name, "like", StringComparison.OrdinalIgnoreCase))
            {
                like = reader.ReadString(p.Value, "$.like", allowNull: false);
            }
            else if (string.Equals(p.Name, "routes", StringComparison.OrdinalIgnoreCase))
            {
                sawRoutes = true;
                reader.ReadControllerRoutes(p.Value, name, routes);
            }
            else
            {
                reader.Error("$." + p.Name, "unknown field (expected \"like\" and \"routes\")");
            }
        }

        if (like is null)
        {
            reader.Error("$.like", "is required: the configuration file's farm whose options the new farm takes, like \"like\": \"hello\"");
        }

        if (!sawRoutes)
        {
            reader.Error("$.routes", "is required: the routes that reach the farm, like [{\"headers\": {\"X-WebFarm-Release\": \"7\"}}]");
        }

        return like is null || !sawRoutes ? null : new ControllerFarmOptions(name, like, routes);
    }

    private void ReadControllerRoutes(JsonElement value, string farm, List<RouteOptions> routes)
    {
        if (!ExpectArray(value, "$.routes"))
        {
            return;
        }

        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            var itemPath = $"$.routes[{i++}]";
            if (!ExpectObject(item, itemPath))
            {
                continue;
            }

            var route = ConfigSchema.Route.Read(this, item, itemPath);
            if (route.Farm is not null && route.Farm != farm)
            {
                Error(itemPath + ".Farm", $"is '{route.Farm}': a controller farm's routes reach that farm ('{farm}') only");
            }

            if (route.Compression is not null || route.Rewrite is not null || route.Cache is not null)
            {
                Error(itemPath, "has Compression, Rewrite or Cache: those are the configuration file's to give; a controller route has Host, Path, Headers and StripPrefix");
            }

            routes.Add(route with { Farm = farm });
        }
    }

    internal List<RouteOptions> ReadRoutes(JsonElement value, string path)
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

            var route = ConfigSchema.Route.Read(this, item, itemPath);
            if (route.Farm is null)
            {
                Error(itemPath + ".Farm", "is required: the farm this route sends requests to");
                continue;
            }

            routes.Add(route);
        }

        return routes;
    }

    internal Dictionary<string, string>? ReadStringMap(JsonElement value, string path)
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

    internal List<string> ReadStringList(JsonElement value, string path)
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

    internal string? ReadString(JsonElement value, string path, bool allowNull)
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

    internal string? ReadVersionString(JsonElement value, string path)
    {
        // Accept 2 and 1.1 written as numbers too: people do write "HttpVersion": 2.
        if (value.ValueKind == JsonValueKind.Number)
        {
            return value.GetRawText();
        }

        return ReadString(value, path, allowNull: false);
    }

    internal bool ReadBool(JsonElement value, string path, bool fallback)
    {
        if (value.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            return value.GetBoolean();
        }

        Error(path, $"expected true or false, got {Describe(value)}");
        return fallback;
    }

    internal int ReadInt(JsonElement value, string path, int fallback)
    {
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n))
        {
            return n;
        }

        Error(path, $"expected a whole number, got {Describe(value)}");
        return fallback;
    }

    internal long ReadLong(JsonElement value, string path, long fallback)
    {
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n))
        {
            return n;
        }

        Error(path, $"expected a whole number, got {Describe(value)}");
        return fallback;
    }

    internal TimeSpan ReadDuration(JsonElement value, string path, TimeSpan fallback)
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

    internal StatusCodeSet? ReadStatusSet(JsonElement value, string path)
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

    internal T ReadEnum<T>(JsonElement value, string path, T fallback)
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

    internal bool ExpectObject(JsonElement value, string path, string? what = null)
    {
        if (value.ValueKind == JsonValueKind.Object)
        {
            return true;
        }

        Error(path, $"expected {what ?? "an object"}, got {Describe(value)}");
        return false;
    }

    internal bool ExpectArray(JsonElement value, string path)
    {
        if (value.ValueKind == JsonValueKind.Array)
        {
            return true;
        }

        Error(path, $"expected an array, got {Describe(value)}");
        return false;
    }

    internal void Error(string path, string reason) => _errors.Add(new ConfigError(_file, path, reason));

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
