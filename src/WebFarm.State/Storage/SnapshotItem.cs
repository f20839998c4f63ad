namespace WebFarm.State.Storage;

/// <summary>A point-in-time copy of one key: Value is a byte[] or an array of hash field/value pairs.</summary>
internal readonly record struct SnapshotItem(byte[] Key, object Value, long ExpireAtMs);
