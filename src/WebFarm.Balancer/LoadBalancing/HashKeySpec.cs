namespace WebFarm.Balancer.LoadBalancing;

/// <summary>
/// The parsed "HashKey" setting of a farm: "header:NAME", "cookie:NAME", "path" or "query:NAME".
/// The source keyword is case-insensitive; header names compare case-insensitively, cookie and query
/// parameter names case-sensitively (as browsers and frameworks treat them).
/// </summary>
public readonly record struct HashKeySpec(HashKeySource Source, string? Name)
{
    public static HashKeySpec Parse(string text)
        => TryParse(text, out var spec, out var error) ? spec : throw new FormatException(error);

    /// <param name="error">When false is returned, a sentence saying what is wrong and what is expected; otherwise empty.</param>
    public static bool TryParse(string? text, out HashKeySpec spec, out string error)
    {
        spec = default;
        const string Expected = "expected \"header:NAME\", \"cookie:NAME\", \"path\" or \"query:NAME\"";
        if (string.IsNullOrWhiteSpace(text))
        {
            error = $"the hash key is empty; {Expected}";
            return false;
        }

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var kind = colon < 0 ? text : text[..colon];
        var name = colon < 0 ? null : text[(colon + 1)..];

        if (kind.Equals("path", StringComparison.OrdinalIgnoreCase))
        {
            if (name is not null)
            {
                error = $"\"{text}\": \"path\" takes no name; {Expected}";
                return false;
            }

            spec = new HashKeySpec(HashKeySource.Path, null);
            error = string.Empty;
            return true;
        }

        HashKeySource source;
        if (kind.Equals("header", StringComparison.OrdinalIgnoreCase))
        {
            source = HashKeySource.Header;
        }
        else if (kind.Equals("cookie", StringComparison.OrdinalIgnoreCase))
        {
            source = HashKeySource.Cookie;
        }
        else if (kind.Equals("query", StringComparison.OrdinalIgnoreCase))
        {
            source = HashKeySource.Query;
        }
        else
        {
            error = $"\"{text}\": unknown hash key source \"{kind}\"; {Expected}";
            return false;
        }

        if (string.IsNullOrEmpty(name))
        {
            error = $"\"{text}\": \"{kind.ToLowerInvariant()}\" needs a name after the colon, e.g. \"{kind.ToLowerInvariant()}:X-User\"";
            return false;
        }

        var invalid = source == HashKeySource.Query ? FindInvalidQueryNameChar(name) : FindInvalidTokenChar(name);
        if (invalid >= 0)
        {
            error = $"\"{text}\": the {kind.ToLowerInvariant()} name contains an invalid character '{name[invalid]}' at position {invalid + 1}";
            return false;
        }

        spec = new HashKeySpec(source, name);
        error = string.Empty;
        return true;
    }

    public override string ToString() => Source switch
    {
        HashKeySource.Path => "path",
        _ => $"{Source.ToString().ToLowerInvariant()}:{Name}",
    };

    // RFC 9110 token: header and cookie names.
    private static int FindInvalidTokenChar(string name)
    {
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            var ok = c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9'
                || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal);
            if (!ok)
            {
                return i;
            }
        }

        return -1;
    }

    // Query names are matched against the raw (still percent-encoded) query string, so they may not
    // contain the characters that delimit it.
    private static int FindInvalidQueryNameChar(string name)
    {
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (c is '&' or '=' or '#' or '?' || char.IsWhiteSpace(c) || char.IsControl(c))
            {
                return i;
            }
        }

        return -1;
    }
}
