using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace WebFarm.EndToEnd.Tests.Infrastructure;

/// <summary>A browser-like client of the farm: a cookie jar, no automatic redirects, and page parsing for HelloFarm.</summary>
internal sealed partial class FarmBrowser : IDisposable
{
    private readonly HttpClient _client;

    public FarmBrowser(Uri baseAddress)
    {
        Cookies = new CookieContainer();
        _client = new HttpClient(new SocketsHttpHandler { CookieContainer = Cookies, AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromSeconds(1) })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(30),
        };
    }

    public CookieContainer Cookies { get; }

    public async Task<Page> GetAsync(string path)
    {
        using var response = await _client.GetAsync(path);
        return await Page.ReadAsync(response);
    }

    /// <summary>Posts HelloFarm's name form with the given antiforgery token.</summary>
    public async Task<Page> PostNameAsync(string token, string firstName, string lastName)
    {
        using var content = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token,
            ["firstName"] = firstName,
            ["lastName"] = lastName,
        });
        using var response = await _client.PostAsync("/", content);
        return await Page.ReadAsync(response);
    }

    public void Dispose() => _client.Dispose();

    internal sealed partial record Page(HttpStatusCode Status, string? ServedBy, int? InstancePid, string? Location, string Html)
    {
        public static async Task<Page> ReadAsync(HttpResponseMessage response)
        {
            var html = await response.Content.ReadAsStringAsync();
            var servedBy = response.Headers.TryGetValues("X-Served-By", out var names) ? names.Single() : null;
            int? pid = response.Headers.TryGetValues("X-Instance-Id", out var ids) ? int.Parse(ids.Single(), CultureInfo.InvariantCulture) : null;
            return new Page(response.StatusCode, servedBy, pid, response.Headers.Location?.OriginalString, html);
        }

        public string AntiforgeryToken => TokenField().Match(Html) is { Success: true } m ? WebUtility.HtmlDecode(m.Groups[1].Value) : throw new InvalidOperationException($"no antiforgery token in:\n{Html}");

        public string? FirstName => Span("firstName");

        public string? LastName => Span("lastName");

        private string? Span(string id)
        {
            var m = Regex.Match(Html, $"<span id=\"{id}\">([^<]*)</span>");
            return m.Success ? WebUtility.HtmlDecode(m.Groups[1].Value) : null;
        }

        [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
        private static partial Regex TokenField();
    }
}
