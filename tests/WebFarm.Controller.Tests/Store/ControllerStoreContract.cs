using System.Security.Cryptography;
using WebFarm.Agent.Control;
using WebFarm.Controller.Apps;
using WebFarm.Controller.Availability;
using WebFarm.Controller.Deployments;
using WebFarm.Controller.Store;

namespace WebFarm.Controller.Tests.Store;

/// <summary>
/// What every <see cref="IControllerStore"/> must do, run against each implementation (SQLite and PostgreSQL), so
/// the two cannot drift apart. A subclass opens its store; "reopen" must see the same data.
/// </summary>
public abstract class ControllerStoreContract
{
    protected static readonly DateTimeOffset Now = new(2026, 12, 6, 6, 0, 0, TimeSpan.Zero);

    protected abstract Task<IControllerStore> OpenAsync();

    [Fact]
    public async Task A_join_token_is_consumed_once_and_the_server_is_kept_across_reopening()
    {
        var token = RandomNumberGenerator.GetBytes(32);
        var credential = RandomNumberGenerator.GetBytes(32);
        await using (var store = await OpenAsync())
        {
            await store.AddJoinTokenAsync(token, Now, Now.AddHours(1), default);
            Assert.Equal(JoinOutcome.Joined, await store.JoinAsync(token, Server("web1", credential), default));
            Assert.Equal(JoinOutcome.TokenUsed, await store.JoinAsync(token, Server("web2", RandomNumberGenerator.GetBytes(32)), default));
            Assert.True(await store.RecordHeartbeatAsync("web1", Now.AddSeconds(3), new ServerLoad(12.5, 100, 200, 0.5, 0.25, 0.125), default));
            Assert.False(await store.RecordHeartbeatAsync("nobody", Now, ServerLoad.Empty, default));
        }

        await using (var reopened = await OpenAsync())
        {
            var server = Assert.Single(await reopened.ListServersAsync(default));
            Assert.Equal("web1", server.Name);
            Assert.Equal("http://10.0.0.11:5000", server.Address);
            Assert.Equal(credential, server.CredentialHash);
            Assert.Equal(Now.AddSeconds(3), server.LastHeartbeat);
            Assert.Equal(12.5, server.Load!.CpuPercent);
            Assert.Equal(JoinOutcome.TokenUsed, await reopened.JoinAsync(token, Server("web3", RandomNumberGenerator.GetBytes(32)), default));
        }
    }

    [Fact]
    public async Task A_server_s_labels_are_kept_across_reopening_and_replaced_whole()
    {
        var token = RandomNumberGenerator.GetBytes(32);
        await using (var store = await OpenAsync())
        {
            await store.AddJoinTokenAsync(token, Now, Now.AddHours(1), default);
            Assert.Equal(JoinOutcome.Joined, await store.JoinAsync(token, Server("web1", RandomNumberGenerator.GetBytes(32)), default));
            Assert.Null(Assert.Single(await store.ListServersAsync(default)).Labels);
            await store.SetLabelsAsync("web1", new Dictionary<string, string> { ["role"] = "web", ["zone"] = "a" }, default);
            await store.SetLabelsAsync("web1", new Dictionary<string, string> { ["role"] = "db" }, default);
        }

        await using (var reopened = await OpenAsync())
        {
            var labels = Assert.Single(await reopened.ListServersAsync(default)).Labels!;
            Assert.Equal(new Dictionary<string, string> { ["role"] = "db" }, labels);
        }
    }

