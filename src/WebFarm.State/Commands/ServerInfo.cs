namespace WebFarm.State.Commands;

internal static class ServerInfo
{
    /// <summary>The Redis version whose behaviour we follow; tools check it before using newer commands.</summary>
    public const string CompatibleVersion = "7.2.0";
}
