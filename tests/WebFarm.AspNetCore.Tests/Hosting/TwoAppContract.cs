using System.Net;
using WebFarm.AspNetCore.Tests.Infrastructure;

namespace WebFarm.AspNetCore.Tests.Hosting;

/// <summary>
/// Two instances of the same member app sharing one store, like two servers behind the balancer.
/// A user's state (session, auth cookie, antiforgery token) created on one must work on the other.
/// Each backend's test class inherits these tests.
/// </summary>
public abstract class TwoAppContract : IAsyncLifetime
{
    protected FarmApp First { get; private set; } = null!;

    protected FarmApp Second { get; private set; } = null!;

    /// <summary>WebFarm settings pointing at the backend under test.</summary>
    protected abstract Task<Dictionary<string, string?>> StoreSettingsAsync();


    public virtual async Task InitializeAsync()
    {
        var settings = await StoreSettingsAsync();
        First = await FarmApp.StartAsync(settings);
        Second = await FarmApp.StartAsync(settings);
        Assert.NotEqual(First.BaseAddress.Port, Second.BaseAddress.Port);
    }

    public virtual async Task DisposeAsync()
    {
        if (First is not null)
        {
            await First.DisposeAsync();
        }

        if (Second is not null)
        {
            await Second.DisposeAsync();
        }
    }

    [Fact]
    public async Task Session_written_through_one_app_is_read_through_the_other()
    {
        var cookies = new CookieContainer();
        using var client = FarmApp.CreateClient(cookies);
        string value = "cart-" + Guid.NewGuid().ToString("N");
        Assert.Equal("stored", await client.GetStringAsync(First.Url("session/set?value=" + value)));
        Assert.Equal(value, await client.GetStringAsync(Second.Url("session/get")));

        // And back: an update on the second is seen by the first.
        Assert.Equal("stored", await client.GetStringAsync(Second.Url("session/set?value=updated")));
        Assert.Equal("updated", await client.GetStringAsync(First.Url("session/get")));

        // A different browser (no cookie) has its own, empty session.
        using var stranger = FarmApp.CreateClient(new CookieContainer());
        Assert.Equal("(none)", await stranger.GetStringAsync(Second.Url("session/get")));
    }

    [Fact]
    public async Task Auth_cookie_issued_by_one_app_is_accepted_by_the_other()
    {
        var cookies = new CookieContainer();
        using var client = FarmApp.CreateClient(cookies);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync(Second.Url("me"))).StatusCode);
        Assert.Equal("signed in", await client.GetStringAsync(First.Url("login?name=alice")));
        var me = await client.GetAsync(Second.Url("me"));
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        Assert.Equal("alice", await me.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Antiforgery_token_issued_by_one_app_validates_on_the_other()
    {
        var cookies = new CookieContainer();
        using var client = FarmApp.CreateClient(cookies);
        var form = (await client.GetStringAsync(First.Url("form"))).Split('\n');
        using var post = await client.PostAsync(Second.Url("form"), new FormUrlEncodedContent([new(form[0], form[1])]));
        Assert.Equal("accepted", await post.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, post.StatusCode);

        // Control: a tampered token is rejected, so "accepted" above means the token really validated.
        string tampered = form[1][..^4] + (form[1].EndsWith("AAAA", StringComparison.Ordinal) ? "BBBB" : "AAAA");
        using var bad = await client.PostAsync(Second.Url("form"), new FormUrlEncodedContent([new(form[0], tampered)]));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task An_app_with_another_application_name_cannot_read_the_cookies()
    {
        // Proves the sharing comes from the common key ring and application name, not from luck.
        var settings = await StoreSettingsAsync();
        settings["WebFarm:ApplicationName"] = "SomeOtherApp";
        await using var other = await FarmApp.StartAsync(settings);
        var cookies = new CookieContainer();
        using var client = FarmApp.CreateClient(cookies);
        await client.GetStringAsync(First.Url("login?name=alice"));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(Second.Url("me"))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync(other.Url("me"))).StatusCode);
    }

    [Fact]
    public async Task Servers_starting_at_the_same_time_against_an_empty_key_ring_still_share_cookies()
    {
        // Both instances may create a key at startup; each must still accept the other's cookies.
        var settings = await StoreSettingsAsync();
        settings["WebFarm:ApplicationName"] = "Fresh-" + Guid.NewGuid().ToString("N");
        var starting = await Task.WhenAll(FarmApp.StartAsync(settings), FarmApp.StartAsync(settings));
        await using var a = starting[0];
        await using var b = starting[1];
        foreach (var (issuer, reader) in new[] { (a, b), (b, a) })
        {
            using var client = FarmApp.CreateClient(new CookieContainer());
            await client.GetStringAsync(issuer.Url("login?name=bob"));
            var me = await client.GetAsync(reader.Url("me"));
            Assert.Equal(HttpStatusCode.OK, me.StatusCode);
            Assert.Equal("bob", await me.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task Health_endpoint_reports_the_store()
    {
        using var client = FarmApp.CreateClient(new CookieContainer());
        var response = await client.GetAsync(First.Url("healthz"));
        string body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = System.Text.Json.JsonDocument.Parse(body);
        Assert.Equal("Healthy", json.RootElement.GetProperty("status").GetString());
        Assert.Equal(First.Options.StoreKindForTests(), json.RootElement.GetProperty("checks").GetProperty("store").GetProperty("store").GetString());
    }
}
