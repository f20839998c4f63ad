using System.Text;

namespace WebFarm.Balancer.Rewrite;

/// <summary>
/// Edits of a query string as it is on the wire (without '?', parameters joined by '&amp;'). Names compare as
/// written, case-sensitively (servers read "Id" and "id" as two parameters); values are never decoded, so the
/// parameters a rule does not name go upstream byte for byte.
/// </summary>
internal static class QueryParameters
{
    /// <summary>Every parameter named <paramref name="name"/> removed.</summary>
    public static string Remove(string query, string name) => Edit(query, name, replacement: null);

    /// <summary>The first <paramref name="name"/> replaced by <c>name=value</c> in place, the others removed; appended when absent.</summary>
    public static string Set(string query, string name, string value)
    {
        var edited = Edit(query, name, name + "=" + value);
        return ReferenceEquals(edited, query) ? Add(query, name, value) : edited;
    }

    /// <summary><c>name=value</c> appended after the existing parameters.</summary>
    public static string Add(string query, string name, string value)
        => query.Length == 0 ? name + "=" + value : query + "&" + name + "=" + value;

    /// <summary>The parameters named <paramref name="name"/> dropped, the first replaced by <paramref name="replacement"/> if given.</summary>
    private static string Edit(string query, string name, string? replacement)
    {
        if (query.Length == 0)
        {
            return query;
        }

        var builder = new StringBuilder(query.Length);
        var changed = false;
        foreach (var range in query.AsSpan().Split('&'))
        {
            var parameter = query.AsSpan()[range];
            if (!NameOf(parameter).SequenceEqual(name))
            {
                Append(builder, parameter);
                continue;
            }

            changed = true;
            if (replacement is not null)
            {
                Append(builder, replacement);
                replacement = null;
            }
        }

        return changed ? builder.ToString() : query;
    }

    private static void Append(StringBuilder builder, ReadOnlySpan<char> parameter)
    {
        if (parameter.IsEmpty)
        {
            return;
        }

        if (builder.Length > 0)
        {
            builder.Append('&');
        }

        builder.Append(parameter);
    }

    private static ReadOnlySpan<char> NameOf(ReadOnlySpan<char> parameter)
    {
        var equals = parameter.IndexOf('=');
        return equals < 0 ? parameter : parameter[..equals];
    }
}
