namespace WebFarm.State.Storage;

internal enum ValueKind
{
    String,
    Hash,
}
