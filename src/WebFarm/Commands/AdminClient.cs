using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace WebFarm.Commands;

/// <summary>A thin client for WebFarm's JSON APIs (the balancer's admin API, the controller's) that turns their answers into exit codes (0 ok, 1 refused) and messages.</summary>
internal sealed class AdminClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly string _command;

    public AdminClient(Uri baseUri, string? token, string command, TimeSpan? timeout = null)
    {
        _command = command;
        _http = new HttpClient { BaseAddress = baseUri, Timeout = timeout ?? TimeSpan.FromSeconds(30) };
        if (!string.IsNullOrEmpty(token))
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }

    public async Task<JsonDocument> GetJsonAsync(string path, CancellationToken ct)
    {
        using var response = await _http.GetAsync(path, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"{(int)response.StatusCode} {ErrorText(text)}");
        }

        return JsonDocument.Parse(text);
    }

    /// <summary>The farm to act on: the one given, or the only one; null (after printing why) otherwise.</summary>
    public async Task<string?> ResolveFarmAsync(string? farm, CancellationToken ct)
    {
        if (farm is not null)
        {
            return Uri.EscapeDataString(farm);
        }

        using var farms = await GetJsonAsync("api/farms", ct);
        var names = farms.RootElement.EnumerateArray().Select(f => f.GetProperty("name").GetString()!).ToList();
        if (names.Count == 1)
        {
            return Uri.EscapeDataString(names[0]);
        }

        Console.Error.WriteLine($"{_command}: --farm is required: this balancer has {names.Count} farms ({string.Join(", ", names)})");
        return null;
    }

    public async Task<int> SendAsync(HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            Console.Error.WriteLine($"{_command}: {(int)response.StatusCode} {ErrorText(text)}");
            return 1;
        }

        if (response.StatusCode == System.Net.HttpStatusCode.NoContent || text.Length == 0)
        {
            Console.WriteLine("done");
            return 0;
        }

        using var json = JsonDocument.Parse(text);
        var s = json.RootElement;
        if (s.TryGetProperty("name", out var name) && s.TryGetProperty("state", out var state))
        {
            Console.WriteLine($"{name.GetString()}: {state.GetString()}, weight {s.GetProperty("weight")}, {(s.GetProperty("healthy").GetBoolean() ? "healthy" : "unhealthy")}, {s.GetProperty("inFlight")} in flight");
        }

        return 0;
    }

    public Task<(int Status, JsonDocument? Json)> PostForJsonAsync(string path, CancellationToken ct) => PostForJsonAsync(path, content: null, ct);

    /// <summary>POSTs <paramref name="content"/>; on refusal prints the API's error and returns (1, null).</summary>
    public async Task<(int Status, JsonDocument? Json)> PostForJsonAsync(string path, HttpContent? content, CancellationToken ct)
    {
        using var response = await _http.PostAsync(path, content, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
        {
            Console.Error.WriteLine($"{_command}: {(int)response.StatusCode} {ErrorText(text)}");
            return (1, null);
        }

        return (0, JsonDocument.Parse(text));
    }

    private static string ErrorText(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("error", out var error))
            {
                return error.GetString() ?? body;
            }
        }
        catch (JsonException)
        {
        }

        return body.Length > 200 ? body[..200] : body;
    }

    public void Dispose() => _http.Dispose();
}
