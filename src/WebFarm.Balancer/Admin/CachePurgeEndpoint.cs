using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using WebFarm.Balancer.Caching;

namespace WebFarm.Balancer.Admin;

/// <summary>
/// POST /api/cache/purge with {"url": "http://host/path?q"} (every variant of that URL) or {"prefix": "http://host/img/"
/// or "/img/"} (every URL under it, a path prefix on any host); answers {"purged": n}. The admin API's token rules apply.
/// </summary>
internal static class CachePurgeEndpoint
{
    public static void Map(IEndpointRouteBuilder app, ResponseCaches caches)
        => app.MapPost("/api/cache/purge", async context =>
        {
            using var body = await AdminHttp.ReadBody(context);
            var (url, prefix) = Read(body.RootElement);
            var purged = url is not null ? caches.PurgeUrl(url) : caches.PurgePrefix(prefix!);
            await AdminHttp.WriteJson(context, new CachePurgeResult(purged));
        });

    private static (Uri? Url, string? Prefix) Read(JsonElement root)
    {
        const string Example = "like {\"url\": \"http://www.example.com/page?id=1\"} or {\"prefix\": \"/images/\"}";
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new AdminRequestException("body: expected a JSON object " + Example);
        }

        string? url = null;
        string? prefix = null;
        foreach (var p in root.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.String)
            {
                throw new AdminRequestException($"{p.Name}: expected a string, got {p.Value.GetRawText()}");
            }

            if (string.Equals(p.Name, "url", StringComparison.OrdinalIgnoreCase))
            {
                url = p.Value.GetString();
            }
            else if (string.Equals(p.Name, "prefix", StringComparison.OrdinalIgnoreCase))
            {
                prefix = p.Value.GetString();
            }
            else
            {
                throw new AdminRequestException($"{p.Name}: unknown field (expected \"url\" or \"prefix\")");
            }
        }

        if ((url is null) == (prefix is null))
        {
            throw new AdminRequestException("body: give exactly one of \"url\" and \"prefix\", " + Example);
        }

        if (url is not null)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var parsed) || parsed.Scheme is not ("http" or "https"))
            {
                throw new AdminRequestException($"url: \"{url}\" is not an absolute http(s) URL like http://www.example.com/page");
            }

            return (parsed, null);
        }

        if (prefix!.StartsWith('/'))
        {
            return (null, prefix);
        }

        if (!Uri.TryCreate(prefix, UriKind.Absolute, out var prefixUrl) || prefixUrl.Scheme is not ("http" or "https"))
        {
            throw new AdminRequestException($"prefix: \"{prefix}\" is neither a path starting with '/' nor an absolute http(s) URL");
        }

        return (null, prefix);
    }
}
