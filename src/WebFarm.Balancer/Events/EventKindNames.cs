using System.Text;

namespace WebFarm.Balancer.Events;

/// <summary>The kebab-case wire names of <see cref="EventKind"/> ("finished-draining"), computed once.</summary>
public static class EventKindNames
{
    private static readonly string[] s_names = BuildNames();

    public static string ToKebabCase(EventKind kind)
    {
        var index = (int)kind;
        return (uint)index < (uint)s_names.Length ? s_names[index] : ToKebabCase(kind.ToString());
    }

    /// <summary>Parses a kebab-case name (case-insensitive), e.g. for an event-kind filter in the API.</summary>
    public static bool TryParse(string? name, out EventKind kind)
    {
        for (var i = 0; i < s_names.Length; i++)
        {
            if (string.Equals(s_names[i], name, StringComparison.OrdinalIgnoreCase))
            {
                kind = (EventKind)i;
                return true;
            }
        }

        kind = default;
        return false;
    }

    private static string[] BuildNames()
    {
        var values = Enum.GetValues<EventKind>();
        var max = 0;
        foreach (var value in values)
        {
            max = Math.Max(max, (int)value);
        }

        var names = new string[max + 1];
        foreach (var value in values)
        {
            names[(int)value] = ToKebabCase(value.ToString());
        }

        return names;
    }

    private static string ToKebabCase(string pascal)
    {
        var builder = new StringBuilder(pascal.Length + 4);
        for (var i = 0; i < pascal.Length; i++)
        {
            var c = pascal[i];
            if (char.IsUpper(c))
            {
                if (i > 0)
                {
                    builder.Append('-');
                }

                builder.Append(char.ToLowerInvariant(c));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }
}
