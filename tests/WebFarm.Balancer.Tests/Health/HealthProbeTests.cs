using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Farms;
using WebFarm.Balancer.Health;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Health;

public sealed class HealthProbeTests : IDisposable
{
    private readonly HealthProbe _probe = new();

    public void Dispose() => _probe.Dispose();

    private static ServerRuntime Server(Uri uri) => new("web", "web1", uri, 1, backup: false);

    private Task<HealthProbeResult> Probe(Uri uri, HealthCheckOptions options)
        => _probe.ProbeAsync(Server(uri), options, CancellationToken.None);

    [Fact]
    public async Task Healthy_endpoint_passes_with_status_latency_and_excerpt()
    {
        await using var backend = await TestBackend.StartAsync(c => c.Response.WriteAsync("all good"));
        var result = await Probe(backend.Uri, new HealthCheckOptions { Path = "/healthz" });

        Assert.True(result.Healthy, result.Reason);
        Assert.Equal(200, result.StatusCode);
        Assert.Equal("all good", result.BodyExcerpt);
        Assert.Equal(new Uri(backend.Uri, "/healthz"), result.Url);
        Assert.True(result.Latency > TimeSpan.Zero);
        Assert.Equal(1, backend.Hits("/healthz"));
    }

    [Fact]
    public async Task Status_outside_the_expected_list_fails_with_the_status_in_the_reason()
    {
        await using var backend = await TestBackend.StartAsync(c =>
        {
            c.Response.StatusCode = c.Request.Path == "/healthz" ? 500 : 200;
            return Task.CompletedTask;
        });

        var failing = await Probe(backend.Uri, new HealthCheckOptions { Path = "/healthz" });
        Assert.False(failing.Healthy);
        Assert.Equal(500, failing.StatusCode);
        Assert.Contains("500", failing.Reason, StringComparison.Ordinal);
        Assert.Contains("200-399", failing.Reason, StringComparison.Ordinal);

        var custom = await Probe(backend.Uri, new HealthCheckOptions { Path = "/healthz", ExpectedStatus = StatusCodeSet.Parse("500") });
        Assert.True(custom.Healthy, custom.Reason);
    }

    [Fact]
    public async Task A_redirect_is_not_followed_and_counts_as_its_own_status()
    {
        await using var backend = await TestBackend.StartAsync(c =>
        {
            if (c.Request.Path == "/healthz")
            {
                c.Response.Redirect("/broken");
            }
            else
            {
                c.Response.StatusCode = 500;
            }

            return Task.CompletedTask;
        });

        var lenient = await Probe(backend.Uri, new HealthCheckOptions { Path = "/healthz" });
        Assert.True(lenient.Healthy, lenient.Reason);
        Assert.Equal(302, lenient.StatusCode);

        var strict = await Probe(backend.Uri, new HealthCheckOptions { Path = "/healthz", ExpectedStatus = StatusCodeSet.Parse("200") });
        Assert.False(strict.Healthy);
        Assert.Equal(302, strict.StatusCode);
        Assert.Equal(0, backend.Hits("/broken"));
    }

    [Fact]
    public async Task A_server_that_never_answers_is_cut_by_the_timeout()
    {
        await using var server = RawHttp.NeverAnswers();
        var result = await Probe(server.Uri, new HealthCheckOptions { Path = "/healthz", Timeout = TimeSpan.FromMilliseconds(300) });

        Assert.False(result.Healthy);
        Assert.Null(result.StatusCode);
        Assert.Contains("timed out after 300ms", result.Reason, StringComparison.Ordinal);
        Assert.Equal(1, server.Connections);
        // Bounded: far below any "hang" (generous margin for a loaded 2-core machine).
        Assert.True(result.Latency < TimeSpan.FromSeconds(10), $"latency {result.Latency}");
    }

