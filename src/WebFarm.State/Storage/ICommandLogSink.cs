namespace WebFarm.State.Storage;

/// <summary>Receives encoded write commands, in execution order, under the store lock.</summary>
internal interface ICommandLogSink
{
    void Append(ReadOnlySpan<byte> command);
}
