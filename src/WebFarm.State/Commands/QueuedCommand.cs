using WebFarm.State.Protocol;

namespace WebFarm.State.Commands;

/// <summary>A command queued by MULTI, copied out of the receive buffer.</summary>
internal sealed record QueuedCommand(CommandDefinition Definition, ArgList Args);
