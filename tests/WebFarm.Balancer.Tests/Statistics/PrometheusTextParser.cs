using System.Globalization;
using System.Text;

namespace WebFarm.Balancer.Tests.Statistics;

/// <summary>
/// A small strict parser for the Prometheus text format (0.0.4), written for the tests: it throws on any
/// line that is not a HELP, a TYPE or a `name{labels} value` sample, on a sample whose family has no TYPE
/// before it, on a family that is split or typed twice, and on a duplicate series.
/// </summary>
internal sealed class PrometheusTextParser
{
    public Dictionary<string, string> Types { get; } = [];

    public Dictionary<string, double> Series { get; } = [];

    public List<(string Name, Dictionary<string, string> Labels, double Value)> Samples { get; } = [];

    public static PrometheusTextParser Parse(string text)
    {
        var parser = new PrometheusTextParser();
        if (!text.EndsWith('\n'))
        {
            throw new FormatException("the exposition must end with a line feed");
        }

        var closed = new HashSet<string>();
        string? current = null;
        var lines = text[..^1].Split('\n');
        for (var n = 0; n < lines.Length; n++)
        {
            var line = lines[n];
            var where = $"line {n + 1} \"{line}\"";
            if (line.StartsWith("# HELP ", StringComparison.Ordinal))
            {
                var name = line[7..].Split(' ', 2)[0];
                RequireName(name, where);
                continue;
            }

            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line[7..].Split(' ');
                if (parts.Length != 2 || parts[1] is not ("counter" or "gauge" or "histogram" or "summary" or "untyped"))
                {
                    throw new FormatException($"{where}: bad TYPE line");
                }

                RequireName(parts[0], where);
                if (!parser.Types.TryAdd(parts[0], parts[1]))
                {
                    throw new FormatException($"{where}: second TYPE for {parts[0]}");
                }

                if (current is not null)
                {
                    closed.Add(current);
                }

                current = parts[0];
                continue;
            }

            if (line.StartsWith('#') || line.Length == 0)
            {
                throw new FormatException($"{where}: unexpected comment or blank line");
            }

            var (sampleName, labels, value) = ParseSample(line, where);
            var family = sampleName;
            if (family != current)
            {
                throw new FormatException($"{where}: sample of {family} is not under its TYPE line (current family {current ?? "none"})");
            }

            if (closed.Contains(family))
            {
                throw new FormatException($"{where}: family {family} is split");
            }

            var key = sampleName + "{" + string.Join(",", labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}")) + "}";
            if (!parser.Series.TryAdd(key, value))
            {
                throw new FormatException($"{where}: duplicate series {key}");
            }

            parser.Samples.Add((sampleName, labels, value));
        }

        return parser;
    }

    public double Value(string name, params (string Key, string Value)[] labels)
    {
        var matches = Samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value)).ToList();
        return matches.Count == 1
            ? matches[0].Value
            : throw new InvalidOperationException($"{matches.Count} samples of {name} match {string.Join(",", labels)}");
    }

    private static (string Name, Dictionary<string, string> Labels, double Value) ParseSample(string line, string where)
    {
        var i = 0;
        while (i < line.Length && IsNameChar(line[i], i == 0))
        {
            i++;
        }

        var name = line[..i];
        RequireName(name, where);
        var labels = new Dictionary<string, string>();
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (line[i] != '}')
            {
                var start = i;
                while (IsNameChar(line[i], i == start))
                {
                    i++;
                }

                var labelName = line[start..i];
                if (labelName.Length == 0 || line[i] != '=' || line[i + 1] != '"')
                {
                    throw new FormatException($"{where}: bad label at column {i + 1}");
                }

                i += 2;
                var value = new StringBuilder();
                while (line[i] != '"')
                {
                    if (line[i] == '\\')
                    {
                        i++;
                        value.Append(line[i] switch
                        {
                            '\\' => '\\',
                            '"' => '"',
                            'n' => '\n',
                            _ => throw new FormatException($"{where}: bad escape \\{line[i]}"),
                        });
                    }
                    else
                    {
                        value.Append(line[i]);
                    }

                    i++;
                }

                i++;
                if (!labels.TryAdd(labelName, value.ToString()))
                {
                    throw new FormatException($"{where}: label {labelName} twice");
                }

                if (line[i] == ',')
                {
                    i++;
                }
                else if (line[i] != '}')
                {
                    throw new FormatException($"{where}: expected ',' or '}}' at column {i + 1}");
                }
            }

            i++;
        }

        if (i >= line.Length || line[i] != ' ')
        {
            throw new FormatException($"{where}: expected a space before the value");
        }

        var text = line[(i + 1)..];
        var number = text switch
        {
            "+Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            "NaN" => double.NaN,
            _ => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
        };
        return (name, labels, number);
    }

    private static void RequireName(string name, string where)
    {
        if (name.Length == 0 || !name.Select((c, i) => IsNameChar(c, i == 0)).All(ok => ok))
        {
            throw new FormatException($"{where}: invalid metric name \"{name}\"");
        }
    }

    private static bool IsNameChar(char c, bool first)
        => c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or '_' or ':' || (!first && c is >= '0' and <= '9');
}
