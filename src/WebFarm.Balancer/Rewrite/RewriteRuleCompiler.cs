using System.Text.RegularExpressions;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Forwarding.Headers;

namespace WebFarm.Balancer.Rewrite;

/// <summary>
/// Turns a route's <see cref="RewriteRuleOptions"/> into <see cref="RewriteRules"/>, reporting every problem with its
/// JSON path: <see cref="ConfigValidator"/> calls it to check a configuration, <see cref="Routing.RouteTable"/> to build
/// the snapshot's rules (one implementation of the rules).
/// </summary>
internal static class RewriteRuleCompiler
{
    /// <summary>The statuses a redirect may have (ARR's four: permanent and temporary, with and without keeping the method).</summary>
    public static readonly int[] RedirectStatuses = [301, 302, 307, 308];

    /// <summary>Null when there are no rules or one of them has an error (each reported to <paramref name="error"/>).</summary>
    public static RewriteRules? Compile(IReadOnlyList<RewriteRuleOptions>? rules, string path, Action<string, string> error)
    {
        if (rules is null || rules.Count == 0)
        {
            return null;
        }

        var compiled = new RewriteRule[rules.Count];
        var failed = false;
        for (var i = 0; i < rules.Count; i++)
        {
            var ok = true;
            void Error(string where, string reason)
            {
                ok = false;
                error(where, reason);
            }

            var rule = CompileRule(rules[i], $"{path}[{i}]", Error);
            failed |= !ok || rule is null;
            compiled[i] = rule!;
        }

        return failed ? null : new RewriteRules(compiled);
    }

    private static RewriteRule? CompileRule(RewriteRuleOptions o, string path, Action<string, string> error)
    {
        if (string.IsNullOrEmpty(o.Match))
        {
            error(path + ".Match", "is required: a regex on the request's decoded path, like \"^/old/(.*)$\"");
            return null;
        }

        var match = CompileRegex(o.Match, o.IgnoreCase, path + ".Match", error);
        var query = o.Query is null ? null : CompileRegex(o.Query, o.IgnoreCase, path + ".Query", error);
        var host = o.Host is null ? null : CompileRegex(o.Host, o.IgnoreCase, path + ".Host", error);
        var headers = new List<KeyValuePair<string, Regex>>();
        foreach (var (name, pattern) in o.Headers ?? new Dictionary<string, string>())
        {
            CheckHeaderName(name, $"{path}.Headers.{name}", request: null, error);
            if (CompileRegex(pattern, o.IgnoreCase, $"{path}.Headers.{name}", error) is { } regex)
            {
                headers.Add(new(name, regex));
            }
        }

        if (match is null || (o.Query is not null && query is null))
        {
            return null; // the templates' captures cannot be checked without the regexes
        }

        CheckActions(o, path, error);
        RewriteTemplate? Template(string? text, string where) => text is null ? null : ParseTemplate(text, match, query, where, error);

        var (rewritePath, rewriteQuery) = Split(o.Rewrite);
        var (redirectPath, redirectQuery) = Split(o.Redirect);
        if (o.Rewrite is not null && (!o.Rewrite.StartsWith('/') || o.Rewrite.StartsWith("//", StringComparison.Ordinal)))
        {
            error(path + ".Rewrite", $"\"{o.Rewrite}\" must be a path starting with one '/', like \"/new/$1\"");
        }

        if (o.Redirect is not null && !(o.Redirect.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || o.Redirect.StartsWith("https://", StringComparison.OrdinalIgnoreCase)
            || (o.Redirect.StartsWith('/') && !o.Redirect.StartsWith("//", StringComparison.Ordinal))))
        {
            error(path + ".Redirect", $"\"{o.Redirect}\" must be an absolute http(s) URL (\"https://www.example.com/$1\") or a path starting with one '/'");
        }

        CheckUrlText(o.Rewrite, path + ".Rewrite", error);
        CheckUrlText(o.Redirect, path + ".Redirect", error);
        return new RewriteRule
        {
            PathRegex = match,
            QueryRegex = query,
            HostRegex = host,
            Headers = [.. headers],
            RewritePath = Template(rewritePath, path + ".Rewrite"),
            RedirectLocation = Template(redirectPath, path + ".Redirect"),
            TemplateQuery = Template(rewriteQuery ?? redirectQuery, path + (o.Rewrite is not null ? ".Rewrite" : ".Redirect")),
            RedirectStatus = o.Status,
            AppendQuery = o.AppendQuery,
            Stop = o.Stop,
            RemoveQuery = [.. Names(o.RemoveQuery, path + ".RemoveQuery", CheckQueryName, error)],
            SetQuery = QueryTemplates(o.SetQuery, path + ".SetQuery", match, query, error),
            AddQuery = QueryTemplates(o.AddQuery, path + ".AddQuery", match, query, error),
            RemoveRequestHeaders = [.. Names(o.RemoveRequestHeaders, path + ".RemoveRequestHeaders", (n, p, e) => CheckHeaderName(n, p, request: true, e), error)],
            SetRequestHeaders = HeaderTemplates(o.SetRequestHeaders, path + ".SetRequestHeaders", request: true, match, query, error),
            RemoveResponseHeaders = [.. Names(o.RemoveResponseHeaders, path + ".RemoveResponseHeaders", (n, p, e) => CheckHeaderName(n, p, request: false, e), error)],
            SetResponseHeaders = HeaderTemplates(o.SetResponseHeaders, path + ".SetResponseHeaders", request: false, match, query, error),
        };
    }

