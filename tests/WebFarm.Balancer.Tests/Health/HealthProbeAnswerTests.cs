using System.Net.Sockets;
using System.Text;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Farms;
using WebFarm.Balancer.Health;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Health;

/// <summary>
/// The probe's verdict on what a raw server answers, case by case: the direct HTTP/1.1 probe (no SocketsHttpHandler)
/// must parse and judge every answer by the rules the traffic's parser and chunked decoder apply, and never hang.
/// </summary>
public sealed class HealthProbeAnswerTests : IDisposable
{
    private const string Close = "<close>";
    private const string Hang = "<hang>";

    private static readonly TimeSpan ShortTimeout = TimeSpan.FromMilliseconds(400);

    /// <summary>A timeout no healthy exchange on a loaded machine comes near; the timeout cases set their own.</summary>
    private static readonly HealthCheckOptions Default = new() { Timeout = TimeSpan.FromSeconds(20) };

    private readonly HealthProbe _probe = new();

    public void Dispose() => _probe.Dispose();

    /// <summary>
    /// The server's answer, piece by piece (each sent on its own after a short pause, so the probe usually reads them
    /// separately), ending with <see cref="Close"/> or <see cref="Hang"/>; the check's settings; the verdict.
    /// </summary>
    private sealed record Case(string[] Pieces, HealthCheckOptions Options, bool Healthy, int? Status, string Reason, string? Excerpt = null);

    private static readonly string BigBody = new('x', HealthProbe.MaxBodyBytes + 4096);

