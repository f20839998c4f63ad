using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace WebFarm.Balancer.Rewrite;

/// <summary>
/// One rule compiled (by <see cref="RewriteRuleCompiler"/>): its regexes, conditions, templates and edits. Applying it
/// to a request changes the <see cref="RewriteOutcome"/> and the request's headers in the order the docs give: path and
/// query rewrite, query parameters, request headers, response headers, redirect.
/// </summary>
internal sealed class RewriteRule
{
    public required Regex PathRegex { get; init; }

    public Regex? QueryRegex { get; init; }

    public Regex? HostRegex { get; init; }

    public KeyValuePair<string, Regex>[] Headers { get; init; } = [];

    /// <summary>The rewrite's path part (starts with '/'); null when the rule does not rewrite.</summary>
    public RewriteTemplate? RewritePath { get; init; }

    /// <summary>The rewrite's or redirect's own query (after '?'); null when the template has none.</summary>
    public RewriteTemplate? TemplateQuery { get; init; }

    /// <summary>The redirect's Location before its query; null when the rule does not redirect.</summary>
    public RewriteTemplate? RedirectLocation { get; init; }

    public int RedirectStatus { get; init; }

    public bool AppendQuery { get; init; }

    public bool Stop { get; init; }

    public string[] RemoveQuery { get; init; } = [];

    public KeyValuePair<string, RewriteTemplate>[] SetQuery { get; init; } = [];

    public KeyValuePair<string, RewriteTemplate>[] AddQuery { get; init; } = [];

    public string[] RemoveRequestHeaders { get; init; } = [];

    public KeyValuePair<string, RewriteTemplate>[] SetRequestHeaders { get; init; } = [];

    public string[] RemoveResponseHeaders { get; init; } = [];

    public KeyValuePair<string, RewriteTemplate>[] SetResponseHeaders { get; init; } = [];

    /// <summary>Applies the rule when it matches; returns whether it matched.</summary>
    public bool Apply(HttpContext context, RewriteOutcome outcome)
    {
        var match = PathRegex.Match(outcome.Path);
        if (!match.Success)
        {
            return false;
        }

        Match? query = null;
        if (QueryRegex is not null)
        {
            query = QueryRegex.Match(outcome.Query);
            if (!query.Success)
            {
                return false;
            }
        }

        if (!ConditionsHold(context.Request))
        {
            return false;
        }

        if (RewritePath is not null)
        {
            var path = RewritePath.Render(match, query, CaptureEscape.Path);
            outcome.EncodedPath = path;
            outcome.Path = PathString.FromUriComponent(path).Value ?? "/";
            SetQueryString(outcome, NewQuery(outcome.Query, match, query));
        }

        EditQuery(outcome, match, query);
        EditRequestHeaders(context.Request.Headers, outcome, match, query);
        EditResponseHeaders(outcome, match, query);
        if (RedirectLocation is not null)
        {
            var location = new StringBuilder();
            RedirectLocation.Render(location, match, query, CaptureEscape.Path);
            var redirectQuery = NewQuery(outcome.Query, match, query);
            if (redirectQuery.Length > 0)
            {
                location.Append('?').Append(redirectQuery);
            }

            outcome.Location = location.ToString();
            outcome.RedirectStatus = RedirectStatus;
        }

        return true;
    }

    private static void SetQueryString(RewriteOutcome outcome, string query)
    {
        if (!string.Equals(query, outcome.Query, StringComparison.Ordinal))
        {
            outcome.Query = query;
            outcome.QueryChanged = true;
        }
    }

    private bool ConditionsHold(HttpRequest request)
    {
        if (HostRegex is not null && !HostRegex.IsMatch(request.Host.Host ?? string.Empty))
        {
            return false;
        }

        foreach (var (name, regex) in Headers)
        {
            var values = request.Headers[name];
            if (values.Count == 0 || !regex.IsMatch(values.ToString()))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The template's own query, then (AppendQuery) the current one.</summary>
    private string NewQuery(string current, Match match, Match? query)
    {
        var own = TemplateQuery?.Render(match, query, CaptureEscape.Query) ?? string.Empty;
        if (!AppendQuery || current.Length == 0)
        {
            return own;
        }

        return own.Length == 0 ? current : own + "&" + current;
    }

    private void EditQuery(RewriteOutcome outcome, Match match, Match? query)
    {
        var edited = outcome.Query;
        foreach (var name in RemoveQuery)
        {
            edited = QueryParameters.Remove(edited, name);
        }

        foreach (var (name, value) in SetQuery)
        {
            edited = QueryParameters.Set(edited, name, value.Render(match, query, CaptureEscape.Query));
        }

        foreach (var (name, value) in AddQuery)
        {
            edited = QueryParameters.Add(edited, name, value.Render(match, query, CaptureEscape.Query));
        }

        SetQueryString(outcome, edited);
    }

    private void EditRequestHeaders(IHeaderDictionary headers, RewriteOutcome outcome, Match match, Match? query)
    {
        foreach (var name in RemoveRequestHeaders)
        {
            headers.Remove(name);
        }

        foreach (var (name, template) in SetRequestHeaders)
        {
            var value = template.Render(match, query, CaptureEscape.None);
            if (!IsSafeValue(value))
            {
                outcome.UnsafeHeader ??= name;
                continue;
            }

            headers[name] = value;
        }
    }

    private void EditResponseHeaders(RewriteOutcome outcome, Match match, Match? query)
    {
        if (RemoveResponseHeaders.Length == 0 && SetResponseHeaders.Length == 0)
        {
            return;
        }

        var edits = outcome.ResponseHeaders ??= [];
        foreach (var name in RemoveResponseHeaders)
        {
            edits.Add(new(name, null));
        }

        foreach (var (name, template) in SetResponseHeaders)
        {
            var value = template.Render(match, query, CaptureEscape.None);
            if (!IsSafeValue(value))
            {
                outcome.UnsafeHeader ??= name;
                continue;
            }

            edits.Add(new(name, value));
        }
    }

    /// <summary>
    /// A header value a capture helped build: visible ASCII, space and HTAB only. A decoded path capture can hold CR or
    /// LF ("%0d%0a"), which would split the header; Kestrel and HttpClient refuse non-ASCII values.
    /// </summary>
    public static bool IsSafeValue(ReadOnlySpan<char> value)
    {
        foreach (var c in value)
        {
            if ((c < 0x20 && c != '\t') || c > 0x7E)
            {
                return false;
            }
        }

        return true;
    }
}