    private static void CheckActions(RewriteRuleOptions o, string path, Action<string, string> error)
    {
        if (o.Rewrite is not null && o.Redirect is not null)
        {
            error(path, "has both Rewrite and Redirect: a rule either rewrites the request sent upstream or answers it with a redirect");
        }

        if (o.Redirect is not null && Array.IndexOf(RedirectStatuses, o.Status) < 0)
        {
            error(path + ".Status", $"{o.Status} is not a redirect status: use 301, 302, 307 or 308");
        }
        else if (o.Redirect is null && o.Status != new RewriteRuleOptions().Status)
        {
            error(path + ".Status", "is the status of a redirect, but the rule has no Redirect");
        }

        if (o.Rewrite is null && o.Redirect is null && IsEmpty(o.SetQuery) && IsEmpty(o.AddQuery) && IsEmpty(o.RemoveQuery)
            && IsEmpty(o.SetRequestHeaders) && IsEmpty(o.RemoveRequestHeaders) && IsEmpty(o.SetResponseHeaders) && IsEmpty(o.RemoveResponseHeaders))
        {
            error(path, "has no action: give Rewrite, Redirect, SetQuery, AddQuery, RemoveQuery, SetRequestHeaders, RemoveRequestHeaders, SetResponseHeaders or RemoveResponseHeaders");
        }
    }

    private static bool IsEmpty<T>(IReadOnlyCollection<T>? items) => items is null || items.Count == 0;

    /// <summary>
    /// The linear-time engine: its match time grows with the path's length only, so no path a client sends can make a
    /// rule backtrack catastrophically ("^(a+)+$" against "aaaa…b" takes as long as any other path). It has no
    /// backreferences or lookarounds; a pattern using them is refused here rather than run on a backtracking engine.
    /// Singleline: a decoded path can hold a line feed ("%0a"), and "^/old/(.*)$" must still take the whole path.
    /// </summary>
    private static Regex? CompileRegex(string pattern, bool ignoreCase, string path, Action<string, string> error)
    {
        var options = RegexOptions.NonBacktracking | RegexOptions.CultureInvariant | RegexOptions.Singleline | (ignoreCase ? RegexOptions.IgnoreCase : RegexOptions.None);
        try
        {
            return new Regex(pattern, options);
        }
        catch (NotSupportedException ex)
        {
            error(path, $"\"{pattern}\" needs a construct the linear-time regex engine does not have (backreferences, lookarounds, atomic groups, conditionals): {ex.Message}");
        }
        catch (ArgumentException ex)
        {
            error(path, $"\"{pattern}\" is not a valid regex: {ex.Message}");
        }

        return null;
    }

    private static (string? Path, string? Query) Split(string? text)
    {
        if (text is null)
        {
            return (null, null);
        }

        var q = text.IndexOf('?');
        return q < 0 ? (text, null) : (text[..q], text[(q + 1)..]);
    }