    private static readonly Dictionary<string, Case> Cases = new()
    {
        ["204 is inside the default 200-399"] = new(["HTTP/1.1 204 No Content\r\n\r\n", Hang], Default, true, 204, "status 204"),
        ["404 is outside the default 200-399"] = new(["HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\ngone", Hang], Default, false, 404, "status 404 not in 200-399", "gone"),
        ["503 is inside an expected 500-599"] = new(["HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n", Hang], Default with { ExpectedStatus = StatusCodeSet.Parse("500-599") }, true, 503, "status 503"),
        ["a redirect is the answer, not followed"] = new(
            ["HTTP/1.1 301 Moved Permanently\r\nLocation: http://127.0.0.1:1/elsewhere\r\nContent-Length: 0\r\n\r\n", Hang],
            Default with { ExpectedStatus = StatusCodeSet.Parse("200") }, false, 301, "status 301 not in 200"),
        ["a body match split across reads"] = new(
            ["HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nhello ne", "edle", Hang], Default with { ExpectedBody = "needle" }, true, 200, "status 200", "hello needle"),
        ["a chunked body, the match split across chunks"] = new(
            ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n8\r\nhello ne\r\n", "4\r\nedle\r\n0\r\n\r\n", Hang],
            Default with { ExpectedBody = "needle" }, true, 200, "status 200", "hello needle"),
        ["a chunked body with trailers and extensions"] = new(
            ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;ext=1\r\nok\r\n0\r\nX-Checked: yes\r\n\r\n", Hang], Default with { ExpectedBody = "ok" }, true, 200, "status 200", "ok"),
        ["a body until close (HTTP/1.0)"] = new(["HTTP/1.0 200 OK\r\n\r\nall ", "good", Close], Default with { ExpectedBody = "all good" }, true, 200, "status 200", "all good"),
        ["a match past the first 64 KiB is not seen"] = new(
            ["HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n", BigBody, "needle", Hang], Default with { ExpectedBody = "needle" },
            false, 200, "status 200 but \"needle\" not found in the first 65536 bytes of the body"),
        ["100 Continue before the answer"] = new(["HTTP/1.1 100 Continue\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", Hang], Default, true, 200, "status 200", "ok"),
        ["headers, then a stalled body: the timeout"] = new(
            ["HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial", Hang], Default with { Timeout = ShortTimeout }, false, 200, "timed out after 400ms (status 200 but the body did not finish)"),
        ["half a head, then a stall: the timeout"] = new(["HTTP/1.1 200 OK\r\nContent-Le", Hang], Default with { Timeout = ShortTimeout }, false, null, "timed out after 400ms (no response)"),
        ["closed in the middle of the head"] = new(["HTTP/1.1 200 OK\r\nContent-Le", Close], Default, false, null, "connection closed before a complete response"),
        ["closed before any answer"] = new([Close], Default, false, null, "connection closed before a complete response"),
        ["closed before the Content-Length body ended"] = new(
            ["HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", Close], Default, false, 200,
            "connection failed while reading the body: the server closed the connection before the end of the body (Content-Length)"),
        ["closed in the middle of a chunk"] = new(
            ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nhalf", Close], Default, false, 200,
            "connection failed while reading the body: the server closed the connection in the middle of a chunked body"),
        ["an invalid chunk size"] = new(["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", Hang], Default, false, 200, "invalid HTTP response: invalid chunk size"),
        ["a malformed status code"] = new(["HTTP/1.1 2x0 OK\r\n\r\n", Hang], Default, false, null, "invalid HTTP response: invalid status code"),
        ["not HTTP at all"] = new(["SSH-2.0-OpenSSH_9.2\r\n", Hang], Default, false, null, "invalid HTTP response: invalid status line"),
        ["a folded header line"] = new(["HTTP/1.1 200 OK\r\nX-A: 1\r\n  folded\r\n\r\n", Hang], Default, false, null, "invalid HTTP response: obsolete line folding in a header"),
        ["conflicting Content-Length values"] = new(["HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok", Hang], Default, false, null, "invalid HTTP response: conflicting Content-Length values"),
    };

    public static TheoryData<string> CaseNames() => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task The_probe_judges_each_answer(string name)
    {
        var c = Cases[name];
        string? request = null;
        await using var server = new RawHttp.Server(async (stream, ct) =>
        {
            request = await RawHttp.ReadHeadAsync(stream, ct);
            foreach (var piece in c.Pieces)
            {
                if (piece == Close)
                {
                    stream.Socket.Shutdown(SocketShutdown.Both);
                    return;
                }

                if (piece == Hang)
                {
                    await Task.Delay(Timeout.Infinite, ct);
                }

                await stream.WriteAsync(Encoding.ASCII.GetBytes(piece), ct);
                await stream.FlushAsync(ct);
                // Not needed for the verdict: makes the probe read the pieces apart, as a slow server's would arrive.
                await Task.Delay(30, ct);
            }
        });

        var options = c.Options with { Path = "/healthz?deep=1" };
        var result = await _probe.ProbeAsync(new ServerRuntime("web", "web1", server.Uri, 1, backup: false), options, CancellationToken.None);

        Assert.Equal(c.Reason, result.Reason);
        Assert.Equal(c.Healthy, result.Healthy);
        Assert.Equal(c.Status, result.StatusCode);
        if (c.Excerpt is not null)
        {
            Assert.Equal(c.Excerpt, result.BodyExcerpt);
        }

        Assert.NotNull(request);
        Assert.StartsWith("GET /healthz?deep=1 HTTP/1.1\r\n", request, StringComparison.Ordinal);
        Assert.Contains($"\r\nHost: {server.Uri.Authority}\r\n", request, StringComparison.Ordinal);
        Assert.Contains("\r\nConnection: close\r\n", request, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_body_dripping_forever_is_cut_by_the_timeout_of_the_whole_probe()
    {
        // One byte of a chunked body every 20 ms: each read makes progress, so only a deadline for the whole probe
        // (not one reset by activity) ends it. Bounded in count too, should the probe never hang up.
        await using var server = new RawHttp.Server(async (stream, ct) =>
        {
            await RawHttp.ReadHeadAsync(stream, ct);
            await stream.WriteAsync("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"u8.ToArray(), ct);
            for (var i = 0; i < 3000; i++)
            {
                await stream.WriteAsync("1\r\nx\r\n"u8.ToArray(), ct);
                await Task.Delay(20, ct);
            }
        });

        var result = await _probe.ProbeAsync(new ServerRuntime("web", "web1", server.Uri, 1, backup: false), new HealthCheckOptions { Path = "/", Timeout = TimeSpan.FromMilliseconds(500) }, CancellationToken.None);

        Assert.False(result.Healthy);
        Assert.Equal(200, result.StatusCode);
        Assert.Equal("timed out after 500ms (status 200 but the body did not finish)", result.Reason);
        Assert.True(result.Latency < TimeSpan.FromSeconds(30), $"latency {result.Latency}");
    }
}
