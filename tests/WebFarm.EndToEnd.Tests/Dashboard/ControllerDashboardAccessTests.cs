using System.Net;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace WebFarm.EndToEnd.Tests.Dashboard;

/// <summary>
/// The controller's dashboard keeps the API's token: the login form (once, then an HttpOnly cookie), CSRF on every
/// action, the wrong-token limit; agents keep joining and heartbeating with their own credentials meanwhile.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed class ControllerDashboardAccessTests(DashboardBrowser browser)
{
    private const string Token = "controller-dashboard-token-0123456789";

    [Fact(Timeout = 240_000)]
    public async Task The_login_form_takes_the_controllers_token_and_an_action_needs_the_CSRF_token()
    {
        await using var farm = await ControllerFarm.StartAsync(servers: 1, token: Token);
        var (page, errors) = await browser.NewPageAsync();
        await DashboardLogin.LogInThroughTheFormAsync(page, farm.Url, Token, "controller");
        await Expect(page.Locator("[data-k='@agent|web1|state']")).ToHaveTextAsync("ready");
        Assert.Empty(errors);

        // Over plain HTTP: logged in, an action without the page's CSRF token is refused and changes nothing.
        using var client = DashboardLogin.Client(farm.Url);
        using (var login = await client.PostAsync("/dashboard/login", new FormUrlEncodedContent([new("token", Token)])))
        {
            Assert.Equal(HttpStatusCode.SeeOther, login.StatusCode);
        }

        var csrf = await DashboardLogin.CsrfTokenAsync(client);
        const string drain = "/dashboard/api/farms/web/servers/web1/drain";
        using (var refused = await client.PostAsync(drain, null))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Contains("X-WebFarm-Csrf", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Equal("online", await farm.ServerStateAsync("web", "web1"));
        using (var accepted = new HttpRequestMessage(HttpMethod.Post, drain))
        {
            accepted.Headers.Add("X-WebFarm-Csrf", csrf);
            using var response = await client.SendAsync(accepted);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal("draining", await farm.ServerStateAsync("web", "web1"));

        // The API itself still wants the bearer token, and the agent still heartbeats with its credential.
        using (var anonymous = new HttpClient { BaseAddress = farm.Url })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/agents")).StatusCode);
        }

        Assert.Equal("ready", Assert.Single(await farm.AgentsAsync()).GetProperty("state").GetString());
    }

    [Fact(Timeout = 240_000)]
    public async Task Wrong_tokens_are_limited_per_client_on_the_login_form_and_the_API()
    {
        await using var farm = await ControllerFarm.StartAsync(servers: 1, token: Token);
        await LoginLimit.AssertAsync(farm.Url, Token, "/api/agents");

        // The agent, refused nothing: its heartbeats carry its own credential, not the operator's token.
        var heartbeat = DateTimeOffset.Parse(Assert.Single(await farm.AgentsAsync()).GetProperty("lastHeartbeat").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        await Eventually.True(async () => DateTimeOffset.Parse((await farm.AgentsAsync())[0].GetProperty("lastHeartbeat").GetString()!, System.Globalization.CultureInfo.InvariantCulture) > heartbeat, TimeSpan.FromSeconds(20), "a later heartbeat");
    }
}
