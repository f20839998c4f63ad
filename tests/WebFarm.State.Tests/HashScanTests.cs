using WebFarm.State.Hosting;
using WebFarm.State.Tests.Infrastructure;

namespace WebFarm.State.Tests;

/// <summary>HSCAN over hashes too big to answer in one reply: the SCAN guarantees under concurrent changes.</summary>
public sealed class HashScanTests : IAsyncLifetime
{
    private StateServer _server = null!;

    public async Task InitializeAsync() => _server = await StateServer.StartAsync(new StateServerOptions { Port = 0 });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static async Task FillAsync(RawClient client, string key, int fields)
    {
        var args = new List<object> { "HSET", key };
        for (var i = 0; i < fields; i++)
        {
            args.Add($"f{i}");
            args.Add($"v{i}");
        }

        Assert.Equal((long)fields, await client.CallAsync([.. args]));
    }

    [Fact]
    public async Task A_full_iteration_returns_every_field_with_its_value_in_pages_of_about_count()
    {
        await using var client = await RawClient.ConnectAsync(_server.EndPoint);
        await FillAsync(client, "big", 1000);
        var seen = new Dictionary<string, string>();
        var cursor = "0";
        var calls = 0;
        var returned = 0;
        do
        {
            var reply = Assert.IsType<object?[]>(await client.CallAsync("HSCAN", "big", cursor, "COUNT", "25"));
            cursor = (string)reply[0]!;
            var pairs = Assert.IsType<object?[]>(reply[1]);
            // COUNT is a hint: a page may only exceed it by fields sharing a hash code.
            Assert.InRange(pairs.Length / 2, 1, 30);
            for (var i = 0; i < pairs.Length; i += 2)
            {
                seen[(string)pairs[i]!] = (string)pairs[i + 1]!;
                returned++;
            }

            calls++;
        }
        while (cursor != "0" && calls < 1000);

        Assert.Equal(1000, seen.Count);
        // Nothing changed during the scan, so nothing came twice (SCAN would allow it; this walk never needs it).
        Assert.Equal(1000, returned);
        Assert.All(seen, pair => Assert.Equal("v" + pair.Key[1..], pair.Value));
        Assert.InRange(calls, 1000 / 30, 1000 / 20);
    }

    [Fact]
    public async Task Fields_present_for_the_whole_scan_are_returned_even_while_others_come_and_go()
    {
        await using var client = await RawClient.ConnectAsync(_server.EndPoint);
        await using var writer = await RawClient.ConnectAsync(_server.EndPoint);
        await FillAsync(client, "busy", 500);
        var seen = new HashSet<string>();
        var cursor = "0";
        var round = 0;
        do
        {
            var reply = Assert.IsType<object?[]>(await client.CallAsync("HSCAN", "busy", cursor, "COUNT", "20"));
            cursor = (string)reply[0]!;
            var pairs = Assert.IsType<object?[]>(reply[1]);
            for (var i = 0; i < pairs.Length; i += 2)
            {
                seen.Add((string)pairs[i]!);
            }

            // Between pages: remove two of the volatile fields (f400..f499) and add two new ones.
            await writer.CallAsync("HDEL", "busy", $"f{400 + (2 * round)}", $"f{401 + (2 * round)}");
            await writer.CallAsync("HSET", "busy", $"new{round}", "x", $"new{round}b", "y");
            round++;
        }
        while (cursor != "0" && round < 1000);

        for (var i = 0; i < 400; i++)
        {
            Assert.Contains($"f{i}", seen);
        }
    }

    [Fact]
    public async Task Match_filters_the_fields_of_each_page()
    {
        await using var client = await RawClient.ConnectAsync(_server.EndPoint);
        await FillAsync(client, "m", 300);
        var seen = new List<string>();
        var cursor = "0";
        do
        {
            var reply = Assert.IsType<object?[]>(await client.CallAsync("HSCAN", "m", cursor, "MATCH", "f1?", "COUNT", "50"));
            cursor = (string)reply[0]!;
            var pairs = Assert.IsType<object?[]>(reply[1]);
            for (var i = 0; i < pairs.Length; i += 2)
            {
                seen.Add((string)pairs[i]!);
            }
        }
        while (cursor != "0");

        Assert.Equal(Enumerable.Range(10, 10).Select(i => $"f{i}").Order(), seen.Order());
    }
}
