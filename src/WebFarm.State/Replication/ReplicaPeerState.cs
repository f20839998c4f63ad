namespace WebFarm.State.Replication;

internal enum ReplicaPeerState
{
    SendingSnapshot,
    Online,
    Closed,
}
