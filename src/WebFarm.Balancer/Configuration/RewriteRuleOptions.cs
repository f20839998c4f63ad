namespace WebFarm.Balancer.Configuration;

/// <summary>
/// One URL rewrite rule of a route (<c>Routes[i].Rewrite[j]</c>), in the manner of ARR's URL Rewrite: a regex on the
/// decoded path (and optionally on the query string and conditions on the host and headers) and what to do when it
/// matches. Compiled once per configuration snapshot by <see cref="Rewrite.RewriteRuleCompiler"/>.
/// </summary>
public sealed record RewriteRuleOptions
{
    /// <summary>Regex on the decoded path ("/img/(.*)"); its groups are <c>$1</c>..<c>$n</c> and <c>${name}</c>.</summary>
    public string Match { get; init; } = null!;

    /// <summary>Regex on the query string without '?' (empty when there is none); must match too. Its named groups are <c>${name}</c>.</summary>
    public string? Query { get; init; }

    /// <summary>Regex the request's host (without port) must match.</summary>
    public string? Host { get; init; }

    /// <summary>Headers that must be present with a value matching the regex ("" = present with any value).</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    /// <summary>Case-insensitive matching of every regex of the rule (ARR's default).</summary>
    public bool IgnoreCase { get; init; } = true;

    /// <summary>The path (and optional "?query") sent upstream instead, with captures: "/images/$1?size=$2".</summary>
    public string? Rewrite { get; init; }

    /// <summary>The Location of a redirect the balancer answers itself: absolute ("https://x/$1") or a path ("/new/$1").</summary>
    public string? Redirect { get; init; }

    /// <summary>The redirect's status: 301, 302, 307 or 308.</summary>
    public int Status { get; init; } = 302;

    /// <summary>Keep the client's query string (after the template's own query, joined with '&amp;') on a rewrite or redirect.</summary>
    public bool AppendQuery { get; init; } = true;

    /// <summary>Stop evaluating the route's rules after this one matched (a redirect always stops).</summary>
    public bool Stop { get; init; }

    /// <summary>Request headers sent upstream with these values (captures allowed); replaces the client's.</summary>
    public IReadOnlyDictionary<string, string>? SetRequestHeaders { get; init; }

    /// <summary>Request headers not sent upstream.</summary>
    public IReadOnlyList<string>? RemoveRequestHeaders { get; init; }

    /// <summary>Response headers the client gets with these values (captures allowed); replaces the server's.</summary>
    public IReadOnlyDictionary<string, string>? SetResponseHeaders { get; init; }

    /// <summary>Response headers the client does not get.</summary>
    public IReadOnlyList<string>? RemoveResponseHeaders { get; init; }

    /// <summary>Query parameters set (every existing one of that name replaced by one with this value; captures allowed).</summary>
    public IReadOnlyDictionary<string, string>? SetQuery { get; init; }

    /// <summary>Query parameters added after the existing ones (captures allowed).</summary>
    public IReadOnlyDictionary<string, string>? AddQuery { get; init; }

    /// <summary>Query parameters removed (every one of that name).</summary>
    public IReadOnlyList<string>? RemoveQuery { get; init; }
}
