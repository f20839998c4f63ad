using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using WebFarm.Balancer.Admin;
using WebFarm.Balancer.Dashboard;

namespace WebFarm.Balancer.Tests.Admin;

/// <summary>
/// The admin API's source-generated JSON (AdminJsonContext): every enum it can meet is written as a camelCase name (each
/// needs its own generic converter in AdminJson, since Native AOT cannot build one at run time), and the records that
/// replaced anonymous types keep the answers' shape.
/// </summary>
public sealed class AdminJsonTests
{
    [Fact]
    public void Every_enum_reachable_from_the_admin_types_is_written_as_a_camelCase_name()
    {
        var roots = typeof(AdminJsonContext).GetCustomAttributesData()
            .Where(a => a.AttributeType == typeof(JsonSerializableAttribute))
            .Select(a => (Type)a.ConstructorArguments[0].Value!);
        var seen = new HashSet<Type>();
        var queue = new Queue<Type>(roots);
        var enums = 0;
        while (queue.TryDequeue(out var type))
        {
            type = Nullable.GetUnderlyingType(type) ?? type;
            if (!seen.Add(type))
            {
                continue;
            }

            var info = AdminJson.Options.GetTypeInfo(type);
            if (type.IsEnum)
            {
                enums++;
                foreach (var value in Enum.GetValues(type))
                {
                    var json = JsonSerializer.Serialize(value, info);
                    var name = value.ToString()!;
                    Assert.True(
                        json == "\"" + JsonNamingPolicy.CamelCase.ConvertName(name) + "\"",
                        $"{type.Name}.{name} is written as {json}: add a JsonStringEnumConverter<{type.Name}> to AdminJson.Create");
                }

                continue;
            }

            switch (info.Kind)
            {
                case JsonTypeInfoKind.Object:
                    foreach (var property in info.Properties)
                    {
                        queue.Enqueue(property.PropertyType);
                    }

                    break;
                case JsonTypeInfoKind.Enumerable:
                    queue.Enqueue(info.ElementType!);
                    break;
                case JsonTypeInfoKind.Dictionary:
                    queue.Enqueue(info.KeyType!);
                    queue.Enqueue(info.ElementType!);
                    break;
            }
        }

        Assert.True(enums > 0, "the walk found no enum: ServerState is in ServerInfo");
    }

    [Fact]
    public void Answers_that_were_anonymous_types_keep_their_shape()
    {
        Assert.Equal("{\"purged\":3}", JsonSerializer.Serialize(new CachePurgeResult(3), AdminJson.TypeInfo<CachePurgeResult>()));
        var cells = new DashboardCellsData("s", new() { ["a"] = "1" }, new() { ["a"] = "ok" });
        Assert.Equal(
            "{\"structure\":\"s\",\"cells\":{\"a\":\"1\"},\"classes\":{\"a\":\"ok\"}}",
            JsonSerializer.Serialize(cells, AdminJson.TypeInfo<DashboardCellsData>()));
        Assert.Equal(
            "{\"name\":\"web3\",\"address\":\"http://127.0.0.1:81\",\"weight\":2}",
            JsonSerializer.Serialize(new AddServerRequest("web3", "http://127.0.0.1:81", 2), AdminJson.TypeInfo<AddServerRequest>()));
    }

    [Fact]
    public void A_type_missing_from_the_generated_context_fails_in_every_build()
        => Assert.Throws<NotSupportedException>(() => AdminJson.TypeInfo<Uri[]>());
}
