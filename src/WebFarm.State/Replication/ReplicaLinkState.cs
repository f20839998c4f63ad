namespace WebFarm.State.Replication;

internal enum ReplicaLinkState
{
    Connecting,
    Handshake,
    Syncing,
    Connected,
}
