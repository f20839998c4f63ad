using Microsoft.AspNetCore.Http;

namespace WebFarm.Balancer.Rewrite;

/// <summary>
/// What a route's rules made of one request: the state the next rule sees (path, query) and, at the end, the upstream
/// target, the redirect and the response header edits. Made only for routes that have rules (a request feature, read
/// by <see cref="Forwarding.UpstreamTarget"/> and the response).
/// </summary>
internal sealed class RewriteOutcome
{
    public RewriteOutcome(string path, string query)
    {
        Path = path;
        Query = query;
    }

    /// <summary>The decoded path the next rule matches (the client's, or the last rewrite's).</summary>
    public string Path { get; set; }

    /// <summary>The path as it goes upstream (percent-encoded) once a rule rewrote it; null while unchanged.</summary>
    public string? EncodedPath { get; set; }

    /// <summary>The query string without '?', encoded as on the wire ("" for none).</summary>
    public string Query { get; set; }

    public bool QueryChanged { get; set; }

    /// <summary>The path and query sent upstream; null when the rules changed neither.</summary>
    public string? Target { get; set; }

    /// <summary>The Location of the redirect the balancer answers; null for none.</summary>
    public string? Location { get; set; }

    public int RedirectStatus { get; set; }

    /// <summary>The name of a header a rule could not set because its value would hold a control character; null if none.</summary>
    public string? UnsafeHeader { get; set; }

    /// <summary>Response header edits in rule order: a value sets the header, null removes it.</summary>
    public List<KeyValuePair<string, string?>>? ResponseHeaders { get; set; }

    /// <summary>Applies the response header edits to <paramref name="response"/> (just before its head is sent).</summary>
    public void ApplyTo(HttpResponse response)
    {
        foreach (var (name, value) in ResponseHeaders!)
        {
            if (value is null)
            {
                response.Headers.Remove(name);
            }
            else
            {
                response.Headers[name] = value;
            }
        }
    }
}
