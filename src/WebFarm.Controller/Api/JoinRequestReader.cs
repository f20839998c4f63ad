using System.Text.Json;
using WebFarm.Agent.Control;
using WebFarm.Balancer.Admin;

namespace WebFarm.Controller.Api;

/// <summary>Reads a join body strictly: an object with exactly the string fields joinToken, name and address.</summary>
internal static class JoinRequestReader
{
    public static JoinRequest Read(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new AdminRequestException("body: expected a JSON object like {\"joinToken\": \"wfj_...\", \"name\": \"web1\", \"address\": \"http://10.0.0.11:5000\"}");
        }

        string? token = null, name = null, address = null;
        foreach (var property in root.EnumerateObject())
        {
            switch (property.Name)
            {
                case "joinToken":
                    token = JsonFields.String(property);
                    break;
                case "name":
                    name = JsonFields.String(property);
                    break;
                case "address":
                    address = JsonFields.String(property);
                    break;
                default:
                    throw new AdminRequestException($"{property.Name}: unknown field (expected joinToken, name and address)");
            }
        }

        return new JoinRequest(
            token ?? throw new AdminRequestException("joinToken: is required (get one with `webfarm agents token`)"),
            name ?? throw new AdminRequestException("name: is required"),
            address ?? throw new AdminRequestException("address: is required, like \"http://10.0.0.11:5000\""));
    }
}
