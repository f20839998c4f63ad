using System.Diagnostics;
using Microsoft.Playwright;
using WebFarm.EndToEnd.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace WebFarm.EndToEnd.Tests.Dashboard;

/// <summary>
/// The dashboard in headless chromium against a real `webfarm balancer` and real backend processes: what the
/// pages show, that they follow the farm without a reload, and that actions change the balancer.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed class DashboardPageTests(DashboardBrowser browser)
{
    private const string NoReloadMarker = "window.__webfarmTestMarker";

    [Fact(Timeout = 180_000)]
    public async Task The_overview_lists_the_servers_of_a_running_farm_and_follows_its_traffic()
    {
        await using var farm = await DashboardFarm.StartAsync(servers: 2);
        Assert.Contains($"Dashboard: {farm.Dashboard}", farm.Balancer.Output, StringComparison.Ordinal);
        var (page, errors) = await browser.NewPageAsync();
        await page.GotoAsync(farm.Dashboard);
        await page.EvaluateAsync($"{NoReloadMarker} = 42");

        await Expect(page.Locator("table.servers tbody tr")).ToHaveCountAsync(2);
        foreach (var name in (string[])["web1", "web2"])
        {
            await Expect(page.GetByRole(AriaRole.Link, new() { Name = name, Exact = true })).ToBeVisibleAsync();
            await Expect(Cell(page, name, "state")).ToHaveTextAsync("Online");
            await Expect(Cell(page, name, "health")).ToHaveTextAsync("healthy");
            await Expect(Cell(page, name, "weight")).ToHaveTextAsync("1");
        }

        // Traffic through the balancer shows up in the table without a reload. The load is bounded in count and
        // time, and stops as soon as the page shows it.
        using var load = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var sender = SendLoadAsync(farm.Balancer.Url, load.Token);
        await Expect(Cell(page, "web1", "rps")).Not.ToHaveTextAsync("0.0", new() { Timeout = 60_000 });
        await load.CancelAsync();
        Assert.True(await sender > 0);
        Assert.Equal(42, await page.EvaluateAsync<int>(NoReloadMarker));
        Assert.Empty(errors);
    }

    [Fact(Timeout = 180_000)]
    public async Task Draining_from_the_server_page_changes_the_balancer_and_its_event_appears_within_2s()
    {
        await using var farm = await DashboardFarm.StartAsync(servers: 2);
        var (page, errors) = await browser.NewPageAsync();
        await page.GotoAsync(farm.Dashboard + "farms/web/servers/web1");
        await Expect(page.Locator("#live")).ToHaveTextAsync("live");
        await page.EvaluateAsync($"{NoReloadMarker} = 42");
        var dialog = page.Locator("dialog#confirm");

        // Every action asks first; Escape cancels and nothing changes.
        await page.FocusAsync("#action-drain");
        await page.Keyboard.PressAsync("Enter");
        await Expect(dialog).ToBeVisibleAsync();
        await Expect(dialog).ToContainTextAsync("Drain web1 in farm web?");
        await page.Keyboard.PressAsync("Escape");
        await Expect(page.Locator("#result")).ToHaveTextAsync("Drain: cancelled.");
        Assert.Equal("online", (await farm.Balancer.GetServerAsync("web1")).GetProperty("state").GetString());

        // Keyboard only: Enter on the button, Tab from Cancel (focused first) to Confirm, Enter.
        await page.Keyboard.PressAsync("Enter");
        await Expect(dialog).ToBeVisibleAsync();
        await page.Keyboard.PressAsync("Tab");
        var clock = Stopwatch.StartNew();
        await page.Keyboard.PressAsync("Enter");
        var drainingEvent = page.Locator("ol.events li.kind-draining", new() { HasText = "web1" });
        await Expect(drainingEvent).ToBeVisibleAsync(new() { Timeout = 2_000 });
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"the event took {clock.Elapsed}");

        await Expect(page.Locator("#result")).ToContainTextAsync("web1 is draining");
        Assert.Equal("draining", (await farm.Balancer.GetServerAsync("web1")).GetProperty("state").GetString());
        await Expect(Cell(page, "web1", "state")).ToHaveTextAsync("Draining");
        Assert.Equal(42, await page.EvaluateAsync<int>(NoReloadMarker));
        Assert.Empty(errors);
    }

    [Fact(Timeout = 180_000)]
    public async Task A_server_killed_under_the_pages_eyes_turns_unhealthy_on_it()
    {
        await using var farm = await DashboardFarm.StartAsync(servers: 2);
        var (page, errors) = await browser.NewPageAsync();
        await page.GotoAsync(farm.Dashboard);
        await page.EvaluateAsync($"{NoReloadMarker} = 42");
        await Expect(Cell(page, "web2", "health")).ToHaveTextAsync("healthy");
        await Expect(page.Locator("#live")).ToHaveTextAsync("live");

        farm.Backends[1].Kill();

        await Expect(Cell(page, "web2", "health")).ToHaveTextAsync("unhealthy");
        await Expect(page.Locator("tr[data-k='web|web2|row']")).ToHaveClassAsync("unavailable");
        await Expect(page.Locator("ol.events li.kind-failed", new() { HasText = "web2" })).ToBeVisibleAsync();
        await Expect(Cell(page, "web1", "health")).ToHaveTextAsync("healthy");
        Assert.False((await farm.Balancer.GetServerAsync("web2")).GetProperty("healthy").GetBoolean());
        Assert.Equal(42, await page.EvaluateAsync<int>(NoReloadMarker));
        Assert.Empty(errors);
    }

    [Fact(Timeout = 180_000)]
    public async Task The_pages_fit_a_phone_and_availability_shows_a_drain_as_scheduled_downtime()
    {
        await using var farm = await DashboardFarm.StartAsync(servers: 2);
        await farm.Balancer.SetStateAsync("web2", "drain");
        await farm.Balancer.SetStateAsync("web2", "online");
        var (page, errors) = await browser.NewPageAsync(width: 390, height: 844);
        foreach (var path in (string[])["", "farms/web/servers/web1", "events", "availability?period=1h"])
        {
            await page.GotoAsync(farm.Dashboard + path);
            await Expect(page.Locator("#live")).ToHaveTextAsync("live");
            var overflow = await page.EvaluateAsync<int>("document.documentElement.scrollWidth - window.innerWidth");
            Assert.True(overflow <= 0, $"{path}: the page is {overflow}px wider than a 390px phone");
        }

        // The availability page (still open) replays the events: web2 was drained, then online again.
        var web2 = page.Locator("table.availability tr", new() { Has = page.Locator("th", new() { HasTextString = "web2" }) });
        await Expect(web2.Locator("svg.timeline rect.scheduled")).ToHaveCountAsync(1);
        // A drain is not downtime: 100 % unless a health check really failed meanwhile (a loaded machine), which the
        // events would say.
        using var api = farm.Balancer.ApiClient();
        var events = await api.GetStringAsync("/api/events?since=0");
        if (!events.Contains("\"failed\"", StringComparison.Ordinal))
        {
            await Expect(web2.Locator("td[data-label='Availability']")).ToHaveTextAsync("100 %");
            await Expect(page.Locator("table.availability tr.farm-row td[data-label='Availability']")).ToHaveTextAsync("100 %");
        }
        Assert.Empty(errors);
    }

    [Fact(Timeout = 180_000)]
    public async Task The_events_page_filters_and_pauses_the_live_stream()
    {
        await using var farm = await DashboardFarm.StartAsync(servers: 2);
        var (page, errors) = await browser.NewPageAsync();
        await page.GotoAsync(farm.Dashboard + "events");
        await Expect(page.Locator("#live")).ToHaveTextAsync("live");
        await page.SelectOptionAsync("#filter-server", "web2");

        await farm.Balancer.SetStateAsync("web1", "drain");
        await farm.Balancer.SetStateAsync("web2", "drain");
        var events = page.Locator("ol.events li");
        await Expect(events.Filter(new() { HasText = "web2 is draining" })).ToHaveCountAsync(1);
        await Expect(events.Filter(new() { HasText = "web1" })).ToHaveCountAsync(0);

        await page.ClickAsync("#pause");
        await farm.Balancer.SetStateAsync("web2", "online");
        await Expect(page.Locator("#held")).ToContainTextAsync("held");
        await Expect(events.Filter(new() { HasText = "web2 is online" })).ToHaveCountAsync(0);
        await page.ClickAsync("#pause");
        await Expect(events.Filter(new() { HasText = "web2 is online" })).ToHaveCountAsync(1);

        await page.SelectOptionAsync("#filter-server", "");
        await Expect(events.Filter(new() { HasText = "web1 is draining" })).ToHaveCountAsync(1);
        Assert.Empty(errors);
    }

    [Fact(Timeout = 300_000)]
    public async Task Webfarm_up_prints_the_dashboard_and_it_shows_the_supervised_instances()
    {
        await using var up = await UpProcess.StartAsync(servers: 2);
        // `up` runs a controller: the dashboard it prints is the controller's (agents, their instances, the app's farm).
        var dashboard = new Uri(up.ControllerUrl!, "/dashboard/").ToString();
        // Printed right after "WebFarm is up:" (what UpProcess waits for): the line may be read a moment later.
        await Eventually.True(() => up.Output.Contains($"Dashboard: {dashboard}", StringComparison.Ordinal), TimeSpan.FromSeconds(20), $"`webfarm up` printed its dashboard; output:\n{up.Output}");
        var (page, errors) = await browser.NewPageAsync();
        await page.GotoAsync(dashboard);

        await Expect(page.Locator("table.servers").First.Locator("tbody tr")).ToHaveCountAsync(2);
        foreach (var name in (string[])["web1", "web2"])
        {
            // Each agent, and its instance of the app `web`: healthy and in the app's farm.
            await Expect(page.Locator($"[data-k='@agent|{name}|state']")).ToHaveTextAsync("ready");
            await Expect(page.Locator($"[data-k='@instance|{name}/web|healthy']")).ToHaveTextAsync("healthy");
            await Expect(page.Locator($"[data-k='@instance|{name}/web|rotation']")).ToHaveTextAsync("yes");
        }

        await Expect(page.Locator("#live")).ToHaveTextAsync("live");
        Assert.Empty(errors);
    }

    private static ILocator Cell(IPage page, string server, string field) => page.Locator($"[data-k='web|{server}|{field}']");

    private static async Task<long> SendLoadAsync(Uri url, CancellationToken stop)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        long sent = 0;
        try
        {
            while (!stop.IsCancellationRequested && sent < 1_000_000)
            {
                using var response = await client.GetAsync(url, stop);
                sent++;
            }
        }
        catch (OperationCanceledException)
        {
            // The page showed the traffic, or the time bound passed.
        }

        return sent;
    }
}
