namespace WebFarm.Balancer.Configuration;

/// <summary>A configuration was refused; <see cref="Errors"/> lists every problem found, not just the first.</summary>
public sealed class ConfigException : Exception
{
    public ConfigException(IReadOnlyList<ConfigError> errors)
        : base(FormatMessage(errors))
    {
        Errors = errors;
    }

    public IReadOnlyList<ConfigError> Errors { get; }

    private static string FormatMessage(IReadOnlyList<ConfigError> errors)
        => errors.Count == 1
            ? "Invalid configuration: " + errors[0]
            : $"Invalid configuration ({errors.Count} errors):" + Environment.NewLine + "  " + string.Join(Environment.NewLine + "  ", errors);
}