    /// <summary>A rewrite or redirect template goes on the wire as written (captures are escaped): visible ASCII, no fragment.</summary>
    private static void CheckUrlText(string? text, string path, Action<string, string> error)
    {
        if (text is null)
        {
            return;
        }

        foreach (var c in text)
        {
            if (c <= 0x20 || c > 0x7E || c == '#')
            {
                error(path, $"\"{text}\" holds {Describe(c)}: write a URL as it goes on the wire (percent-encode spaces and non-ASCII; no fragment)");
                return;
            }
        }
    }

    private static RewriteTemplate? ParseTemplate(string text, Regex match, Regex? query, string path, Action<string, string> error)
    {
        var template = RewriteTemplate.Parse(text, match, query, out var reason);
        if (template is null)
        {
            error(path, reason!);
        }

        return template;
    }

    private static List<string> Names(IReadOnlyList<string>? names, string path, Action<string, string, Action<string, string>> check, Action<string, string> error)
    {
        var list = new List<string>();
        for (var i = 0; names is not null && i < names.Count; i++)
        {
            check(names[i], $"{path}[{i}]", error);
            list.Add(names[i]);
        }

        return list;
    }

    private static KeyValuePair<string, RewriteTemplate>[] QueryTemplates(IReadOnlyDictionary<string, string>? values, string path, Regex match, Regex? query, Action<string, string> error)
    {
        var list = new List<KeyValuePair<string, RewriteTemplate>>();
        foreach (var (name, value) in values ?? new Dictionary<string, string>())
        {
            var where = $"{path}.{name}";
            CheckQueryName(name, where, error);
            foreach (var c in value)
            {
                if (c <= 0x20 || c > 0x7E || c is '&' or '#')
                {
                    error(where, $"\"{value}\" holds {Describe(c)}: write the value as it goes on the wire (percent-encoded; captures are encoded for you)");
                    break;
                }
            }

            if (ParseTemplate(value, match, query, where, error) is { } template)
            {
                list.Add(new(name, template));
            }
        }

        return [.. list];
    }

    private static KeyValuePair<string, RewriteTemplate>[] HeaderTemplates(IReadOnlyDictionary<string, string>? values, string path, bool request, Regex match, Regex? query, Action<string, string> error)
    {
        var list = new List<KeyValuePair<string, RewriteTemplate>>();
        foreach (var (name, value) in values ?? new Dictionary<string, string>())
        {
            var where = $"{path}.{name}";
            CheckHeaderName(name, where, request, error);
            if (!RewriteRule.IsSafeValue(value))
            {
                error(where, $"\"{value}\" is not a header value: visible ASCII, spaces and tabs only");
            }

            if (ParseTemplate(value, match, query, where, error) is { } template)
            {
                list.Add(new(name, template));
            }
        }

        return [.. list];
    }

    private static void CheckQueryName(string name, string path, Action<string, string> error)
    {
        foreach (var c in name)
        {
            if (c <= 0x20 || c > 0x7E || c is '&' or '=' or '#' or '?' or '$')
            {
                error(path, $"\"{name}\" is not a query parameter name as it goes on the wire (no '&', '=', '#', '?', '$', spaces or non-ASCII)");
                return;
            }
        }

        if (name.Length == 0)
        {
            error(path, "a query parameter name cannot be empty");
        }
    }

    /// <summary><paramref name="request"/>: true for request headers, false for response headers, null for a condition.</summary>
    private static void CheckHeaderName(string name, string path, bool? request, Action<string, string> error)
    {
        if (!HeaderSyntax.IsToken(name))
        {
            error(path, $"'{name}' is not a valid header name");
            return;
        }

        if (request is null)
        {
            return;
        }

        if (HeaderNames.IsHopByHop(name) || name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
        {
            error(path, $"'{name}' frames the message or concerns one connection only: the balancer writes it itself");
        }
        else if (request == true && HeaderNames.IsSetByForwarder(name, trustedClient: true))
        {
            error(path, $"'{name}' is written by the balancer itself (Host: see the farm's PreserveHost)");
        }
    }

    private static string Describe(char c) => c switch
    {
        ' ' => "a space",
        '#' => "a '#'",
        '&' => "a '&'",
        _ => $"the character U+{(int)c:X4}",
    };
}
