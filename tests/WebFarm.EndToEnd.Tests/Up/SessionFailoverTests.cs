using System.Net;
using WebFarm.EndToEnd.Tests.Infrastructure;

namespace WebFarm.EndToEnd.Tests.Up;

/// <summary>
/// The demo the seeds' authors ran by hand: several servers acting as one site, and a session (and an
/// antiforgery token) that outlive the server that created them.
/// </summary>
public sealed class SessionFailoverTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>The agents' supervision restarts the instance and the controller's balancer takes it out and back in;
    /// the console prints the instance's lines.</summary>
    [Fact]
    public async Task SessionAndAntiforgeryTokenSurviveTheServerThatIssuedThem_WhichRestartsAndRejoins()
    {
        await using var up = await UpProcess.StartAsync(servers: 3);
        using var admin = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };

        // Requests reach every instance (fresh clients, so nothing but the balancer decides).
        var seen = new HashSet<string>();
        for (var i = 0; i < 150 && seen.Count < 3; i++)
        {
            using var visitor = new FarmBrowser(up.Url);
            var page = await visitor.GetAsync("/");
            Assert.Equal(HttpStatusCode.OK, page.Status);
            seen.Add(page.ServedBy!);
        }

        Assert.Equal(["web1", "web2", "web3"], seen.Order());

        // Post the form through the balancer; the server that handled the post is the one we will kill.
        using var browser = new FarmBrowser(up.Url);
        var form = await browser.GetAsync("/");
        var posted = await browser.PostNameAsync(form.AntiforgeryToken, "Ada", "Lovelace");
        Assert.Equal(HttpStatusCode.Found, posted.Status);
        Assert.Equal("/about", posted.Location);
        var victim = posted.ServedBy!;
        var victimPid = posted.InstancePid!.Value;

        // A form rendered by that same server: its antiforgery token must stay valid after the server dies.
        FarmBrowser.Page? victimsForm = null;
        for (var i = 0; i < 150 && victimsForm is null; i++)
        {
            var page = await browser.GetAsync("/");
            if (page.InstancePid == victimPid)
            {
                victimsForm = page;
            }
        }

        Assert.NotNull(victimsForm);

        ProcessProbe.Signal(victimPid, "KILL");

        // A killed process unmaps its memory before its sockets close: a POST sent to it in that window reaches a
        // server that dies before answering, and the balancer rightly does not resend a POST that went out (502). The
        // claims below are about a server that is gone, so the test waits for that (its sockets are closed once it is
        // a zombie or reaped).
        await Eventually.TrueAsync(() => !ProcessProbe.IsAlive(victimPid), Timeout, $"{victim} (pid {victimPid}) to exit after SIGKILL");

        // The names are still there, read by another process.
        var about = await browser.GetAsync("/about");
        Assert.Equal(HttpStatusCode.OK, about.Status);
        Assert.NotEqual(victimPid, about.InstancePid);
        Assert.Equal("Ada", about.FirstName);
        Assert.Equal("Lovelace", about.LastName);

        // A tampered token is refused (the check is real)…
        var tampered = await browser.PostNameAsync(victimsForm.AntiforgeryToken[..^4] + "AAAA", "Mallory", "Evil");
        Assert.Equal(HttpStatusCode.BadRequest, tampered.Status);

        // …while the dead server's token validates on a survivor.
        var repost = await browser.PostNameAsync(victimsForm.AntiforgeryToken, "Grace", "Hopper");
        Assert.Equal(HttpStatusCode.Found, repost.Status);
        Assert.NotEqual(victimPid, repost.InstancePid);
        var aboutAgain = await browser.GetAsync("/about");
        Assert.Equal("Grace", aboutAgain.FirstName);
        Assert.Equal("Hopper", aboutAgain.LastName);

        // The crashed instance was marked failed, restarted with a new process, and rejoined.
        await Eventually.TrueAsync(async () =>
        {
            var events = await up.GetEventsAsync(admin);
            var kinds = events.Where(e => e.GetProperty("server").GetString() == victim).Select(e => e.GetProperty("kind").GetString()).ToList();
            var failed = kinds.IndexOf("failed");
            return failed >= 0 && kinds.IndexOf("rejoined", failed) > failed;
        }, Timeout, $"{victim} to fail and rejoin");
        var server = await up.GetServerAsync(admin, victim);
        Assert.True(server.GetProperty("healthy").GetBoolean());
        Assert.Equal("online", server.GetProperty("state").GetString());

        var restartedPid = 0;
        await Eventually.TrueAsync(async () =>
        {
            using var visitor = new FarmBrowser(up.Url);
            var page = await visitor.GetAsync("/");
            if (page.ServedBy == victim && page.Status == HttpStatusCode.OK)
            {
                restartedPid = page.InstancePid!.Value;
            }

            return restartedPid != 0;
        }, Timeout, $"the restarted {victim} to serve requests");
        Assert.NotEqual(victimPid, restartedPid);
        Assert.False(ProcessProbe.IsAlive(victimPid));

        // The console said so, per instance: the crash, and the new process (UpProcess reads its pid from that line).
        Assert.Matches($@"{victim} crashed: ", up.Output);
        await Eventually.TrueAsync(() => up.InstancePids[victim].Contains(restartedPid), Timeout, $"the console to print {victim}'s new pid {restartedPid}:\n{up.Output}");
    }
}
