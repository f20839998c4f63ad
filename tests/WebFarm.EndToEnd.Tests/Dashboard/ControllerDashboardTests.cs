using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace WebFarm.EndToEnd.Tests.Dashboard;

/// <summary>
/// The controller's dashboard in headless chromium against a real `webfarm controller` with real `webfarm agent`s and
/// backends: the joined servers with their agents' load, an action through the controller's API, a lost agent, the
/// trace and availability from the controller's records; every page with an empty console.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed partial class ControllerDashboardTests(DashboardBrowser browser)
{
    private const string NoReloadMarker = "window.__webfarmTestMarker";

    [Fact(Timeout = 240_000)]
    public async Task The_overview_lists_the_joined_servers_with_their_agents_reported_load()
    {
        await using var farm = await ControllerFarm.StartAsync(servers: 2);
        Assert.Contains($"Dashboard: {farm.Dashboard}", farm.Controller.Output, StringComparison.Ordinal);
        var (page, errors) = await browser.NewPageAsync();
        await page.GotoAsync(farm.Dashboard);
        await page.EvaluateAsync($"{NoReloadMarker} = 42");

        await Expect(page.Locator("table.servers").First.Locator("tbody tr")).ToHaveCountAsync(2);
        foreach (var name in (string[])["web1", "web2"])
        {
            await Expect(page.GetByRole(AriaRole.Link, new() { Name = name, Exact = true }).First).ToBeVisibleAsync();
            await Expect(Agent(page, name, "state")).ToHaveTextAsync("ready");
            await Expect(Agent(page, name, "heartbeat")).ToHaveTextAsync(SecondsAgo());
            await Expect(Agent(page, name, "cpu")).ToHaveTextAsync(new Regex(@"^\d+\.\d %$"));
            await Expect(Agent(page, name, "memory")).ToHaveTextAsync(new Regex(@"^\d+(\.\d)? [KMGT]iB of \d+(\.\d)? [KMGT]iB$"));
            await Expect(Agent(page, name, "load")).ToHaveTextAsync(new Regex(@"^\d+\.\d\d \d+\.\d\d \d+\.\d\d$"));
            await Expect(page.Locator($"[data-k='web|{name}|state']")).ToHaveTextAsync("Online");
        }

        // The figures are the agents' own reports, as the API gives them.
        var agents = await farm.AgentsAsync();
        Assert.All(agents, a => Assert.True(a.GetProperty("load").GetProperty("memoryTotalBytes").GetInt64() > 0, a.ToString()));

        Assert.Equal(42, await page.EvaluateAsync<int>(NoReloadMarker));
        await Screenshots.SaveAsync(page, "controller-overview-desktop");
        Assert.Empty(errors);
    }

    [Fact(Timeout = 240_000)]
    public async Task Draining_a_server_from_its_page_goes_through_the_controllers_API_and_the_event_appears_within_2s()
    {
        await using var farm = await ControllerFarm.StartAsync(servers: 2);
        var (page, errors) = await browser.NewPageAsync();
        await page.GotoAsync(farm.Dashboard + "servers/web1");
        await Expect(page.Locator("#live")).ToHaveTextAsync("live");
        await Expect(Agent(page, "web1", "state")).ToHaveTextAsync("ready");
        await page.EvaluateAsync($"{NoReloadMarker} = 42");
        var dialog = page.Locator("dialog#confirm");

        // Keyboard only: Enter on the button, Tab from Cancel (focused first) to Confirm, Enter.
        await page.FocusAsync("#action-drain");
        await page.Keyboard.PressAsync("Enter");
        await Expect(dialog).ToBeVisibleAsync();
        await Expect(dialog).ToContainTextAsync("Drain web1 in farm web?");
        await page.Keyboard.PressAsync("Tab");
        var clock = Stopwatch.StartNew();
        await page.Keyboard.PressAsync("Enter");
        var drainingEvent = page.Locator("ol.events li.kind-draining", new() { HasText = "web1" });
        await Expect(drainingEvent).ToBeVisibleAsync(new() { Timeout = 2_000 });
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"the event took {clock.Elapsed}");

        await Expect(page.Locator("#result")).ToContainTextAsync("web1 is draining");
        Assert.Equal("draining", await farm.ServerStateAsync("web", "web1"));
        Assert.Equal("online", await farm.ServerStateAsync("web", "web2"));
        await Expect(page.Locator("[data-k='web|web1|state']")).ToHaveTextAsync("Draining");
        Assert.Equal(42, await page.EvaluateAsync<int>(NoReloadMarker));
        await Screenshots.SaveAsync(page, "controller-server-desktop");
        Assert.Empty(errors);
    }

    [Fact(Timeout = 240_000)]
    public async Task An_agent_killed_turns_lost_on_the_page_and_availability_shows_its_unscheduled_downtime()
    {
        await using var farm = await ControllerFarm.StartAsync(servers: 2);
        var (page, errors) = await browser.NewPageAsync();
        await page.GotoAsync(farm.Dashboard);
        await page.EvaluateAsync($"{NoReloadMarker} = 42");
        await Expect(Agent(page, "web2", "state")).ToHaveTextAsync("ready");
        await Expect(page.Locator("#live")).ToHaveTextAsync("live");

        farm.Agents[1].Kill();

        await Expect(Agent(page, "web2", "state")).ToHaveTextAsync("lost");
        await Expect(page.Locator("tr[data-k='@agent|web2|row']")).ToHaveClassAsync("unavailable");
        await Expect(page.Locator("ol.events li.kind-failed", new() { HasText = "web2" })).ToBeVisibleAsync();
        await Expect(Agent(page, "web1", "state")).ToHaveTextAsync("ready");
        Assert.Equal("lost", (await farm.AgentsAsync()).Single(a => a.GetProperty("name").GetString() == "web2").GetProperty("state").GetString());
        Assert.Equal(42, await page.EvaluateAsync<int>(NoReloadMarker));

        // The controller recorded the outage: web2 down unscheduled (its agent lost), still ongoing; web1 and the farm up.
        await page.GotoAsync(farm.Dashboard + "availability?period=1h");
        var web2 = page.Locator("table.availability tr[data-subject='server/web2']");
        await Expect(web2.Locator("svg.timeline rect.unscheduled")).ToHaveCountAsync(1);
        await Expect(web2.Locator("td[data-label='Outages']")).ToHaveTextAsync("1");
        await Expect(page.Locator("table.downtime tr", new() { HasText = "server web2" })).ToContainTextAsync("unscheduled");
        await Expect(page.Locator("table.downtime tr", new() { HasText = "server web2" })).ToContainTextAsync("ongoing");
        await Expect(page.Locator("table.availability tr[data-subject='server/web1'] svg.timeline rect.unscheduled")).ToHaveCountAsync(0);
        await Expect(page.Locator("table.availability tr[data-subject='farm/farm'] td[data-label='Availability']")).ToHaveTextAsync("100 %");
        await Screenshots.SaveAsync(page, "controller-availability-desktop");

        // The period chooser asks again for another period.
        await page.SelectOptionAsync("select[name=period]", "7d");
        await page.ClickAsync("form.filters button[type=submit]");
        await Expect(page).ToHaveURLAsync(new Regex(@"availability\?period=7d$"));
        await Expect(page.Locator("table.availability tr[data-subject='server/web2'] svg.timeline rect.unscheduled")).ToHaveCountAsync(1);
        Assert.Empty(errors);
    }

    [Fact(Timeout = 240_000)]
    public async Task The_trace_page_shows_an_apps_output_live_filters_pauses_and_clear_empties_it()
    {
        await using var farm = await ControllerFarm.StartAsync(servers: 2);
        var (page, errors) = await browser.NewPageAsync();
        await page.GotoAsync(farm.Dashboard + "trace");
        await Expect(page.Locator("#live")).ToHaveTextAsync("live");
        await page.EvaluateAsync($"{NoReloadMarker} = 42");

        // An app is added after the page opened: its instances' first output line reaches the page by itself.
        var port = FreePort.Next();
        await farm.PostAsync("/api/apps", JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["name"] = "hello",
            ["command"] = RepositoryPaths.TestBackendDll,
            ["arguments"] = new[] { "--name", "{server}", "--port", "{port}", "--bind", "{host}" },
            ["ports"] = $"{port}-{port + 40}",
            ["healthPath"] = "/health",
        }));
        var lines = page.Locator("ol#trace li");
        await Expect(lines.Filter(new() { HasText = "LISTENING" })).ToHaveCountAsync(2, new() { Timeout = 90_000 });

        // Filter: one server's lines only.
        await page.SelectOptionAsync("#trace-server", "web2");
        await Expect(lines.Filter(new() { HasText = "LISTENING" })).ToHaveCountAsync(1);
        await Expect(lines.Locator(".where").Filter(new() { HasText = "web1" })).ToHaveCountAsync(0);
        await page.SelectOptionAsync("#trace-server", "");
        await page.FillAsync("#trace-filter", "listening");
        await Expect(lines).ToHaveCountAsync(2);
        await page.FillAsync("#trace-filter", "");
        await Screenshots.SaveAsync(page, "controller-trace-desktop");

        // Clear, confirmed: the page and the controller's trace are empty.
        await page.ClickAsync("#trace-clear");
        await Expect(page.Locator("dialog#confirm")).ToContainTextAsync("Clear the trace of every server?");
        await page.ClickAsync("dialog#confirm button[value=ok]");
        await Expect(page.Locator("#trace-status")).ToContainTextAsync("Cleared");
        await Expect(lines).ToHaveCountAsync(0);
        Assert.DoesNotContain(await farm.GetListAsync("/api/trace"), r => r.GetProperty("message").GetString()!.Contains("LISTENING", StringComparison.Ordinal));

        // Pause holds new lines back; Follow shows them. web1's instance killed: its supervisor starts a new one, which
        // prints its line again.
        await page.ClickAsync("#trace-follow");
        await Expect(page.Locator("#trace-follow")).ToHaveTextAsync("Follow");
        var instance = (await farm.GetListAsync("/api/ps?server=web1")).Single(r => r.GetProperty("app").GetString() == "hello");
        ProcessProbe.Signal(instance.GetProperty("pid").GetInt32(), "KILL");
        await Eventually.True(async () => (await farm.GetListAsync("/api/trace?filter=LISTENING")).Count >= 1, TimeSpan.FromSeconds(90), "the new instance's output reached the controller");
        await Expect(lines).ToHaveCountAsync(0);
        await page.ClickAsync("#trace-follow");
        await Expect(lines.Filter(new() { HasText = "LISTENING" })).ToHaveCountAsync(1);
        Assert.Equal(42, await page.EvaluateAsync<int>(NoReloadMarker));
        Assert.Empty(errors);
    }

    [Fact(Timeout = 240_000)]
    public async Task The_events_and_deployments_pages_work_and_fit_a_phone()
    {
        await using var farm = await ControllerFarm.StartAsync(servers: 1);
        var (page, errors) = await browser.NewPageAsync(width: 390, height: 844);
        foreach (var path in (string[])["", "servers/web1", "events", "trace", "availability?period=1h", "deployments"])
        {
            await page.GotoAsync(farm.Dashboard + path);
            await Expect(page.Locator("#live")).Not.ToHaveTextAsync("connecting…");
            var overflow = await page.EvaluateAsync<int>("document.documentElement.scrollWidth - window.innerWidth");
            Assert.True(overflow <= 0, $"{path}: the page is {overflow}px wider than a 390px phone");
            if (path.Length == 0)
            {
                await Screenshots.SaveAsync(page, "controller-overview-phone");
            }
        }

        // The page reads the deployment engine's list (through the dashboard's cookie path): none yet on this farm.
        await Expect(page.Locator("#deployments")).ToContainTextAsync("No deployment yet.");
        await Expect(page.Locator("#deployments")).Not.ToHaveAttributeAsync("aria-busy", "true");
        Assert.Empty(errors);
    }

    private static ILocator Agent(IPage page, string server, string field) => page.Locator($"[data-k='@agent|{server}|{field}']");

    [GeneratedRegex(@"^\d+(\.\d)? s ago$")]
    private static partial Regex SecondsAgo();
}
