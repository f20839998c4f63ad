using System.Net.Http.Headers;
using System.Text.Json;

namespace WebFarm.Controller.Tests.Infrastructure;

/// <summary>
/// A client of a controller's API (with the operator's bearer token when given), whether the controller runs in this
/// process (<see cref="TestController"/>) or as a `webfarm controller` process a test can kill.
/// </summary>
internal sealed class ControllerClient : IDisposable
{
    public ControllerClient(Uri url, string? token)
    {
        Url = url;
        Http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(30) };
        if (token is not null)
        {
            Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }

    public Uri Url { get; }

    public HttpClient Http { get; }

    public async Task<string> NewJoinTokenAsync()
    {
        using var response = await Http.PostAsync("api/agents/tokens", null);
        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("token").GetString()!;
    }

    public Task<List<JsonElement>> AgentsAsync() => ListAsync("api/agents");

    public async Task<string?> StateOfAsync(string name)
        => (await AgentsAsync()).Where(a => a.GetProperty("name").GetString() == name).Select(a => a.GetProperty("state").GetString()).FirstOrDefault();

    public Task<List<JsonElement>> EventsAsync() => ListAsync("api/events");

    /// <summary>GET <paramref name="path"/> as JSON elements (an array answer).</summary>
    public async Task<List<JsonElement>> ListAsync(string path)
    {
        using var json = JsonDocument.Parse(await Http.GetStringAsync(path));
        return [.. json.RootElement.EnumerateArray().Select(e => e.Clone())];
    }

    /// <summary>The rows of GET /api/ps for one app.</summary>
    public async Task<List<JsonElement>> InstancesAsync(string app)
        => [.. (await ListAsync("api/ps")).Where(r => r.GetProperty("app").GetString() == app)];

    public void Dispose() => Http.Dispose();
}
