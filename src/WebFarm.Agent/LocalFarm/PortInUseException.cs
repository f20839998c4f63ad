namespace WebFarm.Agent.LocalFarm;

/// <summary>A port `webfarm up` needs is taken; nothing was started.</summary>
public sealed class PortInUseException : Exception
{
    public PortInUseException(int port, string option)
        : base($"port {port} in use: another webfarm up or another server is listening; use {option}")
    {
        Port = port;
        Option = option;
    }

    public int Port { get; }

    /// <summary>The command-line option that chooses this port, e.g. "--port".</summary>
    public string Option { get; }
}
