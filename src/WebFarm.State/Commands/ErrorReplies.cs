namespace WebFarm.State.Commands;

/// <summary>Redis's exact error texts: clients and tools match on them.</summary>
internal static class ErrorReplies
{
    public const string WrongType = "WRONGTYPE Operation against a key holding the wrong kind of value";
    public const string NotInteger = "ERR value is not an integer or out of range";
    public const string Syntax = "ERR syntax error";
    public const string Overflow = "ERR increment or decrement would overflow";
    public const string NoAuth = "NOAUTH Authentication required.";
    public const string WrongPass = "WRONGPASS invalid username-password pair or user is disabled.";
    public const string ReadOnly = "READONLY You can't write against a read only replica.";
    public const string ExecAbort = "EXECABORT Transaction discarded because of previous errors.";
    public const string InvalidCursor = "ERR invalid cursor";
    public const string OutOfMemory = "OOM command not allowed when used memory > 'maxmemory'.";

    /// <summary>SYNC, and PSYNC from anything but a WebFarm replica: there is no RDB snapshot to send.</summary>
    public const string NotAWebFarmReplica = "ERR webfarm state replicates only to webfarm state replicas (webfarm state --replica-of host:port); "
        + "it does not produce a Redis RDB snapshot, so SYNC, PSYNC from Redis and redis-cli --rdb are not supported";
    public const string NotFloat = "ERR value is not a valid float";
    public const string FloatResultInvalid = "ERR increment would produce NaN or Infinity";
    public const string NoSuchKey = "ERR no such key";

    /// <summary>Redis names a container command's subcommand in full ("config|get").</summary>
    public static string NotInSubscribedMode(string command, ReadOnlySpan<byte> subcommand)
    {
        var name = command.ToLowerInvariant();
        if (!subcommand.IsEmpty && name is "config" or "client" or "command" or "pubsub")
        {
            name += "|" + Text.Printable(subcommand, 128).ToLowerInvariant();
        }

        return $"ERR Can't execute '{name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context";
    }

    public static string WrongArity(string command) => $"ERR wrong number of arguments for '{command.ToLowerInvariant()}' command";

    public static string InvalidExpire(string command) => $"ERR invalid expire time in '{command}' command";

    public static string UnknownSubcommand(ReadOnlySpan<byte> sub, string command)
        => $"ERR unknown subcommand '{Text.Printable(sub, 128)}'. Try {command} HELP.";
}
