using System.Net.Http.Json;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Caching;

/// <summary>
/// The disk tier of a route's cache against real files: a memory limit that holds one entry, so storing the next entry
/// evicts the last one to disk; it comes back on the next request (promoted, its file deleted), survives a balancer
/// restart, is deleted when purged or beyond the disk limit, and a corrupt or truncated file is a miss, never an error.
/// </summary>
public sealed class CacheDiskTests : IAsyncLifetime
{
    // One ~2 KB entry fits in memory (the body plus CachedResponse's 400 bytes of overhead and the headers): each
    // store evicts the entry before it.
    private const int MaxMemory = 4000;
    private static readonly string Body = new('d', 1500);

    private readonly string _folder = TestBalancer.NewDirectory();
    private CacheOrigin _origin = null!;

    public async Task InitializeAsync() => _origin = await CacheOrigin.StartAsync();

    public async Task DisposeAsync()
    {
        await _origin.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    private string DiskFolder => Path.Combine(_folder, "disk");

    private Task<TestBalancer> StartAsync(long maxBytes = 1024 * 1024)
    {
        var config = TestBalancer.SingleFarm(_origin.Backend) with
        {
            Routes =
            [
                new RouteOptions
                {
                    Farm = "web",
                    Cache = new CacheOptions { MaxMemory = MaxMemory, MaxEntrySize = 2000, Disk = new CacheDiskOptions { Path = DiskFolder, MaxBytes = maxBytes } },
                },
            ],
        };
        return TestBalancer.StartAsync(config);
    }

    private string[] Files() => Directory.GetFiles(DiskFolder, "*.wfc");

    /// <summary>Stores each path (a miss each) in order: all but the last end up on disk.</summary>
    private async Task StoreAsync(TestBalancer balancer, params string[] paths)
    {
        foreach (var path in paths)
        {
            _origin.Set(path, 200, Body + path, "Cache-Control: max-age=600", "Age: 100");
            Assert.Equal("MISS", (await SendAsync(balancer, path)).XCache);
        }
    }

    /// <summary>With a fixed Host: the key holds the host and port the client sent, and a restarted balancer listens on another port.</summary>
    private static Task<CacheAnswer> SendAsync(TestBalancer balancer, string path) => CacheAnswer.SendAsync(balancer.Client, path, null, "Host: disk.test");

    [Fact]
    public async Task An_entry_evicted_from_memory_goes_to_disk_and_comes_back_with_its_age()
    {
        await using var balancer = await StartAsync();
        var statistics = balancer.Runtime.Caches.Statistics;
        await StoreAsync(balancer, "/d/a", "/d/b");
        Assert.Equal(1, statistics.DiskStored);
        Assert.Single(Files());

        var again = await SendAsync(balancer, "/d/a");
        Assert.Equal("HIT", again.XCache);
        Assert.Equal(Body + "/d/a", again.Body);
        Assert.True(again.Age >= 100, $"Age {again.Age}");
        Assert.Equal(1, _origin.Full("/d/a"));
        Assert.Equal(1, statistics.DiskHits);
        var metrics = await balancer.Admin.GetStringAsync("metrics");
        Assert.Contains("\nwebfarm_cache_disk_hits_total 1\n", metrics, StringComparison.Ordinal);
        Assert.Contains("\nwebfarm_cache_disk_stored_total 2\n", metrics, StringComparison.Ordinal);

        // Promoted: /d/a is in memory again (its file deleted) and /d/b went to disk in its place.
        Assert.Equal("HIT", (await SendAsync(balancer, "/d/b")).XCache);
        Assert.Equal(1, _origin.Full("/d/b"));
        Assert.Single(Files());
    }

    [Fact]
    public async Task A_disk_folder_that_cannot_be_used_rejects_the_whole_reload_and_changes_no_route()
    {
        var memoryOnly = new CacheOptions { DefaultLifetime = TimeSpan.FromMinutes(1) };
        var withDisk = new CacheOptions { MaxMemory = MaxMemory, MaxEntrySize = 2000, Disk = new CacheDiskOptions { Path = DiskFolder, MaxBytes = 1024 * 1024 } };
        var config = TestBalancer.SingleFarm(_origin.Backend) with
        {
            Routes = [new RouteOptions { Farm = "web", Path = "/a", Cache = memoryOnly }, new RouteOptions { Farm = "web", Path = "/b", Cache = withDisk }],
        };
        await using var balancer = await TestBalancer.StartAsync(config);
        var before = balancer.Runtime.Snapshot.Routes;

        // The first route changes a setting; the second route's new folder lies under a regular file, so it cannot be made.
        var blocker = Path.Combine(_folder, "a-file");
        File.WriteAllText(blocker, "not a folder");
        var bad = config with
        {
            Routes =
            [
                new RouteOptions { Farm = "web", Path = "/a", Cache = memoryOnly with { DefaultLifetime = TimeSpan.Zero } },
                new RouteOptions { Farm = "web", Path = "/b", Cache = withDisk with { Disk = new CacheDiskOptions { Path = Path.Combine(blocker, "disk"), MaxBytes = 1024 * 1024 } } },
            ],
        };
        var ex = Assert.Throws<ConfigException>(() => balancer.Runtime.Apply(bad));
        var error = Assert.Single(ex.Errors);
        Assert.Equal("$.Routes[1].Cache.Disk.Path", error.Path);
        Assert.Contains("cannot be used as the cache's disk folder", error.Reason, StringComparison.Ordinal);

        // Nothing of the rejected configuration was applied: the same route table; the first route's cache kept its old
        // default lifetime, so it still stores a response that says nothing of its freshness (with the rejected 0 it
        // would not: before the disk folders were opened first, it had already taken it)...
        Assert.Same(before, balancer.Runtime.Snapshot.Routes);
        _origin.Set("/a/plain", 200, "no freshness of its own");
        Assert.Equal("MISS", (await SendAsync(balancer, "/a/plain")).XCache);
        Assert.Equal("HIT", (await SendAsync(balancer, "/a/plain")).XCache);
        Assert.Equal(1, _origin.Full("/a/plain"));

        // ...and the second route still evicts to its old disk folder.
        await StoreAsync(balancer, "/b/1", "/b/2");
        Assert.Single(Files());
        Assert.False(Directory.Exists(Path.Combine(blocker, "disk")));
    }

    [Fact]
    public async Task Disk_entries_survive_a_restart()
    {
        await using (var first = await StartAsync())
        {
            await StoreAsync(first, "/r/a", "/r/b");
        }

        Assert.Single(Files());
        await using var second = await StartAsync();
        var answer = await SendAsync(second, "/r/a");
        Assert.Equal("HIT", answer.XCache);
        Assert.Equal(Body + "/r/a", answer.Body);
        Assert.Equal(1, _origin.Full("/r/a"));
    }

    [Fact]
    public async Task A_corrupt_or_truncated_file_is_a_miss_and_is_deleted()
    {
        await using var balancer = await StartAsync();
        var statistics = balancer.Runtime.Caches.Statistics;
        await StoreAsync(balancer, "/c/truncated", "/c/flipped", "/c/last");
        Assert.Equal(2, Files().Length);
        var files = Files().ToDictionary(f => File.ReadAllText(f).Contains("/c/truncated", StringComparison.Ordinal) ? "truncated" : "flipped");

        var truncated = File.ReadAllBytes(files["truncated"]);
        await File.WriteAllBytesAsync(files["truncated"], truncated[..(truncated.Length / 2)]);
        var flipped = File.ReadAllBytes(files["flipped"]);
        flipped[flipped.Length - 100] ^= 0x20; // a body byte: only the hash can tell
        await File.WriteAllBytesAsync(files["flipped"], flipped);

        foreach (var (name, path) in new[] { ("truncated", "/c/truncated"), ("flipped", "/c/flipped") })
        {
            var answer = await SendAsync(balancer, path);
            Assert.Equal("MISS", answer.XCache);
            Assert.Equal(Body + path, answer.Body);
            Assert.Equal(2, _origin.Full(path));

            // Deleted (the fresh copy is in memory now; the entry it evicted went to a file of its own).
            Assert.DoesNotContain(files[name], Files());
        }

        Assert.Equal(2, statistics.DiskCorrupt);
        Assert.Equal(0, statistics.DiskHits);
    }

    [Fact]
    public async Task Garbage_and_stray_temporary_files_in_the_folder_are_deleted_at_start()
    {
        Directory.CreateDirectory(DiskFolder);
        var garbage = Path.Combine(DiskFolder, "0123.wfc");
        var temp = Path.Combine(DiskFolder, "0123.wfc.abc.tmp");
        await File.WriteAllTextAsync(garbage, "not a cache file");
        await File.WriteAllTextAsync(temp, "half written");

        await using var balancer = await StartAsync();
        Assert.False(File.Exists(garbage));
        Assert.False(File.Exists(temp));
        await StoreAsync(balancer, "/g/a");
        Assert.Equal("HIT", (await SendAsync(balancer, "/g/a")).XCache);
    }

    [Fact]
    public async Task A_purge_removes_disk_entries_too()
    {
        await using var balancer = await StartAsync();
        await StoreAsync(balancer, "/p/a", "/p/b");
        Assert.Single(Files());

        using var response = await balancer.Admin.PostAsJsonAsync("api/cache/purge", new { prefix = "/p/" });
        response.EnsureSuccessStatusCode();
        var purged = (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("purged").GetInt32();
        Assert.Equal(2, purged); // /p/b in memory, /p/a on disk
        Assert.Empty(Files());
        Assert.Equal("MISS", (await SendAsync(balancer, "/p/a")).XCache);
    }

    [Fact]
    public async Task The_disk_limit_deletes_the_least_recently_written_files()
    {
        // Room for two files of ~1.6 KB.
        await using var balancer = await StartAsync(maxBytes: 3500);
        await StoreAsync(balancer, "/l/1", "/l/2", "/l/3", "/l/4");
        Assert.Equal(2, Files().Length);
        Assert.True(Files().Sum(f => new FileInfo(f).Length) <= 3500);
        Assert.Equal(1, balancer.Runtime.Caches.Statistics.DiskEvicted);

        // /l/1 was the oldest on disk: gone; /l/3 is still there.
        Assert.Equal("MISS", (await SendAsync(balancer, "/l/1")).XCache);
        Assert.Equal("HIT", (await SendAsync(balancer, "/l/3")).XCache);
    }
}