    [Fact]
    public async Task Apps_are_added_once_listed_by_name_kept_across_reopening_and_removed()
    {
        var hello = new AppDefinition("hello", "/srv/hello/Hello.dll", ["--port", "{port}"], 5000, 5009, "/healthz", new Dictionary<string, string> { ["MODE"] = "live" }, ["web1"], ["hello.example"], AppDefinition.ReportedLoadBalancing, new Dictionary<string, string> { ["role"] = "web" });
        var admin = hello with { Name = "admin", Servers = [], Hosts = [], LoadBalancing = AppDefinition.StaticLoadBalancing, On = null };
        await using (var store = await OpenAsync())
        {
            Assert.True(await store.AddAppAsync(hello, Now, default));
            Assert.False(await store.AddAppAsync(hello with { Command = "other" }, Now, default));
            Assert.True(await store.AddAppAsync(admin, Now, default));
        }

        await using (var reopened = await OpenAsync())
        {
            var apps = await reopened.ListAppsAsync(default);
            Assert.Equal(["admin", "hello"], apps.Select(a => a.Name));
            var stored = apps[1];
            Assert.Equal("/srv/hello/Hello.dll", stored.Command);
            Assert.Equal(["--port", "{port}"], stored.Arguments);
            Assert.Equal((5000, 5009), (stored.PortFrom, stored.PortTo));
            Assert.Equal("live", stored.Environment["MODE"]);
            Assert.Equal(["web1"], stored.Servers);
            Assert.Equal(["hello.example"], stored.Hosts);
            Assert.Equal(AppDefinition.ReportedLoadBalancing, stored.LoadBalancing);
            Assert.Equal("web", stored.On!["role"]);
            Assert.Equal(AppDefinition.StaticLoadBalancing, apps[0].LoadBalancing);
            Assert.Null(apps[0].On);
            Assert.True(await reopened.RemoveAppAsync("hello", default));
            Assert.False(await reopened.RemoveAppAsync("hello", default));
            Assert.Equal(["admin"], (await reopened.ListAppsAsync(default)).Select(a => a.Name));
        }
    }

    [Fact]
    public async Task Deployments_get_ids_are_rewritten_listed_newest_first_per_app_and_kept_across_reopening()
    {
        var servers = new List<DeploymentServer> { new("web1", DeploymentPhase.Waiting, Now, 1, null, []), new("web2", DeploymentPhase.Waiting, Now, null, null, []) };
        var first = new DeploymentRecord(0, "hello", 2, 1, DeploymentKind.Rolling, DeploymentState.Running, Now, null, null, servers) { Batch = 2, AutoRollback = true };
        long id;
        await using (var store = await OpenAsync())
        {
            id = await store.AddDeploymentAsync(first, default);
            var other = await store.AddDeploymentAsync(first with { App = "admin" }, default);
            Assert.NotEqual(id, other);
            var failed = first with
            {
                Id = id,
                State = DeploymentState.Failed,
                FinishedAt = Now.AddSeconds(30),
                Error = "web2 failed in phase gating: never healthy",
                Servers = [servers[0] with { Phase = DeploymentPhase.Done, Release = 2 }, servers[1] with { Phase = DeploymentPhase.Failed, Error = "gating: never healthy", Output = ["line 1", "line 2"] }],
            };
            await store.SaveDeploymentAsync(failed, default);
        }

        await using (var reopened = await OpenAsync())
        {
            var all = await reopened.ListDeploymentsAsync(null, 10, default);
            Assert.Equal(["admin", "hello"], all.Select(d => d.App));
            var hello = Assert.Single(await reopened.ListDeploymentsAsync("hello", 10, default));
            Assert.Equal((id, DeploymentState.Failed, 2, true), (hello.Id, hello.State, hello.Batch, hello.AutoRollback));
            Assert.Equal(Now.AddSeconds(30), hello.FinishedAt);
            Assert.Equal(["done", "failed"], hello.Servers.Select(s => s.Phase));
            Assert.Equal(["line 1", "line 2"], hello.Servers[1].Output);
            Assert.Equal(2, hello.Servers[0].Release);
            Assert.Null(hello.Servers[1].Release);
            var got = await reopened.GetDeploymentAsync(id, default);
            Assert.NotNull(got);
            Assert.Equal(hello, got with { Servers = hello.Servers });
            Assert.Null(await reopened.GetDeploymentAsync(id + 100, default));
            Assert.Single(await reopened.ListDeploymentsAsync(null, 1, default));
        }
    }

