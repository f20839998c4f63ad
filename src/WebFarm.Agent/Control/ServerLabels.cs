namespace WebFarm.Agent.Control;

/// <summary>
/// Server labels (`webfarm agent --label role=web`) and the placement rule that reads them (`webfarm apps add --on
/// role=web`): the one syntax check and the one match, shared by the agent, the controller's API and the CLI.
/// A key or a value is 1-63 letters, digits, '-', '_' or '.', beginning and ending with a letter or a digit (the
/// rule of Kubernetes label values, so labels copied from there fit); keys compare exactly, case included.
/// </summary>
public static class ServerLabels
{
    public const int MaxLength = 63;

    /// <summary>At most this many labels per server or per placement.</summary>
    public const int MaxCount = 32;

    public static IReadOnlyDictionary<string, string> None { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Parses "KEY=VALUE" items (repeatable options) into labels.</summary>
    /// <param name="items">The items as given.</param>
    /// <param name="option">The option they came from, for the message ("--label").</param>
    /// <exception cref="FormatException">An item is not KEY=VALUE, a key or value breaks the rule, or a key repeats; the message names the item and why.</exception>
    public static Dictionary<string, string> Parse(IEnumerable<string> items, string option)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            var equals = item.IndexOf('=', StringComparison.Ordinal);
            if (equals < 0)
            {
                throw new FormatException($"{option} '{item}': expected KEY=VALUE, like role=web");
            }

            var key = item[..equals];
            var value = item[(equals + 1)..];
            if (Check(key, value) is { } problem)
            {
                throw new FormatException($"{option} '{item}': {problem}");
            }

            if (!labels.TryAdd(key, value))
            {
                throw new FormatException($"{option} '{item}': the key '{key}' is given twice (a server has one value per key)");
            }
        }

        return labels.Count <= MaxCount ? labels : throw new FormatException($"{option}: {labels.Count} labels; at most {MaxCount}");
    }

    /// <summary>The first problem with a set of labels (from a JSON body), or null when they follow the rule.</summary>
    public static string? Check(IReadOnlyDictionary<string, string> labels)
    {
        if (labels.Count > MaxCount)
        {
            return $"{labels.Count} labels; at most {MaxCount}";
        }

        foreach (var (key, value) in labels)
        {
            if (Check(key, value) is { } problem)
            {
                return $"'{key}={value}': {problem}";
            }
        }

        return null;
    }

    /// <summary>Whether <paramref name="labels"/> hold every key of <paramref name="selector"/> with its value (an empty or null selector matches every server).</summary>
    public static bool Match(IReadOnlyDictionary<string, string>? selector, IReadOnlyDictionary<string, string> labels)
    {
        if (selector is null)
        {
            return true;
        }

        foreach (var (key, value) in selector)
        {
            if (!labels.TryGetValue(key, out var actual) || !string.Equals(actual, value, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>"role=web, zone=a" (or "none"), for messages and tables.</summary>
    public static string Format(IReadOnlyDictionary<string, string>? labels)
        => labels is null || labels.Count == 0 ? "none" : string.Join(", ", labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}"));

    private static string? Check(string key, string value)
        => CheckPart(key) is { } keyProblem ? $"key {keyProblem}"
            : CheckPart(value) is { } valueProblem ? $"value {valueProblem}"
            : null;

    private static string? CheckPart(string part)
    {
        if (part.Length == 0)
        {
            return "is empty";
        }

        if (part.Length > MaxLength)
        {
            return $"is {part.Length} characters long; at most {MaxLength}";
        }

        foreach (var c in part)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_' or '.'))
            {
                return $"'{part}' has '{c}': only letters, digits, '-', '_' and '.' are allowed";
            }
        }

        return char.IsAsciiLetterOrDigit(part[0]) && char.IsAsciiLetterOrDigit(part[^1]) ? null : $"'{part}' must begin and end with a letter or a digit";
    }
}
