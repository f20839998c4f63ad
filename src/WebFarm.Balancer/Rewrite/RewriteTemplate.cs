using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace WebFarm.Balancer.Rewrite;

/// <summary>
/// A rule's text with capture references (<c>$1</c>, <c>${10}</c>, <c>${name}</c>, <c>$$</c> for a dollar), parsed
/// once per configuration snapshot. References are checked against the rule's regexes when parsed, so a request never
/// meets a group that does not exist. Rendering escapes each capture for where it goes: a capture is text the client
/// chose, so it must never end a path, start a query or a header line, or smuggle a second request.
/// </summary>
internal sealed class RewriteTemplate
{
    private readonly Part[] _parts;

    private RewriteTemplate(Part[] parts, string text)
    {
        _parts = parts;
        Text = text;
    }

    public string Text { get; }

    /// <summary>True when the text has no reference: rendering is the text itself.</summary>
    public bool IsLiteral => _parts.Length == 1 && _parts[0].Literal is not null;

    /// <summary>Parses <paramref name="text"/>; a bad reference is reported to <paramref name="error"/> and gives null.</summary>
    public static RewriteTemplate? Parse(string text, Regex match, Regex? query, out string? error)
    {
        error = null;
        var parts = new List<Part>();
        var literal = new StringBuilder();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c != '$')
            {
                literal.Append(c);
                i++;
                continue;
            }

            if (i + 1 < text.Length && text[i + 1] == '$')
            {
                literal.Append('$');
                i += 2;
                continue;
            }

            string name;
            if (i + 1 < text.Length && text[i + 1] == '{')
            {
                var close = text.IndexOf('}', i + 2);
                if (close < 0)
                {
                    error = $"'${{' at position {i} has no closing '}}'";
                    return null;
                }

                name = text[(i + 2)..close];
                i = close + 1;
            }
            else
            {
                var start = i + 1;
                var end = start;
                while (end < text.Length && char.IsAsciiDigit(text[end]))
                {
                    end++;
                }

                if (end == start)
                {
                    error = $"'$' at position {i} must start a capture ($1, ${{name}}) or be doubled ($$ for a dollar sign)";
                    return null;
                }

                name = text[start..end];
                i = end;
            }

            if (literal.Length > 0)
            {
                parts.Add(new Part(literal.ToString(), 0, FromQuery: false));
                literal.Clear();
            }

            var part = Resolve(name, match, query, out error);
            if (part is null)
            {
                return null;
            }

            parts.Add(part.Value);
        }

        if (literal.Length > 0 || parts.Count == 0)
        {
            parts.Add(new Part(literal.ToString(), 0, FromQuery: false));
        }

        return new RewriteTemplate([.. parts], text);
    }

    /// <summary>Appends the text with each capture escaped as <paramref name="escape"/> says.</summary>
    public void Render(StringBuilder destination, Match match, Match? query, CaptureEscape escape)
    {
        foreach (var part in _parts)
        {
            if (part.Literal is not null)
            {
                destination.Append(part.Literal);
                continue;
            }

            var group = part.FromQuery ? query!.Groups[part.Group] : match.Groups[part.Group];
            var value = group.Success ? group.Value : string.Empty;
            if (value.Length == 0)
            {
                continue;
            }

            // Path captures are decoded text (the path Kestrel decoded); query captures are the query's raw, encoded text.
            destination.Append(escape switch
            {
                CaptureEscape.Path => new PathString("/" + value).ToUriComponent()[1..],
                CaptureEscape.Query => part.FromQuery ? value : Uri.EscapeDataString(value),
                _ => value,
            });
        }
    }

    public string Render(Match match, Match? query, CaptureEscape escape)
    {
        if (IsLiteral)
        {
            return _parts[0].Literal!;
        }

        var builder = new StringBuilder();
        Render(builder, match, query, escape);
        return builder.ToString();
    }

    private static Part? Resolve(string name, Regex match, Regex? query, out string? error)
    {
        error = null;
        if (name.Length > 0 && name.All(char.IsAsciiDigit))
        {
            var number = int.TryParse(name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : -1;
            if (number < 0 || Array.IndexOf(match.GetGroupNumbers(), number) < 0)
            {
                error = $"capture ${name} is out of range: the Match regex has groups {string.Join(", ", match.GetGroupNumbers().Select(g => "$" + g))}";
                return null;
            }

            return new Part(null, number, FromQuery: false);
        }

        var inMatch = match.GroupNumberFromName(name);
        var inQuery = query?.GroupNumberFromName(name) ?? -1;
        if (inMatch >= 0 && inQuery >= 0)
        {
            error = $"capture ${{{name}}} is a group of both Match and Query: rename one";
            return null;
        }

        if (inMatch >= 0)
        {
            return new Part(null, inMatch, FromQuery: false);
        }

        if (inQuery >= 0)
        {
            return new Part(null, inQuery, FromQuery: true);
        }

        error = $"capture ${{{name}}} names no group of Match{(query is null ? string.Empty : " or Query")}";
        return null;
    }

    /// <summary>A literal run, or a reference to a group of the path regex or the query regex.</summary>
    private readonly record struct Part(string? Literal, int Group, bool FromQuery);
}

/// <summary>How a capture is written where a template puts it.</summary>
internal enum CaptureEscape
{
    /// <summary>As it is (a header value, checked as a whole afterwards).</summary>
    None,

    /// <summary>Into a path: every character a path may not hold (CR, LF, space, '?', '#', non-ASCII) percent-encoded.</summary>
    Path,

    /// <summary>Into a query: a path capture encoded as a whole component ('&amp;', '=' too); a query capture is already encoded.</summary>
    Query,
}
