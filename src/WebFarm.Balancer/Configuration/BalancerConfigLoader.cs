namespace WebFarm.Balancer.Configuration;

/// <summary>Loads and validates balancer configuration files (and in-memory configs).</summary>
public static class BalancerConfigLoader
{
    /// <summary>Reads and validates <paramref name="path"/>; throws <see cref="ConfigException"/> listing every problem.</summary>
    public static BalancerConfig Load(string path)
    {
        var fullPath = Path.GetFullPath(path);
        string json;
        try
        {
            json = File.ReadAllText(fullPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException([new ConfigError(fullPath, "$", $"cannot read the file: {ex.Message}")]);
        }

        return Parse(json, fullPath);
    }

    /// <summary>Parses and validates JSON text; <paramref name="file"/> only names the source in errors.</summary>
    public static BalancerConfig Parse(string json, string? file = null)
    {
        var errors = new List<ConfigError>();
        var config = ConfigReader.Read(json, file, errors);
        if (config is not null)
        {
            ConfigValidator.Validate(config, errors);
        }

        if (errors.Count > 0 || config is null)
        {
            throw new ConfigException(errors);
        }

        return config;
    }

    /// <summary>Validates a config built in code; throws <see cref="ConfigException"/> when it is invalid.</summary>
    public static void Validate(BalancerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var errors = new List<ConfigError>();
        ConfigValidator.Validate(config, errors);
        if (errors.Count > 0)
        {
            throw new ConfigException(errors);
        }
    }
}
