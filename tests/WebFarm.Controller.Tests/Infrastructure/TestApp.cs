using System.Text.Json;

namespace WebFarm.Controller.Tests.Infrastructure;

/// <summary>App definitions for the tests: the test backend (tests/WebFarm.TestBackend), which answers every page
/// with its name ({server}: the server it runs on) and /health with 200.</summary>
internal static class TestApp
{
    public static string Json(string name, string ports, IReadOnlyList<string>? servers = null, IReadOnlyList<string>? hosts = null, string loadBalancing = "static", IReadOnlyDictionary<string, string>? on = null)
        => JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["loadBalancing"] = loadBalancing,
            ["on"] = on ?? new Dictionary<string, string>(),
            ["name"] = name,
            ["command"] = RepositoryPaths.TestBackendDll,
            ["arguments"] = new[] { "--name", "{server}", "--port", "{port}", "--bind", "{host}" },
            ["ports"] = ports,
            ["healthPath"] = "/health",
            ["servers"] = servers is null ? "all" : servers,
            ["hosts"] = hosts ?? [],
        });
}
