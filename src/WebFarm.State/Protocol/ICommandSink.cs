namespace WebFarm.State.Protocol;

/// <summary>Receives the commands parsed by <see cref="CommandStream"/>.</summary>
internal interface ICommandSink
{
    ParserLimits Limits { get; }

    /// <summary>Executes one command; <paramref name="commandBytes"/> is its size on the wire. Returns false to stop the batch.</summary>
    bool Execute(scoped CommandArgs args, int commandBytes);
}