    [Fact]
    public async Task Unknown_and_expired_tokens_are_refused_and_a_taken_name_leaves_the_token_usable()
    {
        await using var store = await OpenAsync();
        Assert.Equal(JoinOutcome.TokenUnknown, await store.JoinAsync(RandomNumberGenerator.GetBytes(32), Server("web1", RandomNumberGenerator.GetBytes(32)), default));

        var expired = RandomNumberGenerator.GetBytes(32);
        await store.AddJoinTokenAsync(expired, Now.AddHours(-2), Now.AddHours(-1), default);
        Assert.Equal(JoinOutcome.TokenExpired, await store.JoinAsync(expired, Server("web1", RandomNumberGenerator.GetBytes(32)), default));

        var first = RandomNumberGenerator.GetBytes(32);
        var second = RandomNumberGenerator.GetBytes(32);
        await store.AddJoinTokenAsync(first, Now, Now.AddHours(1), default);
        await store.AddJoinTokenAsync(second, Now, Now.AddHours(1), default);
        Assert.Equal(JoinOutcome.Joined, await store.JoinAsync(first, Server("web1", RandomNumberGenerator.GetBytes(32)), default));
        Assert.Equal(JoinOutcome.NameTaken, await store.JoinAsync(second, Server("web1", RandomNumberGenerator.GetBytes(32)), default));

        // Nothing half-applied: the second token was not consumed by the refused join.
        Assert.Equal(JoinOutcome.Joined, await store.JoinAsync(second, Server("web2", RandomNumberGenerator.GetBytes(32)), default));
        Assert.Equal(["web1", "web2"], (await store.ListServersAsync(default)).Select(s => s.Name));
    }

    [Fact]
    public async Task Downtime_intervals_open_close_and_are_listed_from_a_time_on_with_their_subjects()
    {
        await using (var store = await OpenAsync())
        {
            await store.AddAvailabilitySubjectAsync(SubjectKind.Server, "web1", Now, default);
            await store.AddAvailabilitySubjectAsync(SubjectKind.Server, "web1", Now.AddHours(1), default); // kept: first seen stays
            await store.AddAvailabilitySubjectAsync(SubjectKind.Farm, "farm", Now, default);

            var old = await store.OpenDowntimeAsync(new DowntimeRecord(0, SubjectKind.Server, "web1", true, "drained by an operator", Now.AddMinutes(1), null), default);
            await store.CloseDowntimeAsync(old, Now.AddMinutes(2), default);
            var recent = await store.OpenDowntimeAsync(new DowntimeRecord(0, SubjectKind.Server, "web1", false, "agent lost", Now.AddMinutes(10), null), default);
            await store.CloseDowntimeAsync(recent, Now.AddMinutes(11), default);
            await store.CloseDowntimeAsync(recent, Now.AddMinutes(50), default); // already ended: kept
            await store.OpenDowntimeAsync(new DowntimeRecord(0, SubjectKind.Farm, "farm", false, "no server in rotation", Now.AddMinutes(20), null), default);
            Assert.NotEqual(old, recent);
        }

        await using var reopened = await OpenAsync();
        Assert.Equal(
            [new AvailabilitySubject(SubjectKind.Server, "web1", Now), new AvailabilitySubject(SubjectKind.Farm, "farm", Now)],
            (await reopened.ListAvailabilitySubjectsAsync(default)).OrderBy(s => s.Kind));

        var listed = await reopened.ListDowntimeAsync(Now.AddMinutes(5), default);
        Assert.Equal(2, listed.Count);
        Assert.Equal((SubjectKind.Server, "web1", false, "agent lost", Now.AddMinutes(10), (DateTimeOffset?)Now.AddMinutes(11)), (listed[0].Kind, listed[0].Subject, listed[0].Scheduled, listed[0].Cause, listed[0].Started, listed[0].Ended));
        Assert.Equal((SubjectKind.Farm, (DateTimeOffset?)null), (listed[1].Kind, listed[1].Ended));
        Assert.True((await reopened.ListDowntimeAsync(Now, default))[0].Scheduled);

        // A new leader ends what was left open (never before it started).
        Assert.Equal(1, await reopened.CloseOpenDowntimeAsync(Now.AddMinutes(15), default));
        Assert.Equal(Now.AddMinutes(20), (await reopened.ListDowntimeAsync(Now, default))[^1].Ended);
        Assert.Equal(0, await reopened.CloseOpenDowntimeAsync(Now.AddMinutes(30), default));
    }

    protected static ServerRecord Server(string name, byte[] credential) => new(name, "http://10.0.0.11:5000", credential, Now, null, null);
}
