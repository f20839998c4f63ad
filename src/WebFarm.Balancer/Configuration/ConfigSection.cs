using System.Text.Json;

namespace WebFarm.Balancer.Configuration;

/// <summary>
/// A JSON object of the configuration file described as data: its keys (<see cref="ConfigKey{T}"/>) and the value
/// reading starts from. Reading matches keys case-insensitively and reports an unknown key with the known ones, in
/// the order described here. Adding a key to the file format is adding one <see cref="ConfigKey{T}"/>.
/// </summary>
internal sealed class ConfigSection<T>
{
    private readonly Func<T> _create;
    private readonly string _known;

    public ConfigSection(string[] docPrefixes, Func<T> create, params ConfigKey<T>[] keys)
    {
        DocPrefixes = docPrefixes;
        _create = create;
        Keys = keys;
        _known = string.Join(", ", keys.Select(k => k.Name));
    }

    /// <summary>
    /// What the rows of docs/configuration.md put before a key's name, one per table that lists the keys ("Timeouts."
    /// in the farm table, "" in a section's own table); none when the keys have no rows of their own.
    /// </summary>
    public IReadOnlyList<string> DocPrefixes { get; }

    public IReadOnlyList<ConfigKey<T>> Keys { get; }

    /// <summary>The value of a section whose keys are all left out.</summary>
    public T Default => _create();

    /// <summary>Reads <paramref name="value"/> (expected to be an object) from the section's default value.</summary>
    /// <param name="callersKey">A key of the same object that the caller reads itself (the admin API's "add server"
    /// body has <c>healthy</c> beside a server's keys): skipped here, and listed with the known keys when one is unknown.</param>
    public T Read(ConfigReader reader, JsonElement value, string path, string? callersKey = null)
    {
        var result = _create();
        if (!reader.ExpectObject(value, path))
        {
            return result;
        }

        foreach (var p in value.EnumerateObject())
        {
            if (callersKey is not null && string.Equals(p.Name, callersKey, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var pPath = path + "." + p.Name;
            var key = Find(p.Name);
            result = key is null ? Unknown(reader, pPath, p.Name, result, callersKey) : key.Read(reader, p.Value, pPath, result);
        }

        return result;
    }

    /// <summary>The rows docs/configuration.md has for these keys, with the defaults they must show (null: required).</summary>
    public IEnumerable<(string Row, string? Default)> DocRows()
    {
        var defaults = _create();
        foreach (var prefix in DocPrefixes)
        {
            foreach (var key in Keys)
            {
                if (key.ShowDefault is { } show)
                {
                    yield return (prefix + key.Name, show(defaults));
                }
            }
        }
    }

    /// <summary>Keys are PascalCase in the docs; other casings are accepted so that "listen" is not an error.</summary>
    private ConfigKey<T>? Find(string name)
    {
        foreach (var key in Keys)
        {
            if (string.Equals(key.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return key;
            }
        }

        return null;
    }

    private T Unknown(ConfigReader reader, string path, string name, T value, string? callersKey)
    {
        reader.Error(path, $"unknown key '{name}' (expected one of: {_known}{(callersKey is null ? string.Empty : ", " + callersKey)})");
        return value;
    }
}