    [Fact]
    public async Task A_body_that_stalls_after_the_headers_is_cut_by_the_timeout()
    {
        await using var server = RawHttp.Answers(
            Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly a little"), thenHang: true);
        var result = await Probe(server.Uri, new HealthCheckOptions { Path = "/", Timeout = TimeSpan.FromMilliseconds(300) });

        Assert.False(result.Healthy);
        Assert.Equal(200, result.StatusCode);
        Assert.Contains("timed out", result.Reason, StringComparison.Ordinal);
        Assert.Contains("body did not finish", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_huge_body_is_read_only_up_to_the_bound_and_the_connection_is_dropped()
    {
        // A raw server announcing a 1 GiB body and sending it until the client goes away. Bytes are counted as the
        // kernel accepts them (Kestrel would turn writes after a disconnect into no-ops and overcount).
        long sent = 0;
        var dropped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = new RawHttp.Server(async (stream, ct) =>
        {
            var socket = stream.Socket;
            var buffer = new byte[4096];
            await socket.ReceiveAsync(buffer, ct);
            await socket.SendAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 1073741824\r\n\r\n"), ct);
            var chunk = Encoding.ASCII.GetBytes(new string('x', 16 * 1024));
            try
            {
                while (Interlocked.Read(ref sent) < 1L << 30)
                {
                    Interlocked.Add(ref sent, await socket.SendAsync(chunk, ct));
                }
            }
            catch (Exception)
            {
                dropped.TrySetResult();
            }
        });

        var options = new HealthCheckOptions { Path = "/big", Timeout = TimeSpan.FromSeconds(20) };
        var result = await Probe(server.Uri, options);
        Assert.True(result.Healthy, result.Reason);
        Assert.Equal(HealthProbe.ExcerptLength, result.BodyExcerpt.Length);

        // The probe stopped at 64 KiB and dropped the connection: the server's sends fail, having pushed no more
        // than what the socket buffers held beyond that.
        await dropped.Task.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.True(Interlocked.Read(ref sent) < 64L * 1024 * 1024, $"server sent {sent} bytes");

        var needle = await Probe(server.Uri, options with { ExpectedBody = "needle" });
        Assert.False(needle.Healthy);
        Assert.Contains("\"needle\" not found in the first 65536 bytes", needle.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Garbage_instead_of_HTTP_is_a_failure_not_an_exception()
    {
        await using var server = RawHttp.Answers(Encoding.ASCII.GetBytes("\u0001\u0002 this is not HTTP at all\r\n\r\n"));
        var result = await Probe(server.Uri, new HealthCheckOptions { Path = "/" });

        Assert.False(result.Healthy);
        Assert.Null(result.StatusCode);
        Assert.Equal("invalid HTTP response: invalid status line", result.Reason);
    }

    [Fact]
    public async Task A_closed_port_is_reported_as_connection_refused()
    {
        Uri uri;
        await using (var backend = await TestBackend.StartAsync(_ => Task.CompletedTask))
        {
            uri = backend.Uri;
        }

        var result = await Probe(uri, new HealthCheckOptions { Path = "/" });
        Assert.False(result.Healthy);
        Assert.Equal("connection refused", result.Reason);
    }

    [Fact]
    public async Task Expected_body_text_must_appear()
    {
        await using var backend = await TestBackend.StartAsync(c => c.Response.WriteAsync("{\"status\":\"degraded\"}"));
        var ok = await Probe(backend.Uri, new HealthCheckOptions { Path = "/", ExpectedBody = "degraded" });
        Assert.True(ok.Healthy, ok.Reason);

        var missing = await Probe(backend.Uri, new HealthCheckOptions { Path = "/", ExpectedBody = "\"status\":\"ok\"" });
        Assert.False(missing.Healthy);
        Assert.Equal(200, missing.StatusCode);
        Assert.Contains("not found", missing.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Host_header_absolute_url_and_user_agent_are_sent()
    {
        string? host = null;
        string? agent = null;
        await using var other = await TestBackend.StartAsync(c =>
        {
            host = c.Request.Host.Value;
            agent = c.Request.Headers.UserAgent;
            return Task.CompletedTask;
        });
        await using var server = await TestBackend.StartAsync(c =>
        {
            c.Response.StatusCode = 500;
            return Task.CompletedTask;
        });

        var result = await Probe(server.Uri, new HealthCheckOptions { Path = new Uri(other.Uri, "/status").ToString(), Host = "app.example.com" });
        Assert.True(result.Healthy, result.Reason);
        Assert.Equal("app.example.com", host);
        Assert.StartsWith("WebFarm-HealthCheck", agent, StringComparison.Ordinal);
        Assert.Equal(1, other.Hits("/status"));
        Assert.Equal(0, server.Hits("/status"));
    }

    [Fact]
    public async Task Probe_uses_its_own_http_version()
    {
        string? protocol = null;
        await using var h2Only = await TestBackend.StartAsync(
            c =>
            {
                protocol = c.Request.Protocol;
                return Task.CompletedTask;
            },
            HttpProtocols.Http2);

        var http2 = await Probe(h2Only.Uri, new HealthCheckOptions { Path = "/", HttpVersion = "2" });
        Assert.True(http2.Healthy, http2.Reason);
        Assert.Equal("HTTP/2", protocol);

        // The default HTTP/1.1 probe cannot talk to a server that only speaks h2c: a failure, not a hang.
        var http11 = await Probe(h2Only.Uri, new HealthCheckOptions { Path = "/", Timeout = TimeSpan.FromSeconds(5) });
        Assert.False(http11.Healthy);
    }

    [Fact]
    public async Task Body_excerpt_is_short_and_free_of_control_characters()
    {
        await using var backend = await TestBackend.StartAsync(c => c.Response.WriteAsync("\u001b[31mred\u0000\r\n" + new string('a', 1000)));
        var result = await Probe(backend.Uri, new HealthCheckOptions { Path = "/" });

        Assert.Equal(HealthProbe.ExcerptLength, result.BodyExcerpt.Length);
        Assert.DoesNotContain(result.BodyExcerpt, char.IsControl);
        Assert.StartsWith(" [31mred", result.BodyExcerpt, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancellation_by_the_caller_throws_instead_of_reporting_a_failure()
    {
        await using var server = RawHttp.NeverAnswers();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => _probe.ProbeAsync(Server(server.Uri), new HealthCheckOptions { Timeout = TimeSpan.FromSeconds(30) }, cts.Token));
    }
}
