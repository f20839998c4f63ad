using System.Net;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace WebFarm.EndToEnd.Tests.Dashboard;

/// <summary>
/// The dashboard's login (the admin token, once, in a form; then an HttpOnly, SameSite=Strict cookie) and its CSRF
/// protection, in the browser and over plain HTTP against a real `webfarm balancer`.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed class DashboardAccessTests(DashboardBrowser browser)
{
    private const string Token = "dashboard-test-token-0123456789";
    private const string Drain = "/dashboard/api/farms/web/servers/web1/drain";

    [Fact(Timeout = 180_000)]
    public async Task The_login_form_refuses_a_wrong_token_and_accepts_the_right_one()
    {
        await using var farm = await DashboardFarm.StartAsync(servers: 1, token: Token);
        var (page, errors) = await browser.NewPageAsync();
        await DashboardLogin.LogInThroughTheFormAsync(page, farm.Balancer.AdminUrl, Token, "balancer");
        await Expect(page.Locator("[data-k='web|web1|state']")).ToHaveTextAsync("Online");

        // Logging out ends the session: the next page asks for the token again.
        await page.ClickAsync("#logout");
        await Expect(page).ToHaveURLAsync(new Uri(farm.Balancer.AdminUrl, "/dashboard/login").ToString());
        await page.GotoAsync(farm.Dashboard);
        await Expect(page.Locator("#token")).ToBeVisibleAsync();
        Assert.Empty(errors);
    }

    [Fact(Timeout = 120_000)]
    public async Task An_action_without_the_CSRF_token_is_refused()
    {
        await using var farm = await DashboardFarm.StartAsync(servers: 1, token: Token);
        using var client = Client(farm);

        using (var login = await client.PostAsync("/dashboard/login", new FormUrlEncodedContent([new("token", Token)])))
        {
            Assert.Equal(HttpStatusCode.SeeOther, login.StatusCode);
        }

        var csrf = await DashboardLogin.CsrfTokenAsync(client);
        Assert.NotEmpty(csrf);

        // Logged in, but without the page's CSRF token (what a cross-site form could send): refused, nothing changes.
        using (var refused = await client.PostAsync(Drain, null))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Contains("X-WebFarm-Csrf", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var wrong = await Send(client, Drain, "a" + csrf))
        {
            Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        }

        Assert.Equal("online", (await farm.Balancer.GetServerAsync("web1")).GetProperty("state").GetString());

        // The token without the login cookie: not logged in.
        using (var anonymous = Client(farm))
        using (var noCookie = await Send(anonymous, Drain, csrf))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, noCookie.StatusCode);
        }

        using (var accepted = await Send(client, Drain, csrf))
        {
            Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        }

        Assert.Equal("draining", (await farm.Balancer.GetServerAsync("web1")).GetProperty("state").GetString());
    }

    [Fact(Timeout = 120_000)]
    public async Task Without_a_token_a_browser_still_needs_the_CSRF_token_and_the_CLI_does_not()
    {
        await using var farm = await DashboardFarm.StartAsync(servers: 1);
        using var client = Client(farm);
        var csrf = await DashboardLogin.CsrfTokenAsync(client);

        using (var refused = await client.PostAsync(Drain, null))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        // Another site's page posting to the loopback admin API: the browser adds Origin, and it is refused.
        using (var crossSite = new HttpRequestMessage(HttpMethod.Post, "/api/farms/web/servers/web1/drain"))
        {
            crossSite.Headers.Add("Origin", "http://attacker.example");
            using var response = await client.SendAsync(crossSite);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }

        Assert.Equal("online", (await farm.Balancer.GetServerAsync("web1")).GetProperty("state").GetString());

        using (var page = await Send(client, Drain, csrf))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        }

        // The CLI (no Origin, no cookie) keeps working against a loopback API without a token.
        await farm.Balancer.SetStateAsync("web1", "online");
        Assert.Equal("online", (await farm.Balancer.GetServerAsync("web1")).GetProperty("state").GetString());
    }

    [Fact(Timeout = 120_000)]
    public async Task Wrong_tokens_are_limited_per_client_on_the_login_form_and_the_API()
    {
        await using var farm = await DashboardFarm.StartAsync(servers: 1, token: Token);
        await LoginLimit.AssertAsync(farm.Balancer.AdminUrl, Token, "/api/farms");
    }

    private static HttpClient Client(DashboardFarm farm) => DashboardLogin.Client(farm.Balancer.AdminUrl);

    private static Task<HttpResponseMessage> Send(HttpClient client, string path, string csrf)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path);
        request.Headers.Add("X-WebFarm-Csrf", csrf);
        return client.SendAsync(request);
    }

}
