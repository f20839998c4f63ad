using System.Text.Json;
using WebFarm.Balancer.Events;

namespace WebFarm.Balancer.Tests.Events;

public class FarmEventJsonTests
{
    [Fact]
    public void Serializes_the_one_shape_with_kebab_case_kind_and_utc_time()
    {
        var time = new DateTimeOffset(2026, 3, 4, 7, 8, 9, 123, TimeSpan.FromHours(2));
        var e = new FarmEvent(42, time, "web", "web1", EventKind.FinishedDraining, "no requests left \"ok\"");

        var json = FarmEventJson.Serialize(e);

        Assert.Equal(
            "{\"sequence\":42,\"time\":\"2026-03-04T05:08:09.123Z\",\"farm\":\"web\",\"server\":\"web1\",\"kind\":\"finished-draining\",\"message\":\"no requests left \\u0022ok\\u0022\"}",
            json);
    }

    [Fact]
    public void Balancer_wide_events_have_null_farm_and_server()
    {
        var e = new FarmEvent(1, DateTimeOffset.UnixEpoch, null, null, EventKind.ConfigRejected, "bad");
        using var doc = JsonDocument.Parse(FarmEventJson.Serialize(e));

        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("farm").ValueKind);
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("server").ValueKind);
        Assert.Equal("config-rejected", doc.RootElement.GetProperty("kind").GetString());
    }

    [Fact]
    public void Converter_round_trips_through_JsonSerializer()
    {
        var options = new JsonSerializerOptions { Converters = { FarmEventJson.Instance } };
        var e = new FarmEvent(7, new DateTimeOffset(2026, 1, 2, 3, 4, 5, 6, TimeSpan.Zero), "web", null, EventKind.GoingOnline, "m");

        var json = JsonSerializer.Serialize(new[] { e }, options);
        var back = JsonSerializer.Deserialize<FarmEvent[]>(json, options)!;

        Assert.Equal(e, Assert.Single(back));
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<FarmEvent>("{\"kind\":\"exploded\"}", options));
    }

    [Fact]
    public void Every_kind_has_a_unique_kebab_case_name_that_parses_back()
    {
        var names = new HashSet<string>();
        foreach (var kind in Enum.GetValues<EventKind>())
        {
            var name = EventKindNames.ToKebabCase(kind);
            Assert.Matches("^[a-z]+(-[a-z]+)*$", name);
            Assert.True(names.Add(name));
            Assert.True(EventKindNames.TryParse(name, out var parsed));
            Assert.Equal(kind, parsed);
        }

        Assert.Equal("going-offline", EventKindNames.ToKebabCase(EventKind.GoingOffline));
        Assert.False(EventKindNames.TryParse("nope", out _));
    }
}
