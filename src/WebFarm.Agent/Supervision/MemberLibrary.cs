using System.Text.Json;

namespace WebFarm.Agent.Supervision;

/// <summary>
/// Whether an app uses the member library (WebFarm.AspNetCore), which makes sessions and Data Protection keys shared by
/// every instance. Read from the app's build output, not its project: the output is what runs, it exists for every
/// kind of --app (a project is built, a published folder or a dll is not), and it sees the library however it came
/// (project reference, package, or a reference through another library).
/// The app's <c>.deps.json</c> lists every library it loads (<c>"libraries": { "WebFarm.AspNetCore/1.0.0": … }</c>);
/// without one (GenerateDependencyFile=false, or an unreadable file) the library's dll next to the app decides.
/// </summary>
public static class MemberLibrary
{
    public const string AssemblyName = "WebFarm.AspNetCore";

    /// <summary>True when the app in <paramref name="app"/>'s folder references the member library.</summary>
    public static bool IsReferencedBy(AppLaunch app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var deps = Path.Combine(app.WorkingDirectory, app.AppName + ".deps.json");
        if (File.Exists(deps) && ReadLibraries(deps) is { } libraries)
        {
            return libraries.Any(name => name.StartsWith(AssemblyName + "/", StringComparison.OrdinalIgnoreCase));
        }

        return File.Exists(Path.Combine(app.WorkingDirectory, AssemblyName + ".dll"));
    }

    /// <summary>
    /// The member library's environment for one instance (docs/member-library.md): who it is, where the state service
    /// is, which application's sessions and keys it shares, and which addresses (the balancer's) it trusts for
    /// X-Forwarded-*. One rule for `webfarm up` and for apps the controller assigns to agents.
    /// </summary>
    /// <param name="stateEndpoint">host:port of the state service; null leaves WEBFARM_STATE_ENDPOINT unset.</param>
    public static Dictionary<string, string> Environment(string serverName, string? stateEndpoint, string applicationName, string trustedProxies)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["WEBFARM_SERVER_NAME"] = serverName,
            ["WEBFARM_APPLICATION_NAME"] = applicationName,
            ["WEBFARM_TRUSTED_PROXIES"] = trustedProxies,
        };
        if (stateEndpoint is not null)
        {
            environment["WEBFARM_STATE_ENDPOINT"] = stateEndpoint;
        }

        return environment;
    }

    /// <summary>What `webfarm up` says, once, about an app that does not use the member library.</summary>
    public static string Notice(string appName)
        => $"note: {appName} does not use the WebFarm member library ({AssemblyName}), so each server keeps its own sessions and its own "
        + "Data Protection keys: a visitor whose next request goes to another server loses their session, and the auth cookies and "
        + "antiforgery tokens one server issues are rejected by the others. To share them, reference src/WebFarm.AspNetCore and call "
        + "builder.AddWebFarm() in Program.cs (docs/member-library.md).";

    /// <returns>The "libraries" keys ("Name/Version"), or null when the file cannot be read as a deps file.</returns>
    private static List<string>? ReadLibraries(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            using var document = JsonDocument.Parse(stream);
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("libraries", out var libraries)
                || libraries.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            return [.. libraries.EnumerateObject().Select(p => p.Name)];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }
}
