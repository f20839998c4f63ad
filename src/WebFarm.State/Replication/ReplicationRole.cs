namespace WebFarm.State.Replication;

public enum ReplicationRole
{
    Master,
    Replica,
}
