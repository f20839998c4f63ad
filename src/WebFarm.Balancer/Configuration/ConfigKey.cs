using System.Text.Json;

namespace WebFarm.Balancer.Configuration;

/// <summary>Reads one key's JSON value into the section's value (errors go to the reader, with <paramref name="path"/>).</summary>
internal delegate T ConfigKeyRead<T>(ConfigReader reader, JsonElement value, string path, T current);

/// <summary>
/// One key of a configuration section, described once: its name, how its value is read (which fixes its type and
/// its error messages) and how its default is written in the file. docs/configuration.md documents the key in a
/// table row named after it, and ConfigSchemaDocsTests checks that row shows the same default.
/// </summary>
internal sealed class ConfigKey<T>
{
    public ConfigKey(string name, ConfigKeyRead<T> read, Func<T, string?>? showDefault)
    {
        Name = name;
        Read = read;
        ShowDefault = showDefault;
    }

    public string Name { get; }

    public ConfigKeyRead<T> Read { get; }

    /// <summary>
    /// The key's value as JSON text (given the section's default value); returns null for a required key
    /// (documented as "—"). Null itself for a key that is a sub-section documented through its own keys.
    /// </summary>
    public Func<T, string?>? ShowDefault { get; }
}
