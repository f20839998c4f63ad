using WebFarm.State.Tests.Infrastructure;

namespace WebFarm.State.Tests;

/// <summary>The real `webfarm state` executable: kill -9 durability, SIGTERM, argument errors.</summary>
public sealed class ProcessTests : IDisposable
{
    private readonly TempDirectory _dir = new("webfarm-state-proc-");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Kill_9_loses_at_most_about_a_second_of_writes()
    {
        var port = FreePort.Next();
        await using (var process = await WebfarmProcess.StartAsync($"state --port {port} --dir \"{_dir.Path}\"", port))
        {
            await process.WaitUntilServingAsync();
            await using var client = await RawClient.ConnectAsync(process.EndPoint);
            for (var i = 0; i < 1000; i++)
            {
                await client.SendRawAsync(RawClient.Encode("SET", $"durable:{i}", $"value-{i}"));
            }

            for (var i = 0; i < 1000; i++)
            {
                Assert.Equal("OK", await client.ReadReplyAsync());
            }

            // The promise under test: writes older than the fsync interval (1 s) survive a crash.
            await Task.Delay(TimeSpan.FromSeconds(1.5));
            for (var i = 0; i < 200; i++)
            {
                await client.SendRawAsync(RawClient.Encode("SET", $"recent:{i}", "v"));
            }

            process.KillHard();
            await process.WaitForExitAsync(TimeSpan.FromSeconds(10));
        }

        await using (var process = await WebfarmProcess.StartAsync($"state --port {port} --dir \"{_dir.Path}\"", port))
        {
            await process.WaitUntilServingAsync();
            await using var client = await RawClient.ConnectAsync(process.EndPoint);
            var size = (long)(await client.CallAsync("DBSIZE"))!;
            Assert.InRange(size, 1000, 1200);
            Assert.Equal("value-0", await client.CallAsync("GET", "durable:0"));
            Assert.Equal("value-999", await client.CallAsync("GET", "durable:999"));
        }
    }

    [Fact]
    public async Task Sigterm_stops_cleanly_and_keeps_the_data()
    {
        var port = FreePort.Next();
        await using (var process = await WebfarmProcess.StartAsync($"state --port {port} --dir \"{_dir.Path}\" --appendfsync no", port))
        {
            await process.WaitUntilServingAsync();
            Assert.Equal("OK", await RedisTools.CliAsync(process.EndPoint, "SET last-write kept"));
            process.Terminate();
            Assert.Equal(0, await process.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        }

        await using (var process = await WebfarmProcess.StartAsync($"state --port {port} --dir \"{_dir.Path}\"", port))
        {
            await process.WaitUntilServingAsync();
            Assert.Equal("kept", await RedisTools.CliAsync(process.EndPoint, "GET last-write"));
        }
    }

    [Fact(Timeout = 180_000)]
    public async Task Sigterm_stops_the_server_within_its_shutdown_timeout_whatever_clients_are_doing()
    {
        var port = FreePort.Next();
        await using var process = await WebfarmProcess.StartAsync($"state --port {port} --dir \"{_dir.Path}\"", port);
        await process.WaitUntilServingAsync();

        // A command in flight: a key walk that runs for a long time (exponential for a backtracking matcher).
        await using var walker = await RawClient.ConnectAsync(process.EndPoint);
        await SlowWalk.PopulateAsync(walker);
        Assert.Equal("OK", await walker.CallAsync("CLIENT", "SETNAME", "walker"));
        await walker.SendRawAsync(RawClient.Encode("KEYS", SlowWalk.Pattern));
        await using var observer = await RawClient.ConnectAsync(process.EndPoint);
        await SlowWalk.WaitUntilRunningAsync(observer, "walker", "KEYS");

        // A client that never reads: far more reply bytes than the output buffer holds.
        await using var stalled = await RawClient.ConnectAsync(process.EndPoint);
        stalled.Socket.ReceiveBufferSize = 4096;
        Assert.Equal("OK", await stalled.CallAsync("SET", "big", new string('b', 1024 * 1024)));
        var gets = new List<byte>();
        for (var i = 0; i < 64; i++)
        {
            gets.AddRange(RawClient.Encode("GET", "big"));
        }

        await stalled.SendRawAsync([.. gets]);

        process.Terminate();
        // The shutdown timeout is 10 s; the rest is process start-up and exit overhead on a busy machine.
        Assert.Equal(0, await process.WaitForExitAsync(TimeSpan.FromSeconds(40)));
    }

    [Theory]
    [InlineData("state --port abc", "--port 'abc' is not a port number")]
    [InlineData("state --maxmemory 10xb", "unknown unit")]
    [InlineData("state --appendfsync sometimes", "not one of everysec, always, no")]
    [InlineData("state --maxmemory-policy allkeys-lfu", "LFU is not supported")]
    [InlineData("state --replica-of nohost", "is not host:port")]
    [InlineData("state --bind not-an-ip", "is not an IP address")]
    [InlineData("state bogus", "Unrecognized command or argument 'bogus'")]
    public async Task Bad_arguments_exit_with_code_2_and_say_why(string arguments, string message)
    {
        await using var process = await WebfarmProcess.StartAsync(arguments, 0);
        Assert.Equal(2, await process.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains(message, process.Output);
    }
}
