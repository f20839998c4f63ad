using System.Buffers;
using WebFarm.State.Protocol;
using WebFarm.State.Storage;

namespace WebFarm.State.Persistence;

/// <summary>
/// Writes a keyspace snapshot as plain RESP commands (SET ... PXAT, HSET, PEXPIREAT). The same format
/// is the base file of the append-only log and the payload of a full sync, so one loader reads both.
/// </summary>
internal static class SnapshotWriter
{
    private const int FieldsPerCommand = 64;

    public static void Write(SnapshotItem[] items, Stream output)
    {
        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        foreach (var item in items)
        {
            if (item.Value is byte[] value)
            {
                RespEncoder.WriteHeader(buffer, item.ExpireAtMs != 0 ? 5 : 3);
                RespEncoder.WriteBulk(buffer, "SET"u8);
                RespEncoder.WriteBulk(buffer, item.Key);
                RespEncoder.WriteBulk(buffer, value);
                if (item.ExpireAtMs != 0)
                {
                    RespEncoder.WriteBulk(buffer, "PXAT"u8);
                    RespEncoder.WriteBulk(buffer, item.ExpireAtMs);
                }
            }
            else
            {
                var fields = (KeyValuePair<byte[], byte[]>[])item.Value;
                for (var start = 0; start < fields.Length; start += FieldsPerCommand)
                {
                    var count = Math.Min(FieldsPerCommand, fields.Length - start);
                    RespEncoder.WriteHeader(buffer, 2 + (count * 2));
                    RespEncoder.WriteBulk(buffer, "HSET"u8);
                    RespEncoder.WriteBulk(buffer, item.Key);
                    for (var i = start; i < start + count; i++)
                    {
                        RespEncoder.WriteBulk(buffer, fields[i].Key);
                        RespEncoder.WriteBulk(buffer, fields[i].Value);
                    }
                }

                if (item.ExpireAtMs != 0)
                {
                    RespEncoder.WriteHeader(buffer, 3);
                    RespEncoder.WriteBulk(buffer, "PEXPIREAT"u8);
                    RespEncoder.WriteBulk(buffer, item.Key);
                    RespEncoder.WriteBulk(buffer, item.ExpireAtMs);
                }
            }

            if (buffer.WrittenCount >= 60 * 1024)
            {
                output.Write(buffer.WrittenSpan);
                buffer.ResetWrittenCount();
            }
        }

        output.Write(buffer.WrittenSpan);
    }
}
