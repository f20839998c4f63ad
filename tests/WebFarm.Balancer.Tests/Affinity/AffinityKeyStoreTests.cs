using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using WebFarm.Balancer.Affinity;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.Tests.Affinity;

public sealed class AffinityKeyStoreTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "webfarm-affinity-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public void A_generated_key_is_persisted_privately_and_survives_a_restart()
    {
        var first = AffinityKeyStore.Load(null, _directory);
        Assert.Equal(AffinityKeyStore.GeneratedKeyBytes, first.Length);

        var path = Path.Combine(_directory, AffinityKeyStore.FileName);
        Assert.True(File.Exists(path));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        Assert.Empty(Directory.GetFiles(_directory, "*.tmp"));
        Assert.Equal(first, AffinityKeyStore.Load(null, _directory));
    }

    [Fact]
    public void A_cookie_issued_before_a_restart_is_still_honoured_after_it()
    {
        var servers = new[] { new ServerRuntime("web", "web1", new Uri("http://127.0.0.1:5001/"), 1, false), new ServerRuntime("web", "web2", new Uri("http://127.0.0.1:5002/"), 1, false) };
        var options = new AffinityOptions { Mode = AffinityMode.Cookie };
        var before = AffinityProviderFactory.Create("web", options, _directory)!;
        var issue = new DefaultHttpContext();
        before.Bind(new HttpContextAffinityClient(issue), servers[1], AffinityLookup.Unbound);
        var cookie = SetCookieHeaderValue.Parse(issue.Response.Headers.SetCookie[0]).Value.ToString();

        // "Restart": a new provider, loading the key again from the state directory.
        var after = AffinityProviderFactory.Create("web", options, _directory)!;
        var request = new DefaultHttpContext();
        request.Request.Headers.Cookie = "WebFarmAffinity=" + cookie;
        var lookup = after.Lookup(new HttpContextAffinityClient(request), servers);
        Assert.Equal(AffinityOutcome.Bound, lookup.Outcome);
        Assert.Same(servers[1], lookup.Server);

        // A new state directory means a new key: the old cookie is ignored, not trusted.
        var elsewhere = AffinityProviderFactory.Create("web", options, Path.Combine(_directory, "other"))!;
        Assert.Equal(AffinityOutcome.Unbound, elsewhere.Lookup(new HttpContextAffinityClient(request), servers).Outcome);
    }

    [Fact]
    public void A_configured_key_wins_and_no_file_is_written()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        Assert.Equal(key, AffinityKeyStore.Load(Convert.ToBase64String(key), _directory));
        Assert.False(File.Exists(Path.Combine(_directory, AffinityKeyStore.FileName)));
    }

    [Theory]
    [InlineData("not base64!!", "not valid base64")]
    [InlineData("c2hvcnQ=", "has 5 bytes; at least 16")]
    [InlineData("   ", "empty")]
    public void A_bad_configured_key_is_refused_with_the_reason(string key, string expected)
    {
        var error = Assert.Throws<InvalidOperationException>(() => AffinityKeyStore.Load(key, _directory));
        Assert.Contains("Affinity.Key", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        if (!string.IsNullOrWhiteSpace(key))
        {
            Assert.DoesNotContain(key, error.Message, StringComparison.Ordinal); // a secret is never echoed
        }
    }

    [Fact]
    public void A_corrupt_key_file_is_refused_with_its_path_and_what_to_do()
    {
        Directory.CreateDirectory(_directory);
        var path = Path.Combine(_directory, AffinityKeyStore.FileName);
        File.WriteAllText(path, "garbage");

        var error = Assert.Throws<InvalidOperationException>(() => AffinityKeyStore.Load(null, _directory));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("Delete it", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Concurrent_first_starts_agree_on_one_key()
    {
        // Many rounds, each a fresh directory, so that a check-then-create race has a real chance to show.
        for (var round = 0; round < 25; round++)
        {
            var directory = Path.Combine(_directory, $"round{round}");
            using var start = new ManualResetEventSlim();
            var loads = Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
            {
                start.Wait();
                return AffinityKeyStore.Load(null, directory);
            })).ToArray();
            start.Set();
            var keys = await Task.WhenAll(loads);
            foreach (var key in keys)
            {
                Assert.Equal(keys[0], key);
            }

            Assert.Equal(keys[0], AffinityKeyStore.Load(null, directory));
        }
    }
}
