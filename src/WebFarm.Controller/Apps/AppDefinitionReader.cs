using System.Globalization;
using System.Text.Json;
using WebFarm.Balancer.Admin;
using WebFarm.Controller.Api;

namespace WebFarm.Controller.Apps;

/// <summary>
/// Reads POST /api/apps strictly: an object with name, ports ("5000-5009") and the optional command (none: the app runs
/// its releases), entry (a path inside the release), arguments, healthPath, healthStatus (the statuses that pass, default 200-399), environment, servers ("all" or a list),
/// hosts, loadBalancing ("static" or "reported") and on (labels a server must have, like {"role": "web"}). Every
/// problem names its field; unknown fields are refused.
/// The checks that need the rest of the farm (taken names, ports, hosts, unknown servers) are <see cref="AppCatalog"/>'s.
/// </summary>
internal static class AppDefinitionReader
{
    private const string Example = "{\"name\": \"hello\", \"command\": \"/srv/hello/Hello.dll\", \"ports\": \"5000-5009\"}";

    public static AppDefinition Read(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new AdminRequestException($"body: expected a JSON object like {Example}");
        }

        string? name = null, command = null, ports = null, healthPath = null, healthStatus = null, loadBalancing = null, entry = null;
        IReadOnlyDictionary<string, string>? on = null;
        IReadOnlyList<string> arguments = [], servers = [], hosts = [];
        IReadOnlyDictionary<string, string> environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject())
        {
            switch (property.Name)
            {
                case "name":
                    name = JsonFields.String(property);
                    break;
                case "command":
                    command = JsonFields.String(property);
                    break;
                case "ports":
                    ports = JsonFields.String(property);
                    break;
                case "entry":
                    entry = JsonFields.String(property);
                    break;
                case "healthPath":
                    healthPath = JsonFields.String(property);
                    break;
                case "healthStatus":
                    healthStatus = JsonFields.String(property);
                    break;
                case "arguments":
                    arguments = JsonFields.Strings(property);
                    break;
                case "servers":
                    servers = property.Value.ValueKind == JsonValueKind.String && property.Value.GetString() == "all" ? [] : JsonFields.Strings(property);
                    break;
                case "hosts":
                    hosts = JsonFields.Strings(property);
                    break;
                case "environment":
                    environment = Environment(property);
                    break;
                case "loadBalancing":
                    loadBalancing = JsonFields.String(property);
                    break;
                case "on":
                    on = Labels(property);
                    break;
                default:
                    throw new AdminRequestException($"{property.Name}: unknown field (expected name, command, entry, arguments, ports, healthPath, healthStatus, environment, servers, hosts, loadBalancing, on)");
            }
        }

        if (name is null)
        {
            throw new AdminRequestException("name: is required");
        }
        if (command is not null && string.IsNullOrWhiteSpace(command))
        {
            throw new AdminRequestException("command: is empty: give the program or the app's .dll as a path on the servers, or leave it out for an app that runs its releases (`webfarm deploy`)");
        }

        if (entry is not null)
        {
            if (command is not null)
            {
                throw new AdminRequestException("entry: only for an app that runs its releases (no command); this app has the command '" + command + "'");
            }

            if (WebFarm.Agent.Releases.ManifestRules.PathProblem(entry) is { } entryProblem)
            {
                throw new AdminRequestException($"entry: '{entry}' is not a path inside a release: {entryProblem}");
            }
        }

        var (from, to) = ParsePorts(ports ?? throw new AdminRequestException("ports: is required, like \"5000-5009\" (the range an instance may listen on)"));
        healthPath ??= AppDefinition.DefaultHealthPath;
        if (WebFarm.Agent.Readiness.HealthRule.CheckPath(healthPath) is { } problem)
        {
            throw new AdminRequestException($"healthPath: '{healthPath}': {problem}");
        }

        if (healthStatus is not null && !WebFarm.Balancer.Configuration.StatusCodeSet.TryParse(healthStatus, out _, out var statusProblem))
        {
            throw new AdminRequestException($"healthStatus: '{healthStatus}': {statusProblem} (the statuses of healthPath that pass; default 200-399)");
        }

        loadBalancing ??= AppDefinition.StaticLoadBalancing;
        if (loadBalancing is not (AppDefinition.StaticLoadBalancing or AppDefinition.ReportedLoadBalancing))
        {
            throw new AdminRequestException($"loadBalancing: '{loadBalancing}' is not a mode; expected \"{AppDefinition.StaticLoadBalancing}\" (the operator's weights alone) or \"{AppDefinition.ReportedLoadBalancing}\" (weights follow the load the servers report)");
        }

        return new AppDefinition(name, command ?? string.Empty, arguments, from, to, healthPath, environment, servers, hosts, loadBalancing, on is { Count: > 0 } ? on : null) { Entry = entry, HealthStatus = healthStatus };
    }

    /// <summary>"5000" or "5000-5009": ports 1 to 65535, the first not above the last.</summary>
    public static (int From, int To) ParsePorts(string text)
    {
        var dash = text.IndexOf('-', StringComparison.Ordinal);
        var first = dash < 0 ? text : text[..dash];
        var last = dash < 0 ? text : text[(dash + 1)..];
        if (!int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var from) || !int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var to)
            || from is < 1 or > 65535 || to is < 1 or > 65535)
        {
            throw new AdminRequestException($"ports: '{text}' is not a port or a range of ports from 1 to 65535, like \"5000-5009\"");
        }

        if (from > to)
        {
            throw new AdminRequestException($"ports: '{text}' starts above its end");
        }

        return (from, to);
    }

    private static Dictionary<string, string> Labels(JsonProperty property)
    {
        var labels = JsonFields.StringMap(property, "an object of labels like {\"role\": \"web\"}");
        return WebFarm.Agent.Control.ServerLabels.Check(labels) is { } problem ? throw new AdminRequestException($"on: {problem}") : labels;
    }

    private static Dictionary<string, string> Environment(JsonProperty property)
    {
        var environment = JsonFields.StringMap(property, "an object of names and string values");
        foreach (var name in environment.Keys)
        {
            if (name.Length == 0 || name.Contains('=', StringComparison.Ordinal) || name.Contains('\0', StringComparison.Ordinal))
            {
                throw new AdminRequestException($"environment: '{name}' is not a variable name (not empty, no '=')");
            }
        }

        return environment;
    }
}
