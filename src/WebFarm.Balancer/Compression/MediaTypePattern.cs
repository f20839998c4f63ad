using WebFarm.Balancer.Forwarding.Headers;

namespace WebFarm.Balancer.Compression;

/// <summary>
/// One entry of <c>Compression.ContentTypes</c>: "type/subtype", "type/*" or "type/*+suffix" ("application/*+json"),
/// matched case-insensitively against a Content-Type without its parameters.
/// </summary>
internal readonly struct MediaTypePattern
{
    private readonly string _type;
    private readonly string? _subtype; // null: any subtype
    private readonly string? _suffix; // "+json" for "type/*+json"

    private MediaTypePattern(string type, string? subtype, string? suffix)
    {
        _type = type;
        _subtype = subtype;
        _suffix = suffix;
    }

    /// <summary>Parses a configured pattern; <paramref name="error"/> says what is wrong with it otherwise.</summary>
    public static bool TryParse(string text, out MediaTypePattern pattern, out string error)
    {
        pattern = default;
        var slash = text.IndexOf('/');
        if (slash <= 0 || slash == text.Length - 1)
        {
            error = $"\"{text}\" is not a media type: expected \"type/subtype\", \"type/*\" or \"type/*+suffix\" (e.g. \"text/*\", \"application/*+json\")";
            return false;
        }

        var type = text[..slash];
        var subtype = text[(slash + 1)..];
        if (type == "*")
        {
            error = $"\"{text}\": a wildcard type would compress images, video and archives that are compressed already; list the types (e.g. \"text/*\")";
            return false;
        }

        if (!HeaderSyntax.IsToken(type))
        {
            error = $"\"{text}\": the type \"{type}\" is not a token (parameters such as \"; charset\" are not part of a pattern)";
            return false;
        }

        if (subtype == "*")
        {
            pattern = new MediaTypePattern(type, null, null);
        }
        else if (subtype.StartsWith("*+", StringComparison.Ordinal) && subtype.Length > 2 && HeaderSyntax.IsToken(subtype[2..]))
        {
            pattern = new MediaTypePattern(type, null, subtype[1..]);
        }
        else if (HeaderSyntax.IsToken(subtype) && !subtype.Contains('*'))
        {
            pattern = new MediaTypePattern(type, subtype, null);
        }
        else
        {
            error = $"\"{text}\": the subtype \"{subtype}\" is not a token, \"*\" or \"*+suffix\" (parameters such as \"; charset\" are not part of a pattern)";
            return false;
        }

        error = string.Empty;
        return true;
    }

    /// <summary>Whether a Content-Type header value ("text/html; charset=utf-8") is of this pattern.</summary>
    public bool Matches(ReadOnlySpan<char> type, ReadOnlySpan<char> subtype)
    {
        if (!type.Equals(_type, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        if (_subtype is not null)
        {
            return subtype.Equals(_subtype, StringComparison.OrdinalIgnoreCase);
        }

        return _suffix is null || (subtype.Length > _suffix.Length && subtype.EndsWith(_suffix, StringComparison.OrdinalIgnoreCase));
    }
}
