using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace WebFarm.EndToEnd.Tests.Dashboard;

/// <summary>
/// The login every dashboard has (the balancer's and the controller's): the form refuses a wrong token and sets no
/// cookie, accepts the right one with an HttpOnly, SameSite=Strict cookie that holds no token; and, over plain HTTP, a
/// logged-in client with the page's CSRF token.
/// </summary>
internal static partial class DashboardLogin
{
    /// <summary>From the login form (where the dashboard sends a client without a session) to the overview.</summary>
    public static async Task LogInThroughTheFormAsync(IPage page, Uri listener, string token, string product)
    {
        await page.GotoAsync(new Uri(listener, "/dashboard/").ToString());
        await Expect(page).ToHaveURLAsync(new Uri(listener, "/dashboard/login").ToString());

        await page.FillAsync("#token", "not-the-token-at-all-0000");
        await page.ClickAsync("button[type=submit]");
        await Expect(page.Locator("#login-error")).ToHaveTextAsync($"That is not this {product}'s admin token.");
        Assert.Empty(await page.Context.CookiesAsync());

        await page.FillAsync("#token", token);
        await page.ClickAsync("button[type=submit]");
        await Expect(page.Locator("h1")).ToHaveTextAsync("Overview");
        await Expect(page.Locator("#live")).ToHaveTextAsync("live");

        var cookie = Assert.Single(await page.Context.CookiesAsync());
        Assert.Equal("webfarm_dashboard", cookie.Name);
        Assert.True(cookie.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
        Assert.Equal("/dashboard", cookie.Path);
        Assert.DoesNotContain(token, cookie.Value, StringComparison.Ordinal);
        Assert.DoesNotContain(token, page.Url, StringComparison.Ordinal);
        Assert.DoesNotContain(token, await page.ContentAsync(), StringComparison.Ordinal);
        Assert.Empty(await page.EvaluateAsync<string>("document.cookie")); // HttpOnly: scripts cannot read it.
    }

    /// <summary>A cookie-keeping client that does not follow redirects (to see the login's 303).</summary>
    public static HttpClient Client(Uri listener) => new(new SocketsHttpHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false })
    {
        BaseAddress = listener,
        Timeout = TimeSpan.FromSeconds(30),
    };

    /// <summary>The CSRF token the overview page carries for <paramref name="client"/>'s session.</summary>
    public static async Task<string> CsrfTokenAsync(HttpClient client)
    {
        var csrf = CsrfMeta().Match(await client.GetStringAsync("/dashboard/")).Groups[1].Value;
        Assert.NotEmpty(csrf);
        return csrf;
    }

    [GeneratedRegex("<meta name=\"webfarm-csrf\" content=\"([^\"]+)\">")]
    private static partial Regex CsrfMeta();
}
