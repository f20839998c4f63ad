using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Caching;

/// <summary>
/// A real server whose answer per path is set by the test (status, headers, body), which honours If-None-Match against
/// the ETag it was given (304, as an origin does), and counts full answers and 304s per path. A path may be held until
/// the test releases it.
/// </summary>
public sealed class CacheOrigin : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Answer> _answers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _full = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _notModified = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _lastIfNoneMatch = new(StringComparer.Ordinal);

    private CacheOrigin(TestBackend backend) => Backend = backend;

    public TestBackend Backend { get; private set; }

    public static async Task<CacheOrigin> StartAsync()
    {
        CacheOrigin? origin = null;
        var backend = await TestBackend.StartAsync(context => origin!.ServeAsync(context));
        origin = new CacheOrigin(backend);
        return origin;
    }

    /// <summary>What <paramref name="path"/> answers from now on; headers are "Name: value" lines.</summary>
    public void Set(string path, int status, string body, params string[] headers) => _answers[path] = new Answer(status, body, headers, null);

    /// <summary>Like <see cref="Set"/>, but each request waits for <paramref name="release"/> before it is answered.</summary>
    public void SetHeld(string path, Task release, string body, params string[] headers) => _answers[path] = new Answer(200, body, headers, release);

    /// <summary>Full answers (not 304s) given for <paramref name="path"/>.</summary>
    public int Full(string path) => _full.TryGetValue(path, out var n) ? n : 0;

    public int NotModified(string path) => _notModified.TryGetValue(path, out var n) ? n : 0;

    public string? LastIfNoneMatch(string path) => _lastIfNoneMatch.TryGetValue(path, out var v) ? v : null;

    public ValueTask DisposeAsync() => Backend.DisposeAsync();

    private async Task ServeAsync(HttpContext context)
    {
        var path = context.Request.Path.Value!;
        if (!_answers.TryGetValue(path, out var answer))
        {
            context.Response.StatusCode = 404;
            return;
        }

        if (answer.Release is not null)
        {
            await answer.Release;
        }

        var ifNoneMatch = context.Request.Headers.IfNoneMatch.ToString();
        if (ifNoneMatch.Length > 0)
        {
            _lastIfNoneMatch[path] = ifNoneMatch;
        }

        var etag = answer.Header("ETag");
        if (etag is not null && ifNoneMatch == etag)
        {
            _notModified.AddOrUpdate(path, 1, static (_, n) => n + 1);
            context.Response.StatusCode = 304;
            foreach (var line in answer.Headers)
            {
                var (name, value) = Split(line);
                if (name is "ETag" or "Cache-Control" or "Date" or "Expires")
                {
                    context.Response.Headers.Append(name, value);
                }
            }

            return;
        }

        _full.AddOrUpdate(path, 1, static (_, n) => n + 1);
        context.Response.StatusCode = answer.Status;
        foreach (var line in answer.Headers)
        {
            var (name, value) = Split(line);
            context.Response.Headers.Append(name, value);
        }

        await context.Response.WriteAsync(answer.Body);
    }

    private static (string Name, string Value) Split(string line)
    {
        var colon = line.IndexOf(':', StringComparison.Ordinal);
        return (line[..colon].Trim(), line[(colon + 1)..].Trim());
    }

    private sealed record Answer(int Status, string Body, string[] Headers, Task? Release)
    {
        public string? Header(string name)
        {
            foreach (var line in Headers)
            {
                var (n, v) = Split(line);
                if (string.Equals(n, name, StringComparison.OrdinalIgnoreCase))
                {
                    return v;
                }
            }

            return null;
        }
    }
}
