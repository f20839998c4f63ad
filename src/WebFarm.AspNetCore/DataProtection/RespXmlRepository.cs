using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;
using WebFarm.AspNetCore.Health;
using WebFarm.AspNetCore.Resp;

namespace WebFarm.AspNetCore.DataProtection;

/// <summary>
/// Keeps the Data Protection key ring in one hash of the RESP store (field = key's friendly name,
/// value = key XML), so every server of the farm protects and unprotects with the same keys — the
/// modern machineKey. A hash (HSET/HGETALL) rather than a list, because the state server supports
/// hashes and a re-stored key overwrites instead of duplicating.
/// </summary>
internal sealed class RespXmlRepository(RespClient client, string hashKey, WebFarmMetrics metrics) : IXmlRepository
{
    // Data Protection calls these synchronously and rarely (startup, key rotation, unknown key id).
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        try
        {
            var reply = client.ExecuteAsync(RespCommand.Create("HGETALL", hashKey)).GetAwaiter().GetResult();
            var items = reply.Items;
            var elements = new List<XElement>(items.Count / 2);
            for (int i = 1; i < items.Count; i += 2)
            {
                elements.Add(XElement.Parse(items[i].AsString()!));
            }

            return elements;
        }
        catch (RespException ex)
        {
            metrics.StoreFailed("keys", ex);
            throw;
        }
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        ArgumentNullException.ThrowIfNull(element);
        try
        {
            string name = string.IsNullOrEmpty(friendlyName) ? Guid.NewGuid().ToString("N") : friendlyName;
            client.ExecuteAsync(RespCommand.Create("HSET", hashKey, name, element.ToString(SaveOptions.DisableFormatting))).GetAwaiter().GetResult();
        }
        catch (RespException ex)
        {
            metrics.StoreFailed("keys", ex);
            throw;
        }
    }
}
