namespace WebFarm.Packaging.Tests.Systemd;

/// <summary>A systemd unit file from build/systemd, read as its sections' keys (a key given twice keeps every value).</summary>
internal sealed class UnitFile
{
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);

    private UnitFile(string path, string name)
    {
        Path = path;
        Name = name;
    }

    public string Path { get; }

    /// <summary>The unit's name without ".service" (webfarm-balancer).</summary>
    public string Name { get; }

    /// <summary>The role the unit runs (balancer, controller, agent, state).</summary>
    public string Role => Name["webfarm-".Length..];

    public static IReadOnlyList<UnitFile> All()
    {
        var directory = System.IO.Path.Combine(RepositoryPaths.Root, "build", "systemd");
        return [.. Directory.GetFiles(directory, "*.service").Order(StringComparer.Ordinal).Select(Read)];
    }

    public static UnitFile Read(string path)
    {
        var unit = new UnitFile(path, System.IO.Path.GetFileNameWithoutExtension(path));
        var section = string.Empty;
        foreach (var raw in File.ReadAllLines(path))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';')
            {
                continue;
            }

            if (line[0] == '[')
            {
                section = line.Trim('[', ']');
                continue;
            }

            var equals = line.IndexOf('=', StringComparison.Ordinal);
            var key = $"{section}.{line[..equals]}";
            if (!unit._values.TryGetValue(key, out var values))
            {
                unit._values[key] = values = [];
            }

            values.Add(line[(equals + 1)..]);
        }

        return unit;
    }

    /// <summary>The last value of "Section.Key" (as systemd takes it), or null.</summary>
    public string? this[string key] => _values.TryGetValue(key, out var values) ? values[^1] : null;

    public IReadOnlyList<string> All(string key) => _values.TryGetValue(key, out var values) ? values : [];

    /// <summary>A systemd time span ("30s", "2min", "90") as a TimeSpan.</summary>
    public TimeSpan Seconds(string key)
    {
        var value = this[key] ?? throw new InvalidOperationException($"{Name}: no {key}");
        var number = new string([.. value.TakeWhile(char.IsDigit)]);
        var unit = value[number.Length..].Trim();
        var n = int.Parse(number, System.Globalization.CultureInfo.InvariantCulture);
        return unit switch
        {
            "" or "s" or "sec" => TimeSpan.FromSeconds(n),
            "min" or "m" => TimeSpan.FromMinutes(n),
            _ => throw new InvalidOperationException($"{Name}: {key}={value}: unit '{unit}' not understood by the test"),
        };
    }
}
