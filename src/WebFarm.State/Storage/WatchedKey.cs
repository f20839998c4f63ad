namespace WebFarm.State.Storage;

/// <summary>
/// One key watched by one client. <see cref="Expired"/> records that the key was already logically expired
/// when WATCH ran: its later deletion changes nothing a client could have read, so (as in Redis 7) it does
/// not fail the EXEC.
/// </summary>
internal sealed class WatchedKey(KeyWatches owner, byte[] key, bool expired)
{
    public KeyWatches Owner { get; } = owner;

    public byte[] Key { get; } = key;

    public bool Expired { get; set; } = expired;
}
