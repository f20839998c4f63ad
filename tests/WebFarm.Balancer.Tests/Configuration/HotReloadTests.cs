using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Events;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Configuration;

/// <summary>The config file is watched: good changes apply under load without failed requests; bad ones are refused.</summary>
[Collection(TimingCollection.Name)]
public sealed class HotReloadTests
{
    private static string Config(string servers, string connectTimeout = "5s", string topLevel = "") => $$"""
        {
          {{topLevel}}
          "Farms": {
            "web": {
              "Timeouts": { "Connect": "{{connectTimeout}}" },
              "Servers": [ {{servers}} ]
            }
          }
        }
        """;

    private static string Server(string name, TestBackend backend, int weight = 1)
        => $$"""{ "Name": "{{name}}", "Address": "{{backend.Address}}", "Weight": {{weight}} }""";

    /// <summary>Replaces the file atomically, as editors and deploy tools do.</summary>
    private static void WriteConfig(string path, string json)
    {
        var temp = path + ".new";
        File.WriteAllText(temp, json);
        File.Move(temp, path, overwrite: true);
    }

    [Fact]
    public async Task Good_and_bad_reloads_under_load_fail_no_request()
    {
        var slowRelease = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var a = await TestBackend.StartAsync(async context =>
        {
            if (context.Request.Path == "/slow")
            {
                await slowRelease.Task.WaitAsync(TimeSpan.FromSeconds(30));
            }

            await context.Response.WriteAsync("a");
        });
        await using var b = await TestBackend.StartNamedAsync("b");
        await using var balancer = await TestBalancer.StartFromJsonAsync(Config(Server("a", a)));
        var events = balancer.Runtime.Events;

        // Bounded load: 4 workers, stopped explicitly below or after 60 s. The count bound is far above what a fast
        // machine sends in that time (CI ran 3000 per worker in under 10 s and the load ended before the last phase).
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var failures = 0;
        var completed = 0;
        var failureDetails = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var workers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 250_000 && !stop.IsCancellationRequested; i++)
            {
                try
                {
                    using var response = await balancer.Client.GetAsync("/load");
                    var text = await response.Content.ReadAsStringAsync();
                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        Interlocked.Increment(ref failures);
                        failureDetails.Enqueue($"{(int)response.StatusCode}: {text}");
                    }

                    Interlocked.Increment(ref completed);
                }
                catch (HttpRequestException ex)
                {
                    Interlocked.Increment(ref failures);
                    failureDetails.Enqueue(ex.ToString());
                }
            }
        })).ToArray();

        // An in-flight request on server "a" must survive a reload that removes "a".
        var slow = balancer.Client.GetAsync("/slow");
        await Eventually.True(() => balancer.Runtime.Farms["web"].Servers[0].InFlight > 0);

        // Good reload: add b, change a transport setting (new connection pool), weight b higher.
        WriteConfig(balancer.ConfigPath!, Config(Server("a", a) + ", " + Server("b", b, 3), connectTimeout: "3s"));
        await Eventually.True(() => events.Since(0).Any(e => e.Kind == EventKind.ConfigReloaded), TimeSpan.FromSeconds(15), "config-reloaded");
        await Eventually.True(() => b.Requests > 20, TimeSpan.FromSeconds(15), "b takes traffic");

        // Bad reload: rejected, the running config stays.
        WriteConfig(balancer.ConfigPath!, """{ "Farms": { "web": { "Servers": [ { "Name": "x", "Address": "nope" } ] } } }""");
        await Eventually.True(() => events.Since(0).Any(e => e.Kind == EventKind.ConfigRejected), TimeSpan.FromSeconds(15), "config-rejected");
        var rejected = events.Since(0).First(e => e.Kind == EventKind.ConfigRejected);
        Assert.Contains("$.Farms.web.Servers[0].Address", rejected.Message);
        Assert.Equal(2, balancer.Runtime.Farms["web"].Servers.Count);

        // Remove "a" while its slow request is in flight.
        WriteConfig(balancer.ConfigPath!, Config(Server("b", b)));
        await Eventually.True(() => balancer.Runtime.Farms["web"].Servers.Count == 1, TimeSpan.FromSeconds(15), "a removed");
        Assert.False(workers.All(w => w.IsCompleted), "the load still runs when a is removed");
        var bBefore = b.Requests;
        await Eventually.True(() => b.Requests > bBefore + 20, TimeSpan.FromSeconds(15), "load continues on b");
        slowRelease.SetResult();
        using (var slowResponse = await slow)
        {
            Assert.Equal(HttpStatusCode.OK, slowResponse.StatusCode);
            Assert.Equal("a", await slowResponse.Content.ReadAsStringAsync());
        }

        stop.Cancel();
        await Task.WhenAll(workers);
        Assert.True(Volatile.Read(ref failures) == 0, string.Join(Environment.NewLine, failureDetails));
        Assert.True(completed > 100, $"only {completed} requests ran");
    }

    [Fact]
    public async Task Touching_the_file_without_changing_it_does_not_reload()
    {
        await using var a = await TestBackend.StartNamedAsync("a");
        await using var balancer = await TestBalancer.StartFromJsonAsync(Config(Server("a", a)));

        File.SetLastWriteTimeUtc(balancer.ConfigPath!, DateTime.UtcNow.AddMinutes(1));
        WriteConfig(balancer.ConfigPath!, File.ReadAllText(balancer.ConfigPath!));
        await Task.Delay(TimeSpan.FromSeconds(1));

        Assert.DoesNotContain(balancer.Runtime.Events.Since(0), e => e.Kind is EventKind.ConfigReloaded or EventKind.ConfigRejected);
        Assert.True(balancer.Host.Reload(), "an explicit reload of a valid file succeeds");
    }

    [Fact]
    public async Task A_reload_that_changes_restart_only_settings_applies_the_rest_and_its_event_names_them()
    {
        await using var a = await TestBackend.StartNamedAsync("a");
        await using var b = await TestBackend.StartNamedAsync("b");
        await using var balancer = await TestBalancer.StartFromJsonAsync(Config(Server("a", a)));
        var started = balancer.Runtime.Config;

        async Task<string> NextReloadMessageAsync(int reloadsBefore)
        {
            // Read through the admin API: the event stream is where an operator (or the dashboard) sees it.
            string? message = null;
            await Eventually.True(
                async () =>
                {
                    using var events = JsonDocument.Parse(await balancer.Admin.GetStringAsync("/api/events"));
                    var reloads = events.RootElement.EnumerateArray().Where(e => e.GetProperty("kind").GetString() == "config-reloaded").ToList();
                    message = reloads.Count > reloadsBefore ? reloads[reloadsBefore].GetProperty("message").GetString() : null;
                    return message is not null;
                },
                TimeSpan.FromSeconds(15),
                "config-reloaded");
            return message!;
        }

        // A reload of live settings only says nothing about a restart.
        WriteConfig(balancer.ConfigPath!, Config(Server("a", a) + ", " + Server("b", b)));
        var plain = await NextReloadMessageAsync(0);
        Assert.DoesNotContain("restart", plain, StringComparison.Ordinal);

        // SocketEngine and StateDirectory are read at start only; the server change in the same file applies now.
        WriteConfig(balancer.ConfigPath!, Config(Server("b", b), topLevel: """ "SocketEngine": "Sockets", "StateDirectory": "elsewhere", """));
        var pending = await NextReloadMessageAsync(1);
        Assert.Contains("StateDirectory, SocketEngine changed: applied at the next restart", pending, StringComparison.Ordinal);
        Assert.DoesNotContain("Listen", pending, StringComparison.Ordinal);
        Assert.DoesNotContain("Admin", pending, StringComparison.Ordinal);

        var running = balancer.Runtime.Config;
        Assert.Equal(started.SocketEngine, running.SocketEngine);
        Assert.Equal(started.StateDirectory, running.StateDirectory);
        Assert.Equal(["b"], running.Farms["web"].Servers.Select(s => s.Name));
        Assert.Equal("b", await balancer.Client.GetStringAsync("/"));
    }
}
