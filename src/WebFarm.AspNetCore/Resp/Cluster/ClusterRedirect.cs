using System.Globalization;

namespace WebFarm.AspNetCore.Resp.Cluster;

/// <summary>
/// A <c>MOVED slot host:port</c> (the slot lives elsewhere for good: refresh the map) or <c>ASK slot host:port</c>
/// (the slot is being migrated and this key is already at the target: send <c>ASKING</c> there, for this one command).
/// </summary>
internal readonly record struct ClusterRedirect(bool IsAsk, int Slot, RespEndPoint EndPoint)
{
    /// <summary>
    /// Parses a MOVED or ASK error. An endpoint without a host (<c>:6380</c>, a node that does not know its own
    /// address) means the host of <paramref name="answeredBy"/>.
    /// </summary>
    public static bool TryParse(string message, RespEndPoint answeredBy, out ClusterRedirect redirect)
    {
        redirect = default;
        bool ask;
        if (message.StartsWith("MOVED ", StringComparison.Ordinal))
        {
            ask = false;
        }
        else if (message.StartsWith("ASK ", StringComparison.Ordinal))
        {
            ask = true;
        }
        else
        {
            return false;
        }

        var parts = message.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 3 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int slot)
            || slot >= ClusterKeySlot.SlotCount)
        {
            return false;
        }

        string address = parts[2];
        int colon = address.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(address.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
        {
            return false;
        }

        // Redis writes IPv6 hosts without brackets (MOVED 1 ::1:7000), so split at the last colon.
        string host = colon == 0 ? answeredBy.Host : address[..colon].Trim('[', ']');
        var endPoint = new RespEndPoint(host, port);

        redirect = new ClusterRedirect(ask, slot, endPoint);
        return true;
    }
}
